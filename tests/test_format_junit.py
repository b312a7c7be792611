"""JUnit XML, read back with junitparser (the JUnit reader CI tools share), for every fixture:
one suite per snapshot, one case per rule × entity that needs reading (every outcome with
--include-passed), every outcome counted, names unique and stable, file and line."""

import collections

import pytest
from format_support import fixture_ids, options, report, varied_report
from junitparser import Attr, Error, Failure, IntAttr, JUnitXml, Skipped, TestCase

from cdap_policy.formatters import render


class CdapCase(TestCase):
    """The attributes GitLab, Jenkins and pytest's writer add to a test case."""

    file = Attr()
    line = IntAttr()


def parse(text: str) -> JUnitXml:
    return JUnitXml.fromstring(text.encode("utf-8"))


def cases(suite) -> list[CdapCase]:
    return [CdapCase.fromelem(case._elem) for case in suite]


def assert_counts(suite, rep):
    """Every outcome counted in the suite's attributes, whether its case is written or not."""
    known = sum(
        f.status == "fail" and f.baseline_state in ("unchanged", "updated") for f in rep.findings
    )
    assert suite.tests == sum(rep.counts.values())
    assert suite.failures == rep.counts.get("fail", 0) - known and suite.errors == rep.counts.get(
        "error", 0
    )
    assert (
        suite.skipped == rep.counts.get("not_applicable", 0) + rep.counts.get("waived", 0) + known
    )
    props = {p.name: p.value for p in suite.properties()}
    assert int(props["passed"]) == rep.counts.get("pass", 0) and int(
        props["not_applicable"]
    ) == rep.counts.get("not_applicable", 0)


@pytest.mark.parametrize("include_passed", [False, True], ids=["default", "include-passed"])
@pytest.mark.parametrize("name", fixture_ids())
def test_every_fixture_gives_one_suite_and_a_case_per_rule_and_entity(name, include_passed):
    rep = report(name, include_passed=True)
    xml = parse(render("junit", [rep], options(include_passed=include_passed)))
    suites = list(xml)
    assert len(suites) == 1
    suite = suites[0]
    assert suite.name == f"fixtures/{name}"
    outcomes = {(f.rule_id, f"{f.entity_kind} {f.entity_key}"): f for f in rep.findings}
    written = {
        key: f
        for key, f in outcomes.items()
        if include_passed or f.status in ("fail", "error", "waived")
    }
    got = cases(suite)
    keys = [(case.classname, case.name) for case in got]
    assert len(keys) == len(set(keys)) == len(written)  # GitLab drops duplicates
    assert set(keys) == set(written)
    assert len(outcomes) == sum(rep.counts.values())
    assert_counts(suite, rep)
    assert suite.time is not None and suite.time >= 0
    for case in got:
        finding = outcomes[(case.classname, case.name)]
        assert case.file == f"fixtures/{name}" and case.line == finding.line >= 1
        kinds = [type(r) for r in case.result]
        if finding.status == "fail":
            assert kinds == [Failure]
            failure = case.result[0]
            assert failure.message == " ".join(finding.message["fr"].split())
            assert failure.type == finding.severity
            assert finding.remediation["fr"] in failure.text
            assert finding.references[0]["article"] in failure.text
        elif finding.status == "not_applicable":
            assert kinds == [Skipped] and case.result[0].message
        else:
            assert finding.status == "pass" and case.is_passed


def test_a_report_without_passes_gives_the_same_suite():
    """`check --format junit` keeps only what it writes: the counts alone say the rest."""
    full, lean = (
        report("departement-2017.yaml", include_passed=True),
        report("departement-2017.yaml"),
    )
    assert len(lean.findings) < len(full.findings) and lean.counts == full.counts
    assert render("junit", [lean], options()) == render("junit", [full], options()).replace(
        _seconds_attr(full), _seconds_attr(lean)
    )


def _seconds_attr(rep) -> str:
    return f'time="{max(rep.duration_s or 0.0, 0.0):.3f}"'


