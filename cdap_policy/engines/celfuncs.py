"""Custom CEL functions of the pack: date arithmetic, SIRET check, country groups.

One implementation for every engine: each function takes plain Python values (the native
runtime's) or cel-python's (which subclass them: its MapType is a dict, its StringType a str),
returns plain Python values, and raises only ValueError or TypeError, so that a bad input becomes
a CEL error (an `error` finding), never an escaped Python exception. Each engine adapts the
results to its own values (engines/celpy_functions.py for cel-python; the native runtime converts
plain values itself). Nothing here imports an engine.
"""

from __future__ import annotations

import calendar
import datetime
import functools
import re

from cdap_policy.support import dates
from cdap_policy.support.formats import siret_ok


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


def days_between(start, end) -> int:
    """Whole days from `start` to `end` (negative when end is earlier)."""
    return (_date(end) - _date(start)).days


def hours_between(start, end) -> int:
    """Whole hours from `start` to `end` (date-times; a plain date counts as midnight)."""
    seconds = (_datetime(end) - _datetime(start)).total_seconds()
    return int(seconds // 3600)


def months_between(start, end) -> int:
    """Whole calendar months from `start` to `end`."""
    a, b = _date(start), _date(end)
    months = (b.year - a.year) * 12 + (b.month - a.month)
    if b.day < a.day and months > 0:
        months -= 1
    elif b.day > a.day and months < 0:
        months += 1
    return months


def _int(value) -> int:
    # cel-python hands a CEL bool over as its BoolType, an int subclass that this check has always
    # let through: a Python bool from the native runtime is read the same way
    if not isinstance(value, int):
        raise TypeError(f"expected an integer, got {type(value).__name__}")
    return int(value)


def add_days(day, count) -> str:
    try:
        return (_date(day) + datetime.timedelta(days=_int(count))).isoformat()
    except OverflowError:
        raise ValueError("date out of range") from None


def add_months(day, count) -> str:
    return dates.add_months(_date(day), _int(count)).isoformat()


def add_years(day, count) -> str:
    return dates.add_months(_date(day), 12 * _int(count)).isoformat()


def day_of(moment) -> str:
    """The date part (YYYY-MM-DD) of a date or date-time string."""
    return _date(moment).isoformat()


def siret_valid(value) -> bool:
    if not isinstance(value, str):
        raise TypeError("expected a SIRET string")
    return siret_ok(str(value))


def adequate_protection(country, recipient, countries) -> bool:
    """True when data may go to `country` without a safeguard (CONV art. 14, GDPR art. 45): EU or
    EEA, or an adequacy decision whose scope covers the recipient. `recipient` is the provider or
    data store (a map read for `dpf_certified` and `commercial_organisation`), or a boolean that
    says whether it is DPF-certified. An adequacy entry marked `certified_only` (US: Data Privacy
    Framework) needs a certified recipient, one marked `commercial_only` (Canada: PIPEDA) a
    recipient recorded as a commercial organisation. `countries` is params.countries."""
    if not isinstance(country, str):
        raise TypeError("expected a country code")
    if isinstance(recipient, dict):
        certified, commercial = (
            _flag(recipient, "dpf_certified"),
            _flag(recipient, "commercial_organisation"),
        )
    elif _is_bool(recipient):
        certified, commercial = bool(recipient), False
    else:
        raise TypeError(
            "adequate_protection expects the recipient (a map) or its DPF certification (a boolean)"
        )
    code = str(country)
    # inside the GDPR area: the EU (and its territories with a code of their own, e.g. RE) and
    # the EEA
    if (
        code in countries["eu"]
        or code in countries["eea"]
        or code in _get(countries, "eu_territories", [])
    ):
        return True
    adequacy = countries["adequacy"]
    if code not in adequacy:
        return False
    entry = adequacy[code]
    # a partial decision covers only some recipients: each condition it sets must hold
    if _get(entry, "certified_only", False) and not certified:
        return False
    if _get(entry, "commercial_only", False) and not commercial:
        return False
    return True


def _flag(mapping, key) -> bool:
    # only a boolean true counts as recorded: absent, null or any other value does not
    value = _get(mapping, key)
    return _is_bool(value) and bool(value)


def in_group(country, group) -> bool:
    """`country` is one of the codes of `group` (a list of ISO codes from params.countries)."""
    if not isinstance(country, str):
        raise TypeError("expected a country code")
    return country in group


def _get(mapping, key, default=None):
    # dict's own look-up: cel-python's MapType (a dict) checks its keys' CEL types in its methods
    return dict.get(mapping, key, default)


def _is_bool(value) -> bool:
    """A CEL boolean: Python's, or cel-python's BoolType (an int subclass, not a bool)."""
    return isinstance(value, bool) or type(value).__name__ == "BoolType"


def _true(value) -> bool:
    """`value == true` as cel-python decides it: a boolean is itself, null or a string is not true,
    and a number, a list or a map cannot be compared with a boolean (an error)."""
    if _is_bool(value):
        return bool(value)
    if value is None or isinstance(value, str):
        return False
    raise TypeError(f"no such overload: {type(value).__name__} == bool")


def _routes(partner, profile, countries) -> list:
    """The routes of a catalogue entry by which the partner may hold it."""
    if not isinstance(partner, dict) or not isinstance(profile, dict):
        raise TypeError("expected the partner and a catalogue entry as maps")
    kind = _get(partner, "kind")
    department = _get(partner, "department")
    country = _get(partner, "country", "FR")
    out = []
    for route in profile["routes"]:
        if route["organisations"] and kind not in route["organisations"]:
            continue
        if not all(_true(_get(partner, flag)) for flag in route["requires"]):
            continue
        if route["departments"] and department not in route["departments"]:
            continue
        if route["country_groups"] and not any(
            country in countries[group] for group in route["country_groups"]
        ):
            continue
        out.append(route)
    return out


def eligible(partner, profile, countries) -> bool:
    """The partner may hold `profile` (an entry of the catalogue) by at least one of its routes:
    organisation kind listed (or no restriction), every required partner flag true, department
    and country group matching where the route restricts them."""
    return bool(_routes(partner, profile, countries))


def accepted_diplomas(partner, profile) -> list:
    """The diplomas a catalogue entry admits for this partner: the list of its organisation kind,
    else `default`. A metropolis with special status (special_status_authority, the Métropole de
    Lyon, which exercises a department's competences on its territory) takes the department's list,
    as it is read as a department for the RSA profiles."""
    if not isinstance(partner, dict) or not isinstance(profile, dict):
        raise TypeError("accepted_diplomas(partner, profile) expects maps")
    diplomas = _get(profile, "diplomas", {}) or {}
    kind = _get(partner, "kind")
    if (
        kind == "metropolis"
        and _flag(partner, "special_status_authority")
        and "department" in diplomas
    ):
        kind = "department"
    chosen = _get(diplomas, kind) if kind in diplomas else _get(diplomas, "default", [])
    return list(chosen or [])


def function_check(partner, catalogue, profiles, user, countries) -> dict:
    """Which of a user's profiles need a function the bulletin names, and which the user lacks.

    A profile is judged for this user when the partner may hold it only by routes that entitle
    persons in a function (`user_functions` on every route it meets, e.g. the 2017 T1 route of
    single RSA referents): the user must record one of those functions, absence included. Where the
    partner may hold it as a body, the functions of the profile (`functions`, e.g. « en charge du
    contentieux » for T18) are judged only when the user records functions. Profiles the partner
    may not hold at all are left to the organisation rules. Returns {assessed, missing, needed}."""
    if not isinstance(user, dict) or not isinstance(catalogue, dict):
        raise TypeError("function_check expects maps")
    recorded = _get(user, "functions")
    have = set(recorded) if isinstance(recorded, list) else None
    assessed, missing, needed = [], [], {}
    for code in profiles or []:
        if code not in catalogue:
            continue
        entry = catalogue[code]
        routes = _routes(partner, entry, countries)
        if not routes:
            continue
        if all(_get(route, "user_functions") for route in routes):
            wanted = sorted({f for route in routes for f in route["user_functions"]})
        elif have is not None and _get(entry, "functions"):
            wanted = sorted(entry["functions"])
        else:
            continue
        assessed.append(str(code))
        needed[str(code)] = [str(f) for f in wanted]
        if not have or not have & set(wanted):
            missing.append(str(code))
    return {"assessed": assessed, "missing": missing, "needed": needed}


@functools.lru_cache(maxsize=64)
def _mailbox_words(prefixes: tuple) -> frozenset:
    words = frozenset(p.lower() for p in prefixes)
    for word in words:
        if not re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", word):
            raise ValueError(f"bad mailbox word: {word!r}")
    return words


def _generic_token(token: str, words: frozenset) -> bool:
    # a listed word, optionally numbered (accueil2, secretariat-2 split as secretariat + 2)
    return token.rstrip("0123456789") in words


def generic_mailbox(email, prefixes) -> bool:
    """The address's local part is a generic mailbox: one of the words of `prefixes` as a whole
    (accueil@, secretariat-general@), optionally followed by digits (accueil2@), or made only of
    such words and numbers joined by « . », « - », « _ » (contact.ccas@, secretariat-2@). A word
    followed by anything else is an individual address: ccas.ines.lefranc@, social.martin@."""
    if not isinstance(email, str):
        raise TypeError("generic_mailbox expects an e-mail address")
    words = _mailbox_words(tuple(str(p) for p in prefixes))
    local = str(email).split("@", 1)[0].strip().lower()
    if not local:
        return False
    if _generic_token(local, words):
        return True
    tokens = [t for t in re.split(r"[._-]", local) if t]
    named = [t for t in tokens if not t.isdigit()]
    return bool(named) and all(_generic_token(t, words) for t in named)


MAX_PERIODS = (
    1200  # quarters or years listed by one call: a hundred years of quarters is already absurd
)


def _periods_guard(count: int):
    if count > MAX_PERIODS:
        raise ValueError(f"period too long: {count} periods")


def quarter_of(day) -> str:
    """The calendar quarter of a date, as « YYYY-Qn »."""
    d = _date(day)
    return f"{d.year:04d}-Q{(d.month - 1) // 3 + 1}"


def completed_quarters(start, end) -> list:
    """The calendar quarters (« YYYY-Qn ») that begin on or after `start` and whose last day is
    before `end`: the quarters wholly elapsed between the two dates."""
    a, b = _date(start), _date(end)
    year, quarter = a.year, (a.month - 1) // 3 + 1
    if a != datetime.date(year, 3 * quarter - 2, 1):  # a quarter already begun does not count
        year, quarter = (year + 1, 1) if quarter == 4 else (year, quarter + 1)
    out = []
    while True:
        last = datetime.date(year, 3 * quarter, calendar.monthrange(year, 3 * quarter)[1])
        if last >= b:
            break
        out.append(f"{year:04d}-Q{quarter}")
        _periods_guard(len(out))
        if year == 9999 and quarter == 4:
            break
        year, quarter = (year + 1, 1) if quarter == 4 else (year, quarter + 1)
    return out


def quarter_last_day(quarter) -> str:
    """The last day of a quarter written « YYYY-Qn » (as quarter_of and completed_quarters write
    it).
    """
    match = re.fullmatch(r"(\d{4})-Q([1-4])", str(quarter)) if isinstance(quarter, str) else None
    if not match:
        raise ValueError(f"not a quarter: {quarter!r}")
    year, month = int(match.group(1)), 3 * int(match.group(2))
    return datetime.date(year, month, calendar.monthrange(year, month)[1]).isoformat()


def years_between(start, end) -> list:
    """Every calendar year from that of `start` to that of `end`, both included (empty when end is
    earlier).
    """
    a, b = _date(start).year, _date(end).year
    _periods_guard(b - a + 1)
    return list(range(a, b + 1))


def _clock(text) -> datetime.time:
    try:
        return datetime.time.fromisoformat(str(text))
    except (ValueError, TypeError):
        raise ValueError(f"not a time of day: {text!r}") from None


def opening_hours_between(start, end, hours) -> int:
    """Whole hours from `start` to `end` counted only while a service is open. `hours` is a map
    {days: [1..7] (ISO weekdays, 1 = Monday), opens: "HH:MM", closes: "HH:MM"}; a plain date
    counts as midnight. Negative when end is earlier."""
    if not isinstance(hours, dict):
        raise TypeError("opening_hours_between expects a map of opening hours")
    a, b = _datetime(start), _datetime(end)
    sign = 1
    if b < a:
        a, b, sign = b, a, -1
    days = {int(d) for d in hours["days"]}
    if not days <= set(range(1, 8)):
        raise ValueError("opening days are ISO weekdays 1..7")
    opens, closes = _clock(hours["opens"]), _clock(hours["closes"])
    if closes <= opens:
        raise ValueError("closing time must follow opening time")
    _periods_guard((b.date() - a.date()).days // 7)
    seconds = 0.0
    day = a.date()
    while day <= b.date():
        if day.isoweekday() in days:
            lo = max(a, datetime.datetime.combine(day, opens))
            hi = min(b, datetime.datetime.combine(day, closes))
            if hi > lo:
                seconds += (hi - lo).total_seconds()
        day += datetime.timedelta(days=1)
    return sign * int(seconds // 3600)


def join_text(items, separator) -> str:
    """The items of a list written one after the other, `separator` between them (numbers as
    digits).
    """
    if not isinstance(items, list) or not isinstance(separator, str):
        raise TypeError("join_text expects a list and a separator")
    return str(separator).join(str(int(i)) if isinstance(i, int) else str(i) for i in items)


FUNCTIONS = {
    f.__name__: f
    for f in (
        days_between,
        hours_between,
        months_between,
        add_days,
        add_months,
        add_years,
        day_of,
        siret_valid,
        adequate_protection,
        in_group,
        eligible,
        accepted_diplomas,
        function_check,
        generic_mailbox,
        quarter_of,
        quarter_last_day,
        completed_quarters,
        years_between,
        opening_hours_between,
        join_text,
    )
}
