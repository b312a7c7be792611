"""Every rule's own test cases, run by pytest too (the same runner as `cdap-policy test`)."""

import tempfile
from pathlib import Path

import pytest
from helpers import pack

from cdap_policy.authoring.rulecases import run_case

CASES = pack().tests


@pytest.mark.parametrize("case", CASES, ids=[f"{c.rule}::{c.name}" for c in CASES])
def test_rule_case(case):
    with tempfile.TemporaryDirectory() as tmp:
        result = run_case(pack(), case, Path(tmp))
    assert result.ok, f"{case.file}:{case.line}: {result.detail}"


def test_a_wrong_expectation_is_detected():
    """The runner itself must be able to fail: flip one case's expectation."""
    import dataclasses

    case = next(c for c in CASES if c.expect == "fail")
    flipped = dataclasses.replace(case, expect="pass", entities={})
    with tempfile.TemporaryDirectory() as tmp:
        assert not run_case(pack(), flipped, Path(tmp)).ok
