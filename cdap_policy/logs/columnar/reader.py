"""A consultation log as Arrow batches with exact line numbers.

CSV and JSON Lines are read from the row reader's own bounded binary stream (`open_binary`:
no symbolic link, a regular file, gzip checked) in blocks cut at line ends; a block is parsed
only when its line structure is regular (no blank line, no lone carriage return, no BOM after
the first byte, rows parsed == lines), so that row k of the file is line k + 2 (CSV) or k + 1
(JSON Lines). Parquet has no lines: a row's "line" is its 1-based row number.
"""

from __future__ import annotations

import csv
import gzip
import io
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.json as pajson

from cdap_policy.logs.columnar import Fallback
from cdap_policy.logs.rows import (
    FIELDS,
    MAX_BYTES,
    MAX_CELL,
    MAX_LINE,
    MAX_LINES,
    REQUIRED,
    column_name,
    fail,
    open_binary,
)
from cdap_policy.support.i18n import tr

BLOCK = 4 << 20  # bytes read at a time: about 60,000 rows, some 20 MB once parsed and encoded
_ARROW_BLOCK = 2 << 20  # pyarrow's own block: larger than the longest line admitted (MAX_LINE)
PARQUET_BATCH = 131_072
_BOOL_KINDS = {name for name, kind in FIELDS.items() if kind == "bool"}
JSON_SCHEMA = pa.schema(
    [(name, pa.bool_() if name in _BOOL_KINDS else pa.string()) for name in FIELDS]
)


def _pool():
    """jemalloc where pyarrow has it: it gives freed blocks back to the system, where mimalloc (the
    default on some builds) keeps each batch's memory and the peak grows by some 80 MB."""
    try:
        return pa.jemalloc_memory_pool()
    except (NotImplementedError, AttributeError):
        return None


@dataclass
class Batch:
    table: (
        pa.Table
    )  # one column per field the file has, strings (booleans where the file typed them)
    start: int  # index in the file of the batch's first row
    first_line: int  # line number of that row
    raw: bytes | None = (
        None  # the block's bytes, to re-read a sample row exactly as the row reader does
    )
    _ends: np.ndarray | None = field(default=None, repr=False)

    def raw_line(self, local: int) -> bytes:
        raw, ends = self.raw, self._ends
        if raw is None:
            raise ValueError(
                "the batch kept no raw bytes"
            )  # only text formats keep them; callers check
        if ends is None:
            ends = self._ends = np.flatnonzero(np.frombuffer(raw, dtype=np.uint8) == 10)
        begin = 0 if local == 0 else int(ends[local - 1]) + 1
        end = int(ends[local]) if local < len(ends) else len(raw)
        return raw[begin:end]


def batches(path: Path, display: str, fmt: str) -> Iterator[Batch]:
    if fmt == "parquet":
        yield from _parquet(path, display)
        return
    handle = open_binary(path, display)  # its errors are the row reader's, raised the same
    with handle:
        try:
            yield from (_csv(handle) if fmt == "csv" else _jsonl(handle))
        except (
            EOFError,
            OSError,
            zlib.error,
            gzip.BadGzipFile,
            UnicodeError,
            csv.Error,
            pa.ArrowException,
        ) as exc:
            raise Fallback(type(exc).__name__) from None


class _Counter:
    """Lines and decompressed bytes so far, against the row reader's limits."""

    def __init__(self):
        self.lines = self.bytes = 0

    def block(self, block: bytes, first: bool) -> int:
        """The block's line count, once its structure is checked regular."""
        lines = block.count(b"\n") + (0 if block.endswith(b"\n") else 1)
        self.lines += lines
        if self.lines > MAX_LINES:
            raise Fallback("too many lines")
        if b"\n\n" in block or b"\n\r\n" in block or block.startswith((b"\n", b"\r\n")):
            raise Fallback("blank line")
        if block.count(b"\r") != block.count(b"\r\n"):
            raise Fallback("lone carriage return")
        if b"\xef\xbb\xbf" in (block[3:] if first else block):
            raise Fallback("byte order mark inside the log")
        if len(block) > MAX_LINE:  # the longest line, measured only when it could be too long
            ends = np.flatnonzero(np.frombuffer(block, dtype=np.uint8) == 10)
            starts = np.concatenate(([-1], ends))
            longest = max(
                int(np.max(np.diff(starts))) if len(ends) else 0, len(block) - 1 - int(starts[-1])
            )
            if longest > MAX_LINE:
                raise Fallback("line too long")
        block.decode("utf-8")  # the row reader refuses invalid UTF-8 with its column
        return lines


