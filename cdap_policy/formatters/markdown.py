"""GitHub-flavoured Markdown for a merge-request comment: summary counts, then the failing
findings grouped by family in collapsible `<details>` blocks, within a comment's size.

GitHub refuses a comment over 65,536 characters: past 60,000 the findings that do not fit are
left out and counted. Every value from the snapshot is escaped, so it renders as text.
"""

from __future__ import annotations

import html

from cdap_policy.evaluate.findings import SEVERITY_RANK
from cdap_policy.formatters import common as c
from cdap_policy.support.i18n import pick, tr
from cdap_policy.support.textsafe import printable

SHOWS_BATCH_SUMMARY = True  # first, where the size limit cannot cut it (options.summary)
MAX_CHARS = 60_000
MAX_VALUE = 300  # characters of one value read shown in a comment
MAX_EVIDENCE_ROWS = 20
MAX_PASSED_ROWS = 200  # passing checks listed with --include-passed (the others are counted)

_L = {
    "title": tr("Conformité CDAP", "CDAP compliance"),
    "as_of": tr("au", "as of"),
    "edition": tr("bulletin", "bulletin"),
    "stage": tr("étape", "stage"),
    "pack": tr("paquet", "pack"),
    "severity": tr("Gravité", "Severity"),
    "failing": tr("Échecs", "Failures"),
    "status": tr("Statut", "Status"),
    "count": tr("Nombre", "Count"),
    "rules": tr("règles exécutées", "rules run"),
    "remediation": tr("Action", "Action"),
    "references": tr("Références", "References"),
    "location": tr("Emplacement", "Location"),
    "evidence": tr("Valeurs lues", "Values read"),
    "interpretation": tr("Interprétation", "Interpretation"),
    "waiver": tr("Dérogation", "Waiver"),
    "waived": tr("Constats dérogés", "Waived findings"),
    "passed": tr("Contrôles conformes et non applicables", "Passing and not-applicable checks"),
    "none": tr("Aucun constat en échec.", "No failing finding."),
    "checklist": tr(
        "Avant la signature : documents à préparer", "Before signing: documents to prepare"
    ),
    "baseline": tr("référence", "baseline"),
    "findings": tr("constat(s)", "finding(s)"),
    "snapshots": tr("instantanés", "snapshots"),
    "rule": tr("Règle", "Rule"),
    "entity": tr("Entité", "Entity"),
    "partner": tr("Partenaire", "Partner"),
    "name": tr("Nom", "Name"),
    "value": tr("Valeur", "Value"),
}


def render(reports: list, options) -> str:
    lang = options.lang
    blocks = []  # (text, findings it shows): cut between blocks, never inside one
    if getattr(options, "summary", None) is not None:
        # a batch: its summary first, where the comment's size limit cannot cut it
        from cdap_policy.formatters.batch_summary import markdown as batch_markdown

        blocks.append((batch_markdown(options.summary, options), 0))
    elif len(reports) > 1:
        blocks.append((_overview(reports, lang), 0))
    for report in reports:
        blocks += report_blocks(report, options)
    total = sum(n for _, n in blocks)
    out, used, shown = [], 0, 0
    for text, count in blocks:
        if used + len(text) > MAX_CHARS:
            hidden = total - shown
            out.append(_truncated(hidden, total, lang))
            break
        out.append(text)
        used += len(text)
        shown += count
    return "".join(out)


def report_blocks(report, options) -> list[tuple[str, int]]:
    lang = options.lang
    blocks = [(_header(report, options), 0)]
    failing = [f for f in report.listed() if f.status in ("fail", "error")]
    if not failing:
        blocks.append((f"{pick(_L['none'], lang)}\n\n", 0))
    if report.checklist:
        blocks.append((_checklist(report, lang), 0))
    for family, findings in c.by_family(failing):
        blocks.append(
            (
                (
                    f"### {c.md_escape(family, line_start=False)} —"
                    f" {c.md_escape(c.family_name(family, lang), line_start=False)}"
                    f" ({len(findings)}"
                    f" {pick(_L['findings'], lang)})\n\n"
                ),
                0,
            )
        )
        blocks += [(finding_block(f, options), 1) for f in findings]
    waived = [f for f in report.listed() if f.status == "waived"]
    if waived:
        blocks.append((f"### {pick(_L['waived'], lang)} ({len(waived)})\n\n", 0))
        blocks += [(finding_block(f, options), 1) for f in waived]
    if options.include_passed:
        passed = [f for f in report.listed(True) if f.status in ("pass", "not_applicable")]
        if passed:
            blocks.append((_passed(passed, lang), 0))
    return blocks


