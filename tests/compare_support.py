"""Shared by the diff, baseline and waiver tests: reports of the annual-review pair as the JSON
`check --format json` writes, and the command line run as a user runs it."""

from __future__ import annotations

import copy
import functools
import json
import os
import subprocess
import sys

import yaml
from helpers import ROOT, pack

EXPECTED = yaml.safe_load(
    (ROOT / "tests" / "annual_review.expected.yaml").read_text(encoding="utf-8")
)
YEAR1, YEAR2 = EXPECTED["old"], EXPECTED["new"]


def check_report(path, as_of: str, **options):
    """The Report object of one snapshot through the check pipeline (waivers, baseline)."""
    from cdap_policy.pipeline.check import CheckOptions, check_snapshot

    return check_snapshot(
        pack(),
        ROOT / path if not os.path.isabs(str(path)) else path,
        CheckOptions(as_of=as_of, **options),
        display=str(path),
    )


@functools.cache
def _report_json(path: str, as_of: str, include_passed: bool = False) -> str:
    report = check_report(path, as_of, include_passed=include_passed, find_waivers=False)
    return json.dumps(report.to_dict(include_passed), ensure_ascii=False, sort_keys=True)


def report_dict(spec: dict, include_passed: bool = False) -> dict:
    """A fresh copy (tests modify them) of the JSON report of {snapshot, as_of}."""
    return copy.deepcopy(json.loads(_report_json(spec["snapshot"], spec["as_of"], include_passed)))


def write_json(path, data) -> str:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    return str(path)


def cli(*args, cwd=ROOT, columns=200):
    env = {**os.environ, "COLUMNS": str(columns)}
    env.pop("NO_COLOR", None)
    proc = subprocess.run(
        [sys.executable, "-m", "cdap_policy", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
        env=env,
    )
    assert "Traceback" not in proc.stdout + proc.stderr, proc.stderr
    assert "internal error" not in proc.stderr and "erreur interne" not in proc.stderr, proc.stderr
    return proc


def error_lines(proc) -> list[str]:
    """The problem lines under `error: …:` on standard error."""
    return [line.strip() for line in proc.stderr.splitlines() if line.startswith("  ")]


def ids(findings) -> list[str]:
    """`rule_id kind:key` of finding dicts (or of updated entries, by their `after`)."""
    out = []
    for f in findings:
        f = f.get("after", f)
        out.append(f"{f['rule_id']} {f['entity']['kind']}:{f['entity']['key']}")
    return sorted(out)
