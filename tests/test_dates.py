"""Calendar arithmetic at the edges of the calendar: the facts the loader derives from a partner's
dates never stop the run (9999-12-31 is how many information systems write « no end »)."""

from __future__ import annotations

import datetime

import pytest
import yaml
from helpers import ROOT, base, pack, write

from cdap_policy.evaluate.runner import evaluate
from cdap_policy.load.snapshot import load_snapshot
from cdap_policy.support import dates


def test_months_are_calendar_months_and_keep_the_last_day():
    assert dates.add_months(datetime.date(2025, 1, 31), 1) == datetime.date(2025, 2, 28)
    assert dates.add_months(datetime.date(2024, 1, 31), 1) == datetime.date(2024, 2, 29)
    assert dates.add_months(datetime.date(2025, 3, 31), -1) == datetime.date(2025, 2, 28)
    assert dates.months_after("2024-02-29", 12) == "2025-02-28"


def test_add_months_refuses_what_the_calendar_cannot_hold():
    with pytest.raises(ValueError):
        dates.add_months(datetime.date(9999, 12, 31), 3)
    with pytest.raises(ValueError):
        dates.add_months(datetime.date(1, 1, 15), -1)


def test_derived_dates_stop_at_the_ends_of_the_calendar():
    assert dates.months_after("9999-12-31", 3) == "9999-12-31"
    assert dates.months_after("9999-11-30", 1) == "9999-12-30"
    assert dates.months_after("0001-01-31", -1) == "0001-01-01"
    assert dates.day_before("2025-03-01") == "2025-02-28"
    assert dates.day_before("0001-01-01") == "0001-01-01"


@pytest.mark.parametrize("source", ["base-2025", "commune-t2-cafpro"])
def test_a_termination_letter_dated_9999_is_judged_not_a_crash(tmp_path, source):
    """A letter « received » on 9999-12-31: its notice ends after every evaluation date, so the
    convention's engagements still run; the report is written (before: internal error, exit 3)."""
    if source == "base-2025":
        snapshot = base()
    else:  # CAFPRO: the notice runs to an anniversary of the signature
        snapshot = yaml.safe_load(
            (ROOT / "fixtures" / f"{source}.yaml").read_text(encoding="utf-8")
        )
    snapshot["convention"]["termination"] = {
        "initiated_by": "partner",
        "reason": "unilateral",
        "letter_received_on": "9999-12-31",
        "effective_on": "9999-12-31",
    }
    report = evaluate(pack(), load_snapshot(write(tmp_path, snapshot)), "2025-06-30")
    assert report.findings
    assert not [f for f in report.findings if f.status == "error" and "date" in f.message["en"]]
