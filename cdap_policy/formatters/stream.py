"""Formats written one report at a time in a batch (`table`, `json`, `jsonl`): each report is
rendered alone (`item`, in the worker that checked it) and the pieces are joined here to the
very bytes `render` gives for the whole list, so streaming changes memory, never output.

The other formats hold every report until the end (SARIF and JUnit name every run in one
document, Markdown fits a comment, HTML is one page).
"""
from __future__ import annotations

import json

STREAMED = ("table", "json", "jsonl")


def streamed(fmt: str) -> bool:
    return fmt in STREAMED


def item(fmt: str, report, options) -> str:
    if fmt == "jsonl":
        from cdap_policy.formatters.jsonl import line

        return line(report, options)
    if fmt == "json":
        return json.dumps(report.to_dict(options.include_passed), ensure_ascii=False, indent=2, sort_keys=True)
    from cdap_policy.formatters.table import render_one

    return render_one(report, options.lang, options.include_passed, options.width, options.color)


class Joiner:
    """Turns the items of one format, in order, into output text. No I/O: `add` and `end`
    return what to write. JSON gives an object for one report and a list for several, so its
    first item is held until a second one (or the end) says which."""

    def __init__(self, fmt: str):
        self.fmt, self.count, self._held = fmt, 0, ""  # the first JSON report, held until a second one comes

    def add(self, text: str) -> str:
        self.count += 1
        if self.fmt == "jsonl":
            return text
        if self.fmt == "table":
            return text if self.count == 1 else "\n" + text
        if self.count == 1:
            self._held = text
            return ""
        out = ("[\n" + _indent(self._held) if self.count == 2 else "") + ",\n" + _indent(text)
        self._held = ""
        return out

    def end(self) -> str:
        if self.fmt != "json" or self.count == 0:
            return ""
        return self._held + "\n" if self.count == 1 else "\n]\n"


def _indent(text: str) -> str:
    # json.dumps(list, indent=2) is each element's own dump indented by two spaces: JSON
    # strings never hold a raw newline, so every line break is structure
    return "  " + text.replace("\n", "\n  ")
