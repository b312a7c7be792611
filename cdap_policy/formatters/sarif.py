"""SARIF 2.1.0 for code scanning (GitHub, the VS Code SARIF viewer): one run per snapshot.

Shaped for GitHub's upload: `security-severity` as a string, our fingerprint under our own key
in `partialFingerprints` (the uploader computes `primaryLocationLineHash` itself), one category
per snapshot in `automationDetails.id`, at most 25,000 results per run.
"""
from __future__ import annotations

import json

from cdap_policy.errors import InputError, Problem
from cdap_policy.formatters import common as c
from cdap_policy.i18n import pick, tr
from cdap_policy.textsafe import printable

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
FINGERPRINT_KEY = "cdapFingerprint/v1"
SRCROOT = "%SRCROOT%"
MAX_RESULTS = 25_000  # per run: GitHub refuses a larger upload
MAX_DESCRIPTION = 1024  # shortDescription / fullDescription
MAX_TAGS = 20  # per rule, GitHub's limit
KIND = {"fail": "fail", "error": "fail", "waived": "fail", "pass": "pass", "not_applicable": "notApplicable"}
_LANGS = {"fr": "fr-FR", "en": "en-US"}
_LABELS = {
    "remediation": tr("Action", "Action"),
    "references": tr("Références", "References"),
    "interpretation": tr("Interprétation", "Interpretation"),
    "severity": tr("Gravité", "Severity"),
    "requirements": tr("Exigences", "Requirements"),
}


def render(reports: list, options) -> str:
    log = {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run(r, options) for r in reports]}
    return json.dumps(log, ensure_ascii=False, indent=2, sort_keys=False) + "\n"


def run(report, options) -> dict:
    lang, srcroot = options.lang, options.srcroot
    findings = report.listed(options.include_passed)
    if len(findings) > MAX_RESULTS:
        count = {code: c.number(len(findings), code) for code in ("fr", "en")}
        limit = {code: c.number(MAX_RESULTS, code) for code in ("fr", "en")}
        raise InputError(Problem(report.snapshot_file, None, "", tr(
            f"{count['fr']} résultats pour cet instantané : SARIF en accepte au plus {limit['fr']} par exécution "
            "(limite de l'envoi vers l'analyse de code) ; réduisez le périmètre (--stage) ou utilisez --format json",
            f"{count['en']} results for this snapshot: SARIF takes at most {limit['en']} per run (the code scanning "
            "upload limit); narrow the check (--stage) or use --format json")))
    rules = sorted(report.rules, key=lambda r: r["id"])
    known = {r["id"] for r in rules}
    for finding in findings:  # a finding of a rule the report does not describe still gets a descriptor
        if finding.rule_id not in known:
            known.add(finding.rule_id)
            rules.append(_rule_from_finding(finding))
    index = {r["id"]: i for i, r in enumerate(rules)}
    artifacts, artifact_index = [], {}
    results = []
    for finding in findings:
        path, inside = c.relative_path(finding.file, srcroot)
        if path not in artifact_index:
            artifact_index[path] = len(artifacts)
            artifacts.append({"location": _artifact_location(path, inside)})
        results.append(result(finding, index[finding.rule_id], path, inside, artifact_index[path], lang))
    snapshot_path, _ = c.relative_path(report.snapshot_file, srcroot)
    out = {
        "tool": {"driver": driver(report, rules, lang)},
        "automationDetails": {
            # GitHub's category: one per snapshot, so several snapshots can share a SARIF file
            "id": f"{c.TOOL_NAME}/{snapshot_path}/",
            "description": {"text": printable(f"{report.partner} — {snapshot_path}", 1000)},
        },
        "language": _LANGS.get(lang, lang),
        "columnKind": "unicodeCodePoints",
        "originalUriBaseIds": {SRCROOT: _srcroot_location(srcroot)},
        "artifacts": artifacts,
        "results": results,
        "invocations": [invocation(report, lang)],
        "properties": {
            "partner": report.partner, "siret": report.siret, "asOf": report.as_of, "stage": report.stage or "all",
            "framework": report.framework, "edition": report.edition,
            "policyPack": {"name": report.pack_name, "version": report.pack_version},
            "fingerprintVersion": report.fingerprint_version, "summary": report.summary(),
        },
    }
    if report.baseline is not None:
        out["properties"]["baseline"] = report.baseline
    if report.waivers is not None:
        out["properties"]["waivers"] = report.waivers
    return out


