"""The package keeps the shape the README's Design section describes: no module imports another's
`_private` name, and no import cycle, imports inside functions included. (The layers themselves,
load → logs → evaluate → report → formatters → cli, are kept one-way by the import-linter
contracts of pyproject.toml, which `.ci/run` runs with `lint-imports`.)"""

from __future__ import annotations

import ast
import functools
from pathlib import Path

from helpers import ROOT

PACKAGE = "cdap_policy"


def modules() -> dict[str, Path]:
    """Every module of the package by its dotted name (a package by its own name)."""
    out = {}
    for path in sorted((ROOT / PACKAGE).rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


MODULES = modules()


def _owner(dotted: str) -> str | None:
    """The module `dotted` names, or the module that defines it (`a.b.name` → `a.b`)."""
    while dotted and dotted not in MODULES:
        dotted = dotted.rpartition(".")[0]
    return dotted or None


def _absolute(module: str, path: Path, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    parts = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    parts = parts[: len(parts) - node.level + 1]
    return ".".join(parts + ([node.module] if node.module else []))


@functools.cache  # both tests read every module: parsed once
def imports(module: str) -> tuple:
    """(line, imported module, name imported from it or None) for every import of the package's
    own modules, wherever it stands (top of the file, a function, a branch); `m._name` on an
    imported module counts as importing `_name`."""
    return tuple(_imports(module))


def _imports(module: str):
    path = MODULES[module]
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    aliases: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == PACKAGE:
                    target = _owner(alias.name)
                    aliases[alias.asname or alias.name] = target if alias.asname else PACKAGE
                    yield node.lineno, target, None
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(module, path, node)
            if base.split(".")[0] != PACKAGE:
                continue
            for alias in node.names:
                full = f"{base}.{alias.name}"
                if full in MODULES:  # a module imported from its package
                    aliases[alias.asname or alias.name] = full
                    yield node.lineno, full, None
                else:
                    yield node.lineno, _owner(base), alias.name
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            chain, value = [node.attr], node.value
            while isinstance(value, ast.Attribute):
                chain.append(value.attr)
                value = value.value
            if isinstance(value, ast.Name) and value.id in aliases:
                names = [aliases[value.id], *reversed(chain)]
                for end in range(len(names) - 1, 0, -1):  # the longest prefix that is a module
                    owner = ".".join(names[:end])
                    if owner in MODULES:
                        yield node.lineno, owner, names[end]
                        break


def _private(name: str | None) -> bool:
    return bool(name) and name.startswith("_") and not name.startswith("__")


def test_no_module_imports_a_private_name_of_another():
    found = [
        f"{MODULES[m].relative_to(ROOT)}:{line}: {target}.{name}"
        for m in MODULES
        for line, target, name in imports(m)
        if target != m and _private(name)
    ]
    assert not found, (
        "a `_private` name used outside its module (make it public, or move the code):\n"
        + "\n".join(found)
    )


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {m: set() for m in MODULES}
    for module in MODULES:
        for _, target, _ in imports(module):
            if (
                target and target != module and target != PACKAGE
            ):  # the root package holds the version only
                graph[module].add(target)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan's algorithm, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    out.append(sorted(group))
    return out


def test_no_import_cycle_even_inside_functions():
    found = cycles(_graph())
    assert not found, (
        "modules that import each other (an import inside a function too):\n"
        + "\n".join(" ↔ ".join(c) for c in found)
    )


def test_the_checks_see_a_cycle_and_a_private_import():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []
    assert _private("_fail") and not _private("__version__") and not _private("fail")
