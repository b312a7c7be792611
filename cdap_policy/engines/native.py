"""The native engine: the Rust CEL runtime (`common-expression-language`), installed with
`pip install '.[fast]'` and chosen with `--engine native`.

The runtime converts Python values into its own when a variable is added to a `cel.Context`
(about 30 µs per user record), and rebuilds its whole environment (a copy of every variable,
milliseconds for a department) on the next evaluation after any change. So the snapshot's
variables are added once, all at once, and never again while they are the same objects; an
entity of a collection is not added at all: the collection's items are added once as a list, and
the expression reads item `i` through a one-item comprehension (`[items[i]].map(entity, EXPR)[0]`),
`i` being handed over per call by the context's resolver, which does not touch the environment.

Static checks (unknown names, fields read) are cel-python's (`analysis`), cached on disk with
the pack, so both engines accept exactly the same pack. The native runtime decides `when` and
`check`; evidence, which messages quote, is evaluated by cel-python (see _ReferenceProgram), so a
report is the same bytes whichever engine ran. Custom functions are those of `celfuncs.FUNCTIONS`,
registered through one generic wrapper that converts the native values to cel-python's, calls the
function and converts its result back: one implementation of each.

Known differences with cel-python, none reached by the shipped pack on the fixtures, the rules'
test cases, generated partners or schema-drawn snapshots (tests/test_engines.py): the runtime
compares int with double where cel-python raises; `in` over a list of mixed types is false where
cel-python raises; `all`/`exists` stop at the first error in list order where cel-python lets a
decisive element win whatever its place; its error messages are its own.
"""
from __future__ import annotations

import logging
import threading
import time

from cdap_policy import celfuncs
from cdap_policy.engines import analysis
from cdap_policy.engines.base import CompileError, EvalError, FieldProgram, field_path, to_python

# The bindings log a warning for every custom function that raises (a CEL error we report as a
# finding): without this, it would reach stderr through logging's last-resort handler.
logging.getLogger("cel").setLevel(logging.CRITICAL + 1)

DISTRIBUTION = "common-expression-language"
INSTALL_HINT = "pip install '.[fast]'"


class EngineUnavailable(RuntimeError):
    """The native engine's package is not installed (or is not the one expected)."""


_MODULE = None


def load_module():
    """The bindings' module, or EngineUnavailable saying how to install them."""
    global _MODULE
    if _MODULE is None:
        try:
            module = _extension() or __import__("cel")
        except ImportError as exc:
            raise EngineUnavailable(f"{DISTRIBUTION} is not installed ({exc}); {INSTALL_HINT}") from None
        if not (hasattr(module, "Context") and hasattr(module, "compile") and hasattr(module.Context, "set_variable_resolver")):
            raise EngineUnavailable(f"the module `cel` found is not {DISTRIBUTION} ≥ 0.10; {INSTALL_HINT}")
        _MODULE = module
    return _MODULE


def _extension():
    """The compiled module alone. `import cel` also imports the package's command-line tool and
    its dependencies (prompt_toolkit, typer, rich...): about 0.18 s of a 0.4 s check. None when the
    package is not laid out as expected; the caller then imports it the ordinary way."""
    import importlib.machinery
    import importlib.util
    import os

    try:
        spec = importlib.util.find_spec("cel")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        for suffix in importlib.machinery.EXTENSION_SUFFIXES:
            path = os.path.join(folder, "cel" + suffix)
            if os.path.isfile(path):
                try:
                    ext = importlib.util.spec_from_file_location("cel.cel", path)
                    module = importlib.util.module_from_spec(ext)
                    ext.loader.exec_module(module)
                except (ImportError, OSError):
                    return None
                return module
    return None


def version() -> str | None:
    from importlib import metadata

    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return None


class _Batch:
    """The items of one collection (their data, or their facts), added to the context once, under
    a name of their own (`__cdap_items_<collection>_<part>`)."""
    __slots__ = ("items", "name")

    def __init__(self, items: list, name: str):
        self.items, self.name = items, name


class _Item:
    """Item `index` of a batch: what an entity's value is for this engine."""
    __slots__ = ("batch", "index")

    def __init__(self, batch: _Batch, index: int):
        self.batch, self.index = batch, index


def unwrap(value):
    return value.batch.items[value.index] if type(value) is _Item else value


