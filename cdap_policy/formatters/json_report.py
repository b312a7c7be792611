"""The JSON report: the contract that CI, baselines and the annual diff rely on."""
from __future__ import annotations

import json

from cdap_policy.findings import Report


def render(report: Report, lang: str = "fr", include_passed: bool = False, **_) -> str:
    # sort_keys + fixed separators: the same input gives the same bytes
    return json.dumps(report.to_dict(include_passed), ensure_ascii=False, indent=2, sort_keys=True) + "\n"
