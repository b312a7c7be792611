"""--redact applies to every output format: no name, e-mail or phone number of the department
fixture in SARIF, JUnit, Markdown, HTML or OSCAL, passes included where a format lists them.

The report is checked and redacted once by the pipeline `check --redact` runs
(`pipeline.check.check_snapshot`), then written in every format. JUnit and OSCAL also receive the
passing outcomes from `check`; a separate test shows those carry no personal data in either
format (redacting the 7,000 outcomes of the 403-user department would only make this slow).
"""

import base64
import dataclasses
import html
import json

import pytest
import yaml
from format_support import options
from helpers import FIXTURES, pack
from test_privacy import AS_OF, personal_strings

from cdap_policy.formatters import render
from cdap_policy.pipeline.check import CheckOptions, check_snapshot
from cdap_policy.report.redact import DEFAULT_KEY

FORMATS = ("sarif", "junit", "markdown", "html", "oscal")


@pytest.fixture(scope="module")
def secrets():
    data = yaml.safe_load((FIXTURES / "departement-2017.yaml").read_text(encoding="utf-8"))
    return set(personal_strings(data))


@pytest.fixture(scope="module")
def redacted():
    return check_snapshot(
        pack(),
        FIXTURES / "departement-2017.yaml",
        CheckOptions(as_of=AS_OF, redact=True, redact_key=DEFAULT_KEY),
    )


def readable(fmt: str, text: str) -> str:
    """The report with its escapes undone (XML and HTML entities, JSON strings, OSCAL's base64)."""
    out = [html.unescape(text)]
    if fmt in ("sarif", "oscal"):
        out.append(json.dumps(json.loads(text), ensure_ascii=False))
    if fmt == "oscal":
        out += [
            base64.b64decode(r["base64"]["value"]).decode("utf-8")
            for r in json.loads(text)["assessment-results"]["back-matter"]["resources"]
        ]
    return "\n".join(out)


@pytest.mark.parametrize("fmt", FORMATS)
def test_redacted_reports_hold_no_personal_data(fmt, secrets, redacted):
    text = readable(fmt, render(fmt, [redacted], options()))
    leaked = sorted(s for s in secrets if s in text)
    assert leaked == [], f"{fmt}: {leaked[:5]}"
    assert "Personne-" in text


@pytest.mark.slow
def test_the_same_report_unredacted_does_name_people(secrets):
    """Guards the test above: these formats do carry the names when --redact is not given."""
    plain = check_snapshot(pack(), FIXTURES / "departement-2017.yaml", CheckOptions(as_of=AS_OF))
    for fmt in FORMATS:
        assert any(s in readable(fmt, render(fmt, [plain], options())) for s in secrets), fmt


def test_passing_outcomes_name_nobody_in_junit_and_oscal(secrets):
    full = check_snapshot(
        pack(), FIXTURES / "departement-2017.yaml", CheckOptions(as_of=AS_OF, include_passed=True)
    )
    passes = dataclasses.replace(
        full, findings=[f for f in full.findings if f.status in ("pass", "not_applicable")]
    )
    assert len(passes.findings) > 7000
    for fmt in ("junit", "oscal"):
        text = readable(fmt, render(fmt, [passes], options()))
        assert [s for s in secrets if s in text] == [], fmt
