"""The shipped rules read like their description: values are named with `let:`, not bound by hand
with a one-item comprehension, and no `check` is a wall of CEL."""

from __future__ import annotations

import re

import pytest
from helpers import POLICIES

from cdap_policy.load.yamlsource import load_file

MAX_CHECK = 320  # characters of a `check` as loaded; the pack keeps them under about 300
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'')
_BOUND = re.compile(r"\s*\.\s*(all|map|exists|exists_one|filter)\(\s*[A-Za-z_]\w*\s*,")


def one_item_bindings(source: str) -> list[str]:
    """The `[value].all(name, …)`-style bindings of `source`: a list literal of one item whose
    comprehension names a variable (`[a, b].all(…)` iterates; `x[0]` indexes)."""
    text = _STRING.sub(lambda m: '"' + "_" * (len(m.group()) - 2) + '"', source)
    found = []
    for match in re.finditer(r"\[", text):
        start = match.start()
        before = text[:start].rstrip()
        if before and (before[-1].isalnum() or before[-1] in "_])"):
            continue  # an index, not a list literal
        depth, comma, end = 0, False, start
        while end < len(text):
            char = text[end]
            if char in "([{":
                depth += 1
            elif char in ")]}":
                depth -= 1
                if depth == 0:
                    break
            elif char == "," and depth == 1:
                comma = True
            end += 1
        if comma or end >= len(text) or not text[start + 1 : end].strip():
            continue
        bound = _BOUND.match(text, end + 1)
        if bound:
            found.append(source[start : bound.end()])
    return found


def rules():
    out = []
    for path in sorted(POLICIES.glob("*.yaml")):
        data = load_file(path).data
        if path.name.endswith(".tests.yaml") or not isinstance(data, dict) or "rules" not in data:
            continue
        out += [(path.name, rule) for rule in data["rules"]]
    return out


def expressions(rule: dict) -> list[tuple[str, str]]:
    out = [(f"let.{name}", expr) for name, expr in (rule.get("let") or {}).items()]
    out += [(part, rule[part]) for part in ("when", "check") if rule.get(part)]
    out += [(f"evidence.{name}", expr) for name, expr in (rule.get("evidence") or {}).items()]
    for index, need in enumerate(rule.get("requires") or []):
        out += [
            (f"requires.{index}.{part}", need[part]) for part in ("test", "when") if need.get(part)
        ]
    return out


@pytest.mark.parametrize(
    "source, expected",
    [
        ("[agg.opened_on].all(opened, opened != null)", 1),
        ("[[x.filter(p, p.ok)].map(v, v[0])[0]].all(plan, plan.ok)", 2),
        ('["a", "b"].all(f, f in entity)', 0),  # two items: a real iteration
        ('entity.profiles[0] == "T1" && [1, 2].exists(n, n > 1)', 0),
        ('"[x].all(v, true)" == entity.note', 0),  # inside a string
        ("[x].size() > 0", 0),
    ],
)
def test_the_binding_pattern_is_recognised(source, expected):
    assert len(one_item_bindings(source)) == expected


def test_no_value_is_bound_by_hand_any_more():
    found = [
        f"{file} {rule['id']} {where}: {binding}"
        for file, rule in rules()
        for where, source in expressions(rule)
        for binding in one_item_bindings(source)
    ]
    assert found == [], "name the value with `let:` instead:\n" + "\n".join(found)


def test_no_check_is_a_wall_of_cel():
    long = [
        f"{file} {rule['id']}: {len(rule['check'])} characters"
        for file, rule in rules()
        if len(rule["check"]) > MAX_CHECK
    ]
    assert long == [], (
        f"split these checks with `let:` (at most {MAX_CHECK} characters):\n" + "\n".join(long)
    )
