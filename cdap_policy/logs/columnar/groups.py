"""The consultation rules over a log read column-wise: the per rule × user tallies and the daily
volumes the row-by-row pass gives (logs.tally), from the same judgements.

Per batch and judge, the rows are grouped by the codes of the fields the judge reads (facts
included, computed once per distinct user, profile and day); each group's first row is handed to
the judge exactly as the row pass hands it a row, and its status spread back over the group's
rows. Counts per user follow with numpy; the rows that can change a user's tally (its first
failing rows of the batch, its first failing and first error row of the batch: see
`UserTally.offending`) are handed to `UserTally.offending` in file order, as the row pass hands
it every failing row; a kept row is rebuilt as the row reader would build it (JSON Lines: its
line parsed again).
"""

from __future__ import annotations

import json
from functools import partial

import numpy as np
import pyarrow as pa

from cdap_policy.logs.columnar import Fallback
from cdap_policy.logs.columnar.encode import Encoded, encode, parquet_rows
from cdap_policy.logs.columnar.logwide import Facts, Ids
from cdap_policy.logs.columnar.reader import Batch, batches
from cdap_policy.logs.rows import fail, log_format, no_duplicate_keys, normalise
from cdap_policy.logs.tally import (
    SAMPLE_ROWS,
    STATUSES,
    DailyVolumes,
    LazyActivation,
    Tally,
    UserTally,
)
from cdap_policy.support.i18n import tr

_FAIL, _ERROR = 1, 2
_KEY_BOUND = 1 << 62


class _Rule:
    """A judge and the tallies it gives, per user."""

    def __init__(self, judge):
        self.judge = judge
        self.entity_fields = list(judge.entity_fields)
        self.fact_fields = list(judge.fact_fields)
        self.whole = judge.whole  # reads the whole row: evaluated row by row
        self.users: dict[str, UserTally] = {}


def _combined_key(arrays: list, n: int) -> np.ndarray:
    """One int64 per row that is equal exactly when every code is (codes -1 for absent included)."""
    key, bound = np.zeros(n, dtype=np.int64), 1
    for array in arrays:
        shifted = array.astype(np.int64) + 1
        radix = int(shifted.max()) + 1 if n else 1
        if bound * radix >= _KEY_BOUND:  # compact what we have before it overflows
            key = np.unique(key, return_inverse=True)[1].reshape(-1).astype(np.int64)
            bound = int(key.max()) + 1 if n else 1
        key = key * radix + shifted
        bound *= radix
    return key


