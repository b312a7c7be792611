"""The JSON report: the contract that CI, baselines and the annual diff rely on.

One snapshot gives one report object; several give a list of them. Streamed in a batch: each
report's object is written as it comes, and the list is built around them (stream.ObjectOrList).
"""

from __future__ import annotations

import json

from cdap_policy.formatters import stream

STREAMS = True
JOINER = stream.ObjectOrList


def item(report, options) -> str:
    """One report's object: sort_keys and fixed separators, so the same input gives
    the same bytes.
    """
    return json.dumps(
        report.to_dict(options.include_passed), ensure_ascii=False, indent=2, sort_keys=True
    )


def render(reports: list, options) -> str:
    if not reports:
        return "[]\n"
    joiner = JOINER()
    return "".join(joiner.add(item(r, options)) for r in reports) + joiner.end()
