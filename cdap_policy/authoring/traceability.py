"""Traceability: every requirement of the catalogue has a rule, every rule has passing and failing
cases.
"""

from __future__ import annotations

import io

from rich.console import Console
from rich.table import Table


def compute(pack) -> tuple[list[dict], list[str]]:
    rows, problems = [], []
    cases: dict[str, dict] = {}
    for case in pack.tests:
        counts = cases.setdefault(case.rule, {"pass": 0, "fail": 0, "other": 0})
        counts[case.expect if case.expect in ("pass", "fail") else "other"] += 1
    for rule in pack.rules:
        counts = cases.get(rule.id, {"pass": 0, "fail": 0, "other": 0})
        if counts["fail"] == 0:
            problems.append(f"rule {rule.id} has no failing test case")
        if counts["pass"] == 0:
            problems.append(f"rule {rule.id} has no passing test case")
    for req_id, info in pack.requirements.items():
        implementing = [r for r in pack.rules if req_id in r.requirements]
        if not implementing:
            problems.append(f"requirement {req_id} has no rule")
        rows.append(
            {
                "requirement": req_id,
                "family": info["family"],
                "title": info["title"],
                "rules": [
                    {"id": r.id, **cases.get(r.id, {"pass": 0, "fail": 0, "other": 0})}
                    for r in implementing
                ],
            }
        )
    return rows, problems


_HEADS = {
    "fr": ("Exigence", "Règles", "Cas conformes", "Cas en échec"),
    "en": ("Requirement", "Rules", "Passing cases", "Failing cases"),
}


def render_table(rows: list[dict], problems: list[str], lang: str = "fr") -> str:
    buffer = io.StringIO()
    console = Console(file=buffer, width=160, no_color=True, highlight=False)
    table = Table()
    for head in _HEADS[lang]:
        table.add_column(head, overflow="fold")
    for row in rows:
        rules = row["rules"]
        table.add_row(
            row["requirement"],
            "\n".join(r["id"] for r in rules) or ("— aucune —" if lang == "fr" else "— none —"),
            "\n".join(str(r["pass"]) for r in rules),
            "\n".join(str(r["fail"]) for r in rules),
        )
    console.print(table)
    for problem in problems:
        console.print(f"{'problème : ' if lang == 'fr' else 'problem: '}{problem}")
    covered = sum(1 for r in rows if r["rules"])
    console.print(
        f"{covered}/{len(rows)} exigence(s) couverte(s) ; {len(problems)} problème(s)"
        if lang == "fr"
        else f"{covered}/{len(rows)} requirements covered; {len(problems)} problem(s)"
    )
    return buffer.getvalue()
