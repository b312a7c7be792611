"""The reproductions of the legal reading of the GOV, SCOPE, RET and SUB families
(tests/repro/turn3/):
each gives, after the correction, the finding the reading says it should (rule, entity, status,
severity). Numbers are those of the reading's defects; C1-C7 its pre-signature checklist."""

import functools

import pytest
from helpers import FIXTURES, ROOT, pack

from cdap_policy.evaluate.runner import evaluate
from cdap_policy.load.snapshot import load_snapshot
from cdap_policy.pipeline.check import CheckOptions, check_loaded

REPRO = ROOT / "tests" / "repro" / "turn3"


@functools.cache
def _report(name: str, as_of: str, stage: str | None = None):
    path = (
        FIXTURES / name if name.endswith(".yaml") else REPRO / f"{name}.yaml"
    )  # a shipped fixture, or a reproduction
    return evaluate(pack(), load_snapshot(path), as_of, stage=stage, include_passed=True)


def outcome(name: str, as_of: str, rule: str, entity: str, stage: str | None = None):
    """(status, severity) of one rule on one entity; ("not_run", None) when the rule did not run."""
    for f in _report(name, as_of, stage).findings:
        if f.rule_id == rule and f.entity_key == entity:
            return f.status, f.severity
    return "not_run", None


def finding(name: str, as_of: str, rule: str, entity: str, stage: str | None = None):
    return next(
        f
        for f in _report(name, as_of, stage).findings
        if f.rule_id == rule and f.entity_key == entity
    )


