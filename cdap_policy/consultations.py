"""Stream a consultation log (CSV or JSON Lines, optionally gzip) row by row, in bounded memory.

A department's six months of traces is about a million rows, so nothing here keeps the log:
rows are validated and yielded one at a time with their line number.
"""
from __future__ import annotations

import csv
import gzip
import io
import json
from pathlib import Path
from typing import Iterator

from cdap_policy.errors import InputError, Problem
from cdap_policy.schema import date_ok, datetime_ok
from cdap_policy.yamlsource import _CONTROL

FIELDS = {
    "at": "datetime", "user": "str", "profile": "profile", "file": "str", "rsa_status": "rsa",
    "rsa_ended_on": "date", "cmg_request": "bool", "instructor_number": "str", "entry": "entry",
    "non_opposition": "bool", "rights_from": "date", "fraud_decided_on": "date", "automated": "bool",
}
REQUIRED = ("at", "user", "profile")
_RSA = {"paid", "suspended", "ended", "never"}
_ENTRY = {"known_number", "search"}
_TRUE = {"true", "1", "yes", "oui"}
_FALSE = {"false", "0", "no", "non"}
MAX_LINE = 1 << 20  # characters; a row is a few hundred: a longer line is not a log, and would be read whole


def _fail(file, line, field, message):
    raise InputError(Problem(file, line, field, message))


def normalise(row: dict, file: str, line: int) -> dict:
    """Check one row's fields and convert CSV strings to booleans; empty cells are absent."""
    out = {}
    for key, value in row.items():
        if key not in FIELDS:
            _fail(file, line, key, f"unknown column {key!r}; expected some of {', '.join(FIELDS)}")
        if value is None or value == "":
            continue
        kind = FIELDS[key]
        if kind == "bool":
            if isinstance(value, str):
                low = value.strip().lower()
                if low in _TRUE:
                    value = True
                elif low in _FALSE:
                    value = False
            if not isinstance(value, bool):
                _fail(file, line, key, f"{value!r}: expected true or false")
        elif not isinstance(value, str):
            _fail(file, line, key, f"{value!r}: expected text")
        elif _CONTROL.search(value):
            _fail(file, line, key, f"{value[:40]!r}: control characters are not allowed")
        elif kind == "datetime" and not datetime_ok(value):
            _fail(file, line, key, f"{value!r}: expected an ISO 8601 date or date-time")
        elif kind == "date" and not date_ok(value):
            _fail(file, line, key, f"{value!r}: expected an ISO 8601 date YYYY-MM-DD")
        elif kind == "profile" and not (value.startswith("T") and value[1:].isdigit()):
            _fail(file, line, key, f"{value!r}: expected a profile code such as T1")
        elif kind == "rsa" and value not in _RSA:
            _fail(file, line, key, f"{value!r}: expected one of {', '.join(sorted(_RSA))}")
        elif kind == "entry" and value not in _ENTRY:
            _fail(file, line, key, f"{value!r}: expected one of {', '.join(sorted(_ENTRY))}")
        out[key] = value
    for key in REQUIRED:
        if key not in out:
            _fail(file, line, key, f"missing required field {key!r}")
    return out


def _open_binary(path: Path):
    raw = path.open("rb")
    if path.suffix == ".gz":
        raw = gzip.open(raw)
    return io.BufferedReader(raw) if not isinstance(raw, io.BufferedIOBase) else raw


def log_format(path: Path, declared: str | None) -> str:
    if declared:
        return declared
    name = path.name[:-3] if path.name.endswith(".gz") else path.name
    return "jsonl" if name.endswith((".jsonl", ".ndjson", ".json")) else "csv"


