"""One Arrow batch of a consultation log validated as `normalise` validates a row, and each field
turned into integer codes (-1: absent) with the value of each code.

Checks are vectorial: a value is judged once per distinct value by `normalise` itself (codes,
statuses, dates, booleans), or by the same tests on whole columns (length and control characters
of free text, the date-time pattern with ASCII digits). A row that fails one is given to
`normalise`: for Parquet its error is the error; for CSV and JSON Lines the row reader takes over,
so that the error line is the one it gives today.
"""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from cdap_policy.logs.columnar import Fallback
from cdap_policy.logs.rows import FIELDS, MAX_CELL, REQUIRED, normalise
from cdap_policy.support.errors import InputError
from cdap_policy.support.formats import date_ok

# the control characters load.yamlsource.CONTROL refuses, in RE2's syntax
_CONTROL_RE2 = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x{9f}\x{202a}-\x{202e}\x{2066}-\x{2069}]"
# support.formats.DATETIME with ASCII digits: a value Python's \d would also accept (other digits)
# is judged by normalise
_DATETIME_RE2 = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}([T"
    r" ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?(Z|[+-][0-9]{2}:?[0-9]{2})?)?$"
)
_PROBE_BASE = {
    "at": "2000-01-01",
    "user": "u",
    "profile": "T1",
}  # valid required fields around the value probed
_JSON_NATIVE = (str, bool, int, float, type(None), list, dict)


class _Invalid(Exception):
    pass


def _probe(key: str, value):
    """The value as `normalise` keeps it (a boolean for "oui"), or _Invalid."""
    try:
        return normalise({**_PROBE_BASE, key: value}, "", 0).get(key)
    except InputError:
        raise _Invalid from None


def _strings(column: pa.Array) -> pa.Array | None:
    kind = column.type
    if pa.types.is_string(kind):
        return column
    if (
        pa.types.is_large_string(kind)
        or getattr(pa.types, "is_string_view", lambda _: False)(kind)
        or (
            pa.types.is_dictionary(kind)
            and (pa.types.is_string(kind.value_type) or pa.types.is_large_string(kind.value_type))
        )
    ):
        return column.cast(pa.string())
    return None


def _numpy_mask(array: pa.Array) -> np.ndarray:
    return np.asarray(array.fill_null(False).to_numpy(zero_copy_only=False), dtype=bool)


class _Values:
    """The distinct values of a free-text column, made Python objects only when asked for: a
    batch has as many distinct times and file numbers as rows."""

    def __init__(self, dictionary: pa.Array):
        self.dictionary, self.small = (
            dictionary,
            (dictionary.to_pylist() if len(dictionary) <= 4096 else None),
        )

    def __len__(self):
        return len(self.dictionary)

    def __getitem__(self, code):
        return self.small[code] if self.small is not None else self.dictionary[int(code)].as_py()

    def __iter__(self):
        return iter(self.small if self.small is not None else self.dictionary.to_pylist())


class Encoded:
    """The fields of one batch as codes; `row(i)` is the dict `normalise` returns for row i."""

    def __init__(self, names, codes, values, row_facts):
        self.names, self.codes, self.values, self.row_facts = names, codes, values, row_facts
        self.n = len(codes[names[0]]) if names else 0
        self.day_codes: np.ndarray | None = None  # set by encode() from the `at` column
        self.day_values: list | None = None
        self.fact_codes: dict = {}
        self.fact_values: dict = {}

    def row(self, index: int) -> dict:
        out = {}
        for name in self.names:
            code = self.codes[name][index]
            if code >= 0:
                out[name] = self.values[name][code]
        return out

    def facts(self, index: int) -> dict:
        return self.row_facts(self.row(index))

    def set_facts(self, codes: dict, values: dict):
        self.fact_codes, self.fact_values = codes, values


def encode(table: pa.Table, row_facts, strict_rows=None) -> Encoded:
    """Validate and encode; `row_facts(row)` gives a row's facts (logs.tally.RowFacts).
    `strict_rows(indices)` is called with the rows that fail a check (in
    file order) when there is no row reader to take over (Parquet); without it they raise Fallback.
    """
    names = list(table.column_names)
    codes: dict[str, np.ndarray] = {}
    values: dict[str, list | _Values] = {}  # per field, the value of each code
    bad = np.zeros(table.num_rows, dtype=bool)
    at_strings = None
    for name in names:
        column = table.column(name).combine_chunks()
        kind = FIELDS[name]
        if pa.types.is_null(column.type):
            codes[name], values[name] = np.full(len(column), -1, dtype=np.int32), []
            if name in REQUIRED:
                bad[:] = True
            continue
        if kind == "bool" and pa.types.is_boolean(column.type):
            codes[name] = np.asarray(
                pc.cast(column, pa.int8()).fill_null(-1).to_numpy(zero_copy_only=False),
                dtype=np.int32,
            )
            values[name] = [False, True]
            continue
        strings = _strings(column)
        if strings is None:  # a number or a date type where text is expected (Parquet only)
            bad |= ~_numpy_mask(pc.is_null(column))
            codes[name], values[name] = np.full(len(column), -1, dtype=np.int32), []
            continue
        empty = _numpy_mask(pc.or_kleene(pc.is_null(strings), pc.equal(strings, "")))
        if name in REQUIRED:
            bad |= empty
        encoded = pc.dictionary_encode(strings)
        code = np.asarray(
            encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False), dtype=np.int32
        )
        if kind in ("str", "datetime"):  # free text: whole-column checks, values kept as they are
            distinct: list | _Values = _Values(encoded.dictionary)
            bad |= _numpy_mask(pc.greater(pc.utf8_length(strings), MAX_CELL)) & ~empty
            if kind == "str":
                bad |= _numpy_mask(pc.match_substring_regex(strings, _CONTROL_RE2))
            else:
                bad |= ~_numpy_mask(pc.match_substring_regex(strings, _DATETIME_RE2)) & ~empty
                at_strings = strings
            blank = pc.index(encoded.dictionary, "").as_py()
            blanks = [blank] if blank >= 0 else []
        else:  # few distinct values: each judged by normalise
            distinct = encoded.dictionary.to_pylist()
            kept, invalid = [], []
            for index, value in enumerate(distinct):
                try:
                    kept.append(_probe(name, value) if value != "" else None)
                except _Invalid:
                    kept.append(None)
                    invalid.append(index)
            if invalid:
                bad |= np.isin(code, invalid)
            distinct = kept
            blanks = [i for i, value in enumerate(kept) if value is None]
        if blanks:  # an empty cell is an absent field, as in normalise
            code = np.where(np.isin(code, blanks), -1, code).astype(np.int32)
        codes[name], values[name] = code, distinct
    encoded = Encoded(names, codes, values, row_facts)
    if at_strings is not None:
        day = pc.dictionary_encode(pc.utf8_slice_codeunits(at_strings, 0, 10))
        encoded.day_values = day.dictionary.to_pylist()
        encoded.day_codes = np.asarray(
            day.indices.fill_null(-1).to_numpy(zero_copy_only=False), dtype=np.int64
        )
        wrong = [i for i, d in enumerate(encoded.day_values) if d and not date_ok(d)]
        if wrong:
            bad |= np.isin(encoded.day_codes, wrong) & (codes["at"] >= 0)
    if bad.any():
        rows = np.flatnonzero(bad)
        if strict_rows is None:
            raise Fallback(f"invalid value at row {int(rows[0])}")
        strict_rows(rows, table)
    return encoded


def parquet_rows(display: str, first_line: int):
    """For Parquet: each row that failed a check is given to normalise, whose error names the file,
    the row number and the field; a row normalise accepts (an unusual but valid date-time) stays."""

    def check(rows, table):
        for index in rows.tolist():
            row = {}
            for name, value in table.slice(index, 1).to_pylist()[0].items():
                # a value of a non-JSON type (a Parquet timestamp) is shown by its
                # type, never accepted as text
                row[name] = (
                    value
                    if isinstance(value, _JSON_NATIVE)
                    else {"type": str(table.schema.field(name).type)}
                )
            try:
                json.dumps(row)
            except (TypeError, ValueError):
                row = {
                    k: (
                        v
                        if isinstance(v, (str, bool, type(None)))
                        else {"type": str(table.schema.field(k).type)}
                    )
                    for k, v in row.items()
                }
            normalise(row, display, first_line + index)

    return check
