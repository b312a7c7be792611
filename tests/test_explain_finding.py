"""`explain RULE --snapshot FILE --entity KEY` and `explain --fingerprint F --snapshot FILE`: the
values behind a finding, each sub-condition's result, and an outcome that agrees with `check`."""

import json

import pytest
from click.testing import CliRunner
from helpers import FIXTURES, base, pack, write

from cdap_policy.authoring.explaining import explain, reads
from cdap_policy.cli import cli
from cdap_policy.evaluate.runner import evaluate
from cdap_policy.load.snapshot import load_snapshot

CCAS = FIXTURES / "ccas-2025.yaml"
AS_OF = ["--as-of", "2025-06-30"]


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def parts(part):
    yield part
    for child in part.get("parts", []):
        yield from parts(child)


@pytest.mark.cli
def test_a_fixture_finding_shows_the_values_and_sub_conditions_behind_it():
    # the CCAS fixture's defect: u-04 was granted T1 after the attestation on honour and is
    # missing from it
    result = run(
        "explain",
        "elig-t1-attestation-current",
        "--snapshot",
        CCAS,
        "--entity",
        "u-04",
        *AS_OF,
        "--format",
        "json",
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["status"] == "fail" and data["entity"]["key"] == "u-04"
    values = {v["path"]: v["value"] for v in data["values"]}
    assert (
        values["facts.attested"] is False and values["facts.attestation_signed_on"] == "2025-03-17"
    )
    assert values["facts.intended_profiles"] == ["T1"]
    check = {p["source"]: p for p in parts(data["check"])}
    assert data["check"]["op"] == "and" and data["check"]["value"] is False
    assert check["facts.attested"]["value"] is False
    assert check["facts.attestation_signed_on != null"]["value"] is True
    assert data["when"]["value"] is True
    assert data["finding"]["message"]["fr"].startswith("Karim Benhamou a le profil T1")


@pytest.mark.cli
def test_text_in_french_and_english():
    result = run(
        "explain", "elig-t1-attestation-current", "--snapshot", CCAS, "--entity", "u-04", *AS_OF
    )
    assert result.exit_code == 0
    assert "Valeurs lues par la règle" in result.output and "facts.attested = faux" in result.output
    assert (
        "✗ faux  ←  facts.attested" in result.output and "Résultat : ÉCHEC (high)" in result.output
    )
    assert "CONV art. 17.3" in result.output  # the article the finding comes from
    result = run(
        "explain",
        "elig-t1-attestation-current",
        "--snapshot",
        CCAS,
        "--entity",
        "u-01",
        *AS_OF,
        "--lang",
        "en",
    )
    assert "Outcome: PASS" in result.output and "✓ true  ←  facts.attested" in result.output


@pytest.mark.cli
def test_fingerprint_of_a_check_report_finds_the_same_finding():
    report = json.loads(run("check", CCAS, *AS_OF, "--format", "json").output)
    finding = next(f for f in report["findings"] if f["rule_id"] == "elig-t1-attestation-current")
    result = run(
        "explain",
        "--fingerprint",
        finding["fingerprint"],
        "--snapshot",
        CCAS,
        *AS_OF,
        "--format",
        "json",
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert (data["rule"]["id"], data["entity"]["key"], data["finding"]["fingerprint"]) == (
        "elig-t1-attestation-current",
        "u-04",
        finding["fingerprint"],
    )
    short = run(
        "explain",
        "--fingerprint",
        finding["fingerprint"][:10],
        "--snapshot",
        CCAS,
        *AS_OF,
        "--format",
        "json",
    )
    assert json.loads(short.output)["entity"]["key"] == "u-04"
    assert run("explain", "--fingerprint", "0" * 32, "--snapshot", CCAS, *AS_OF).exit_code == 2
    assert run("explain", "--fingerprint", "abc", "--snapshot", CCAS).exit_code == 2


@pytest.mark.slow
def test_explain_agrees_with_check_on_every_rule_and_entity_of_a_fixture():
    snapshot = load_snapshot(CCAS)
    report = evaluate(pack(), snapshot, "2025-06-30", include_passed=True)
    checked = 0
    for finding in report.findings:
        rule = pack().rule(finding.rule_id)
        got = explain(pack(), snapshot, rule, finding.entity_key, "2025-06-30")
        assert (got.status, got.finding.fingerprint, got.finding.message) == (
            finding.status,
            finding.fingerprint,
            finding.message,
        ), rule.id
        for part in (got.when, got.check):
            if (
                part is not None
                and part.op == "and"
                and part.error is None
                and all(c.error is None for c in part.parts)
            ):
                assert part.value == all(c.value for c in part.parts), (
                    rule.id
                )  # the parts add up to the whole
        checked += 1
    assert checked > 100


@pytest.mark.cli
def test_consultation_rule_explains_a_users_log_rows(tmp_path):
    data = base()
    data["consultations"] = [
        {"at": "2025-06-02T09:00:00", "user": "u-1", "profile": "T1", "file": "F-1101"},
        {
            "at": "2025-03-31T17:00:00",
            "user": "u-1",
            "profile": "T1",
            "file": "F-1102",
        },  # the day before the grant
    ]
    path = write(tmp_path, data)
    result = run(
        "explain",
        "scope-active-user",
        "--snapshot",
        path,
        "--entity",
        "u-1",
        *AS_OF,
        "--format",
        "json",
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["status"] == "fail" and data["rows"]["fail"] == 1 and data["rows"]["pass"] == 1
    assert {v["path"]: v["value"] for v in data["values"]}["facts.user_active"] is False


@pytest.mark.cli
def test_usage_errors_and_the_existing_behaviour():
    assert (
        run("explain", "elig-t1-diploma", "--snapshot", CCAS, "--entity", "u-99", *AS_OF).exit_code
        == 2
    )
    result = run("explain", "elig-t1-diploma", "--snapshot", CCAS, *AS_OF)
    assert result.exit_code == 2 and "u-01" in result.output  # which entities exist
    assert (
        run("explain", "elig-t1-diploma", "--entity", "u-01").exit_code == 2
    )  # --entity needs --snapshot
    assert run("explain").exit_code == 2
    result = run("explain", "quota-profile-max")  # without a snapshot: the rule itself, as before
    assert result.exit_code == 0 and "entity.active_users <= entity.quota" in result.output
    result = run("explain", "ELIG-T1-DIPLOMA")  # a requirement ID: the rules implementing it
    assert result.exit_code == 0 and "elig-t1-diploma" in result.output


def test_reads_lists_the_longest_paths_only():
    tree = pack().engine.env.compile(
        'has(entity.diploma) && entity.diploma.type in catalogue.T1.diplomas["default"] && as_of'
        ' > "x"'
    )
    assert reads(tree, {"entity", "catalogue", "as_of"}) == [
        ["entity", "diploma", "type"],
        ["catalogue", "T1", "diplomas"],
        ["as_of"],
    ]
