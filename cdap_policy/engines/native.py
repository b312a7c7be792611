"""The native engine: the Rust CEL runtime (`common-expression-language`), installed with
`pip install '.[fast]'` and chosen with `--engine native`.

Values. The runtime converts Python values into its own when a variable is added to a
`cel.Context` (about 60 µs per user record), and rebuilds its whole environment (a copy of every
variable, milliseconds for a department) on the next evaluation after any change. So every value
is added once per snapshot, all at once: the snapshot's sections, and the items of every
collection rules iterate (`bind`: the users' data are the `users` section itself, their facts one
list), so that the environment is rebuilt once per snapshot; the pack's parameters are the same
object from one snapshot to the next and are converted once per process. An entity is never added
on its own: the expression reads item `i` of its collection through a one-item comprehension
(`[items[i]].map(entity, EXPR)[0]`), `i` being handed over per call by the context's resolver,
which does not touch the environment. Log rows, evaluated once per distinct combination, are
handed over per call.

Static checks (unknown names, fields read) are cel-python's (`analysis`), cached on disk with
the pack, so both engines accept exactly the same pack; a run whose pack is cached imports no
cel-python. Custom functions are those of `celfuncs`, called with the runtime's plain values.

The same report, whichever engine. The runtime decides `when`, `check` and evidence. Where its
result could differ from cel-python's, cel-python (imported then, and only then) gives it: an
expression that fails (cel-python's words for the error, and its result where `all`/`exists`
absorb an error it meets later in the list), and evidence that would build a list by iterating
a map or return a map (the runtime holds maps in a hash table, in no fixed order; cel-python in
their keys' order): `analysis.iterated_paths` finds, once per expression, what its `map` and
`filter` iterate, and the values are looked at before evaluating.

Known differences with cel-python, none reached by the shipped pack on the fixtures, the rules'
test cases, generated partners or schema-drawn snapshots (tests/test_engines.py): the runtime
compares int with double where cel-python raises; `in` over a list of mixed types is false where
cel-python raises.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING

from cdap_policy.engines import analysis, celfuncs
from cdap_policy.engines.base import CompileError, EvalError, FieldProgram, field_path

if TYPE_CHECKING:  # imported at run time only when an expression needs cel-python
    from cdap_policy.engines.celpy import CelPyEngine

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
            raise EngineUnavailable(
                f"{DISTRIBUTION} is not installed ({exc}); {INSTALL_HINT}"
            ) from None
        if not (
            hasattr(module, "Context")
            and hasattr(module, "compile")
            and hasattr(module.Context, "set_variable_resolver")
        ):
            raise EngineUnavailable(
                f"the module `cel` found is not {DISTRIBUTION} ≥ 0.10; {INSTALL_HINT}"
            )
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
                    if ext is None or ext.loader is None:
                        return None
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
    """A custom function as the runtime calls it, with plain values; what it raised is kept for
    the error message (the bindings only say that the call failed)."""

    def call(*args):
        try:
            return function(*args)
        except Exception as exc:
            _failure.exc = exc
            raise

    call.__name__ = name
    return call


def _explain(exc: BaseException) -> str:
    """The native runtime's error in the words cel-python would use where they are the same kind."""
    failed = getattr(_failure, "exc", None)
    if failed is not None and type(failed).__name__ in str(exc):
        return (
            f"{type(failed).__name__}: {failed}"
            if not isinstance(failed, (ValueError, TypeError))
            else str(failed)
        )
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


class _Timeout(EvalError):
    """An evaluation that ran over its deadline: not given to cel-python again."""


