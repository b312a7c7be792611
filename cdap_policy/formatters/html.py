"""A self-contained HTML report for the auditor's file: one page, inline CSS and SVG, no script
and no external resource, readable offline, under a strict content-security policy, printable.

The page is a Jinja2 template with autoescaping: every value from the snapshot is data, never
markup. This module only prepares plain values for it.
"""

from __future__ import annotations

import functools

from cdap_policy.evaluate.findings import SEVERITY_RANK
from cdap_policy.formatters import common as c
from cdap_policy.formatters.svgchart import bar_chart
from cdap_policy.support.i18n import pick, tr
from cdap_policy.support.labels import KINDS, label
from cdap_policy.support.textsafe import printable

SHOWS_BATCH_SUMMARY = True  # options.summary, above the reports
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"

_L = {
    "title": tr("Rapport de conformité CDAP", "CDAP compliance report"),
    "overview": tr("Synthèse des instantanés", "Snapshots at a glance"),
    "identification": tr("Identification", "Identification"),
    "partner": tr("Partenaire", "Partner"),
    "siret": tr("SIRET", "SIRET"),
    "kind": tr("Type d'organisme", "Organisation kind"),
    "framework": tr("Cadre conventionnel", "Framework"),
    "edition": tr("Bulletin d'adhésion (édition)", "Membership bulletin (edition)"),
    "as_of": tr("Date d'évaluation", "Evaluation date"),
    "as_of_today": tr("aujourd'hui, faute de --as-of", "today, as no --as-of was given"),
    "taken_on": tr("Instantané du", "Snapshot taken on"),
    "snapshot": tr("Instantané", "Snapshot"),
    "stage": tr("Étape", "Stage"),
    "tool": tr("Outil", "Tool"),
    "pack": tr("Paquet de règles", "Policy pack"),
    "rules": tr("Règles exécutées", "Rules run"),
    "excluded": tr("Règles non exécutées", "Rules not run"),
    "fingerprints": tr("Version des empreintes", "Fingerprint version"),
    "baseline": tr("Référence (--baseline)", "Baseline (--baseline)"),
    "waivers": tr("Dérogations (--waivers)", "Waivers (--waivers)"),
    "summary": tr("Résumé", "Summary"),
    "status": tr("Statut", "Status"),
    "count": tr("Nombre", "Count"),
    "severity": tr("Gravité", "Severity"),
    "failing": tr("Échecs", "Failures"),
    "chart": tr(
        "Constats en échec par famille et gravité", "Failing findings by family and severity"
    ),
    "findings": tr("Constats", "Findings"),
    "no_findings": tr(
        "Aucun constat en échec, en erreur ou dérogé.", "No failing, error or waived finding."
    ),
    "remediation": tr("Action", "Action"),
    "interpretation": tr("Interprétation retenue", "Interpretation"),
    "references": tr("Références", "References"),
    "requirements": tr("Exigences", "Requirements"),
    "location": tr("Emplacement", "Location"),
    "fingerprint": tr("Empreinte", "Fingerprint"),
    "evidence": tr("Valeurs lues", "Values read"),
    "name": tr("Nom", "Name"),
    "value": tr("Valeur", "Value"),
    "waiver": tr("Dérogation", "Waiver"),
    "related": tr("Constats liés", "Related findings"),
    "baseline_state": tr("Par rapport à la référence", "Against the baseline"),
    "passed": tr("Contrôles conformes et non applicables", "Passing and not-applicable checks"),
    "rule": tr("Règle", "Rule"),
    "entity": tr("Entité", "Entity"),
    "errors": tr("Erreurs", "Errors"),
    "waived": tr("Dérogés", "Waived"),
    "generated": tr("Produit par", "Produced by"),
    "none": tr("aucun", "none"),
    "of": tr("sur", "of"),
    "findings_count": tr("constat(s)", "finding(s)"),
    "contents": tr("Sommaire", "Contents"),
    "notices": tr("À lire avant les constats", "Read before the findings"),
    "checklist": tr(
        "Avant la signature : documents à préparer", "Before signing: documents to prepare"
    ),
    "checklist_intro": tr(
        "Cochez chaque document une fois prêt ; les constats qu'il règle sont liés sous lui.",
        "Tick each document once it is ready; the findings it settles are linked under it.",
    ),
    "to_prepare": tr("À préparer", "To prepare"),
    "settles": tr("Constats réglés par ce document", "Findings this document settles"),
    "page": tr("Page", "Page"),
    "batch_title": tr("Synthèse des partenaires", "Partners at a glance"),
}


