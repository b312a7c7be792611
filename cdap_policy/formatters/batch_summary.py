"""The end of a batch: what every partner's reports add up to, by family, by rule and by
partner, and which snapshots could not be read — as a terminal table, as Markdown, and as the
plain values the HTML page shows. Values from the input (partner names, files, error lines)
are data: escaped, never markup.
"""

from __future__ import annotations

import io

from cdap_policy.evaluate.findings import SEVERITY_RANK
from cdap_policy.formatters import common as c
from cdap_policy.support.i18n import pick, tr
from cdap_policy.support.textsafe import printable

MAX_PARTNERS = 25  # the most exposed partners listed; the others are counted
MAX_UNREADABLE = 50  # every one is also on standard error as it happens

_L = {
    "title": tr("Synthèse du lot", "Batch summary"),
    "families": tr("Par famille", "By family"),
    "rules": tr("Par règle", "By rule"),
    "partners": tr("Par partenaire", "By partner"),
    "unreadable": tr("Instantanés illisibles", "Unreadable snapshots"),
    "family": tr("Famille", "Family"),
    "rule": tr("Règle", "Rule"),
    "severity": tr("Gravité", "Severity"),
    "fail": tr("Échecs", "Failures"),
    "error": tr("Erreurs", "Errors"),
    "waived": tr("Dérogés", "Waived"),
    "partners_count": tr("Partenaires", "Partners"),
    "partner": tr("Partenaire", "Partner"),
    "file": tr("Fichier", "File"),
    "exit": tr("Code", "Exit"),
    "none": tr(
        "Aucun constat en échec, en erreur ou dérogé.", "No failing, error or waived finding."
    ),
}


def _label(key: str, lang: str) -> str:
    return pick(_L[key], lang)


def headline(summary, lang: str, with_exit: bool = True) -> str:
    n = lambda v: c.number(v, lang)  # noqa: E731
    unreadable = len(summary.unreadable)
    if not with_exit:  # a printed page for people: the exit code is for the pipeline
        return pick(
            tr(
                f"{n(summary.snapshots)} instantané(s) : {n(summary.checked)} vérifié(s),"
                f" {n(unreadable)} illisible(s)",
                f"{n(summary.snapshots)} snapshot(s): {n(summary.checked)} checked, {n(unreadable)}"
                " unreadable",
            ),
            lang,
        )
    return pick(
        tr(
            f"{n(summary.snapshots)} instantané(s) : {n(summary.checked)} vérifié(s),"
            f" {n(unreadable)} illisible(s) ; code de sortie {summary.exit_code}",
            f"{n(summary.snapshots)} snapshot(s): {n(summary.checked)} checked, {n(unreadable)}"
            f" unreadable; exit code {summary.exit_code}",
        ),
        lang,
    )


def severity_line(summary, lang: str) -> str:
    counts = summary.failing_by_severity()
    parts = ", ".join(
        f"{pick(c.SEVERITY_NAMES[s], lang)} {c.number(counts[s], lang)}" for s in SEVERITY_RANK
    )
    return f"{c.colon(tr('Échecs par gravité', 'Failures by severity'), lang)} {parts}"


def partners_note(summary, lang: str) -> str:
    listed = summary.worst_partners()
    shown = min(len(listed), MAX_PARTNERS)
    return pick(
        tr(
            f"les {shown} plus exposés sur {c.number(len(listed), 'fr')} partenaire(s) avec"
            " constats",
            f"the {shown} most exposed of {c.number(len(listed), 'en')} partner(s) with findings",
        ),
        lang,
    )


