"""Read a consultation log (CSV or JSON Lines, optionally gzip) row by row, in bounded memory, and
validate each row (`normalise`, which the column-wise reader asks too).

A department's six months of traces is about a million rows, so nothing here keeps the log:
rows are validated and yielded one at a time with their line number.
"""

from __future__ import annotations

import csv
import gzip
import json
import os
import re
import stat
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn

from cdap_policy.load.yamlsource import CONTROL
from cdap_policy.support.errors import InputError, Problem
from cdap_policy.support.formats import date_ok, datetime_ok
from cdap_policy.support.i18n import tr
from cdap_policy.support.textsafe import excerpt, printable

FIELDS = {
    "at": "datetime",
    "user": "str",
    "profile": "profile",
    "file": "str",
    "rsa_status": "rsa",
    "rsa_ended_on": "date",
    "cmg_request": "bool",
    "instructor_number": "str",
    "entry": "entry",
    "non_opposition": "bool",
    "rights_from": "date",
    "fraud_decided_on": "date",
    "purpose": "purpose",
    "automated": "bool",
}
REQUIRED = ("at", "user", "profile")
_RSA = {"paid", "suspended", "ended", "never"}
_ENTRY = {"known_number", "search"}
# why the file was consulted (COORD 4-3-3 uses of T19): only fraud_followup rows are held to the
# follow-up period; the same values as the schema's $defs/consultation/properties/purpose
_PURPOSE = {
    "fraud_followup",
    "repeat_check",
    "fraud_qualification",
    "fraud_sanction",
    "control",
    "file_management",
    "instruction",
    "other",
}
_CHOICES = {"rsa": _RSA, "entry": _ENTRY, "purpose": _PURPOSE}
_TRUE = {"true", "1", "yes", "oui"}
_FALSE = {"false", "0", "no", "non"}
MAX_LINE = (
    1 << 20
)  # characters; a row is a few hundred: a longer line is not a log, and would be read whole
# lines of one log, blank ones included (a department's six months is about a million)
MAX_LINES = 50_000_000
MAX_BYTES = 16 << 30  # bytes of one log once decompressed: a small gzip must not expand without end
MAX_BLANK_RUN = 1_000  # consecutive blank lines: no log has them, a gzip of newlines is a bomb
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_ .-]{0,39}$")  # a header cell worth quoting back


def fail(file, line, field, message) -> NoReturn:
    """Stop reading: the log's problem, with its file, line and field."""
    raise InputError(Problem(file, line, field, message))


def column_name(key) -> str:
    """A column name as an error line may show it: quoted when it looks like a name, else not at
    all (a file that is not a log must not have its content printed back)."""
    return repr(key) if isinstance(key, str) and _NAME.match(key) else "?"


def _shown(value) -> str:
    """A value as an error line quotes it (worked out only for the line: most values are valid)."""
    return excerpt(value) if isinstance(value, str) else printable(json.dumps(value)[:40], None)


def normalise(row: dict, file: str, line: int) -> dict:
    """Check one row's fields and convert CSV strings to booleans; empty cells are absent."""
    out = {}
    for key, value in row.items():
        if key not in FIELDS:
            name = column_name(key)
            fail(
                file,
                line,
                key if name != "?" else "",
                tr(
                    f"colonne inconnue {name} ; colonnes attendues parmi {', '.join(FIELDS)}",
                    f"unknown column {name}; expected some of {', '.join(FIELDS)}",
                ),
            )
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
                fail(
                    file,
                    line,
                    key,
                    tr(
                        f"{_shown(value)} : true ou false attendu",
                        f"{_shown(value)}: expected true or false",
                    ),
                )
        elif not isinstance(value, str):
            fail(
                file,
                line,
                key,
                tr(f"{_shown(value)} : texte attendu", f"{_shown(value)}: expected text"),
            )
        elif CONTROL.search(value):
            fail(
                file,
                line,
                key,
                tr(
                    f"{_shown(value)} : caractères de contrôle non admis",
                    f"{_shown(value)}: control characters are not allowed",
                ),
            )
        elif kind == "datetime" and not datetime_ok(value):
            fail(
                file,
                line,
                key,
                tr(
                    f"{_shown(value)} : date ou date-heure ISO 8601 attendue",
                    f"{_shown(value)}: expected an ISO 8601 date or date-time",
                ),
            )
        elif kind == "date" and not date_ok(value):
            fail(
                file,
                line,
                key,
                tr(
                    f"{_shown(value)} : date ISO 8601 AAAA-MM-JJ attendue",
                    f"{_shown(value)}: expected an ISO 8601 date YYYY-MM-DD",
                ),
            )
        elif kind == "profile" and not (
            value.startswith("T") and value[1:].isdigit() and len(value) <= 4
        ):
            fail(
                file,
                line,
                key,
                tr(
                    f"{_shown(value)} : code de profil attendu, par exemple T1",
                    f"{_shown(value)}: expected a profile code such as T1",
                ),
            )
        elif kind in _CHOICES and value not in _CHOICES[kind]:
            choices = ", ".join(sorted(_CHOICES[kind]))
            fail(
                file,
                line,
                key,
                tr(
                    f"{_shown(value)} : une valeur parmi {choices} attendue",
                    f"{_shown(value)}: expected one of {choices}",
                ),
            )
        elif len(value) > MAX_CELL:
            fail(
                file,
                line,
                key,
                tr(
                    f"valeur de plus de {MAX_CELL} caractères",
                    f"value longer than {MAX_CELL} characters",
                ),
            )
        out[key] = value
    for key in REQUIRED:
        if key not in out:
            fail(
                file,
                line,
                key,
                tr(f"champ obligatoire {key!r} manquant", f"missing required field {key!r}"),
            )
    return out


