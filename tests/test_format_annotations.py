"""GitLab Code Quality (`--format codequality`) and GitHub workflow-command annotations
(`--format github`): every fixture, the fields each consumer reads, escaping, severities."""

import json
import re

import pytest
from format_support import fixture_ids, options, report, varied_report

from cdap_policy.formatters import github, render

CODE_CLIMATE_SEVERITIES = {"info", "minor", "major", "critical", "blocker"}
COMMAND = re.compile(r"^::(error|warning|notice) file=([^,:]+),line=(\d+),title=([^:]+)::(.*)$")


@pytest.mark.parametrize("name", fixture_ids())
def test_code_quality_for_every_fixture(name):
    rep = report(name)
    issues = json.loads(render("codequality", [rep], options()))
    failing = [f for f in rep.listed() if f.status in ("fail", "error")]
    assert len(issues) == len(failing)
    assert len({i["fingerprint"] for i in issues}) == len(issues)
    for issue, finding in zip(issues, failing, strict=True):
        assert issue["check_name"] == finding.rule_id and issue["type"] == "issue"
        assert issue["severity"] in CODE_CLIMATE_SEVERITIES
        assert issue["location"] == {"path": f"fixtures/{name}", "lines": {"begin": finding.line}}
        assert " ".join(finding.message["fr"].split()) in issue["description"]


def test_code_quality_severities_waivers_and_errors():
    rep = varied_report()
    issues = {
        i["fingerprint"]: i for i in json.loads(render("codequality", [rep], options(lang="en")))
    }
    from cdap_policy.formatters.common import located_fingerprint

    for finding in rep.listed():
        issue = issues.get(
            located_fingerprint(finding.fingerprint, "fixtures/hopital-2025-hebergeur.yaml")
        )
        if finding.status == "waived":
            assert issue is None  # GitLab has no suppressions: a waived finding is no issue
        elif finding.status == "error":
            assert (
                issue["severity"] == "blocker"
            )  # a rule that could not be evaluated is never a pass
        else:
            expected = {
                "critical": "blocker",
                "high": "critical",
                "medium": "major",
                "low": "minor",
                "info": "info",
            }
            assert issue["severity"] == expected[finding.severity]
            assert issue["location"]["lines"]["begin"] == max(finding.line, 1)


@pytest.mark.parametrize("name", fixture_ids())
def test_github_annotations_for_every_fixture(name):
    rep = report(name)
    lines = render("github", [rep], options()).splitlines()
    commands = [COMMAND.match(line) for line in lines[:-1]]
    assert all(commands), lines
    failing = [f for f in rep.listed() if f.status in ("fail", "error")]
    assert len(commands) == len(failing)
    assert {(m[2], int(m[3]), m[4].split(" ")[0]) for m in commands} == {
        (f"fixtures/{name}", f.line, f.rule_id) for f in failing
    }
    levels = {
        "critical": "error",
        "high": "error",
        "medium": "warning",
        "low": "notice",
        "info": "notice",
    }
    by_rule = {(f.rule_id, f.line): f for f in failing}
    for m in commands:
        finding = by_rule[(m[4].split(" ")[0], int(m[3]))]
        assert m[1] == ("error" if finding.status == "error" else levels[finding.severity])
        assert (
            "\n" not in m[5] and "%0A" in m[5]
        )  # message, remediation and references on their own lines
    assert "annotation" in lines[-1]


def test_workflow_command_escaping():
    assert github.data("50 %\r\nsuite") == "50 %25%0D%0Asuite"
    assert github.prop("a: b, c") == "a%3A b%2C c"
    line = github.command("error", "snapshots/a,b.yaml", 3, "rule (high) — user u:1", "x")
    assert line == "::error file=snapshots/a%2Cb.yaml,line=3,title=rule (high) — user u%3A1::x"


def test_github_known_findings_are_notices_and_waived_ones_are_left_out():
    rep = varied_report()
    lines = render("github", [rep], options(lang="en")).splitlines()
    titles = {
        COMMAND.match(line)[4]: COMMAND.match(line)[1] for line in lines if line.startswith("::")
    }
    known = next(f for f in rep.listed() if f.status == "fail" and f.baseline_state == "unchanged")
    assert any(
        t.startswith(f"{known.rule_id} (") and "known" in t and level == "notice"
        for t, level in titles.items()
    )
    for finding in rep.listed():
        if finding.status == "waived":
            assert not any(
                t.startswith(f"{finding.rule_id} (") and finding.entity_key in t for t in titles
            )
