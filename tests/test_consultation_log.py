"""A generated 100,000-row consultation log is streamed and checked: injected scope violations are
found, grouped per rule and user, and CSV, JSON Lines and gzip give the same findings."""

import sys

import pytest
from helpers import ROOT, pack

from cdap_policy.evaluate.runner import evaluate
from cdap_policy.load.snapshot import load_snapshot

sys.path.insert(0, str(ROOT / "benchmarks"))
import generate_log  # noqa: E402

AS_OF = "2025-06-30"


def findings(snapshot_path):
    report = evaluate(pack(), load_snapshot(snapshot_path), AS_OF)
    return report, sorted(
        (f.rule_id, f.entity_key, f.evidence.get("rows"))
        for f in report.listed()
        if f.rule_id.startswith("scope-")
    )


@pytest.fixture(scope="module")
def log_100k(tmp_path_factory):
    return generate_log.main(["--rows", "100000", "--out", str(tmp_path_factory.mktemp("log"))])


def test_100k_rows_are_checked_and_violations_found(log_100k):
    report, scope = findings(log_100k)
    rules = {rule for rule, _, _ in scope}
    assert {"scope-active-user", "scope-rsa-window", "scope-t19-rsa-status"} <= rules
    # the injected T1 searches are a CAFPRO-only obligation: a « Mon Compte Partenaire »
    # department is not judged on them
    assert "scope-known-number" not in rules and report.rules_excluded.get("framework", 0) > 0
    assert report.summary()["by_status"]["error"] == 0
    leaver = [rows for rule, key, rows in scope if rule == "scope-active-user" and key == "u-293"]
    assert leaver and leaver[0] > 0  # the agent who left on 2025-03-31 went on consulting
    for f in report.listed():
        if f.rule_id == "scope-rsa-window":
            assert f.file.endswith(".csv") and f.line > 1 and f.evidence["sample"]


@pytest.mark.slow
@pytest.mark.parametrize("fmt,gz", [("jsonl", False), ("csv", True)])
def test_formats_agree(tmp_path, fmt, gz):
    base = generate_log.main(["--rows", "20000", "--out", str(tmp_path / "csv")])
    other = generate_log.main(
        ["--rows", "20000", "--out", str(tmp_path / fmt), "--format", fmt]
        + (["--gzip"] if gz else [])
    )
    assert findings(base)[1] == findings(other)[1]
