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
