"""JUnit XML for CI test reports (GitLab `artifacts:reports:junit`, Jenkins, GitHub test-report
actions): one test suite per snapshot, one test case per rule × entity.

By default only what needs reading is written — failures, errors, waived findings, failures the
baseline already knew, rules skipped by the configuration — while passes and « not applicable »
are counted in the suite's attributes (`tests`, `skipped`) and properties: at the size of a Caf,
every outcome would break GitLab's 30 MB limit on a report (200 partners: 49 MB, 56 % of them
not applicable). `--include-passed` writes every outcome as a case.

`classname` is the rule ID and `name` the entity kind and key: both stable across runs, and
unique within a suite (GitLab keys a case by suite, class and name and drops duplicates). A
snapshot that could not be read is a suite with one `<error>` case naming its file and line.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from cdap_policy.formatters import common as c
from cdap_policy.support.i18n import pick, tr
from cdap_policy.support.textsafe import printable

SHOWS_UNREADABLE = True
UNREADABLE_CASE = "unreadable-snapshot"

_LABELS = {
    "remediation": tr("Action", "Action"),
    "references": tr("Références", "References"),
    "severity": tr("Gravité", "Severity"),
    "requirements": tr("Exigences", "Requirements"),
    "location": tr("Emplacement", "Location"),
    "evidence": tr("Valeurs lues", "Values read"),
    "waived": tr("Dérogation", "Waiver"),
    "known": tr(
        "Connu dans la référence (--baseline), ne compte pas",
        "Known in the baseline (--baseline), does not count",
    ),
    "all_cases": tr("tous les résultats", "every outcome"),
    "some_cases": tr(
        "échecs, erreurs, dérogés, connus de la référence, règles écartées ; conformes et non"
        " applicables seulement comptés (--include-passed : tous)",
        "failures, errors, waived, known in the baseline, skipped rules; passes and not applicable"
        " only counted (--include-passed: all)",
    ),
}
# XML 1.0 cannot carry these even as character references
_NOT_XML = re.compile("[\ufffe\uffff\ud800-\udfff]")


def render(reports: list, options) -> str:
    root = ET.Element("testsuites", name=c.TOOL_NAME)
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    time = 0.0
    suites = [testsuite(report, options) for report in reports]
    suites += [unreadable_suite(u, options) for u in options.unreadable]
    for suite, counts in suites:
        root.append(suite)
        for key in totals:
            totals[key] += counts[key]
    time = sum(report.duration_s or 0.0 for report in reports)
    for key, value in totals.items():
        root.set(key, str(value))
    root.set("time", _seconds(time))
    ET.indent(root, space="  ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def testsuite(report, options) -> tuple[ET.Element, dict]:
    lang = options.lang
    snapshot, _ = c.relative_path(report.snapshot_file, options.srcroot)
    findings = sorted(
        report.listed(include_passed=options.include_passed),
        key=lambda f: (f.rule_id, f.entity_kind, f.entity_key),
    )
    outcomes = {
        status: report.counts.get(status, 0)
        for status in ("fail", "error", "waived", "pass", "not_applicable")
    }
    known = sum(f.status == "fail" and _known(f) for f in report.findings)
    skipped_rules = [n for n in report.notices if n.get("code") == "rule-skipped" and n.get("rule")]
    # every outcome counts, written or not: passes and « not applicable » are only counted by
    # default
    counts = {
        "tests": sum(outcomes.values()) + len(skipped_rules),
        "failures": outcomes["fail"] - known,
        "errors": outcomes["error"],
        "skipped": outcomes["waived"] + outcomes["not_applicable"] + known + len(skipped_rules),
    }
    suite = ET.Element(
        "testsuite", {"name": _xml(snapshot), **{k: str(v) for k, v in counts.items()}}
    )
    suite.set("time", _seconds(report.duration_s or 0.0))
    suite.set("timestamp", f"{report.as_of}T00:00:00")
    suite.set("file", _xml(snapshot))
    properties = ET.SubElement(suite, "properties")
    for name, value in (
        ("partner", report.partner),
        ("siret", report.siret),
        ("as_of", report.as_of),
        ("stage", report.stage or "all"),
        ("framework", report.framework),
        ("edition", report.edition),
        ("policy_pack", f"{report.pack_name} {report.pack_version}"),
        ("tool", f"{c.TOOL_NAME} {c.tool_version(report)}"),
        ("passed", outcomes["pass"]),
        ("not_applicable", outcomes["not_applicable"]),
        (
            "cases_written",
            pick(_LABELS["all_cases"] if options.include_passed else _LABELS["some_cases"], lang),
        ),
    ):
        ET.SubElement(properties, "property", name=name, value=_xml(value))
    for notice in report.notices:
        ET.SubElement(
            properties,
            "property",
            name=f"notice.{notice.get('code', 'notice')}",
            value=_xml(pick(notice.get("message"), lang)),
        )
    for finding in findings:
        suite.append(testcase(finding, options))
    for notice in skipped_rules:  # a rule not run is reported as skipped, never left out silently
        case = ET.SubElement(
            suite,
            "testcase",
            classname=_xml(notice["rule"]),
            name="configuration",
            file=_xml(snapshot),
            line="1",
        )
        ET.SubElement(
            case, "skipped", message=_xml(pick(notice.get("message"), lang), 1000, one_line=True)
        )
    return suite, counts


def unreadable_suite(unreadable, options) -> tuple[ET.Element, dict]:
    """A snapshot that could not be checked: an error, never a clean suite (nor no suite at all)."""
    path, _ = c.relative_path(unreadable.file, options.srcroot)
    counts = {"tests": 1, "failures": 0, "errors": 1, "skipped": 0}
    suite = ET.Element("testsuite", {"name": _xml(path), **{k: str(v) for k, v in counts.items()}})
    suite.set("time", _seconds(0.0))
    suite.set("file", _xml(path))
    case = ET.SubElement(
        suite,
        "testcase",
        classname=c.TOOL_NAME,
        name=UNREADABLE_CASE,
        file=_xml(path),
        line=str(unreadable.line),
    )
    text = pick(unreadable.message, options.lang)
    error = ET.SubElement(
        case,
        "error",
        message=_xml(text.splitlines()[0] if text else "", 1000, one_line=True),
        type=UNREADABLE_CASE,
    )
    error.text = _xml(text)
    return suite, counts


def testcase(finding, options) -> ET.Element:
    lang = options.lang
    path, _ = c.relative_path(finding.file, options.srcroot)
    case = ET.Element(
        "testcase",
        classname=_xml(finding.rule_id),
        name=_xml(c.entity_text(finding)),
        file=_xml(path),
        line=str(c.line_of(finding)),
    )
    message = _xml(pick(finding.message, lang), 1000, one_line=True)
    if finding.status == "fail" and _known(finding):
        # the CI gate: a failure the baseline already held is reported, not failed (as the
        # exit code)
        skipped = ET.SubElement(
            case,
            "skipped",
            message=_xml(
                f"{c.colon(_LABELS['known'], lang)} {pick(finding.message, lang)}",
                1000,
                one_line=True,
            ),
        )
        skipped.text = _body(finding, path, lang)
    elif finding.status == "fail":
        ET.SubElement(case, "failure", message=message, type=finding.severity).text = _body(
            finding, path, lang
        )
    elif finding.status == "error":
        ET.SubElement(case, "error", message=message, type="evaluation-error").text = _body(
            finding, path, lang
        )
    elif finding.status == "waived":
        reason = (finding.waiver or {}).get("justification") or pick(c.STATUS_NAMES["waived"], lang)
        skipped = ET.SubElement(
            case,
            "skipped",
            message=_xml(f"{c.colon(_LABELS['waived'], lang)} {reason}", 1000, one_line=True),
        )
        skipped.text = _xml(
            "\n".join(
                f"{c.colon(label, lang)} {value}"
                for label, value in c.waiver_items(finding.waiver, lang)
            )
            or reason
        )
    elif finding.status == "not_applicable":
        ET.SubElement(case, "skipped", message=_xml(pick(c.NOT_APPLICABLE_REASON, lang)))
    return case


def _known(finding) -> bool:
    """Marked known by `--baseline` (an `error` never is: it always fails)."""
    return finding.baseline_state in ("unchanged", "updated")


def _body(finding, path: str, lang: str) -> str:
    lines = [pick(finding.message, lang)]
    if pick(finding.remediation, lang):
        lines.append(f"{c.colon(_LABELS['remediation'], lang)} {pick(finding.remediation, lang)}")
    lines.append(f"{c.colon(_LABELS['references'], lang)} {c.references_text(finding.references)}")
    lines.append(
        f"{c.colon(_LABELS['requirements'], lang)} {', '.join(finding.requirements)} ·"
        f" {c.colon(_LABELS['severity'], lang)}"
        f" {pick(c.SEVERITY_NAMES.get(finding.severity), lang)}"
    )
    lines.append(
        f"{c.colon(_LABELS['location'], lang)} {path}:{c.line_of(finding)}"
        f" ({c.entity_text(finding)})"
    )
    evidence = c.evidence_items(finding.evidence, lang)
    if evidence:
        lines.append(c.colon(_LABELS["evidence"], lang))
        lines += [f"  {name} = {value}" for name, value in evidence]
    if finding.baseline_state:
        lines.append(f"baseline: {finding.baseline_state}")
    return _xml("\n".join(lines))


def _xml(value, limit: int | None = None, one_line: bool = False) -> str:
    """Text XML can carry: controls escaped (newlines kept in bodies), bounded."""
    text = str(value if value is not None else "")
    if one_line:
        text = " ".join(text.split())
    return _NOT_XML.sub("\ufffd", printable(text, limit, keep_newlines=not one_line))


def _seconds(value: float) -> str:
    return f"{max(value, 0.0):.3f}"
