"""Static checks of an expression, the same for every engine: it parses, and it names only known
variables, functions and parameters; and which fields of which variables it reads (the runner
shares results between entities that agree on those fields).

cel-python's parser is the reference grammar. Building it costs about 0.2 s, so it is built on
first use only: a check whose compiled pack comes from the disk cache never needs it.
"""

from __future__ import annotations

from cdap_policy.engines.base import CompileError

_MACROS = {"all", "exists", "exists_one", "map", "filter"}
_CONVERSIONS = {
    "int",
    "uint",
    "double",
    "string",
    "bytes",
    "bool",
    "duration",
    "timestamp",
    "list",
    "map",
    "type",
    "dyn",
    "has",
}

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
    """cel-python's tree of `source`, or CompileError with the first lines of the
    parser's message.
    """
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
            if (
                str(node.children[1]) in _MACROS
                and node.children[2] is not None
                and node.children[2].children
            ):
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
        elif (
            kind == "primary"
            and node.children
            and getattr(node.children[0], "data", None) == "ident"
        ):
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
    for (
        node
    ) in primaries:  # a variable used whole (passed to a function, iterated) is read entirely
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
    if (
        node.data == "primary"
        and len(node.children) == 1
        and getattr(node.children[0], "data", None) == "ident"
    ):
        return [str(node.children[0].children[0])]
    if node.data == "member_dot":
        head = _dotted(node.children[0])
        return head + [str(node.children[1])] if head else None
    return None


def _primary_of(node):
    while node.data == "member" and len(node.children) == 1:
        node = node.children[0]
    return node


# -- which values a list-building macro iterates ---------------------------------------------------
# `R.map(x, …)` and `R.filter(x, …)` build a list in the order R is iterated. cel-python iterates a
# map in its keys' insertion order; the native runtime holds maps in a hash table, in no fixed
# order. `iterated_paths` tells, from the parsed expression, what each such R can be: a list by
# construction (a list literal, another macro's result, a function returning a list, `+` of lists,
# a variable bound to the items of such a list), or a value read from a variable by a plain path,
# which can be looked at before evaluating (`a.b`, `users.*.profiles` for the items of a list). An
# expression with any other R is left to cel-python.

# grammar rules that only pass their single child on (explain walks the tree with them too)
PASS_THROUGH = {
    "expr",
    "conditionalor",
    "conditionaland",
    "relation",
    "addition",
    "multiplication",
    "unary",
    "member",
    "primary",
    "paren_expr",
}
_LIST_FUNCTIONS = {"years_between", "completed_quarters", "accepted_diplomas"}
_MAP_FUNCTIONS = {"function_check"}
_LIST, _SCALAR, _MAP = "list", "scalar", "map"


class _Unknown(Exception):
    """An iterated value whose kind cannot be told before evaluation."""


# A path's step for `x[i]`: whichever item or value the index picks, so every one is looked at
ANY = "[]"


def iterated_paths(tree, variables: set) -> list | None:
    """The plain paths (tuples from a variable; "*" for every item of a list) whose values the
    expression's `map` and `filter` iterate and which must not be maps for its result to be the
    same on every engine; [] when every iterated value is a list by construction; None when one
    cannot be told."""
    found: list = []
    try:
        _kind(tree, {}, variables, found)
    except (_Unknown, RecursionError):
        return None
    return sorted(set(found))


def _single(node):
    import lark

    while (
        isinstance(node, lark.Tree)
        and node.data in PASS_THROUGH
        and len(node.children) == 1
        and isinstance(node.children[0], lark.Tree)
    ):
        node = node.children[0]
    return node


