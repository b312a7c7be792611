"""Each partner is judged on the documents it signed, quoted as it signed them: for every rule,
edition and framework it runs on, a report cites at least one text, never a document of the other
framework, and a document both editions have in the report's own edition's words."""

import pytest
from helpers import FIXTURES, pack

from cdap_policy.evaluate.runner import cited, evaluate
from cdap_policy.load.snapshot import load_snapshot

MCP, CAFPRO = "mon_compte_partenaire", "cafpro"


def _cases():
    for rule in pack().rules:
        for framework in rule.frameworks:
            for edition in rule.editions:
                yield rule, edition, framework


def _cited(rule, edition, framework):
    p = pack()
    return cited(rule.references, edition, framework, p.source_editions, p.documents)


def test_every_rule_cites_a_text_wherever_it_runs():
    silent = [(r.id, e, f) for r, e, f in _cases() if not _cited(r, e, f)]
    assert silent == []


def test_a_report_cites_only_the_documents_of_its_framework():
    documents = pack().documents
    wrong = []
    for rule, edition, framework in _cases():
        for ref in _cited(rule, edition, framework):
            allowed = documents[ref["document"]].get("frameworks", (MCP, CAFPRO))
            if (
                framework not in allowed
                or (framework == CAFPRO and ref.get("source") in ("HR17", "COU25", "HR17-RPT"))
                or (framework == MCP and ref.get("source") == "SGL16")
            ):
                wrong.append((rule.id, edition, framework, ref["document"], ref.get("source")))
    assert wrong == []


def test_a_document_of_both_editions_is_cited_in_the_reports_own_words():
    """HR17 holds the 2017 convention, contrat and bulletin, COU25 the 2025 ones: a 2025 report
    cites
    HR17 only for the coordination convention, which COU25 does not have, and a 2017 report never
    cites COU25 or the 2025 attestation."""
    wrong = []
    for rule, edition, framework in _cases():
        if framework != MCP:
            continue
        for ref in _cited(rule, edition, framework):
            if (
                edition == 2025
                and ref.get("source") in ("HR17", "HR17-RPT")
                and ref["document"] != "COORD"
            ):
                wrong.append((rule.id, edition, ref["document"], ref["article"], ref["source"]))
            if edition == 2017 and (
                ref.get("source") == "COU25" or ref["document"] in ("BULL-2025", "ATTEST-T1")
            ):
                wrong.append((rule.id, edition, ref["document"], ref["article"], ref["source"]))
    assert wrong == []


def test_cafpro_findings_cite_the_cafpro_convention_not_the_haut_rhin_one():
    report = evaluate(
        pack(),
        load_snapshot(FIXTURES / "commune-t2-cafpro.yaml"),
        "2025-06-30",
        include_passed=True,
    )
    for finding in report.findings:
        # the CAFPRO convention, the partner's deliberation, the GDPR, and the Lyon
        # deliberation on the passage to CDAP
        assert {r["document"] for r in finding.references} <= {
            "CAFPRO",
            "DELIB",
            "RGPD",
            "LYO17",
        }, finding.rule_id
        assert all(r.get("source") in ("SGL16", "LYO17", None) for r in finding.references), (
            finding.rule_id
        )
    assert report.findings


@pytest.mark.parametrize(
    "rule_id",
    ["gov-info-allocataires", "gov-nominative-personal-account", "gov-opening-prerequisites"],
)
def test_a_2025_report_cites_its_own_convention(rule_id):
    rule = pack().rule(rule_id)
    refs = _cited(rule, 2025, MCP)
    assert refs and all(r.get("source") in ("COU25", None) for r in refs), refs
    assert not any(r["document"] == "CAFPRO" for r in refs)
