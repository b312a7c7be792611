"""Output formats: pure functions from a list of reports to text, one module per format.

Each module has `render(reports, options) -> str` and may set `NEEDS_PASSED = True` when it
needs every outcome (a JUnit test case per rule and entity checked), not only the failures.
Modules are imported on demand: a command pays only for the format it writes.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass

# format name -> module under cdap_policy.formatters
REPORT_FORMATS = {
    "table": "table",
    "json": "json_report",
    "jsonl": "jsonl",
    "sarif": "sarif",
    "junit": "junit",
    "markdown": "markdown",
    "html": "html",
    "oscal": "oscal",
}


@dataclass(frozen=True)
class FormatOptions:
    lang: str = "fr"
    include_passed: bool = False  # list passing and not-applicable outcomes too
    color: bool = False
    width: int = 100  # terminal columns (table)
    srcroot: str | None = None  # repository root: SARIF and JUnit give snapshot paths relative to it
    summary: object = None  # a batch.summary.Summary: the batch's summary (table, Markdown, HTML)


def module(fmt: str):
    return importlib.import_module(f"cdap_policy.formatters.{REPORT_FORMATS[fmt]}")


def needs_passed(fmt: str) -> bool:
    return bool(getattr(module(fmt), "NEEDS_PASSED", False))


def render(fmt: str, reports: list, options: FormatOptions) -> str:
    return module(fmt).render(list(reports), options)


# `cdap-policy diff`: format name -> module rendering a compare.diff.Diff
DIFF_FORMATS = {
    "table": "diff_table",
    "markdown": "diff_markdown",
    "json": "diff_json",
}


def render_diff(fmt: str, diff, options: FormatOptions) -> str:
    return importlib.import_module(f"cdap_policy.formatters.{DIFF_FORMATS[fmt]}").render(diff, options)