def _kind(node, env: dict, variables: set, found: list):
    """The kind of value `node` gives: ("list", kind of its items or None), ("path", path),
    ("union", [kinds]), "map", "scalar" or None (unknown), visiting every sub-expression."""
    import lark

    node = _single(node)
    if not isinstance(node, lark.Tree):
        return None
    kind, children = node.data, node.children
    if kind == "expr" and len(children) == 3:  # c ? a : b
        _kind(children[0], env, variables, found)
        return (
            "union",
            [_kind(children[1], env, variables, found), _kind(children[2], env, variables, found)],
        )
    if kind == "addition" and len(children) == 2:
        left = (
            _kind(children[0].children[0], env, variables, found)
            if isinstance(children[0], lark.Tree) and children[0].children
            else None
        )
        right = _kind(children[1], env, variables, found)
        if getattr(children[0], "data", "") == "addition_add" and (
            _is_list(left) or _is_list(right)
        ):
            return (_LIST, None)  # `+` of lists (anything else is an error on every engine)
        return _SCALAR
    if kind == "member_dot":
        return _member(_kind(children[0], env, variables, found), str(children[1]))
    if kind == "member_dot_arg":
        name = str(children[1])
        args = [
            c
            for c in (children[2].children if len(children) > 2 and children[2] is not None else [])
        ]
        target = _kind(children[0], env, variables, found)
        if name in _MACROS and len(args) == 2:
            var = _ident_name(args[0])
            inner = dict(env)
            if var:
                inner[var] = _items(target)
            _kind(args[1], inner, variables, found)
            if name in ("map", "filter"):
                checks = _runtime_checks(target)
                if checks is None:
                    raise _Unknown
                found.extend(checks)
                return (_LIST, None if name == "map" else _items(target))
            return _SCALAR
        for arg in args:
            _kind(arg, env, variables, found)
        return _SCALAR  # size(), contains(), startsWith()…
    if kind == "member_index":
        base = _kind(children[0], env, variables, found)
        for child in children[1:]:
            _kind(child, env, variables, found)
        if isinstance(base, tuple) and base[0] == "path":
            return ("path", base[1] + (ANY,))  # an item of a list, or a value of a map
        return None
    if kind == "ident":
        name = str(children[0])
        if name in env:
            return env[name]
        return ("path", (name,)) if name in variables else None
    if kind == "ident_arg":
        name = str(children[0])
        for arg in children[1].children if len(children) > 1 and children[1] is not None else []:
            _kind(arg, env, variables, found)
        return (
            (_LIST, None)
            if name in _LIST_FUNCTIONS
            else _MAP
            if name in _MAP_FUNCTIONS
            else _SCALAR
        )
    if kind == "list_lit":
        items = [
            _kind(c, env, variables, found)
            for c in (children[0].children if children and children[0] is not None else [])
        ]
        if not items:  # `[]`: no item, whose kind is then the empty union
            return (_LIST, ("union", []))
        first = items[0]
        return (_LIST, first if all(i == first for i in items) else ("union", items))
    if kind == "map_lit":
        inits = children[0].children if children and children[0] is not None else []
        keys = [_string_literal(k) for k in inits[0::2]]
        values = [_kind(v, env, variables, found) for v in inits[1::2]]
        for key in inits[0::2]:
            _kind(key, env, variables, found)
        if all(k is not None for k in keys):
            return ("maplit", tuple(keys), values)
        return _MAP
    if kind == "literal":
        return _SCALAR
    _visit_all(node, env, variables, found)
    return (
        _SCALAR
        if kind in ("conditionalor", "conditionaland", "relation", "multiplication", "unary")
        else None
    )


def _string_literal(node) -> str | None:
    import ast

    import lark

    node = _single(node)
    if isinstance(node, lark.Tree) and node.data == "literal" and node.children:
        text = str(node.children[0])
        if text[:1] in ("'", '"') and not text.startswith(("'" * 3, '"' * 3)):
            try:
                value = ast.literal_eval(text)
            except (ValueError, SyntaxError):
                return None
            return value if isinstance(value, str) else None
    return None


def result_maps(tree, variables: set):
    """How the maps an expression may return are ordered: (the key orders of its map literals,
    the paths whose values it may return as they are), or None when it may return a map built
    otherwise. The native runtime's maps come back in no fixed order; cel-python keeps a map
    literal's order and a value's own."""
    orders: list = []
    paths: list = []
    try:
        kind = _kind(tree, {}, variables, [])
    except (_Unknown, RecursionError):
        return None
    return (orders, sorted(set(paths))) if _result_parts(kind, orders, paths) else None


