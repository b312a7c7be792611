"""cel-python's compiled runner (the default, fast) and its interpreter (the reference) give the
same findings on every fixture. Each runs in its own process: cel-python keeps its parser in
module globals and the two runners cannot share a process."""
import json
import subprocess
import sys

import pytest

from helpers import FIXTURES, ROOT

NAMES = sorted(p.name for p in FIXTURES.glob("*.yaml") if p.name != "expected-findings.yaml")


def report(name, engine):
    proc = subprocess.run([sys.executable, "-m", "cdap_policy", "check", str(FIXTURES / name), "--as-of", "2025-06-30",
                           "--format", "json", "--include-passed", "--engine", engine], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert proc.returncode in (0, 1), proc.stderr
    data = json.loads(proc.stdout)
    return data["summary"], [(f["rule_id"], f["entity"]["key"], f["status"], f["message"]["fr"]) for f in data["findings"]]


@pytest.mark.parametrize("name", NAMES)
def test_compiled_and_interpreted_runners_agree(name):
    assert report(name, "compiled") == report(name, "interpreted")
