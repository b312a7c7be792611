"""Shared test helpers: the shipped pack loaded once, and a snapshot writer."""

from __future__ import annotations

import functools
import os
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
POLICIES = ROOT / "policies"


@functools.cache
def pack():
    from cdap_policy.load.pack import load_pack

    return load_pack(POLICIES)


def base(edition: int = 2025) -> dict:
    return yaml.safe_load((POLICIES / "tests" / f"base-{edition}.yaml").read_text(encoding="utf-8"))


def write(tmp_path: Path, data, name: str = "snapshot.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def through_a_terminal(args, env: dict) -> tuple[int, bytes]:
    """`python -m cdap_policy ARGS` with a pseudo-terminal as its output (POSIX), in the
    environment `env`: its exit code and everything it wrote."""
    import pty

    pid, fd = pty.fork()
    if pid == 0:
        os.chdir(ROOT)
        os.execvpe(sys.executable, [sys.executable, "-m", "cdap_policy", *map(str, args)], env)
    chunks = []
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # the terminal closes when the child exits
            break
        if not chunk:
            break
        chunks.append(chunk)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), b"".join(chunks)
