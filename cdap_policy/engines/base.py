"""What every CEL engine gives the rest of the package: errors, the program and engine protocols,
plain field selections, and CEL values back to plain Python.

An engine compiles an expression once into a `Program` that names the variables it reads and
evaluates many times on an activation: a dict of variable name to a value the engine made with
its own `to_cel`. Everything above the engines sees plain Python values (`to_python`) or
`EvalError`, whichever engine runs.
"""

from __future__ import annotations

import re
from typing import Protocol


class CompileError(Exception):
    """The expression does not parse, or names an unknown variable, function or parameter."""


class EvalError(Exception):
    """The expression could not be evaluated on this input (missing field, type error...)."""


class Program(Protocol):
    source: str
    reads: dict  # variable -> fields read ("*" = the whole value)
    names: tuple  # the variables the expression names, in the order of `reads`

    def evaluate(self, activation: dict, timeout: float | None = None):
        """The expression's value (an engine value: pass it to `to_python`), or EvalError."""


class Engine(Protocol):
    name: str  # "compiled", "interpreted", "native"
    variables: set
    params: dict

    def compile(self, source: str, lazy: bool = False) -> Program:
        """Check now (CompileError); with `lazy`, the engine may build the runnable form on first
        use.
        """

    def to_cel(self, value):
        """Plain data (a snapshot section, an entity, its facts) as this engine's value, once per
        snapshot.
        """

    def bind(self, entities: list, collection: str = "", shared: tuple | None = None) -> None:
        """Prepare the values of collection `collection`'s entities (`entity._cel`,
        `entity._cel_facts`) before rules iterate over it; `shared` (name, value) is a variable
        of the snapshot whose items are the entities' data, in order. An engine that converts on
        first use does nothing."""

    def syntax(self, source: str):
        """cel-python's parse tree of `source`, whatever the engine: `explain` walks it."""


# -- plain field selections ---------------------------------------------------------------------

FIELD_PATH = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")
KEYWORDS = {
    "true",
    "false",
    "null",
    "in",
    "as",
    "break",
    "const",
    "continue",
    "else",
    "for",
    "function",
    "if",
    "import",
    "let",
    "loop",
    "package",
    "namespace",
    "return",
    "var",
    "void",
    "while",
}


def field_path(source: str) -> list[str] | None:
    """`entity.code` as ["entity", "code"]: half of the pack's evidence is a plain field selection,
    read without CEL (see FieldProgram). None for anything else."""
    path = source.strip()
    if FIELD_PATH.match(path) and not set(path.split(".")) & KEYWORDS:
        return path.split(".")
    return None


class FieldProgram:
    """A plain field selection read directly, with CEL's semantics: a missing field is an error.
    Engine values are dicts (cel-python's MapType is one) or, for the native engine, handles that
    `resolve` turns into the plain value."""

    __slots__ = ("source", "reads", "names", "path", "resolve")

    def __init__(self, source: str, path: list[str], resolve=None):
        self.source, self.path, self.resolve = source, path, resolve
        self.reads = {path[0]: {path[1]} if len(path) > 1 else {"*"}}
        self.names = (path[0],)

    def evaluate(self, activation: dict, timeout: float | None = None):
        head = self.path[0]
        if head not in activation:
            raise EvalError(f"undeclared reference to {head!r}")
        value = activation[head]
        if self.resolve is not None:
            value = self.resolve(value)
        for name in self.path[1:]:
            if not isinstance(value, dict):
                raise EvalError(f"no such member {name!r} in {_type_name(value)}")
            if name not in value:
                raise EvalError(f"no such member in mapping: {name!r}")
            value = value[name]
        return value


_TYPE_NAMES = {
    bool: "BoolType",
    int: "IntType",
    float: "DoubleType",
    str: "StringType",
    list: "ListType",
    type(None): "NullType",
}


def _type_name(value) -> str:
    # cel-python's names, whichever engine holds the value: the message does not depend on it
    for kind, name in _TYPE_NAMES.items():
        if type(value) is kind:
            return name
    return type(value).__name__


# -- back to plain Python -------------------------------------------------------------------------


def to_python(value):
    """An engine's value as plain Python, for evidence and messages. cel-python's types subclass
    Python's (MapType is a dict, BoolType an int), the native engine returns plain Python: one
    function serves both."""
    if isinstance(value, bool):
        return value
    kind = type(value).__name__
    if kind == "BoolType":  # cel-python's booleans are ints, not bools
        return bool(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, str):
        return str(value)
    if isinstance(value, dict):
        return {str(to_python(k)): to_python(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):  # `a + b` on cel-python lists yields a plain list
        return [to_python(v) for v in value]
    if value is None or kind == "NullType":
        return None
    return str(value)
