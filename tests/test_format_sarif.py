"""SARIF: valid against the official 2.1.0 schema for every fixture, and shaped the way GitHub's
code-scanning upload and the VS Code viewer read it."""
import dataclasses
import json

import jsonschema
import pytest
from click.testing import CliRunner

from cdap_policy.errors import InputError
from cdap_policy.formatters import render, sarif
from format_support import fixture_ids, options, report, schema, varied_report
from helpers import FIXTURES, ROOT

VALIDATOR = jsonschema.Draft4Validator(schema("sarif-2.1.0.schema.json"))
SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "2.0"}
LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note", "info": "note"}


def assert_valid(log: dict):
    errors = sorted(VALIDATOR.iter_errors(log), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:10])


def sarif_of(reports, **kwargs) -> dict:
    return json.loads(render("sarif", reports, options(**kwargs)))


@pytest.mark.parametrize("name", fixture_ids())
def test_every_fixture_gives_schema_valid_sarif_shaped_for_upload(name):
    rep = report(name)
    log = sarif_of([rep])
    assert_valid(log)
    assert log["version"] == "2.1.0" and len(log["runs"]) == 1
    run = log["runs"][0]
    driver = run["tool"]["driver"]
    assert driver["name"] == "cdap-policy" and driver["version"] and driver["informationUri"].startswith("https://")
    assert [r["id"] for r in driver["rules"]] == sorted(r["id"] for r in rep.rules)  # every rule that ran
    for rule in driver["rules"]:
        assert rule["name"] and rule["shortDescription"]["text"] and rule["fullDescription"]["text"]
        assert len(rule["shortDescription"]["text"]) <= 1024 and len(rule["fullDescription"]["text"]) <= 1024
        info = next(r for r in rep.rules if r["id"] == rule["id"])
        assert info["title"]["fr"] in rule["help"]["text"] and info["title"]["en"] in rule["help"]["text"]
        assert info["references"][0]["document"] in rule["help"]["text"]
        assert "(fr)" in rule["help"]["markdown"] and "(en)" in rule["help"]["markdown"]
        assert set(rule["properties"]["tags"]) >= {info["family"], *info["requirements"]}
        if info["severity"] == "info":
            assert "security-severity" not in rule["properties"]
        else:
            assert rule["properties"]["security-severity"] == SEVERITY[info["severity"]]
    assert run["automationDetails"]["id"] == f"cdap-policy/fixtures/{name}/"
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == ROOT.as_uri() + "/"
    listed = rep.listed()
    assert len(run["results"]) == len(listed)
    for res, finding in zip(run["results"], listed, strict=True):
        assert res["ruleId"] == finding.rule_id
        assert driver["rules"][res["ruleIndex"]]["id"] == finding.rule_id
        assert res["level"] == LEVEL[finding.severity]
        assert res["message"]["text"].startswith(finding.message["fr"])  # French by default
        location = res["locations"][0]["physicalLocation"]
        assert location["artifactLocation"] == {"uri": f"fixtures/{name}", "uriBaseId": "%SRCROOT%", "index": 0}
        assert location["region"]["startLine"] == finding.line >= 1
        assert res["partialFingerprints"] == {"cdapFingerprint/v1": finding.fingerprint}
        if finding.severity != "info":
            assert isinstance(res["properties"]["security-severity"], str)
    assert "primaryLocationLineHash" not in json.dumps(log)