def _blocks(handle, counter: _Counter) -> Iterator[bytes]:
    """The stream in blocks that end at a line end (the last one may not)."""
    carry = b""
    while True:
        data = handle.read(BLOCK)
        counter.bytes += len(data)
        if counter.bytes > MAX_BYTES:
            raise Fallback("too many bytes")
        buffer = carry + data if carry else data
        if not data:
            if buffer:
                yield buffer
            return
        cut = buffer.rfind(b"\n")
        if cut < 0:
            if len(buffer) > MAX_LINE:
                raise Fallback("line too long")
            carry = buffer
            continue
        carry = buffer[cut + 1 :]
        if len(carry) > MAX_LINE:
            raise Fallback("line too long")
        yield buffer[: cut + 1]


def _csv_header(handle) -> tuple[list[str], int]:
    raw = handle.readline(MAX_LINE + 1)
    if not raw or len(raw) > MAX_LINE or not raw.strip():
        raise Fallback("header")
    bom = 3 if raw.startswith(b"\xef\xbb\xbf") else 0
    text = raw[bom:].decode("utf-8")
    if "\r" in text.rstrip("\r\n") or text.count('"') % 2:
        raise Fallback("header")
    rows = list(csv.reader([text]))
    header = [h.strip() for h in rows[0]] if rows else []
    if (
        len(set(header)) != len(header)
        or any(h not in FIELDS for h in header)
        or any(k not in header for k in REQUIRED)
    ):
        raise Fallback("header")  # the row reader words each of these
    return header, len(raw)


def _csv(handle) -> Iterator[Batch]:
    header, size = _csv_header(handle)
    pool = _pool()
    counter, start = _Counter(), 0
    counter.lines, counter.bytes = 1, size
    # no worker threads: blocks are small already, and a pyarrow pool thread still running when
    # the process exits (an error raised mid-file) could abort it ("terminate called…", exit 134)
    read_options = pacsv.ReadOptions(
        column_names=header, block_size=_ARROW_BLOCK, use_threads=False
    )
    # no quoting: without a quote character in the block, a comma always separates, as for
    # csv.reader
    parse_options = pacsv.ParseOptions(
        quote_char=False,
        double_quote=False,
        escape_char=False,
        newlines_in_values=False,
        ignore_empty_lines=True,
    )
    convert = pacsv.ConvertOptions(
        column_types={h: pa.string() for h in header},
        strings_can_be_null=False,
        quoted_strings_can_be_null=False,
        check_utf8=True,
    )
    for block in _blocks(handle, counter):
        lines = counter.block(block, False)
        if b'"' in block:  # quoting: Python's csv module, the row reader's own parser
            rows = list(csv.reader(io.StringIO(block.decode("utf-8"), newline="")))
            if len(rows) != lines or any(len(r) != len(header) for r in rows):
                raise Fallback("quoted CSV")
            columns = list(zip(*rows, strict=True)) if rows else [()] * len(header)
            table = pa.table(
                {
                    h: pa.array(c, pa.string(), memory_pool=pool)
                    for h, c in zip(header, columns, strict=True)
                }
            )
        else:
            table = pacsv.read_csv(
                io.BytesIO(block),
                read_options=read_options,
                parse_options=parse_options,
                convert_options=convert,
                memory_pool=pool,
            )
        if table.num_rows != lines:
            raise Fallback("rows and lines differ")
        yield Batch(table, start, start + 2, block)
        start += lines


def _jsonl(handle) -> Iterator[Batch]:
    counter, start, pool = _Counter(), 0, _pool()
    read_options = pajson.ReadOptions(block_size=_ARROW_BLOCK, use_threads=False)  # see _csv
    parse_options = pajson.ParseOptions(
        explicit_schema=JSON_SCHEMA, unexpected_field_behavior="error", newlines_in_values=False
    )
    first = True
    for block in _blocks(handle, counter):
        lines = counter.block(block, first)
        body = block[3:] if first and block.startswith(b"\xef\xbb\xbf") else block
        first = False
        table = pajson.read_json(
            io.BytesIO(body),
            read_options=read_options,
            parse_options=parse_options,
            memory_pool=pool,
        )
        if table.num_rows != lines:
            raise Fallback("rows and lines differ")
        yield Batch(table, start, start + 1, body)
        start += lines