def _checklist(report, lang: str) -> str:
    """The pre-signature stage: a task list of the documents to prepare (GitHub renders `- [ ]`)."""
    by_fp = {f.fingerprint: f for f in report.listed()}
    lines = [f"### {pick(_L['checklist'], lang)}", ""]
    for document in report.checklist:
        findings = [by_fp[fp] for fp in document["findings"] if fp in by_fp]
        if not findings:
            continue
        lines.append(
            f"- [ ] **{c.md_escape(pick(document['title'], lang), 1000, line_start=False)}** — "
            f"{c.md_escape(pick(document['what'], lang), 4000, line_start=False)}"
        )
        if document.get("references"):
            lines.append(
                f"  {c.md_escape('; '.join(document['references']), 2000, line_start=False)}"
            )
        lines += [
            f"  - `{_code(f.rule_id)}`"
            f" {c.md_escape(printable(c.entity_text(f), 200), line_start=False)}"
            for f in findings
        ]
    return "\n".join(lines) + "\n\n"


def _header(report, options) -> str:
    lang = options.lang
    snapshot, _ = c.relative_path(report.snapshot_file, options.srcroot)
    meta = " · ".join(
        c.md_escape(part, 300, line_start=False)
        for part in [
            f"{pick(_L['as_of'], lang)} {report.as_of}",
            c.framework_text(report, lang),
            f"{pick(_L['edition'], lang)} {report.edition}",
            f"{pick(_L['stage'], lang)} {c.stage_text(report, lang)}",
            f"{pick(_L['pack'], lang)} {report.pack_name} {report.pack_version}",
            f"{c.TOOL_NAME} {c.tool_version(report)}",
        ]
    )
    summary = report.summary()
    lines = [
        f"## {pick(_L['title'], lang)} — {c.md_escape(report.partner, 200, line_start=False)}",
        "",
        f"`{_code(snapshot)}` · {meta}",
        "",
    ]
    for notice in report.notices:
        marker = "⚠️" if notice.get("level") in ("warning", "error") else "ℹ️"
        lines += [
            f"> {marker} {c.md_escape(pick(notice.get('message'), lang), 4000, line_start=False)}",
            "",
        ]
    by_status = summary["by_status"]
    lines += [f"| {pick(_L['status'], lang)} | {pick(_L['count'], lang)} |", "|---|---:|"]
    lines += [f"| {pick(c.STATUS_NAMES[s], lang)} | {by_status.get(s, 0)} |" for s in by_status]
    lines += ["", f"| {pick(_L['severity'], lang)} | {pick(_L['failing'], lang)} |", "|---|---:|"]
    lines += [
        f"| {_badge(s)} {pick(c.SEVERITY_NAMES[s], lang)} | {n} |"
        for s, n in summary["failing_by_severity"].items()
    ]
    lines += [
        "",
        f"{summary['rules_run']} {pick(_L['rules'], lang)}"
        + (f" / {summary['rules_total']}" if summary.get("rules_total") else ""),
    ]
    if "by_baseline_state" in summary:
        states = ", ".join(
            f"{pick(c.BASELINE_NAMES[s], lang)} {n}"
            for s, n in summary["by_baseline_state"].items()
        )
        lines[-1] += f" · {c.colon(_L['baseline'], lang)} {states}"
    return "\n".join(lines) + "\n\n"


