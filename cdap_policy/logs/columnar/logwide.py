"""What the column-wise pass keeps from one batch to the next: an id per distinct user, profile
and day of the whole log, and the facts of each (user, profile, day) computed once, as sorted
numpy arrays so that a batch is merged without a Python loop per row."""

from __future__ import annotations

import numpy as np

from cdap_policy.logs.columnar import Fallback

_BITS = 20  # an id fits in 20 bits: three make one int64 key
_LIMIT = 1 << _BITS


class Ids:
    """A stable id per distinct value, across batches."""

    def __init__(self):
        self.ids: dict = {}
        self.values: list = []

    def of(self, codes: np.ndarray, local_values) -> np.ndarray:
        """Ids of a batch's codes (-1, absent, stays -1)."""
        table = np.empty(len(local_values) + 1, dtype=np.int64)
        table[-1] = -1
        ids, values = self.ids, self.values
        for index, value in enumerate(local_values):
            found = ids.get(value)
            if found is None:
                found = ids[value] = len(values)
                values.append(value)
            table[index] = found
        if len(values) >= _LIMIT:
            raise Fallback("too many distinct values for the column-wise keys")
        return table[codes]


def _merge(keys: np.ndarray, new: np.ndarray, *columns):
    """`keys` (sorted) with `new` keys added, and each (old, added) column pair reordered alike."""
    merged = np.concatenate((keys, new))
    order = np.argsort(merged, kind="stable")
    return merged[order], [np.concatenate(pair)[order] for pair in columns]


class Facts:
    """Facts of each (user, profile, day), as codes into one list of values per fact."""

    def __init__(self, row_facts):
        self.row_facts = (
            row_facts  # logs.tally.RowFacts: reads only the user, the profile and the day
        )
        self.keys = np.empty(0, dtype=np.int64)
        self.codes: dict[str, np.ndarray] = {}
        self.values: dict[str, list] = {}
        self._index: dict[str, dict] = {}

    def of(self, users: np.ndarray, profiles: np.ndarray, days: np.ndarray, ids: dict) -> dict:
        key = (users << (2 * _BITS)) | (profiles << _BITS) | days
        unique = np.unique(key)
        new = unique[~np.isin(unique, self.keys, assume_unique=True)] if len(self.keys) else unique
        if len(new):
            user_values, profile_values, day_values = (
                ids["user"].values,
                ids["profile"].values,
                ids["day"].values,
            )
            row_facts = self.row_facts
            results = [
                row_facts(
                    {
                        "user": user_values[user],
                        "profile": profile_values[profile],
                        "at": day_values[day],
                    }
                )
                for user, profile, day in zip(
                    (new >> (2 * _BITS)).tolist(),
                    ((new >> _BITS) & (_LIMIT - 1)).tolist(),
                    (new & (_LIMIT - 1)).tolist(),
                    strict=True,
                )
            ]
            first = results[0].keys()
            if any(facts.keys() != first for facts in results):  # not what RowFacts gives
                raise Fallback("rows with different facts")
            names = list(first)
            added: dict[str, list] = {}
            for name in names:  # fact by fact: a code per value, in the order first met
                column = [facts[name] for facts in results]
                index = self._index.setdefault(name, {})
                values = self.values.setdefault(name, [])
                for value in dict.fromkeys(column):
                    if value not in index:
                        index[value] = len(index)
                        values.append(value)
                added[name] = list(map(index.__getitem__, column))
            names = list(added)
            old = [self.codes.get(name, np.empty(0, dtype=np.int32)) for name in names]
            self.keys, merged = _merge(
                self.keys,
                new,
                *[(o, np.array(added[n], dtype=np.int32)) for o, n in zip(old, names, strict=True)],
            )
            self.codes = dict(zip(names, merged, strict=True))
        position = np.searchsorted(self.keys, key)
        return {name: codes[position] for name, codes in self.codes.items()}
