"""Explain one rule on one entity of a snapshot: the values the rule read, the result of each
sub-condition of `when` and `check`, and the outcome, so an auditor sees why a finding fired
or did not.

`when` and `check` are split on their top-level `&&`, `||`, `!` and `?:` in cel-python's parsed
tree (parentheses opened, a few levels deep); each part is evaluated with the same activation
as the whole expression. Nothing here prints: `formatters/explanation.py` renders the result.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import lark

from cdap_policy.engines import CompileError, EvalError, to_python
from cdap_policy.engines.analysis import PASS_THROUGH
from cdap_policy.evaluate.facts import Context, Entity
from cdap_policy.evaluate.findings import Finding, fingerprint
from cdap_policy.evaluate.runner import EVAL_TIMEOUT_S, Evaluator, missing
from cdap_policy.logs import iter_consultations

if TYPE_CHECKING:
    from cdap_policy.load.pack import Rule

MAX_DEPTH = 4  # levels of sub-conditions shown; deeper parts are shown whole


class UnknownEntity(LookupError):
    """No entity with that key in the rule's collection; carries some keys that exist."""

    def __init__(self, key: str, keys: list):
        super().__init__(key)
        self.key, self.keys = key, keys


@dataclass
class Part:
    """One (sub-)condition: its source, its value on this entity, and its own parts."""

    source: str
    op: str  # "and", "or", "not", "ternary" or "leaf"
    value: object = None
    error: str | None = None
    parts: list = field(default_factory=list)

    def to_dict(self) -> dict:
        out = {"source": self.source, "op": self.op, "value": self.value, "error": self.error}
        if self.parts:
            out["parts"] = [p.to_dict() for p in self.parts]
        return out


@dataclass
class Let:
    """One of the rule's named sub-expressions (`let:`): its name, its expression as written, and
    its value on this entity."""

    name: str
    source: str
    value: object = None
    error: str | None = None

    def to_dict(self) -> dict:
        return {"name": self.name, "source": self.source, "value": self.value, "error": self.error}


@dataclass
class Explanation:
    rule: Rule
    entity: Entity
    as_of: str
    edition: int
    excluded: (
        str | None
    )  # why the rule would not run on this snapshot (framework, edition), else None
    values: list[tuple[str, object, bool]]  # (path, value, present)
    when: Part | None
    check: Part | None
    status: str
    finding: Finding
    rows: dict | None = (
        None  # consultation rules: counts per status of the user's log rows, and the row explained
    )
    lets: list = field(
        default_factory=list
    )  # Let: the rule's named sub-expressions, as written, and their values

    def to_dict(self) -> dict:
        return {
            "rule": self.rule.info,
            "as_of": self.as_of,
            "edition": self.edition,
            "excluded": self.excluded,
            "entity": {
                "kind": self.entity.kind,
                "key": self.entity.key,
                "label": self.entity.label,
            },
            "location": {"file": self.finding.file, "line": self.finding.line},
            "values": [{"path": p, "value": v, "present": ok} for p, v, ok in self.values],
            "lets": [let.to_dict() for let in self.lets],
            "when": self.when.to_dict() if self.when else None,
            "check": self.check.to_dict() if self.check else None,
            "status": self.status,
            "rows": self.rows,
            "finding": self.finding.to_dict(),
        }


# -- the parsed tree ------------------------------------------------------------------------


def _unwrap(node):
    """Down single-child nodes (precedence levels, parentheses) to the first operator or leaf."""
    while (
        isinstance(node, lark.Tree)
        and node.data in PASS_THROUGH
        and len(node.children) == 1
        and isinstance(node.children[0], lark.Tree)
    ):
        node = node.children[0]
    return node


def _flatten(node, kind: str) -> list:
    """`a && b && c` is left-nested in the tree: its operands in order."""
    out = []
    while isinstance(node, lark.Tree) and node.data == kind and len(node.children) == 2:
        out.append(node.children[1])
        node = node.children[0]
    out.append(node)
    return list(reversed(out))


def _structure(node):
    """(op, operand nodes) of a node: the boolean structure the explanation shows."""
    node = _unwrap(node)
    if not isinstance(node, lark.Tree):
        return "leaf", []
    if node.data == "expr" and len(node.children) == 3:
        return "ternary", list(node.children)
    if node.data == "conditionalor" and len(node.children) == 2:
        return "or", _flatten(node, "conditionalor")
    if node.data == "conditionaland" and len(node.children) == 2:
        return "and", _flatten(node, "conditionaland")
    if (
        node.data == "unary"
        and len(node.children) == 2
        and getattr(node.children[0], "data", None) == "unary_not"
    ):
        return "not", [node.children[1]]
    return "leaf", []


def _source(node, text: str) -> str:
    meta = node.meta
    return " ".join(text[meta.start_pos : meta.end_pos].split()) if not meta.empty else ""


def _dotted(node) -> list | None:
    if not isinstance(node, lark.Tree):
        return None
    if node.data in ("member", "primary") and len(node.children) == 1:
        child = node.children[0]
        if isinstance(child, lark.Tree) and child.data == "ident":
            return [str(child.children[0])]
        return _dotted(child)
    if node.data == "member_dot":
        head = _dotted(node.children[0])
        return head + [str(node.children[1])] if head else None
    return None