class NativeProgram:
    __slots__ = (
        "engine",
        "source",
        "runtime_source",
        "reads",
        "names",
        "_slots",
        "_variants",
        "reference",
    )

    def __init__(
        self,
        engine: NativeEngine,
        source: str,
        reads: dict,
        program,
        reference=None,
        runtime_source=None,
    ):
        self.engine, self.source, self.reads = engine, source, reads
        self.runtime_source = (
            runtime_source or source
        )  # as the runtime reads it (analysis.hoisted_source)
        self.names = tuple(reads)
        # per variable: whether it changes per call, and the resolver's name of its index
        self._slots = tuple((name, name in PER_CALL, f"__cdap_index_{name}") for name in self.names)
        # by the batches the per-call variables are items of; the plain form compiled on first use
        # when the pack came from the disk cache (it compiled when the cache was written)
        self._variants = {(): program} if program is not None else {}
        self.reference = reference  # () -> cel-python's program of the same source, for a failure

    def _variant(self, key: tuple):
        if not key:
            try:
                program = self._variants[()] = self.engine._native_compile(self.runtime_source)
            except CompileError as exc:  # pragma: no cover - it compiled when the cache was written
                raise EvalError(str(exc)) from None
            return program
        source = (  # on their own lines: a trailing comment cannot swallow the wrapper
            f"(\n{self.runtime_source}\n)"
        )
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
        try:
            return self.evaluate_natively(activation, timeout)
        except _Timeout:
            raise
        except EvalError:
            if self.reference is None:
                raise
        # cel-python's result and words where the runtime failed (see the module's docstring)
        return self.reference().evaluate(activation, timeout)

    def evaluate_natively(self, activation: dict, timeout: float | None = None):
        state = self.engine.state()
        context, current, calls = state.context, state.current, state.calls
        key: tuple = ()
        for name, per_call, index in self._slots:
            value = activation.get(name, _MISSING)
            if per_call:
                if type(value) is _Item:
                    batch = value.batch
                    if current.get(batch.name) is not batch.items:
                        self.engine.add_all(activation, state)
                    calls[index] = value.index
                    key += ((name, batch.name, index),)
                elif value is _MISSING:
                    return self._alone(activation, timeout)
                else:
                    calls[name] = value
            elif value is _MISSING:
                return self._alone(activation, timeout)
            elif current.get(name) is not value:
                self.engine.add_all(activation, state)
        program = self._variants.get(key) or self._variant(key)
        try:
            return self._run(program, context, timeout)
        finally:
            calls.clear()  # a value handed over for one call must not answer for another

    def _alone(self, activation: dict, timeout):
        """A variable the expression names is absent: evaluate in a context of its own, so that
        the shared context's value of another snapshot cannot stand in for it."""
        values = {name: unwrap(activation[name]) for name in self.names if name in activation}
        if isinstance(values.get("params"), dict):
            values.update(
                {analysis.HOISTED + key: value for key, value in values["params"].items()}
            )
        context = self.engine.cel.Context(values, self.engine.functions)
        return self._run(self._variants.get(()) or self._variant(()), context, timeout)

    @staticmethod
    def _run(program, context, timeout):
        _failure.exc = None
        started = time.perf_counter()
        try:
            value = program.execute(context)
        except (
            Exception
        ) as exc:  # the bindings raise KeyError, TypeError, RuntimeError...: all CEL errors
            raise EvalError(_explain(exc)) from None
        # Native code cannot be interrupted from Python: an evaluation that ran over its deadline
        # is an error once it returns (--timeout still ends a run that never returns).
        if timeout and time.perf_counter() - started > timeout:
            raise _Timeout(f"evaluation took longer than {timeout:g} s")
        return value


