"""A spreadsheet (CSV or XLSX) as a header and rows of text, each with the row number the
partner sees in the spreadsheet (the header is row 1 when it is the first line).

XLSX is read with openpyxl in read-only mode (streamed, formulas as their cached values); CSV
is sniffed for the delimiter French exports use (« ; ») and read as UTF-8, or as Windows-1252
when it is not UTF-8 (Excel's « CSV (séparateur : point-virgule) » export).
"""

from __future__ import annotations

import csv
import datetime
import io
import re
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn
from xml.etree import ElementTree

from cdap_policy.support.errors import InputError, Problem
from cdap_policy.support.i18n import tr
from cdap_policy.support.textsafe import excerpt

MAX_BYTES = (
    20 * 1024 * 1024
)  # a staff list is a few kilobytes; bigger files are refused before reading
MAX_ROWS = 100_000
MAX_COLUMNS = 200
# An XLSX workbook is a zip of XML parts: a 300 KB file can unpack to gigabytes (one 300 MiB shared
# string, 10 million empty ones, a 100 MiB cell). Its directory is checked before openpyxl reads a
# byte: what each part and the whole unpack to (zipfile never inflates a part beyond the size its
# directory declares), how many parts, how many shared strings (three distinct texts a row).
MAX_PART_BYTES = 32 * 1024 * 1024
MAX_UNPACKED_BYTES = 64 * 1024 * 1024
MAX_PARTS = 1000
MAX_SHARED_STRINGS = 300_000
_SHARED_STRING = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?si[\s/>]")


@dataclass
class Sheet:
    file: str
    headers: list  # text of each column's header
    header_row: int
    rows: list  # (row number, [cell text...]) for every non-empty row below the header


def _text(value) -> str:
    """A cell as text: dates as ISO dates, whole numbers without « .0 »."""
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return value.date().isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return " ".join(str(value).split())


def read_sheet(
    path: str | Path,
    sheet: str | None = None,
    display: str | None = None,
    header_row: int | None = None,
) -> Sheet:
    """Read a .csv or .xlsx file; raises InputError with one clear line when it cannot.

    The header is the first non-empty row, or row `header_row` when the sheet has a title or notes
    above it (the web form lets the partner point at it)."""
    path = Path(path)
    display = display or str(path)
    try:
        size = path.stat().st_size
        if not path.is_file():
            raise InputError(
                Problem(
                    display, None, "", tr("n'est pas un fichier ordinaire", "not a regular file")
                )
            )
    except FileNotFoundError:
        raise InputError(
            Problem(display, None, "", tr("fichier introuvable", "file not found"))
        ) from None
    except OSError as exc:
        raise InputError(
            Problem(
                display,
                None,
                "",
                tr(f"lecture impossible : {exc.strerror}", f"cannot read: {exc.strerror}"),
            )
        ) from None
    if size > MAX_BYTES:
        raise InputError(
            Problem(
                display,
                None,
                "",
                tr(
                    f"fichier de {size / 1048576:.1f} Mio, au-delà de la limite de"
                    f" {MAX_BYTES // 1048576} Mio",
                    f"file is {size / 1048576:.1f} MiB, over the {MAX_BYTES // 1048576} MiB limit",
                ),
            )
        )
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        grid = _xlsx_rows(path, sheet, display)
    elif suffix in (".csv", ".txt"):
        grid = _csv_rows(path, display)
    else:
        raise InputError(
            Problem(
                display,
                None,
                "",
                tr(
                    f"format {suffix or 'sans extension'} non pris en charge : enregistrez le"
                    " tableau en .xlsx ou en .csv",
                    f"format {suffix or 'without extension'} not supported: save the spreadsheet as"
                    " .xlsx or .csv",
                ),
            )
        )
    return _with_header(grid, display, header_row)


def read_rows(path: str | Path, sheet: str | None = None, display: str | None = None):
    """The non-empty rows of a sheet as text, each with its row number: what a person sees before
    saying which row holds the headers. Bounded like read_sheet."""
    path = Path(path)
    display = display or str(path)
    if path.stat().st_size > MAX_BYTES:
        raise InputError(
            Problem(
                display,
                None,
                "",
                tr(
                    f"fichier au-delà de la limite de {MAX_BYTES // 1048576} Mio",
                    f"file over the {MAX_BYTES // 1048576} MiB limit",
                ),
            )
        )
    suffix = path.suffix.lower()
    grid = (
        _xlsx_rows(path, sheet, display)
        if suffix in (".xlsx", ".xlsm")
        else _csv_rows(path, display)
    )
    for number, cells in grid:
        cells = _row_cells(number, cells, display)
        if any(cells):
            yield number, cells