def _result_parts(kind, orders: list, paths: list) -> bool:
    if kind == _SCALAR:
        return True
    if not isinstance(kind, tuple):
        return False  # unknown, or a map not written as a literal
    if kind[0] == "path":
        paths.append(kind[1])
        return True
    if kind[0] == "union":
        return all(_result_parts(k, orders, paths) for k in kind[1])
    if kind[0] == _LIST:
        return kind[1] is not None and _result_parts(kind[1], orders, paths)
    if kind[0] == "maplit":
        orders.append(list(kind[1]))
        return all(_result_parts(k, orders, paths) for k in kind[2])
    return False


def _visit_all(node, env, variables, found):
    import lark

    for child in node.children:
        if isinstance(child, lark.Tree):
            _kind(child, env, variables, found)


def _is_list(kind) -> bool:
    """A list by construction (each branch of a `?:` too)."""
    if isinstance(kind, tuple) and kind[0] == "union":
        return all(_is_list(k) for k in kind[1])
    return isinstance(kind, tuple) and kind[0] == _LIST


def _member(kind, field: str):
    """The kind of `x.field` where `x` is of kind `kind`: a path goes one step further, each part
    of a union likewise (the empty union, the items of `[]`, stays empty); anything else is
    unknown."""
    if isinstance(kind, tuple):
        if kind[0] == "path":
            return ("path", kind[1] + (field,))
        if kind[0] == "union":
            parts = [_member(part, field) for part in kind[1]]
            return None if any(part is None for part in parts) else ("union", parts)
    return None


def _items(kind):
    """The kind of the items of a value of kind `kind`."""
    if isinstance(kind, tuple):
        if kind[0] == _LIST:
            return kind[1]
        if kind[0] == "path":
            return ("path", kind[1] + ("*",))
        if kind[0] == "union":
            return ("union", [_items(k) for k in kind[1]])
    return None


def _runtime_checks(kind) -> list | None:
    """The paths to look at so that a value of kind `kind` is known to be iterated in the same
    order everywhere, or None when it cannot be known."""
    if _is_list(kind):
        return []
    if isinstance(kind, tuple) and kind[0] == "path":
        return [kind[1]]
    if isinstance(kind, tuple) and kind[0] == "union":
        out = []
        for part in kind[1]:
            checks = _runtime_checks(part)
            if checks is None:
                return None
            out += checks
        return out
    return None


# -- the parameters' maps read directly ------------------------------------------------------------
HOISTED = "__cdap_params_"  # prefix of the variables holding each parameter (see hoisted_source)


def hoisted_source(tree, source: str) -> str | None:
    """`source` with each `params.NAME` written `__cdap_params_NAME`, None when it has none. The
    native runtime copies a map whenever an expression selects a field of a field
    (`params.profiles["2017"]` copies the whole catalogue, 170 µs; the same map read from a
    variable of its own, 0.4 µs): each parameter is a variable of its own for that engine. A
    selection that is `has()`'s argument stays as written (`has()` needs a field selection)."""
    import lark

    tested = set()
    for node in tree.iter_subtrees():
        if (
            node.data == "ident_arg"
            and str(node.children[0]) == "has"
            and len(node.children) > 1
            and node.children[1] is not None
        ):
            for argument in node.children[1].children:
                tested.add(id(_single(argument)))
    spans = []
    for node in tree.iter_subtrees():
        if node.data != "member_dot" or id(node) in tested:
            continue
        head = _single(node.children[0])
        if (
            isinstance(head, lark.Tree)
            and head.data == "ident"
            and str(head.children[0]) == "params"
        ):
            meta = node.meta
            if getattr(meta, "empty", True):
                return None
            spans.append((meta.start_pos, meta.end_pos, str(node.children[1])))
    if not spans:
        return None
    out = source
    for start, end, name in sorted(spans, reverse=True):
        out = out[:start] + HOISTED + name + out[end:]
    return out