def driver(report, rules: list, lang: str) -> dict:
    version = c.tool_version(report)
    return {
        "name": c.TOOL_NAME,
        "fullName": f"{c.TOOL_NAME} {version} ({report.pack_name} {report.pack_version})",
        "version": version,
        "semanticVersion": version,
        "informationUri": c.INFORMATION_URI,
        "language": _LANGS.get(lang, lang),
        "rules": [descriptor(r, lang) for r in rules],
        "properties": {"policyPack": {"name": report.pack_name, "version": report.pack_version}},
    }


def descriptor(rule: dict, lang: str) -> dict:
    severity = rule.get("severity", "info")
    title = rule.get("title") or {}
    tags = [t for t in [rule.get("family"), *rule.get("requirements", []), "compliance"] if t][:MAX_TAGS]
    properties = {"tags": tags, "severity": severity, "precision": "very-high",
                  "requirements": list(rule.get("requirements", []))}
    if severity in c.SECURITY_SEVERITY:
        properties["security-severity"] = c.SECURITY_SEVERITY[severity]
    return {
        "id": rule["id"],
        "name": _pascal(rule["id"]),
        "shortDescription": {"text": _bounded(pick(title, lang) or rule["id"])},
        "fullDescription": {"text": _bounded(_full_description(rule, lang))},
        "help": {"text": help_text(rule, lang), "markdown": help_markdown(rule, lang)},
        "defaultConfiguration": {"level": c.LEVEL.get(severity, "note")},
        "properties": properties,
    }


def _full_description(rule: dict, lang: str) -> str:
    title = pick(rule.get("title") or {}, lang)
    # the pack's descriptions are written in English; in French the title and the reading stand in
    body = rule.get("description") if lang == "en" else pick(rule.get("interpretation"), lang)
    refs = c.references_text(rule.get("references", []))
    parts = [title.rstrip(".") + "." if title else "", " ".join((body or "").split()),
             f"{c.colon(_LABELS['references'], lang)} {refs}" if refs else ""]
    return " ".join(p for p in parts if p)


def _languages(lang: str) -> tuple[str, str]:
    return (lang, "en" if lang == "fr" else "fr")


