"""The diff of two reports as tables for a terminal: counts per family, then each class."""

from __future__ import annotations

import io

from rich.console import Console
from rich.table import Table
from rich.text import Text

from cdap_policy.formatters import diff_text as d
from cdap_policy.support.i18n import pick
from cdap_policy.support.textsafe import printable

_STYLE = {"critical": "bold red", "high": "red", "medium": "yellow", "low": "cyan", "info": "dim"}


def _t(value) -> Text:
    return Text(printable(value, keep_newlines=True))  # data from the input: escaped, never markup


def render(diff, options) -> str:
    lang = options.lang
    buffer = io.StringIO()
    console = Console(
        file=buffer,
        width=options.width,
        force_terminal=options.color,
        no_color=not options.color,
        highlight=False,
    )
    console.print(_t(d.partner_line(diff, lang)), style="bold")
    for side in ("old", "new"):
        console.print(_t(d.side_line(diff, side, lang)))
    for line in d.notice_lines(diff, lang):
        console.print(_t(line))
    families = Table(title=pick(d.BY_FAMILY, lang), show_header=True)
    for index, column in enumerate(d.COLUMNS["family"]):
        families.add_column(pick(column, lang), justify="left" if index == 0 else "right")
    for row in d.family_rows(diff, lang):
        families.add_row(*(_t(cell) for cell in row))
    if families.row_count:
        console.print(families)
    classes = diff.classes()
    for name in d.ORDER:
        items = classes[name]
        if not items:
            continue
        table = Table(
            title=f"{pick(d.HEADINGS[name], lang)} ({len(items)})", show_lines=True, expand=True
        )
        # rule and entity share a column that folds (long keys, paths): the message gets the room
        for index, column in enumerate(d.COLUMNS["terminal"]):
            table.add_column(
                pick(column, lang),
                overflow="fold",
                no_wrap=index == 0,
                max_width=42 if index == 1 else None,
                ratio=1 if index == 2 else None,
            )
        for item in items:
            finding = item["after"] if name == "updated" else item
            body = _t(d.message_text(finding, lang))
            if name == "updated":
                body.append("\n" + printable(d.change_text(item, lang)), style="italic")
            table.add_row(
                Text(
                    printable(d.severity_status(finding, lang)),
                    style=_STYLE.get(finding.get("severity"), ""),
                ),
                _t(
                    "\n".join(
                        (
                            d.rule_text(finding, lang),
                            d.entity_text(finding),
                            d.location_text(finding),
                        )
                    )
                ),
                body,
            )
        console.print(table)
    console.print(_t(d.summary_line(diff, lang)))
    return buffer.getvalue()
