"""`check --baseline OLD.json`: known findings are marked unchanged or updated and do not count
for the exit code; only new ones do; errors always do; a baseline of another partner is refused."""

from __future__ import annotations

import json

import pytest
from compare_support import YEAR1, YEAR2, check_report, cli, error_lines, report_dict, write_json

from cdap_policy.evaluate.findings import Finding
from cdap_policy.report import baseline
from cdap_policy.support.errors import InputError


def states(report: dict) -> dict:
    return {
        f"{f['rule_id']} {f['entity']['kind']}:{f['entity']['key']}": f["baseline_state"]
        for f in report["findings"]
    }


def test_check_with_last_years_baseline_fails_only_for_the_new_finding(tmp_path):
    base = write_json(tmp_path / "y1.json", report_dict(YEAR1))
    proc = cli(
        "check",
        YEAR2["snapshot"],
        "--as-of",
        YEAR2["as_of"],
        "--baseline",
        base,
        "--format",
        "json",
    )
    assert proc.returncode == 1, proc.stderr
    report = json.loads(proc.stdout)
    assert states(report) == {
        "gov-contract-end-active user:u-04": "new",
        "elig-t1-attestation-current user:u-04": "unchanged",
        "quota-headroom profile:T1": "unchanged",
    }
    assert report["baseline"] == {
        "file": base,
        "as_of": YEAR1["as_of"],
        "policy_pack": report["policy_pack"],
        "matched": 2,
        "new": 1,
        "unchanged": 2,
        "updated": 0,
        "absent": 2,
        "new_rule": 0,
    }
    assert report["summary"]["by_baseline_state"] == {"new": 1, "unchanged": 2, "updated": 0}


def test_known_failures_alone_exit_0(tmp_path):
    base = write_json(tmp_path / "y2.json", report_dict(YEAR2))
    assert (
        cli("check", YEAR2["snapshot"], "--as-of", YEAR2["as_of"]).returncode == 1
    )  # without baseline: failing
    proc = cli(
        "check",
        YEAR2["snapshot"],
        "--as-of",
        YEAR2["as_of"],
        "--baseline",
        base,
        "--fail-on",
        "info",
    )
    assert proc.returncode == 0, proc.stdout


def test_the_table_marks_each_finding_and_counts_them(tmp_path):
    base = write_json(tmp_path / "y1.json", report_dict(YEAR1))
    fr = cli("check", YEAR2["snapshot"], "--as-of", YEAR2["as_of"], "--baseline", base).stdout
    assert "NOUVEAU" in fr and "connu" in fr
    assert (
        f"Référence {base} (au 2025-06-30) : 1 nouveau(x), 2 connu(s) dont 0 modifié(s), 2"
        " résolu(s)" in fr
    )
    en = cli(
        "check", YEAR2["snapshot"], "--as-of", YEAR2["as_of"], "--baseline", base, "--lang", "en"
    ).stdout
    assert (
        "NEW" in en
        and "known" in en
        and f"Baseline {base} (as of 2025-06-30): 1 new, 2 known" in en
    )
    plain = cli("check", YEAR2["snapshot"], "--as-of", YEAR2["as_of"]).stdout
    assert "NOUVEAU" not in plain and "Référence" not in plain


def test_a_changed_value_is_updated_and_does_not_count(tmp_path):
    old = report_dict(YEAR2)
    next(f for f in old["findings"] if f["rule_id"] == "gov-contract-end-active")["evidence"][
        "ended"
    ] = "2026-01-31"
    proc = cli(
        "check",
        YEAR2["snapshot"],
        "--as-of",
        YEAR2["as_of"],
        "--baseline",
        write_json(tmp_path / "b.json", old),
        "--format",
        "json",
    )
    assert proc.returncode == 0
    report = json.loads(proc.stdout)
    assert states(report)["gov-contract-end-active user:u-04"] == "updated"
    assert report["baseline"]["updated"] == 1 and report["baseline"]["matched"] == 3


def test_a_baseline_of_another_partner_is_refused(tmp_path):
    other = report_dict(YEAR1)
    other["snapshot"]["siret"] = "26970999400017"
    base = write_json(tmp_path / "other.json", other)
    proc = cli(
        "check", YEAR2["snapshot"], "--as-of", YEAR2["as_of"], "--baseline", base, "--lang", "en"
    )
    assert proc.returncode == 2 and proc.stdout == ""
    [line] = error_lines(proc)
    assert line.startswith(f"{base}: baseline of another partner") and "26970999400017" in line


