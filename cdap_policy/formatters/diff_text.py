"""Words and lines shared by the table and Markdown renderings of a diff of two reports.

Everything here reads a `report.diff.Diff` (plain values from two JSON files, so from the
input): every text is escaped and bounded by the caller's renderer.
"""

from __future__ import annotations

from cdap_policy.formatters.common import FAMILY_ORDER, SEVERITY_NAMES, STATUS_NAMES, family_name
from cdap_policy.support.i18n import pick, tr

ORDER = ("new", "absent", "updated", "unchanged")  # what an auditor reads first
CLASS_NAMES = {  # column heads and counts: plural
    "new": tr("nouveaux", "new"),
    "absent": tr("résolus", "resolved"),
    "updated": tr("modifiés", "updated"),
    "unchanged": tr("inchangés", "unchanged"),
}
HEADINGS = {
    "new": tr("Nouveaux constats", "New findings"),
    "absent": tr(
        "Constats résolus, absents du nouveau rapport",
        "Resolved findings, absent from the new report",
    ),
    "updated": tr(
        "Constats modifiés : gravité, statut ou valeurs",
        "Updated findings: severity, status or values",
    ),
    "unchanged": tr("Constats inchangés", "Unchanged findings"),
}
PACK_CHANGE = {
    "new_rule": tr("nouvelle règle", "new rule"),
    "rule_removed": tr("règle retirée", "rule removed"),
}
COLUMNS = {
    "finding": (
        tr("Gravité", "Severity"),
        tr("Règle", "Rule"),
        tr("Entité", "Entity"),
        tr("Constat", "Finding"),
    ),
    "terminal": (
        tr("Gravité", "Severity"),
        tr("Règle et entité", "Rule and entity"),
        tr("Constat", "Finding"),
    ),
    "family": (tr("Famille", "Family"),) + tuple(CLASS_NAMES[c] for c in ORDER),
}
TITLE = tr("Comparaison de deux rapports", "Comparison of two reports")
BY_FAMILY = tr("Constats par famille", "Findings by family")
SIDES = {"old": tr("Ancien", "Old"), "new": tr("Nouveau", "New")}
CHANGE_NAMES = {"severity": tr("gravité", "severity"), "status": tr("statut", "status")}
_LEVEL_MARK = {"warning": "⚠", "error": "⚠"}


def partner_line(diff, lang: str) -> str:
    snapshot = diff.new.get("snapshot") or {}
    return (
        f"{pick(TITLE, lang)} — {snapshot.get('partner', '?')} (SIRET"
        f" {snapshot.get('siret') or '—'})"
    )


def side_line(diff, side: str, lang: str) -> str:
    report = diff.old if side == "old" else diff.new
    snapshot, pack = report.get("snapshot") or {}, report.get("policy_pack") or {}
    taken = snapshot.get("taken_on")
    texts = tr(
        f"{diff.files[side]} — au {report.get('as_of')}, paquet {pack.get('name')}"
        f" {pack.get('version')}, instantané {snapshot.get('file')}"
        + (f" (pris le {taken})" if taken else ""),
        f"{diff.files[side]} — as of {report.get('as_of')}, pack {pack.get('name')}"
        f" {pack.get('version')}, snapshot {snapshot.get('file')}"
        + (f" (taken on {taken})" if taken else ""),
    )
    return f"{pick(SIDES[side], lang)}{' :' if lang == 'fr' else ':'} {pick(texts, lang)}"


def notice_lines(diff, lang: str) -> list[str]:
    return [
        f"{_LEVEL_MARK.get(n.get('level'), 'ℹ')} {pick(n.get('message'), lang)}"
        for n in diff.notices
    ]


def summary_line(diff, lang: str) -> str:
    s = diff.summary()
    sep = " : " if lang == "fr" else ": "
    counts = ", ".join(f"{pick(CLASS_NAMES[c], lang)}{sep}{s[c]}" for c in ORDER)
    return pick(
        tr(
            f"Bilan — {counts} ; nouvelles règles du paquet : {s['new_rule']}, règles retirées :"
            f" {s['rule_removed']}.",
            f"Summary — {counts}; from rules new in the pack: {s['new_rule']}, from removed rules:"
            f" {s['rule_removed']}.",
        ),
        lang,
    )


def family_rows(diff, lang: str) -> list[list[str]]:
    by_family = diff.summary()["by_family"]
    ranked = sorted(
        by_family,
        key=lambda f: (FAMILY_ORDER.index(f) if f in FAMILY_ORDER else len(FAMILY_ORDER), f),
    )
    return [
        [
            (
                f"{family} — {family_name(family, lang)}"
                if family_name(family, lang) != family
                else family
            ),
            *(str(by_family[family][c]) for c in ORDER),
        ]
        for family in ranked
    ]


def severity_status(finding: dict, lang: str) -> str:
    return (
        f"{pick(STATUS_NAMES.get(finding.get('status', '')), lang) or finding.get('status')} · "
        f"{pick(SEVERITY_NAMES.get(finding.get('severity', '')), lang) or finding.get('severity')}"
    )


def rule_text(finding: dict, lang: str) -> str:
    mark = PACK_CHANGE.get(finding.get("pack_change", ""))
    return str(finding.get("rule_id")) + (f" ({pick(mark, lang)})" if mark else "")


def entity_text(finding: dict) -> str:
    entity = finding.get("entity") or {}
    return f"{entity.get('kind')} {entity.get('key')}"


def location_text(finding: dict) -> str:
    location = finding.get("location") or {}
    return f"{location.get('file')}:{location.get('line')}"


def message_text(finding: dict, lang: str) -> str:
    return pick(finding.get("message"), lang)


def change_text(item: dict, lang: str) -> str:
    """« gravité high → critical ; valeurs : active » for an updated finding."""
    before, after = item["before"], item["after"]
    parts, values = [], []
    for change in item["changes"]:
        if change in CHANGE_NAMES:
            names = SEVERITY_NAMES if change == "severity" else STATUS_NAMES
            was, now = (
                pick(names.get(f.get(change)), lang) or f.get(change) for f in (before, after)
            )
            parts.append(f"{pick(CHANGE_NAMES[change], lang)} {was} → {now}")
        else:
            values.append(change.split(".", 1)[-1])
    if values:
        parts.append(pick(tr("valeurs : ", "values: "), lang) + ", ".join(values))
    return " ; ".join(parts) if lang == "fr" else "; ".join(parts)
