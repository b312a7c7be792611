"""How a format written one report at a time in a batch joins its reports: each report is rendered
alone (the format module's `item`, in the worker that checked it) and the pieces are joined here
to the very bytes its `render` gives for the whole list, so streaming changes memory, never output.

A format module that streams says so (`STREAMS = True`) and names its joiner (`JOINER`, one of the
classes below); no format is named here. The other formats hold every report until the end (SARIF
and JUnit name every run in one document, Markdown fits a comment, HTML is one page).
"""

from __future__ import annotations


class Joiner:
    """Turns the items of one format, in order, into output text: each item as it is (JSON
    Lines: every item ends its own line). No I/O: `add` and `end` return what to write."""

    def __init__(self):
        self.count = 0

    def add(self, text: str) -> str:
        self.count += 1
        return text

    def end(self) -> str:
        return ""


class Separated(Joiner):
    """Items one after the other, a blank line between two (the terminal table)."""

    def add(self, text: str) -> str:
        self.count += 1
        return text if self.count == 1 else "\n" + text


class ObjectOrList(Joiner):
    """JSON: an object for one report, a list of them for several, as json.dumps(..., indent=2)
    writes them; the first item is held until a second one (or the end) says which."""

    def __init__(self):
        super().__init__()
        self._held = ""  # the first report, held until a second one comes

    def add(self, text: str) -> str:
        self.count += 1
        if self.count == 1:
            self._held = text
            return ""
        out = ("[\n" + _indent(self._held) if self.count == 2 else "") + ",\n" + _indent(text)
        self._held = ""
        return out

    def end(self) -> str:
        if self.count == 0:
            return ""
        return self._held + "\n" if self.count == 1 else "\n]\n"


def _indent(text: str) -> str:
    # json.dumps(list, indent=2) is each element's own dump indented by two spaces: JSON
    # strings never hold a raw newline, so every line break is structure
    return "  " + text.replace("\n", "\n  ")
