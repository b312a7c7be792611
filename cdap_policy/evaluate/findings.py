"""Findings and reports as plain values: what a formatter, a baseline or a diff works on."""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass, field

STATUSES = ("fail", "error", "waived", "pass", "not_applicable")
SEVERITY_RANK = {"critical": 0, "high": 1, "medium": 2, "low": 3, "info": 4}
LISTED = ("fail", "error", "waived")  # passing and not-applicable checks are only counted
BASELINE_STATES = ("new", "unchanged", "updated")
# Version of the fingerprint algorithm below. Two reports can be compared (diff, baseline) only
# when they carry the same version; bump it whenever `fingerprint` changes.
FINGERPRINT_VERSION = 1


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
    interpretation: dict = field(
        default_factory=dict, hash=False, compare=False
    )  # the pack's reading of the text, {fr, en}
    # fingerprints of findings that share this one's cause (same profile, same provider...)
    related: tuple = ()
    baseline_state: str | None = None  # with --baseline: new, unchanged or updated
    waiver: dict | None = field(
        default=None, hash=False, compare=False
    )  # the waiver that applies (status waived)

    @functools.cached_property
    def fingerprint(self) -> str:
        # computed once per finding: grouping, sorting and every output read it many times
        return fingerprint(self.rule_id, self.entity_kind, self.entity_key)

    @property
    def family(self) -> str:
        if (
            not self.requirements
        ):  # a finding about the waiver file (report.waivers) cites no requirement
            return "WAIVER" if self.entity_kind == "waiver" else ""
        return self.requirements[0].split("-")[0]

    def counts_for_exit(self, threshold: int) -> bool:
        """Does this finding make `check` exit 1? Errors always do (fail closed); a failure does
        at or above the threshold unless a baseline already knew it."""
        if self.status == "error":
            return True
        if self.status != "fail" or SEVERITY_RANK[self.severity] > threshold:
            return False
        return self.baseline_state in (None, "new")

    def sort_key(self):
        return (
            STATUSES.index(self.status),
            SEVERITY_RANK[self.severity],
            self.rule_id,
            self.entity_kind,
            self.entity_key,
        )

    def to_dict(self) -> dict:
        return {
            "rule_id": self.rule_id,
            "requirements": list(self.requirements),
            "severity": self.severity,
            "status": self.status,
            "entity": {
                "kind": self.entity_kind,
                "key": self.entity_key,
                "label": self.entity_label,
            },
            "location": {"file": self.file, "line": self.line},
            "title": dict(self.title),
            "message": dict(self.message),
            "remediation": dict(self.remediation),
            "references": [dict(r) for r in self.references],
            "interpretation": dict(self.interpretation) if self.interpretation else None,
            "evidence": self.evidence,
            "fingerprint": self.fingerprint,
            "related": list(self.related),
            "baseline_state": self.baseline_state,
            "waiver": dict(self.waiver) if self.waiver else None,
        }


@dataclass(frozen=True)
class Unreadable:
    """A file given as a snapshot that could not be checked: the formats a CI consumer reads
    (SARIF, JUnit, Code Quality, annotations) say so, instead of showing a clean result."""

    file: str
    line: int  # of its first problem, 1 when it has none
    message: dict  # {fr, en}: every problem as `file:line: [field] message`, one per line (bounded)

    @classmethod
    def of(
        cls, file: str, problems=(), internal: str | None = None, redact_line=None
    ) -> Unreadable:
        """From the problems that stopped it (errors.Problem), or an internal error in one line;
        `redact_line(line, field)` masks personal data as the error lines on standard error do."""
        if internal is not None:
            return cls(
                file, 1, {"fr": f"erreur interne : {internal}", "en": f"internal error: {internal}"}
            )
        shown = list(problems)[:MAX_UNREADABLE_LINES]
        more = len(problems) - len(shown)
        message = {}
        for lang, tail in (
            ("fr", f"… et {more} autre(s) problème(s)"),
            ("en", f"… and {more} more problem(s)"),
        ):
            lines = [
                p.render(lang) if redact_line is None else redact_line(p.render(lang), p.path)
                for p in shown
            ]
            message[lang] = "\n".join(lines + ([tail] if more > 0 else []))
        line = next((p.line for p in problems if isinstance(p.line, int) and p.line >= 1), 1)
        return cls(file, line, message)


MAX_UNREADABLE_LINES = 20


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
    counts: dict[str, int]  # status -> count, passes included
    rules_run: int
    framework: str = "mon_compte_partenaire"
    siret: str = ""
    partner_kind: str = ""
    taken_on: str | None = None  # snapshot.taken_on
    as_of_source: str = "option"  # "option" (--as-of) or "today"
    rules: list = field(default_factory=list)  # metadata of every rule that ran (see Rule.info)
    rules_total: int = 0  # rules in the pack
    rules_excluded: dict = field(
        default_factory=dict
    )  # why the others did not run: framework, edition, stage, selection
    notices: list = field(
        default_factory=list
    )  # report-level notes: {code, level, message {fr, en}}
    duration_s: float = 0.0
    fingerprint_version: int = FINGERPRINT_VERSION
    baseline: dict | None = None  # with --baseline: file and counts matched
    waivers: dict | None = None  # with --waivers: file and counts applied, expired, stale
    checklist: list | None = (
        None  # pre-signature stage: documents to prepare, each with the fingerprints it fixes
    )

    def listed(self, include_passed: bool = False) -> list[Finding]:
        keep = STATUSES if include_passed else LISTED
        return sorted((f for f in self.findings if f.status in keep), key=Finding.sort_key)

    def summary(self) -> dict:
        by_severity = {s: 0 for s in SEVERITY_RANK}
        for f in self.findings:
            if f.status == "fail":
                by_severity[f.severity] += 1
        summary = {
            "by_status": {s: self.counts.get(s, 0) for s in STATUSES},
            "failing_by_severity": by_severity,
            "rules_run": self.rules_run,
            "rules_total": self.rules_total,
            "rules_excluded": dict(self.rules_excluded),
        }
        if self.baseline is not None:
            states = {s: 0 for s in BASELINE_STATES}
            for f in self.findings:
                if f.baseline_state in states:
                    states[f.baseline_state] += 1
            summary["by_baseline_state"] = states
        return summary

    def exit_code(self, fail_on: str) -> int:
        """1 when a failure at or above `fail_on` (new, with a baseline), or any error (fail
        closed), else 0.
        """
        threshold = SEVERITY_RANK[fail_on]
        return 1 if any(f.counts_for_exit(threshold) for f in self.findings) else 0

    def header(self) -> dict:
        """Everything but the findings: what a diff shows of each of its two reports."""
        from cdap_policy import __version__

        return {
            "tool": {"name": "cdap-policy", "version": self.tool_version or __version__},
            "policy_pack": {"name": self.pack_name, "version": self.pack_version},
            "fingerprint_version": self.fingerprint_version,
            "as_of": self.as_of,
            "as_of_source": self.as_of_source,
            "stage": self.stage or "all",
            "framework": self.framework,
            "edition": self.edition,
            "snapshot": {
                "file": self.snapshot_file,
                "partner": self.partner,
                "siret": self.siret,
                "kind": self.partner_kind,
                "taken_on": self.taken_on,
            },
            "rules": sorted(r["id"] for r in self.rules),
            "notices": [dict(n) for n in self.notices],
            "summary": self.summary(),
            "baseline": self.baseline,
            "waivers": self.waivers,
            "checklist": self.checklist,
        }

    def to_dict(self, include_passed: bool = False) -> dict:
        return {**self.header(), "findings": [f.to_dict() for f in self.listed(include_passed)]}