class NativeEvidence:
    """An evidence expression: evaluated by the runtime unless its value could differ from
    cel-python's: then cel-python's (see the module's docstring)."""

    __slots__ = ("program", "paths", "maps", "source", "reads", "names")

    def __init__(self, program: NativeProgram, paths, maps):
        # paths: analysis.iterated_paths; maps: analysis.result_maps (None: cel-python decides)
        self.program, self.paths, self.maps = program, paths, maps
        self.source, self.reads, self.names = program.source, program.reads, program.names

    def evaluate(self, activation: dict, timeout: float | None = None):
        if self.paths is not None and not _iterates_a_map(self.paths, activation):
            try:
                value = self.program.evaluate_natively(activation, timeout)
            except _Timeout:
                raise
            except EvalError:
                pass
            else:
                if not _holds_a_map(value):
                    return value
                if self.maps is not None and not _iterates_a_map(self.maps[1], activation):
                    ordered = _in_literal_order(value, self.maps[0])
                    if ordered is not _MISSING:
                        return ordered
        return self.program.reference().evaluate(activation, timeout)


def _in_literal_order(value, orders):
    """`value` with each of its maps in the order of the map literal with the same keys (the only
    maps it can hold: see NativeEvidence), or _MISSING when one has no such literal."""
    if isinstance(value, list):
        out = [_in_literal_order(v, orders) for v in value]
        return _MISSING if any(v is _MISSING for v in out) else out
    if isinstance(value, dict):
        keys = set(value)
        order = next((o for o in orders if len(o) == len(keys) and set(o) == keys), None)
        if order is None:
            return _MISSING if len(keys) > 1 else value
        ordered = {k: _in_literal_order(value[k], orders) for k in order}
        return _MISSING if any(v is _MISSING for v in ordered.values()) else ordered
    return value


def _iterates_a_map(paths, activation: dict) -> bool:
    """Whether one of these paths holds a map of two keys or more (whose order the
    runtime loses).
    """
    for path in paths:
        if path[0] not in activation:
            continue
        values = [unwrap(activation[path[0]])]
        for step in path[1:]:
            if step == "*":
                values = [item for value in values if isinstance(value, list) for item in value]
            elif step == analysis.ANY:  # x[i]: any item of a list or value of a map
                values = [
                    item
                    for value in values
                    for item in (
                        value
                        if isinstance(value, list)
                        else value.values()
                        if isinstance(value, dict)
                        else ()
                    )
                ]
            else:
                values = [
                    value[step] for value in values if isinstance(value, dict) and step in value
                ]
        if any(isinstance(value, dict) and len(value) > 1 for value in values):
            return True
    return False


def _holds_a_map(value) -> bool:
    if isinstance(value, dict):
        return len(value) > 1 or any(_holds_a_map(v) for v in value.values())
    if isinstance(value, list):
        return any(_holds_a_map(v) for v in value)
    return False


