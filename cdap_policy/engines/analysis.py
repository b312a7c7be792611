"""Static checks of an expression, the same for every engine: it parses, and it names only known
variables, functions and parameters; and which fields of which variables it reads (the runner
shares results between entities that agree on those fields).

cel-python's parser is the reference grammar. Building it costs about 0.2 s, so it is built on
first use only: a check whose compiled pack comes from the disk cache never needs it.
"""
from __future__ import annotations

from cdap_policy.engines.base import CompileError

_MACROS = {"all", "exists", "exists_one", "map", "filter"}
_CONVERSIONS = {"int", "uint", "double", "string", "bytes", "bool", "duration", "timestamp", "list", "map", "type", "dyn", "has"}

_ENVIRONMENT = None


def environment():
    """The process's cel-python environment for parsing. cel-python keeps one Lark parser per
    process, built with the tree class of the first environment: the compiled runner's tree class
    serves every runner, the interpreter's does not, so this one is always made first."""
    global _ENVIRONMENT
    if _ENVIRONMENT is None:
        import celpy

        _ENVIRONMENT = celpy.Environment(runner_class=celpy.CompiledRunner)
    return _ENVIRONMENT


def builtin_functions() -> set:
    import celpy.evaluation

    return set(celpy.evaluation.base_functions) | _CONVERSIONS


def parse(source: str, env=None):
    """cel-python's tree of `source`, or CompileError with the first lines of the parser's message."""
    import celpy
    import lark

    env = env or environment()
    try:
        return env.compile(source)
    except celpy.CELParseError as exc:
        raise CompileError(_first_line(str(exc))) from None
    except lark.exceptions.LarkError as exc:  # pragma: no cover - defensive
        raise CompileError(_first_line(str(exc))) from None


def check(tree, variables: set, params: dict, functions) -> dict[str, set[str]]:
    """Reject unknown functions, variables and parameters now rather than at evaluation, and
    note which fields of which variables the expression reads. One walk over the tree."""
    bound: set[str] = set()
    called, names, chains, primaries = [], [], [], []
    heads: set[int] = set()
    for node in tree.iter_subtrees():
        kind = node.data
        if kind == "member_dot_arg":
            if str(node.children[1]) in _MACROS and node.children[2] is not None and node.children[2].children:
                name = _ident_name(node.children[2].children[0])
                if name:
                    bound.add(name)
        elif kind == "ident_arg":
            called.append(str(node.children[0]))
        elif kind == "ident":
            names.append(str(node.children[0]))
        elif kind == "member_dot":
            chain = _dotted(node)
            if chain:
                chains.append(chain)
            head = _primary_of(node.children[0])
            if head.data == "primary":
                heads.add(id(head))
        elif kind == "primary" and node.children and getattr(node.children[0], "data", None) == "ident":
            primaries.append(node)
    if called:
        builtins = builtin_functions()
        for name in called:
            if name not in builtins and name not in functions:
                raise CompileError(f"unknown function {name!r}")
    for name in names:
        if name not in variables and name not in bound:
            raise CompileError(f"unknown variable {name!r}; known: {', '.join(sorted(variables))}")
    reads: dict[str, set[str]] = {}
    for chain in chains:
        if chain[0] in variables:
            reads.setdefault(chain[0], set()).add(chain[1])
            if chain[0] == "params":
                check_param(params, chain[1:])
    for node in primaries:  # a variable used whole (passed to a function, iterated) is read entirely
        name = str(node.children[0].children[0])
        if name in variables and id(node) not in heads:
            reads.setdefault(name, set()).add("*")
    return reads


def check_field_path(names: list[str], variables: set, params: dict) -> dict[str, set[str]]:
    """The checks of `check` for a plain field selection, without parsing it."""
    if names[0] not in variables:
        raise CompileError(f"unknown variable {names[0]!r}; known: {', '.join(sorted(variables))}")
    if names[0] == "params":
        check_param(params, names[1:])
    return {names[0]: {names[1]} if len(names) > 1 else {"*"}}


def check_param(params: dict, path: list[str]):
    value = params
    for index, name in enumerate(path):
        if not isinstance(value, dict):
            return
        if name not in value:
            where = "params." + ".".join(path[: index + 1])
            raise CompileError(f"unknown parameter {where}")
        value = value[name]


def _first_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return " ".join(lines[:3]) if lines else "syntax error"


def _ident_name(expr_tree) -> str | None:
    for node in expr_tree.iter_subtrees():
        if node.data == "ident":
            return str(node.children[0])
    return None


def _dotted(node) -> list[str] | None:
    """`a.b.c` as ["a", "b", "c"] when the node is a plain chain of field selections."""
    import lark

    if node.data == "member" and len(node.children) == 1:
        return _dotted(node.children[0]) if isinstance(node.children[0], lark.Tree) else None
    if node.data == "primary" and len(node.children) == 1 and getattr(node.children[0], "data", None) == "ident":
        return [str(node.children[0].children[0])]
    if node.data == "member_dot":
        head = _dotted(node.children[0])
        return head + [str(node.children[1])] if head else None
    return None


def _primary_of(node):
    while node.data == "member" and len(node.children) == 1:
        node = node.children[0]
    return node
