"""The string formats our schemas name and our CEL functions check: a date, a date-time, a SIRET."""

from __future__ import annotations

import datetime
import re

_SIRET = re.compile(r"^\d{14}$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
DATETIME = re.compile(
    r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$"
)


def siret_ok(value: str) -> bool:
    """SIRET: 14 digits (spaces allowed) whose SIREN part and whole number pass their checksums,
    with La Poste's establishments under their own rule; python-stdnum keeps these rules."""
    digits = value.replace(" ", "")
    if not _SIRET.match(digits):
        return False
    # imported on first use: python-stdnum's utilities import pydoc, pkgutil and ssl (tens of ms),
    # which `--help`, `rules` and a snapshot without a SIRET need not pay
    from stdnum.fr import siret as siret_numbers

    return siret_numbers.is_valid(digits)


def date_ok(value: str) -> bool:
    if not _DATE.match(value):
        return False
    try:
        datetime.date.fromisoformat(value)
    except ValueError:
        return False
    return True


def datetime_ok(value: str) -> bool:
    if not DATETIME.match(value):
        return False
    return date_ok(value[:10])
