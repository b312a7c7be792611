"""Output formats: pure functions from a list of reports to text, one module per format. The step
after report: formatters read findings and reports (evaluate.findings) and never load, evaluate or
write anything.

Each module has `render(reports, options) -> str` and declares what it is by module constants,
read here; nothing outside this package names a format to decide what to do with it:
- `NEEDS_PASSED = True`: it needs every outcome, not only the failures;
- `SHOWS_UNREADABLE = True`: it reports the files that could not be checked (`options.unreadable`):
  a CI consumer must never read a clean result from a run that could not read its input;
- `STREAMS = True`: a batch writes it one report at a time, each rendered alone by `item(report,
  options)` and joined by its `JOINER` (formatters.stream);
- `SHOWS_BATCH_SUMMARY = True`: a batch's summary goes in it, given in `options.summary` or, for a
  streamed format, written after the reports by its `summary_after(summary, options)`.
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
    srcroot: str | None = (
        None  # repository root: SARIF and JUnit give snapshot paths relative to it
    )
    summary: object = (
        None  # a pipeline.batch.summary.Summary: the batch's summary (table, Markdown, HTML)
    )
    # evaluate.findings.Unreadable: files that could not be checked (SARIF, JUnit, Code
    # Quality, github)
    unreadable: tuple = ()
    shard: tuple | None = (
        None  # (K, N) of --shard: SARIF's category names it, so shards do not replace each other
    )


def module(fmt: str):
    return importlib.import_module(f"cdap_policy.formatters.{REPORT_FORMATS[fmt]}")


def needs_passed(fmt: str) -> bool:
    return bool(getattr(module(fmt), "NEEDS_PASSED", False))


def shows_unreadable(fmt: str) -> bool:
    """Does this format carry the files that could not be checked (`SHOWS_UNREADABLE`), so that it
    is written even when no snapshot could be checked at all?"""
    return bool(getattr(module(fmt), "SHOWS_UNREADABLE", False))


def streams(fmt: str) -> bool:
    """Is this format written one report at a time in a batch (`STREAMS`)?"""
    return bool(getattr(module(fmt), "STREAMS", False))


def shows_batch_summary(fmt: str) -> bool:
    """Does a batch's summary go in this format (`SHOWS_BATCH_SUMMARY`)?"""
    return bool(getattr(module(fmt), "SHOWS_BATCH_SUMMARY", False))


def item(fmt: str, report, options: FormatOptions) -> str:
    """One report of a streamed format, rendered alone."""
    return module(fmt).item(report, options)


def joiner(fmt: str):
    """What joins the items of a streamed format (a formatters.stream.Joiner)."""
    return module(fmt).JOINER()


def summary_after(fmt: str, summary, options: FormatOptions) -> str:
    """A batch's summary, written after the reports of a streamed format that shows it."""
    return module(fmt).summary_after(summary, options)


def render(fmt: str, reports: list, options: FormatOptions) -> str:
    return module(fmt).render(list(reports), options)


# `cdap-policy diff`: format name -> module rendering a report.diff.Diff
DIFF_FORMATS = {
    "table": "diff_table",
    "markdown": "diff_markdown",
    "json": "diff_json",
}


def render_diff(fmt: str, diff, options: FormatOptions) -> str:
    return importlib.import_module(f"cdap_policy.formatters.{DIFF_FORMATS[fmt]}").render(
        diff, options
    )
