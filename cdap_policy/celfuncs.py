"""Custom CEL functions of the pack: date arithmetic, SIRET check, country groups.

Each function takes and returns celpy values and raises only ValueError or TypeError, so that
a bad input becomes a CEL error (an `error` finding), never an escaped Python exception.
They are module-level functions because cel-python's compiled runner refers to functions by
their module path.
"""
from __future__ import annotations

import calendar
import datetime
import functools
import re

from celpy import celtypes

from cdap_policy.schema import siret_ok


def _date(value) -> datetime.date:
    if not isinstance(value, str):
        raise TypeError(f"expected a date string, got {type(value).__name__}")
    try:
        return datetime.date.fromisoformat(str(value)[:10])
    except ValueError:
        raise ValueError(f"not an ISO date: {value!r}") from None


def _datetime(value) -> datetime.datetime:
    if not isinstance(value, str):
        raise TypeError(f"expected a date-time string, got {type(value).__name__}")
    text = str(value)
    try:
        moment = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"not an ISO date-time: {value!r}") from None
    if moment.tzinfo is not None:  # compare everything as naive UTC
        moment = moment.astimezone(datetime.timezone.utc).replace(tzinfo=None)
    return moment


def days_between(start, end) -> celtypes.IntType:
    """Whole days from `start` to `end` (negative when end is earlier)."""
    return celtypes.IntType((_date(end) - _date(start)).days)


def hours_between(start, end) -> celtypes.IntType:
    """Whole hours from `start` to `end` (date-times; a plain date counts as midnight)."""
    seconds = (_datetime(end) - _datetime(start)).total_seconds()
    return celtypes.IntType(int(seconds // 3600))


def months_between(start, end) -> celtypes.IntType:
    """Whole calendar months from `start` to `end`."""
    a, b = _date(start), _date(end)
    months = (b.year - a.year) * 12 + (b.month - a.month)
    if b.day < a.day and months > 0:
        months -= 1
    elif b.day > a.day and months < 0:
        months += 1
    return celtypes.IntType(months)


def _add_months(day: datetime.date, months: int) -> datetime.date:
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    if not 1 <= year <= 9999:
        raise ValueError("date out of range")
    last = calendar.monthrange(year, month + 1)[1]
    return datetime.date(year, month + 1, min(day.day, last))


def _int(value) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"expected an integer, got {type(value).__name__}")
    return int(value)


def add_days(day, count) -> celtypes.StringType:
    try:
        return celtypes.StringType((_date(day) + datetime.timedelta(days=_int(count))).isoformat())
    except OverflowError:
        raise ValueError("date out of range") from None


def add_months(day, count) -> celtypes.StringType:
    return celtypes.StringType(_add_months(_date(day), _int(count)).isoformat())


def add_years(day, count) -> celtypes.StringType:
    return celtypes.StringType(_add_months(_date(day), 12 * _int(count)).isoformat())


def day_of(moment) -> celtypes.StringType:
    """The date part (YYYY-MM-DD) of a date or date-time string."""
    return celtypes.StringType(_date(moment).isoformat())


def siret_valid(value) -> celtypes.BoolType:
    if not isinstance(value, str):
        raise TypeError("expected a SIRET string")
    return celtypes.BoolType(siret_ok(str(value)))


def adequate_protection(country, dpf_certified, countries) -> celtypes.BoolType:
    """True when data may go to `country` without a CNIL authorisation (CONV art. 14): EU or EEA,
    or an adequacy decision; for adequacy entries marked `certified_only` (US: Data Privacy
    Framework) only when the organisation is certified. `countries` is params.countries."""
    if not isinstance(country, str):
        raise TypeError("expected a country code")
    code = str(country)
    if code in countries["eu"] or code in countries["eea"]:
        return celtypes.BoolType(True)
    adequacy = countries["adequacy"]
    if code not in adequacy:
        return celtypes.BoolType(False)
    entry = adequacy[code]
    if _get(entry, "certified_only", False):
        return celtypes.BoolType(bool(dpf_certified))
    return celtypes.BoolType(True)


def in_group(country, group) -> celtypes.BoolType:
    """`country` is one of the codes of `group` (a list of ISO codes from params.countries)."""
    if not isinstance(country, str):
        raise TypeError("expected a country code")
    return celtypes.BoolType(country in group)


def _get(mapping, key, default=None):
    # celpy's MapType.get raises KeyError instead of returning the default
    key = celtypes.StringType(key)
    return mapping[key] if key in mapping else default


def eligible(partner, profile, countries) -> celtypes.BoolType:
    """The partner may hold `profile` (an entry of the catalogue) by at least one of its routes:
    organisation kind listed (or no restriction), every required partner flag true, department
    and country group matching where the route restricts them."""
    if not isinstance(partner, dict) or not isinstance(profile, dict):
        raise TypeError("eligible(partner, profile, countries) expects maps")
    kind = _get(partner, "kind")
    department = _get(partner, "department")
    country = _get(partner, "country", "FR")
    for route in profile["routes"]:
        if route["organisations"] and kind not in route["organisations"]:
            continue
        if not all(_get(partner, flag) is True or _get(partner, flag) == celtypes.BoolType(True) for flag in route["requires"]):
            continue
        if route["departments"] and department not in route["departments"]:
            continue
        if route["country_groups"] and not any(country in countries[group] for group in route["country_groups"]):
            continue
        return celtypes.BoolType(True)
    return celtypes.BoolType(False)


@functools.lru_cache(maxsize=64)
def _mailbox_pattern(prefixes: tuple) -> re.Pattern:
    alternatives = "|".join(f"(?:{p})" for p in prefixes)
    return re.compile(f"^(?:{alternatives})(?:[._-][^@]*)?[0-9]*@", re.IGNORECASE)


def generic_mailbox(email, prefixes) -> celtypes.BoolType:
    """The address's local part is a generic word of `prefixes` (accueil@, contact.ccas@,
    secretariat-2@...), alone or followed by « . », « - », « _ » and more, or by digits.
    One compiled pattern per prefix list instead of one regular expression per word and user."""
    if not isinstance(email, str):
        raise TypeError("generic_mailbox expects an e-mail address")
    try:
        pattern = _mailbox_pattern(tuple(str(p) for p in prefixes))
    except re.error as exc:
        raise ValueError(f"bad mailbox prefix: {exc}") from None
    return celtypes.BoolType(pattern.match(str(email)) is not None)


FUNCTIONS = {
    f.__name__: f
    for f in (days_between, hours_between, months_between, add_days, add_months, add_years,
              day_of, siret_valid, adequate_protection, in_group, eligible, generic_mailbox)
}



# cel-python's compiled runner hands `has()` results over as Python bools, which its own boolean
# operators reject ("no such overload"). These wrappers accept them as CEL booleans; everything
# else is passed to cel-python unchanged.
def _celbool(value):
    if isinstance(value, bool) and not isinstance(value, celtypes.BoolType):
        return celtypes.BoolType(value)
    return value


def logical_not(value):
    return celtypes.logical_not(_celbool(value))


def logical_and(left, right):
    return celtypes.logical_and(_celbool(left), _celbool(right))


def logical_or(left, right):
    return celtypes.logical_or(_celbool(left), _celbool(right))


def logical_condition(condition, when_true, when_false):
    return celtypes.logical_condition(_celbool(condition), when_true, when_false)


# Operator overrides, by cel-python's internal operator names.
OPERATORS = {"!_": logical_not, "_&&_": logical_and, "_||_": logical_or, "_?_:_": logical_condition}
