"""Shared by the output-format tests: the report of every shipped fixture (computed once), reports
carrying every status and field a formatter must handle, and the official schemas."""

from __future__ import annotations

import dataclasses
import functools
import json
from pathlib import Path

import yaml
from helpers import FIXTURES, ROOT, pack  # noqa: F401 (ROOT: re-exported)

from cdap_policy.formatters import FormatOptions
from cdap_policy.pipeline.check import CheckOptions, check_snapshot

SCHEMAS = Path(__file__).resolve().parent / "schemas"
AS_OF = "2025-06-30"


def fixture_paths() -> list[Path]:
    """Every shipped snapshot: the fixtures test_fixtures.py pins (sub-folders hold
    scenario files).
    """
    return sorted(p for p in FIXTURES.glob("*.yaml") if p.name != "expected-findings.yaml")


def fixture_ids() -> list[str]:
    return [str(p.relative_to(FIXTURES)) for p in fixture_paths()]


@functools.cache
def report(name: str, include_passed: bool = False, as_of: str | None = None):
    path = FIXTURES / name
    taken_on = ((yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("snapshot") or {}).get(
        "taken_on"
    )
    # an absolute path: formatters make it relative to the repository root whatever the
    # current folder
    return check_snapshot(
        pack(),
        path,
        CheckOptions(as_of=as_of or str(taken_on or AS_OF)[:10], include_passed=include_passed),
    )


def options(**kwargs) -> FormatOptions:
    return FormatOptions(**{"srcroot": str(ROOT), **kwargs})


WAIVER = {
    "approved_by": "Service conformité de la Caf",
    "justification": "Avenant en cours de signature (réf. AV-2025-07).",
    "approved_on": "2025-05-02",
    "expires_on": "2025-12-31",
    "ticket": "CAF-1234",
}


def varied_report():
    """The hospital fixture with one finding of each kind a formatter must render: waived (with a
    full waiver, and one without any), error, a baseline state, no line, and a hostile label."""
    base = report("hopital-2025-hebergeur.yaml", include_passed=True)
    failing = [f for f in base.findings if f.status == "fail"]
    assert len(failing) >= 5, "the hospital fixture carries at least five failures"
    changed = {
        failing[0].fingerprint: dict(status="waived", waiver=dict(WAIVER)),
        failing[1].fingerprint: dict(status="waived", waiver=None),
        failing[2].fingerprint: dict(status="error", evidence={"error": "no such key: 'ends_on'"}),
        failing[3].fingerprint: dict(baseline_state="new", line=0),
        failing[4].fingerprint: dict(
            baseline_state="unchanged",
            entity_label="<script>alert('x')</script> & co",
            message={
                "fr": "Valeur <script>alert('x')</script> | *gras* `code`",
                "en": "Value <script>alert('x')</script> | *bold* `code`",
            },
        ),
    }
    findings = [dataclasses.replace(f, **changed.get(f.fingerprint, {})) for f in base.findings]
    counts = {}
    for f in findings:
        counts[f.status] = counts.get(f.status, 0) + 1
    return dataclasses.replace(
        base,
        findings=findings,
        counts=counts,
        baseline={"file": "baseline.json", "matched": 1},
        waivers={"file": "waivers.yaml", "applied": 2, "expired": 0, "stale": 0},
    )


@functools.cache
def schema(name: str) -> dict:
    return json.loads((SCHEMAS / name).read_text(encoding="utf-8"))
