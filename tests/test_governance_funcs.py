"""Functions and facts behind the GOV, COORD and QUOTA rules (issue 12): generic mailboxes, calendar
quarters and years, opening hours, the end of the coordination convention, administrators in office,
and the former single control plan still read with a warning."""

import pytest
from celpy import celtypes
from helpers import base, write

from cdap_policy.engines import celfuncs as f
from cdap_policy.engines import celpy_functions as c
from cdap_policy.engines.celpy import to_cel
from cdap_policy.evaluate.facts.convention import coordination_ended_on, current_administrators
from cdap_policy.load.snapshot import load_snapshot

WORDS = to_cel(
    ["accueil", "contact", "ccas", "social", "secretariat", "secretariat-general", "no-reply"]
)


@pytest.mark.parametrize(
    "email,generic",
    [
        ("accueil@ville.example", True),
        ("Accueil@ville.example", True),
        ("accueil2@ville.example", True),
        ("secretariat-general@ville.example", True),
        ("no-reply@ville.example", True),
        ("contact.ccas@ville.example", True),
        ("secretariat-2@ville.example", True),
        ("ccas.ines.lefranc@ville.example", False),  # a word then a person: individual
        ("social.martin@ville.example", False),
        ("accueillante.dupont@ville.example", False),
        ("ines.lefranc@ville.example", False),
        ("2@ville.example", False),
    ],
)
def test_generic_mailbox_reads_the_whole_local_part(email, generic):
    assert bool(f.generic_mailbox(to_cel(email), WORDS)) is generic


def test_generic_mailbox_refuses_a_word_that_is_not_a_plain_word():
    with pytest.raises(ValueError):
        f.generic_mailbox(to_cel("x@y.example"), to_cel(["acc(ueil"]))


def test_calendar_quarters():
    assert f.quarter_of("2025-03-31") == "2025-Q1" and f.quarter_of("2025-04-01") == "2025-Q2"
    # a quarter already begun on the start day does not count; the quarter under way neither
    assert list(f.completed_quarters("2024-11-15", "2025-06-30")) == ["2025-Q1"]
    assert list(f.completed_quarters("2025-01-01", "2025-04-01")) == ["2025-Q1"]
    assert list(f.completed_quarters("2025-01-01", "2025-03-31")) == []
    assert list(f.completed_quarters("2025-06-30", "2025-01-01")) == []
    assert isinstance(
        c.completed_quarters("2024-01-01", "2025-01-01"), celtypes.ListType
    )  # cel-python's own list


def test_years_between():
    assert list(f.years_between("2018-01-15", "2020-06-30")) == [2018, 2019, 2020]
    assert list(f.years_between("2021-01-01", "2020-12-31")) == []


HOURS = to_cel({"days": [1, 2, 3, 4, 5], "opens": "08:00", "closes": "16:00"})


def test_opening_hours_skip_nights_and_week_ends():
    # Friday 15:00 to Monday 09:00: one hour on Friday, one on Monday
    assert f.opening_hours_between("2025-06-06T15:00:00", "2025-06-09T09:00:00", HOURS) == 2
    # Monday 09:00 to Wednesday 09:00: 7 + 8 + 1
    assert f.opening_hours_between("2025-06-02T09:00:00", "2025-06-04T09:00:00", HOURS) == 16
    # a plain date is midnight; the order of the two moments gives the sign
    assert f.opening_hours_between("2025-06-03", "2025-06-02", HOURS) == -8


@pytest.mark.parametrize(
    "hours",
    [
        {"days": [1], "opens": "16:00", "closes": "08:00"},
        {"days": [0], "opens": "08:00", "closes": "16:00"},
        {"days": [1], "opens": "8h", "closes": "16:00"},
    ],
)
def test_bad_opening_hours_raise_value_errors(hours):
    with pytest.raises(ValueError):
        f.opening_hours_between("2025-06-02", "2025-06-03", to_cel(hours))


