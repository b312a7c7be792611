"""JSON Lines: one report per line, each the same object as `--format json` gives for one
snapshot (keys sorted, UTF-8), so a batch of 10,000 partners is written report by report and
read back line by line (`jq -c`, pandas, a log pipeline) without holding them all.

A line ends only where a report ends: JSON escapes control characters, and U+2028/U+2029,
which JSON allows raw but which some line readers (Python's str.splitlines, JavaScript) take
for line ends, are escaped too.
"""

from __future__ import annotations

import json

from cdap_policy.formatters import stream

STREAMS = True
JOINER = stream.Joiner  # every line ends itself


def line(report, options) -> str:
    text = json.dumps(
        report.to_dict(options.include_passed),
        ensure_ascii=False,
        sort_keys=True,
        separators=(",", ":"),
    )
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029") + "\n"


item = line  # a streamed report is its line


def render(reports: list, options) -> str:
    return "".join(line(r, options) for r in reports)
