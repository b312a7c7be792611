"""The CEL engine: compile every expression once, check it statically, evaluate it many times.

This is the only module that knows cel-python. Everything above it sees `Program.evaluate`
returning a plain Python value or raising `EvalError`, so another CEL runtime can be put
behind the same interface.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

import celpy
import celpy.evaluation
import lark
from celpy import celtypes

import cdap_policy
from cdap_policy import celfuncs
from cdap_policy.deadline import EvaluationTimeout, deadline

# cel-python logs every evaluation error at ERROR level before raising it; we report errors
# as findings, so its log would only duplicate them on stderr.
logging.getLogger("celpy").setLevel(logging.CRITICAL + 1)

# The compiled runner emits Python that calls custom functions as `<module>.<name>`, evaluated in
# celpy.evaluation's globals: make our package resolvable there.
celpy.evaluation.result.__globals__.setdefault("cdap_policy", cdap_policy)

_MACROS = {"all", "exists", "exists_one", "map", "filter"}
_CONVERSIONS = {"int", "uint", "double", "string", "bytes", "bool", "duration", "timestamp", "list", "map", "type", "dyn", "has"}
BUILTIN_FUNCTIONS = set(celpy.evaluation.base_functions) | _CONVERSIONS


class CompileError(Exception):
    """The expression does not parse, or names an unknown variable, function or parameter."""


class EvalError(Exception):
    """The expression could not be evaluated on this input (missing field, type error...)."""


@dataclass
class Program:
    source: str
    runner: object  # None until first use for expressions compiled lazily (evidence)
    reads: dict[str, set[str]] = field(default_factory=dict)  # variable -> fields read ("*" = whole)
    build: object = field(default=None, repr=False)  # makes the runner on first use

    def __post_init__(self):
        # cel-python copies every variable of the activation on each evaluation: hand it only
        # the ones this expression names.
        self.names = tuple(self.reads)

    def evaluate(self, activation: dict, timeout: float | None = None):
        """Evaluate with an activation of CEL values; return the CEL value or raise EvalError."""
        activation = {name: activation[name] for name in self.names if name in activation}
        if self.runner is None:
            try:
                self.runner = self.build()
            except CompileError as exc:
                raise EvalError(str(exc)) from None
        try:
            if timeout:
                with deadline(timeout):
                    return self.runner.evaluate(activation)
            return self.runner.evaluate(activation)
        except celpy.CELEvalError as exc:
            raise EvalError(_explain(exc)) from None
        except EvaluationTimeout:
            raise EvalError(f"evaluation took longer than {timeout:g} s") from None
        except RecursionError:
            raise EvalError("expression recursion too deep") from None
        except (TypeError, ValueError, KeyError, AttributeError, IndexError, ArithmeticError) as exc:
            # cel-python lets a few internal errors escape raw; they are still evaluation errors.
            raise EvalError(f"{type(exc).__name__}: {exc}") from None


def _explain(exc: BaseException) -> str:
    """cel-python nests the real cause in args; dig out the most specific message."""
    message = str(exc.args[0]) if exc.args else str(exc)
    cause = exc.args[2] if len(exc.args) > 2 else None
    while isinstance(cause, tuple) and cause:
        inner = cause[0]
        if isinstance(inner, celpy.CELEvalError):
            message = str(inner.args[0]) if inner.args else message
            cause = inner.args[2] if len(inner.args) > 2 else None
        else:
            if isinstance(inner, str) and inner:
                message = f"{message}: {inner}" if message not in ("evaluation error", inner) else inner
            break
    return message.replace("evaluation error: ", "")


class Engine:
    """Compiles CEL against a fixed set of variable names and the pack's parameters."""

    def __init__(self, variables: set[str], params: dict | None = None, runner: str = "compiled"):
        runner_class = {"compiled": celpy.CompiledRunner, "interpreted": celpy.InterpretedRunner}[runner]
        self.env = celpy.Environment(runner_class=runner_class)
        self.variables = set(variables)
        self.params = params or {}

    def compile(self, source: str, lazy: bool = False) -> Program:
        """Parse and check now (a broken expression stops the pack from loading); with `lazy`,
        transpile on first evaluation: evidence expressions only run on failures."""
        path = source.strip()
        if _FIELD_PATH.match(path) and not set(path.split(".")) & _KEYWORDS:
            return self._field_path(source, path.split("."))
        try:
            tree = self.env.compile(source)
        except celpy.CELParseError as exc:
            raise CompileError(_first_line(str(exc))) from None
        except lark.exceptions.LarkError as exc:  # pragma: no cover - defensive
            raise CompileError(_first_line(str(exc))) from None
        reads = self._check(tree)

        def build():
            try:
                return self.env.program(tree, functions={**celfuncs.FUNCTIONS, **celfuncs.OPERATORS})
            except Exception as exc:  # celpy's transpiler fails on some valid-looking trees
                raise CompileError(f"cannot compile: {exc}") from None

        return Program(source, None if lazy else build(), reads, build)

    def _field_path(self, source: str, names: list[str]) -> Program:
        """`entity.code`, `partner.kind`: half of the pack's evidence is a plain field selection.
        It is read directly, with CEL's semantics (a missing field is an error), instead of
        paying the parser and the transpiler for it."""
        if names[0] not in self.variables:
            raise CompileError(f"unknown variable {names[0]!r}; known: {', '.join(sorted(self.variables))}")
        if names[0] == "params":
            self._check_param(names[1:])
        reads = {names[0]: {names[1]} if len(names) > 1 else {"*"}}
        return Program(source, _FieldRunner(names), reads)

    def _check(self, tree) -> dict[str, set[str]]:
        """Reject unknown functions, variables and parameters now rather than at evaluation, and
        note which fields of which variables the expression reads. One walk over the tree."""
        bound: set[str] = set()
        functions, names, chains, primaries = [], [], [], []
        heads: set[int] = set()
        for node in tree.iter_subtrees():
            kind = node.data
            if kind == "member_dot_arg":
                if str(node.children[1]) in _MACROS and node.children[2] is not None and node.children[2].children:
                    name = _ident_name(node.children[2].children[0])
                    if name:
                        bound.add(name)
            elif kind == "ident_arg":
                functions.append(str(node.children[0]))
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
        for name in functions:
            if name not in BUILTIN_FUNCTIONS and name not in celfuncs.FUNCTIONS:
                raise CompileError(f"unknown function {name!r}")
        for name in names:
            if name not in self.variables and name not in bound:
                raise CompileError(f"unknown variable {name!r}; known: {', '.join(sorted(self.variables))}")
        reads: dict[str, set[str]] = {}
        for chain in chains:
            if chain[0] in self.variables:
                reads.setdefault(chain[0], set()).add(chain[1])
                if chain[0] == "params":
                    self._check_param(chain[1:])
        for node in primaries:  # a variable used whole (passed to a function, iterated) is read entirely
            name = str(node.children[0].children[0])
            if name in self.variables and id(node) not in heads:
                reads.setdefault(name, set()).add("*")
        return reads

    def _check_param(self, path: list[str]):
        value = self.params
        for index, name in enumerate(path):
            if not isinstance(value, dict):
                return
            if name not in value:
                where = "params." + ".".join(path[: index + 1])
                raise CompileError(f"unknown parameter {where}")
            value = value[name]