def finding_block(finding, options) -> str:
    lang = options.lang
    path, _ = c.relative_path(finding.file, options.srcroot)
    # <summary> is HTML (no Markdown inside it on GitHub): values are HTML-escaped there
    status = pick(c.STATUS_NAMES[finding.status], lang)
    state = (
        f" · {pick(c.BASELINE_NAMES[finding.baseline_state], lang)}"
        if finding.baseline_state
        else ""
    )
    summary = (
        f"{_badge(finding.severity)} <b>{_html(pick(c.SEVERITY_NAMES[finding.severity], lang))}</b>"
        f" · {_html(status)}{state} · <code>{_html(finding.rule_id)}</code> ·"
        f" {_html(printable(c.entity_text(finding), 200))} —"
        f" {_html(printable(pick(finding.title, lang), 300))}"
    )
    lines = [
        "<details>",
        f"<summary>{summary}</summary>",
        "",
        c.md_escape(pick(finding.message, lang), 4000),
        "",
    ]
    if pick(finding.remediation, lang):
        lines += [
            (
                f"**{c.colon(_L['remediation'], lang)}**"
                f" {c.md_escape(pick(finding.remediation, lang), 4000, line_start=False)}"
            ),
            "",
        ]
    if finding.interpretation:
        lines += [
            (
                f"**{c.colon(_L['interpretation'], lang)}**"
                f" {c.md_escape(pick(finding.interpretation, lang), 2000, line_start=False)}"
            ),
            "",
        ]
    refs = "; ".join(c.md_escape(c.reference_text(r), line_start=False) for r in finding.references)
    lines += [
        f"**{c.colon(_L['references'], lang)}** {refs} · `{', '.join(finding.requirements)}`",
        "",
        f"**{c.colon(_L['location'], lang)}** `{_code(f'{path}:{c.line_of(finding)}')}`",
        "",
    ]
    if finding.waiver:
        items = "; ".join(
            f"{c.colon(label, lang)} {c.md_escape(value, line_start=False)}"
            for label, value in c.waiver_items(finding.waiver, lang)
        )
        lines += [f"**{c.colon(_L['waiver'], lang)}** {items}", ""]
    evidence = c.evidence_items(finding.evidence, lang, MAX_VALUE)
    if evidence:
        lines += [
            f"**{c.colon(_L['evidence'], lang)}**",
            "",
            f"| {pick(_L['name'], lang)} | {pick(_L['value'], lang)} |",
            "|---|---|",
        ]
        lines += [
            f"| `{_code(name)}` | {c.md_escape(value, line_start=False)} |"
            for name, value in evidence[:MAX_EVIDENCE_ROWS]
        ]
        if len(evidence) > MAX_EVIDENCE_ROWS:
            lines.append(f"| … | +{len(evidence) - MAX_EVIDENCE_ROWS} |")
        lines.append("")
    lines += ["</details>", ""]
    return "\n".join(lines) + "\n"


def _passed(findings, lang: str) -> str:
    """The passing and not-applicable checks, as many as a comment can hold, the rest counted."""
    rows = [
        f"| {_html(pick(c.STATUS_NAMES[f.status], lang))} | `{_code(f.rule_id)}` |"
        f" {c.md_escape(c.entity_text(f), 200, line_start=False)} |"
        for f in findings[:MAX_PASSED_ROWS]
    ]
    if len(findings) > MAX_PASSED_ROWS:
        rows.append(f"| … | +{len(findings) - MAX_PASSED_ROWS} | |")
    head = (
        f"| {pick(_L['status'], lang)} | {pick(_L['rule'], lang)} | {pick(_L['entity'], lang)}"
        " |\n|---|---|---|\n"
    )
    return (
        f"<details>\n<summary>{_html(pick(_L['passed'], lang))} ({len(findings)})</summary>\n\n"
        + head
        + "\n".join(rows)
        + "\n\n</details>\n\n"
    )


def _overview(reports, lang: str) -> str:
    head = [
        f"## {pick(_L['title'], lang)} — {len(reports)} {pick(_L['snapshots'], lang)}",
        "",
        f"| {pick(_L['partner'], lang)} | "
        + " | ".join(f"{_badge(s)} {pick(c.SEVERITY_NAMES[s], lang)}" for s in SEVERITY_RANK)
        + f" | {pick(c.STATUS_NAMES['error'], lang)} | {pick(c.STATUS_NAMES['waived'], lang)} |",
        "|---|" + "---:|" * (len(SEVERITY_RANK) + 2),
    ]
    for report in reports:
        summary = report.summary()
        cells = [str(summary["failing_by_severity"][s]) for s in SEVERITY_RANK]
        cells += [str(summary["by_status"]["error"]), str(summary["by_status"]["waived"])]
        head.append(
            f"| {c.md_escape(report.partner, 200, line_start=False)} | " + " | ".join(cells) + " |"
        )
    return "\n".join(head) + "\n\n"


def _truncated(hidden: int, total: int, lang: str) -> str:
    fr = (
        f"> ✂️ **Rapport tronqué** à {c.number(MAX_CHARS, 'fr')} caractères (taille d'un"
        f" commentaire) : {hidden} constat(s) sur {total} non affiché(s). Le rapport complet :"
        " `--format html` ou `--format json`.\n"
    )
    en = (
        f"> ✂️ **Report truncated** at {c.number(MAX_CHARS, 'en')} characters (a comment's size):"
        f" {hidden} of {total} finding(s) not shown. The full report: `--format html` or `--format"
        " json`.\n"
    )
    return fr if lang == "fr" else en


def _html(text: str) -> str:
    """Text inside an HTML element (<summary>): markup characters escaped, mentions
    and links inert.
    """
    return c.unlinked(html.escape(text, quote=False))


def _badge(severity: str) -> str:
    return {"critical": "🟥", "high": "🟧", "medium": "🟨", "low": "🟦", "info": "⬜"}.get(
        severity, "⬜"
    )


def _code(value: str) -> str:
    """Inside an inline code span: a backtick would end it."""
    return printable(value, 300).replace("`", "'")