MAX_CELL = 200  # characters of one cell: ids, dates and codes are short; a longer cell is not a log


def open_binary(path: Path, display: str):
    """The log file opened to read bytes (decompressed when named .gz), its problems raised as the
    row reader's.
    """
    # O_NOFOLLOW: the path was resolved and checked by the snapshot loader; a symbolic link put in
    # its place since then is refused rather than followed
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError as exc:
        fail(
            display,
            None,
            "",
            tr(
                f"lecture du journal impossible : {exc.strerror}",
                f"cannot read consultation log: {exc.strerror}",
            ),
        )
    raw = os.fdopen(fd, "rb")
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        raw.close()
        fail(
            display,
            None,
            "",
            tr(
                "le journal n'est pas un fichier ordinaire",
                "consultation log is not a regular file",
            ),
        )
    if path.name.endswith(".gz"):
        if raw.read(2) != b"\x1f\x8b":
            raw.close()
            fail(
                display,
                1,
                "",
                tr(
                    "le fichier porte l'extension .gz mais n'est pas compressé en gzip",
                    "the file is named .gz but is not gzip-compressed",
                ),
            )
        raw.seek(0)
        return gzip.GzipFile(fileobj=raw)
    return raw


def log_format(path: Path, declared: str | None) -> str:
    if declared:
        return declared
    name = path.name[:-3] if path.name.endswith(".gz") else path.name
    if name.endswith(".parquet"):
        return "parquet"
    return "jsonl" if name.endswith((".jsonl", ".ndjson", ".json")) else "csv"


class _Lines:
    """The log's lines, decoded one by one (a BOM is accepted) and none longer than MAX_LINE,
    counted (blank ones too) and bounded in number and in decompressed bytes, so that a read error
    names its line and a small gzip cannot expand without end."""

    def __init__(self, handle, display: str):
        self.handle, self.display, self.number, self.bytes, self.blank_run = (
            handle,
            display,
            0,
            0,
            0,
        )

    def __iter__(self):
        while True:
            raw = self.handle.readline(MAX_LINE + 1)
            if not raw:
                return
            self.number += 1
            self.bytes += len(raw)
            if len(raw) > MAX_LINE:
                fail(
                    self.display,
                    self.number,
                    "",
                    tr(
                        f"ligne de plus de {MAX_LINE:_} octets ; pas un journal de"
                        " consultations".replace("_", " "),
                        f"line longer than {MAX_LINE:,} bytes; not a consultation log",
                    ),
                )
            if self.number > MAX_LINES or self.bytes > MAX_BYTES:
                fail(
                    self.display,
                    self.number,
                    "",
                    tr(
                        f"journal trop long (plus de {MAX_LINES:_} lignes ou {MAX_BYTES >> 30} Gio"
                        " une fois décompressé)".replace("_", " "),
                        f"log too long (more than {MAX_LINES:,} lines or {MAX_BYTES >> 30} GiB once"
                        " decompressed)",
                    ),
                )
            if raw.strip():
                self.blank_run = 0
            else:
                self.blank_run += 1
                if self.blank_run > MAX_BLANK_RUN:
                    fail(
                        self.display,
                        self.number,
                        "",
                        tr(
                            f"plus de {MAX_BLANK_RUN:_} lignes vides de suite ; pas un journal de"
                            " consultations".replace("_", " "),
                            f"more than {MAX_BLANK_RUN:,} blank lines in a row; not a"
                            " consultation log",
                        ),
                    )
            try:
                text = raw.decode("utf-8-sig" if self.number == 1 else "utf-8")
            except UnicodeDecodeError as exc:
                fail(
                    self.display,
                    self.number,
                    "",
                    tr(
                        f"UTF-8 invalide (octet 0x{raw[exc.start]:02x} en colonne {exc.start + 1})"
                        " ; enregistrer le journal en UTF-8",
                        f"not valid UTF-8 (byte 0x{raw[exc.start]:02x} at column {exc.start + 1});"
                        " save the log as UTF-8",
                    ),
                )
            yield text