def rows(summary, lang: str) -> dict:
    """The summary's tables as rows of plain text, shared by every rendering."""
    families = [
        [
            code,
            c.family_name(code, lang) if code else "—",
            counts["fail"],
            counts["error"],
            counts["waived"],
            counts["partners"],
        ]
        for code, counts in sorted(summary.by_family.items(), key=lambda kv: c.family_rank(kv[0]))
    ]
    rules = [
        [
            rule_id,
            counts["family"],
            pick(c.SEVERITY_NAMES.get(counts["severity"], counts["severity"]), lang),
            counts["fail"],
            counts["error"],
            counts["waived"],
            counts["partners"],
        ]
        for rule_id, counts in summary.rules()
    ]
    partners = [
        [
            printable(p["partner"], 120),
            printable(p["file"], 200),
            *(p["failing_by_severity"].get(s, 0) for s in SEVERITY_RANK),
            p["errors"],
            p["exit_code"],
        ]
        for p in summary.worst_partners()[:MAX_PARTNERS]
    ]
    unreadable = [
        [
            printable(pick(u["first"], lang), 400) if u["first"] else printable(u["file"], 200),
            u["problems"],
        ]
        for u in summary.unreadable[:MAX_UNREADABLE]
    ]
    return {"families": families, "rules": rules, "partners": partners, "unreadable": unreadable}


def heads(lang: str) -> dict:
    L = lambda k: _label(k, lang)  # noqa: E731
    return {
        "families": [L("family"), "", L("fail"), L("error"), L("waived"), L("partners_count")],
        "rules": [
            L("rule"),
            L("family"),
            L("severity"),
            L("fail"),
            L("error"),
            L("waived"),
            L("partners_count"),
        ],
        "partners": [
            L("partner"),
            L("file"),
            *(pick(c.SEVERITY_NAMES[s], lang) for s in SEVERITY_RANK),
            L("error"),
            L("exit"),
        ],
        "unreadable": [
            pick(tr("Premier problème", "First problem"), lang),
            pick(tr("Problèmes", "Problems"), lang),
        ],
    }


def _more(total: int, shown: int, lang: str) -> str:
    return pick(
        tr(
            f"… et {c.number(total - shown, 'fr')} autre(s)",
            f"… and {c.number(total - shown, 'en')} more",
        ),
        lang,
    )


# -- terminal -------------------------------------------------------------------------------------

WIDE = 120  # columns from which the summary is tables; below (a pipe, a CI log), lines


def table(summary, options) -> str:
    from rich.console import Console
    from rich.text import Text

    lang = options.lang
    buffer = io.StringIO()
    console = Console(
        file=buffer,
        width=options.width,
        force_terminal=options.color,
        no_color=not options.color,
        highlight=False,
        color_system="standard" if options.color else None,
        soft_wrap=False,
    )
    console.print(
        Text(f"{_label('title', lang)} — {headline(summary, lang)}", style="bold"), overflow="fold"
    )
    console.print(Text(severity_line(summary, lang)), overflow="fold")
    data, head = rows(summary, lang), heads(lang)
    if not data["rules"]:
        console.print(Text(_label("none", lang)))
    for key, title in _sections(summary, lang):
        if not data[key]:
            continue
        console.print()
        if options.width >= WIDE:
            _grid(console, title, head[key], data[key])
        else:
            _lines(console, title, head[key], data[key], options.width, lang)
        if key == "unreadable" and len(summary.unreadable) > MAX_UNREADABLE:
            console.print(Text(_more(len(summary.unreadable), MAX_UNREADABLE, lang)))
    return buffer.getvalue()


def _sections(summary, lang: str) -> list[tuple[str, str]]:
    return [
        ("families", _label("families", lang)),
        ("rules", _label("rules", lang)),
        ("partners", f"{_label('partners', lang)} ({partners_note(summary, lang)})"),
        ("unreadable", f"{_label('unreadable', lang)} ({c.number(len(summary.unreadable), lang)})"),
    ]


def _grid(console, title: str, head: list, rows_: list) -> None:
    from rich.table import Table
    from rich.text import Text

    grid = Table(title=Text(title, style="bold"), title_justify="left", expand=False)
    for index, name in enumerate(head):
        numeric = isinstance(rows_[0][index], int)
        grid.add_column(
            Text(name), justify="right" if numeric else "left", overflow="fold", no_wrap=numeric
        )
    for row in rows_:
        grid.add_row(*(Text(str(cell)) for cell in row))  # Text: data, never markup
    console.print(grid)


