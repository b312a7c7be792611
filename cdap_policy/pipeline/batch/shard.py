"""`--shard K/N`: the K-th of N disjoint shares of a batch, for CI matrix jobs and job arrays.

Snapshot number i (0-based, in discovery order) goes to shard i mod N + 1: the N shards are
disjoint, together they are the whole batch, their sizes differ by one at most, and every job
computes its share alone from the same listing, with no coordinator.
"""

from __future__ import annotations

import re

from cdap_policy.support.i18n import tr

_SHARD = re.compile(r"^\s*(\d{1,6})\s*/\s*(\d{1,6})\s*$")


def parse(text: str) -> tuple[int, int]:
    """'2/4' -> (2, 4); ValueError with a {fr, en} message otherwise."""
    match = _SHARD.match(text or "")
    if not match:
        raise ValueError(
            tr(
                f"{text!r} n'est pas de la forme K/N (par exemple 2/4)",
                f"{text!r} is not of the form K/N (for example 2/4)",
            )
        )
    k, n = int(match.group(1)), int(match.group(2))
    if n < 1 or not 1 <= k <= n:
        raise ValueError(tr(f"{text!r} : il faut 1 ≤ K ≤ N", f"{text!r}: 1 ≤ K ≤ N is required"))
    return k, n


def select(items: list, k: int, n: int) -> list:
    return items[k - 1 :: n]
