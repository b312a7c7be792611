"""SARIF: valid against the official 2.1.0 schema for every fixture, and shaped the way GitHub's
code-scanning upload reads it: one run per invocation, within GitHub's limits, alert keys that
do not depend on the text of a line."""

import dataclasses
import json
import re

import jsonschema
import pytest
from click.testing import CliRunner
from format_support import fixture_ids, options, report, schema, varied_report
from helpers import FIXTURES, ROOT, pack

from cdap_policy.evaluate.findings import Unreadable
from cdap_policy.formatters import render, sarif
from cdap_policy.support.errors import InputError, Problem

VALIDATOR = jsonschema.Draft4Validator(schema("sarif-2.1.0.schema.json"))
SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "2.0"}
LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note", "info": "note"}
LINE_HASH = re.compile(r"^[0-9a-f]{16}:1$")


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
    assert (
        driver["name"] == "cdap-policy"
        and driver["version"]
        and driver["informationUri"].startswith("https://")
    )
    assert [r["id"] for r in driver["rules"]] == sorted(
        r["id"] for r in rep.rules
    )  # every rule that ran
    for rule in driver["rules"]:
        assert rule["name"] and rule["shortDescription"]["text"] and rule["fullDescription"]["text"]
        assert (
            len(rule["shortDescription"]["text"]) <= 1024
            and len(rule["fullDescription"]["text"]) <= 1024
        )
        info = next(r for r in rep.rules if r["id"] == rule["id"])
        assert (
            info["title"]["fr"] in rule["help"]["text"]
            and info["title"]["en"] in rule["help"]["text"]
        )
        assert info["references"][0]["document"] in rule["help"]["text"]
        assert "(fr)" in rule["help"]["markdown"] and "(en)" in rule["help"]["markdown"]
        assert set(rule["properties"]["tags"]) >= {info["family"], *info["requirements"]}
        assert len(rule["properties"]["tags"]) <= 20
        if info["severity"] == "info":
            assert "security-severity" not in rule["properties"]
        else:
            assert rule["properties"]["security-severity"] == SEVERITY[info["severity"]]
    assert run["automationDetails"]["id"] == "cdap-policy/"  # one category for the tool
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == ROOT.as_uri() + "/"
    assert run["artifacts"][0]["location"] == {"uri": f"fixtures/{name}", "uriBaseId": "%SRCROOT%"}
    assert run["artifacts"][0]["properties"]["partner"] == rep.partner
    assert run["invocations"] == [
        {
            "executionSuccessful": True,
            **(
                {"toolExecutionNotifications": run["invocations"][0]["toolExecutionNotifications"]}
                if rep.notices
                else {}
            ),
        }
    ]
    listed = rep.listed()
    assert len(run["results"]) == len(listed)
    for res, finding in zip(run["results"], listed, strict=True):
        assert res["ruleId"] == finding.rule_id
        assert driver["rules"][res["ruleIndex"]]["id"] == finding.rule_id
        assert res["level"] == LEVEL[finding.severity]
        assert res["message"]["text"].startswith(finding.message["fr"])  # French by default
        assert len(res["locations"]) == 1  # GitHub: at most 1,000 locations per result
        location = res["locations"][0]["physicalLocation"]
        assert location["artifactLocation"] == {
            "uri": f"fixtures/{name}",
            "uriBaseId": "%SRCROOT%",
            "index": 0,
        }
        assert location["region"]["startLine"] == finding.line >= 1
        fingerprints = res["partialFingerprints"]
        assert (
            fingerprints["cdapFingerprint/v1"] == finding.fingerprint
        )  # our own key, beside GitHub's
        assert LINE_HASH.match(fingerprints["primaryLocationLineHash"])
        if finding.severity != "info":
            assert isinstance(res["properties"]["security-severity"], str)


def test_waivers_errors_baseline_and_missing_lines():
    rep = varied_report()
    log = sarif_of([rep], lang="en")
    assert_valid(log)
    results = {r["partialFingerprints"]["cdapFingerprint/v1"]: r for r in log["runs"][0]["results"]}
    by_status = {f.fingerprint: f for f in rep.listed()}
    waived = [f for f in by_status.values() if f.status == "waived"]
    assert len(waived) == 2
    full = next(f for f in waived if f.waiver)
    assert results[full.fingerprint]["suppressions"] == [
        {
            "kind": "external",
            "status": "accepted",
            "justification": full.waiver["justification"],
            "properties": {
                k: full.waiver[k] for k in ("approved_by", "approved_on", "expires_on", "ticket")
            },
        }
    ]
    bare = next(f for f in waived if not f.waiver)
    assert results[bare.fingerprint]["suppressions"] == [{"kind": "external", "status": "accepted"}]
    error = next(f for f in by_status.values() if f.status == "error")
    assert results[error.fingerprint]["level"] == "error"  # an unevaluated rule is never a note
    states = {fp: r.get("baselineState") for fp, r in results.items()}
    assert sorted(s for s in states.values() if s) == ["new", "unchanged"]
    no_line = next(f for f in by_status.values() if f.line == 0)
    assert (
        results[no_line.fingerprint]["locations"][0]["physicalLocation"]["region"]["startLine"] == 1
    )
    assert results[no_line.fingerprint]["message"]["text"].startswith(
        no_line.message["en"]
    )  # --lang en
    assert log["runs"][0]["artifacts"][0]["properties"]["baseline"] == rep.baseline


