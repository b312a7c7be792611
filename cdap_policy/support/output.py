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
from typing import TextIO

from cdap_policy.support.errors import InputError, Problem
from cdap_policy.support.i18n import tr

STDOUT = "-"


def _identity(path: Path):
    try:
        info = path.stat()
    except OSError:
        return None
    return (info.st_dev, info.st_ino)


def refuse_inputs(output: str | Path | None, inputs) -> None:
    """InputError when `output` is the same file as one of `inputs` (snapshot, log, params, pack
    file).
    """
    if output is None or str(output) == STDOUT:
        return
    target = _identity(Path(output))
    if target is None:
        return
    for candidate in inputs:
        if candidate is not None and _identity(Path(candidate)) == target:
            raise InputError(
                Problem(
                    str(output),
                    None,
                    "",
                    tr(
                        f"--output désigne un fichier d'entrée ({candidate}) ; il serait écrasé",
                        f"--output names an input file ({candidate}); it would be overwritten",
                    ),
                )
            )


def check_writable(output: str | Path | None) -> None:
    """Fail early, before the run, when the output's folder does not exist or is not a folder."""
    if output is None or str(output) == STDOUT:
        return
    path = Path(output)
    folder = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise InputError(
            Problem(
                str(output),
                None,
                "",
                tr("est un dossier, pas un fichier", "is a directory, not a file"),
            )
        )
    if not folder.is_dir():
        raise InputError(
            Problem(
                str(output),
                None,
                "",
                tr(f"le dossier {folder} n'existe pas", f"folder {folder} does not exist"),
            )
        )


def write_text(output: str | Path | None, text: str) -> None:
    """Standard output for None or « - »; otherwise an atomic replacement of the file."""
    with Destination(output) as destination:
        destination.write(text)


def _cannot_write(output, exc) -> InputError:
    return InputError(
        Problem(
            str(output),
            None,
            "",
            tr(
                f"écriture impossible : {exc.strerror or exc}",
                f"cannot write: {exc.strerror or exc}",
            ),
        )
    )


class Destination:
    """Where a report goes, written in one piece or in several (a batch writes each report as
    it is checked). Standard output as it comes; a device node (/dev/stdout, /dev/null, a FIFO)
    in place, since renaming over it would replace it; a file through a temporary file in its
    folder, renamed over it by `commit` only: `abort`, an exception or an interruption leave the
    old report as it was and no temporary file behind. Use it as a context manager."""

    def __init__(self, output: str | Path | None):
        self.output = output
        self._stdout = output is None or str(output) == STDOUT
        self._handle: TextIO | None = None
        self._tmp: str | None = None  # the temporary file, renamed over the report by commit()
        self._path: Path | None = None  # the report, None for a device node written in place
        if self._stdout or output is None:
            return
        path = Path(output)
        folder = path.parent if str(path.parent) else Path(".")
        fd = None
        try:
            if path.exists() and not path.is_file():
                self._handle = open(path, "w", encoding="utf-8", newline="")
                return
            fd, self._tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
            self._handle = os.fdopen(fd, "w", encoding="utf-8", newline="")
            fd, self._path = None, path
        except OSError as exc:
            if fd is not None:
                os.close(fd)
            self.abort()
            raise _cannot_write(output, exc) from None

    def write(self, text: str) -> None:
        if self._stdout:
            sys.stdout.write(text)
            sys.stdout.flush()
            return
        if self._handle is None:
            raise ValueError("the report was already committed or aborted")
        try:
            self._handle.write(text)
        except OSError as exc:
            self.abort()
            raise _cannot_write(self.output, exc) from None

    def commit(self) -> None:
        if self._stdout or self._handle is None:
            return
        handle, self._handle = self._handle, None
        try:
            path, tmp = self._path, self._tmp
            if path is None or tmp is None:  # a device node, written in place
                handle.close()
                return
            handle.flush()
            os.fsync(handle.fileno())
            handle.close()
            if path.exists():
                try:  # keep the permissions of the report being replaced
                    os.chmod(tmp, path.stat().st_mode & 0o7777)
                except OSError:
                    pass
            else:
                os.chmod(tmp, 0o666 & ~_umask())
            os.replace(tmp, path)
            self._tmp = None
        except OSError as exc:
            self.abort()
            raise _cannot_write(self.output, exc) from None
        finally:
            if not handle.closed:
                # closing flushes again: on a full disk it fails again, the error
                # is said above
                try:
                    handle.close()
                except OSError:
                    pass

    def abort(self) -> None:
        """Drop what was written to a file; standard output cannot be taken back."""
        handle, self._handle = self._handle, None
        if handle is not None:
            try:
                handle.close()
            except OSError:
                pass
        if self._tmp is not None:
            try:
                os.unlink(self._tmp)
            except OSError:
                pass
            self._tmp = None

    def __enter__(self):
        return self

    def __exit__(self, kind, exc, tb):
        if kind is None:
            self.commit()
        else:
            self.abort()
        return False


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
