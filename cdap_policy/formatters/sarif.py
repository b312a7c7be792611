"""SARIF 2.1.0 for code scanning (GitHub, the VS Code SARIF viewer): one run per invocation.

Shaped for GitHub's upload, within its documented limits: one tool and one category for the
whole run (`automationDetails.id`, with the shard under --shard so that shards do not replace
each other's alerts), every snapshot an artifact, at most 25,000 results and 25,000 rules per
run, one location per result, 20 tags per rule, and 10 MB once gzipped; beyond a limit the run
is refused with the number of shards to split it into. `security-severity` is a string.
Alert identity: `partialFingerprints.primaryLocationLineHash` is derived from the finding's
own fingerprint (rule and entity key) and the snapshot's path, never from the text of a line,
so that editing another line does not close the alert and open a new one; our own key stands
beside it. A snapshot that could not be read is an error notification of the invocation, whose
`executionSuccessful` is then false.
"""

from __future__ import annotations

import gzip
import json
import logging
import math

from cdap_policy.formatters import common as c
from cdap_policy.support.errors import InputError, Problem
from cdap_policy.support.i18n import pick, tr
from cdap_policy.support.textsafe import printable

SHOWS_UNREADABLE = True
SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
FINGERPRINT_KEY = "cdapFingerprint/v1"
LINE_HASH_KEY = "primaryLocationLineHash"  # the key GitHub matches alerts on
SRCROOT = "%SRCROOT%"
# GitHub's limits on one upload (docs: code scanning, SARIF results exceed limit)
MAX_RESULTS = 25_000  # per run
MAX_RULES = 25_000  # per run
MAX_GZIP_BYTES = 10 * 1024 * 1024  # the file, gzipped
SHOWN_RESULTS = 5_000  # GitHub keeps the most severe 5,000 results of a run
MAX_DESCRIPTION = 1024  # shortDescription / fullDescription
MAX_TAGS = 20  # per rule, GitHub's limit
KIND = {
    "fail": "fail",
    "error": "fail",
    "waived": "fail",
    "pass": "pass",
    "not_applicable": "notApplicable",
}
_LANGS = {"fr": "fr-FR", "en": "en-US"}
_LABELS = {
    "remediation": tr("Action", "Action"),
    "references": tr("Références", "References"),
    "interpretation": tr("Interprétation", "Interpretation"),
    "severity": tr("Gravité", "Severity"),
    "requirements": tr("Exigences", "Requirements"),
}
log = logging.getLogger(__name__)


def render(reports: list, options) -> str:
    log_ = {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run(reports, options)]}
    text = json.dumps(log_, ensure_ascii=False, indent=2, sort_keys=False) + "\n"
    _check_size(text, reports, options)
    return text


def category(options) -> str:
    """GitHub's category of the run: the tool, and the shard when the batch is split."""
    shard = options.shard
    return f"{c.TOOL_NAME}/shard-{shard[0]}-of-{shard[1]}/" if shard else f"{c.TOOL_NAME}/"


