"""Rule listings, `explain` and `params`: pure functions from the pack to text, in
both languages.
"""

from __future__ import annotations

import io
import json

from rich.console import Console
from rich.table import Table

from cdap_policy.support.i18n import pick, tr

FRAMEWORKS = {
    "mon_compte_partenaire": tr("Mon Compte Partenaire", "Mon Compte Partenaire"),
    "cafpro": tr("CAFPRO", "CAFPRO"),
}
_L = {
    "rule": tr("Règle", "Rule"),
    "requirements": tr("Exigences", "Requirements"),
    "severity": tr("Gravité", "Severity"),
    "stages": tr("Étapes", "Stages"),
    "editions": tr("Éditions", "Editions"),
    "frameworks": tr("Cadres", "Frameworks"),
    "over": tr("Porte sur", "Over"),
    "title": tr("Titre", "Title"),
    "rules": tr("règles", "rules"),
    "requirement": tr("Exigence", "Requirement"),
    "source": tr("Source", "Source"),
    "quote": tr("Texte", "Text"),
    "interpretation": tr("Lecture du paquet", "Pack's reading"),
    "applies": tr("S'applique quand (CEL) :", "Applies when (CEL):"),
    "passes": tr("Conforme quand (CEL) :", "Passes when (CEL):"),
    "lets": tr("Noms définis (let, CEL) :", "Names defined (let, CEL):"),
    "requires": tr(
        "Données nécessaires (absentes : erreur, pas échec) :",
        "Data needed (absent: error, not failure):",
    ),
    "evidence": tr("Valeurs relevées en cas d'échec :", "Evidence recorded on failure:"),
    "parameters": tr("Paramètres :", "Parameters:"),
    "message": tr("Message", "Message"),
    "remediation": tr("Action", "Remediation"),
    "cases": tr("Cas de test", "Test cases"),
    "defined": tr("Défini dans", "Defined in"),
    "parameter": tr("Paramètre", "Parameter"),
    "value": tr("Valeur", "Value"),
    "unit": tr("Unité", "Unit"),
    "description": tr("Description", "Description"),
    "overridden": tr(" (modifié)", " (overridden)"),
    "params_title": tr(
        "paramètres (à modifier avec --params FICHIER)", "parameters (override with --params FILE)"
    ),
}


def _t(key: str, lang: str) -> str:
    return pick(_L[key], lang)


def _rule_dict(pack, rule) -> dict:
    params = sorted(
        {
            name
            for program in [rule.when, rule.check, *rule.evidence.values()]
            if program
            for name in program.reads.get("params", set())
            if name != "*"
        }
    )
    cases = [c for c in pack.tests if c.rule == rule.id]
    return {
        "id": rule.id,
        "family": rule.family,
        "requirements": rule.requirements,
        "severity": rule.severity,
        "stages": rule.stages,
        "editions": rule.editions,
        "frameworks": rule.frameworks,
        "over": rule.over,
        "title": rule.title,
        "description": rule.source.get("description", ""),
        "interpretation": rule.interpretation or None,
        "let": dict(rule.lets),
        "when": rule.source.get("when"),
        "check": rule.source["check"],
        "evidence": rule.source.get("evidence", {}),
        "requires": [
            {
                "field": n.field,
                "when": n.when_source,
                "what": n.what,
                **({"remediation": n.remediation} if n.remediation else {}),
            }
            for n in rule.requires
        ],
        "message": rule.message,
        "remediation": rule.remediation,
        "references": rule.references,
        "parameters": {
            name: {
                "value": pack.param_values.get(name),
                "description": pack.parameters[name].description,
                "source": pack.parameters[name].source,
            }
            for name in params
            if name in pack.parameters
        },
        "tests": {
            "pass": sum(1 for c in cases if c.expect == "pass"),
            "fail": sum(1 for c in cases if c.expect == "fail"),
            "other": sum(1 for c in cases if c.expect not in ("pass", "fail")),
        },
        "file": f"{rule.file}:{rule.line}",
    }


def rules_json(pack) -> str:
    payload = {
        "policy_pack": {"name": pack.name, "version": pack.version},
        "rules": [_rule_dict(pack, r) for r in pack.rules],
    }
    return json.dumps(payload, ensure_ascii=False, indent=2) + "\n"


def _frameworks(rule, lang: str) -> str:
    return ", ".join(pick(FRAMEWORKS.get(f, f), lang) for f in rule.frameworks)


def rules_table(pack, lang: str = "fr") -> str:
    buffer = io.StringIO()
    console = Console(file=buffer, width=200, no_color=True, highlight=False)
    table = Table(title=f"{pack.name} {pack.version} — {len(pack.rules)} {_t('rules', lang)}")
    for key in (
        "rule",
        "requirements",
        "severity",
        "stages",
        "editions",
        "frameworks",
        "over",
        "title",
    ):
        table.add_column(_t(key, lang), overflow="fold")
    for rule in pack.rules:
        table.add_row(
            rule.id,
            ", ".join(rule.requirements),
            rule.severity,
            ", ".join(rule.stages),
            ", ".join(map(str, rule.editions)),
            _frameworks(rule, lang),
            rule.over,
            rule.title[lang],
        )
    console.print(table)
    return buffer.getvalue()


