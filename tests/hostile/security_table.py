"""Print the table of SECURITY.md: every case of the hostile corpus run through the real command
line, with its exit code, first problem line (or findings), wall time and peak memory.

    python tests/hostile/security_table.py [--large]    # from the repository root
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import test_hostile as t  # noqa: E402


def failing(run) -> set:
    data = json.loads(run.stdout)
    reports = data if isinstance(data, list) else [data]
    return {
        f"{f['rule_id']} on {f['entity']['key']}"
        for r in reports
        for f in r.get("findings", [])
        if f["status"] == "fail"
    }


def outcome(run, base: set, name: str = "") -> str:
    """The first problem line, or the failing findings the valid base does not have, or (another
    command, a signal, bad usage) the first line it wrote."""
    if run.skipped:
        return f"not run here: {run.skipped}"
    lines = [line.strip() for line in run.stderr.splitlines() if line.startswith("  ")]
    if run.code == 2 and lines:
        return lines[0][:160]
    said = [line.strip() for line in run.stderr.splitlines() if line.strip()]
    if run.code not in (0, 1) and said:
        return said[0][:160]
    try:
        found = failing(run)
    except ValueError:  # another command or format: the line that names the input, else the first
        lines = [line.strip() for line in run.stdout.splitlines() if line.strip()]
        first = next(
            (line for line in lines if name and line.startswith(name)), lines[0] if lines else ""
        )
        return (
            (first[:120] + ("…" if len(first) > 120 else ""))
            if first
            else "(nothing on standard output)"
        )
    extra = sorted(found - base)
    if not extra:
        return "same findings as base.yaml"
    return "; ".join(extra[:3]) + (f"; … (+{len(extra) - 3})" if len(extra) > 3 else "")


def main(argv: list[str]) -> None:
    large = "--large" in argv
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp) / "inputs"
        shutil.copytree(t.HOSTILE / "inputs", workdir)
        _, reference = t.execute({"file": "base.yaml"}, workdir)
        base = failing(reference)
        print("| # | input | what | exit | message / findings beyond base.yaml's | s | MB |")
        print("|---|---|---|---|---|---|---|")
        for number, case in enumerate(t.CASES, 1):
            if case.get("large") and not large:
                continue
            snapshot, run = t.execute(case, workdir)
            text = outcome(run, base, snapshot).replace("|", "\\|")
            print(
                f"| {number} | `{t.case_id(case)}` | {case.get('about', '')} | {run.code} |"
                f" `{text}` | {run.seconds:.1f} | {run.max_rss_mb:.0f} |",
                flush=True,
            )


if __name__ == "__main__":
    main(sys.argv[1:])