def help_text(rule: dict, lang: str) -> str:
    """Both languages, the reader's first: title, description, remediation, legal references."""
    blocks = []
    for code in _languages(lang):
        lines = [f"[{code.upper()}] {pick(rule.get('title'), code)}"]
        if code == "en" and rule.get("description"):
            lines.append(" ".join(rule["description"].split()))
        if rule.get("interpretation"):
            lines.append(f"{c.colon(_LABELS['interpretation'], code)} {pick(rule['interpretation'], code)}")
        if rule.get("remediation"):
            lines.append(f"{c.colon(_LABELS['remediation'], code)} {c.generic(pick(rule['remediation'], code))}")
        lines.append(f"{c.colon(_LABELS['references'], code)} {c.references_text(rule.get('references', []))}")
        lines.append(f"{c.colon(_LABELS['requirements'], code)} {', '.join(rule.get('requirements', []))}"
                     f" · {c.colon(_LABELS['severity'], code)} {pick(c.SEVERITY_NAMES.get(rule.get('severity')), code)}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def help_markdown(rule: dict, lang: str) -> str:
    blocks = []
    for code in _languages(lang):
        lines = [f"**{c.md_escape(pick(rule.get('title'), code))}** ({code})", ""]
        if code == "en" and rule.get("description"):
            lines += [c.md_escape(rule["description"]), ""]
        if rule.get("interpretation"):
            lines += [f"*{c.colon(_LABELS['interpretation'], code)}* {c.md_escape(pick(rule['interpretation'], code))}", ""]
        if rule.get("remediation"):
            lines += [f"*{c.colon(_LABELS['remediation'], code)}* {c.md_escape(c.generic(pick(rule['remediation'], code)))}", ""]
        lines.append(f"*{c.colon(_LABELS['references'], code)}*")
        lines += [f"- {c.md_escape(c.reference_text(ref))}" for ref in rule.get("references", [])]
        requirements = ", ".join(f"`{r}`" for r in rule.get("requirements", []))
        severity = pick(c.SEVERITY_NAMES.get(rule.get("severity")), code)
        lines += ["", f"*{c.colon(_LABELS['requirements'], code)}* {requirements} · *{c.colon(_LABELS['severity'], code)}* {severity}"]
        blocks.append("\n".join(lines))
    return "\n\n---\n\n".join(blocks)


def result(finding, rule_index: int, path: str, inside: bool, artifact_index: int, lang: str) -> dict:
    message = c.text(finding.message, lang, 4000)
    remediation = c.text(finding.remediation, lang, 4000)
    refs = c.references_text(finding.references)
    lines = [message]
    if remediation:
        lines.append(f"{c.colon(_LABELS['remediation'], lang)} {remediation}")
    if refs and finding.status in ("fail", "error", "waived"):
        lines.append(f"{c.colon(_LABELS['references'], lang)} {refs}")
    level = "error" if finding.status == "error" else c.LEVEL.get(finding.severity, "note")
    if finding.status in ("pass", "not_applicable"):
        level = "none"
    location = _artifact_location(path, inside)
    location["index"] = artifact_index
    out = {
        "ruleId": finding.rule_id,
        "ruleIndex": rule_index,
        "kind": KIND[finding.status],
        "level": level,
        "message": {"text": "\n".join(lines)},
        "locations": [{
            "physicalLocation": {"artifactLocation": location, "region": {"startLine": c.line_of(finding)}},
            "logicalLocations": [{"name": printable(finding.entity_key, 200), "kind": printable(finding.entity_kind, 100),
                                  "fullyQualifiedName": printable(f"{finding.entity_kind}/{finding.entity_key}", 300)}],
        }],
        "partialFingerprints": {FINGERPRINT_KEY: finding.fingerprint},
        "properties": {
            "severity": finding.severity, "status": finding.status, "requirements": list(finding.requirements),
            "entity": {"kind": finding.entity_kind, "key": finding.entity_key, "label": finding.entity_label},
            "evidence": finding.evidence,
        },
    }
    if finding.severity in c.SECURITY_SEVERITY and finding.status in ("fail", "error", "waived"):
        out["properties"]["security-severity"] = c.SECURITY_SEVERITY[finding.severity]
    if finding.related:
        out["properties"]["related"] = list(finding.related)
    if finding.baseline_state:
        out["baselineState"] = finding.baseline_state
    if finding.status == "waived":
        out["suppressions"] = [suppression(finding.waiver)]
    return out


def suppression(waiver: dict | None) -> dict:
    """A waived finding stays in the log, suppressed by a waiver kept outside the snapshot."""
    waiver = waiver or {}
    out = {"kind": "external", "status": "accepted"}
    if waiver.get("justification"):
        out["justification"] = printable(waiver["justification"], 2000, keep_newlines=True)
    properties = {k: waiver[k] for k in ("approved_by", "approved_on", "expires_on", "ticket") if waiver.get(k)}
    if properties:
        out["properties"] = properties
    return out


def invocation(report, lang: str) -> dict:
    """The report's notices (stale snapshot, obsolete framework...) as execution notifications."""
    out = {"executionSuccessful": True}
    notes = [{"level": _notice_level(n.get("level")), "message": {"text": c.text(n.get("message"), lang, 4000)},
              "descriptor": {"id": n.get("code", "notice")}} for n in report.notices]
    if notes:
        out["toolExecutionNotifications"] = notes
    return out


def _notice_level(level) -> str:
    return {"error": "error", "warning": "warning"}.get(level, "note")


def _artifact_location(path: str, inside: bool) -> dict:
    return {"uri": c.uri_of(path), "uriBaseId": SRCROOT} if inside else {"uri": path}


def _srcroot_location(srcroot: str | None) -> dict:
    if srcroot:
        return {"uri": c.root_uri(srcroot)}
    return {"description": {"text": "The repository root / la racine du dépôt"}}


def _rule_from_finding(finding) -> dict:
    return {"id": finding.rule_id, "family": finding.family, "requirements": list(finding.requirements),
            "severity": finding.severity, "title": dict(finding.title), "references": [dict(r) for r in finding.references],
            "remediation": {}, "description": "", "interpretation": dict(finding.interpretation) or None}


def _pascal(rule_id: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in rule_id.replace("_", "-").split("-") if part)


def _bounded(text: str) -> str:
    text = printable(" ".join((text or "").split()), None)
    return text if len(text) <= MAX_DESCRIPTION else text[: MAX_DESCRIPTION - 1] + "…"
