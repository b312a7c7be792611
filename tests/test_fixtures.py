"""Each shipped fixture produces exactly the findings pinned in tests/expected/fixture-findings.yaml
(kept out of fixtures/, which holds snapshots only: `validate fixtures/*.yaml` checks them all).

When a rule changes on purpose, review the new findings one by one, then update the file.
"""

import pytest
import yaml
from helpers import FIXTURES, ROOT, pack

from cdap_policy.evaluate.runner import evaluate
from cdap_policy.load.snapshot import load_snapshot

EXPECTED = yaml.safe_load(
    (ROOT / "tests" / "expected" / "fixture-findings.yaml").read_text(encoding="utf-8")
)


@pytest.mark.parametrize("name", sorted(EXPECTED["fixtures"]))
def test_fixture_findings_are_pinned(name):
    spec = EXPECTED["fixtures"][name]
    report = evaluate(pack(), load_snapshot(FIXTURES / name), spec["as_of"])
    got = sorted(f"{f.status} {f.rule_id} {f.entity_kind}:{f.entity_key}" for f in report.listed())
    assert got == sorted(spec["findings"])
    assert report.summary()["by_status"]["error"] == 0


def test_every_fixture_is_pinned():
    shipped = {p.name for p in FIXTURES.glob("*.yaml")}
    assert shipped == set(EXPECTED["fixtures"])
