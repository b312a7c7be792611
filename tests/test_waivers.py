"""Waivers (`check --waivers FILE`, `<snapshot>.waivers.yaml`): a matching failure becomes
`waived` and stops counting for the exit code; an expired waiver and a stale one are each
reported; a waiver never hides an `error`; a malformed waiver file stops the run with file:line."""

from __future__ import annotations

import json
import shutil
import textwrap

import pytest
import yaml
from compare_support import YEAR2, check_report, cli, error_lines
from helpers import POLICIES, ROOT, pack

from cdap_policy.formatters import REPORT_FORMATS
from cdap_policy.report import waivers
from cdap_policy.support.errors import InputError

EXAMPLE = ROOT / "fixtures" / "annual-review" / "ccas-year2-waivers.yaml"
BASE_2025 = POLICIES / "tests" / "base-2025.yaml"  # a compliant CCAS: u-1, u-2


def by_key(report) -> dict:
    return {
        f"{f.rule_id} {f.entity_kind}:{f.entity_key}": f
        for f in report.findings
        if f.status in ("fail", "error", "waived")
    }


@pytest.fixture(scope="module")
def year2():
    """Year 2 of the annual-review pair judged with the shipped example waiver file."""
    return check_report(YEAR2["snapshot"], YEAR2["as_of"], waivers=waivers.load(EXAMPLE))


