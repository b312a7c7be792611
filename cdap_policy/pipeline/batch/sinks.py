"""Where a batch's reports go: written one by one as they come for a format that streams (table,
json, jsonl), or held until the end for the formats that are one document (SARIF, JUnit,
Markdown, HTML, OSCAL — memory then grows with the batch: ~80 KB per 400-user report). The batch
summary goes in the formats that show it (table, Markdown, HTML). Each format says which it is
(formatters: STREAMS, SHOWS_BATCH_SUMMARY). Nothing reaches a file before `finish`: a failed or
interrupted run leaves the old report as it was.
"""

from __future__ import annotations

import dataclasses

from cdap_policy import formatters
from cdap_policy.support import output as out


class Sink:
    def __init__(self, fmt: str, output, format_options, with_summary: bool, redact_line=None):
        self.fmt, self.format_options, self.with_summary = fmt, format_options, with_summary
        self.streamed = formatters.streams(fmt)
        self._joiner = (
            formatters.joiner(fmt) if self.streamed else None
        )  # set exactly when streamed
        self._reports: list = []
        self._unreadable: list = []  # evaluate.findings.Unreadable, for the formats that show them
        self._redact_line = redact_line  # --redact: masks error lines as on standard error
        self._output = output
        self._destination: out.Destination | None = None
        self.count = 0

    def _write(self, text: str) -> None:
        if not text:
            return
        if self._destination is None:  # opened with the first text: an empty batch creates nothing
            self._destination = out.Destination(self._output)
        self._destination.write(text)

    def add(self, outcome) -> None:
        """A checked snapshot's report (unreadable ones are not reports)."""
        self.count += 1
        if self._joiner is not None:
            self._write(self._joiner.add(outcome.text))
        else:
            self._reports.append(outcome.report)

    def add_unreadable(self, outcome) -> None:
        """A snapshot that could not be checked: kept for the formats that show it."""
        if not self.streamed:
            from cdap_policy.evaluate.findings import Unreadable

            self._unreadable.append(
                Unreadable.of(outcome.path, outcome.problems, outcome.internal, self._redact_line)
            )

    def finish(self, summary) -> None:
        """Write what is left, then replace the output file. With no report at all, nothing is
        written (not even an empty-looking report) — except in a format that says which files
        could not be checked: a CI step must not publish an older, clean result."""
        if self.count == 0 and not (self._unreadable and formatters.shows_unreadable(self.fmt)):
            self.abort()
            return
        show = summary if self.with_summary and formatters.shows_batch_summary(self.fmt) else None
        if self._joiner is not None:
            self._write(self._joiner.end())
            if show is not None:
                self._write(formatters.summary_after(self.fmt, show, self.format_options))
        else:
            options = dataclasses.replace(
                self.format_options, summary=show, unreadable=tuple(self._unreadable)
            )
            self._write(formatters.render(self.fmt, self._reports, options))
            self._reports, self._unreadable = [], []
        if self._destination is not None:
            self._destination.commit()

    def abort(self) -> None:
        if self._destination is not None:
            self._destination.abort()
        self._reports, self._unreadable = [], []