class _ReferenceProgram:
    """cel-python's program of an expression, evaluated on this engine's activation: the values
    are converted to cel-python's once per snapshot (entities per call)."""

    __slots__ = ("program", "engine", "source", "reads", "names")

    def __init__(self, program, engine: NativeEngine):
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
        self.cel = load_module()
        self.variables = set(variables)
        self.params = params or {}
        self.cache = cache
        self.functions = {
            name: _wrap(name, function) for name, function in celfuncs.FUNCTIONS.items()
        }
        self._local = threading.local()
        self._reference: CelPyEngine | None = (
            None  # cel-python, built the first time an expression needs it
        )
        self.reference_values: dict = {}  # variable -> (the object, its cel-python value)
        # name -> the items of the collections bound last (names of their own, never a variable's)
        self.batches: dict = {}

    def state(self) -> _State:
        state = getattr(self._local, "state", None)
        if state is None:
            state = self._local.state = _State(self.cel, self.functions)
        return state

    @property
    def reference(self):
        """cel-python's compiled runner, for what the runtime leaves to it."""
        if self._reference is None:
            from cdap_policy.engines.celpy import CelPyEngine

            self._reference = CelPyEngine(self.variables, self.params, "compiled", None)
        return self._reference

    def to_cel(self, value):
        """Plain data stays plain: the runtime converts it when it is first added to a context.
        The engine keeps values by identity, so they must not change once handed over."""
        return value

    def bind(self, entities: list, collection: str = "items", shared: tuple | None = None) -> None:
        """The items of a collection (their data and their facts), added to the context with the
        snapshot's sections, once. `shared`: (name, list) of a variable of the snapshot whose list
        holds the entities' data in the same order (the users section), read there instead of
        being converted a second time."""
        if shared is not None:  # added with the snapshot's variables, under its own name
            data = _Batch(shared[1], shared[0])
        else:
            data = _Batch([e.data for e in entities], f"__cdap_items_{collection}_data")
            self.batches[data.name] = data.items
        facts = _Batch([e.facts for e in entities], f"__cdap_items_{collection}_facts")
        self.batches[facts.name] = facts.items
        for index, entity in enumerate(entities):
            entity._cel, entity._cel_facts = _Item(data, index), _Item(facts, index)

    def add_all(self, activation: dict, state: _State) -> None:
        """Every variable of the activation and every bound collection that the context does not
        hold yet, at once: the runtime then rebuilds its environment once per snapshot instead of
        once per change."""
        context, current = state.context, state.current
        params = activation.get("params")
        if (
            isinstance(params, dict) and current.get("params") is not params
        ):  # once per process, as params
            for key, value in params.items():
                context.add_variable(analysis.HOISTED + key, value)
        for name, value in activation.items():
            if name not in PER_CALL and type(value) is not _Item and current.get(name) is not value:
                context.add_variable(name, value)
                current[name] = value
        for name, items in self.batches.items():
            if current.get(name) is not items:
                context.add_variable(name, items)
                current[name] = items

    unwrap = staticmethod(unwrap)

    def _native_compile(self, source: str):
        try:
            return self.cel.compile(source)
        except Exception as exc:  # cel-python accepted it: a difference between the two grammars
            raise CompileError(f"the native engine does not compile it: {_explain(exc)}") from None

    def syntax(self, source: str):
        return analysis.parse(source)

    def compile(self, source: str, lazy: bool = False):
        """Check, and compile for the runtime; `lazy` marks evidence (see NativeEvidence). What the
        checks found, and cel-python's compiled code for the cases it is needed, are cached."""
        path = field_path(source)
        if path:
            analysis.check_field_path(path, self.variables, self.params)
            return FieldProgram(source, path, unwrap)
        entry = self.cache.get(source) if self.cache is not None else None
        if entry is not None and "code" in entry:
            reads = {name: set(fields) for name, fields in entry["reads"].items()}
            code, paths, maps, runtime_source = (
                entry["code"],
                entry["paths"],
                entry["maps"],
                entry["native"],
            )
        else:
            tree = analysis.parse(source)
            reads = analysis.check(tree, self.variables, self.params, celfuncs.FUNCTIONS)
            paths, maps = (
                analysis.iterated_paths(tree, self.variables),
                analysis.result_maps(tree, self.variables),
            )
            runtime_source = analysis.hoisted_source(tree, source)
            code = self.reference.transpile(tree)
            if self.cache is not None:  # as marshal keeps them: lists, not tuples or sets
                self.cache.put(
                    source,
                    {
                        "reads": {k: sorted(v) for k, v in reads.items()},
                        "code": code,
                        "native": runtime_source,
                        "paths": None if paths is None else [list(p) for p in paths],
                        "maps": None if maps is None else [maps[0], [list(p) for p in maps[1]]],
                    },
                )
        if paths is not None:
            paths = [tuple(p) for p in paths]
        if maps is not None:
            maps = (maps[0], [tuple(p) for p in maps[1]])
        program = None
        if (
            entry is None
        ):  # a new expression: the runtime must take it now, or the pack does not load
            program = self._native_compile(runtime_source or source)
        built: list = []

        def reference():
            if not built:
                built.append(_ReferenceProgram(self.reference.from_code(source, reads, code), self))
            return built[0]

        native = NativeProgram(self, source, reads, program, reference, runtime_source)
        return NativeEvidence(native, paths, maps) if lazy else native