class _Pass:
    def __init__(self, judges, facts, activation, display, fmt):
        self.make_activation, self.display, self.fmt = activation, display, fmt
        self.rules = [_Rule(judge) for judge in judges]
        self.ids = {"user": Ids(), "profile": Ids(), "day": Ids()}
        self.facts = Facts(facts)
        self.daily = DailyVolumes()
        self.need_facts = any(r.fact_fields for r in self.rules)

    # -- evaluation ---------------------------------------------------------------------------
    def _activation(self, enc: Encoded, index: int) -> LazyActivation:
        return LazyActivation(self._build_activation, enc, index)

    def _build_activation(self, enc: Encoded, index: int) -> dict:
        return self.make_activation(enc.row(index), enc.facts(index))

    def statuses(self, rule: _Rule, enc: Encoded):
        """(status code per row, error text per row as a function of the row)."""
        judge = rule.judge.verdict
        if rule.whole:
            status, errors = np.empty(enc.n, dtype=np.int8), {}
            for index in range(enc.n):
                text, error = judge(enc.row(index), enc.facts(index), self._activation(enc, index))
                status[index] = STATUSES.index(text)
                if error is not None:
                    errors[index] = error
            return status, errors.get
        entity = [f for f in rule.entity_fields if f in enc.codes]
        facts = [f for f in rule.fact_fields if f in enc.fact_codes]
        key = _combined_key(
            [enc.codes[f] for f in entity] + [enc.fact_codes[f] for f in facts], enc.n
        )
        _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
        inverse = inverse.reshape(-1)
        combo_status, combo_error = np.empty(len(first), dtype=np.int8), [None] * len(first)
        codes = [(f, enc.codes[f], enc.values[f]) for f in entity]
        fact_codes = [(f, enc.fact_codes[f], enc.fact_values[f]) for f in facts]
        missing_facts = {f: None for f in rule.fact_fields if f not in enc.fact_codes}
        for combo, index in enumerate(first.tolist()):
            row = {}
            for name, array, values in codes:
                code = array[index]
                if code >= 0:
                    row[name] = values[code]
            fact_values = {name: values[array[index]] for name, array, values in fact_codes}
            fact_values.update(missing_facts)
            text, error = judge(row, fact_values, self._activation(enc, index))
            combo_status[combo] = STATUSES.index(text)
            combo_error[combo] = error
        return combo_status[inverse], lambda index: combo_error[inverse[index]]

    # -- tallies ------------------------------------------------------------------------------
    def sample_row(self, batch: Batch, enc: Encoded, index: int) -> dict:
        if batch.raw is not None and self.fmt == "jsonl":  # the key order of its own line
            line = batch.first_line + index
            return normalise(
                json.loads(
                    batch.raw_line(index).decode("utf-8"), object_pairs_hook=no_duplicate_keys
                ),
                self.display,
                line,
            )
        return enc.row(index)

    def add(self, batch: Batch, enc: Encoded):
        users, user_values = enc.codes["user"], enc.values["user"]
        if (
            enc.day_codes is None or enc.day_values is None
        ):  # encode() refuses a batch without days first
            raise Fallback("no days")
        if self.need_facts:
            user_ids, day_ids = (
                self.ids["user"].of(users, user_values),
                self.ids["day"].of(enc.day_codes, enc.day_values),
            )
            profile_ids = self.ids["profile"].of(enc.codes["profile"], enc.values["profile"])
            enc.set_facts(
                self.facts.of(user_ids, profile_ids, day_ids, self.ids), self.facts.values
            )
        names = [str(u) for u in user_values]
        self.add_daily(batch, enc.codes["user"], enc.day_codes, enc.day_values, names)
        width = len(user_values)
        for rule in self.rules:
            status, error_of = self.statuses(rule, enc)
            counts = np.bincount(users.astype(np.int64) * 4 + status, minlength=width * 4).reshape(
                width, 4
            )
            for code in np.flatnonzero(counts.sum(axis=1)).tolist():
                tally = rule.users.get(names[code])
                if tally is None:
                    tally = rule.users[names[code]] = UserTally()
                for slot, name in enumerate(STATUSES):
                    tally.counts[name] += int(counts[code, slot])
            failing = np.flatnonzero((status == _FAIL) | (status == _ERROR))
            if not len(failing):
                continue
            # the rows that can change a user's tally (UserTally.offending): its first SAMPLE_ROWS
            # failing-or-error rows of the batch, and its first failing and first error row
            owners = users[failing]
            order = np.argsort(owners, kind="stable")  # file order kept within each user
            sorted_owners = owners[order]
            starts = np.flatnonzero(
                np.concatenate(([True], sorted_owners[1:] != sorted_owners[:-1]))
            )
            rank = np.arange(len(order)) - np.repeat(
                starts, np.diff(np.concatenate((starts, [len(order)])))
            )
            kept = order[rank < SAMPLE_ROWS]
            for code in (_FAIL, _ERROR):
                rows = np.flatnonzero(status[failing] == code)
                if len(rows):
                    kept = np.concatenate(
                        (kept, rows[np.unique(owners[rows], return_index=True)[1]])
                    )
            for index in failing[np.unique(kept)].tolist():
                line = batch.first_line + index
                rule.users[names[users[index]]].offending(
                    STATUSES[status[index]],
                    self.display,
                    line,
                    partial(self.sample_row, batch, enc, index),
                    error_of(index),
                )

    def add_daily(
        self, batch: Batch, users: np.ndarray, day_codes: np.ndarray, day_values: list, names: list
    ):
        """The batch's consultations per user and day, each with its first row."""
        days = len(day_values)
        keys = users.astype(np.int64) * days + day_codes
        unique, first, counts = np.unique(keys, return_index=True, return_counts=True)
        self.daily.add_many(
            [names[u] for u in (unique // days).tolist()],
            [day_values[d] for d in (unique % days).tolist()],
            self.display,
            (first + batch.first_line).tolist(),
            counts.tolist(),
        )


def tally_columns(snapshot, judges, facts, activation) -> Tally | None:
    """The log file of `snapshot` read column-wise and judged by `judges` (logs.read.scan), or None
    where the row pass must run (an irregular or invalid log)."""
    ref = snapshot.data.get("consultations")
    path, display = snapshot.consultation_log(), snapshot.log_display
    fmt = log_format(path, ref.get("format"))
    run = _Pass(judges, facts, activation, display, fmt)
    try:
        for batch in batches(path, display, fmt):
            strict = parquet_rows(display, batch.first_line) if fmt == "parquet" else None
            enc = encode(batch.table, facts, strict)
            if not enc.n:
                continue
            run.add(batch, enc)
    except Fallback:
        return None
    except pa.ArrowException:  # a pyarrow failure on data it parsed: the row reader judges the file
        if fmt == "parquet":
            fail(
                display,
                None,
                "",
                tr("fichier Parquet illisible ou corrompu", "unreadable or corrupt Parquet file"),
            )
        return None
    return Tally(tuple(r.users for r in run.rules), run.daily)


def iter_parquet(path, display):
    """(row number, row) of a Parquet log, rows as `normalise` returns them: the
    row pass's reader.
    """
    for batch in batches(path, display, "parquet"):
        enc = encode(batch.table, None, parquet_rows(display, batch.first_line))
        for index in range(enc.n):
            yield batch.first_line + index, enc.row(index)
