"""The CI outputs at the size of a Caf: 200 generated partners (benchmarks/generate.py, a third
with defects, two files that cannot be read, each partner's waivers beside it) checked once per
session in a pool of processes, as `check` does; then SARIF within GitHub's documented limits,
JUnit within GitLab's, a Code Quality report GitLab reads and annotations GitHub reads."""

import gzip
import json
import sys

import jsonschema
import pytest
from format_support import schema
from helpers import ROOT

from cdap_policy.formatters import FormatOptions, render

sys.path.insert(0, str(ROOT / "benchmarks"))
import generate  # noqa: E402

PARTNERS = 200
GITHUB = {
    "gzip_bytes": 10 * 1024 * 1024,
    "results": 25_000,
    "rules": 25_000,
    "locations": 1_000,
    "tags": 20,
}
GITLAB_JUNIT_BYTES = 30 * 1024 * 1024

pytestmark = (
    pytest.mark.large
)  # 200 partners take a minute on a shared machine: CI runs them (CI=true)


class _Holder:
    """A sink that keeps what the batch hands it: the reports and the files it could not read."""

    def __init__(self):
        self.reports, self.unreadable = [], []

    def add(self, outcome):
        self.reports.append(outcome.report)

    def add_unreadable(self, outcome):
        from cdap_policy.evaluate.findings import Unreadable

        self.unreadable.append(Unreadable.of(outcome.path, outcome.problems, outcome.internal))

    def abort(self):
        pass


@pytest.fixture(scope="session")
def caf(tmp_path_factory):
    """(reports, unreadable files, the folder, the summary) of 200 partners, checked once."""
    from cdap_policy.pipeline.batch import pool
    from cdap_policy.pipeline.batch.discover import discover
    from cdap_policy.pipeline.batch.run import check_batch
    from cdap_policy.pipeline.check import CheckOptions

    out = tmp_path_factory.mktemp("caf")
    manifest = generate.generate(
        out, PARTNERS, seed=21, violations=0.3, broken_count=2, max_users=40, validate=False
    )
    snapshots = out / manifest["snapshots"]
    waived = 0
    for entry in manifest[
        "partners"
    ]:  # the first defect of each defective partner is waived, as a Caf would
        if entry["defects"]:
            waived += 1
            (snapshots / entry["file"].replace(".yaml", ".waivers.yaml")).write_text(
                f'waivers:\n  - rule: {entry["defects"][0]["rule"]}\n    entity: "*"\n   '
                " justification: Mise en conformité en cours, validée par la Caf.\n   "
                ' approved_by: Service conformité\n    approved_on: "2025-06-01"\n   '
                ' expires_on: "2025-12-31"\n',
                encoding="utf-8",
            )
    paths, problems = discover([snapshots])
    assert not problems and len(paths) == PARTNERS + 2  # each waiver file stands for its snapshot
    options = FormatOptions(srcroot=str(out))
    setup = pool.Setup(
        None, None, "compiled", CheckOptions(as_of=manifest["as_of"]), "high", "sarif", options
    )
    holder = _Holder()
    summary = check_batch(paths, setup, 2, holder)
    assert summary.checked == PARTNERS and len(holder.unreadable) == 2
    assert (
        waived and sum((r.waivers or {}).get("applied", 0) for r in holder.reports) >= waived // 2
    )
    return holder.reports, tuple(holder.unreadable), out


def _render(fmt, caf, **kwargs):
    reports, unreadable, out = caf
    return render(fmt, reports, FormatOptions(srcroot=str(out), unreadable=unreadable, **kwargs))


