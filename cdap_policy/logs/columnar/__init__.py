"""Consultation logs read column-wise with pyarrow (extra `logs`): the same findings as the row
reader, an order of magnitude faster on a million rows.

`reader` cuts the log into Arrow batches, `encode` validates them and turns each field into
integer codes, `groups` evaluates each rule once per distinct combination of the values it reads
and counts per user. Anything the fast path cannot reproduce exactly (a blank line, a quoted
newline, an invalid value, a limit reached, any pyarrow error) makes it give up on the file: the
row reader then reads it and raises, line for line, the error it raises today.
"""

from __future__ import annotations


def available() -> bool:
    try:
        import numpy  # noqa: F401
        import pyarrow  # noqa: F401
        import pyarrow.compute  # noqa: F401
    except ImportError:
        return False
    return True


class Fallback(Exception):
    """The fast path cannot number or judge this file exactly: the row reader must read it."""
