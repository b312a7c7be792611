"""Human-readable table for a terminal, in the auditor's language."""
from __future__ import annotations

import io

from rich.console import Console
from rich.table import Table
from rich.text import Text

from cdap_policy.findings import Report

_STYLE = {"critical": "bold red", "high": "red", "medium": "yellow", "low": "cyan", "info": "dim"}
_STATUS = {
    "fr": {"fail": "ÉCHEC", "error": "ERREUR", "waived": "DÉROGÉ", "pass": "OK", "not_applicable": "N/A"},
    "en": {"fail": "FAIL", "error": "ERROR", "waived": "WAIVED", "pass": "PASS", "not_applicable": "N/A"},
}
_HEAD = {
    "fr": ("Gravité", "Règle", "Entité", "Constat et action"),
    "en": ("Severity", "Rule", "Entity", "Finding and action"),
}
_SUMMARY = {
    "fr": "{partner} — au {as_of}, bulletin {edition}, étape {stage} : {fail} échec(s), {error} erreur(s), {pass_} contrôle(s) conforme(s), {na} non applicable(s), {rules} règle(s).",
    "en": "{partner} — as of {as_of}, bulletin {edition}, stage {stage}: {fail} failure(s), {error} error(s), {pass_} passing check(s), {na} not applicable, {rules} rule(s).",
}


def render(reports: list[Report], options) -> str:
    return "\n".join(render_one(r, options.lang, options.include_passed, options.width, options.color) for r in reports)


def render_one(report: Report, lang: str = "fr", include_passed: bool = False, width: int = 160, color: bool = False) -> str:
    buffer = io.StringIO()
    console = Console(file=buffer, width=width, force_terminal=color, no_color=not color, highlight=False)
    findings = report.listed(include_passed)
    if findings:
        table = Table(show_lines=True, expand=True)
        table.add_column(_HEAD[lang][0], no_wrap=True)
        table.add_column(_HEAD[lang][1], overflow="fold", max_width=34)
        table.add_column(_HEAD[lang][2], overflow="fold", max_width=34)
        table.add_column(_HEAD[lang][3], overflow="fold", ratio=1)
        for f in findings:
            refs = "; ".join(f"{r['document']} {r['article']}" for r in f.references)
            body = Text(f.message[lang])
            if f.remediation[lang]:
                body.append("\n→ " + f.remediation[lang], style="italic")
            body.append("\n" + refs, style="dim")
            table.add_row(
                Text(f"{_STATUS[lang][f.status]}\n{f.severity}", style=_STYLE[f.severity]),
                Text(f"{f.rule_id}\n" + ", ".join(f.requirements)),
                Text(f"{f.entity_kind} {f.entity_key}\n{f.file}:{f.line}"),  # data, never markup
                body,
            )
        console.print(table)
    summary = report.summary()["by_status"]
    console.print(Text(_SUMMARY[lang].format(
        partner=report.partner, as_of=report.as_of, edition=report.edition, stage=report.stage or ("toutes" if lang == "fr" else "all"),
        fail=summary["fail"], error=summary["error"], pass_=summary["pass"], na=summary["not_applicable"], rules=report.rules_run,
    )))
    return buffer.getvalue()
