"""Human-readable report for a terminal, in the auditor's language.

Each report starts with what it is about (tool and pack versions, snapshot file, partner,
framework, edition, date and why that date), then its notices, then the findings: a table on a
wide terminal, a list that reads at 80 columns on a narrow one or in a pipe. Values from the
input are data, never markup, and are escaped.
"""

from __future__ import annotations

import io
import textwrap

from rich.console import Console
from rich.table import Table
from rich.text import Text

from cdap_policy.evaluate.findings import Report
from cdap_policy.formatters import common as c
from cdap_policy.formatters import history, stream
from cdap_policy.support.i18n import pick, tr
from cdap_policy.support.textsafe import printable

STREAMS = True
JOINER = stream.Separated
SHOWS_BATCH_SUMMARY = True  # after the reports (`summary_after`)
WIDE = 120  # columns from which findings are a table; below, a list
_STYLE = {"critical": "bold red", "high": "red", "medium": "yellow", "low": "cyan", "info": "dim"}
_HEAD = {
    "fr": ("Gravité", "Règle", "Entité", "Constat et action"),
    "en": ("Severity", "Rule", "Entity", "Finding and action"),
}
_AS_OF_SOURCE = {
    "option": tr("date donnée par --as-of", "date given with --as-of"),
    "today": tr("aujourd'hui, faute de --as-of", "today, as no --as-of was given"),
}


def render(reports: list[Report], options) -> str:
    return "\n".join(item(r, options) for r in reports)


def item(report: Report, options) -> str:
    return render_one(report, options.lang, options.include_passed, options.width, options.color)


def summary_after(summary, options) -> str:
    """A batch's summary, written after its streamed reports."""
    from cdap_policy.formatters.batch_summary import table

    return "\n" + table(summary, options)


def _t(text: dict | str, lang: str) -> str:
    return printable(pick(text, lang))


def header(report: Report, lang: str) -> list[tuple[str, str]]:
    """(text, style) lines naming what the report is about."""
    stage = c.stage_text(report, lang)
    framework = pick(c.FRAMEWORK_NAMES.get(report.framework, report.framework), lang)
    siret = f" — SIRET {report.siret}" if report.siret else ""
    lines = [
        (f"{report.partner}{siret}", "bold"),
        (
            pick(
                tr(
                    f"Instantané {report.snapshot_file} — cdap-policy {report.tool_version}, paquet"
                    f" {report.pack_name} {report.pack_version}",
                    f"Snapshot {report.snapshot_file} — cdap-policy {report.tool_version}, pack "
                    f"{report.pack_name} {report.pack_version}",
                ),
                lang,
            ),
            "",
        ),
        (
            pick(
                tr(
                    f"Cadre {framework}, bulletin {report.edition}, étape {stage}",
                    f"Framework {framework}, bulletin {report.edition}, stage {stage}",
                ),
                lang,
            ),
            "",
        ),
        (
            pick(
                tr(
                    f"Évalué au {report.as_of}"
                    f" ({pick(_AS_OF_SOURCE.get(report.as_of_source, ''), 'fr')})",
                    f"Evaluated as of {report.as_of}"
                    f" ({pick(_AS_OF_SOURCE.get(report.as_of_source, ''), 'en')})",
                ),
                lang,
            ),
            "",
        ),
    ]
    return [(printable(text), style) for text, style in lines]


def _rules_line(report: Report, lang: str) -> str:
    """How many rules ran and why the others did not: « 101 règles sur 108 (7 d'une autre édition)
    ».
    """
    excluded = ", ".join(
        f"{n} : {pick(c.EXCLUSION_NAMES.get(k, k), 'fr')}"
        for k, n in sorted(report.rules_excluded.items())
    )
    excluded_en = ", ".join(
        f"{n}: {pick(c.EXCLUSION_NAMES.get(k, k), 'en')}"
        for k, n in sorted(report.rules_excluded.items())
    )
    total = report.rules_total or report.rules_run
    return pick(
        tr(
            f"{report.rules_run} règle(s) appliquée(s) sur {total}"
            + (f" (non appliquées — {excluded})" if excluded else ""),
            f"{report.rules_run} rule(s) applied out of {total}"
            + (f" (not applied — {excluded_en})" if excluded_en else ""),
        ),
        lang,
    )


def summary(report: Report, lang: str) -> str:
    s = report.summary()["by_status"]
    counts = pick(
        tr(
            f"{s['fail']} échec(s), {s['error']} erreur(s), {s['waived']} dérogé(s), {s['pass']}"
            f" contrôle(s) conforme(s), {s['not_applicable']} non applicable(s)",
            f"{s['fail']} failure(s), {s['error']} error(s), {s['waived']} waived, {s['pass']}"
            f" passing check(s), {s['not_applicable']} not applicable",
        ),
        lang,
    )
    return printable(
        f"{counts} ; {_rules_line(report, lang)}."
        if lang == "fr"
        else f"{counts}; {_rules_line(report, lang)}."
    )


def _refs(f) -> str:
    return "; ".join(f"{r['document']} {r['article']}" for r in f.references)


def _status(f, lang: str) -> str:
    return (
        f"{pick(c.STATUS_NAMES[f.status], lang).upper()} ·"
        f" {pick(c.SEVERITY_NAMES[f.severity], lang)}"
    )


def _related_note(others, lang: str) -> str:
    names = ", ".join(f"{f.rule_id} ({f.entity_kind} {f.entity_key})" for f in others[:6]) + (
        "…" if len(others) > 6 else ""
    )
    return printable(pick(tr(f"↔ même cause que : {names}", f"↔ same cause as: {names}"), lang))