def test_waivers_errors_baseline_and_missing_lines():
    rep = varied_report()
    log = sarif_of([rep], lang="en")
    assert_valid(log)
    results = {r["partialFingerprints"]["cdapFingerprint/v1"]: r for r in log["runs"][0]["results"]}
    by_status = {f.fingerprint: f for f in rep.listed()}
    waived = [f for f in by_status.values() if f.status == "waived"]
    assert len(waived) == 2
    full = next(f for f in waived if f.waiver)
    assert results[full.fingerprint]["suppressions"] == [{
        "kind": "external", "status": "accepted", "justification": full.waiver["justification"],
        "properties": {k: full.waiver[k] for k in ("approved_by", "approved_on", "expires_on", "ticket")}}]
    bare = next(f for f in waived if not f.waiver)
    assert results[bare.fingerprint]["suppressions"] == [{"kind": "external", "status": "accepted"}]
    error = next(f for f in by_status.values() if f.status == "error")
    assert results[error.fingerprint]["level"] == "error"  # an unevaluated rule is never a note
    states = {fp: r.get("baselineState") for fp, r in results.items()}
    assert sorted(s for s in states.values() if s) == ["new", "unchanged"]
    no_line = next(f for f in by_status.values() if f.line == 0)
    assert results[no_line.fingerprint]["locations"][0]["physicalLocation"]["region"]["startLine"] == 1
    assert results[no_line.fingerprint]["message"]["text"].startswith(no_line.message["en"])  # --lang en
    assert log["runs"][0]["properties"]["baseline"] == rep.baseline


def test_several_snapshots_give_one_run_each_with_its_own_category():
    reps = [report(n) for n in ("ccas-2025.yaml", "departement-2017.yaml", "hopital-2025-hebergeur.yaml")]
    log = sarif_of(reps)
    assert_valid(log)
    ids = [run["automationDetails"]["id"] for run in log["runs"]]
    assert ids == [f"cdap-policy/fixtures/{n}/" for n in ("ccas-2025.yaml", "departement-2017.yaml", "hopital-2025-hebergeur.yaml")]
    assert [len(run["results"]) for run in log["runs"]] == [len(r.listed()) for r in reps]


def test_paths_are_relative_to_the_repository_root_with_forward_slashes(tmp_path):
    base = report("ccas-2025.yaml")
    rep = dataclasses.replace(base, snapshot_file=str(FIXTURES / "ccas-2025.yaml"),
                              findings=[dataclasses.replace(f, file=str(FIXTURES / "ccas-2025.yaml")) for f in base.findings])
    log = sarif_of([rep])
    location = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert location["uri"] == "fixtures/ccas-2025.yaml" and location["uriBaseId"] == "%SRCROOT%"
    # a snapshot outside the repository gets an absolute file URI and no base
    log = sarif_of([rep], srcroot=str(tmp_path))
    location = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert location == {"uri": (FIXTURES / "ccas-2025.yaml").as_uri(), "index": 0}
    assert_valid(log)


def test_more_than_25000_results_are_refused(monkeypatch):
    rep = report("ccas-2025.yaml")
    monkeypatch.setattr(sarif, "MAX_RESULTS", len(rep.listed()) - 1)
    with pytest.raises(InputError) as caught:
        render("sarif", [rep], options())
    problem = caught.value.problems[0]
    assert problem.file == rep.snapshot_file
    assert str(len(rep.listed())) in problem.message["en"] and "SARIF" in problem.message["fr"]


def test_the_check_command_turns_the_limit_into_exit_2(monkeypatch):
    from cdap_policy.cli import cli

    monkeypatch.setattr(sarif, "MAX_RESULTS", 1)
    result = CliRunner().invoke(cli, ["check", str(FIXTURES / "ccas-2025.yaml"), "--as-of", "2025-06-30", "--format", "sarif",
                                      "--lang", "en"])
    assert result.exit_code == 2, result.output
    assert "at most 1 per run" in result.output and "Traceback" not in result.output
    assert '"runs"' not in result.output  # nothing half-written


def test_same_input_same_bytes():
    rep = report("departement-2017.yaml")
    assert render("sarif", [rep], options()) == render("sarif", [rep], options())


def test_without_a_repository_root_paths_stay_as_given():
    log = sarif_of([report("ccas-2025.yaml")], srcroot=None)
    assert_valid(log)
    run = log["runs"][0]
    assert "uri" not in run["originalUriBaseIds"]["%SRCROOT%"]  # declared, described, not located
    assert run["artifacts"][0]["location"]["uri"].endswith("fixtures/ccas-2025.yaml")