def test_a_baseline_of_another_fingerprint_version_is_refused(tmp_path):
    old = report_dict(YEAR1)
    old["fingerprint_version"] = 99
    proc = cli(
        "check",
        YEAR2["snapshot"],
        "--as-of",
        YEAR2["as_of"],
        "--baseline",
        write_json(tmp_path / "b.json", old),
        "--lang",
        "en",
    )
    assert proc.returncode == 2 and "fingerprint version 99" in proc.stderr


def test_an_unreadable_baseline_stops_the_run_before_any_check(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"findings": []}', encoding="utf-8")
    proc = cli(
        "check", YEAR2["snapshot"], "--as-of", YEAR2["as_of"], "--baseline", bad, "--lang", "en"
    )
    assert proc.returncode == 2 and proc.stdout == ""
    assert error_lines(proc)[0].startswith(f"{bad}: is not a cdap-policy JSON report")


@pytest.mark.slow
def test_a_baseline_of_several_partners_gives_each_snapshot_its_own(tmp_path):
    hospital = {"snapshot": "fixtures/hopital-2025-hebergeur.yaml", "as_of": "2026-06-30"}
    base = write_json(tmp_path / "both.json", [report_dict(hospital), report_dict(YEAR2)])
    proc = cli(
        "check",
        YEAR2["snapshot"],
        hospital["snapshot"],
        "--as-of",
        "2026-06-30",
        "--baseline",
        base,
        "--format",
        "json",
    )
    reports = json.loads(proc.stdout)
    assert [r["baseline"]["new"] for r in reports] == [
        0,
        0,
    ]  # each matched against its own partner's report
    assert all(r["baseline"]["matched"] == len(r["findings"]) for r in reports)


def test_a_baseline_never_makes_an_error_pass():
    """An `error` finding is known in the baseline: it still fails (nothing is
    presumed compliant).
    """
    report = check_report(YEAR2["snapshot"], YEAR2["as_of"], find_waivers=False)
    probe = Finding(
        rule_id="zz-probe",
        requirements=("GOV-NOMINATIVE",),
        severity="low",
        status="error",
        entity_kind="user",
        entity_key="u-01",
        entity_label="u-01",
        file="x.yaml",
        line=1,
        title={"fr": "t", "en": "t"},
        message={"fr": "m", "en": "m"},
        remediation={"fr": "", "en": ""},
        references=(),
    )
    report.findings.append(probe)
    known = report.to_dict()
    marked = baseline.mark(report, [known], "b.json")
    assert {f.rule_id: f.baseline_state for f in marked.findings}["zz-probe"] == "unchanged"
    assert marked.exit_code("critical") == 1


def test_select_refuses_with_a_line_naming_the_file():
    report = check_report(YEAR2["snapshot"], YEAR2["as_of"], find_waivers=False)
    other = report_dict(YEAR1)
    other["snapshot"]["siret"], other["snapshot"]["partner"] = "", "Autre CCAS"
    with pytest.raises(InputError) as caught:
        baseline.select([other], report, "old.json")
    assert (
        caught.value.problems[0]
        .render("fr")
        .startswith("old.json: référence d'un autre partenaire")
    )


def test_a_partner_the_baseline_does_not_hold_is_new_in_a_run_over_several_snapshots(tmp_path):
    """The CI gate over a folder: a change that adds a partner's snapshot is judged on all its
    findings (new), the partners the baseline holds on what changed only."""
    hospital = "fixtures/hopital-2025-hebergeur.yaml"
    base = write_json(tmp_path / "y2.json", report_dict(YEAR2))
    proc = cli(
        "check",
        YEAR2["snapshot"],
        hospital,
        "--as-of",
        YEAR2["as_of"],
        "--baseline",
        base,
        "--format",
        "json",
    )
    assert proc.returncode == 1, proc.stderr
    known, added = json.loads(proc.stdout)
    assert known["baseline"]["new"] == 0 and known["baseline"]["matched"] == len(known["findings"])
    assert added["baseline"]["partner_absent"] is True and added["baseline"]["matched"] == 0
    assert added["findings"] and {f["baseline_state"] for f in added["findings"]} == {"new"}
    assert "baseline-partner-absent" in {n["code"] for n in added["notices"]}
