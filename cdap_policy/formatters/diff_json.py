"""The diff of two reports as JSON: the contract an annual-review tool or a CI step reads.

Top-level keys (sorted; the same inputs give the same bytes):
`tool {name, version}`, `fingerprint_version`, `files {old, new}` (the two report files),
`reports {old, new}` (each report's header: everything but its findings), `pack {old, new,
changed, rules_added, rules_removed}`, `notices [{code, level, message {fr, en}}]`,
`summary {new, absent, unchanged, updated, new_rule, rule_removed, by_family {FAMILY: {new,
absent, unchanged, updated}}}`, and the four classes: `new`, `absent`, `unchanged` (findings
as in the report, plus `pack_change`: `new_rule`, `rule_removed` or null) and `updated`
(`[{before, after, changes}]`, `changes` naming `severity`, `status` or `evidence.<name>`).
"""

from __future__ import annotations

import json


def render(diff, options) -> str:
    return json.dumps(diff.to_dict(), ensure_ascii=False, indent=2, sort_keys=True) + "\n"