def explain_json(pack, rule) -> str:
    return json.dumps(_rule_dict(pack, rule), ensure_ascii=False, indent=2) + "\n"


def explain_text(pack, rule, lang: str = "fr") -> str:
    d = _rule_dict(pack, rule)
    sep = " : " if lang == "fr" else ": "
    from cdap_policy.support.labels import SEVERITIES, STAGES, label

    out = [f"{rule.id} — {rule.title[lang]}", ""]
    if (
        d["description"] and lang == "en"
    ):  # the pack's description is English; French readers get the interpretation below
        out += [d["description"], ""]
    for req in rule.requirements:
        info = pack.requirements.get(req, {})
        title = info.get("title", "")
        title = (
            (title.get(lang) or "") if isinstance(title, dict) else (title if lang == "en" else "")
        )
        out.append(
            f"{_t('requirement', lang)} {req}"
            + (f"{sep}{title}" if title else "")
            + f" ({info.get('source', '')})"
        )
    for ref in rule.references:
        title = pack.documents.get(ref["document"], {}).get("title", {}).get(lang, "")
        out.append(
            f"{_t('source', lang)}{sep}{ref['document']} {ref['article']}"
            + (f" — {title}" if title else "")
            + (f" [{ref['source']}]" if ref.get("source") else "")
        )
        if ref.get("quote"):
            out.append(f"  « {ref['quote']} »")
    if rule.interpretation:
        out += ["", f"{_t('interpretation', lang)}{sep}{rule.interpretation[lang]}"]
    out += [
        "",
        (
            f"{_t('severity', lang)}{sep}{label(SEVERITIES, rule.severity, lang)}  "
            f" {_t('stages', lang)}{sep}{', '.join(label(STAGES, s, lang) for s in rule.stages)}  "
            f" {_t('editions', lang)}{sep}{', '.join(map(str, rule.editions))}  "
            f" {_t('frameworks', lang)}{sep}{_frameworks(rule, lang)}"
        ),
        f"{_t('over', lang)}{sep}{rule.over}",
        "",
    ]
    if d["let"]:
        out.append(_t("lets", lang))
        out += [f"  {name}: {expr}" for name, expr in d["let"].items()]
    if d["when"]:
        out += [_t("applies", lang), f"  {d['when']}"]
    if d["requires"]:
        out.append(_t("requires", lang))
        out += [
            f"  {n['field']}"
            + (f" ({n['when']})" if n["when"] else "")
            + f" — {n['what'][lang]}"
            + (f" → {n['remediation'][lang]}" if n.get("remediation") else "")
            for n in d["requires"]
        ]
    out += [_t("passes", lang), f"  {d['check']}"]
    if d["evidence"]:
        out.append(_t("evidence", lang))
        out += [f"  {name}: {expr}" for name, expr in d["evidence"].items()]
    if d["parameters"]:
        out.append(_t("parameters", lang))
        for name, p in d["parameters"].items():
            value = json.dumps(p["value"], ensure_ascii=False)
            value = value if len(value) <= 100 else value[:97] + "..."
            out.append(
                f"  params.{name} = {value} — {p['description']}"
                + (f" ({p['source']})" if p["source"] else "")
            )
    cases = d["tests"]
    counts = (
        f"{cases['pass']} conformes, {cases['fail']} en échec, {cases['other']} autres"
        if lang == "fr"
        else f"{cases['pass']} passing, {cases['fail']} failing, {cases['other']} other"
    )
    out += [
        "",
        f"{_t('message', lang)}{sep}{rule.message[lang]}",
        f"{_t('remediation', lang)}{sep}{rule.remediation[lang]}",
        f"{_t('cases', lang)}{sep}{counts}",
        f"{_t('defined', lang)}{sep}{d['file']}",
        "",
    ]
    return "\n".join(out)


def params_json(pack) -> str:
    payload = {
        name: {
            "value": pack.param_values[name],
            "default": p.value,
            "unit": p.unit,
            "description": p.description,
            "source": p.source,
            "schema": p.schema,
            "file": f"{p.file}:{p.line}",
        }
        for name, p in sorted(pack.parameters.items())
    }
    return json.dumps(payload, ensure_ascii=False, indent=2) + "\n"


def params_table(pack, lang: str = "fr") -> str:
    buffer = io.StringIO()
    console = Console(file=buffer, width=180, no_color=True, highlight=False)
    table = Table(
        title=f"{pack.name} {pack.version} — {len(pack.parameters)} {_t('params_title', lang)}"
    )
    for key in ("parameter", "value", "unit", "source", "description"):
        table.add_column(_t(key, lang), overflow="fold")
    for name, p in sorted(pack.parameters.items()):
        value = json.dumps(pack.param_values[name], ensure_ascii=False)
        value = value if len(value) <= 60 else value[:57] + "..."
        changed = _t("overridden", lang) if pack.param_values[name] != p.value else ""
        table.add_row(name, value + changed, p.unit, p.source, p.description)
    console.print(table)
    return buffer.getvalue()
