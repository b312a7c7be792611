"""Findings and reports as plain values: what a formatter, a baseline or a diff works on."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

STATUSES = ("fail", "error", "waived", "pass", "not_applicable")
SEVERITY_RANK = {"critical": 0, "high": 1, "medium": 2, "low": 3, "info": 4}
LISTED = ("fail", "error", "waived")  # passing and not-applicable checks are only counted


def fingerprint(rule_id: str, entity_kind: str, entity_key: str) -> str:
    """Depends on the rule and the entity key only: not on list positions, wording or lines,
    so re-ordering users or rewording a message changes nothing."""
    digest = hashlib.sha256(f"{rule_id}\x1f{entity_kind}\x1f{entity_key}".encode()).hexdigest()
    return digest[:32]


@dataclass(frozen=True)
class Finding:
    rule_id: str
    requirements: tuple
    severity: str
    status: str
    entity_kind: str
    entity_key: str
    entity_label: str
    file: str
    line: int
    title: dict
    message: dict
    remediation: dict
    references: tuple
    evidence: dict = field(default_factory=dict, hash=False, compare=False)

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.rule_id, self.entity_kind, self.entity_key)

    @property
    def family(self) -> str:
        return self.requirements[0].split("-")[0] if self.requirements else ""

    def sort_key(self):
        return (STATUSES.index(self.status), SEVERITY_RANK[self.severity], self.rule_id, self.entity_kind, self.entity_key)

    def to_dict(self) -> dict:
        return {
            "rule_id": self.rule_id,
            "requirements": list(self.requirements),
            "severity": self.severity,
            "status": self.status,
            "entity": {"kind": self.entity_kind, "key": self.entity_key, "label": self.entity_label},
            "location": {"file": self.file, "line": self.line},
            "title": dict(self.title),
            "message": dict(self.message),
            "remediation": dict(self.remediation),
            "references": [dict(r) for r in self.references],
            "evidence": self.evidence,
            "fingerprint": self.fingerprint,
        }


@dataclass
class Report:
    tool_version: str
    pack_name: str
    pack_version: str
    as_of: str
    stage: str | None
    edition: int
    snapshot_file: str
    partner: str
    findings: list[Finding]
    counts: dict  # status -> count, passes included
    rules_run: int

    def listed(self, include_passed: bool = False) -> list[Finding]:
        keep = STATUSES if include_passed else LISTED
        return sorted((f for f in self.findings if f.status in keep), key=Finding.sort_key)

    def summary(self) -> dict:
        by_severity = {s: 0 for s in SEVERITY_RANK}
        for f in self.findings:
            if f.status == "fail":
                by_severity[f.severity] += 1
        return {
            "by_status": {s: self.counts.get(s, 0) for s in STATUSES},
            "failing_by_severity": by_severity,
            "rules_run": self.rules_run,
        }

    def exit_code(self, fail_on: str) -> int:
        """1 when a failure at or above `fail_on`, or any error (fail closed), else 0."""
        threshold = SEVERITY_RANK[fail_on]
        for f in self.findings:
            if f.status == "error":
                return 1
            if f.status == "fail" and SEVERITY_RANK[f.severity] <= threshold:
                return 1
        return 0

    def to_dict(self, include_passed: bool = False) -> dict:
        from cdap_policy import __version__

        return {
            "tool": {"name": "cdap-policy", "version": self.tool_version or __version__},
            "policy_pack": {"name": self.pack_name, "version": self.pack_version},
            "as_of": self.as_of,
            "stage": self.stage or "all",
            "edition": self.edition,
            "snapshot": {"file": self.snapshot_file, "partner": self.partner},
            "summary": self.summary(),
            "findings": [f.to_dict() for f in self.listed(include_passed)],
        }