def test_an_unreadable_snapshot_is_an_error_case_naming_its_file_and_line():
    from cdap_policy.evaluate.findings import Unreadable
    from cdap_policy.support.errors import Problem

    bad = Unreadable.of(
        "fixtures/broken.yaml",
        [Problem("fixtures/broken.yaml", 12, "", {"fr": "YAML mal formé", "en": "malformed YAML"})],
    )
    for reports in ([report("ccas-2025.yaml")], []):
        xml = parse(render("junit", reports, options(unreadable=(bad,), lang="en")))
        suite = list(xml)[-1]
        assert suite.name == "fixtures/broken.yaml" and suite.errors == 1
        (case,) = cases(suite)
        assert case.file == "fixtures/broken.yaml" and case.line == 12
        assert [type(r) for r in case.result] == [Error]
        assert case.result[0].message == "fixtures/broken.yaml:12: malformed YAML"
        assert xml.errors == 1 + sum(r.counts.get("error", 0) for r in reports)


def test_a_rule_skipped_by_the_configuration_is_a_skipped_case():
    import dataclasses

    rep = report("ccas-2025.yaml")
    notice = {
        "code": "rule-skipped",
        "level": "warning",
        "rule": "gov-browser-supported",
        "message": {
            "fr": (
                "Règle gov-browser-supported non vérifiée : écartée par la configuration — parc"
                " renouvelé"
            ),
            "en": (
                "Rule gov-browser-supported not checked: skipped by the configuration — fleet"
                " renewed"
            ),
        },
    }
    suite = list(parse(render("junit", [dataclasses.replace(rep, notices=[notice])], options())))[0]
    case = next(c for c in cases(suite) if c.classname == "gov-browser-supported")
    assert case.name == "configuration" and [type(r) for r in case.result] == [Skipped]
    assert "parc renouvelé" in case.result[0].message
    assert suite.tests == sum(rep.counts.values()) + 1


def test_names_are_stable_across_runs_and_orders():
    first = parse(
        render(
            "junit",
            [report("departement-2017.yaml", include_passed=True)],
            options(include_passed=True),
        )
    )
    second = parse(
        render(
            "junit",
            [report("departement-2017.yaml", include_passed=True, as_of="2025-07-01")],
            options(include_passed=True),
        )
    )
    names = [
        sorted((c.classname, c.name) for c in suite) for suite in (list(first)[0], list(second)[0])
    ]
    assert names[0] == names[1]


def test_waived_error_and_english():
    rep = varied_report()
    xml = parse(render("junit", [rep], options(lang="en")))
    suite = list(xml)[0]
    by_key = {(c.classname, c.name): c for c in cases(suite)}
    assert len(by_key) == len(rep.listed())  # passes and « not applicable » only counted
    for finding in rep.listed():
        case = by_key[(finding.rule_id, f"{finding.entity_kind} {finding.entity_key}")]
        if finding.status == "waived":
            assert [type(r) for r in case.result] == [Skipped]
            if finding.waiver:
                assert finding.waiver["justification"] in case.result[0].message
                assert finding.waiver["ticket"] in case.result[0].text
        elif finding.status == "error":
            assert [type(r) for r in case.result] == [Error]
            assert case.result[0].message == " ".join(finding.message["en"].split())
        elif (
            finding.status == "fail" and finding.baseline_state == "unchanged"
        ):  # known: reported, not failed
            assert [type(r) for r in case.result] == [Skipped] and "baseline" in case.result[
                0
            ].message
        elif finding.line == 0:
            assert case.line == 1
    known = sum(
        f.status == "fail" and f.baseline_state in ("unchanged", "updated") for f in rep.findings
    )
    assert known == 1 and suite.errors == 1
    assert_counts(suite, rep)


def test_several_snapshots_give_a_suite_each_and_consistent_totals():
    reps = [
        report(n, include_passed=True) for n in ("ccas-2025.yaml", "metropole-2017-resiliee.yaml")
    ]
    xml = parse(render("junit", reps, options(include_passed=True)))
    suites = list(xml)
    assert [s.name for s in suites] == [
        "fixtures/ccas-2025.yaml",
        "fixtures/metropole-2017-resiliee.yaml",
    ]
    xml.update_statistics()  # junitparser recounts from the cases
    assert xml.tests == sum(sum(r.counts.values()) for r in reps)
    counts = collections.Counter(type(r).__name__ for s in suites for c in s for r in c.result)
    assert counts["Failure"] == sum(r.counts.get("fail", 0) for r in reps)


def test_values_from_the_snapshot_cannot_break_the_xml():
    rep = varied_report()
    text = render("junit", [rep], options())
    xml = parse(text)  # a hostile label or message is text, the document still parses
    messages = [r.message for s in xml for c in s for r in c.result if r.message]
    assert any("<script>" in m for m in messages)
