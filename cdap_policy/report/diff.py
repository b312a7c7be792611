"""The diff of two reports of one partner (annual review, CONV art. 16), in SARIF's words.

Findings are matched by fingerprint (rule + entity key), never by line or list position:
`new` (in the new report only), `absent` (resolved: in the old one only), `unchanged`, and
`updated` (same fingerprint, another severity, status or value read by the rule). Only
failing, error and waived findings take part: passes listed with `--include-passed` are not
findings. A pack change between the two reports is the normal case: a new finding whose rule
did not run in the old report is marked `new_rule`, an absent one whose rule did not run in the
new report `rule_removed`, so that nobody reads a pack change as a change of the partner.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from cdap_policy.evaluate.findings import LISTED, SEVERITY_RANK
from cdap_policy.support.errors import InputError, Problem
from cdap_policy.support.i18n import tr
from cdap_policy.support.textsafe import bounded

CLASSES = ("new", "absent", "unchanged", "updated")
# Evidence that says where or how much was read, not what is wrong: the rows sampled from a
# consultation log and their lines move whenever the log grows.
POSITIONAL_EVIDENCE = frozenset({"first_row", "sample", "checked"})
PSEUDO_RULE_PREFIX = "waiver-"  # findings about the waiver file itself (see report.waivers)
WAIVER_FAMILY = "WAIVER"
NO_FAMILY = "OTHER"


def family(finding: dict) -> str:
    """ELIG, QUOTA, GOV… from the first requirement; WAIVER for findings about a waiver."""
    requirements = finding.get("requirements") or []
    if requirements:
        return str(requirements[0]).split("-")[0]
    if (finding.get("entity") or {}).get("kind") == "waiver":
        return WAIVER_FAMILY
    return NO_FAMILY


def _is_wording(key: str, value) -> bool:
    # a value written for one language (`reason_fr`) or in both ({fr, en}) is wording, which a
    # pack may change between two years; the values the message is built from are compared
    return key.endswith(("_fr", "_en")) or (isinstance(value, dict) and set(value) == {"fr", "en"})


def _canonical(value) -> str:
    """Equal for equal values whatever the order of list items (users written in another order)."""

    def norm(v):
        if isinstance(v, dict):
            return {str(k): norm(x) for k, x in v.items()}
        if isinstance(v, list):
            return sorted(
                (norm(x) for x in v),
                key=lambda x: json.dumps(x, sort_keys=True, ensure_ascii=False),
            )
        return v

    return json.dumps(norm(value), sort_keys=True, ensure_ascii=False)


def changes(before: dict, after: dict) -> list[str]:
    """What makes two findings of one fingerprint differ: `severity`, `status`, `evidence.<name>`.

    Evidence is compared on the names both findings have, so a rule that records one more value
    than last year is not a change; wording and positions are never compared."""
    out = [key for key in ("severity", "status") if before.get(key) != after.get(key)]
    old, new = before.get("evidence"), after.get("evidence")
    if isinstance(old, dict) and isinstance(new, dict):
        for name in sorted(set(old) & set(new)):
            if (
                name in POSITIONAL_EVIDENCE
                or _is_wording(name, old[name])
                or _is_wording(name, new[name])
            ):
                continue
            if _canonical(old[name]) != _canonical(new[name]):
                out.append(f"evidence.{name}")
    return out


def index(findings: list) -> dict:
    """fingerprint -> finding, for the findings a comparison considers (fail, error, waived)."""
    out: dict = {}
    for finding in findings:
        if finding.get("status") not in LISTED:
            continue
        key, n = finding["fingerprint"], 1
        while key in out:  # never from this tool; a hand-made file must still not lose a finding
            n += 1
            key = f"{finding['fingerprint']}#{n}"
        out[key] = finding
    return out


def sort_key(finding: dict):
    entity = finding.get("entity") or {}
    return (
        SEVERITY_RANK.get(finding.get("severity", ""), len(SEVERITY_RANK)),
        str(finding.get("rule_id")),
        str(entity.get("kind")),
        str(entity.get("key")),
    )


def partner_of(report: dict) -> tuple[str, str]:
    snapshot = report.get("snapshot") or {}
    return str(snapshot.get("siret") or ""), str(snapshot.get("partner") or "")


def same_partner(a: dict, b: dict) -> bool:
    (siret_a, name_a), (siret_b, name_b) = partner_of(a), partner_of(b)
    return siret_a == siret_b if siret_a and siret_b else name_a == name_b


def describe_partner(report: dict) -> str:
    siret, name = partner_of(report)
    return bounded(f"{name} (SIRET {siret or '—'})", 120)


def check_versions(old: dict, new: dict, old_file: str, new_file: str) -> None:
    if old.get("fingerprint_version") != new.get("fingerprint_version"):
        raise InputError(
            Problem(
                new_file,
                None,
                "",
                tr(
                    f"empreintes de versions différentes ({old_file} :"
                    f" {old.get('fingerprint_version')}, ce rapport :"
                    f" {new.get('fingerprint_version')}) : les constats ne peuvent pas être"
                    " appariés ; refaites `check --format json` sur l'ancien instantané avec la"
                    " version actuelle de cdap-policy",
                    f"fingerprint versions differ ({old_file}: {old.get('fingerprint_version')},"
                    f" this report: {new.get('fingerprint_version')}): findings cannot be matched;"
                    " run `check --format json` again on the old snapshot with the current"
                    " cdap-policy",
                ),
            )
        )


def _rule_ids(report: dict) -> set:
    return {r for r in report.get("rules") or [] if not str(r).startswith(PSEUDO_RULE_PREFIX)}


def pack_change(old: dict, new: dict) -> dict:
    old_pack, new_pack = old.get("policy_pack") or {}, new.get("policy_pack") or {}
    added, removed = (
        sorted(_rule_ids(new) - _rule_ids(old)),
        sorted(_rule_ids(old) - _rule_ids(new)),
    )
    return {
        "old": old_pack,
        "new": new_pack,
        "changed": bool(added or removed or old_pack != new_pack),
        "rules_added": added,
        "rules_removed": removed,
    }


def _notices(old: dict, new: dict, pack: dict, forced: bool) -> list[dict]:
    out = []
    if forced:
        out.append(
            {
                "code": "different-partners",
                "level": "warning",
                "message": tr(
                    "Comparaison forcée (--force) de deux partenaires différents :"
                    f" {describe_partner(old)} et {describe_partner(new)}.",
                    "Forced comparison (--force) of two different partners:"
                    f" {describe_partner(old)}"
                    f" and {describe_partner(new)}.",
                ),
            }
        )
    if pack["changed"]:
        was, now = (
            f"{p.get('name', '?')} {p.get('version', '?')}" for p in (pack["old"], pack["new"])
        )
        added, removed = len(pack["rules_added"]), len(pack["rules_removed"])
        what = (
            tr(
                f"Le paquet de règles a changé ({was} → {now})",
                f"The policy pack changed ({was} → {now})",
            )
            if pack["old"] != pack["new"]
            else tr(
                f"Les règles exécutées diffèrent ({now} ; étape, bulletin ou sélection)",
                f"The rules that ran differ ({now}; stage, edition or selection)",
            )
        )
        out.append(
            {
                "code": "pack-changed",
                "level": "info",
                "message": tr(
                    f"{what['fr']} : {added} règle(s) ajoutée(s), {removed} retirée(s). C'est le"
                    " cas"
                    " normal entre deux revues : un constat marqué « nouvelle règle » ou « règle"
                    " retirée » vient du paquet, pas d'un changement chez le partenaire.",
                    f"{what['en']}: {added} rule(s) added, {removed} removed. That is the normal"
                    " case"
                    " between two reviews: a finding marked « new rule » or « rule removed » comes"
                    " from the pack, not from a change of the partner.",
                ),
            }
        )
    if str(old.get("as_of") or "") > str(new.get("as_of") or ""):
        out.append(
            {
                "code": "dates-reversed",
                "level": "warning",
                "message": tr(
                    f"L'ancien rapport est daté du {old.get('as_of')}, après le nouveau"
                    f" ({new.get('as_of')}) : arguments inversés ?",
                    f"The old report is dated {old.get('as_of')}, after the new one"
                    f" ({new.get('as_of')}): arguments swapped?",
                ),
            }
        )
    for key, fr, en in (
        ("stage", "l'étape", "stage"),
        ("edition", "le bulletin", "bulletin edition"),
        ("framework", "le cadre", "framework"),
    ):
        if old.get(key) != new.get(key):
            out.append(
                {
                    "code": f"{key}-differs",
                    "level": "info",
                    "message": tr(
                        f"Les deux rapports ne portent pas sur {fr} : {old.get(key)} →"
                        f" {new.get(key)} ;"
                        " des règles ont pu ne tourner que dans l'un.",
                        f"The two reports differ in {en}: {old.get(key)} → {new.get(key)}; some"
                        " rules"
                        " may have run in one only.",
                    ),
                }
            )
    return out


@dataclass
class Diff:
    old: dict  # header of the old report (everything but its findings)
    new: dict
    files: dict  # {"old": path, "new": path} of the two report files
    added: list = field(default_factory=list)  # class `new` (`self.new` is the new report's header)
    absent: list = field(default_factory=list)
    unchanged: list = field(default_factory=list)
    updated: list = field(default_factory=list)  # {"before", "after", "changes"}
    pack: dict = field(default_factory=dict)
    notices: list = field(default_factory=list)

    def classes(self) -> dict:
        return {
            "new": self.added,
            "absent": self.absent,
            "unchanged": self.unchanged,
            "updated": self.updated,
        }

    def summary(self) -> dict:
        by_family: dict = {}
        for name, items in self.classes().items():
            for item in items:
                counts = by_family.setdefault(
                    family(item["after"] if name == "updated" else item), dict.fromkeys(CLASSES, 0)
                )
                counts[name] += 1
        return {
            **{name: len(items) for name, items in self.classes().items()},
            "new_rule": sum(1 for f in self.added if f.get("pack_change") == "new_rule"),
            "rule_removed": sum(1 for f in self.absent if f.get("pack_change") == "rule_removed"),
            "by_family": dict(sorted(by_family.items())),
        }

    def counts_for_exit(self, finding: dict, threshold: int) -> bool:
        if finding.get("status") == "error":
            return True  # as in `check`: a rule that could not be evaluated never counts as a pass
        return (
            finding.get("status") == "fail"
            and SEVERITY_RANK.get(finding.get("severity", ""), 0) <= threshold
        )

    def exit_code(self, fail_on: str) -> int:
        """1 when a `new` finding fails at or above `fail_on` (or is an error), else 0."""
        threshold = SEVERITY_RANK[fail_on]
        return 1 if any(self.counts_for_exit(f, threshold) for f in self.added) else 0

    def to_dict(self) -> dict:
        from cdap_policy import __version__

        return {
            "tool": {"name": "cdap-policy", "version": __version__},
            "fingerprint_version": self.new.get("fingerprint_version"),
            "files": dict(self.files),
            "reports": {"old": self.old, "new": self.new},
            "pack": self.pack,
            "notices": list(self.notices),
            "summary": self.summary(),
            **{name: list(items) for name, items in self.classes().items()},
        }


def header(report: dict) -> dict:
    return {key: value for key, value in report.items() if key != "findings"}


def diff_reports(
    old: dict, new: dict, old_file: str = "old", new_file: str = "new", force: bool = False
) -> Diff:
    """Classify the findings of two reports; InputError when they cannot be compared."""
    check_versions(old, new, old_file, new_file)
    forced = not same_partner(old, new)
    if forced and not force:
        raise InputError(
            Problem(
                new_file,
                None,
                "",
                tr(
                    f"rapport d'un autre partenaire que {old_file} : {describe_partner(new)} contre"
                    f" {describe_partner(old)} ; --force pour les comparer quand même",
                    f"report of another partner than {old_file}: {describe_partner(new)} against"
                    f" {describe_partner(old)}; pass --force to compare them anyway",
                ),
            )
        )
    pack = pack_change(old, new)
    before, after = index(old["findings"]), index(new["findings"])
    old_rules, new_rules = _rule_ids(old), _rule_ids(new)
    result = Diff(
        header(old),
        header(new),
        {"old": old_file, "new": new_file},
        pack=pack,
        notices=_notices(old, new, pack, forced),
    )
    for key, finding in after.items():
        if key not in before:
            pseudo = str(finding.get("rule_id")).startswith(PSEUDO_RULE_PREFIX)
            mark = "new_rule" if not pseudo and finding.get("rule_id") not in old_rules else None
            result.added.append({**finding, "pack_change": mark})
            continue
        what = changes(before[key], finding)
        if what:
            result.updated.append({"before": before[key], "after": finding, "changes": what})
        else:
            result.unchanged.append({**finding, "pack_change": None})
    for key, finding in before.items():
        if key not in after:
            pseudo = str(finding.get("rule_id")).startswith(PSEUDO_RULE_PREFIX)
            mark = (
                "rule_removed" if not pseudo and finding.get("rule_id") not in new_rules else None
            )
            result.absent.append({**finding, "pack_change": mark})
    for items in (result.added, result.absent, result.unchanged):
        items.sort(key=sort_key)
    result.updated.sort(key=lambda item: sort_key(item["after"]))
    return result