def test_several_snapshots_give_one_run_every_snapshot_an_artifact():
    names = (
        "ccas-2025.yaml",
        "departement-2017.yaml",
        "hopital-2025-hebergeur.yaml",
        "annual-review/ccas-year1.yaml",
    )
    reps = [report(n) for n in names]
    # a compliant partner is an artifact too, with no result
    clean = dataclasses.replace(
        reps[-1],
        findings=[f for f in reps[-1].findings if f.status not in ("fail", "error", "waived")],
    )
    reps[-1] = clean
    log = sarif_of(reps)
    assert_valid(log)
    assert len(log["runs"]) == 1
    run = log["runs"][0]
    assert run["automationDetails"]["id"] == "cdap-policy/"
    assert [a["location"]["uri"] for a in run["artifacts"]] == [f"fixtures/{n}" for n in names]
    assert [a["properties"]["partner"] for a in run["artifacts"]] == [r.partner for r in reps]
    assert len(run["results"]) == sum(len(r.listed()) for r in reps)
    per_artifact = [
        sum(
            r["locations"][0]["physicalLocation"]["artifactLocation"]["index"] == i
            for r in run["results"]
        )
        for i in range(len(names))
    ]
    assert per_artifact == [len(r.listed()) for r in reps] and per_artifact[-1] == 0
    # one descriptor per rule, for the 2017 and the 2025 snapshots alike
    ids = [r["id"] for r in run["tool"]["driver"]["rules"]]
    assert ids == sorted(set(ids)) and set(ids) == {r["id"] for rep in reps for r in rep.rules}
    assert run["properties"]["snapshots"] == len(names)


def test_the_same_entity_in_two_snapshots_gets_two_alert_keys():
    """Two partners both have a user u-04: GitHub must not merge their alerts."""
    rep = report("ccas-2025.yaml")
    twin = dataclasses.replace(
        rep,
        snapshot_file=str(FIXTURES / "twin" / "ccas.yaml"),
        findings=[
            dataclasses.replace(f, file=str(FIXTURES / "twin" / "ccas.yaml")) for f in rep.findings
        ],
    )
    results = sarif_of([rep, twin])["runs"][0]["results"]
    keys = [r["partialFingerprints"]["primaryLocationLineHash"] for r in results]
    ours = [r["partialFingerprints"]["cdapFingerprint/v1"] for r in results]
    assert len(set(keys)) == len(keys) and len(set(ours)) == len(ours) // 2


def test_a_shard_has_a_category_of_its_own():
    run = sarif_of([report("ccas-2025.yaml")], shard=(2, 8))["runs"][0]
    assert run["automationDetails"]["id"] == "cdap-policy/shard-2-of-8/"
    assert run["properties"]["shard"] == {"k": 2, "n": 8}


def test_paths_are_relative_to_the_repository_root_with_forward_slashes(tmp_path):
    base = report("ccas-2025.yaml")
    rep = dataclasses.replace(
        base,
        snapshot_file=str(FIXTURES / "ccas-2025.yaml"),
        findings=[
            dataclasses.replace(f, file=str(FIXTURES / "ccas-2025.yaml")) for f in base.findings
        ],
    )
    log = sarif_of([rep])
    location = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert location["uri"] == "fixtures/ccas-2025.yaml" and location["uriBaseId"] == "%SRCROOT%"
    # a snapshot outside the repository gets an absolute file URI and no base
    log = sarif_of([rep], srcroot=str(tmp_path))
    location = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert location == {"uri": (FIXTURES / "ccas-2025.yaml").as_uri(), "index": 0}
    assert_valid(log)


def test_an_unreadable_snapshot_fails_the_invocation():
    bad = Unreadable.of(
        "fixtures/broken.yaml",
        [
            Problem(
                "fixtures/broken.yaml",
                7,
                "/users/0/email",
                {"fr": "valeur refusée", "en": "value refused"},
            )
        ],
    )
    for reports in ([report("ccas-2025.yaml")], []):  # with another snapshot checked, and alone
        log = sarif_of(reports, unreadable=(bad,), lang="en")
        assert_valid(log)
        invocation = log["runs"][0]["invocations"][0]
        assert invocation["executionSuccessful"] is False
        note = next(
            n
            for n in invocation["toolExecutionNotifications"]
            if n["descriptor"]["id"] == "unreadable-snapshot"
        )
        assert note["level"] == "error" and "value refused" in note["message"]["text"]
        location = note["locations"][0]["physicalLocation"]
        assert location["region"]["startLine"] == 7
        artifact = log["runs"][0]["artifacts"][location["artifactLocation"]["index"]]
        assert artifact["location"]["uri"] == "fixtures/broken.yaml"


