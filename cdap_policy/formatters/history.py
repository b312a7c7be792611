"""What the table says of a report's history: each finding new or known against the baseline
(`check --baseline`), the waiver that covers it, and one summary line each for the baseline and
the waiver file. Pure functions of a Report, in the reader's language."""

from __future__ import annotations

from cdap_policy.support.i18n import pick, tr
from cdap_policy.support.textsafe import printable

MARKS = {
    "new": tr("NOUVEAU", "NEW"),
    "unchanged": tr("connu", "known"),
    "updated": tr("connu, modifié", "known, updated"),
}


def mark(finding, lang: str) -> str:
    """« \\nNOUVEAU » or « \\nconnu » under the status, with a baseline; nothing without."""
    label = MARKS.get(finding.baseline_state)
    return f"\n{pick(label, lang)}" if label else ""


def waiver_note(finding, lang: str) -> str:
    """« Dérogation w-1 : approuvée par …, valable jusqu'au … » for a waived finding."""
    w = finding.waiver
    if not w:
        return ""
    ticket = f", {w['ticket']}" if w.get("ticket") else ""
    text = tr(
        f"Dérogation {w.get('id')} ({w.get('file')}:{w.get('line')}) : approuvée par"
        f" {w.get('approved_by')} le {w.get('approved_on')}, ne s'applique plus à partir du"
        f" {w.get('expires_on')}{ticket} — {w.get('justification')}",
        f"Waiver {w.get('id')} ({w.get('file')}:{w.get('line')}): approved by"
        f" {w.get('approved_by')} on {w.get('approved_on')}, no longer applies from"
        f" {w.get('expires_on')}{ticket} — {w.get('justification')}",
    )
    return "\n" + printable(pick(text, lang))


def lines(report, lang: str) -> list[str]:
    out = []
    b = report.baseline
    if b is not None and b.get("partner_absent"):
        out.append(
            pick(
                tr(
                    f"Référence {b['file']} : ce partenaire n'y figure pas ; ses {b['new']}"
                    " constat(s) sont nouveaux et comptent pour le code de sortie.",
                    f"Baseline {b['file']}: this partner is not in it; its {b['new']} finding(s)"
                    " are new and count for the exit code.",
                ),
                lang,
            )
        )
    elif b is not None:
        out.append(
            pick(
                tr(
                    f"Référence {b['file']} (au {b.get('as_of')}) : {b['new']} nouveau(x),"
                    f" {b['matched']} connu(s) dont {b['updated']} modifié(s), {b['absent']}"
                    " résolu(s) ; seuls les nouveaux comptent pour le code de sortie.",
                    f"Baseline {b['file']} (as of {b.get('as_of')}): {b['new']} new, {b['matched']}"
                    f" known of which {b['updated']} updated, {b['absent']} resolved; only new ones"
                    " count for the exit code.",
                ),
                lang,
            )
        )
    w = report.waivers
    if w is not None:
        found = (
            tr(" (trouvé à côté de l'instantané)", " (found next to the snapshot)")
            if w.get("found_next_to_snapshot")
            else tr("", "")
        )
        out.append(
            pick(
                tr(
                    f"Dérogations {w['file']}{found['fr']} : {w['waivers']} dérogation(s),"
                    f" {w['waived']} constat(s) dérogé(s), {w['expired']} expirée(s), {w['stale']}"
                    f" sans objet, {w['pending']} pas encore en vigueur.",
                    f"Waivers {w['file']}{found['en']}: {w['waivers']} waiver(s), {w['waived']}"
                    f" finding(s) waived, {w['expired']} expired, {w['stale']} stale,"
                    f" {w['pending']} not yet in force.",
                ),
                lang,
            )
        )
    return [printable(line) for line in out]
