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


def outcome(run) -> str:
    lines = [line.strip() for line in run.stderr.splitlines() if line.startswith("  ")]
    if run.code == 2 and lines:
        return lines[0][:160]
    try:
        report = json.loads(run.stdout)
    except ValueError:
        return "table printed" if run.stdout else "—"
    found = sorted({f"{f['rule_id']} on {f['entity']['key']}" for f in report.get("findings", []) if f["status"] == "fail"})
    return "; ".join(found[:3]) + (f"; … (+{len(found) - 3})" if len(found) > 3 else "") if found else "no failing finding"


def main(argv: list[str]) -> None:
    large = "--large" in argv
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp) / "inputs"
        shutil.copytree(t.HOSTILE / "inputs", workdir)
        print("| # | input | what | exit | message / findings | s | MB |")
        print("|---|---|---|---|---|---|---|")
        for number, case in enumerate(t.CASES, 1):
            if case.get("large") and not large:
                continue
            _, run = t.execute(case, workdir)
            text = outcome(run).replace("|", "\\|")
            print(f"| {number} | `{t.case_id(case)}` | {case.get('about', '')} | {run.code} | `{text}` | "
                  f"{run.seconds:.1f} | {run.max_rss_mb:.0f} |", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