def _row_cells(number: int, cells, display: str) -> list[str]:
    """A row's first MAX_COLUMNS cells as text; past MAX_ROWS rows the sheet is refused."""
    if number > MAX_ROWS:
        raise InputError(
            Problem(
                display,
                number,
                "",
                tr(f"plus de {MAX_ROWS} lignes", f"more than {MAX_ROWS} rows"),
            )
        )
    return [_text(c) for c in list(cells)[:MAX_COLUMNS]]


def _with_header(grid, display: str, header_row: int | None = None) -> Sheet:
    header, rows = None, []
    # a stream: a huge or hostile sheet is stopped at MAX_ROWS, not read whole
    for number, cells in grid:
        cells = _row_cells(number, cells, display)
        if not any(cells) or (header_row is not None and number < header_row):
            continue
        if header is None:
            header = (number, cells)
            continue
        rows.append((number, cells))
    if header is None:
        raise InputError(
            Problem(
                display,
                None,
                "",
                tr(
                    "le tableau est vide (aucune ligne d'en-tête)",
                    "the spreadsheet is empty (no header row)",
                ),
            )
        )
    while header[1] and not header[1][-1]:
        header[1].pop()
    return Sheet(display, header[1], header[0], rows)


def _xlsx_rows(path: Path, sheet: str | None, display: str):
    import openpyxl
    from openpyxl.chartsheet import Chartsheet
    from openpyxl.utils.exceptions import InvalidFileException

    # a damaged or hostile workbook fails in the zip, the XML or openpyxl's reading of it: one
    # clear line
    broken = (
        zipfile.BadZipFile,
        InvalidFileException,
        ElementTree.ParseError,
        KeyError,
        OSError,
        ValueError,
        TypeError,
        EOFError,
        zlib.error,
        NotImplementedError,
        AttributeError,
    )
    try:
        _check_unpacked(path, display)
    except broken as exc:
        raise _unreadable(display, exc) from None
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except broken as exc:
        raise _unreadable(display, exc) from None
    try:
        if sheet is not None and sheet not in book.sheetnames:
            raise InputError(
                Problem(
                    display,
                    None,
                    "",
                    tr(
                        f"pas de feuille {sheet!r} ; feuilles : {', '.join(book.sheetnames)}",
                        f"no sheet {sheet!r}; sheets: {', '.join(book.sheetnames)}",
                    ),
                )
            )
        worksheet = book[sheet] if sheet is not None else book.active or book.worksheets[0]
        if isinstance(worksheet, Chartsheet):  # a chart alone on its sheet: no cells to read
            raise InputError(
                Problem(
                    display,
                    None,
                    "",
                    tr(
                        f"la feuille {worksheet.title!r} est un graphique, sans cellules",
                        f"sheet {worksheet.title!r} is a chart, with no cells",
                    ),
                )
            )
        # a producer's stated dimensions can be wrong: read what is there
        worksheet.reset_dimensions()
        number = 0
        try:
            for number, cells in enumerate(
                worksheet.iter_rows(min_row=1, max_col=MAX_COLUMNS, values_only=True), start=1
            ):
                yield number, cells
        except IndexError:  # a cell naming shared string n° 99999 of a table of 8
            raise InputError(
                Problem(
                    display,
                    number + 1,
                    "",
                    tr(
                        "une cellule renvoie à une chaîne partagée qui n'existe pas (index hors de"
                        " la table) : classeur endommagé",
                        "a cell refers to a shared string that does not exist (index out of the"
                        " table): damaged workbook",
                    ),
                )
            ) from None
        except broken as exc:
            raise InputError(
                Problem(
                    display,
                    None,
                    "",
                    tr(
                        f"classeur XLSX illisible ({type(exc).__name__})",
                        f"unreadable XLSX workbook ({type(exc).__name__})",
                    ),
                )
            ) from None
    finally:
        book.close()


