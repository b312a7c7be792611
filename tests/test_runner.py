"""Evaluation: errors are findings, fingerprints are stable, the report is a contract."""

import copy
import json

import pytest
from helpers import FIXTURES, base, pack, write

from cdap_policy.evaluate.findings import fingerprint
from cdap_policy.evaluate.runner import evaluate
from cdap_policy.load.snapshot import load_snapshot

AS_OF = "2025-06-30"


def run(tmp_path, data, **kw):
    return evaluate(pack(), load_snapshot(write(tmp_path, data)), AS_OF, **kw)


def test_base_snapshots_are_compliant(tmp_path):
    for edition in (2017, 2025):
        report = run(tmp_path, base(edition))
        assert report.summary()["by_status"]["fail"] == 0
        assert report.summary()["by_status"]["error"] == 0
        assert report.exit_code("info") == 0


def test_fingerprints_ignore_list_order_and_wording(tmp_path):
    data = base(2017)
    data["users"][0]["account_type"] = "shared"
    data["users"][2]["status"] = "active"
    data["users"][2]["left_on"] = "2025-01-01"
    first = {(f.rule_id, f.entity_key): f.fingerprint for f in run(tmp_path, data).listed()}
    shuffled = copy.deepcopy(data)
    shuffled["users"].reverse()
    second = {(f.rule_id, f.entity_key): f.fingerprint for f in run(tmp_path, shuffled).listed()}
    assert first and first == second
    assert fingerprint("r", "user", "u-1") != fingerprint("r", "user", "u-2")


def test_a_finding_points_at_its_user_line(tmp_path):
    data = base(2017)
    data["users"][3]["account_type"] = "generic"
    path = write(tmp_path, data)
    report = evaluate(pack(), load_snapshot(path), AS_OF)
    finding = next(f for f in report.listed() if f.rule_id == "gov-nominative-personal-account")
    assert finding.entity_key == "u-4"
    assert "id: u-4" in path.read_text().splitlines()[finding.line - 1]


def test_partner_level_findings_have_the_line_of_their_section(tmp_path):
    data = base()
    data["contacts"]["administrators"].append(
        {
            "id": "adm-3",
            "role": "principal",
            "first_name": "Zoé",
            "last_name": "Arnal",
            "email": "z@x.example",
        }
    )
    path = write(tmp_path, data)
    finding = next(
        f
        for f in evaluate(pack(), load_snapshot(path), AS_OF).listed()
        if f.rule_id == "quota-administrators"
    )
    assert path.read_text().splitlines()[finding.line - 1].startswith("contacts:")


def test_stage_filter_and_edition_override(tmp_path):
    data = base(2017)
    pre = run(tmp_path, data, stage="pre-signature")
    assert pre.stage == "pre-signature"
    ids = {r.id for r in pack().rules if "pre-signature" in r.stages}
    assert pre.rules_run <= len(ids)
    assert run(tmp_path, data, edition=2025).edition == 2025


def test_json_report_contract(tmp_path):
    data = base(2017)
    data["users"][0]["account_type"] = "shared"
    report = run(tmp_path, data).to_dict()
    assert {"tool", "policy_pack", "as_of", "snapshot", "summary", "findings"} <= set(report)
    assert report["tool"]["name"] == "cdap-policy" and report["policy_pack"]["version"]
    finding = report["findings"][0]
    assert {
        "rule_id",
        "requirements",
        "severity",
        "status",
        "entity",
        "location",
        "message",
        "remediation",
        "references",
        "evidence",
        "fingerprint",
    } <= set(finding)
    assert set(finding["message"]) == {"fr", "en"} and finding["location"]["line"] >= 1
    json.dumps(report)


def test_include_passed_lists_passes(tmp_path):
    report = run(tmp_path, base(), include_passed=True)
    assert any(f.status == "pass" for f in report.listed(include_passed=True))
    assert not report.listed()


def test_department_fixture_runs():
    report = evaluate(pack(), load_snapshot(FIXTURES / "departement-2017.yaml"), AS_OF)
    quota = [f for f in report.listed() if f.rule_id == "quota-profile-max"]
    assert [f.entity_key for f in quota] == ["T19"]
    assert (
        quota[0]
        .message["fr"]
        .startswith("16 utilisateurs actifs ont le profil T19, le bulletin en autorise 15")
    )


def test_every_rule_explains():
    from cdap_policy.formatters.rules import explain_json, explain_text

    for rule in pack().rules:
        text = explain_text(pack(), rule, "fr")
        assert rule.id in text and rule.source["check"].split()[0] in text
        assert json.loads(explain_json(pack(), rule))["references"]


@pytest.mark.slow
def test_no_rule_raises_on_any_fixture_at_any_stage_or_edition():
    names = sorted(p for p in FIXTURES.glob("*.yaml") if p.name != "expected-findings.yaml")
    for path in names:
        snapshot = load_snapshot(path)
        for stage in (None, "pre-signature", "opening", "operation", "annual-review"):
            for edition in (None, 2017, 2025):
                report = evaluate(pack(), snapshot, AS_OF, stage=stage, edition=edition)
                errors = [
                    (f.rule_id, f.evidence.get("error"))
                    for f in report.findings
                    if f.status == "error"
                ]
                assert errors == [], (path.name, stage, edition, errors[:3])
