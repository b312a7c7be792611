"""Profiles over time: each profile's grant and end per user, the old form (a current list and one
grant date per profile) still read with a warning naming its line, and the facts rules read
(per-profile grant dates, the first grant of each profile, quotas) computed from the history."""

import pytest
from helpers import base, pack, write

from cdap_policy.evaluate.facts import Context
from cdap_policy.load.snapshot import load_snapshot
from cdap_policy.pipeline.check import CheckOptions, check_loaded
from cdap_policy.support.errors import InputError


def _with_user(**user) -> dict:
    data = base()
    data["users"].append(
        {
            "id": "u-9",
            "first_name": "Basile",
            "last_name": "Fontanel",
            "status": "active",
            "granted_on": "2025-04-01",
            **user,
        }
    )
    return data


def _context(tmp_path, data, as_of="2025-06-30") -> Context:
    return Context(load_snapshot(write(tmp_path, data)), pack().param_values, as_of)


def _user(context: Context, key: str):
    return next(e for e in context.collection("users") if e.key == key)


def test_the_old_form_is_read_as_periods_with_a_warning_naming_its_line(tmp_path):
    data = _with_user(profiles=["T1", "T5"], profile_granted_on={"T5": "2025-05-20"})
    path = write(tmp_path, data)
    snapshot = load_snapshot(path)
    user = next(u for u in snapshot.data["users"] if u["id"] == "u-9")
    assert user["profiles"] == ["T1", {"profile": "T5", "granted_on": "2025-05-20"}]
    assert "profile_granted_on" not in user
    line = next(
        n
        for n, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if "profile_granted_on" in text
    )
    report = check_loaded(pack(), snapshot, CheckOptions(as_of="2025-06-30"))
    notices = [n for n in report.notices if n["code"] == "deprecated-field"]
    assert len(notices) == 1
    assert (
        f"{snapshot.file}:{line}" in notices[0]["message"]["fr"]
        and "profile_granted_on" in notices[0]["message"]["en"]
    )
    # the converted period keeps the line of the profile it came from
    assert snapshot.line_of(("users", 2, "profiles", 1, "granted_on")) == snapshot.line_of(
        ("users", 2, "profiles", 1)
    )


def test_a_withdrawn_profile_is_not_held_counted_or_listed_after_its_end(tmp_path):
    data = _with_user(
        profiles=[
            {"profile": "T5", "ended_on": "2025-05-15"},
            {"profile": "T1", "granted_on": "2025-05-15"},
        ]
    )
    context = _context(tmp_path, data)
    user = _user(context, "u-9")
    assert user.facts["active_profiles"] == ["T1"] and user.facts["counted_profiles"] == ["T1"]
    assert user.data["profiles"] == ["T1"]
    assert user.data["profile_history"] == [
        {"profile": "T5", "granted_on": "2025-04-01", "ended_on": "2025-05-15"},
        {"profile": "T1", "granted_on": "2025-05-15", "ended_on": None},
    ]
    assert user.facts["profile_granted_on"] == {"T5": "2025-04-01", "T1": "2025-05-15"}
    assert context.agg["active_by_profile"].get("T5") is None
    earlier = _context(tmp_path, data, as_of="2025-05-01")
    assert _user(earlier, "u-9").facts["active_profiles"] == ["T5"] and _user(earlier, "u-9").data[
        "profiles"
    ] == ["T5", "T1"]
    # a past holder is still a holder of the profile's history (GOV-AVENANT judges every grant)
    t5 = next(e for e in context.collection("profiles") if e.key == "T5")
    assert (
        t5.data["all_holders"] == ["u-9"]
        and t5.data["holders"] == []
        and t5.data["grant_dates"] == ["2025-04-01"]
    )


def test_a_profile_granted_again_has_one_period_per_grant(tmp_path):
    data = base(2017)
    data["users"].append(
        {
            "id": "u-9",
            "first_name": "Basile",
            "last_name": "Fontanel",
            "status": "active",
            "granted_on": "2019-01-07",
            "profiles": [
                {"profile": "T19", "granted_on": "2019-01-07", "ended_on": "2021-03-01"},
                "T5",
                {"profile": "T19", "granted_on": "2024-09-02"},
            ],
        }
    )
    context = _context(tmp_path, data)
    user = _user(context, "u-9")
    assert user.facts["profile_granted_on"]["T19"] == "2024-09-02"
    assert user.facts["profile_first_granted_on"]["T19"] == "2019-01-07"
    t19 = next(e for e in context.collection("profiles") if e.key == "T19").data
    assert {"2019-01-07", "2024-09-02"} <= set(t19["grant_dates"])
    assert context.agg["first_granted_by_profile"]["T19"] == min(t19["grant_dates"])
    between = _context(tmp_path, data, as_of="2022-06-30")
    assert _user(between, "u-9").facts["active_profiles"] == ["T5"]
    assert _user(between, "u-9").facts["profile_granted_on"]["T19"] == "2019-01-07"


@pytest.mark.parametrize(
    "profiles,words",
    [
        (
            [{"profile": "T5", "granted_on": "2025-05-01", "ended_on": "2025-04-01"}],
            "pas après son attribution",
        ),
        (
            [
                {"profile": "T5", "ended_on": "2025-06-01"},
                {"profile": "T5", "granted_on": "2025-05-01"},
            ],
            "se chevauchent",
        ),
        (["T5", {"profile": "T5", "granted_on": "2024-01-01", "ended_on": "2024-06-01"}], None),
    ],
)
def test_an_impossible_history_is_refused_with_its_line(tmp_path, profiles, words):
    path = write(tmp_path, _with_user(profiles=profiles))
    if words is None:  # a closed period before the account's grant and the bare code do not overlap
        load_snapshot(path)
        return
    with pytest.raises(InputError) as caught:
        load_snapshot(path)
    problem = caught.value.problems[0]
    assert words in problem.message["fr"] and problem.path.startswith("/users/2/profiles/")
    assert problem.line > 1