def run(reports: list, options) -> dict:
    lang, srcroot = options.lang, options.srcroot
    listed = [(report, report.listed(options.include_passed)) for report in reports]
    count = sum(len(findings) for _, findings in listed)
    if count > MAX_RESULTS:
        raise _too_large(
            tr(f"{c.number(count, 'fr')} résultats", f"{c.number(count, 'en')} results"),
            tr(
                f"au plus {c.number(MAX_RESULTS, 'fr')} par exécution",
                f"at most {c.number(MAX_RESULTS, 'en')} per run",
            ),
            math.ceil(count / MAX_RESULTS) if len(reports) > 1 else None,
            options,
        )
    if count > SHOWN_RESULTS:
        log.warning(
            tr(
                f"SARIF : {c.number(count, 'fr')} résultats ; l'analyse de code de GitHub n'affiche"
                f" que les {c.number(SHOWN_RESULTS, 'fr')} plus graves d'une exécution (--shard K/N"
                " pour tout voir)",
                f"SARIF: {c.number(count, 'en')} results; GitHub code scanning shows only the"
                f" {c.number(SHOWN_RESULTS, 'en')} most severe of a run (--shard K/N to see them"
                " all)",
            )
        )
    rules = _rules(reports, [f for _, findings in listed for f in findings])
    if len(rules) > MAX_RULES:  # a pack of its own could have that many
        raise _too_large(
            tr(f"{c.number(len(rules), 'fr')} règles", f"{c.number(len(rules), 'en')} rules"),
            tr(
                f"au plus {c.number(MAX_RULES, 'fr')} par exécution",
                f"at most {c.number(MAX_RULES, 'en')} per run",
            ),
            None,
            options,
        )
    index = {r["id"]: i for i, r in enumerate(rules)}
    artifacts: list[dict] = []
    artifact_index: dict[str, int] = {}

    def artifact(file: str, report=None) -> tuple[str, bool, int]:
        path, inside = c.relative_path(file, srcroot)
        if path not in artifact_index:
            artifact_index[path] = len(artifacts)
            entry = {"location": _artifact_location(path, inside), "roles": ["analysisTarget"]}
            artifacts.append(entry)
        if report is not None and "properties" not in artifacts[artifact_index[path]]:
            artifacts[artifact_index[path]]["properties"] = snapshot_properties(report)
        return path, inside, artifact_index[path]

    results, notifications = [], []
    for report, findings in listed:
        artifact(
            report.snapshot_file, report
        )  # every snapshot checked is an artifact, findings or not
        for finding in findings:
            path, inside, at = artifact(finding.file)
            results.append(result(finding, index[finding.rule_id], path, inside, at, lang))
        notifications += notices(report, artifact, lang)
    for unreadable in options.unreadable:
        notifications.append(unreadable_notification(unreadable, artifact, lang))
    first = reports[0] if reports else None
    out = {
        "tool": {"driver": driver(first, rules, lang)},
        "automationDetails": {
            "id": category(options),
            "description": {"text": printable(_describe_run(reports, options, lang), 1000)},
        },
        "language": _LANGS.get(lang, lang),
        "columnKind": "unicodeCodePoints",
        "originalUriBaseIds": {SRCROOT: _srcroot_location(srcroot)},
        "artifacts": artifacts,
        "results": results,
        "invocations": [invocation(notifications, bool(options.unreadable))],
        "properties": run_properties(reports, options),
    }
    return out


def _too_large(what: dict, limit: dict, shards: int | None, options) -> InputError:
    """The run would be refused by the upload: say so, and how to split it (a batch into `shards`
    shares; one snapshot cannot be split, only narrowed)."""
    shard = options.shard
    if shards is not None:
        total = shards * (shard[1] if shard else 1)
        how = tr(
            f"découpez le lot en parties : --shard K/{total} (K de 1 à {total}, une exécution"
            " chacune)",
            f"split the batch: --shard K/{total} (K from 1 to {total}, one run each)",
        )
    else:
        how = tr(
            "réduisez le périmètre (--rule, --family, --stage) ou utilisez --format json",
            "narrow the check (--rule, --family, --stage) or use --format json",
        )
    return InputError(
        Problem(
            "SARIF",
            None,
            "",
            tr(
                f"{what['fr']} : l'envoi vers l'analyse de code de GitHub en accepte {limit['fr']}"
                f" ; {how['fr']}",
                f"{what['en']}: GitHub's code scanning upload takes {limit['en']}; {how['en']}",
            ),
        )
    )


def _check_size(text: str, reports: list, options) -> None:
    data = text.encode("utf-8")
    if len(data) <= MAX_GZIP_BYTES:  # gzip never makes JSON text larger than this
        return
    size = len(gzip.compress(data, compresslevel=6))
    if size > MAX_GZIP_BYTES:
        shards = math.ceil(
            size / MAX_GZIP_BYTES * 1.1
        )  # a margin: shards are not all the same size
        mb = {
            code: f"{size / 1048576:.1f}".replace(".", "," if code == "fr" else ".")
            for code in ("fr", "en")
        }
        raise _too_large(
            tr(f"{mb['fr']} Mo une fois compressé (gzip)", f"{mb['en']} MB once gzipped"),
            tr("au plus 10 Mo compressés", "at most 10 MB gzipped"),
            shards if len(reports) > 1 else None,
            options,
        )


def _rules(reports: list, findings: list) -> list[dict]:
    """Every rule that ran on any snapshot, once, sorted by ID; references of every
    edition cited.
    """
    merged: dict[str, dict] = {}
    for report in reports:
        for rule in report.rules:
            known = merged.get(rule["id"])
            if known is None:
                merged[rule["id"]] = dict(rule, references=list(rule.get("references", [])))
            else:
                for ref in rule.get("references", []):
                    if ref not in known["references"]:
                        known["references"].append(ref)
    for finding in findings:  # a finding of a rule no report describes still gets a descriptor
        if finding.rule_id not in merged:
            merged[finding.rule_id] = _rule_from_finding(finding)
    return [merged[key] for key in sorted(merged)]


