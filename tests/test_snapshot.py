"""Snapshot loading: every schema error at once, with file, line and JSON path."""

import pytest
from helpers import FIXTURES, base, write

from cdap_policy.load.snapshot import load_snapshot
from cdap_policy.support.errors import InputError


@pytest.mark.parametrize(
    "name", ["departement-2017.yaml", "ccas-2025.yaml", "commune-t2-cafpro.yaml"]
)
def test_shipped_fixtures_are_valid(name):
    snap = load_snapshot(FIXTURES / name)
    assert snap.partner_name


def test_all_schema_errors_are_reported_with_lines(tmp_path):
    data = base()
    data["partner"]["siret"] = "26440999600017"  # bad checksum
    data["users"][0]["granted_on"] = "01/04/2025"  # not ISO
    data["users"][1]["status"] = "enabled"  # not in the enumeration
    data["users"][1]["favourite_colour"] = "blue"  # unknown field
    data["convention"]["quotas"]["T1"] = "four"  # number as text
    path = write(tmp_path, data)
    with pytest.raises(InputError) as exc:
        load_snapshot(path)
    problems = exc.value.problems
    paths = {p.path for p in problems}
    assert {
        "/partner/siret",
        "/users/0/granted_on",
        "/users/1/status",
        "/users/1/favourite_colour",
        "/convention/quotas/T1",
    } <= paths
    text = path.read_text().splitlines()
    for p in problems:
        assert p.file == str(path) and p.line is not None
    siret = next(p for p in problems if p.path == "/partner/siret")
    assert "siret" in text[siret.line - 1] and "checksum" in siret.text("en")
    granted = next(p for p in problems if p.path == "/users/0/granted_on")
    assert "01/04/2025" in text[granted.line - 1]


def test_null_where_a_list_is_expected(tmp_path):
    data = base()
    data["users"][0]["profiles"] = None
    with pytest.raises(InputError) as exc:
        load_snapshot(write(tmp_path, data))
    assert exc.value.problems[0].path == "/users/0/profiles"


def test_duplicate_user_ids_are_input_errors(tmp_path):
    data = base()
    data["users"].append(dict(data["users"][0]))
    with pytest.raises(InputError) as exc:
        load_snapshot(write(tmp_path, data))
    assert "duplicate user id 'u-1'" in str(exc.value)


def test_duplicate_subcontractor_ids_at_depth(tmp_path):
    data = base()
    data["subcontractors"] = [{"id": "host", "subcontractors": [{"id": "dc"}, {"id": "dc"}]}]
    with pytest.raises(InputError, match="duplicate subcontractor id 'dc'"):
        load_snapshot(write(tmp_path, data))


def test_missing_consultation_log(tmp_path):
    data = base()
    data["consultations"] = {"file": "nowhere.csv"}
    with pytest.raises(InputError, match="consultation log not found"):
        load_snapshot(write(tmp_path, data))


def test_json_snapshot_is_accepted(tmp_path):
    import json

    path = tmp_path / "snap.json"
    path.write_text(json.dumps(base(), ensure_ascii=False, indent=2), encoding="utf-8")
    assert load_snapshot(path).partner_name == "CCAS de Villebrume"


def test_renamed_field_is_still_read_with_a_warning(tmp_path):
    """`notice.sent_on` became `received_on` (the delay runs from the Caf's receipt): last year's
    snapshots keep working, and the report says where the old name is."""
    from helpers import pack

    from cdap_policy.load.snapshot import load_snapshot
    from cdap_policy.pipeline.check import CheckOptions, check_loaded

    data = base()
    data["subcontractors"] = [
        {
            "id": "p-1",
            "name": "Hébergeur",
            "country": "FR",
            "database_countries": ["FR"],
            "starts_on": "2025-01-15",
            "notice": {"sent_on": "2024-07-01"},
        }
    ]
    snapshot = load_snapshot(write(tmp_path, data))
    assert snapshot.data["subcontractors"][0]["notice"] == {"received_on": "2024-07-01"}
    report = check_loaded(pack(), snapshot, CheckOptions(as_of="2025-06-30"))
    notices = [n for n in report.notices if n["code"] == "deprecated-field"]
    assert len(notices) == 1 and "/subcontractors/0/notice/sent_on" in notices[0]["message"]["en"]
    assert not [
        f for f in report.findings if f.rule_id == "sub-notice-delay" and f.status == "fail"
    ]
