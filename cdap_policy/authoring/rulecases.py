"""Run the rules' own test cases (`cdap-policy test`, and pytest through
tests/test_policy_cases.py).

A case is a snapshot fragment merged over the base snapshot of an edition, and the outcome
expected of one rule: overall and, optionally, per entity.
"""

from __future__ import annotations

import copy
import functools
import tempfile
from dataclasses import dataclass
from pathlib import Path

import yaml

from cdap_policy.evaluate.runner import evaluate
from cdap_policy.load import params as params_mod
from cdap_policy.load.pack import Pack, TestCase, confined
from cdap_policy.load.snapshot import load_snapshot
from cdap_policy.load.yamlsource import load_file
from cdap_policy.support.errors import InputError

DEFAULT_EDITION = 2025


@dataclass
class CaseResult:
    case: TestCase
    ok: bool
    detail: str
    statuses: dict[str, str]  # entity key -> status


def merge(base, fragment):
    """Mappings merge recursively; lists and scalars in the fragment replace the base."""
    if isinstance(base, dict) and isinstance(fragment, dict):
        out = dict(base)
        for key, value in fragment.items():
            out[key] = merge(base[key], value) if key in base else copy.deepcopy(value)
        return out
    return copy.deepcopy(fragment)


@functools.cache
def _read(path: Path) -> dict:
    # read once per run, not once per case; merge() never mutates what it is given
    return load_file(path).data


def base_snapshot(pack: Pack, edition: int) -> dict:
    return _read(confined(pack.directory, Path("tests") / f"base-{edition}.yaml"))


def _as_of(pack: Pack, case: TestCase) -> str:
    if case.as_of:
        return case.as_of
    return str(_read(confined(pack.directory, "pack.yaml")).get("test_as_of", "2025-06-30"))


def run_case(pack: Pack, case: TestCase, workdir: Path) -> CaseResult:
    edition = case.edition or DEFAULT_EDITION
    data = (
        case.snapshot if case.base == "none" else merge(base_snapshot(pack, edition), case.snapshot)
    )
    if case.base == "none" and case.edition:
        data = merge(data, {"convention": {"edition": edition}})
    path = workdir / f"{Path(case.file).stem}-{case.line}.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    display = f"{case.file}:{case.line}"
    try:
        snapshot = load_snapshot(path, display)
        values = pack.param_values
        if case.params:
            override = workdir / f"params-{case.line}.yaml"
            override.write_text(yaml.safe_dump(case.params), encoding="utf-8")
            values = params_mod.apply_overrides(values, override, pack.parameters)
        report = evaluate(
            pack,
            snapshot,
            _as_of(pack, case),
            stage=case.stage,
            rule_ids={case.rule},
            include_passed=True,
            param_values=values,
        )
    except InputError as exc:
        return CaseResult(
            case,
            False,
            "test input rejected: "
            + "; ".join(p.text("en") + (f" [{p.path}]" if p.path else "") for p in exc.problems),
            {},
        )
    statuses = {f.entity_key: f.status for f in report.findings if f.rule_id == case.rule}
    seen = set(statuses.values())
    problems = []
    if case.expect == "pass" and (seen & {"fail", "error"} or "pass" not in seen):
        problems.append("expected pass")
    elif case.expect == "fail" and "fail" not in seen:
        problems.append("expected at least one failure")
    elif case.expect == "error" and "error" not in seen:
        problems.append("expected an error")
    elif case.expect == "not_applicable" and seen - {"not_applicable"}:
        problems.append("expected no applicable entity")
    for key, expected in case.entities.items():
        got = statuses.get(key, "absent")
        if got != expected:
            problems.append(f"entity {key}: expected {expected}, got {got}")
    broken = sorted(
        {name for f in report.findings for name in f.evidence.get("evidence_errors", {})}
    )
    if broken:
        problems.append(f"evidence could not be evaluated: {', '.join(broken)}")
    if case.expect == "fail" and "error" in seen:
        problems.append("an entity raised an error")
    errors = [f.evidence.get("error") for f in report.findings if f.status == "error"]
    detail = "; ".join(problems)
    if problems:
        detail += (
            f" (got {dict(sorted(statuses.items()))}"
            + (f", errors: {errors[:2]}" if errors else "")
            + ")"
        )
    return CaseResult(case, not problems, detail, statuses)


def run_cases(pack: Pack, rule_ids: set[str] | None = None) -> list[CaseResult]:
    results = []
    with tempfile.TemporaryDirectory(prefix="cdap-policy-test-") as tmp:
        for case in pack.tests:
            if rule_ids is None or case.rule in rule_ids:
                results.append(run_case(pack, case, Path(tmp)))
    return results