def test_very_long_periods_are_refused():
    with pytest.raises(ValueError):
        f.completed_quarters("1000-01-01", "2025-01-01")
    with pytest.raises(ValueError):
        f.years_between("0001-01-01", "9999-12-31")


def test_join_text():
    assert f.join_text(to_cel([128, 139, 140]), to_cel("/")) == "128/139/140"
    with pytest.raises(TypeError):
        f.join_text(to_cel("128"), to_cel("/"))


@pytest.mark.parametrize(
    "coord,ended",
    [
        ({}, None),
        ({"signed_on": "2017-12-04"}, None),
        ({"termination_notice_on": "2025-01-15"}, "2025-07-15"),
        ({"termination_notice_on": "2025-01-15", "termination_reason": "breach"}, "2025-01-15"),
        ({"termination_notice_on": "2025-01-15", "terminated_on": "2025-03-31"}, "2025-03-31"),
        (
            {
                "termination_notice_on": "2025-01-15",
                "terminated_on": "2025-09-30",
                "termination_reason": "breach",
            },
            "2025-01-15",
        ),
        ({"terminated_on": "2025-03-31"}, "2025-03-31"),
    ],
)
def test_end_of_the_coordination_convention(coord, ended):
    assert coordination_ended_on({"coordination_convention": coord}, 6) == ended


def test_administrators_in_office():
    admins = [
        {"id": "adm-1", "role": "principal", "first_name": "Agnès", "last_name": "Perrot"},
        {"id": "adm-2", "role": "deputy", "first_name": "Malik", "last_name": "Haddad"},
        {
            "id": "adm-3",
            "role": "deputy",
            "first_name": "Rose",
            "last_name": "Tanguy",
            "replaces": "Malik Haddad",
            "designated_on": "2025-05-02",
        },
        {
            "id": "adm-4",
            "role": "deputy",
            "first_name": "Paul",
            "last_name": "Guyader",
            "designated_on": "2025-09-01",
        },
        {
            "id": "adm-5",
            "role": "principal",
            "first_name": "Yves",
            "last_name": "Le Bihan",
            "replaced_on": "2025-01-31",
        },
    ]
    current, replaced = current_administrators(admins, "2025-06-30")
    assert [a["id"] for a in current] == ["adm-1", "adm-3"]  # adm-4 is not designated yet
    assert replaced == ["adm-2", "adm-5"]
    # before adm-3's designation, adm-2 is still in office
    current, replaced = current_administrators(admins, "2025-04-30")
    assert [a["id"] for a in current] == ["adm-1", "adm-2"] and replaced == ["adm-5"]


def test_the_former_single_control_plan_is_read_as_a_list_with_a_warning(tmp_path):
    data = base(2017)
    data["control"]["control_plan"] = {
        "reference": "Délibération CP-2017-118",
        "validated_on": "2017-11-20",
        "validated_by": "Commission permanente",
    }
    path = write(tmp_path, data)
    snapshot = load_snapshot(path)
    plans = snapshot.data["control"]["control_plan"]
    assert plans == [data["control"]["control_plan"]]
    [notice] = [n for n in snapshot.deprecations if "control_plan" in n["message"]["en"]]
    line = snapshot.line_of(("control", "control_plan"))
    assert notice["level"] == "warning" and f"{path}:{line}:" in notice["message"]["en"]
    # the plan's fields keep their lines under the list form
    assert snapshot.line_of(("control", "control_plan", 0, "validated_on")) > line


def test_a_yearly_plan_needs_its_year(tmp_path):
    from cdap_policy.support.errors import InputError

    data = base(2017)
    data["control"]["control_plan"] = [
        {"reference": "Délibération CP-2024-138", "validated_on": "2024-12-09"}
    ]
    with pytest.raises(InputError) as exc:
        load_snapshot(write(tmp_path, data))
    assert any("control_plan" in p.path for p in exc.value.problems)