def snapshot_properties(report) -> dict:
    """What a snapshot's artifact says of the partner and of its evaluation."""
    out = {
        "partner": report.partner,
        "siret": report.siret,
        "asOf": report.as_of,
        "stage": report.stage or "all",
        "framework": report.framework,
        "edition": report.edition,
        "summary": report.summary(),
    }
    if report.baseline is not None:
        out["baseline"] = report.baseline
    if report.waivers is not None:
        out["waivers"] = report.waivers
    return out


def run_properties(reports: list, options) -> dict:
    by_status: dict = {}
    for report in reports:
        for status, n in report.summary()["by_status"].items():
            by_status[status] = by_status.get(status, 0) + n
    first = reports[0] if reports else None
    out = {
        "snapshots": len(reports),
        "unreadable": len(options.unreadable),
        "byStatus": by_status,
        "fingerprintVersion": first.fingerprint_version if first else None,
    }
    if first is not None:
        out["asOf"] = first.as_of
        out["policyPack"] = {"name": first.pack_name, "version": first.pack_version}
    if options.shard:
        out["shard"] = {"k": options.shard[0], "n": options.shard[1]}
    return out


def _describe_run(reports: list, options, lang: str) -> str:
    if len(reports) == 1 and not options.unreadable:
        path, _ = c.relative_path(reports[0].snapshot_file, options.srcroot)
        return f"{reports[0].partner} — {path}"
    return pick(
        tr(f"{len(reports)} instantané(s) vérifié(s)", f"{len(reports)} snapshot(s) checked"), lang
    )


def driver(report, rules: list, lang: str) -> dict:
    """The tool; `report` (any of the run's) names the pack, None when no snapshot could be read."""
    version = c.tool_version(report)
    out: dict = {
        "name": c.TOOL_NAME,
        "fullName": (
            f"{c.TOOL_NAME} {version}"
            + (f" ({report.pack_name} {report.pack_version})" if report else "")
        ),
        "version": version,
        "semanticVersion": version,
        "informationUri": c.INFORMATION_URI,
        "language": _LANGS.get(lang, lang),
        "rules": [descriptor(r, lang) for r in rules],
    }
    if report is not None:
        out["properties"] = {
            "policyPack": {"name": report.pack_name, "version": report.pack_version}
        }
    return out


def descriptor(rule: dict, lang: str) -> dict:
    severity = rule.get("severity", "info")
    title = rule.get("title") or {}
    tags = [t for t in [rule.get("family"), *rule.get("requirements", []), "compliance"] if t][
        :MAX_TAGS
    ]
    properties = {
        "tags": tags,
        "severity": severity,
        "precision": "very-high",
        "requirements": list(rule.get("requirements", [])),
    }
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
    parts = [
        title.rstrip(".") + "." if title else "",
        " ".join((body or "").split()),
        f"{c.colon(_LABELS['references'], lang)} {refs}" if refs else "",
    ]
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
            lines.append(
                f"{c.colon(_LABELS['interpretation'], code)} {pick(rule['interpretation'], code)}"
            )
        if rule.get("remediation"):
            lines.append(
                f"{c.colon(_LABELS['remediation'], code)}"
                f" {c.generic(pick(rule['remediation'], code))}"
            )
        lines.append(
            f"{c.colon(_LABELS['references'], code)}"
            f" {c.references_text(rule.get('references', []))}"
        )
        lines.append(
            f"{c.colon(_LABELS['requirements'], code)} {', '.join(rule.get('requirements', []))} ·"
            f" {c.colon(_LABELS['severity'], code)}"
            f" {pick(c.SEVERITY_NAMES.get(rule.get('severity', '')), code)}"
        )
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def help_markdown(rule: dict, lang: str) -> str:
    blocks = []
    for code in _languages(lang):
        lines = [f"**{c.md_escape(pick(rule.get('title'), code))}** ({code})", ""]
        if code == "en" and rule.get("description"):
            lines += [c.md_escape(rule["description"]), ""]
        if rule.get("interpretation"):
            lines += [
                (
                    f"*{c.colon(_LABELS['interpretation'], code)}*"
                    f" {c.md_escape(pick(rule['interpretation'], code))}"
                ),
                "",
            ]
        if rule.get("remediation"):
            lines += [
                (
                    f"*{c.colon(_LABELS['remediation'], code)}*"
                    f" {c.md_escape(c.generic(pick(rule['remediation'], code)))}"
                ),
                "",
            ]
        lines.append(f"*{c.colon(_LABELS['references'], code)}*")
        lines += [f"- {c.md_escape(c.reference_text(ref))}" for ref in rule.get("references", [])]
        requirements = ", ".join(f"`{r}`" for r in rule.get("requirements", []))
        severity = pick(c.SEVERITY_NAMES.get(rule.get("severity", "")), code)
        lines += [
            "",
            (
                f"*{c.colon(_LABELS['requirements'], code)}* {requirements} ·"
                f" *{c.colon(_LABELS['severity'], code)}* {severity}"
            ),
        ]
        blocks.append("\n".join(lines))
    return "\n\n---\n\n".join(blocks)


