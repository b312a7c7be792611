"""Write a report where the user asked, without ever destroying anything else.

The text is written to a temporary file in the target's folder and renamed over the target
only once it is complete, so a failed or interrupted run leaves an old report as it was. An
output path that is one of the inputs (the same file by device and inode, whatever its name or
hard link) is refused before anything runs.
"""
from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from cdap_policy.errors import InputError, Problem
from cdap_policy.i18n import tr

STDOUT = "-"


def _identity(path: Path):
    try:
        info = path.stat()
    except OSError:
        return None
    return (info.st_dev, info.st_ino)


def refuse_inputs(output: str | Path | None, inputs) -> None:
    """InputError when `output` is the same file as one of `inputs` (snapshot, log, params, pack file)."""
    if output is None or str(output) == STDOUT:
        return
    target = _identity(Path(output))
    if target is None:
        return
    for candidate in inputs:
        if candidate is not None and _identity(Path(candidate)) == target:
            raise InputError(Problem(str(output), None, "", tr(
                f"--output désigne un fichier d'entrée ({candidate}) ; il serait écrasé",
                f"--output names an input file ({candidate}); it would be overwritten")))


def check_writable(output: str | Path | None) -> None:
    """Fail early, before the run, when the output's folder does not exist or is not a folder."""
    if output is None or str(output) == STDOUT:
        return
    path = Path(output)
    folder = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise InputError(Problem(str(output), None, "", tr("est un dossier, pas un fichier", "is a directory, not a file")))
    if not folder.is_dir():
        raise InputError(Problem(str(output), None, "", tr(f"le dossier {folder} n'existe pas", f"folder {folder} does not exist")))


def write_text(output: str | Path | None, text: str) -> None:
    """Standard output for None or « - »; otherwise an atomic replacement of the file."""
    if output is None or str(output) == STDOUT:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    path = Path(output)
    folder = path.parent if str(path.parent) else Path(".")
    if path.exists() and not path.is_file():
        # /dev/stdout, /dev/null, a FIFO: written in place; renaming over a device node would replace it
        try:
            with open(path, "w", encoding="utf-8", newline="") as handle:
                handle.write(text)
        except OSError as exc:
            raise InputError(Problem(str(output), None, "", tr(f"écriture impossible : {exc.strerror or exc}",
                                                               f"cannot write: {exc.strerror or exc}"))) from None
        return
    fd, tmp = None, None
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            fd = None
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        if path.exists():
            try:  # keep the permissions of the report being replaced
                os.chmod(tmp, path.stat().st_mode & 0o7777)
            except OSError:
                pass
        else:
            os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
        tmp = None
    except OSError as exc:
        raise InputError(Problem(str(output), None, "", tr(f"écriture impossible : {exc.strerror or exc}",
                                                           f"cannot write: {exc.strerror or exc}"))) from None
    finally:
        if fd is not None:
            os.close(fd)
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
