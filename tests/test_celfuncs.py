"""Custom CEL functions: date arithmetic, SIRET, country groups, eligibility."""

import pytest
from celpy import celtypes

from cdap_policy.engines import celfuncs as f
from cdap_policy.engines.celpy import to_cel


def test_day_arithmetic():
    assert f.days_between("2025-01-01", "2025-03-01") == 59
    assert f.days_between("2025-03-01", "2025-01-01") == -59
    assert f.days_between("2025-01-01T23:59:00", "2025-01-02") == 1
    assert f.add_days("2024-02-28", 1) == "2024-02-29"
    assert f.day_of("2025-06-02T10:11:12Z") == "2025-06-02"


def test_month_and_year_arithmetic_clamps_month_ends():
    assert f.add_months("2025-01-31", 1) == "2025-02-28"
    assert f.add_months("2024-08-31", 6) == "2025-02-28"
    assert f.add_years("2024-02-29", 1) == "2025-02-28"
    assert f.add_months("2025-03-15", -6) == "2024-09-15"
    assert f.months_between("2025-01-15", "2025-07-14") == 5
    assert f.months_between("2025-01-15", "2025-07-15") == 6


def test_hours_between_handles_zones_and_dates():
    assert f.hours_between("2025-06-01T10:00:00", "2025-06-04T10:00:00") == 72
    assert f.hours_between("2025-06-01T10:00:00+02:00", "2025-06-01T10:00:00Z") == 2
    assert f.hours_between("2025-06-01", "2025-06-02T06:30:00") == 30


def test_results_are_plain_values_and_cel_values_for_cel_python():
    """One implementation: plain results for the native runtime, cel-python's types through its
    adapter (a plain Python `3` would compare wrongly inside cel-python)."""
    from cdap_policy.engines import celpy_functions as c

    assert (
        type(f.days_between("2025-01-01", "2025-01-02")) is int
        and type(f.siret_valid("22680999400016")) is bool
    )
    assert isinstance(c.days_between("2025-01-01", "2025-01-02"), celtypes.IntType)
    assert isinstance(c.add_days("2025-01-01", 1), celtypes.StringType)
    assert isinstance(c.siret_valid("22680999400016"), celtypes.BoolType)
    assert isinstance(c.completed_quarters("2024-01-01", "2025-01-01"), celtypes.ListType)
    # cel-python's values in, as its compiled runner passes them
    assert (
        c.eligible(
            to_cel({"kind": "ccas", "rsa_authority": True}),
            to_cel(
                {
                    "routes": [
                        {
                            "organisations": ["ccas"],
                            "requires": ["rsa_authority"],
                            "departments": [],
                            "country_groups": [],
                        }
                    ]
                }
            ),
            to_cel({}),
        )
        is not None
    )
    # a boolean flag compared with a number is an error, as in cel-python
    with pytest.raises(TypeError):
        f.eligible(
            {"rsa_authority": 1},
            {
                "routes": [
                    {
                        "organisations": [],
                        "requires": ["rsa_authority"],
                        "departments": [],
                        "country_groups": [],
                    }
                ]
            },
            {},
        )


@pytest.mark.parametrize(
    "call",
    [
        lambda: f.days_between("2025-13-01", "2025-01-01"),
        lambda: f.days_between(3, "2025-01-01"),
        lambda: f.add_days("2025-01-01", "x"),
        lambda: f.add_months("9999-12-01", 1),
        lambda: f.hours_between("yesterday", "2025-01-01"),
    ],
)
def test_bad_inputs_raise_only_value_or_type_errors(call):
    with pytest.raises((ValueError, TypeError)):
        call()


@pytest.mark.parametrize(
    "siret,ok",
    [
        ("22680999400016", True),
        ("2268 0999 4000 16", True),
        ("22680999400017", False),
        ("1234", False),
        ("35600000000001", True),
        ("3560000000004A", False),
        (
            "35600000000048",
            True,
        ),  # La Poste's head office: the Luhn checksum, not the sum of digits
        ("35600000000049", False),
        ("26440999900010", False),  # the whole number passes Luhn, its SIREN 264409999 does not
    ],
)
def test_siret_checksum(siret, ok):
    assert bool(f.siret_valid(siret)) is ok


COUNTRIES = to_cel(
    {
        "eu": ["FR", "DE"],
        "eea": ["NO"],
        "switzerland": ["CH"],
        "adequacy": {
            "CH": {"year": 2000},
            "JP": {"year": 2019},
            "US": {"year": 2023, "certified_only": True},
        },
    }
)


@pytest.mark.parametrize(
    "country,certified,ok",
    [
        ("FR", False, True),
        ("NO", False, True),
        ("JP", False, True),
        ("US", False, False),
        ("US", True, True),
        ("IN", True, False),
    ],
)
def test_adequate_protection(country, certified, ok):
    assert bool(f.adequate_protection(to_cel(country), to_cel(certified), COUNTRIES)) is ok


def test_eligible_routes():
    entry = to_cel(
        {
            "routes": [
                {
                    "organisations": ["department"],
                    "requires": [],
                    "departments": [],
                    "country_groups": [],
                },
                {
                    "organisations": ["metropolis"],
                    "requires": ["rsa_authority"],
                    "departments": [],
                    "country_groups": [],
                },
            ]
        }
    )
    assert f.eligible(to_cel({"kind": "department"}), entry, COUNTRIES)
    assert f.eligible(to_cel({"kind": "metropolis", "rsa_authority": True}), entry, COUNTRIES)
    assert not f.eligible(to_cel({"kind": "metropolis"}), entry, COUNTRIES)
    assert not f.eligible(to_cel({"kind": "commune", "rsa_authority": True}), entry, COUNTRIES)
    abroad = to_cel(
        {
            "routes": [
                {
                    "organisations": ["foreign_social_security"],
                    "requires": [],
                    "departments": [],
                    "country_groups": ["eu", "switzerland"],
                }
            ]
        }
    )
    assert f.eligible(
        to_cel({"kind": "foreign_social_security", "country": "CH"}), abroad, COUNTRIES
    )
    assert not f.eligible(
        to_cel({"kind": "foreign_social_security", "country": "GB"}), abroad, COUNTRIES
    )
    idf = to_cel(
        {
            "routes": [
                {
                    "organisations": [],
                    "requires": [],
                    "departments": ["75", "92"],
                    "country_groups": [],
                }
            ]
        }
    )
    assert f.eligible(to_cel({"kind": "other", "department": "92"}), idf, COUNTRIES)
    assert not f.eligible(to_cel({"kind": "other", "department": "44"}), idf, COUNTRIES)