# (review item, snapshot, as_of, rule, entity, expected (status, severity))
CASES = [
    # 1: access during the contractual notice is no breach; after it, it is
    (
        "1",
        "r1-metropole",
        "2025-04-30",
        "gov-term-no-access-after-end",
        "m-01",
        ("not_applicable", "critical"),
    ),
    ("1", "r1-metropole", "2025-04-30", "gov-term-notice", "partner", ("fail", "medium")),
    (
        "1",
        "r1-metropole",
        "2025-06-30",
        "gov-term-no-access-after-end",
        "m-01",
        ("fail", "critical"),
    ),
    # 2: under CAFPRO and in centralised mode the Caf removes; the partner notified; the delay
    # is the Caf's
    (
        "2",
        "r5-cafpro-caf-revokes-late",
        "2025-06-30",
        "gov-departure-removed",
        "u-4",
        ("not_run", None),
    ),
    (
        "2",
        "r5-cafpro-caf-revokes-late",
        "2025-06-30",
        "gov-departure-notified",
        "u-4",
        ("pass", "high"),
    ),
    (
        "2",
        "r5-cafpro-caf-revokes-late",
        "2025-06-30",
        "gov-departure-caf-removal",
        "u-4",
        ("fail", "info"),
    ),
    (
        "2",
        "r5b-mcp-centralised",
        "2025-06-30",
        "gov-departure-removed",
        "u-02",
        ("not_applicable", "critical"),
    ),
    (
        "2",
        "r5b-mcp-centralised",
        "2025-06-30",
        "gov-departure-caf-removal",
        "u-02",
        ("fail", "info"),
    ),
    # 3: the end of a fixed-term contract ends the entitlement; a consultation after it is reported
    ("3", "r19b-cdd-late-log", "2025-06-30", "scope-active-user", "u-04", ("fail", "critical")),
    (
        "3",
        "r19b-cdd-late-log",
        "2025-06-30",
        "gov-contract-end-active",
        "u-04",
        ("fail", "critical"),
    ),
    # 4: a sub-provider's work ends with its parent's contract
    (
        "4",
        "r13-chain-end",
        "2025-06-30",
        "ret-subcontractor-end-no-data",
        "hebergeur/sauvegarde",
        ("fail", "critical"),
    ),
    (
        "4",
        "r13-chain-end",
        "2025-06-30",
        "ret-subcontractor-end-deletion-recorded",
        "hebergeur/sauvegarde",
        ("fail", "medium"),
    ),
    # 5: an art. 49 derogation does not cover systematic backups in a third country
    (
        "5",
        "r14-art49",
        "2025-06-30",
        "sub-transfer-authorised",
        "hebergeur/sauvegarde",
        ("fail", "critical"),
    ),
    # 6: the CAFPRO T2 list is not applied to the 2025 bulletin's T2
    (
        "6",
        "r18-t2-2025",
        "2025-06-30",
        "scope-fields-within-profile",
        "ds-cantine",
        ("not_applicable", "medium"),
    ),
    # 8: a consultation is judged against the profile held on its day
    ("8", "r11-profile-history", "2025-03-31", "scope-active-user", "m-01", ("fail", "critical")),
    (
        "8",
        "r11-profile-history-recorded",
        "2025-03-31",
        "scope-active-user",
        "m-01",
        ("pass", "critical"),
    ),
    # 9: missing data is an error, never a proven breach
    ("9", "r12-no-status", "2025-03-31", "scope-rsa-window", "m-04", ("error", "critical")),
    ("9", "r12b-t19-no-status", "2025-03-31", "scope-rsa-window", "m-05", ("error", "critical")),
    (
        "9",
        "r12b-t19-no-status",
        "2025-03-31",
        "scope-t19-rsa-status",
        "m-05",
        ("error", "critical"),
    ),
    ("9", "r12c-t21-no-cmg", "2025-06-30", "scope-t21-cmg-request", "u-01", ("error", "critical")),
    # 10: the « lu et approuvé » request is CAFPRO's, the security briefing MCP's
    (
        "10",
        "r4-mcp-no-commitment",
        "2025-06-30",
        "gov-commitment-before-grant",
        "u-01",
        ("not_run", None),
    ),
    ("10", "r4-mcp-no-commitment", "2025-06-30", "gov-security-briefing", "u-01", ("pass", "high")),
    (
        "10",
        "r4b-cafpro-no-briefing",
        "2025-06-30",
        "gov-security-briefing",
        "u-1",
        ("not_run", None),
    ),
    # 12: in 2025 a new administrator is an amendment of annex 1, not the 2017 form
    (
        "12",
        "r8-2025-admin-change",
        "2025-06-30",
        "gov-admin-change-form",
        "adm-2",
        ("not_run", None),
    ),
    (
        "12",
        "r8-2025-admin-change",
        "2025-06-30",
        "gov-admin-change-amendment",
        "adm-2",
        ("fail", "medium"),
    ),
    # 13: a termination by the Caf with short notice is the Caf's
    (
        "13",
        "r2-caf-terminates",
        "2025-06-30",
        "gov-term-notice",
        "partner",
        ("not_applicable", "medium"),
    ),
    ("13", "r2-caf-terminates", "2025-06-30", "gov-term-caf-notice", "partner", ("fail", "info")),
    # 14: the Caf may take back the management (recorded: no finding)
    ("14", "r23-caf-takes-over", "2025-06-30", "gov-mode-in-practice", "partner", ("fail", "high")),
    (
        "14",
        "r23-caf-takes-over-recorded",
        "2025-06-30",
        "gov-mode-in-practice",
        "partner",
        ("pass", "high"),
    ),
    # 15: the provider notice runs from its use for this convention
    (
        "15",
        "r21-preexisting-provider",
        "2025-06-30",
        "sub-notice-delay",
        "hebergeur",
        ("pass", "medium"),
    ),
    # 16: homonyms are to confirm, not one person
    (
        "16",
        "r10-homonyms",
        "2025-06-30",
        "gov-nominative-unique-identity",
        "u-01",
        ("pass", "high"),
    ),
    ("16", "r10-homonyms", "2025-06-30", "gov-nominative-homonyms", "u-01", ("fail", "info")),
    # 17: a suspended account no longer gives access: a formal fault
    ("17", "r6-suspended", "2025-06-30", "gov-departure-removed", "u-02", ("pass", "critical")),
    (
        "17",
        "r6-suspended",
        "2025-06-30",
        "gov-departure-suspended-not-removed",
        "u-02",
        ("fail", "medium"),
    ),
    # 18: lost or stolen credentials are critical under both frameworks
    (
        "18",
        "r7-mcp-stolen",
        "2025-06-30",
        "gov-incident-credentials-reported",
        "inc-1",
        ("fail", "critical"),
    ),
    (
        "18",
        "r7-mcp-stolen",
        "2025-06-30",
        "gov-incident-reported",
        "inc-1",
        ("not_applicable", "high"),
    ),
    (
        "18",
        "r7b-cafpro-stolen",
        "2025-06-30",
        "gov-incident-credentials-reported",
        "inc-1",
        ("fail", "critical"),
    ),
    # 19: another agent's instructor number is advice, not a critical breach
    ("19", "r17-t4", "2025-06-30", "scope-t4-instructor-number", "m-02", ("pass", "critical")),
    ("19", "r17-t4", "2025-06-30", "scope-t4-own-instructor-number", "m-02", ("fail", "info")),
    # 20: the habilitation manager is the level-1 hotline by default
    ("20", "r3-no-support", "2025-06-30", "gov-support-l1", "partner", ("pass", "medium")),
    # 21: an FSL body that is an association is not a public body
    (
        "21",
        "r24-fsl-association",
        "2025-06-30",
        "gov-dpo-public-body",
        "partner",
        ("not_applicable", "high"),
    ),
    # 22: kept (the catalogue counts the service centre's opening hours), advice
    ("22", "r15-escalation", "2025-03-12", "gov-escalation", "tk-1", ("fail", "info")),
    # 23: 29 February has its anniversary on 28 February, like 31 January on 31 January
    ("23", "r16-feb29", "2025-03-31", "gov-term-cafpro-notice", "partner", ("pass", "medium")),
    ("23", "r16b-jan31", "2025-03-31", "gov-term-cafpro-notice", "partner", ("pass", "medium")),
    # 24: a « reverse review » by an ordinary user does not count
    (
        "24",
        "r25-review-by-user",
        "2026-04-15",
        "gov-reverse-review-performed",
        "partner",
        ("fail", "high"),
    ),
    # 25: a browser list eighteen months old cannot show Chrome 136 maintained
    (
        "25",
        "r26-stale-browser",
        "2026-12-31",
        "gov-browser-up-to-date",
        "partner",
        ("error", "medium"),
    ),
    # missing obligation: T19 only in the situations of the coordination convention
    (
        "T19 purposes",
        "r22-t19-purpose",
        "2025-06-30",
        "coord-t19-purpose",
        "m-05",
        ("fail", "high"),
    ),
]