def read_lines(path: Path, display: str, fmt: str) -> Iterator[tuple[int, dict]]:
    """Yield (line, row) for each consultation of a CSV or JSON Lines log (`fmt`: csv, jsonl)."""
    handle = open_binary(path, display)
    with handle:
        lines = _Lines(handle, display)
        try:
            if fmt == "jsonl":
                yield from _read_jsonl(lines, display)
            else:
                yield from _read_csv(lines, display)
        except EOFError:
            fail(
                display,
                lines.number + 1,
                "",
                tr(
                    "journal compressé tronqué (fin du flux gzip manquante)",
                    "truncated compressed log (the gzip stream ends early)",
                ),
            )
        except (OSError, zlib.error, gzip.BadGzipFile):
            fail(
                display,
                lines.number + 1,
                "",
                tr("journal compressé corrompu", "corrupt compressed log"),
            )


def no_duplicate_keys(pairs):
    """json.loads's `object_pairs_hook` for a log line: a key given twice is
    refused (DuplicateKey).
    """
    row = {}
    for key, value in pairs:
        if key in row:  # json.loads would keep the last one silently: `"user": "a", "user": "b"`
            raise DuplicateKey(key)
        row[key] = value
    return row


class DuplicateKey(Exception):
    pass


def _read_jsonl(lines, display) -> Iterator[tuple[int, dict]]:
    for text in lines:
        number = lines.number
        if not text.strip():
            continue
        try:
            row = json.loads(text, object_pairs_hook=no_duplicate_keys)
        except json.JSONDecodeError as exc:
            hint = (
                tr(" (dernière ligne tronquée ?)", " (truncated last line?)")
                if not text.endswith("\n")
                else {"fr": "", "en": ""}
            )
            fail(
                display,
                number,
                "",
                tr(
                    f"ligne JSON mal formée{hint['fr']} (colonne {exc.colno})",
                    f"malformed JSON line{hint['en']} (column {exc.colno})",
                ),
            )
        except DuplicateKey as exc:
            name = column_name(exc.args[0])
            fail(
                display,
                number,
                str(exc.args[0]) if name != "?" else "",
                tr(
                    f"clé {name} en double dans l'objet JSON",
                    f"duplicate key {name} in the JSON object",
                ),
            )
        except ValueError:  # an integer of thousands of digits (Python refuses to convert it)
            fail(
                display,
                number,
                "",
                tr(
                    "ligne JSON mal formée : un nombre trop long (plus de 4 300 chiffres)",
                    "malformed JSON line: a number too long to read (more than 4,300 digits)",
                ),
            )
        except RecursionError:
            fail(
                display,
                number,
                "",
                tr(
                    "ligne JSON mal formée : imbrication trop profonde",
                    "malformed JSON line: nested too deep",
                ),
            )
        if not isinstance(row, dict):
            fail(
                display,
                number,
                "",
                tr("chaque ligne doit être un objet JSON", "each line must be a JSON object"),
            )
        yield number, normalise(row, display, number)


def _read_csv(lines, display) -> Iterator[tuple[int, dict]]:
    reader = csv.reader(lines)
    try:
        header = next(reader)
    except StopIteration:
        header = []
    except csv.Error:
        fail(display, 1, "", tr("en-tête CSV mal formé", "malformed CSV header"))
    header = [h.strip() for h in header]
    if len(set(header)) != len(header):
        fail(display, 1, "", tr("colonne en double dans l'en-tête", "duplicate column in header"))
    for index, key in enumerate(header, 1):
        if key not in FIELDS:
            name = column_name(key)
            if name == "?":  # not a column name: the file is not a log, none of it is printed back
                fail(
                    display,
                    1,
                    "",
                    tr(
                        f"la colonne {index} de l'en-tête n'est pas une colonne connue ; pas un"
                        " journal de consultations ?",
                        f"header column {index} is not a known column; not a consultation log?",
                    ),
                )
            fail(
                display,
                1,
                key,
                tr(
                    f"colonne inconnue {name} ; colonnes attendues parmi {', '.join(FIELDS)}",
                    f"unknown column {name}; expected some of {', '.join(FIELDS)}",
                ),
            )
    missing = [k for k in REQUIRED if k not in header]
    if missing:  # refused whether or not rows follow: a log without them cannot be judged
        fail(
            display,
            1,
            "",
            tr(
                f"en-tête sans les colonnes obligatoires {', '.join(missing)}",
                f"header lacks the required column(s) {', '.join(missing)}",
            ),
        )
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error:
            fail(display, reader.line_num, "", tr("CSV mal formé", "malformed CSV"))
        number = reader.line_num
        if not cells:
            continue
        if len(cells) != len(header):
            fail(
                display,
                number,
                "",
                tr(
                    f"{len(cells)} colonnes alors que l'en-tête en a {len(header)} (ligne tronquée"
                    " ou mal formée)",
                    f"{len(cells)} columns where the header has {len(header)} (truncated or"
                    " malformed row)",
                ),
            )
        yield number, normalise(dict(zip(header, cells, strict=True)), display, number)
