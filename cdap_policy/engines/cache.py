"""The compiled pack, cached on disk between runs.

Parsing and transpiling the pack's ~700 expressions costs most of a cold `check` with
cel-python. What that work produces (the static checks' results and, for cel-python's compiled
runner, each expression's Python code object) is kept in one file per combination of: the
pack's files, the parameters in force, the variables and functions expressions may use, the
engine, the versions of cdap-policy, cel-python, lark and Python, and the source of the modules
that produce it. Any change gives another file: a cache is never trusted across versions.

The folder is `$XDG_CACHE_HOME/cdap-policy` (default `~/.cache/cdap-policy`); deleting it is
always safe. `CDAP_POLICY_CACHE=off` disables the cache. A file is written to a temporary name
and renamed, so a reader sees a whole file or none; a file that is truncated, corrupt, from
another format or not ours is ignored and rebuilt, never fatal. The files hold code that the
checker runs, so the folder is made private to the user, and a file or folder that someone else
owns or may write is not read.
"""
from __future__ import annotations

import hashlib
import importlib.util
import json
import marshal
import os
import sys
import tempfile
import types
from pathlib import Path

FORMAT = 1
MAGIC = b"cdap-policy pack cache\n"
MAX_BYTES = 64 * 1024 * 1024  # the shipped pack's cache is about 1 MB; a larger file is not read, it is rebuilt
SUFFIX = ".pack"
KEEP = 16  # cache files kept; older ones (other packs, parameters, versions) are removed
DISABLE = "CDAP_POLICY_CACHE"


def folder() -> Path | None:
    """Where cache files go, or None when the cache is disabled or no folder can be named."""
    if os.environ.get(DISABLE, "").strip().lower() in ("0", "off", "no", "false"):
        return None
    base = os.environ.get("XDG_CACHE_HOME", "")
    if not base or not os.path.isabs(base):  # the XDG specification ignores a relative path
        try:
            base = os.path.join(os.path.expanduser("~"), ".cache")
        except (KeyError, RuntimeError):  # no home directory
            return None
        if not os.path.isabs(base):
            return None
    return Path(base) / "cdap-policy"


def _versions() -> dict:
    from importlib import metadata

    import cdap_policy

    out = {"cdap-policy": cdap_policy.__version__, "python": sys.version, "magic": importlib.util.MAGIC_NUMBER.hex()}
    for dist in ("cel-python", "lark"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = None
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
        files.append([path.name if path.parent.name != "params" else "params/" + path.name,
                      hashlib.sha256(path.read_bytes()).hexdigest()])
    return json.dumps({
        "format": FORMAT, "engine": engine, "versions": _versions(), "engines_source": _own_source(),
        "pack": files, "params": params, "variables": sorted(variables),
        # compiled code calls custom functions by module path
        "functions": sorted(f"{getattr(f, '__module__', '')}.{name}" for name, f in functions.items()),
    }, sort_keys=True, default=str)


class PackCache:
    """Entries by expression source. `hit` when every entry was read from disk; otherwise the
    loader fills it and `save` writes it once the whole pack compiled."""

    def __init__(self, path: Path | None, key_text: str, entries: dict | None):
        self.path, self.key_text = path, key_text
        self.hit = entries is not None
        self.entries: dict = entries or {}
        self.status = "hit" if self.hit else ("off" if path is None else "miss")

    @classmethod
    def open(cls, engine: str, pack_files: list, params: dict, variables, functions: dict) -> "PackCache":
        try:
            text = key(engine, pack_files, params, variables, functions)
        except OSError:  # a pack file vanished: the loader will say so, uncached
            return cls(None, "", None)
        where = folder()
        if where is None:
            return cls(None, text, None)
        path = where / (hashlib.sha256(text.encode()).hexdigest()[:32] + SUFFIX)
        return cls(path, text, _read(path, text))

    def get(self, source: str):
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
            _write(self.path, self.key_text, self.entries)
        except (OSError, ValueError):
            self.status = "unwritable"
            return False
        self.status = "written"
        _prune(self.path.parent, keep=self.path)
        return True


def _private(path: Path, is_dir: bool) -> bool:
    """Ours and writable by us only (POSIX); elsewhere the platform's defaults are trusted."""
    if os.name != "posix":
        return True
    try:
        info = os.lstat(path)
    except OSError:
        return False
    import stat

    kind_ok = stat.S_ISDIR(info.st_mode) if is_dir else stat.S_ISREG(info.st_mode)
    return kind_ok and info.st_uid == os.geteuid() and not info.st_mode & 0o022


def _read(path: Path, key_text: str) -> dict | None:
    try:
        if not (_private(path.parent, True) and _private(path, False)):
            return None
        if path.stat().st_size > MAX_BYTES:  # checked before reading: a 4 GiB file must cost nothing
            return None
        with path.open("rb") as handle:
            blob = handle.read(MAX_BYTES + 1)
    except (OSError, MemoryError):
        return None
    if len(blob) > MAX_BYTES:  # it grew since
        return None
    head = len(MAGIC) + 32
    if len(blob) < head or not blob.startswith(MAGIC):
        return None
    digest, payload = blob[len(MAGIC):head], blob[head:]
    if hashlib.sha256(payload).digest() != digest:  # truncated or damaged
        return None
    try:
        data = marshal.loads(payload)
    except (EOFError, ValueError, TypeError):
        return None
    if not isinstance(data, dict) or data.get("key") != key_text or not isinstance(data.get("entries"), dict):
        return None
    if not all(isinstance(source, str) and _entry_ok(entry) for source, entry in data["entries"].items()):
        return None  # written by hand or by another format: every entry is checked before it is used
    return data["entries"]


def _entry_ok(entry) -> bool:
    """{"reads": {variable: [field, ...]}, "code": a code object or None} (no "code": native engine)."""
    if not isinstance(entry, dict) or set(entry) - {"reads", "code"}:
        return False
    reads = entry.get("reads")
    if not isinstance(reads, dict) or not all(
            isinstance(k, str) and isinstance(v, list) and all(isinstance(f, str) for f in v) for k, v in reads.items()):
        return False
    return entry.get("code") is None or isinstance(entry["code"], types.CodeType)


def _write(path: Path, key_text: str, entries: dict):
    directory = path.parent
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    if not _private(directory, True):
        raise OSError(f"{directory} is not private to this user")
    payload = marshal.dumps({"key": key_text, "entries": entries})
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=SUFFIX, dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(MAGIC + hashlib.sha256(payload).digest() + payload)
        os.replace(tmp, path)
        tmp = None
    finally:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass


STALE_TMP_S = 3600  # a temporary file this old was left by a run that was killed while writing


def _prune(directory: Path, keep: Path):
    import time

    try:
        files = sorted((p for p in directory.glob("*" + SUFFIX) if p != keep and not p.name.startswith(".")),
                       key=lambda p: p.stat().st_mtime, reverse=True)
        for old in files[KEEP - 1:]:
            old.unlink()
        for tmp in directory.glob(".tmp-*" + SUFFIX):
            if time.time() - tmp.stat().st_mtime > STALE_TMP_S:
                tmp.unlink()
    except OSError:
        pass
