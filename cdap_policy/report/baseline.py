"""`check --baseline OLD.json`: mark each finding new, unchanged or updated against a known report.

A CI pipeline that gates a change to a partner's habilitations fails on what the change
introduced, not on the past: a finding whose fingerprint the baseline holds does not count for
the exit code (an `error` still does: it is never a known state). A baseline of another partner
or of another fingerprint version is refused.
"""

from __future__ import annotations

import dataclasses

from cdap_policy.evaluate.findings import LISTED, Report
from cdap_policy.report import diff
from cdap_policy.support.errors import InputError, Problem
from cdap_policy.support.i18n import tr


def _header(report: Report) -> dict:
    return {"snapshot": {"siret": report.siret, "partner": report.partner}}


def select(reports: list[dict], report: Report, file: str, batch: bool = False) -> dict | None:
    """The baseline of this report's partner among the report(s) of a baseline file. None when a
    run over several snapshots meets a partner the baseline does not hold (added by the change
    under review); with one snapshot, a baseline of another partner is a mistake, refused."""
    mine = _header(report)
    matching = [r for r in reports if diff.same_partner(r, mine)]
    if not matching and batch:
        return None
    if not matching:
        theirs = ", ".join(diff.describe_partner(r) for r in reports[:3])
        raise InputError(
            Problem(
                file,
                None,
                "",
                tr(
                    f"référence d'un autre partenaire ({theirs}) que l'instantané"
                    f" {report.snapshot_file} ({diff.describe_partner(mine)}) : une référence ne"
                    " vaut que pour son partenaire",
                    f"baseline of another partner ({theirs}) than snapshot {report.snapshot_file} "
                    f"({diff.describe_partner(mine)}): a baseline only holds for its own partner",
                ),
            )
        )
    # several reports of one partner (a run over two snapshots of it): the one of the same file
    return next(
        (r for r in matching if (r.get("snapshot") or {}).get("file") == report.snapshot_file),
        matching[0],
    )


def mark(report: Report, reports: list[dict], file: str, batch: bool = False) -> Report:
    """A copy of `report` with `baseline_state` on every failing, error or waived finding."""
    baseline = select(reports, report, file, batch)
    if baseline is None:
        return _new_partner(report, file)
    if baseline.get("fingerprint_version") != report.fingerprint_version:
        raise InputError(
            Problem(
                file,
                None,
                "",
                tr(
                    f"référence aux empreintes de version {baseline.get('fingerprint_version')}, ce"
                    f" cdap-policy calcule la version {report.fingerprint_version} : refaites la"
                    " référence (`check --format json`) avec la version actuelle",
                    f"baseline with fingerprint version {baseline.get('fingerprint_version')}, this"
                    f" cdap-policy computes version {report.fingerprint_version}: write the"
                    " baseline again (`check --format json`) with the current version",
                ),
            )
        )
    known = diff.index(baseline["findings"])
    baseline_rules = {str(r) for r in baseline.get("rules") or []}
    counts = {"new": 0, "unchanged": 0, "updated": 0, "new_rule": 0}
    seen, marked = set(), []
    for finding in report.findings:
        if finding.status not in LISTED:
            marked.append(finding)
            continue
        before = known.get(finding.fingerprint)
        if before is None:
            state = "new"
            if finding.rule_id not in baseline_rules and not finding.rule_id.startswith(
                diff.PSEUDO_RULE_PREFIX
            ):
                counts["new_rule"] += 1
        else:
            seen.add(finding.fingerprint)
            state = "updated" if diff.changes(before, finding.to_dict()) else "unchanged"
        counts[state] += 1
        marked.append(dataclasses.replace(finding, baseline_state=state))
    summary = {
        "file": file,
        "as_of": baseline.get("as_of"),
        "policy_pack": baseline.get("policy_pack"),
        "matched": counts["unchanged"] + counts["updated"],
        **counts,
        "absent": len(set(known) - seen),
    }
    notices = list(report.notices)
    if baseline.get("policy_pack") != {"name": report.pack_name, "version": report.pack_version}:
        pack = baseline.get("policy_pack") or {}
        notices.append(
            {
                "code": "baseline-pack-changed",
                "level": "info",
                "message": tr(
                    f"La référence {file} a été produite avec le paquet {pack.get('name')}"
                    f" {pack.get('version')}, ce rapport avec {report.pack_name}"
                    f" {report.pack_version}"
                    f" : {counts['new_rule']} constat(s) nouveau(x) viennent de règles absentes de"
                    " la"
                    " référence.",
                    f"Baseline {file} was written with pack {pack.get('name')}"
                    f" {pack.get('version')},"
                    f" this report with {report.pack_name} {report.pack_version}:"
                    f" {counts['new_rule']}"
                    " new finding(s) come from rules the baseline did not run.",
                ),
            }
        )
    return dataclasses.replace(report, findings=marked, baseline=summary, notices=notices)


def _new_partner(report: Report, file: str) -> Report:
    """A partner absent from the baseline: all its findings are new, and the report says why."""
    marked = [
        dataclasses.replace(f, baseline_state="new") if f.status in LISTED else f
        for f in report.findings
    ]
    new = sum(1 for f in marked if f.baseline_state == "new")
    summary = {
        "file": file,
        "as_of": None,
        "policy_pack": None,
        "matched": 0,
        "new": new,
        "unchanged": 0,
        "updated": 0,
        "new_rule": 0,
        "absent": 0,
        "partner_absent": True,
    }
    notice = {
        "code": "baseline-partner-absent",
        "level": "info",
        "message": tr(
            f"La référence {file} ne contient pas de rapport de ce partenaire : tous ses constats"
            " sont nouveaux.",
            f"Baseline {file} holds no report of this partner: all its findings are new.",
        ),
    }
    return dataclasses.replace(
        report, findings=marked, baseline=summary, notices=[*report.notices, notice]
    )
