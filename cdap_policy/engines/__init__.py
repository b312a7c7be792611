"""CEL engines behind one small interface (`base.Engine`, `base.Program`); the choice is made here.

| name | what | module |
|---|---|---|
| `compiled` (default) | cel-python's compiled runner: the reference semantics, fast | `celpy` |
| `interpreted` | cel-python's interpreter: the reference, slow | `celpy` |
| `native` | the Rust runtime `common-expression-language` (`pip install '.[fast]'`) | `native` |

Only the chosen engine's module is imported. `make_engine` opens the pack's disk cache (`cache`)
when given the pack's files. Beside the adapters: our CEL functions (`celfuncs`, one
implementation on plain values) and the deadline of an evaluation (`deadline`).

The engines sit below `load` in the layers, not in `evaluate`: the pack loader compiles every
expression with them once, and the runner evaluates what was compiled. They import only `support`.
"""

from __future__ import annotations

from cdap_policy.engines.base import CompileError, Engine, EvalError, Program, to_python

ENGINES = ("compiled", "interpreted", "native")
DEFAULT = "compiled"  # one snapshot: the reference engine


def batch_default() -> str:
    """The engine of a batch when none is named: the fastest one installed. The native runtime
    gives the same reports byte for byte (tests/test_engines.py), about twice as fast."""
    return "native" if available("native") is None else DEFAULT


def available(name: str) -> str | None:
    """None when engine `name` can run here, else why not (in English: library callers only)."""
    if name not in ENGINES:
        return f"unknown engine {name!r}; known: {', '.join(ENGINES)}"
    if name == "native":
        from cdap_policy.engines.native import EngineUnavailable, load_module

        try:
            load_module()
        except EngineUnavailable as exc:
            return str(exc)
    return None


def make_engine(name: str, variables: set, params: dict, pack_files: list | None = None) -> Engine:
    """The engine `name` for these variables and parameters. With `pack_files`, compiled work is
    read from and written to the disk cache keyed by them (call `finish(engine)` once the whole
    pack compiled)."""
    if name not in ENGINES:
        raise ValueError(available(name))
    if name == "native":
        from cdap_policy.engines import celfuncs  # called with plain values by the runtime

        functions = celfuncs.FUNCTIONS
    else:
        from cdap_policy.engines import celpy

        functions = celpy.FUNCTIONS
    cache = None
    if pack_files is not None:
        from cdap_policy.engines.cache import PackCache

        cache = PackCache.open(name, pack_files, params, variables, functions)
    if name == "native":
        from cdap_policy.engines.native import NativeEngine

        return NativeEngine(variables, params, cache)
    from cdap_policy.engines.celpy import CelPyEngine

    return CelPyEngine(variables, params, name, cache)


def finish(engine) -> None:
    """The pack compiled whole: keep what was built for the next run."""
    if getattr(engine, "cache", None) is not None:
        engine.cache.save()


def cache_status(engine) -> str:
    """`hit`, `written`, `miss`, `unwritable` or `off`: what the disk cache did for this pack."""
    cache = getattr(engine, "cache", None)
    return cache.status if cache is not None else "off"


__all__ = [
    "CompileError",
    "ENGINES",
    "DEFAULT",
    "batch_default",
    "Engine",
    "EvalError",
    "Program",
    "available",
    "cache_status",
    "finish",
    "make_engine",
    "to_python",
]