def write_waivers(tmp_path, body: str, name: str = "w.yaml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return path


# -- the shipped example: one waiver applied, one expired, one stale -------------------------------


def test_a_matching_waiver_makes_the_finding_waived_and_keeps_it_visible(year2):
    plain = by_key(check_report(YEAR2["snapshot"], YEAR2["as_of"], find_waivers=False))
    waived = by_key(year2)["gov-contract-end-active user:u-04"]
    before = plain["gov-contract-end-active user:u-04"]
    assert (waived.status, before.status) == ("waived", "fail")
    assert (waived.severity, waived.message, waived.line) == (
        before.severity,
        before.message,
        before.line,
    )
    assert waived.waiver == {
        "id": "w-2026-01",
        "rule": "gov-contract-end-active",
        "requirement": None,
        "entity": "u-04",
        "justification": waived.waiver["justification"],
        "approved_by": "Hélène Roussel, directrice du CCAS",
        "approved_on": "2026-06-20",
        "expires_on": "2026-08-01",
        "ticket": "CCAS-RH-2026-041",
        "file": str(EXAMPLE),
        "line": 10,
    }
    assert waived.waiver["justification"].startswith("Avenant au contrat de Karim Benhamou")


def test_an_expired_and_a_stale_waiver_are_each_reported(year2):
    findings = by_key(year2)
    expired, stale = (
        findings["waiver-expired waiver:w-2025-07"],
        findings["waiver-stale waiver:w-2026-02"],
    )
    assert (expired.status, expired.severity, expired.file, expired.line) == (
        "fail",
        "medium",
        str(EXAMPLE),
        20,
    )
    assert (stale.status, stale.severity, stale.file, stale.line) == (
        "fail",
        "low",
        str(EXAMPLE),
        28,
    )
    assert (
        "expired on 2026-06-01" in expired.message["en"]
        and "1 finding(s) it covered count again" in expired.message["en"]
    )
    assert "matches no finding" in stale.message["en"]
    assert (
        expired.requirements == ()
        and expired.family == "WAIVER"
        and expired.evidence["ticket"] == "CCAS-2025-112"
    )
    # the finding the expired waiver covered is a failure again
    assert findings["elig-t1-attestation-current user:u-04"].status == "fail"


def test_counts_stay_consistent(year2):
    plain = check_report(YEAR2["snapshot"], YEAR2["as_of"], find_waivers=False)
    assert plain.counts["fail"] == 3 and plain.counts.get("waived", 0) == 0
    assert (
        year2.counts["fail"] == 3 - 1 + 2 and year2.counts["waived"] == 1
    )  # one waived, two waiver findings
    listed = [f.status for f in year2.findings]
    assert (
        listed.count("fail") == year2.counts["fail"]
        and listed.count("waived") == year2.counts["waived"]
    )
    assert year2.waivers == {
        "file": str(EXAMPLE),
        "found_next_to_snapshot": False,
        "waivers": 3,
        "applied": 1,
        "waived": 1,
        "expired": 1,
        "stale": 1,
        "pending": 0,
        "not_judged": 0,
        "refused_on_error": 0,
    }
    assert {"waiver-expired", "waiver-stale"} <= {r["id"] for r in year2.rules}


def test_waived_findings_do_not_count_for_the_exit_code(year2):
    threshold = 0  # critical
    assert not by_key(year2)["gov-contract-end-active user:u-04"].counts_for_exit(threshold)
    assert year2.exit_code("critical") == 0  # the only critical failure is waived
    # the attestation failure (high) counts again: the waiver that covered it has expired
    assert year2.exit_code("high") == 1


def test_cli_with_the_example_file(tmp_path):
    args = ["check", YEAR2["snapshot"], "--as-of", YEAR2["as_of"], "--waivers", EXAMPLE]
    assert (
        cli(
            "check", YEAR2["snapshot"], "--as-of", YEAR2["as_of"], "--fail-on", "critical"
        ).returncode
        == 1
    )
    assert cli(*args, "--fail-on", "critical").returncode == 0
    assert cli(*args).returncode == 1
    table = " ".join(
        cli(*args, columns=80).stdout.split()
    )  # the list layout, wrapped at 80 columns
    assert (
        "DÉROGÉ" in table
        and "Dérogation w-2026-01" in table
        and "approuvée par Hélène Roussel" in table
    )
    assert (
        f"Dérogations {EXAMPLE} : 3 dérogation(s), 1 constat(s) dérogé(s), 1 expirée(s), 1 sans"
        " objet" in table
    )
    report = json.loads(cli(*args, "--format", "json").stdout)
    assert report["waivers"]["waived"] == 1 and report["summary"]["by_status"]["waived"] == 1
    waived = [f for f in report["findings"] if f["status"] == "waived"]
    assert [f["waiver"]["id"] for f in waived] == ["w-2026-01"]


def test_baseline_and_waivers_together_gate_on_what_is_new(tmp_path):
    """The CI gate of the README: last year's report as baseline, this year's waiver file."""
    from compare_support import YEAR1, report_dict, write_json

    base = write_json(tmp_path / "y1.json", report_dict(YEAR1))
    args = ["check", YEAR2["snapshot"], "--as-of", YEAR2["as_of"], "--baseline", base]
    assert cli(*args).returncode == 1  # the new critical failure
    assert cli(*args, "--waivers", EXAMPLE).returncode == 0  # waived; the attestation one is known
    assert (
        cli(*args, "--waivers", EXAMPLE, "--fail-on", "medium").returncode == 1
    )  # the expired waiver is new


@pytest.mark.slow
@pytest.mark.parametrize("fmt", sorted(REPORT_FORMATS))
def test_every_report_format_renders_waiver_findings(fmt):
    proc = cli(
        "check", YEAR2["snapshot"], "--as-of", YEAR2["as_of"], "--waivers", EXAMPLE, "--format", fmt
    )
    assert proc.returncode == 1, proc.stderr
    assert "w-2025-07" in proc.stdout and "w-2026-02" in proc.stdout


def test_redact_pseudonymises_who_approved(tmp_path):
    proc = cli(
        "check",
        YEAR2["snapshot"],
        "--as-of",
        YEAR2["as_of"],
        "--waivers",
        EXAMPLE,
        "--redact",
        "--format",
        "json",
    )
    assert (
        "Roussel" not in proc.stdout
        and "Prigent" not in proc.stdout
        and "Benhamou" not in proc.stdout
    )
    report = json.loads(proc.stdout)
    waived = next(f for f in report["findings"] if f["status"] == "waived")
    assert (
        waived["waiver"]["approved_by"].startswith("Personne-")
        and waived["waiver"]["ticket"] == "CCAS-RH-2026-041"
    )


# -- found next to the snapshot
# -----------------------------------------------------------------------


def test_snapshot_waivers_file_is_found_and_named(tmp_path):
    snapshot = tmp_path / "ccas.yaml"
    shutil.copy(ROOT / YEAR2["snapshot"], snapshot)
    shutil.copy(EXAMPLE, tmp_path / "ccas.waivers.yaml")
    report = json.loads(
        cli("check", snapshot, "--as-of", YEAR2["as_of"], "--format", "json").stdout
    )
    assert report["waivers"]["file"] == str(tmp_path / "ccas.waivers.yaml")
    assert report["waivers"]["found_next_to_snapshot"] is True and report["waivers"]["waived"] == 1
    notice = next(n for n in report["notices"] if n["code"] == "waivers-found")
    assert str(tmp_path / "ccas.waivers.yaml") in notice["message"]["fr"]
    table = cli("check", snapshot, "--as-of", YEAR2["as_of"]).stdout
    assert "(trouvé à côté de l'instantané)" in table
    ignored = cli("check", snapshot, "--as-of", YEAR2["as_of"], "--no-waivers", "--format", "json")
    assert json.loads(ignored.stdout)["waivers"] is None
    other = write_waivers(
        tmp_path,
        """\
        waivers:
          - {rule: quota-headroom, entity: T1, justification: Avenant en cours,
             approved_by: Directrice,
             approved_on: "2026-06-01", expires_on: "2026-09-01"}
        """,
        "other.yaml",
    )
    explicit = json.loads(
        cli(
            "check", snapshot, "--as-of", YEAR2["as_of"], "--waivers", other, "--format", "json"
        ).stdout
    )
    assert (
        explicit["waivers"]["file"] == str(other)
        and explicit["waivers"]["found_next_to_snapshot"] is False
    )


def test_a_malformed_file_found_next_to_the_snapshot_stops_its_check(tmp_path):
    snapshot = tmp_path / "ccas.yaml"
    shutil.copy(ROOT / YEAR2["snapshot"], snapshot)
    write_waivers(tmp_path, "waivers:\n  - {rule: gov-dpo, entity: partner}\n", "ccas.waivers.yaml")
    proc = cli("check", snapshot, "--as-of", YEAR2["as_of"], "--lang", "en")
    assert proc.returncode == 2 and proc.stdout == ""
    assert error_lines(proc)[0].startswith(f"{tmp_path / 'ccas.waivers.yaml'}:2: [/waivers/0]")


# -- a malformed waiver file: exit 2, file:line
# -------------------------------------------------------


def test_the_schema_is_valid_and_describes_every_property():
    import jsonschema

    schema = json.loads((ROOT / "schemas" / "waivers.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    undescribed = []

    def walk(node, path):
        for name, sub in (node.get("properties") or {}).items():
            if not sub.get("description"):
                undescribed.append(f"{path}/{name}")
            walk(sub, f"{path}/{name}")
        for name, sub in (node.get("$defs") or {}).items():
            walk(sub, f"{path}/$defs/{name}")

    walk(schema, "")
    assert undescribed == []
    assert schema["$defs"]["waiver"]["required"] == [
        "entity",
        "justification",
        "approved_by",
        "approved_on",
        "expires_on",
    ]


GOOD = dict(
    rule="gov-dpo",
    entity="partner",
    justification="DPO mutualisé en cours de désignation",
    approved_by="Directrice du CCAS",
    approved_on="2026-01-05",
    expires_on="2026-12-31",
)


@pytest.mark.slow
@pytest.mark.parametrize(
    "change, where, fragment",
    [  # fragments: field names and values, not a library's wording
        ({"justification": None}, "[/waivers/0]", "'justification'"),
        ({"justification": "   "}, "[/waivers/0/justification]", "justification is blank"),
        ({"justification": ""}, "[/waivers/0/justification]", ""),
        ({"approved_by": None}, "[/waivers/0]", "'approved_by'"),
        ({"expires_on": None}, "[/waivers/0]", "'expires_on'"),
        ({"expires_on": "2026-02-30"}, "[/waivers/0/expires_on]", "'2026-02-30'"),
        ({"approved_on": "05/01/2026"}, "[/waivers/0/approved_on]", "'05/01/2026'"),
        ({"rule": None}, "[/waivers/0]", "'rule'"),
        (
            {"requirement": "GOV-DPO"},
            "[/waivers/0/requirement]",
            "give `rule` or `requirement`, not both",
        ),
        ({"expires_on": "2026-01-01"}, "[/waivers/0/expires_on]", "is not after approved_on"),
        ({"expires_on": "2027-01-06"}, "", "longer than the 12 months allowed (waiver_max_months)"),
        ({"entity": None}, "[/waivers/0]", "'entity'"),
        ({"reason": "typo of justification"}, "[/waivers/0/reason]", "'reason'"),
    ],
)
def test_a_malformed_waiver_stops_the_run_with_file_and_line(tmp_path, change, where, fragment):
    waiver = {**GOOD, **change}
    waiver = {k: v for k, v in waiver.items() if v is not None}
    path = tmp_path / "w.yaml"
    path.write_text(
        "# waivers\nwaivers:\n" + yaml.safe_dump([waiver], allow_unicode=True, sort_keys=False),
        encoding="utf-8",
    )
    lines = path.read_text(encoding="utf-8").splitlines()
    proc = cli("check", BASE_2025, "--as-of", "2026-06-30", "--waivers", path, "--lang", "en")
    assert proc.returncode == 2 and proc.stdout == "", proc.stderr
    problems = error_lines(proc)
    assert len(problems) == 1, problems
    location, _, rest = problems[0].partition(": ")
    file, line = location.rsplit(":", 1)
    assert file == str(path) and lines[int(line) - 1].strip(), problems  # a real line of the file
    assert rest.startswith(where) and fragment in rest, problems


@pytest.mark.parametrize(
    "text, fragment",
    [
        (
            "waivers:\n  - {rule: gov-dpo, entity: *, justification: x}\n",
            "",
        ),  # `*` unquoted: a YAML alias
        ("- rule: gov-dpo\n", "a waiver file is a mapping"),
        ("waivers:\n  - id: a\n    id: b\n", "'id'"),
        ("waiver: []\n", "'waiver'"),
    ],
)
def test_a_file_that_is_not_a_waiver_file(tmp_path, text, fragment):
    path = write_waivers(tmp_path, text)
    proc = cli("check", BASE_2025, "--as-of", "2026-06-30", "--waivers", path, "--lang", "en")
    assert proc.returncode == 2 and proc.stdout == ""
    assert error_lines(proc)[0].startswith(f"{path}:") and fragment in proc.stderr, proc.stderr


def test_duplicate_waivers_are_refused(tmp_path):
    path = write_waivers(
        tmp_path,
        """\
        waivers:
          - {rule: gov-dpo, entity: partner, justification: a, approved_by: b,
             approved_on: "2026-01-05", expires_on: "2026-03-01"}
          - {rule: gov-dpo, entity: partner, justification: c, approved_by: d,
             approved_on: "2026-01-05", expires_on: "2026-04-01"}
        """,
    )
    with pytest.raises(InputError) as caught:
        waivers.load(path)
    assert (
        caught.value.problems[0].render("en")
        == f"{path}:4: [/waivers/1] duplicate waiver 'gov-dpo:partner' (first on line 2)"
    )


@pytest.mark.slow
def test_the_length_cap_is_a_pack_parameter(tmp_path):
    path = write_waivers(
        tmp_path,
        """\
        waivers:
          - {rule: gov-dpo, entity: partner, justification: a, approved_by: b,
             approved_on: "2026-01-05", expires_on: "2026-06-30"}
        """,
    )
    assert (
        cli("check", BASE_2025, "--as-of", "2026-02-01", "--waivers", path).returncode == 0
    )  # under 12 months
    params = tmp_path / "params.yaml"
    params.write_text("waiver_max_months: 3\n", encoding="utf-8")
    proc = cli(
        "check",
        BASE_2025,
        "--as-of",
        "2026-02-01",
        "--waivers",
        path,
        "--params",
        params,
        "--lang",
        "en",
    )
    assert proc.returncode == 2
    assert error_lines(proc) == [
        f"{path}:3: [/waivers/0/expires_on] waiver 'gov-dpo:partner' runs from 2026-01-05 to"
        " 2026-06-30, longer than the 3 months allowed (waiver_max_months): expires_on 2026-04-05"
        " at the latest; no waiver is permanent"
    ]
    listing = cli("params", "--lang", "en").stdout
    assert "waiver_max_months" in listing


@pytest.mark.slow
def test_a_waiver_file_of_another_partner_is_refused(tmp_path):
    path = write_waivers(
        tmp_path,
        """\
        siret: "26970999400017"
        waivers: []
        """,
    )
    proc = cli("check", BASE_2025, "--as-of", "2026-02-01", "--waivers", path, "--lang", "en")
    assert proc.returncode == 2
    assert error_lines(proc)[0].startswith(
        f"{path}:1: [/siret] waivers granted to SIRET 26970999400017"
    )


# -- matching
# ---------------------------------------------------------------------------------------


def _apply(tmp_path, body: str, as_of: str = YEAR2["as_of"], **options):
    report = check_report(YEAR2["snapshot"], as_of, find_waivers=False, **options)
    every_rule = {r.id: list(r.requirements) for r in pack().rules}
    return report, waivers.apply(
        report, waivers.load(write_waivers(tmp_path, body)), 12, every_rule, pack().requirements
    )


def test_the_most_specific_waiver_applies(tmp_path):
    _, report = _apply(
        tmp_path,
        """\
        waivers:
          - {id: by-requirement, requirement: GOV-CONTRACT-END, entity: "*", justification: a,
             approved_by: b,
             approved_on: "2026-06-01", expires_on: "2026-09-01"}
          - {id: any-user, rule: gov-contract-end-active, entity: "*", justification: a,
             approved_by: b,
             approved_on: "2026-06-01", expires_on: "2026-09-01"}
          - {id: this-user, rule: gov-contract-end-active, entity: u-04, justification: a,
             approved_by: b,
             approved_on: "2026-06-01", expires_on: "2026-09-01"}
        """,
    )
    assert by_key(report)["gov-contract-end-active user:u-04"].waiver["id"] == "this-user"
    assert (
        report.waivers["applied"] == 1 and report.waivers["stale"] == 0
    )  # the others matched too: not stale


def test_a_requirement_and_star_waiver_covers_every_finding_of_the_requirement(tmp_path):
    _, report = _apply(
        tmp_path,
        """\
        waivers:
          - {requirement: ELIG-T1-ATTESTATION-CURRENT, entity: "*", justification: a,
             approved_by: b,
             approved_on: "2026-06-01", expires_on: "2026-09-01"}
        """,
    )
    statuses = {k: f.status for k, f in by_key(report).items()}
    assert statuses == {
        "elig-t1-attestation-current user:u-04": "waived",
        "gov-contract-end-active user:u-04": "fail",
        "quota-headroom profile:T1": "fail",
    }


def test_a_waiver_approved_after_the_evaluation_date_does_not_apply_yet(tmp_path):
    _, report = _apply(
        tmp_path,
        """\
        waivers:
          - {rule: gov-contract-end-active, entity: u-04, justification: a, approved_by: b,
             approved_on: "2026-07-01", expires_on: "2026-09-01"}
        """,
    )
    assert by_key(report)["gov-contract-end-active user:u-04"].status == "fail"
    assert report.waivers["pending"] == 1 and [n["code"] for n in report.notices] == [
        "waiver-pending"
    ]


def test_the_day_of_expires_on_the_waiver_no_longer_applies(tmp_path):
    body = """\
        waivers:
          - {rule: gov-contract-end-active, entity: u-04, justification: a, approved_by: b,
             approved_on: "2026-06-01", expires_on: "2026-06-30"}
        """
    _, on_the_day = _apply(tmp_path, body, as_of="2026-06-30")
    _, day_before = _apply(tmp_path, body, as_of="2026-06-29")
    assert by_key(on_the_day)["gov-contract-end-active user:u-04"].status == "fail"
    assert "waiver-expired waiver:gov-contract-end-active:u-04" in by_key(on_the_day)
    assert by_key(day_before)["gov-contract-end-active user:u-04"].status == "waived"


def test_a_waivers_state_on_a_day_is_pending_then_active_then_expired(tmp_path):
    loaded = waivers.load(
        write_waivers(
            tmp_path,
            """\
        waivers:
          - {rule: gov-contract-end-active, entity: u-04, justification: a, approved_by: b,
             approved_on: "2026-06-01", expires_on: "2026-06-30"}
        """,
        )
    )
    waiver = loaded.waivers[0]
    days = ("2026-05-31", "2026-06-01", "2026-06-29", "2026-06-30", "2027-01-01")
    assert [waiver.state(day) for day in days] == [
        "pending",
        "active",
        "active",
        "expired",
        "expired",
    ]


def test_a_waiver_for_an_unknown_rule_is_stale_with_a_suggestion(tmp_path):
    _, report = _apply(
        tmp_path,
        """\
        waivers:
          - {rule: gov-contract-end-actif, entity: u-04, justification: a, approved_by: b,
             approved_on: "2026-06-01", expires_on: "2026-09-01"}
        """,
    )
    stale = by_key(report)["waiver-stale waiver:gov-contract-end-actif:u-04"]
    assert (
        "is not in pack cdap-core" in stale.message["en"]
        and "did you mean: gov-contract-end-active" in stale.message["en"]
    )
    assert stale.evidence["reason"] == "unknown"


def test_a_waiver_whose_rule_did_not_run_is_not_judged(tmp_path):
    _, report = _apply(
        tmp_path,
        """\
        waivers:
          - {rule: gov-contract-end-active, entity: u-04, justification: a, approved_by: b,
             approved_on: "2026-06-01", expires_on: "2026-09-01"}
        """,
        stage="pre-signature",
    )
    assert not [f for f in report.findings if f.entity_kind == "waiver"]
    assert report.waivers["not_judged"] == 1 and report.waivers["stale"] == 0


# -- a waiver never hides an error
# ------------------------------------------------------------------------

PROBES = """\
family: GOV
rules:
  - id: zz-raises
    requirements: [GOV-NOMINATIVE]
    title: {fr: Sonde, en: Probe}
    severity: low
    stages: [pre-signature, opening, operation, annual-review]
    over: users
    check: entity.id
    message: {fr: "échec {key}", en: "failed {key}"}
    remediation: {fr: corriger, en: fix it}
    references:
      - {document: CONV, article: "art. 9.2", source: HR17}
  - id: zz-fails
    requirements: [GOV-NOMINATIVE]
    title: {fr: Sonde, en: Probe}
    severity: high
    stages: [pre-signature, opening, operation, annual-review]
    over: users
    check: "false"
    message: {fr: "échec {key}", en: "failed {key}"}
    remediation: {fr: corriger, en: fix it}
    references:
      - {document: CONV, article: "art. 9.2", source: HR17}
"""


def test_a_waiver_never_hides_an_error(tmp_path):
    pack = tmp_path / "pack"
    pack.mkdir()
    for name in ("pack.yaml", "requirements.yaml"):
        shutil.copy(POLICIES / name, pack / name)
    shutil.copytree(POLICIES / "params", pack / "params")
    (pack / "zz.yaml").write_text(PROBES, encoding="utf-8")
    path = write_waivers(
        tmp_path,
        """\
        waivers:
          - {requirement: GOV-NOMINATIVE, entity: "*", justification: every probe, approved_by: b,
             approved_on: "2025-06-01", expires_on: "2025-09-01"}
        """,
    )
    proc = cli(
        "check",
        BASE_2025,
        "--as-of",
        "2025-06-30",
        "--policies",
        pack,
        "--waivers",
        path,
        "--format",
        "json",
    )
    assert proc.returncode == 1, proc.stderr  # the errors still fail the run
    report = json.loads(proc.stdout)
    statuses = {(f["rule_id"], f["entity"]["key"]): f["status"] for f in report["findings"]}
    assert statuses == {
        ("zz-raises", "u-1"): "error",
        ("zz-raises", "u-2"): "error",
        ("zz-fails", "u-1"): "waived",
        ("zz-fails", "u-2"): "waived",
    }
    assert all(f["waiver"] is None for f in report["findings"] if f["status"] == "error")
    assert report["waivers"]["refused_on_error"] == 2 and report["waivers"]["stale"] == 0
    assert [n["code"] for n in report["notices"]].count("waiver-on-error") == 2
    only_failures = cli(
        "check", BASE_2025, "--as-of", "2025-06-30", "--policies", pack, "--waivers", path
    )
    assert only_failures.returncode == 1