def css_string(value) -> str:
    """A value inside a CSS string of the page's own style sheet (the running header): every
    character but letters, digits and spaces as a CSS escape, so no value can close the string,
    the rule or the style element."""
    from markupsafe import Markup

    out = []
    for char in str(value)[:200]:
        out.append(
            char if char.isascii() and (char.isalnum() or char == " ") else f"\\{ord(char):x} "
        )
    return Markup("".join(out))


def _shown(value):
    """Every value the template prints, control characters escaped (a raw ESC in a file name is
    not valid HTML text); markup the module built itself (the SVG chart) is left as it is."""
    from markupsafe import Markup

    if isinstance(value, str) and not isinstance(value, Markup):
        return printable(value, None, keep_newlines=True)
    return value


@functools.lru_cache(maxsize=1)
def _template():
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    env = Environment(
        loader=PackageLoader("cdap_policy.formatters", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        finalize=_shown,
    )
    env.filters["css_string"] = css_string
    return env.get_template("report.html.j2")


def render(reports: list, options) -> str:
    lang = options.lang
    labels = {key: pick(value, lang) for key, value in _L.items()}
    pages = [report_context(r, index, options) for index, r in enumerate(reports, 1)]
    version = c.tool_version(reports[0]) if reports else ""
    batch = None
    if getattr(options, "summary", None) is not None:
        from cdap_policy.formatters.batch_summary import html_context

        batch = html_context(options.summary, lang)
    if len(reports) == 1:  # the running header of every printed page: who, and as of when
        running = f"{pages[0]['partner']} — {pages[0]['as_of']}"
    else:
        running = f"{labels['batch_title']} — {', '.join(sorted({r.as_of for r in reports}))[:60]}"
    return _template().render(
        lang=lang,
        csp=CSP,
        t=c.Words(labels),
        reports=pages,
        tool=f"{c.TOOL_NAME} {version}",
        running=running,
        severities=[(s, pick(c.SEVERITY_NAMES[s], lang)) for s in SEVERITY_RANK],
        batch=batch,
    )


def report_context(report, index: int, options) -> dict:
    lang = options.lang
    snapshot = c.shown_path(report.snapshot_file, options.srcroot)
    summary = report.summary()
    listed = report.listed()
    families = [
        {
            "code": family,
            "name": c.family_name(family, lang),
            "anchor": f"s{index}-{family.lower()}",
            "findings": [finding_context(f, options) for f in findings],
        }
        for family, findings in c.by_family(listed)
    ]
    passed = []
    if options.include_passed:
        passed = [
            {
                "status": f.status,
                "status_name": pick(c.STATUS_NAMES[f.status], lang),
                "rule": f.rule_id,
                "entity": printable(c.entity_words(f, lang), 300),
                "location": f"{c.shown_path(f.file, options.srcroot)}:{c.line_of(f)}",
            }
            for f in report.listed(True)
            if f.status in ("pass", "not_applicable")
        ]
    excluded = c.exclusions_text(report, lang)
    return {
        "anchor": f"snapshot-{index}",
        "partner": printable(report.partner, 300),
        "identification": _identification(report, snapshot, excluded, lang),
        "notices": [
            {"level": n.get("level", "info"), "text": c.text(n.get("message"), lang, 4000)}
            for n in report.notices
        ],
        "by_status": [
            (s, pick(c.STATUS_NAMES[s], lang), n) for s, n in summary["by_status"].items()
        ],
        "by_severity": [
            (s, pick(c.SEVERITY_NAMES[s], lang), n)
            for s, n in summary["failing_by_severity"].items()
        ],
        "errors": summary["by_status"]["error"],
        "waived": summary["by_status"]["waived"],
        "failing_total": summary["by_status"]["fail"],
        "chart": chart(report, lang),
        "families": families,
        "checklist": checklist_context(report, lang),
        "passed": passed,
        "snapshot": snapshot,
        "as_of": report.as_of,
    }


def _identification(report, snapshot: str, excluded: str, lang: str) -> list[tuple[str, str]]:
    L = {key: pick(value, lang) for key, value in _L.items()}
    as_of = report.as_of + (f" ({L['as_of_today']})" if report.as_of_source == "today" else "")
    rows = [
        (L["partner"], report.partner),
        (L["siret"], report.siret or "—"),
        (L["kind"], label(KINDS, report.partner_kind, lang) if report.partner_kind else "—"),
        (L["framework"], c.framework_text(report, lang)),
        (L["edition"], str(report.edition)),
        (L["as_of"], as_of),
        (L["taken_on"], report.taken_on or "—"),
        (L["snapshot"], snapshot),
        (L["stage"], c.stage_text(report, lang)),
        (L["tool"], f"{c.TOOL_NAME} {c.tool_version(report)}"),
        (L["pack"], f"{report.pack_name} {report.pack_version}"),
        (
            L["rules"],
            f"{report.rules_run}"
            + (f" {L['of']} {report.rules_total}" if report.rules_total else ""),
        ),
    ]
    if excluded:
        rows.append((L["excluded"], excluded))
    rows.append((L["fingerprints"], str(report.fingerprint_version)))
    if report.baseline is not None:
        rows.append((L["baseline"], c.value_text(report.baseline, 1000)))
    if report.waivers is not None:
        rows.append((L["waivers"], c.value_text(report.waivers, 1000)))
    return [(label, printable(value, 1000)) for label, value in rows]


def checklist_context(report, lang: str) -> list[dict]:
    """The pre-signature checklist (`check --stage pre-signature`): each document to prepare, what
    to do, its articles, and links to the findings it settles."""
    by_fp = {f.fingerprint: f for f in report.listed()}
    out = []
    for number, document in enumerate(report.checklist or [], 1):
        findings = [by_fp[fp] for fp in document["findings"] if fp in by_fp]
        if not findings:
            continue
        out.append(
            {
                "number": number,
                "anchor": f"doc-{printable(document['id'], 100)}",
                "title": c.text(document["title"], lang, 1000),
                "what": c.text(document["what"], lang, 4000),
                "references": [printable(r, 1000) for r in document.get("references", [])],
                "findings": [
                    {
                        "id": f"f-{f.fingerprint}",
                        "rule": f.rule_id,
                        "entity": printable(c.entity_words(f, lang), 300),
                        "title": c.text(f.title, lang, 1000),
                    }
                    for f in findings
                ],
            }
        )
    return out


def finding_context(finding, options) -> dict:
    lang = options.lang
    path = c.shown_path(finding.file, options.srcroot)
    return {
        "id": f"f-{finding.fingerprint}",
        "rule": finding.rule_id,
        "severity": finding.severity,
        "severity_name": pick(c.SEVERITY_NAMES[finding.severity], lang),
        "status": finding.status,
        "status_name": pick(c.STATUS_NAMES[finding.status], lang),
        "baseline_state": (
            pick(c.BASELINE_NAMES.get(finding.baseline_state), lang)
            if finding.baseline_state
            else ""
        ),
        "entity": printable(c.entity_words(finding, lang), 300),
        "label": (
            printable(finding.entity_label, 300)
            if finding.entity_label != finding.entity_key
            else ""
        ),
        "title": c.text(finding.title, lang, 1000),
        "message": c.text(finding.message, lang, 8000),
        "remediation": c.text(finding.remediation, lang, 8000),
        "interpretation": (
            c.text(finding.interpretation, lang, 4000) if finding.interpretation else ""
        ),
        "references": [
            {"text": c.reference_text(r), "quote": printable(r.get("quote") or "", 2000)}
            for r in finding.references
        ],
        "requirements": ", ".join(finding.requirements),
        "location": f"{path}:{c.line_of(finding)}",
        "fingerprint": finding.fingerprint,
        "evidence": c.evidence_items(finding.evidence, lang, 2000),
        "waiver": c.waiver_items(finding.waiver, lang),
        "related": list(finding.related),
    }


def chart(report, lang: str):
    """Failing findings (and errors) per family that ran, stacked by severity."""
    families = sorted(
        {r.get("family") or "—" for r in report.rules}
        | {f.family or "—" for f in report.findings if f.status in ("fail", "error")},
        key=c.family_rank,
    )
    counts: dict[str, dict[str, int]] = {family: {} for family in families}
    for finding in report.findings:
        key = (
            "error"
            if finding.status == "error"
            else finding.severity
            if finding.status == "fail"
            else None
        )
        if key:
            row = counts[finding.family or "—"]
            row[key] = row.get(key, 0) + 1
    series = [(s, pick(c.SEVERITY_NAMES[s], lang)) for s in SEVERITY_RANK] + [
        ("error", pick(c.STATUS_NAMES["error"], lang))
    ]
    rows = [(f"{family} — {c.family_name(family, lang)}", counts[family]) for family in families]
    return bar_chart(rows, series, pick(_L["chart"], lang), "0")