def test_more_results_than_github_takes_are_refused_with_the_shards_to_use(monkeypatch):
    reps = [report("departement-2017.yaml"), report("hopital-2025-hebergeur.yaml")]
    count = sum(len(r.listed()) for r in reps)
    monkeypatch.setattr(sarif, "MAX_RESULTS", count // 3)
    shards = -(-count // (count // 3))
    with pytest.raises(InputError) as caught:
        render("sarif", reps, options())
    message = caught.value.problems[0].message
    assert str(count) in message["en"].replace(",", "")
    assert f"--shard K/{shards}" in message["en"] and f"--shard K/{shards}" in message["fr"]
    with pytest.raises(InputError) as caught:  # a shard already: split it further
        render("sarif", reps, options(shard=(1, 2)))
    assert f"--shard K/{2 * shards}" in caught.value.problems[0].message["en"]
    with pytest.raises(InputError) as caught:  # one snapshot cannot be split: narrowed
        render("sarif", reps[:1], options())
    assert (
        "--shard" not in caught.value.problems[0].message["en"]
        and "--stage" in caught.value.problems[0].message["en"]
    )


def test_a_file_over_10_mb_gzipped_is_refused(monkeypatch):
    reps = [report("departement-2017.yaml"), report("hopital-2025-hebergeur.yaml")]
    monkeypatch.setattr(sarif, "MAX_GZIP_BYTES", 2000)
    with pytest.raises(InputError) as caught:
        render("sarif", reps, options())
    assert (
        "gzip" in caught.value.problems[0].message["fr"]
        and "--shard K/" in caught.value.problems[0].message["fr"]
    )


@pytest.mark.cli
def test_the_check_command_turns_a_limit_into_exit_2(monkeypatch):
    from cdap_policy.cli import cli

    monkeypatch.setattr(sarif, "MAX_RESULTS", 1)
    result = CliRunner().invoke(
        cli,
        [
            "check",
            str(FIXTURES / "ccas-2025.yaml"),
            str(FIXTURES / "commune-t2-cafpro.yaml"),
            "--as-of",
            "2025-06-30",
            "--format",
            "sarif",
            "--lang",
            "en",
        ],
    )
    assert result.exit_code == 2, result.output
    assert (
        "takes at most 1 per run" in result.output
        and "--shard K/" in result.output
        and "Traceback" not in result.output
    )
    assert '"runs"' not in result.output  # nothing half-written


def test_fingerprints_survive_an_edit_of_an_unrelated_line(tmp_path):
    """GitHub would hash the line's text: here the user's e-mail changes (not the line of the
    finding), another quota changes on the flow-style line that holds the T1 findings, and a
    comment moves every line down by one. Every alert keeps its key."""
    from cdap_policy.pipeline.check import CheckOptions, check_snapshot

    text = (FIXTURES / "ccas-2025.yaml").read_text(encoding="utf-8")
    edited = "# revu le 2025-07-01\n" + text.replace(
        "karim.benhamou@saint-aubin.example", "k.benhamou@saint-aubin.example"
    ).replace('T1: 4, T2: ""', "T1: 4, T2: 0")
    assert (
        edited.count("\n") == text.count("\n") + 1 and "T2: 0" in edited and "k.benhamou" in edited
    )

    def keys(content: str) -> tuple[dict, dict]:
        path = tmp_path / "snapshots" / "ccas.yaml"
        path.parent.mkdir(exist_ok=True)
        path.write_text(content, encoding="utf-8")
        rep = check_snapshot(pack(), path, CheckOptions(as_of="2025-06-30"))
        results = sarif_of([rep], srcroot=str(tmp_path))["runs"][0]["results"]
        return (
            {
                (
                    r["ruleId"],
                    r["partialFingerprints"]["primaryLocationLineHash"],
                    r["partialFingerprints"]["cdapFingerprint/v1"],
                )
                for r in results
            },
            {
                r["ruleId"]: r["locations"][0]["physicalLocation"]["region"]["startLine"]
                for r in results
            },
        )

    before, lines_before = keys(text)
    after, lines_after = keys(edited)
    assert len(before) >= 3 and after == before
    assert all(
        lines_after[rule] == line + 1 for rule, line in lines_before.items()
    )  # the lines did move


def test_same_input_same_bytes():
    rep = report("departement-2017.yaml")
    assert render("sarif", [rep], options()) == render("sarif", [rep], options())


def test_without_a_repository_root_paths_stay_as_given():
    log = sarif_of([report("ccas-2025.yaml")], srcroot=None)
    assert_valid(log)
    run = log["runs"][0]
    assert "uri" not in run["originalUriBaseIds"]["%SRCROOT%"]  # declared, described, not located
    assert run["artifacts"][0]["location"]["uri"].endswith("fixtures/ccas-2025.yaml")
