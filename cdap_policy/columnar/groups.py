"""The consultation rules over a log read column-wise: the per rule × user groups and the daily
counts the row-by-row pass builds, from the same evaluations.

Per batch and rule, the rows are grouped by the codes of the fields the rule's `when` and `check`
read (facts included, computed once per distinct user, profile and day); each group's first row
is handed to `Evaluator.combine` with the rule's `_RowCache`s, exactly as the row pass hands it
a row, and its status spread back over the group's rows. Counts per user, the first failing row
and the sample rows (the first SAMPLE_ROWS failing ones, in file order) follow with numpy; a
sample row is rebuilt as the row reader would build it (JSON Lines: its line parsed again).
"""
from __future__ import annotations

import json

import numpy as np
import pyarrow as pa

from cdap_policy.columnar import Fallback
from cdap_policy.columnar.encode import Encoded, encode, parquet_rows
from cdap_policy.columnar.logwide import Daily, Facts, Ids
from cdap_policy.columnar.reader import Batch, batches
from cdap_policy.consultations import _fail, _no_duplicates, log_format, normalise
from cdap_policy.i18n import tr

STATUSES = ("pass", "fail", "error", "not_applicable")
_FAIL, _ERROR = 1, 2
_KEY_BOUND = 1 << 62


class _Rule:
    def __init__(self, rule, timeout):
        from cdap_policy.runner import _RowCache, needed, new_group  # the row pass's caches and groups

        self.new_group = new_group
        self.when = _RowCache(rule.when, timeout) if rule.when else None
        self.check = _RowCache(rule.check, timeout)
        self.needs = needed(rule, timeout)
        caches = [c for c in (self.when, self.check) if c is not None] + [cache for cache, _ in self.needs]
        self.entity_fields = sorted(set().union(*(c.entity_fields for c in caches)))
        self.fact_fields = sorted(set().union(*(c.fact_fields for c in caches)))
        self.whole = any(c.whole for c in caches)  # reads the whole row: evaluated row by row
        self.groups: dict[str, dict] = {}


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
    def __init__(self, evaluator, rules, display, fmt):
        self.evaluator, self.context, self.display, self.fmt = evaluator, evaluator.context, display, fmt
        self.rules = [_Rule(rule, evaluator.timeout) for rule in rules]
        self.ids = {"user": Ids(), "profile": Ids(), "day": Ids()}
        self.facts = Facts(self.context.users_by_id)
        self.daily = Daily()
        self.need_facts = any(r.fact_fields for r in self.rules)

    # -- evaluation ---------------------------------------------------------------------------
    def _activation(self, enc: Encoded, index: int):
        built: list = []

        def activation():
            if not built:
                act = dict(self.context.variables)
                act["entity"] = self.context.to_cel(enc.row(index))
                act["facts"] = self.context.to_cel(enc.facts(index))
                built.append(act)
            return built[0]

        return activation

    def statuses(self, rule: _Rule, enc: Encoded):
        """(status code per row, error text per row as a function of the row)."""
        combine = self.evaluator.combine
        if rule.whole:
            status, errors = np.empty(enc.n, dtype=np.int8), {}
            for index in range(enc.n):
                text, error = combine(rule.when, rule.check, enc.row(index), enc.facts(index), self._activation(enc, index), rule.needs)
                status[index] = STATUSES.index(text)
                if error is not None:
                    errors[index] = error
            return status, errors.get
        entity = [f for f in rule.entity_fields if f in enc.codes]
        facts = [f for f in rule.fact_fields if f in enc.fact_codes]
        key = _combined_key([enc.codes[f] for f in entity] + [enc.fact_codes[f] for f in facts], enc.n)
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
            text, error = combine(rule.when, rule.check, row, fact_values, self._activation(enc, index), rule.needs)
            combo_status[combo] = STATUSES.index(text)
            combo_error[combo] = error
        return combo_status[inverse], lambda index: combo_error[inverse[index]]

    # -- grouping -----------------------------------------------------------------------------
    def sample_row(self, batch: Batch, enc: Encoded, index: int) -> dict:
        if batch.raw is not None and self.fmt == "jsonl":  # the key order of its own line
            line = batch.first_line + index
            return normalise(json.loads(batch.raw_line(index).decode("utf-8"), object_pairs_hook=_no_duplicates), self.display, line)
        return enc.row(index)

    def add(self, batch: Batch, enc: Encoded):
        users, user_values = enc.codes["user"], enc.values["user"]
        if enc.day_codes is None or enc.day_values is None:  # encode() refuses a batch without days first
            raise Fallback("no days")
        user_ids, day_ids = self.ids["user"].of(users, user_values), self.ids["day"].of(enc.day_codes, enc.day_values)
        if self.need_facts:
            profile_ids = self.ids["profile"].of(enc.codes["profile"], enc.values["profile"])
            enc.set_facts(self.facts.of(user_ids, profile_ids, day_ids, self.ids), self.facts.values)
        self.daily.add(user_ids, day_ids, batch.first_line)
        names = [str(u) for u in user_values]
        width = len(user_values)
        for rule in self.rules:
            status, error_of = self.statuses(rule, enc)
            counts = np.bincount(users.astype(np.int64) * 4 + status, minlength=width * 4).reshape(width, 4)
            for code in np.flatnonzero(counts.sum(axis=1)).tolist():
                group = rule.groups.get(names[code])
                if group is None:
                    group = rule.groups[names[code]] = rule.new_group()
                for slot, name in enumerate(STATUSES):
                    group[name] += int(counts[code, slot])
            fails = np.flatnonzero(status == _FAIL)
            if len(fails):  # each user's first failing row, whatever errors come before it
                owners, first = np.unique(users[fails], return_index=True)
                for code, index in zip(owners.tolist(), fails[first].tolist(), strict=True):
                    group = rule.groups[names[code]]
                    if group["first_fail"] is None:
                        group["first_fail"] = (self.display, batch.first_line + index)
                        group["fail_row"] = {"line": batch.first_line + index, **self.sample_row(batch, enc, index)}
            failing = np.flatnonzero((status == _FAIL) | (status == _ERROR))
            if not len(failing):
                continue
            owners = users[failing]
            order = np.argsort(owners, kind="stable")  # file order kept within each user
            sorted_owners = owners[order]
            starts = np.flatnonzero(np.concatenate(([True], sorted_owners[1:] != sorted_owners[:-1])))
            rank = np.arange(len(order)) - np.repeat(starts, np.diff(np.concatenate((starts, [len(order)]))))
            from cdap_policy.runner import SAMPLE_ROWS

            for index in failing[np.sort(order[rank < SAMPLE_ROWS])].tolist():
                group = rule.groups[names[users[index]]]
                line = batch.first_line + index
                if group["first"] is None:
                    group["first"] = (self.display, line)
                if group["error_text"] is None and status[index] == _ERROR:
                    group["error_text"] = error_of(index)
                if len(group["samples"]) < SAMPLE_ROWS:
                    group["samples"].append({"line": line, **self.sample_row(batch, enc, index)})