@pytest.mark.slow
def test_one_sarif_run_within_githubs_limits(caf):
    reports, unreadable, _ = caf
    text = _render("sarif", caf)
    log = json.loads(text)
    assert not list(jsonschema.Draft4Validator(schema("sarif-2.1.0.schema.json")).iter_errors(log))
    assert len(log["runs"]) == 1  # GitHub refuses more than 20
    (run,) = log["runs"]
    assert len(gzip.compress(text.encode("utf-8"))) <= GITHUB["gzip_bytes"]
    assert len(run["results"]) == sum(len(r.listed()) for r in reports) <= GITHUB["results"]
    assert len(run["tool"]["driver"]["rules"]) <= GITHUB["rules"]
    assert all(len(r["locations"]) <= GITHUB["locations"] for r in run["results"])
    assert all(
        len(rule["properties"]["tags"]) <= GITHUB["tags"] for rule in run["tool"]["driver"]["rules"]
    )
    # every snapshot is an artifact, once; any other is a file a result points to (a
    # consultation log)
    uris = [a["location"]["uri"] for a in run["artifacts"]]
    assert len(set(uris)) == len(uris)
    described = [a for a in run["artifacts"] if "properties" in a]
    assert len(described) == len(reports)
    pointed = {
        loc["physicalLocation"]["artifactLocation"]["uri"]
        for r in run["results"]
        for loc in r["locations"]
    }
    others = set(uris) - {a["location"]["uri"] for a in described}
    assert len(others - pointed) == len(unreadable), sorted(others - pointed)
    keys = [r["partialFingerprints"]["primaryLocationLineHash"] for r in run["results"]]
    assert len(set(keys)) == len(keys)  # generated partners share user keys: alerts stay apart
    invocation = run["invocations"][0]
    assert invocation["executionSuccessful"] is False  # two files could not be read
    assert (
        sum(
            n["descriptor"]["id"] == "unreadable-snapshot"
            for n in invocation["toolExecutionNotifications"]
        )
        == 2
    )
    assert any("suppressions" in r for r in run["results"])


def test_junit_within_gitlabs_limit_with_every_outcome_counted(caf):
    from junitparser import Error, JUnitXml

    reports, unreadable, out = caf
    text = _render("junit", caf)
    assert len(text.encode("utf-8")) <= GITLAB_JUNIT_BYTES
    (out / "junit.xml").write_text(text, encoding="utf-8")
    xml = JUnitXml.fromfile(str(out / "junit.xml"))
    suites = list(xml)
    assert len(suites) == len(reports) + len(unreadable)
    assert sum(s.tests for s in suites) == sum(sum(r.counts.values()) for r in reports) + len(
        unreadable
    )
    written = sum(1 for s in suites for _ in s)
    assert written == sum(len(r.listed()) for r in reports) + len(
        unreadable
    )  # passes are counted, not written
    assert sum(
        isinstance(res, Error) for s in suites[-len(unreadable) :] for c in s for res in c.result
    ) == len(unreadable)


def test_a_code_quality_report_gitlab_reads(caf):
    reports, unreadable, _ = caf
    issues = json.loads(_render("codequality", caf))
    failing = sum(f.status in ("fail", "error") for r in reports for f in r.listed())
    assert len(issues) == failing + len(unreadable)
    assert len({i["fingerprint"] for i in issues}) == len(issues)
    for issue in issues:
        assert set(issue) >= {"description", "check_name", "fingerprint", "severity", "location"}
        assert issue["severity"] in ("info", "minor", "major", "critical", "blocker")
        assert (
            not issue["location"]["path"].startswith("/")
            and issue["location"]["lines"]["begin"] >= 1
        )


def test_github_annotations_most_severe_first(caf):
    lines = _render("github", caf).splitlines()
    commands = [line for line in lines if line.startswith("::")]
    levels = [line[2:].split(" ", 1)[0] for line in commands]
    assert levels[:2] == ["error", "error"]  # the unreadable files first
    order = {"error": 0, "warning": 1, "notice": 2}
    assert [order[level] for level in levels] == sorted(order[level] for level in levels)
    assert "GitHub" in lines[-1]  # the count, and where the annotations beyond ten per level are
