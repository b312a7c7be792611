"""Files kept between runs in the user's cache folder: what is expensive to build and depends only
on files and versions we can name (the compiled pack, the loaded pack, compiled schema validators).

The folder is `$XDG_CACHE_HOME/cdap-policy` (default `~/.cache/cdap-policy`); deleting it is
always safe, and `CDAP_POLICY_CACHE=off` disables every cache. A file holds one marshalled value
and the text of its key (what it was built from); it is read only when that text matches, so a
cache is never trusted across versions. A file is written to a temporary name and renamed, so a
reader sees a whole file or none; a file that is truncated, corrupt, from another format or not
ours is ignored and rebuilt, never fatal. The files hold code the checker runs, so the folder is
made private to the user, and a file or folder that someone else owns or may write is not read.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import tempfile
from pathlib import Path

MAGIC = b"cdap-policy pack cache\n"
DISABLE = "CDAP_POLICY_CACHE"
MAX_BYTES = (
    64 * 1024 * 1024
)  # the shipped pack's caches are about 1 MB; a larger file is not read, it is rebuilt
STALE_TMP_S = 3600  # a temporary file this old was left by a run that was killed while writing


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


def dist_version(module: str, distribution: str) -> str | None:
    """The installed version of `distribution` (which provides `module`), for cache keys, read
    from its metadata folder's name: importlib.metadata costs 60 ms to import, more than what
    most caches save. None when the module is not installed; the module's file size and time
    when no metadata folder is found."""
    import importlib.util

    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.origin:
        return None
    origin = Path(spec.origin)
    site = origin.parent.parent if origin.name == "__init__.py" else origin.parent
    prefix = distribution.replace("-", "_").lower() + "-"
    try:
        for entry in os.listdir(site):
            lowered = entry.lower()
            if lowered.startswith(prefix) and lowered.endswith((".dist-info", ".egg-info")):
                return entry[len(prefix) :].rsplit(".", 1)[0]
        info = origin.stat()
    except OSError:
        return "unknown"
    return f"unknown-{info.st_size}-{info.st_mtime_ns}"


def path_for(key_text: str, suffix: str) -> Path | None:
    """The file of this key (named by its hash), or None when the cache is off."""
    where = folder()
    if where is None:
        return None
    return where / (hashlib.sha256(key_text.encode()).hexdigest()[:32] + suffix)


def private(path: Path, is_dir: bool) -> bool:
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


def read(path: Path, key_text: str, field: str = "entries"):
    """The value kept under `field` in the file, or None (absent, damaged, not
    ours, another key).
    """
    try:
        if not (private(path.parent, True) and private(path, False)):
            return None
        if (
            path.stat().st_size > MAX_BYTES
        ):  # checked before reading: a 4 GiB file must cost nothing
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
    digest, payload = blob[len(MAGIC) : head], blob[head:]
    if hashlib.sha256(payload).digest() != digest:  # truncated or damaged
        return None
    try:
        data = marshal.loads(payload)
    except (EOFError, ValueError, TypeError):
        return None
    if not isinstance(data, dict) or data.get("key") != key_text or field not in data:
        return None
    return data[field]


def write(path: Path, key_text: str, value, field: str = "entries"):
    """Write atomically (OSError or ValueError when it cannot be: the caller only loses speed)."""
    directory = path.parent
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    if not private(directory, True):
        raise OSError(f"{directory} is not private to this user")
    payload = marshal.dumps({"key": key_text, field: value})
    tmp: str | None  # None once renamed into place
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=path.suffix, dir=directory)
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


def prune(directory: Path, keep: Path, suffix: str, count: int):
    """Keep the `count` newest files of this kind (`keep` among them), and no stale
    temporary file.
    """
    import time

    try:
        files = sorted(
            (p for p in directory.glob("*" + suffix) if p != keep and not p.name.startswith(".")),
            key=lambda p: p.stat().st_mtime,
            reverse=True,
        )
        for old in files[count - 1 :]:
            old.unlink()
        for tmp in directory.glob(".tmp-*" + suffix):
            if time.time() - tmp.stat().st_mtime > STALE_TMP_S:
                tmp.unlink()
    except OSError:
        pass