class _Lines:
    """The log's lines, decoded one by one (a BOM is accepted) and none longer than MAX_LINE,
    counted so that a read error names its line."""

    def __init__(self, handle, display: str):
        self.handle, self.display, self.number = handle, display, 0

    def __iter__(self):
        while True:
            raw = self.handle.readline(MAX_LINE + 1)
            if not raw:
                return
            self.number += 1
            if len(raw) > MAX_LINE:
                _fail(self.display, self.number, "", f"line longer than {MAX_LINE:,} bytes; not a consultation log")
            try:
                text = raw.decode("utf-8-sig" if self.number == 1 else "utf-8")
            except UnicodeDecodeError as exc:
                _fail(self.display, self.number, "", f"not valid UTF-8 (byte 0x{raw[exc.start]:02x} at column {exc.start + 1}); save the log as UTF-8")
            yield text


def read_log(path: Path, display: str, declared_format: str | None = None) -> Iterator[tuple[int, dict]]:
    """Yield (line, row) for each consultation in the file."""
    fmt = log_format(path, declared_format)
    try:
        handle = _open_binary(path)
    except OSError as exc:
        _fail(display, None, "", f"cannot read consultation log: {exc.strerror or exc}")
    with handle:
        lines = _Lines(handle, display)
        try:
            if fmt == "jsonl":
                yield from _read_jsonl(lines, display)
            else:
                yield from _read_csv(lines, display)
        except (OSError, EOFError) as exc:  # truncated gzip and the like
            _fail(display, lines.number + 1, "", f"cannot read consultation log: {exc}")


def _no_duplicates(pairs):
    row = {}
    for key, value in pairs:
        if key in row:  # json.loads would keep the last one silently: `"user": "a", "user": "b"`
            raise _DuplicateKey(key)
        row[key] = value
    return row


class _DuplicateKey(Exception):
    pass


def _read_jsonl(lines, display) -> Iterator[tuple[int, dict]]:
    for text in lines:
        number = lines.number
        if not text.strip():
            continue
        try:
            row = json.loads(text, object_pairs_hook=_no_duplicates)
        except json.JSONDecodeError as exc:
            truncated = not text.endswith("\n")
            hint = " (truncated last line?)" if truncated else ""
            _fail(display, number, "", f"malformed JSON line{hint}: {exc.msg}")
        except _DuplicateKey as exc:
            _fail(display, number, str(exc.args[0]), f"duplicate key {exc.args[0]!r} in the JSON object")
        except ValueError:  # an integer of thousands of digits (Python refuses to convert it)
            _fail(display, number, "", "malformed JSON line: a number too long to read (more than 4,300 digits)")
        except RecursionError:
            _fail(display, number, "", "malformed JSON line: nested too deep")
        if not isinstance(row, dict):
            _fail(display, number, "", "each line must be a JSON object")
        yield number, normalise(row, display, number)


def _read_csv(lines, display) -> Iterator[tuple[int, dict]]:
    reader = csv.reader(lines)
    try:
        header = next(reader)
    except StopIteration:
        return
    except csv.Error as exc:
        _fail(display, 1, "", f"malformed CSV header: {exc}")
    header = [h.strip() for h in header]
    if len(set(header)) != len(header):
        _fail(display, 1, "", "duplicate column in header")
    for key in header:
        if key not in FIELDS:
            _fail(display, 1, key, f"unknown column {key!r}; expected some of {', '.join(FIELDS)}")
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            _fail(display, reader.line_num, "", f"malformed CSV: {exc}")
        number = reader.line_num
        if not cells:
            continue
        if len(cells) != len(header):
            _fail(display, number, "", f"{len(cells)} columns where the header has {len(header)} (truncated or malformed row)")
        yield number, normalise(dict(zip(header, cells)), display, number)


def iter_consultations(snapshot) -> Iterator[tuple[str, int, dict]]:
    """(file, line, row) for every consultation of the snapshot, inline or in a referenced log."""
    ref = snapshot.data.get("consultations")
    if ref is None:
        return
    if isinstance(ref, list):
        for index, row in enumerate(ref):
            yield snapshot.file, snapshot.line_of(("consultations", index)), row
        return
    path = snapshot.consultation_log()
    display = snapshot.log_display
    for line, row in read_log(path, display, ref.get("format")):
        yield display, line, row