_MISSING = object()
_failure = threading.local()  # the exception a custom function raised, for the error message
# Variables that change from one evaluation to the next (the runner's activation: the context's
# variables plus the entity judged and its facts): never added to the context, whose every change
# makes the runtime rebuild its whole environment (milliseconds for a department), but handed
# over per call through the context's resolver (an index into a batch, or a small log row).
PER_CALL = ("entity", "facts")


def _wrap(name: str, function):
    from celpy import json_to_cel

    def call(*args):
        try:
            return to_python(function(*[json_to_cel(a) for a in args]))
        except Exception as exc:
            _failure.exc = exc
            raise

    call.__name__ = name
    return call


def _explain(exc: BaseException) -> str:
    """The native runtime's error in the words cel-python would use where they are the same kind."""
    failed = getattr(_failure, "exc", None)
    if failed is not None and type(failed).__name__ in str(exc):
        return f"{type(failed).__name__}: {failed}" if not isinstance(failed, (ValueError, TypeError)) else str(failed)
    if isinstance(exc, KeyError):
        return f"no such member in mapping: {exc.args[0]!r}" if exc.args else "no such member"
    if isinstance(exc, ZeroDivisionError):
        return "divide by zero"
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


class _State:
    """One thread's context, the objects its variables were added from, and the per-call values
    its resolver hands over."""
    __slots__ = ("context", "current", "calls")

    def __init__(self, cel, functions):
        self.context = cel.Context(None, functions)
        self.current: dict = {}
        self.calls: dict = {}
        self.context.set_variable_resolver(self.calls.get)  # None: not a per-call value


class NativeProgram:
    __slots__ = ("engine", "source", "reads", "names", "_slots", "_variants")

    def __init__(self, engine: "NativeEngine", source: str, reads: dict, program):
        self.engine, self.source, self.reads = engine, source, reads
        self.names = tuple(reads)
        # per variable: whether it changes per call, and the resolver's name of its index
        self._slots = tuple((name, name in PER_CALL, f"__cdap_index_{name}") for name in self.names)
        self._variants = {(): program}  # by the batches the per-call variables are items of

    def _variant(self, key: tuple):
        source = f"(\n{self.source}\n)"  # on their own lines: a trailing comment cannot swallow the wrapper
        for name, batch, index in key:
            # the entity is item `index` of the batch, bound to its name by a one-item comprehension
            source = f"[{batch}[{index}]].map({name}, {source})[0]"
        try:
            program = self.engine.cel.compile(source)
        except Exception as exc:  # pragma: no cover - the plain form compiled
            raise EvalError(f"cannot compile: {exc}") from None
        self._variants[key] = program
        return program

    def evaluate(self, activation: dict, timeout: float | None = None):
        state = self.engine.state()
        context, current, calls = state.context, state.current, state.calls
        key = ()
        for name, per_call, index in self._slots:
            value = activation.get(name, _MISSING)
            if per_call:
                if type(value) is _Item:
                    batch = value.batch
                    if current.get(batch.name) is not batch:
                        context.add_variable(batch.name, batch.items)
                        current[batch.name] = batch
                    calls[index] = value.index
                    key += ((name, batch.name, index),)
                elif value is _MISSING:
                    return self._alone(activation, timeout)
                else:
                    calls[name] = value
            elif value is _MISSING:
                return self._alone(activation, timeout)
            elif current.get(name) is not value:
                self._add_all(activation, state)
        program = self._variants.get(key) or self._variant(key)
        try:
            return self._run(program, context, timeout)
        finally:
            calls.clear()  # a value handed over for one call must not answer for another

    @staticmethod
    def _add_all(activation: dict, state: _State):
        """Every variable of the activation that the context does not hold yet, at once: the first
        evaluation on a snapshot adds them all, and the runtime rebuilds its environment once
        (about 2 ms for a department) instead of once per variable."""
        current = state.current
        for name, value in activation.items():
            if name not in PER_CALL and type(value) is not _Item and current.get(name) is not value:
                state.context.add_variable(name, value)
                current[name] = value

    def _alone(self, activation: dict, timeout):
        """A variable the expression names is absent: evaluate in a context of its own, so that
        the shared context's value of another snapshot cannot stand in for it."""
        values = {name: unwrap(activation[name]) for name in self.names if name in activation}
        context = self.engine.cel.Context(values, self.engine.functions)
        return self._run(self._variants[()], context, timeout)

    @staticmethod
    def _run(program, context, timeout):
        _failure.exc = None
        started = time.perf_counter()
        try:
            value = program.execute(context)
        except Exception as exc:  # the bindings raise KeyError, TypeError, RuntimeError...: all CEL errors
            raise EvalError(_explain(exc)) from None
        # Native code cannot be interrupted from Python: an evaluation that ran over its deadline
        # is an error once it returns (--timeout still ends a run that never returns).
        if timeout and time.perf_counter() - started > timeout:
            raise EvalError(f"evaluation took longer than {timeout:g} s")
        return value


