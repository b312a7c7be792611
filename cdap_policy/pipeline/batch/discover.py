"""The snapshots a batch checks: files, folders (recursively) and globs, in an order that is the
same on every machine, so that `--shard K/N` gives every CI job its own, stable share.

Order: the arguments as given; inside a folder or a glob, paths sorted by their text (code
points, not the locale). A file reached twice (two globs, a folder and a file in it) is checked
once, where it first appears.

Every YAML and JSON file found is handed on: what is not a snapshot (waivers, reports, parameter
overrides…) is recognised by its content when it is read (filekinds), skipped with one notice.
A waiver file `x.waivers.yaml` next to its snapshot `x.yaml` — found in a folder, matched by a
glob, or named alone by a pre-commit hook when only the waivers changed — stands for that
snapshot, which is checked with it (once).
"""

from __future__ import annotations

import glob
import os
from pathlib import Path

from cdap_policy.support.errors import Problem
from cdap_policy.support.i18n import tr

SNAPSHOT_SUFFIXES = (".yaml", ".yml", ".json")
# next to a snapshot: its waivers (report.waivers.discover)
WAIVER_SUFFIXES = (".waivers.yaml", ".waivers.yml", ".waivers.json")
_GLOB_CHARS = frozenset("*?[")


def is_glob(text: str) -> bool:
    return any(ch in _GLOB_CHARS for ch in text)


def _is_snapshot_name(name: str) -> bool:
    return name.lower().endswith(SNAPSHOT_SUFFIXES) and not name.startswith(".")


def snapshot_of_waivers(path: Path) -> Path | None:
    """`dir/x.waivers.yaml` → `dir/x.yaml` (or .yml, .json) when that snapshot exists."""
    lowered = path.name.lower()
    suffix = next((s for s in WAIVER_SUFFIXES if lowered.endswith(s)), None)
    if suffix is None:
        return None
    stem = path.name[: -len(suffix)]
    return next(
        (path.with_name(stem + s) for s in SNAPSHOT_SUFFIXES if path.with_name(stem + s).is_file()),
        None,
    )


def _walk(folder: Path) -> list[Path]:
    """Snapshot files under `folder`; hidden folders (.git, .venv) skipped, symbolic links to
    folders not followed (no loop, no escape from the tree)."""
    found = []
    for root, dirs, files in os.walk(folder, followlinks=False):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        found += [Path(root) / name for name in files if _is_snapshot_name(name)]
    return sorted(found, key=lambda p: p.as_posix())


def _identity(path: Path):
    try:
        info = path.stat()
    except OSError:
        return ("missing", str(path))
    return (info.st_dev, info.st_ino)


def discover(arguments) -> tuple[list[Path], list[Problem]]:
    """(snapshot paths in a deterministic order, problems). A named file is kept even when it
    cannot be read (checking it reports why); a folder without snapshot or a glob matching
    nothing is a problem."""
    paths, problems, seen = [], [], set()

    def keep(path: Path):
        key = _identity(path)
        if key not in seen:
            seen.add(key)
            paths.append(path)

    for argument in arguments:
        argument = Path(argument)
        text = str(argument)
        if argument.is_dir():
            found = _walk(argument)
            if not found:
                problems.append(
                    Problem(
                        text,
                        None,
                        "",
                        tr(
                            "aucun instantané dans ce dossier"
                            f" ({', '.join('*' + s for s in SNAPSHOT_SUFFIXES)})",
                            "no snapshot in this folder"
                            f" ({', '.join('*' + s for s in SNAPSHOT_SUFFIXES)})",
                        ),
                    )
                )
        elif not argument.exists() and is_glob(text):
            # quoted globs are expanded here: no shell limit on the number of files,
            # same on every OS
            found = sorted(
                (
                    Path(p)
                    for p in glob.glob(text, recursive=True)
                    if os.path.isfile(p) and _is_snapshot_name(os.path.basename(p))
                ),
                key=lambda p: p.as_posix(),
            )
            if not found:
                problems.append(
                    Problem(
                        text,
                        None,
                        "",
                        tr(
                            "aucun instantané ne correspond à ce motif",
                            "no snapshot matches this pattern",
                        ),
                    )
                )
        else:
            found = [argument]
        for path in found:
            keep(snapshot_of_waivers(path) or path)
    return paths, problems
