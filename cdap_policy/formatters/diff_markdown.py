"""The diff of two reports as Markdown (annual-review minutes, a pull-request comment): the same
sections as the table, every value escaped so that it renders as itself."""

from __future__ import annotations

from cdap_policy.formatters import diff_text as d
from cdap_policy.formatters.common import md_escape
from cdap_policy.support.i18n import pick

MAX_CELL = 600  # characters of one message in a cell


def _row(cells) -> str:
    return "| " + " | ".join(cells) + " |"


def render(diff, options) -> str:
    lang = options.lang
    out = [f"## {md_escape(d.partner_line(diff, lang), line_start=False)}", ""]
    out += [
        f"- {md_escape(d.side_line(diff, side, lang), line_start=False)}" for side in ("old", "new")
    ]
    out += [f"- {md_escape(line, line_start=False)}" for line in d.notice_lines(diff, lang)]
    out += ["", md_escape(d.summary_line(diff, lang)), ""]
    rows = d.family_rows(diff, lang)
    if rows:
        out += [
            _row(pick(c, lang) for c in d.COLUMNS["family"]),
            _row(["---"] + ["---:"] * len(d.ORDER)),
        ]
        out += [_row(md_escape(cell, line_start=False) for cell in row) for row in rows]
        out.append("")
    classes = diff.classes()
    for name in d.ORDER:
        items = classes[name]
        if not items:
            continue
        out += [
            f"### {md_escape(pick(d.HEADINGS[name], lang), line_start=False)} ({len(items)})",
            "",
        ]
        out += [_row(pick(c, lang) for c in d.COLUMNS["finding"]), _row(["---"] * 4)]
        for item in items:
            finding = item["after"] if name == "updated" else item
            body = md_escape(d.message_text(finding, lang), MAX_CELL, line_start=False)
            if name == "updated":
                body += " *(" + md_escape(d.change_text(item, lang), line_start=False) + ")*"
            out.append(
                _row(
                    [
                        md_escape(d.severity_status(finding, lang), line_start=False),
                        md_escape(d.rule_text(finding, lang), line_start=False),
                        md_escape(
                            f"{d.entity_text(finding)} ({d.location_text(finding)})",
                            line_start=False,
                        ),
                        body,
                    ]
                )
            )
        out.append("")
    return "\n".join(out).rstrip("\n") + "\n"
