"""Missing data is an error, never a proven breach: a rule that needs a field (`requires`) gives
`error` with the count of the entities or log rows that lack it; a user with proven failures keeps
a failure, the rows that could not be judged said beside it; the column-wise log reader agrees."""
import json

import pytest
import yaml

from cdap_policy.logs import columnar
from cdap_policy.logs import read
from cdap_policy.support.errors import PolicyError
from cdap_policy.load.pack import load_pack
from cdap_policy.evaluate.runner import evaluate
from cdap_policy.load.snapshot import load_snapshot
from helpers import POLICIES, ROOT, base, pack, write

AS_OF = "2025-06-30"


def _t19_log(tmp_path, rows: list[dict], name="log.csv"):
    data = base(2017)
    header = ["at", "user", "profile", "file", "rsa_status", "rsa_ended_on"]
    lines = [",".join(header)] + [",".join(str(r.get(k, "")) for k in header) for r in rows]
    (tmp_path / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    data["consultations"] = {"file": name}
    return write(tmp_path, data)


ROWS = [  # u-4 holds T19 in the 2017 base
    {"at": "2025-06-02T09:00:00", "user": "u-4", "profile": "T19", "file": "F-1", "rsa_status": "paid"},
    {"at": "2025-06-02T09:01:00", "user": "u-4", "profile": "T19", "file": "F-2"},
    {"at": "2025-06-02T09:02:00", "user": "u-4", "profile": "T19", "file": "F-3", "rsa_status": "ended"},
    {"at": "2025-06-02T09:03:00", "user": "u-4", "profile": "T19", "file": "F-4"},
]


def _finding(report, rule_id, key="u-4"):
    return next(f for f in report.findings if f.rule_id == rule_id and f.entity_key == key)


def test_rows_without_the_rsa_status_are_an_error_with_their_count(tmp_path):
    report = evaluate(pack(), load_snapshot(_t19_log(tmp_path, ROWS)), AS_OF)
    finding = _finding(report, "scope-t19-rsa-status")
    assert finding.status == "error" and finding.severity == "critical"
    assert finding.evidence["errors"] == 2 and finding.evidence["checked"] == 4 and finding.evidence["rows"] == 0
    assert "2 consultation(s)" in finding.message["fr"] and "sur 4" in finding.message["fr"]
    assert "statut du droit RSA" in finding.message["fr"] and "RSA right" in finding.message["en"]
    window = _finding(report, "scope-rsa-window")  # a status « ended » without its end date is missing data too
    assert window.status == "error" and window.evidence["errors"] == 3
    assert report.summary()["by_status"]["error"] >= 2


def test_a_proven_breach_is_a_failure_that_also_says_what_could_not_be_judged(tmp_path):
    rows = ROWS + [{"at": "2025-06-03T10:00:00", "user": "u-4", "profile": "T19", "file": "F-5", "rsa_status": "never"}]
    report = evaluate(pack(), load_snapshot(_t19_log(tmp_path, rows)), AS_OF)
    finding = _finding(report, "scope-t19-rsa-status")
    assert finding.status == "fail" and finding.evidence["rows"] == 1 and finding.evidence["errors"] == 2
    assert "F-5" in finding.message["fr"] and "2 consultation(s) n'ont pas pu être jugées" in finding.message["fr"]
    assert finding.evidence["first_row"] == 6  # the failing row, not the first row without status
    assert finding.line == 6


@pytest.mark.skipif(not columnar.available(), reason="pyarrow and numpy are not installed (extra [logs])")
def test_the_column_wise_reader_gives_the_same_report(tmp_path, monkeypatch):
    rows = ROWS * 30 + [{"at": "2025-06-03T10:00:00", "user": "u-4", "profile": "T19", "file": "F-5", "rsa_status": "never"}] + ROWS
    path = _t19_log(tmp_path, rows)

    def outcome():
        report = evaluate(pack(), load_snapshot(path), AS_OF).to_dict()
        report.pop("duration_s", None)
        report.get("summary", {}).pop("duration_s", None)
        return json.dumps(report, default=str)

    fast = outcome()
    monkeypatch.setattr(read, "by_columns", lambda *args: None)
    assert outcome() == fast


def test_requires_takes_a_field_and_says_what_it_records(tmp_path):
    target = tmp_path / "pack"
    import shutil

    shutil.copytree(POLICIES, target)
    text = (target / "scope.yaml").read_text(encoding="utf-8")
    (target / "scope.yaml").write_text(text.replace("    - field: entity.cmg_request", "    - field: has(entity.cmg_request)", 1), encoding="utf-8")
    with pytest.raises(PolicyError):
        load_pack(target)


def test_explain_says_the_data_is_missing(tmp_path):
    from cdap_policy.authoring.explaining import explain

    snapshot = load_snapshot(_t19_log(tmp_path, ROWS[1:2]))
    result = explain(pack(), snapshot, pack().rule("scope-t19-rsa-status"), "u-4", AS_OF)
    assert result.status == "error" and "statut du droit RSA" in result.finding.message["fr"]


def test_every_rule_reading_a_log_field_the_caf_does_not_trace_requires_it():
    """The RSA status and the CMG request are written by the partner from the file, not traced by
    the Caf: no consultation rule may read them as a breach when they are absent."""
    rules = yaml.safe_load((POLICIES / "scope.yaml").read_text(encoding="utf-8"))["rules"]
    for rule in rules:
        if rule["over"] != "consultations":
            continue
        for name in ("rsa_status", "cmg_request"):
            if f"entity.{name}" in rule["check"]:
                assert any(need["field"] == f"entity.{name}" for need in rule.get("requires", [])), rule["id"]
    assert ROOT.is_dir()