_FIELD_PATH = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")
_KEYWORDS = {"true", "false", "null", "in", "as", "break", "const", "continue", "else", "for", "function", "if",
             "import", "let", "loop", "package", "namespace", "return", "var", "void", "while"}


class _FieldRunner:
    def __init__(self, names: list[str]):
        self.names = names

    def evaluate(self, activation: dict):
        head = self.names[0]
        if head not in activation:
            raise celpy.CELEvalError(f"undeclared reference to {head!r}")
        value = activation[head]
        for name in self.names[1:]:
            if not isinstance(value, celtypes.MapType):
                raise celpy.CELEvalError(f"no such member {name!r} in {type(value).__name__}")
            key = celtypes.StringType(name)
            if key not in value:
                raise celpy.CELEvalError(f"no such member in mapping: {name!r}")
            value = value[key]
        return value


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


def to_cel(value):
    """Plain data to CEL values, once per snapshot; whole floats stay floats (see README)."""
    return celpy.json_to_cel(value)


def to_python(value):
    """CEL values back to plain Python, for evidence and messages."""
    if isinstance(value, celtypes.BoolType):
        return bool(value)
    if isinstance(value, (celtypes.IntType, celtypes.UintType)):
        return int(value)
    if isinstance(value, celtypes.DoubleType):
        return float(value)
    if isinstance(value, celtypes.StringType):
        return str(value)
    if isinstance(value, celtypes.MapType):
        return {str(to_python(k)): to_python(v) for k, v in value.items()}
    if isinstance(value, (celtypes.ListType, list, tuple)):  # `a + b` on CEL lists yields a plain list
        return [to_python(v) for v in value]
    if value is None or isinstance(value, celtypes.NullType):
        return None
    if isinstance(value, (bool, int, float, str)):
        return value
    return str(value)