def _wide(console: Console, findings, lang: str, notes: dict):
    table = Table(show_lines=True, expand=True)
    table.add_column(_HEAD[lang][0], no_wrap=True)
    table.add_column(_HEAD[lang][1], overflow="fold", max_width=34)
    table.add_column(_HEAD[lang][2], overflow="fold", max_width=40)
    table.add_column(_HEAD[lang][3], overflow="fold", ratio=1)
    for f in findings:
        body = Text(printable(f.message[lang]))
        if f.remediation[lang]:
            body.append("\n→ " + printable(f.remediation[lang]), style="italic")
        body.append("\n" + printable(_refs(f)), style="dim")
        body.append(history.waiver_note(f, lang))
        if f.fingerprint in notes:
            body.append("\n" + notes[f.fingerprint], style="bold")
        table.add_row(
            Text(
                _status(f, lang).replace(" · ", "\n") + history.mark(f, lang),
                style=_STYLE[f.severity],
            ),
            Text(f"{f.rule_id}\n" + ", ".join(f.requirements)),
            Text(
                printable(c.entity_words(f, lang)) + "\n" + printable(f"{f.file}:{f.line}")
            ),  # data, never markup
            body,
        )
    console.print(table)


def _narrow(console: Console, findings, lang: str, width: int, notes: dict):
    """One block per finding, wrapped at the terminal's width: reads at 80 columns and in a pipe,
    and never splits `file:line` over two lines."""
    wrap = textwrap.TextWrapper(
        width=max(40, width - 1),
        initial_indent="  ",
        subsequent_indent="  ",
        break_long_words=False,
        break_on_hyphens=False,
    )
    for index, f in enumerate(findings):
        if index:
            console.print()
        mark = history.mark(f, lang).strip()
        head = Text(_status(f, lang), style=_STYLE[f.severity])
        head.append(f"  {f.rule_id}" + (f"  [{mark}]" if mark else ""), style="bold")
        console.print(head)
        lines = [
            printable(f"{c.entity_words(f, lang)} — {f.file}:{f.line}"),
            printable(f.message[lang]),
        ]
        if f.remediation[lang]:
            lines.append("→ " + printable(f.remediation[lang]))
        lines.append(printable(", ".join(f.requirements) + " — " + _refs(f)))
        note = history.waiver_note(f, lang).strip()
        if note:
            lines.append(note)
        if f.fingerprint in notes:
            lines.append(notes[f.fingerprint])
        for line in lines:
            console.print(Text(wrap.fill(line)), overflow="ignore", crop=False)


def _checklist(console: Console, report: Report, findings, lang: str, width: int):
    """The pre-signature report as a checklist: what is missing, grouped by the
    document to prepare.
    """
    by_fp = {f.fingerprint: f for f in findings}
    wrap = textwrap.TextWrapper(
        width=max(40, width - 1),
        initial_indent="  ",
        subsequent_indent="  ",
        break_long_words=False,
        break_on_hyphens=False,
    )
    listed: set[str] = set()
    for number, document in enumerate(report.checklist or [], 1):
        mine = [by_fp[fp] for fp in document["findings"] if fp in by_fp]
        if not mine:
            continue
        listed.update(f.fingerprint for f in mine)
        console.print(
            Text(
                f"☐ {number}. "
                + pick(tr("À préparer : ", "To prepare: "), lang)
                + _t(document["title"], lang),
                style="bold",
            ),
            overflow="fold",
        )
        console.print(Text(wrap.fill(_t(document["what"], lang))), crop=False)
        if document.get("references"):
            console.print(
                Text(wrap.fill(printable("; ".join(document["references"])))),
                style="dim",
                crop=False,
            )
        console.print()
        (
            _wide(console, mine, lang, {})
            if width >= WIDE
            else _narrow(console, mine, lang, width, {})
        )
        console.print()
    rest = [f for f in findings if f.fingerprint not in listed]  # waived and passing outcomes
    if rest:
        (
            _wide(console, rest, lang, {})
            if width >= WIDE
            else _narrow(console, rest, lang, width, {})
        )
        console.print()


def render_one(
    report: Report,
    lang: str = "fr",
    include_passed: bool = False,
    width: int = 80,
    color: bool = False,
) -> str:
    buffer = io.StringIO()
    console = Console(
        file=buffer,
        width=width,
        force_terminal=color,
        no_color=not color,
        highlight=False,
        color_system="standard" if color else None,
        soft_wrap=False,
    )
    for text, style in header(report, lang):
        console.print(Text(text, style=style), overflow="fold")
    for notice in report.notices:
        level = (
            pick(tr("Attention", "Warning"), lang)
            if notice.get("level") == "warning"
            else pick(tr("Note", "Note"), lang)
        )
        console.print(
            Text(
                (
                    f"{level} : {_t(notice['message'], lang)}"
                    if lang == "fr"
                    else f"{level}: {_t(notice['message'], lang)}"
                ),
                style="yellow" if notice.get("level") == "warning" else "dim",
            ),
            overflow="fold",
        )
    console.print()
    findings = report.listed(include_passed)
    if report.checklist and findings:
        _checklist(console, report, findings, lang, width)
    elif findings:
        groups = c.related_groups(findings)
        ordered = [f for group in groups for f in group]
        notes = {}
        for group in groups:
            if len(group) > 1:
                for f in group:
                    notes[f.fingerprint] = _related_note([g for g in group if g is not f], lang)
        (
            _wide(console, ordered, lang, notes)
            if width >= WIDE
            else _narrow(console, ordered, lang, width, notes)
        )
        console.print()
    console.print(Text(summary(report, lang)), overflow="fold")
    for line in history.lines(report, lang):  # --baseline, --waivers
        console.print(Text(line), overflow="fold")
    return buffer.getvalue()
