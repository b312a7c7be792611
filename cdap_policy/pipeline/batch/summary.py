"""What a batch found overall: findings by family and by rule, one row per partner with findings,
and the snapshots that could not be read. Plain values, small: a report is ~80 KB, a partner's
row about 1 KB, so the summary of 10,000 partners with findings stays around 10 MB.

A worker turns each report into a `digest`; the summary adds digests up. Summaries of the
shards of one batch merge into the summary of the whole (`merge`, `from_dict`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cdap_policy.evaluate.findings import SEVERITY_RANK

COUNTED = ("fail", "error", "waived")
FORMAT_VERSION = 1


def digest(report, exit_code: int) -> dict:
    """The part of a report the summary needs."""
    rules: dict[str, list] = {}
    for f in report.findings:
        if f.status in COUNTED:
            entry = rules.setdefault(f.rule_id, [f.family or "", f.severity, 0, 0, 0])
            entry[2 + COUNTED.index(f.status)] += 1
    summary = report.summary()
    return {
        "file": report.snapshot_file,
        "partner": report.partner,
        "kind": report.partner_kind,
        "exit_code": exit_code,
        "failing_by_severity": dict(summary["failing_by_severity"]),
        "errors": summary["by_status"]["error"],
        "waived": summary["by_status"]["waived"],
        "rules": rules,
    }


def _empty_counts() -> dict:
    return {"fail": 0, "error": 0, "waived": 0, "partners": 0}


@dataclass
class Summary:
    snapshots: int = 0  # snapshots the batch tried
    checked: int = 0  # of which checked (the others could not be read)
    exit_code: int = 0  # the worst outcome
    by_family: dict[str, dict[str, int]] = field(
        default_factory=dict
    )  # family -> counts (fail, error, waived, partners)
    by_rule: dict = field(default_factory=dict)  # rule -> counts + family, severity
    partners: list = field(
        default_factory=list
    )  # one row per checked snapshot with a failing, error or waived finding
    unreadable: list = field(default_factory=list)  # {file, problems, first {fr, en}, exit_code}
    skipped: list = field(
        default_factory=list
    )  # {file, kind}: the project's own files met on the way, not snapshots

    def add(self, item: dict) -> None:
        self.snapshots += 1
        self.checked += 1
        self.exit_code = max(self.exit_code, item["exit_code"])
        families = set()
        for rule_id, (family, severity, *counts) in item["rules"].items():
            rule = self.by_rule.setdefault(
                rule_id, {"family": family, "severity": severity, **_empty_counts()}
            )
            fam = self.by_family.setdefault(family, _empty_counts())
            for status, n in zip(COUNTED, counts, strict=True):
                rule[status] += n
                fam[status] += n
            rule["partners"] += 1
            families.add(family)
        for family in families:
            self.by_family[family]["partners"] += 1
        # a compliant partner is only counted: the rows grow with the partners that have findings
        if item["rules"]:
            self.partners.append(
                {
                    k: item[k]
                    for k in (
                        "file",
                        "partner",
                        "kind",
                        "exit_code",
                        "failing_by_severity",
                        "errors",
                        "waived",
                    )
                }
            )

    def add_unreadable(self, file: str, problems, exit_code: int = 2) -> None:
        self.snapshots += 1
        self.exit_code = max(self.exit_code, exit_code)
        first = problems[0] if problems else None
        self.unreadable.append(
            {
                "file": file,
                "problems": len(problems),
                "exit_code": exit_code,
                "first": {lang: first.render(lang) for lang in ("fr", "en")} if first else None,
            }
        )

    def add_skipped(self, file: str, kind: str) -> None:
        self.skipped.append({"file": file, "kind": kind})

    def merge(self, other: Summary) -> Summary:
        """The summary of two disjoint parts of a batch (shards)."""
        merged = Summary.from_dict(self.to_dict())
        merged.snapshots += other.snapshots
        merged.checked += other.checked
        merged.exit_code = max(merged.exit_code, other.exit_code)
        for mine, theirs in ((merged.by_rule, other.by_rule), (merged.by_family, other.by_family)):
            for key, counts in theirs.items():
                # a rule's family and severity are the same in every part; its counts add up
                target = mine.setdefault(key, {**counts, **_empty_counts()})
                for k in _empty_counts():
                    target[k] += counts[k]
        merged.partners = sorted(
            merged.partners + [dict(p) for p in other.partners], key=lambda p: p["file"]
        )
        merged.unreadable = sorted(
            merged.unreadable + [dict(u) for u in other.unreadable], key=lambda u: u["file"]
        )
        merged.skipped = sorted(
            merged.skipped + [dict(s) for s in other.skipped], key=lambda s: s["file"]
        )
        return merged

    # -- views the formatters share ------------------------------------------------------------

    def families(self) -> list[tuple[str, dict]]:
        return sorted(self.by_family.items())

    def rules(self) -> list[tuple[str, dict]]:
        """Most failures first, then the most severe, then by ID."""
        return sorted(
            self.by_rule.items(),
            key=lambda kv: (
                -kv[1]["fail"] - kv[1]["error"],
                SEVERITY_RANK.get(kv[1]["severity"], 9),
                kv[0],
            ),
        )

    def worst_partners(self) -> list[dict]:
        """Partners with a failure, error or waiver, worst first: exit code, then failures by
        severity from critical down, then errors, then file."""

        def key(p):
            return (
                -p["exit_code"],
                *(-p["failing_by_severity"].get(s, 0) for s in SEVERITY_RANK),
                -p["errors"],
                p["file"],
            )

        return sorted(
            (
                p
                for p in self.partners
                if p["errors"] or p["waived"] or any(p["failing_by_severity"].values())
            ),
            key=key,
        )

    def failing_by_severity(self) -> dict:
        total = {s: 0 for s in SEVERITY_RANK}
        for p in self.partners:
            for s, n in p["failing_by_severity"].items():
                total[s] += n
        return total

    def to_dict(self) -> dict:
        return {
            "format_version": FORMAT_VERSION,
            "snapshots": self.snapshots,
            "checked": self.checked,
            "unreadable_count": len(self.unreadable),
            "exit_code": self.exit_code,
            "failing_by_severity": self.failing_by_severity(),
            "by_family": {k: dict(v) for k, v in sorted(self.by_family.items())},
            "by_rule": {k: dict(v) for k, v in sorted(self.by_rule.items())},
            "partners": [dict(p) for p in self.partners],
            "unreadable": [dict(u) for u in self.unreadable],
            "skipped": [dict(s) for s in self.skipped],
        }

    @classmethod
    def from_dict(cls, data: dict) -> Summary:
        if data.get("format_version") != FORMAT_VERSION:
            raise ValueError(
                f"batch summary format {data.get('format_version')!r}, expected {FORMAT_VERSION}"
            )
        return cls(
            snapshots=data["snapshots"],
            checked=data["checked"],
            exit_code=data["exit_code"],
            by_family={k: dict(v) for k, v in data["by_family"].items()},
            by_rule={k: dict(v) for k, v in data["by_rule"].items()},
            partners=[dict(p) for p in data["partners"]],
            unreadable=[dict(u) for u in data["unreadable"]],
            skipped=[dict(s) for s in data.get("skipped", [])],
        )
