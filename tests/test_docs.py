"""The rule reference under docs/rules/ is generated from the pack and must be current."""

import pytest
from click.testing import CliRunner
from helpers import ROOT, pack

from cdap_policy.authoring.docs import MARKER, pages, stale, to_yaml
from cdap_policy.cli import cli
from cdap_policy.load.yamlsource import loads

DOCS = ROOT / "docs" / "rules"


def test_committed_reference_is_current():
    outdated = stale(DOCS, pages(pack()))
    assert outdated == [], (
        f"docs/rules is out of date ({', '.join(outdated)}): run `cdap-policy docs --output"
        " docs/rules`"
    )


def test_every_rule_in_both_languages_with_its_facts():
    generated = pages(pack())
    assert generated == pages(pack())  # deterministic
    for rule in pack().rules:
        for lang in ("fr", "en"):
            page = generated[f"{lang}/{rule.family.lower()}.md"]
            section = page.split(f'<a id="{rule.id}"></a>', 1)[1].split("<a id=", 1)[0]
            assert (
                rule.title[lang] in section
                and rule.severity in section
                and ", ".join(rule.stages) in section
            )
            assert all(req in section for req in rule.requirements)
            assert all(ref["article"] in section for ref in rule.references)
            assert all(case.name in section for case in pack().tests if case.rule == rule.id)
    assert all(text.startswith(MARKER) for text in generated.values())


def test_worked_examples_read_back_as_the_test_cases():
    for case in pack().tests:
        if case.snapshot:
            assert loads("\n".join(to_yaml(case.snapshot))).data == case.snapshot, case.name


@pytest.mark.cli
def test_docs_command_writes_and_checks(tmp_path):
    target = tmp_path / "rules"
    result = CliRunner().invoke(cli, ["docs", "--output", str(target)])
    assert result.exit_code == 0, result.output
    assert CliRunner().invoke(cli, ["docs", "--output", str(target), "--check"]).exit_code == 0
    page = target / "en" / "quota.md"
    page.write_text(page.read_text(encoding="utf-8") + "edited\n", encoding="utf-8")
    (target / "fr" / "gone.md").write_text(
        MARKER + "\n", encoding="utf-8"
    )  # a page of a family that no longer exists
    result = CliRunner().invoke(cli, ["docs", "--output", str(target), "--check"])
    assert result.exit_code == 1 and "quota.md" in result.output and "gone.md" in result.output
    assert CliRunner().invoke(cli, ["docs", "--output", str(target)]).exit_code == 0
    assert stale(target, pages(pack())) == [] and not (target / "fr" / "gone.md").exists()