def reads(tree, variables) -> list[list[str]]:
    """The plain paths an expression reads (`entity.diploma.type`, `as_of`), in order of
    appearance, without those that only lead to a longer one."""
    chains = []
    for node in tree.iter_subtrees_topdown():
        chain = (
            _dotted(node)
            if node.data == "member_dot"
            else ([str(node.children[0])] if node.data == "ident" else None)
        )
        if chain and chain[0] in variables and chain not in chains:
            chains.append(chain)
    return [c for c in chains if not any(len(o) > len(c) and o[: len(c)] == c for o in chains)]


def _value_at(engine, activation: dict, chain: list) -> tuple[object, bool]:
    value = engine.unwrap(activation.get(chain[0]))  # every engine's maps are dicts
    for name in chain[1:]:
        if not isinstance(value, dict) or name not in value:
            return None, False
        value = value[name]
    return to_python(value), True


# -- evaluating the parts -------------------------------------------------------------------


class _Parts:
    def __init__(self, engine, activation: dict, timeout, rule=None):
        self.engine, self.activation, self.timeout, self.rule = engine, activation, timeout, rule

    def evaluate(self, source: str) -> tuple[object, str | None]:
        # a part naming one of the rule's lets is evaluated with it bound, as the loader
        # compiles the whole
        bound = self.rule.bound(source) if self.rule is not None else source
        try:
            return (
                to_python(self.engine.compile(bound).evaluate(self.activation, self.timeout)),
                None,
            )
        except (CompileError, EvalError) as exc:
            return None, str(exc)

    def build(self, node, text: str, depth: int, whole=None) -> Part:
        source = _source(node, text) or text.strip()
        op, operands = _structure(node)
        value, error = whole if whole is not None else self.evaluate(source)
        part = Part(" ".join(source.split()), op if depth < MAX_DEPTH else "leaf", value, error)
        if op != "leaf" and depth < MAX_DEPTH:
            part.parts = [self.build(child, text, depth + 1) for child in operands]
        return part


def _program_result(program, activation, timeout):
    try:
        return to_python(program.evaluate(activation, timeout)), None
    except EvalError as exc:
        return None, str(exc)


def _explain_expression(pack, rule, program, source: str, activation: dict, timeout) -> Part:
    tree = pack.engine.syntax(source)
    # the whole expression's value comes from the rule's own program, exactly as `check` computed it
    return _Parts(pack.engine, activation, timeout, rule).build(
        tree, source, 0, _program_result(program, activation, timeout)
    )


def _lets(pack, rule, activation: dict, timeout) -> list[Let]:
    """The rule's lets as written, each with its value on this entity (a let that cannot be
    evaluated shows its error: an expression naming it has that error too)."""
    parts = _Parts(pack.engine, activation, timeout, rule)
    return [
        Let(name, " ".join(source.split()), *parts.evaluate(name))
        for name, source in rule.lets.items()
    ]


def _needs(rule, activation, timeout) -> tuple[str, str | dict] | None:
    """("error", why) when a field the rule requires is absent (or cannot be read), else None."""
    for need in rule.requires:
        present, error = _program_result(need.program, activation, timeout)
        if error:
            return "error", error
        if present is not True:
            return "error", missing(need)
    return None


def _status(when: Part | None, check: Part) -> tuple[str, str | None]:
    if when is not None:
        if when.error:
            return "error", when.error
        if when.value is not True:
            return (
                ("not_applicable", None)
                if when.value is False
                else ("error", f"when returned {when.value!r}, not a boolean")
            )
    if check.error:
        return "error", check.error
    if not isinstance(check.value, bool):
        return "error", f"check returned {check.value!r}, not a boolean"
    return ("pass" if check.value else "fail"), None


# -- entry points ---------------------------------------------------------------------------


def explain(
    pack,
    snapshot,
    rule,
    entity_key: str | None,
    as_of: str,
    edition: int | None = None,
    timeout: float | None = EVAL_TIMEOUT_S,
) -> Explanation:
    """Raises UnknownEntity when `entity_key` is not in the rule's collection (or is None while
    the collection has several entities)."""
    context = Context(snapshot, pack.param_values, as_of, edition, None, engine=pack.engine)
    evaluator = Evaluator(pack, context, timeout, keep_passed=True)
    excluded = rule.exclusion(None, context.edition, snapshot.framework)
    if rule.over == "consultations":
        return _explain_consultations(
            pack, snapshot, rule, entity_key, as_of, context, evaluator, excluded, timeout
        )
    entities = context.collection(rule.over)
    entity = _find(entities, entity_key)
    activation = context.activation(entity)
    return _finish(pack, rule, entity, activation, context, evaluator, excluded, timeout, as_of)


def _find(entities: list, key: str | None) -> Entity:
    if key is None and len(entities) == 1:
        return entities[0]
    for entity in entities:
        if entity.key == key:
            return entity
    raise UnknownEntity(key or "", [e.key for e in entities])


