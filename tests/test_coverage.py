"""Traceability: the machine-readable catalogue matches the reference, every requirement has a
rule, every rule has passing and failing test cases."""

import re

import pytest
import yaml
from helpers import POLICIES, ROOT, pack

from cdap_policy.authoring.traceability import compute

CATALOGUE_MD = ROOT.parent / "shared" / "reference" / "requirements.md"


def catalogue_ids():
    data = yaml.safe_load((POLICIES / "requirements.yaml").read_text(encoding="utf-8"))
    return [r["id"] for r in data["requirements"]]


def test_ids_are_unique():
    ids = catalogue_ids()
    assert len(ids) == len(set(ids))


@pytest.mark.skipif(
    not CATALOGUE_MD.exists(), reason="reference catalogue not beside the repository"
)
def test_machine_readable_copy_matches_the_reference_catalogue():
    text = CATALOGUE_MD.read_text(encoding="utf-8")
    reference = re.findall(r"^\| ([A-Z]+(?:-[A-Z0-9]+)+) \|", text, flags=re.M)
    assert catalogue_ids() == reference


def test_every_rule_cites_known_requirements():
    ids = set(catalogue_ids())
    for rule in pack().rules:
        assert set(rule.requirements) <= ids, rule.id


def test_every_requirement_has_a_rule_with_passing_and_failing_cases():
    rows, problems = compute(pack())
    assert problems == []
    assert len(rows) == len(catalogue_ids())