def consultation_groups(evaluator, rules) -> tuple[list[dict], dict] | None:
    """(per rule: user -> group, daily counts) for a snapshot whose consultations are a log file,
    or None where the row pass must run (inline consultations, an irregular or invalid log)."""
    snapshot = evaluator.context.snapshot
    ref = snapshot.data.get("consultations")
    if not isinstance(ref, dict):
        return None
    path, display = snapshot.consultation_log(), snapshot.log_display
    fmt = log_format(path, ref.get("format"))
    run = _Pass(evaluator, rules, display, fmt)
    users_by_id = evaluator.context.users_by_id
    try:
        for batch in batches(path, display, fmt):
            strict = parquet_rows(display, batch.first_line) if fmt == "parquet" else None
            enc = encode(batch.table, users_by_id, strict)
            if not enc.n:
                continue
            run.add(batch, enc)
    except Fallback:
        return None
    except pa.ArrowException:  # a pyarrow failure on data it parsed: the row reader judges the file
        if fmt == "parquet":
            _fail(display, None, "", tr("fichier Parquet illisible ou corrompu", "unreadable or corrupt Parquet file"))
        return None
    return [r.groups for r in run.rules], run.daily.counts_by_key(run.ids, display)


def iter_parquet(path, display):
    """(row number, row) of a Parquet log, rows as `normalise` returns them: the row pass's reader."""
    for batch in batches(path, display, "parquet"):
        enc = encode(batch.table, {}, parquet_rows(display, batch.first_line))
        for index in range(enc.n):
            yield batch.first_line + index, enc.row(index)
