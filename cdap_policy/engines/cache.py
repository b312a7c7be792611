"""The compiled pack, cached on disk between runs.

Parsing and transpiling the pack's ~700 expressions costs most of a cold `check` with
cel-python. What that work produces (the static checks' results and, for cel-python's compiled
runner, each expression's Python code object) is kept in one file per combination of: the
pack's files, the parameters in force, the variables and functions expressions may use, the
engine, the versions of cdap-policy, cel-python, lark and Python, and the source of the modules
that produce it. Any change gives another file: a cache is never trusted across versions.

Where and how the file is kept (private folder, atomic writes, damaged files rebuilt) is
`diskcache`'s business.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import sys
from pathlib import Path

from cdap_policy.support import diskcache

FORMAT = 3
SUFFIX = ".pack"
KEEP = 16  # cache files kept; older ones (other packs, parameters, versions) are removed


def _versions() -> dict:
    import cdap_policy

    out: dict[str, str | None] = {
        "cdap-policy": cdap_policy.__version__,
        "python": sys.version,
        "magic": importlib.util.MAGIC_NUMBER.hex(),
    }
    for module, dist in (
        ("celpy", "cel-python"),
        ("lark", "lark"),
        ("cel", "common-expression-language"),
    ):
        out[dist] = diskcache.dist_version(module, dist)
    return out


def _own_source() -> str:
    # a changed engine module in a working copy changes what is cached, whatever the version says
    digest = hashlib.sha256()
    for path in sorted(Path(__file__).resolve().parent.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def key(engine: str, pack_files: list, params: dict, variables, functions: dict) -> str:
    """The text identifying what the cached work depends on; its hash names the file."""
    files = []
    for path in pack_files:
        path = Path(path)
        files.append(
            [
                path.name if path.parent.name != "params" else "params/" + path.name,
                hashlib.sha256(path.read_bytes()).hexdigest(),
            ]
        )
    return json.dumps(
        {
            "format": FORMAT,
            "engine": engine,
            "versions": _versions(),
            "engines_source": _own_source(),
            "pack": files,
            "params": params,
            "variables": sorted(variables),
            # compiled code calls custom functions by module path
            "functions": sorted(
                f"{getattr(f, '__module__', '')}.{name}" for name, f in functions.items()
            ),
        },
        sort_keys=True,
        default=str,
    )


class PackCache:
    """Entries by expression source. `hit` when every entry was read from disk; otherwise the
    loader fills it and `save` writes it once the whole pack compiled."""

    def __init__(self, path: Path | None, key_text: str, entries: dict | None):
        self.path, self.key_text = path, key_text
        self.hit = entries is not None
        self.entries: dict = entries or {}
        self.status = "hit" if self.hit else ("off" if path is None else "miss")

    @classmethod
    def open(
        cls, engine: str, pack_files: list, params: dict, variables, functions: dict
    ) -> PackCache:
        try:
            text = key(engine, pack_files, params, variables, functions)
        except OSError:  # a pack file vanished: the loader will say so, uncached
            return cls(None, "", None)
        path = diskcache.path_for(text, SUFFIX)
        if path is None:
            return cls(None, text, None)
        entries = diskcache.read(path, text)
        if not (
            isinstance(entries, dict)
            and all(
                isinstance(source, str) and _entry_ok(entry) for source, entry in entries.items()
            )
        ):
            # written by hand or by another format: every entry is checked before it
            # is used
            entries = None
        return cls(path, text, entries)

    def get(self, source: str) -> dict | None:
        return self.entries.get(source)

    def put(self, source: str, entry: dict):
        if not self.hit:
            self.entries[source] = entry

    def save(self) -> bool:
        """Write the entries built this run (atomically); False when nothing was written. An
        unwritable or full cache folder only costs the next run its speed."""
        if self.hit or self.path is None:
            return False
        try:
            diskcache.write(self.path, self.key_text, self.entries)
        except (OSError, ValueError):
            self.status = "unwritable"
            return False
        self.status = "written"
        diskcache.prune(self.path.parent, self.path, SUFFIX, KEEP)
        return True


def _is_paths(value) -> bool:
    return isinstance(value, list) and all(
        isinstance(p, list) and all(isinstance(f, str) for f in p) for p in value
    )


def _entry_ok(entry) -> bool:
    """An entry as the engines write it: {"reads": {variable: [field, ...]}, "code": marshalled
    code or None} for cel-python, with "native" (the runtime's source), "paths" and "maps" (the
    evidence analysis) for the native engine."""
    if not isinstance(entry, dict) or not set(entry) <= {
        "reads",
        "code",
        "native",
        "paths",
        "maps",
    }:
        return False
    reads = entry.get("reads")
    if not isinstance(reads, dict) or not all(
        isinstance(k, str) and isinstance(v, list) and all(isinstance(f, str) for f in v)
        for k, v in reads.items()
    ):
        return False
    if entry.get("code") is not None and not isinstance(entry["code"], (bytes, str)):
        return False
    if "native" in entry and not (
        (entry["native"] is None or isinstance(entry["native"], str))
        and {"code", "paths", "maps"} <= set(entry)
    ):
        return False
    if entry.get("paths") is not None and not _is_paths(entry["paths"]):
        return False
    maps = entry.get("maps")
    return maps is None or (isinstance(maps, list) and len(maps) == 2 and _is_paths(maps[1]))
