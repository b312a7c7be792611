"""`explain RULE --snapshot FILE --entity KEY`: the explanation of one finding as text or JSON.

Pure functions of `explaining.Explanation`; every value from the snapshot is bounded and escaped.
"""

from __future__ import annotations

import json

from cdap_policy.support.i18n import pick, tr
from cdap_policy.support.textsafe import bounded, printable

MAX_SOURCE = 160  # characters of a sub-condition shown on its line

_STATUS = {
    "fail": tr("ÉCHEC", "FAIL"),
    "error": tr("ERREUR", "ERROR"),
    "pass": tr("CONFORME", "PASS"),
    "not_applicable": tr("NON APPLICABLE", "NOT APPLICABLE"),
    "waived": tr("DÉROGÉ", "WAIVED"),
}
_OP = {
    "and": tr(
        "toutes ces conditions doivent être vraies (&&) :", "all of these must be true (&&):"
    ),
    "or": tr("une seule de ces conditions suffit (||) :", "any one of these is enough (||):"),
    "not": tr("négation (!) de :", "negation (!) of:"),
    "ternary": tr("condition ? si vraie : si fausse :", "condition ? if true : if false:"),
}
_EXCLUDED = {
    "edition": tr(
        "cette règle ne s'applique pas au bulletin de cet instantané ; elle est évaluée ici pour"
        " information",
        "this rule does not apply to this snapshot's bulletin; it is evaluated here for"
        " information",
    ),
    "framework": tr(
        "cette règle ne s'applique pas au cadre contractuel de cet instantané ; elle est évaluée"
        " ici pour information",
        "this rule does not apply to this snapshot's framework; it is evaluated here for"
        " information",
    ),
}


def _value(value, lang: str) -> str:
    if value is True:
        return pick(tr("vrai", "true"), lang)
    if value is False:
        return pick(tr("faux", "false"), lang)
    return bounded(json.dumps(value, ensure_ascii=False, sort_keys=True))


def _mark(part) -> str:
    if part.error:
        return "!"
    return "✓" if part.value is True else "✗" if part.value is False else "·"


def _part(part, lang: str, indent: str, parent_decided: bool = False) -> list[str]:
    if part.error:
        result = pick(tr("erreur : ", "error: "), lang) + part.error
        if parent_decided:  # CEL's && and || ignore an error when another operand decides
            result += pick(
                tr(
                    " (sans effet : une autre condition décide)",
                    " (no effect: another operand decides)",
                ),
                lang,
            )
    else:
        result = _value(part.value, lang)
    lines = [f"{indent}{_mark(part)} {result}  ←  {bounded(part.source, MAX_SOURCE)}"]
    if part.parts:
        lines.append(f"{indent}    {pick(_OP[part.op], lang)}")
        decided = part.error is None and part.op in ("and", "or")
        for child in part.parts:
            lines += _part(child, lang, indent + "    ", decided)
    return lines


def explanation_text(pack, explanation, lang: str = "fr") -> str:
    e, rule, t = explanation, explanation.rule, (lambda fr, en: pick(tr(fr, en), lang))
    colon = " :" if lang == "fr" else ":"
    out = [f"{rule.id} — {rule.title[lang]}", ""]
    for req in rule.requirements:
        info = pack.requirements.get(req, {})
        out.append(
            t("Exigence", "Requirement")
            + f" {req}{colon} {info.get('title', '')} ({info.get('source', '')})"
        )
    for ref in rule.references:
        title = pick(pack.documents.get(ref["document"], {}).get("title", {}), lang)
        out.append(
            t("Source", "Source")
            + f"{colon} {ref['document']} {ref['article']}"
            + (f" — {title}" if title else "")
            + (f" [{ref['source']}]" if ref.get("source") else "")
        )
        if ref.get("quote"):
            out.append(f"    « {ref['quote']} »")
    if rule.interpretation:
        out.append(
            t("Interprétation du paquet", "The pack's reading")
            + f"{colon} {pick(rule.interpretation, lang)}"
        )
    out += [
        t("Gravité", "Severity")
        + f"{colon} {rule.severity}   "
        + t("Étapes", "Stages")
        + f"{colon} {', '.join(rule.stages)}   "
        + t("Éditions", "Editions")
        + f"{colon} {', '.join(map(str, rule.editions))}",
        "",
    ]
    f = e.finding
    out.append(
        t("Entité", "Entity")
        + f"{colon} {e.entity.kind} {e.entity.key}"
        + (f" ({e.entity.label})" if e.entity.label and e.entity.label != e.entity.key else "")
        + f" — {f.file}:{f.line}"
    )
    out.append(
        t(
            f"Évaluée au {e.as_of}, bulletin {e.edition}",
            f"Evaluated as of {e.as_of}, {e.edition} bulletin",
        )
    )
    if e.excluded in _EXCLUDED:
        out.append("⚠ " + pick(_EXCLUDED[e.excluded], lang))
    if e.rows is not None:
        out.append(
            t(
                f"Lignes du journal de {e.entity.key} : {e.rows['fail']} en échec,"
                f" {e.rows['error']} en erreur, {e.rows['pass']} conformes,"
                f" {e.rows['not_applicable']} non concernées ; ligne expliquée :"
                f" {e.rows['file']}:{e.rows['line']}",
                f"Log rows of {e.entity.key}: {e.rows['fail']} failing, {e.rows['error']} in error,"
                f" {e.rows['pass']} passing, {e.rows['not_applicable']} not concerned; row"
                f" explained: {e.rows['file']}:{e.rows['line']}",
            )
        )
    out += ["", t("Valeurs lues par la règle", "Values the rule read") + colon]
    for path, value, present in e.values:
        out.append(
            f"  {path} = {_value(value, lang)}"
            if present
            else f"  {path} : " + t("absent", "absent")
        )
    if e.lets:
        out += ["", t("Noms définis par la règle (let)", "Names the rule defines (let)") + colon]
        for let in e.lets:
            result = (
                pick(tr("erreur : ", "error: "), lang) + let.error
                if let.error
                else _value(let.value, lang)
            )
            out.append(f"  {let.name} = {result}  ←  {bounded(let.source, MAX_SOURCE)}")
    if e.when is not None:
        out += ["", t("S'applique si (when)", "Applies when (when)") + colon]
        out += _part(e.when, lang, "  ")
    out += ["", t("Conforme si (check)", "Passes when (check)") + colon]
    out += _part(e.check, lang, "  ")
    out += [
        "",
        t("Résultat", "Outcome") + f"{colon} {pick(_STATUS[e.status], lang)} ({rule.severity})",
    ]
    if e.status in ("fail", "error"):
        out.append(t("Constat", "Finding") + f"{colon} {f.message[lang]}")
        if f.remediation[lang]:
            out.append(t("Action", "Action") + f"{colon} {f.remediation[lang]}")
    out.append(t("Empreinte", "Fingerprint") + f"{colon} {f.fingerprint}")
    return printable("\n".join(out), None, keep_newlines=True) + "\n"


def explanation_json(explanation) -> str:
    return json.dumps(explanation.to_dict(), ensure_ascii=False, indent=2, sort_keys=True) + "\n"