@pytest.mark.slow
@pytest.mark.parametrize(
    "item,name,as_of,rule,entity,expected", CASES, ids=[f"{c[0]}-{c[1]}-{c[3]}" for c in CASES]
)
def test_the_reproduction_gives_the_corrected_finding(item, name, as_of, rule, entity, expected):
    assert outcome(name, as_of, rule, entity) == expected


def test_7_a_field_the_profile_does_not_give_is_a_provenance_to_establish():
    """The shipped CAFPRO commune keeps bank details in its T2 store: medium, and the remediation
    asks where they come from instead of « cesser de les extraire » only."""
    f = finding(
        "commune-t2-cafpro.yaml", "2025-06-30", "scope-fields-within-profile", "ds-familles"
    )
    assert (f.status, f.severity) == ("fail", "medium")
    assert "other_sources" in f.remediation["fr"] and "bank_details" in f.message["fr"]


def test_9_the_error_counts_the_rows_it_could_not_judge():
    f = finding("r12b-t19-no-status", "2025-03-31", "scope-t19-rsa-status", "m-05")
    assert (
        f.evidence["errors"] == 1
        and "statut du droit RSA" in f.message["fr"]
        and "1 consultation(s)" in f.message["fr"]
    )


def test_10_a_cafpro_request_is_not_asked_for_a_security_briefing():
    for user in ("u-1", "u-2", "u-3"):
        f = finding("r4b-cafpro-no-briefing", "2025-06-30", "gov-commitment-before-grant", user)
        assert "security_briefed_on" not in str(f.evidence) and "employer_signed_on" in str(
            f.evidence
        )


def test_11_a_cafpro_report_cites_only_cafpro_documents():
    report = _report("commune-t2-cafpro.yaml", "2025-06-30")
    for name in ("gov-nominative-personal-account", "gov-departure-notified"):
        rule = next(r for r in report.rules if r["id"] == name)
        assert {ref["document"] for ref in rule["references"]} == {"CAFPRO"}, name


def test_11_a_2025_report_cites_no_cafpro_annex_and_no_2017_text():
    report = _report("starter", "2026-01-15", "pre-signature")
    info = next(r for r in report.rules if r["id"] == "gov-info-allocataires")
    assert [(ref["document"], ref["source"]) for ref in info["references"]] == [("CONV", "COU25")]
    assert not [
        (r["id"], ref["source"])
        for r in report.rules
        for ref in r["references"]
        if ref.get("source") in ("HR17", "HR17-RPT") and ref["document"] != "COORD"
    ]


def test_26_the_inferred_legal_basis_is_a_formal_obligation():
    assert pack().rule("ret-local-copies-legal-basis").severity == "medium"


def test_27_the_two_readings_of_sans_delai_are_explained():
    parameters = pack().parameters
    assert "incident" in parameters["departure_notice_days"].description
    assert "departure_notice_days" in parameters["incident_report_hours"].description


def test_c2_c6_a_2017_partner_before_signing_is_asked_for_the_2017_documents():
    report = check_loaded(
        pack(),
        load_snapshot(REPRO / "r20-2017-presign.yaml"),
        CheckOptions(as_of="2017-05-01", stage="pre-signature"),
    )
    items = {item["id"]: item for item in report.checklist}
    assert "t1-diplomas" in items and "t1-attestation" not in items
    assert not any("2025" in ref for item in report.checklist for ref in item["references"])


def test_c4_c5_the_starter_is_asked_for_its_deliberation_and_supporting_documents():
    report = check_loaded(
        pack(),
        load_snapshot(REPRO / "starter.yaml"),
        CheckOptions(as_of="2026-01-15", stage="pre-signature"),
    )
    ids = [item["id"] for item in report.checklist]
    assert ids[0] == "deliberation" and "profile-supporting-documents" in ids
    assert outcome(
        "starter", "2026-01-15", "gov-supporting-documents-provided", "T19", "pre-signature"
    ) == ("fail", "medium")