def _parquet(path: Path, display: str) -> Iterator[Batch]:
    import pyarrow.parquet as pq

    if path.name.endswith(".gz"):
        fail(
            display,
            None,
            "",
            tr(
                "un journal Parquet est déjà compressé : le donner sans .gz",
                "a Parquet log is compressed already: give it without .gz",
            ),
        )
    handle = open_binary(path, display)
    with handle:
        try:
            parquet = pq.ParquetFile(handle)
            names = parquet.schema_arrow.names
            rows, size = (
                parquet.metadata.num_rows,
                sum(
                    parquet.metadata.row_group(i).total_byte_size
                    for i in range(parquet.metadata.num_row_groups)
                ),
            )
        except (pa.ArrowException, OSError, ValueError):
            fail(
                display,
                None,
                "",
                tr("fichier Parquet illisible ou corrompu", "unreadable or corrupt Parquet file"),
            )
        _parquet_columns(display, names)
        if rows > MAX_LINES or size > MAX_BYTES:
            fail(
                display,
                None,
                "",
                tr(
                    f"journal trop long (plus de {MAX_LINES:_} lignes ou {MAX_BYTES >> 30} Gio une"
                    " fois décompressé)".replace("_", " "),
                    f"log too long (more than {MAX_LINES:,} lines or {MAX_BYTES >> 30} GiB once"
                    " decompressed)",
                ),
            )
        _parquet_sizes(display, parquet.metadata)
        start = 0
        try:
            for record_batch in parquet.iter_batches(batch_size=PARQUET_BATCH, use_threads=False):
                table = pa.Table.from_batches([record_batch])
                yield Batch(table, start, start + 1)
                start += table.num_rows
        except (
            MemoryError
        ):  # pyarrow's ArrowMemoryError too: the file may be sound, the machine short
            fail(
                display,
                start + 1,
                "",
                tr(
                    "mémoire insuffisante pour lire le journal Parquet (rang indiqué : première"
                    " ligne non lue) ; écrivez des groupes de lignes plus petits",
                    "out of memory reading the Parquet log (row shown: the first one not read);"
                    " write smaller row groups",
                ),
            )
        except (pa.ArrowException, OSError, ValueError):
            fail(
                display,
                start + 1,
                "",
                tr(
                    "fichier Parquet corrompu (rang indiqué : première ligne non lue)",
                    "corrupt Parquet file (row shown: the first one not read)",
                ),
            )


# A value of a log is at most MAX_CELL characters (4 bytes each in UTF-8, and a length): a column
# chunk that unpacks to more than that for its values holds a larger one, a « value bomb » (a
# 7 KB file holding a 200 MiB string). Checked in the file's metadata, before any page is read.
_VALUE_BYTES = 4 * MAX_CELL + 8
_CHUNK_SLACK = 1 << 20  # page headers, levels and the dictionary page of a small chunk
MAX_COLUMN_CHUNK = 128 * 1024 * 1024  # one column of one row group, once decompressed


def _parquet_sizes(display: str, metadata) -> None:
    """Every column chunk's decompressed size, as the metadata gives it, against what its values
    may take and against MAX_COLUMN_CHUNK (what reading one row group holds in memory)."""
    for group in range(metadata.num_row_groups):
        row_group = metadata.row_group(group)
        for index in range(row_group.num_columns):
            chunk = row_group.column(index)
            size, values = chunk.total_uncompressed_size, max(chunk.num_values, row_group.num_rows)
            name = chunk.path_in_schema
            shown = column_name(name)
            field = name if shown != "?" else ""
            if size > values * _VALUE_BYTES + _CHUNK_SLACK:
                fail(
                    display,
                    None,
                    field,
                    tr(
                        f"la colonne {shown} du groupe de lignes {group + 1} se décompresse en"
                        f" {size / 1048576:.1f} Mio pour {values} valeur(s) : plus que des valeurs"
                        f" de {MAX_CELL} caractères au plus ne le peuvent ; pas un journal",
                        f"column {shown} of row group {group + 1} unpacks to {size / 1048576:.1f}"
                        f" MiB for {values} value(s): more than values of at most {MAX_CELL}"
                        " characters can take; not a consultation log",
                    ),
                )
            if size > MAX_COLUMN_CHUNK:
                fail(
                    display,
                    None,
                    field,
                    tr(
                        f"la colonne {shown} du groupe de lignes {group + 1} se décompresse en"
                        f" {size / 1048576:.0f} Mio, au-delà de la limite de"
                        f" {MAX_COLUMN_CHUNK >> 20} Mio : écrivez des groupes d'au plus un million"
                        " de lignes",
                        f"column {shown} of row group {group + 1} unpacks to {size / 1048576:.0f}"
                        f" MiB, over the {MAX_COLUMN_CHUNK >> 20} MiB limit: write row groups of at"
                        " most a million rows",
                    ),
                )


def _parquet_columns(display: str, names: list) -> None:
    """The CSV header's rules, for the Parquet schema (there is no line: the error names none)."""
    if len(set(names)) != len(names):
        fail(
            display,
            None,
            "",
            tr(
                "colonne en double dans le schéma Parquet", "duplicate column in the Parquet schema"
            ),
        )
    for name in names:
        if name not in FIELDS:
            shown = column_name(name)
            fail(
                display,
                None,
                name if shown != "?" else "",
                tr(
                    f"colonne inconnue {shown} ; colonnes attendues parmi {', '.join(FIELDS)}",
                    f"unknown column {shown}; expected some of {', '.join(FIELDS)}",
                ),
            )
    missing = [k for k in REQUIRED if k not in names]
    if missing:
        fail(
            display,
            None,
            "",
            tr(
                f"schéma Parquet sans les colonnes obligatoires {', '.join(missing)}",
                f"Parquet schema lacks the required column(s) {', '.join(missing)}",
            ),
        )
