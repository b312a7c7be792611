"""The JSON report: the contract that CI, baselines and the annual diff rely on.

One snapshot gives one report object; several give a list of them.
"""
from __future__ import annotations

import json


def render(reports: list, options) -> str:
    payload = [r.to_dict(options.include_passed) for r in reports]
    # sort_keys + fixed separators: the same input gives the same bytes
    return json.dumps(payload[0] if len(payload) == 1 else payload, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
