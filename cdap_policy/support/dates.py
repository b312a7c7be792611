"""Calendar arithmetic shared by the CEL functions and the waiver file's limits."""

from __future__ import annotations

import calendar
import datetime


def add_months(day: datetime.date, months: int) -> datetime.date:
    """`day` plus `months` calendar months, the day of the month kept where the month has it, else
    the month's last day (31 January + 1 month: 28 or 29 February). ValueError outside years 1-9999.
    """
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    if not 1 <= year <= 9999:
        raise ValueError("date out of range")
    last = calendar.monthrange(year, month + 1)[1]
    return datetime.date(year, month + 1, min(day.day, last))


def months_after(day: str, months: int) -> str:
    """`day` (YYYY-MM-DD) plus `months` as add_months, for the facts the loader derives (notice
    periods, anniversaries, review windows), where a result past 9999-12-31 is 9999-12-31 and one
    before 0001-01-01 is 0001-01-01. Many information systems write 9999-12-31 for « no end »: a
    notice that runs from it ends after every evaluation date, which is what the rules must read,
    and the partner's whole report must not be lost to a date the calendar cannot hold. (The CEL
    function add_months raises instead: inside one rule, that is an `error` finding.)"""
    try:
        return add_months(datetime.date.fromisoformat(day), months).isoformat()
    except ValueError:
        return (datetime.date.max if months > 0 else datetime.date.min).isoformat()


def day_before(day: str) -> str:
    """The eve of `day` (YYYY-MM-DD); 0001-01-01 has none and stays itself (see months_after)."""
    parsed = datetime.date.fromisoformat(day)
    return (
        parsed - datetime.timedelta(days=1) if parsed > datetime.date.min else parsed
    ).isoformat()
