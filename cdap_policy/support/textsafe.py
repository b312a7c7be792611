"""Make values from the input safe to print: bounded in length, control characters escaped.

Everything the input controls (a name, a log cell, a column header, a file's excerpt) goes
through here before it reaches a terminal, an error line or a message, so that a 10 MB first
name cannot make a 100 MB report and `\\x1b]0;…\\x07` cannot drive the terminal.
"""

from __future__ import annotations

import re

MAX_VALUE = 200  # characters of one input value quoted in a message, an error line or a label
MAX_EXCERPT = 40  # characters of a file's content quoted in an error line
MAX_LINE = 2000  # characters of one error line in all

# C0 and C1 controls, DEL, bidi embeddings/overrides/isolates, line and paragraph separators
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _escape(match: re.Match) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text, limit: int | None = MAX_LINE, keep_newlines: bool = False) -> str:
    """`text` with every control character escaped, cut at `limit` characters with « … »."""
    text = "" if text is None else str(text)
    if limit is not None and len(text) > limit:
        text = text[:limit] + f"… (+{len(text) - limit})"
    if keep_newlines:
        return "\n".join(_UNSAFE.sub(_escape, part) for part in text.split("\n"))
    return _UNSAFE.sub(_escape, text)


def bounded(text, limit: int = MAX_VALUE) -> str:
    """A value quoted inside a message: cut at `limit` characters (control characters are left
    to `printable`, which every output applies)."""
    text = "" if text is None else str(text)
    return text if len(text) <= limit else text[:limit] + f"… (+{len(text) - limit})"


def excerpt(text, limit: int = MAX_EXCERPT) -> str:
    """A short quoted excerpt of a file's content, escaped: `'abc…'`."""
    text = "" if text is None else str(text)
    cut = text[:limit] + ("…" if len(text) > limit else "")
    return "'" + printable(cut, None).replace("'", "\\'") + "'"