def result(
    finding, rule_index: int, path: str, inside: bool, artifact_index: int, lang: str
) -> dict:
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
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": location,
                    "region": {"startLine": c.line_of(finding)},
                },
                "logicalLocations": [
                    {
                        "name": printable(finding.entity_key, 200),
                        "kind": printable(finding.entity_kind, 100),
                        "fullyQualifiedName": printable(
                            f"{finding.entity_kind}/{finding.entity_key}", 300
                        ),
                    }
                ],
            }
        ],
        "partialFingerprints": {
            LINE_HASH_KEY: line_hash(finding.fingerprint, path),
            FINGERPRINT_KEY: finding.fingerprint,
        },
        "properties": {
            "severity": finding.severity,
            "status": finding.status,
            "requirements": list(finding.requirements),
            "entity": {
                "kind": finding.entity_kind,
                "key": finding.entity_key,
                "label": finding.entity_label,
            },
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
    out: dict = {"kind": "external", "status": "accepted"}
    if waiver.get("justification"):
        out["justification"] = printable(waiver["justification"], 2000, keep_newlines=True)
    properties = {
        k: waiver[k]
        for k in ("approved_by", "approved_on", "expires_on", "ticket")
        if waiver.get(k)
    }
    if properties:
        out["properties"] = properties
    return out


def line_hash(fingerprint: str, path: str) -> str:
    """GitHub's alert key, from the finding's fingerprint (rule and entity key) and the snapshot's
    path, in the shape of the value GitHub computes itself (16 hex digits and an occurrence)."""
    return c.located_fingerprint(fingerprint, path)[:16] + ":1"


def notices(report, artifact, lang: str) -> list[dict]:
    """A report's notices (stale snapshot, obsolete framework, rule skipped…) as execution
    notifications located on its snapshot."""
    path, inside, at = artifact(report.snapshot_file)
    location = _artifact_location(path, inside)
    location["index"] = at
    return [
        {
            "level": _notice_level(n.get("level")),
            "message": {"text": c.text(n.get("message"), lang, 4000)},
            "descriptor": {"id": n.get("code", "notice")},
            "locations": [{"physicalLocation": {"artifactLocation": dict(location)}}],
        }
        for n in report.notices
    ]


def unreadable_notification(unreadable, artifact, lang: str) -> dict:
    path, inside, at = artifact(unreadable.file)
    location = _artifact_location(path, inside)
    location["index"] = at
    return {
        "level": "error",
        "message": {"text": printable(pick(unreadable.message, lang), 4000, keep_newlines=True)},
        "descriptor": {"id": "unreadable-snapshot"},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": location,
                    "region": {"startLine": unreadable.line},
                }
            }
        ],
    }


def invocation(notifications: list, failed: bool) -> dict:
    """One invocation: it failed when a snapshot could not be read (the job exits 2)."""
    out: dict = {"executionSuccessful": not failed}
    if notifications:
        out["toolExecutionNotifications"] = notifications
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
    return {
        "id": finding.rule_id,
        "family": finding.family,
        "requirements": list(finding.requirements),
        "severity": finding.severity,
        "title": dict(finding.title),
        "references": [dict(r) for r in finding.references],
        "remediation": {},
        "description": "",
        "interpretation": dict(finding.interpretation) or None,
    }


def _pascal(rule_id: str) -> str:
    return "".join(
        part[:1].upper() + part[1:] for part in rule_id.replace("_", "-").split("-") if part
    )


def _bounded(text: str) -> str:
    text = printable(" ".join((text or "").split()), None)
    return text if len(text) <= MAX_DESCRIPTION else text[: MAX_DESCRIPTION - 1] + "…"