def _finish(
    pack,
    rule,
    entity,
    activation,
    context,
    evaluator,
    excluded,
    timeout,
    as_of,
    rows=None,
    location=None,
) -> Explanation:
    when = (
        _explain_expression(pack, rule, rule.when, rule.source["when"], activation, timeout)
        if rule.when
        else None
    )
    check = _explain_expression(pack, rule, rule.check, rule.source["check"], activation, timeout)
    error: str | dict | None  # the engine's words, or {fr, en} naming the data missing
    status, error = _status(when, check)
    if when is None or (
        not when.error and when.value is True
    ):  # applies: what it needs comes before the check
        status, error = _needs(rule, activation, timeout) or (status, error)
    evidence = evaluator.evidence(rule, activation) if status in ("fail", "error") else {}
    if rows is not None:
        evidence.update(
            {
                "rows": rows["fail"],
                "errors": rows["error"],
                "checked": rows["pass"] + rows["fail"] + rows["error"],
                "first_row": rows["line"],
                "sample": [],
            }
        )
    evaluator.record(rule, entity, status, evidence, error, *(location or (None, None)))
    variables = set(activation)
    values: list[tuple[str, object, bool]] = []
    for expression in [
        e for e in (*rule.lets.values(), rule.source.get("when"), rule.source["check"]) if e
    ]:
        for chain in reads(pack.engine.syntax(expression), variables):
            path = ".".join(chain)
            if all(path != p for p, _, _ in values):
                values.append((path, *_value_at(pack.engine, activation, chain)))
    return Explanation(
        rule,
        entity,
        as_of,
        context.edition,
        excluded,
        values,
        when,
        check,
        status,
        evaluator.findings[-1],
        rows,
        _lets(pack, rule, activation, timeout),
    )


_RANK = {
    "fail": 0,
    "error": 1,
    "pass": 2,
    "not_applicable": 3,
}  # which of a user's rows is worth explaining


def _explain_consultations(
    pack, snapshot, rule, user_id, as_of, context, evaluator, excluded, timeout
) -> Explanation:
    """A consultation rule judges log rows; the finding is per user. Explain the user's first
    failing row (or error, else the first row), with the counts of all their rows."""
    counts = {"pass": 0, "fail": 0, "error": 0, "not_applicable": 0}
    chosen: tuple | None = None  # (file, line, row, activation) of the row explained
    chosen_status = ""
    users: list[str] = []
    for file, line, row in iter_consultations(snapshot):
        user = str(row.get("user"))
        if user not in users and len(users) < 50:
            users.append(user)
        if user != user_id:
            continue
        facts = context.consultation_facts(row)
        activation = dict(context.variables)
        activation["entity"], activation["facts"] = context.to_cel(row), context.to_cel(facts)
        when = _program_result(rule.when, activation, timeout) if rule.when else (True, None)
        if when[1]:
            status = "error"
        elif when[0] is not True:
            status = "not_applicable"
        elif _needs(rule, activation, timeout):
            status = "error"
        else:
            check = _program_result(rule.check, activation, timeout)
            status = "error" if check[1] else ("pass" if check[0] else "fail")
        counts[status] += 1
        if chosen is None or _RANK[status] < _RANK[chosen_status]:
            chosen, chosen_status = (file, line, row, activation), status
    if chosen is None:
        raise UnknownEntity(user_id or "", users)
    file, line, row, activation = chosen
    entity = Entity(
        "user",
        user_id,
        ("consultations",),
        context.users_by_id.get(user_id, {"id": user_id}),
        {},
        user_id,
    )
    rows = {**counts, "file": file, "line": line}
    return _finish(
        pack,
        rule,
        entity,
        activation,
        context,
        evaluator,
        excluded,
        timeout,
        as_of,
        rows,
        (file, line),
    )


def find_fingerprint(
    pack, snapshot, wanted: str, as_of: str, edition: int | None = None, rule_ids=None
):
    """(rule, entity key) whose finding has this fingerprint, or a unique prefix of it; None when
    no rule and entity of the snapshot give it. Raises ValueError (with the candidates) when a
    prefix is ambiguous."""
    wanted = wanted.strip().lower()
    context = Context(snapshot, pack.param_values, as_of, edition, None, engine=pack.engine)
    found, log_users = [], None
    for rule in pack.rules:
        if rule_ids is not None and rule.id not in rule_ids:
            continue
        if (
            rule.over == "consultations"
        ):  # findings per user of the log, known to the snapshot or not
            if log_users is None:
                log_users = sorted(
                    {str(u["id"]) for u in context.users}
                    | {str(row.get("user")) for _, _, row in iter_consultations(snapshot)}
                )
            keys = [("user", user) for user in log_users]
        else:
            keys = [(e.kind, e.key) for e in context.collection(rule.over)]
        for kind, key in keys:
            value = fingerprint(rule.id, kind, key)
            if value == wanted:
                return rule, key
            if value.startswith(wanted):
                found.append((rule, key))
    if len(found) > 1:
        raise ValueError([f"{r.id} {k}" for r, k in found[:5]])
    return found[0] if found else None