class _ReferenceProgram:
    """An evidence expression, evaluated by cel-python on this engine's activation. Evidence is
    what messages quote, computed for failing findings only (a few per snapshot): the reference
    engine words it, so that reports are the same bytes whichever engine decided. The native
    runtime iterates a map in no fixed order (a hash map), so a list it builds from a map's keys
    would change order from one run to the next."""
    __slots__ = ("program", "engine", "source", "reads", "names")

    def __init__(self, program, engine: "NativeEngine"):
        self.program, self.engine = program, engine
        self.source, self.reads, self.names = program.source, program.reads, program.names

    def evaluate(self, activation: dict, timeout: float | None = None):
        from celpy import json_to_cel

        memo = self.engine.reference_values
        values = {}
        for name in self.names:
            if name not in activation:
                continue
            value = activation[name]
            if name in PER_CALL or type(value) is _Item:
                values[name] = json_to_cel(unwrap(value))
                continue
            kept = memo.get(name)
            if kept is None or kept[0] is not value:  # converted once per snapshot
                kept = memo[name] = (value, json_to_cel(value))
            values[name] = kept[1]
        return self.program.evaluate(values, timeout)


class NativeEngine:
    name = "native"

    def __init__(self, variables: set, params: dict | None = None, cache=None):
        from cdap_policy.engines.celpy import CelPyEngine

        self.cel = load_module()
        self.variables = set(variables)
        self.params = params or {}
        self.cache = cache
        self.functions = {name: _wrap(name, function) for name, function in celfuncs.FUNCTIONS.items()}
        self._local = threading.local()
        self.reference = CelPyEngine(variables, params, "compiled", cache)  # for evidence (see _ReferenceProgram)
        self.reference_values: dict = {}  # variable -> (the object, its cel-python value)

    def state(self) -> _State:
        state = getattr(self._local, "state", None)
        if state is None:
            state = self._local.state = _State(self.cel, self.functions)
        return state

    def to_cel(self, value):
        """Plain data stays plain: the runtime converts it when it is first added to a context.
        The engine keeps values by identity, so they must not change once handed over."""
        return value

    BIND_MAX = 5_000  # entities of a collection added as batches; beyond, each is handed over per call

    def bind(self, entities: list, collection: str = "items") -> None:
        """Batches for a collection of a few thousand entities (users): one conversion each,
        evaluated by many rules. A larger one (55,000 daily volumes of a log, evaluated once per
        distinct count) would only double the runtime's memory: its entities go per call."""
        if len(entities) > self.BIND_MAX:
            return
        data = _Batch([e.data for e in entities], f"__cdap_items_{collection}_data")
        facts = _Batch([e.facts for e in entities], f"__cdap_items_{collection}_facts")
        for index, entity in enumerate(entities):
            entity._cel, entity._cel_facts = _Item(data, index), _Item(facts, index)

    unwrap = staticmethod(unwrap)

    def syntax(self, source: str):
        return analysis.parse(source)

    def compile(self, source: str, lazy: bool = False):
        """`lazy` marks evidence: cel-python evaluates it (see _ReferenceProgram)."""
        path = field_path(source)
        if path:
            analysis.check_field_path(path, self.variables, self.params)
            return FieldProgram(source, path, unwrap)
        if lazy:
            return _ReferenceProgram(self.reference.compile(source, lazy=True), self)
        entry = self.cache.get(source) if self.cache is not None else None
        if entry is not None:
            reads = {name: set(fields) for name, fields in entry["reads"].items()}
        else:
            reads = analysis.check(analysis.parse(source), self.variables, self.params, celfuncs.FUNCTIONS)
            if self.cache is not None:
                self.cache.put(source, {"reads": {k: sorted(v) for k, v in reads.items()}})
        try:
            program = self.cel.compile(source)
        except Exception as exc:  # cel-python accepted it: a difference between the two grammars
            raise CompileError(f"the native engine does not compile it: {_explain(exc)}") from None
        return NativeProgram(self, source, reads, program)