def _check_unpacked(path: Path, display: str) -> None:
    """Refuse a workbook whose parts unpack beyond the limits, before anything is inflated but the
    shared strings, which are counted as they stream (never held)."""

    def refuse(fr: str, en: str) -> NoReturn:
        raise InputError(Problem(display, None, "", tr(fr, en)))

    with zipfile.ZipFile(path) as archive:
        parts = archive.infolist()
        if len(parts) > MAX_PARTS:
            refuse(
                f"classeur de plus de {MAX_PARTS} parties : pas une liste du personnel",
                f"workbook of more than {MAX_PARTS} parts: not a staff list",
            )
        total = 0
        for part in parts:
            total += part.file_size
            if part.file_size > MAX_PART_BYTES:
                refuse(
                    f"la partie {excerpt(part.filename)} du classeur se décompresse en"
                    f" {part.file_size / 1048576:.0f} Mio, au-delà de la limite de"
                    f" {MAX_PART_BYTES >> 20} Mio (bombe de décompression ?)",
                    f"part {excerpt(part.filename)} of the workbook unpacks to"
                    f" {part.file_size / 1048576:.0f} MiB, over the {MAX_PART_BYTES >> 20} MiB"
                    " limit (decompression bomb?)",
                )
        if total > MAX_UNPACKED_BYTES:
            refuse(
                f"le classeur se décompresse en {total / 1048576:.0f} Mio, au-delà de la limite de"
                f" {MAX_UNPACKED_BYTES >> 20} Mio",
                f"the workbook unpacks to {total / 1048576:.0f} MiB, over the"
                f" {MAX_UNPACKED_BYTES >> 20} MiB limit",
            )
        count = 0
        for part in parts:
            if (
                not part.filename.lower().endswith(".xml")
                or "/worksheets/" in part.filename.lower()
            ):
                continue
            with archive.open(part) as stream:
                carry = b""
                for block in iter(lambda: stream.read(1 << 20), b""):
                    data = carry + block
                    cut = max(
                        0, len(data) - 64
                    )  # a tag cut between two blocks is counted in the next
                    count += sum(1 for m in _SHARED_STRING.finditer(data) if m.start() < cut)
                    carry = data[cut:]
                    if count > MAX_SHARED_STRINGS:
                        refuse(
                            f"plus de {MAX_SHARED_STRINGS:_} chaînes partagées : pas une liste du"
                            " personnel".replace("_", " "),
                            f"more than {MAX_SHARED_STRINGS:,} shared strings: not a staff list",
                        )
                count += len(_SHARED_STRING.findall(carry))
        if count > MAX_SHARED_STRINGS:
            refuse(
                f"plus de {MAX_SHARED_STRINGS:_} chaînes partagées : pas une liste du"
                " personnel".replace("_", " "),
                f"more than {MAX_SHARED_STRINGS:,} shared strings: not a staff list",
            )


def _csv_rows(path: Path, display: str):
    raw = path.read_bytes()
    if b"\x00" in raw:
        raise InputError(
            Problem(
                display,
                None,
                "",
                tr(
                    "contient un caractère NUL : ce n'est pas un fichier CSV (un classeur ?"
                    " enregistrez-le en .xlsx)",
                    "contains a NUL character: not a CSV file (a workbook? save it as .xlsx)",
                ),
            )
        )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
    first = text.split("\n", 1)[0]
    delimiter = max(";,\t", key=first.count) if any(d in first for d in ";,\t") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    out, start = [], 1
    try:
        for cells in reader:
            out.append((start, cells))
            start = (
                reader.line_num + 1
            )  # a quoted cell may span lines: number a row by its first line
    except csv.Error as exc:
        raise InputError(
            Problem(
                display, reader.line_num, "", tr(f"CSV illisible : {exc}", f"unreadable CSV: {exc}")
            )
        ) from None
    return out


def _unreadable(display: str, exc: BaseException) -> InputError:
    """The one line for a workbook a library could not open, naming only the kind of failure."""
    return InputError(
        Problem(
            display,
            None,
            "",
            tr(
                f"classeur XLSX illisible ({type(exc).__name__})",
                f"unreadable XLSX workbook ({type(exc).__name__})",
            ),
        )
    )
