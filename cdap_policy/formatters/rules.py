"""Rule listings and `explain`: pure functions from the pack to text."""
from __future__ import annotations

import io
import json

from rich.console import Console
from rich.table import Table


def _rule_dict(pack, rule) -> dict:
    params = sorted({name for program in [rule.when, rule.check, *rule.evidence.values()] if program
                     for name in program.reads.get("params", set()) if name != "*"})
    cases = [c for c in pack.tests if c.rule == rule.id]
    return {
        "id": rule.id, "family": rule.family, "requirements": rule.requirements, "severity": rule.severity,
        "stages": rule.stages, "editions": rule.editions, "over": rule.over, "title": rule.title,
        "description": rule.source.get("description", ""),
        "when": rule.source.get("when"), "check": rule.source["check"], "evidence": rule.source.get("evidence", {}),
        "message": rule.message, "remediation": rule.remediation, "references": rule.references,
        "parameters": {name: {"value": pack.param_values.get(name), "description": pack.parameters[name].description,
                              "source": pack.parameters[name].source} for name in params if name in pack.parameters},
        "tests": {"pass": sum(1 for c in cases if c.expect == "pass"), "fail": sum(1 for c in cases if c.expect == "fail"),
                  "other": sum(1 for c in cases if c.expect not in ("pass", "fail"))},
        "file": f"{rule.file}:{rule.line}",
    }


def rules_json(pack) -> str:
    payload = {"policy_pack": {"name": pack.name, "version": pack.version}, "rules": [_rule_dict(pack, r) for r in pack.rules]}
    return json.dumps(payload, ensure_ascii=False, indent=2) + "\n"


def rules_table(pack, lang: str = "fr") -> str:
    buffer = io.StringIO()
    console = Console(file=buffer, width=180, no_color=True, highlight=False)
    table = Table(title=f"{pack.name} {pack.version} — {len(pack.rules)} rules")
    for head in ("Rule", "Requirements", "Severity", "Stages", "Editions", "Over", "Title"):
        table.add_column(head, overflow="fold")
    for rule in pack.rules:
        table.add_row(rule.id, ", ".join(rule.requirements), rule.severity, ", ".join(rule.stages),
                      ", ".join(map(str, rule.editions)), rule.over, rule.title[lang])
    console.print(table)
    return buffer.getvalue()


def explain_json(pack, rule) -> str:
    return json.dumps(_rule_dict(pack, rule), ensure_ascii=False, indent=2) + "\n"


def explain_text(pack, rule, lang: str = "fr") -> str:
    d = _rule_dict(pack, rule)
    out = [f"{rule.id} — {rule.title[lang]}", ""]
    if d["description"]:
        out += [d["description"], ""]
    for req in rule.requirements:
        info = pack.requirements.get(req, {})
        out.append(f"Requirement {req}: {info.get('title', '')} ({info.get('source', '')})")
    for ref in rule.references:
        title = pack.documents.get(ref["document"], {}).get("title", {}).get(lang, "")
        out.append(f"Source: {ref['document']} {ref['article']}" + (f" — {title}" if title else "") + (f" [{ref['source']}]" if ref.get("source") else ""))
    out += ["", f"Severity: {rule.severity}   Stages: {', '.join(rule.stages)}   Editions: {', '.join(map(str, rule.editions))}",
            f"Iterates over: {rule.over}", ""]
    if d["when"]:
        out += ["Applies when (CEL):", f"  {d['when']}"]
    out += ["Passes when (CEL):", f"  {d['check']}"]
    if d["evidence"]:
        out.append("Evidence recorded on failure:")
        out += [f"  {name}: {expr}" for name, expr in d["evidence"].items()]
    if d["parameters"]:
        out.append("Parameters:")
        for name, p in d["parameters"].items():
            value = json.dumps(p["value"], ensure_ascii=False)
            value = value if len(value) <= 100 else value[:97] + "..."
            out.append(f"  params.{name} = {value} — {p['description']}" + (f" ({p['source']})" if p["source"] else ""))
    out += ["", f"Message: {rule.message[lang]}", f"Remediation: {rule.remediation[lang]}",
            f"Test cases: {d['tests']['pass']} passing, {d['tests']['fail']} failing, {d['tests']['other']} other",
            f"Defined in: {d['file']}", ""]
    return "\n".join(out)


def params_json(pack) -> str:
    payload = {name: {"value": pack.param_values[name], "default": p.value, "unit": p.unit, "description": p.description,
                      "source": p.source, "file": f"{p.file}:{p.line}"} for name, p in sorted(pack.parameters.items())}
    return json.dumps(payload, ensure_ascii=False, indent=2) + "\n"


def params_table(pack, lang: str = "fr") -> str:
    buffer = io.StringIO()
    console = Console(file=buffer, width=180, no_color=True, highlight=False)
    table = Table(title=f"{pack.name} {pack.version} — {len(pack.parameters)} parameters (override with --params FILE)")
    for head in ("Parameter", "Value", "Unit", "Source", "Description"):
        table.add_column(head, overflow="fold")
    for name, p in sorted(pack.parameters.items()):
        value = json.dumps(pack.param_values[name], ensure_ascii=False)
        value = value if len(value) <= 60 else value[:57] + "..."
        changed = " (overridden)" if pack.param_values[name] != p.value else ""
        table.add_row(name, value + changed, p.unit, p.source, p.description)
    console.print(table)
    return buffer.getvalue()
