"""cel-python, the default and reference engine: its compiled runner (default) or its interpreter.

The compiled runner transpiles each expression to Python; the code object is what the disk cache
keeps (marshalled), so that a run whose pack is cached needs neither cel-python's parser nor its
transpiler. Three quirks of the compiled runner are handled here: `has()` results handed to `!`,
`&&`, `||`, `?:` as Python booleans (celpy_functions.OPERATORS), custom functions resolved by module
path, and the cost of its variable look-up (see `_activation_getattr`).
"""

from __future__ import annotations

import logging
import marshal

import celpy
import celpy.evaluation
from celpy import celtypes

import cdap_policy
from cdap_policy.engines import analysis, celfuncs, celpy_functions
from cdap_policy.engines.base import CompileError, EvalError, FieldProgram, field_path
from cdap_policy.engines.deadline import EvaluationTimeout, deadline

# cel-python logs every evaluation error at ERROR level before raising it; we report errors
# as findings, so its log would only duplicate them on stderr.
logging.getLogger("celpy").setLevel(logging.CRITICAL + 1)

# The compiled runner emits Python that calls custom functions as `<module>.<name>`, evaluated in
# celpy.evaluation's globals: make our package resolvable there.
celpy.evaluation.result.__globals__.setdefault("cdap_policy", cdap_policy)


def _boolean_bodies(macro):
    """cel-python's compiled runner gives `has()` as a Python bool, which the `all` and `exists`
    macros reduce with cel-python's own `&&` and `||`: `xs.all(x, has(x.f))` was « no such
    overload » where the interpreter answers. The macro's body is given CEL booleans."""

    def wrapped(activation, bind_variable, cel_expr, cel_gen):
        return macro(
            activation, bind_variable, lambda act: celpy_functions.celbool(cel_expr(act)), cel_gen
        )

    wrapped.__name__ = wrapped.__qualname__ = macro.__name__
    wrapped.__wrapped__ = macro  # type: ignore[attr-defined]
    return wrapped


# the transpiled code looks the macros up as celpy.evaluation.macro_<name> at each call
for _macro in ("macro_all", "macro_exists", "macro_map"):
    if not hasattr(getattr(celpy.evaluation, _macro), "__wrapped__"):
        setattr(celpy.evaluation, _macro, _boolean_bodies(getattr(celpy.evaluation, _macro)))

_Activation = celpy.evaluation.Activation
# what compiled code calls: the custom functions as cel-python needs them, and its operators
FUNCTIONS = {**celpy_functions.FUNCTIONS, **celpy_functions.OPERATORS}


def _activation_getattr(self, name):
    """`activation.name` in transpiled code: cel-python 0.5's own method, less a
    `cast(Union[...], ...)` that rebuilds and hashes a typing Union on every variable read (about a
    third of the compiled runner's time on this pack), with a direct look-up first for the usual
    case, which its name resolution would find first anyway (no package, name bound here)."""
    try:
        identifiers = self.identifiers
        if self.package is None and name in identifiers:
            referent = dict.__getitem__(identifiers, name)
        else:
            referent = identifiers.resolve_name(self.package, name)
        if referent._value_set:
            return referent.value
        if referent.container:
            return referent.container
        if referent.annotation:
            return referent.annotation
        raise RuntimeError(f"Corrupt {self!r}")  # pragma: no cover - as cel-python does
    except KeyError:
        return self.functions[name]


if _Activation.__getattr__.__qualname__ == "Activation.__getattr__":  # the method this replaces
    _Activation.__getattr__ = _activation_getattr  # type: ignore[method-assign]  # on purpose: see _activation_getattr
    _Activation.get = _activation_getattr


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
                message = (
                    f"{message}: {inner}" if message not in ("evaluation error", inner) else inner
                )
            break
    return message.replace("evaluation error: ", "")


class CelProgram:
    __slots__ = ("source", "reads", "names", "runner", "build")

    def __init__(self, source: str, reads: dict, runner, build):
        self.source, self.reads, self.runner, self.build = source, reads, runner, build
        # cel-python copies every variable of the activation on each evaluation: hand it only
        # the ones this expression names.
        self.names = tuple(reads)

    def evaluate(self, activation: dict, timeout: float | None = None):
        """Evaluate with an activation of CEL values; return the CEL value or raise EvalError."""
        activation = {name: activation[name] for name in self.names if name in activation}
        runner = self.runner
        if runner is None:
            try:
                runner = self.runner = self.build()
            except CompileError as exc:
                raise EvalError(str(exc)) from None
        try:
            if timeout:
                with deadline(timeout):
                    return runner.evaluate(activation)
            return runner.evaluate(activation)
        except celpy.CELEvalError as exc:
            raise EvalError(_explain(exc)) from None
        except EvaluationTimeout:
            raise EvalError(f"evaluation took longer than {timeout:g} s") from None
        except RecursionError:
            raise EvalError("expression recursion too deep") from None
        except (
            TypeError,
            ValueError,
            KeyError,
            AttributeError,
            IndexError,
            ArithmeticError,
        ) as exc:
            # cel-python lets a few internal errors escape raw; they are still evaluation errors.
            raise EvalError(f"{type(exc).__name__}: {exc}") from None