def _lines(console, title: str, head: list, rows_: list, width: int, lang: str) -> None:
    """One entry per row: its names, then the counts that are not zero; wrapped, never cut."""
    import textwrap

    from rich.text import Text

    wrap = textwrap.TextWrapper(
        width=max(40, width - 1),
        initial_indent="  ",
        subsequent_indent="    ",
        break_long_words=False,
        break_on_hyphens=False,
    )
    console.print(Text(title, style="bold"), overflow="fold")
    for row in rows_:
        words = " — ".join(str(v) for v in row if not isinstance(v, int) and v != "")
        counts = ", ".join(
            f"{h.lower() if h[:1].isupper() and not h[1:2].isupper() else h} {v}"
            for h, v in zip(head, row, strict=True)
            if isinstance(v, int) and v and h
        )
        text = f"{words}{' :' if lang == 'fr' else ':'} {counts}" if counts else words
        console.print(Text(wrap.fill(text)), overflow="ignore", crop=False)


# -- Markdown -------------------------------------------------------------------------------------


def markdown(summary, options) -> str:
    lang = options.lang
    data, head = rows(summary, lang), heads(lang)
    out = [
        f"## {_label('title', lang)}",
        "",
        c.md_escape(headline(summary, lang)),
        "",
        c.md_escape(severity_line(summary, lang)),
        "",
    ]
    if not data["rules"]:
        out += [_label("none", lang), ""]
    sections = [
        ("families", _label("families", lang)),
        ("rules", _label("rules", lang)),
        ("partners", f"{_label('partners', lang)} ({partners_note(summary, lang)})"),
        ("unreadable", f"{_label('unreadable', lang)} ({c.number(len(summary.unreadable), lang)})"),
    ]
    for key, title in sections:
        if not data[key]:
            continue
        numeric = [isinstance(v, int) for v in data[key][0]]
        out += [
            f"### {c.md_escape(title, line_start=False)}",
            "",
            "| " + " | ".join(c.md_escape(h, line_start=False) or " " for h in head[key]) + " |",
            "|" + "|".join("---:" if n else "---" for n in numeric) + "|",
        ]
        out += [
            "| "
            + " | ".join(
                (
                    str(v)
                    if isinstance(v, int)
                    else (
                        f"`{_code(v)}`"
                        if key == "rules" and i == 0
                        else c.md_escape(v, line_start=False)
                    )
                )
                for i, v in enumerate(row)
            )
            + " |"
            for row in data[key]
        ]
        if key == "unreadable" and len(summary.unreadable) > MAX_UNREADABLE:
            out += ["", c.md_escape(_more(len(summary.unreadable), MAX_UNREADABLE, lang))]
        out.append("")
    return "\n".join(out) + "\n"


def _code(value: str) -> str:
    return printable(value, 300).replace("`", "'")


# -- HTML (values for the template, which escapes them)
# ---------------------------------------------


def html_context(summary, lang: str) -> dict:
    data, head = rows(summary, lang), heads(lang)
    # people read this page: files as plain paths, no exit code column
    data["partners"] = [[row[0], c.uri_to_path(row[1]), *row[2:-1]] for row in data["partners"]]
    head["partners"] = head["partners"][:-1]
    sections = [
        {"title": _label("families", lang), "head": head["families"], "rows": data["families"]},
        {"title": _label("rules", lang), "head": head["rules"], "rows": data["rules"]},
        {
            "title": f"{_label('partners', lang)} ({partners_note(summary, lang)})",
            "head": head["partners"],
            "rows": data["partners"],
        },
        {
            "title": f"{_label('unreadable', lang)} ({c.number(len(summary.unreadable), lang)})",
            "head": head["unreadable"],
            "rows": data["unreadable"],
        },
    ]
    return {
        "title": _label("title", lang),
        "headline": headline(summary, lang, with_exit=False),
        "severities": severity_line(summary, lang),
        "none": _label("none", lang) if not data["rules"] else "",
        "sections": [
            dict(s, numeric=[isinstance(v, int) for v in s["rows"][0]])
            for s in sections
            if s["rows"]
        ],
    }
