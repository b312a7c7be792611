"""Plain values for the web templates, from reports and rules (the HTML report's own helpers)."""

from __future__ import annotations

import json

from cdap_policy.formatters import common as c
from cdap_policy.formatters import html as report_html
from cdap_policy.support.i18n import pick
from cdap_policy.support.labels import SEVERITIES, STAGES, label


class _Options:
    def __init__(self, lang: str):
        self.lang, self.include_passed, self.srcroot, self.summary = lang, False, None, None


def checklist_view(report, lang: str, full: bool = False) -> dict:
    """The pre-signature checklist: documents, each with its findings (full: with
    their messages).
    """
    options = _Options(lang)
    by_fp = {f.fingerprint: f for f in report.listed()}
    documents: list[dict] = []
    for number, document in enumerate(report.checklist or [], 1):
        findings = [by_fp[fp] for fp in document["findings"] if fp in by_fp]
        if not findings:
            continue
        documents.append(
            {
                "number": number,
                "anchor": f"doc-{document['id']}",
                "title": c.text(document["title"], lang, 1000),
                "what": c.text(document["what"], lang, 4000),
                "references": list(document.get("references", [])),
                "findings": (
                    [report_html.finding_context(f, options) for f in findings]
                    if full
                    else [
                        {
                            "title": c.text(f.title, lang, 300),
                            "entity": c.entity_words(f, lang),
                            "severity": f.severity,
                            "severity_name": pick(c.SEVERITY_NAMES[f.severity], lang),
                        }
                        for f in findings
                    ]
                ),
            }
        )
    failing = sum(len(d["findings"]) for d in documents)
    return {"documents": documents, "failing": failing, "clean": failing == 0}


def report_view(pack, report, snapshot, lang: str, explain: bool) -> dict:
    """One report: identification, summary, findings by family, each with its explanation
    (the rule's sub-conditions and the values it read on this snapshot) when `explain`."""
    options = _Options(lang)
    context = report_html.report_context(report, 1, options)
    explained = 0
    for family in context["families"]:
        for finding in family["findings"]:
            finding["explanation"] = ""
            if explain and snapshot is not None and explained < 100:
                finding["explanation"] = explanation_text(pack, snapshot, finding, report, lang)
                explained += 1
    return context


def explanation_text(pack, snapshot, finding: dict, report, lang: str) -> str:
    from cdap_policy.authoring.explaining import UnknownEntity, explain
    from cdap_policy.formatters.explanation import explanation_text as render

    rule = pack.rule(finding["rule"])
    original = next((f for f in report.findings if f.fingerprint == finding["fingerprint"]), None)
    if rule is None or original is None or rule.over == "consultations":
        return ""
    try:
        result = explain(pack, snapshot, rule, original.entity_key, report.as_of, report.edition)
    except (
        UnknownEntity,
        Exception,
    ):  # noqa: BLE001 - an explanation is a help: the finding stands without it
        return ""
    return render(pack, result, lang)


def rule_context(pack, rule, lang: str) -> dict:
    info = rule.info
    params = sorted(
        name for name in pack.param_values if name in json.dumps(rule.source, ensure_ascii=False)
    )
    return {
        "id": rule.id,
        "title": pick(rule.title, lang),
        "family": f"{rule.family} — {c.family_name(rule.family, lang)}",
        "severity": rule.severity,
        "severity_name": label(SEVERITIES, rule.severity, lang),
        "requirements": ", ".join(rule.requirements),
        "stages": ", ".join(label(STAGES, s, lang) for s in rule.stages),
        "editions": ", ".join(map(str, rule.editions)),
        "references": [
            {"text": c.reference_text(r), "quote": r.get("quote") or ""} for r in rule.references
        ],
        "interpretation": pick(info["interpretation"], lang) if info.get("interpretation") else "",
        "remediation": pick(rule.remediation, lang),
        "lets": list(rule.lets.items()),
        "when": rule.source.get("when") or "",
        "check": rule.source.get("check") or "",
        "parameters": [(name, c.value_text(pack.param_values[name], 300)) for name in params],
    }