def to_cel(value):
    """Plain data to CEL values, once per snapshot; whole floats stay floats (see README).

    The same values as `celpy.json_to_cel`, built faster (most of the engine layer's cost on a
    department is this conversion): the plain types by their exact type, a map filled at once
    rather than key by key, and each distinct string made once per call (CEL strings are
    immutable, so a field name or a date met a thousand times is one object). Any other type
    (a subclass, a tuple, a date-time) is json_to_cel's."""
    strings: dict = {}
    new_string, cel_string = str.__new__, celtypes.StringType
    fallback = celpy.json_to_cel

    def convert(item):
        kind = type(item)
        if kind is str:
            made = strings.get(item)
            if made is None:
                made = strings[item] = new_string(cel_string, item)
            return made
        if kind is dict:
            mapping = celtypes.MapType()
            dict.update(mapping, {convert(key): convert(v) for key, v in item.items()})
            return mapping
        if kind is list:
            return celtypes.ListType([convert(v) for v in item])
        if item is None:
            return None
        if kind is bool:
            return _TRUE if item else _FALSE
        return fallback(item)

    return convert(value)


_TRUE, _FALSE = celtypes.BoolType(True), celtypes.BoolType(False)


class CelValues:
    """How cel-python's values are made: what a Context needs of an engine."""

    to_cel = staticmethod(to_cel)

    @staticmethod
    def bind(entities: list, collection: str = "", shared: tuple | None = None) -> None:
        """Entities are converted on first use, by Context.activation."""

    @staticmethod
    def unwrap(value):
        return value  # cel-python's maps and lists are dicts and lists already


class CelPyEngine(CelValues):
    """Compiles CEL against a fixed set of variable names and the pack's parameters."""

    def __init__(
        self, variables: set, params: dict | None = None, runner: str = "compiled", cache=None
    ):
        if runner not in ("compiled", "interpreted"):
            raise ValueError(f"unknown cel-python runner {runner!r}")
        self.name = runner
        self.variables = set(variables)
        self.params = params or {}
        self.cache = cache
        self.functions = FUNCTIONS
        self._env: celpy.Environment | None = None
        self._base: _Activation | None = None

    # -- what the protocol asks -----------------------------------------------------------------
    @property
    def env(self):
        """cel-python's environment, built on first use (a cached pack does not need it)."""
        if self._env is None:
            if self.name == "compiled":
                self._env = analysis.environment()
            else:
                analysis.environment()  # fixes the process's parser tree class first (see there)
                self._env = celpy.Environment(runner_class=celpy.InterpretedRunner)
        return self._env

    def syntax(self, source: str):
        return analysis.parse(source, self.env)

    def compile(self, source: str, lazy: bool = False):
        """Parse and check now (a broken expression stops the pack from loading); with `lazy`,
        transpile on first evaluation: evidence expressions only run on failures. When the pack
        is being cached, every expression is transpiled now so that the cached pack is whole."""
        path = field_path(source)
        if path:
            analysis.check_field_path(path, self.variables, self.params)
            return FieldProgram(source, path)
        entry = self.cache.get(source) if self.cache is not None else None
        if entry is not None and (self.name != "compiled" or entry.get("code") is not None):
            reads = {name: set(fields) for name, fields in entry["reads"].items()}
            if self.name == "compiled":
                code = entry["code"]
                return CelProgram(source, reads, None, lambda: self._from_code(code))
            return CelProgram(source, reads, None, lambda: self._program(self.syntax(source)))
        tree = self.syntax(source)
        reads = analysis.check(tree, self.variables, self.params, celfuncs.FUNCTIONS)
        caching = self.cache is not None and not self.cache.hit and self.cache.path is not None
        if caching or not lazy:
            runner = self._program(tree)
            if caching:
                code = getattr(getattr(runner, "tp", None), "executable_code", None)
                self.cache.put(
                    source,
                    {
                        "reads": {k: sorted(v) for k, v in reads.items()},
                        "code": None if code is None else marshal.dumps(code),
                    },
                )
            return CelProgram(source, reads, runner, None)
        return CelProgram(source, reads, None, lambda: self._program(tree))

    def transpile(self, tree):
        """The compiled runner's code for a parsed expression, marshalled (what the disk cache
        keeps: read back only for the expressions evaluated), or None when it has none."""
        runner = self._program(tree) if self.name == "compiled" else None
        code = getattr(getattr(runner, "tp", None), "executable_code", None)
        return None if code is None else marshal.dumps(code)

    def from_code(self, source: str, reads: dict, code):
        """The program of `source` from its cached code object, without parsing it (parsed on
        first use where there is no code)."""
        if code is not None and self.name == "compiled":
            return CelProgram(source, reads, None, lambda: self._from_code(code))
        return CelProgram(source, reads, None, lambda: self._program(self.syntax(source)))

    # -- runners ----------------------------------------------------------------------------------
    def _program(self, tree):
        try:
            return self.env.program(tree, functions=self.functions)
        except Exception as exc:  # celpy's transpiler fails on some valid-looking trees
            raise CompileError(f"cannot compile: {exc}") from None

    def _from_code(self, code):
        """The compiled runner's evaluator around a cached code object: what `program()` builds,
        without parsing or transpiling. One base activation serves every program: evaluation
        works on a clone of it."""
        if self._base is None:
            self._base = _Activation(
                package=None, annotations=dict(celpy.googleapis), functions=self.functions
            )
        runner = celpy.evaluation.Transpiler.__new__(celpy.evaluation.Transpiler)
        runner.ast, runner.source_text = None, ""  # type: ignore[assignment]  # no tree: it runs the code object alone
        runner.base_activation = runner.activation = self._base
        runner.executable_code = marshal.loads(code) if isinstance(code, bytes) else code
        return runner
