"""Output formats: pure functions from a list of reports to text, one module per format.

Each module has `render(reports, options) -> str` and may set `NEEDS_PASSED = True` when it
needs every outcome, not only the failures, and `SHOWS_UNREADABLE = True` when it reports the
files that could not be checked (`options.unreadable`): a CI consumer must never read a clean
result from a run that could not read its input.
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
    "codequality": "codequality",
    "github": "github",
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
    unreadable: tuple = ()  # findings.Unreadable: files that could not be checked (SARIF, JUnit, Code Quality, github)
    shard: tuple | None = None  # (K, N) of --shard: SARIF's category names it, so shards do not replace each other


def module(fmt: str):
    return importlib.import_module(f"cdap_policy.formatters.{REPORT_FORMATS[fmt]}")


def needs_passed(fmt: str) -> bool:
    return bool(getattr(module(fmt), "NEEDS_PASSED", False))


def shows_unreadable(fmt: str) -> bool:
    """Does this format carry the files that could not be checked (`SHOWS_UNREADABLE`), so that it
    is written even when no snapshot could be checked at all?"""
    return bool(getattr(module(fmt), "SHOWS_UNREADABLE", False))


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
