"""Facts the loader computes once per snapshot for what rules used to recompute in CEL: the
coordination convention's period, the control plan judged, and a recipient's safeguards in one
shape. Each agrees with the expression the rules wrote before, on random inputs."""

from __future__ import annotations

import random

import pytest
from helpers import base, pack, write

from cdap_policy.engines import make_engine, to_python
from cdap_policy.evaluate.facts import Context
from cdap_policy.evaluate.facts.convention import coordination_started_on, latest_control_plan
from cdap_policy.evaluate.facts.transfers import safeguards
from cdap_policy.load.pack import VARIABLES
from cdap_policy.load.snapshot import load_snapshot

# the expression coord-control-plan-content used before agg.latest_control_plan
PLAN_CEL = (
    "[control.control_plan.filter(p, has(p.validated_on) && p.validated_on <="
    " agg.documents_by)].map(v, v.size() > 0 ? v.filter(p, v.all(q, q.validated_on <="
    " p.validated_on))[0] : control.control_plan[control.control_plan.size() - 1])[0]"
)
# and coord-copil before agg.coordination_started_on
START_CEL = (
    "has(control.coordination_convention) && has(control.coordination_convention.signed_on) ?"
    ' control.coordination_convention.signed_on : ("T19" in agg.first_granted_by_profile ?'
    ' agg.first_granted_by_profile["T19"] : null)'
)


def _day(rng) -> str:
    return f"20{rng.randint(18, 26)}-{rng.randint(1, 12):02d}-{rng.choice([1, 15, 28]):02d}"


def test_the_plan_judged_is_the_one_the_rules_computed():
    engine = make_engine("compiled", VARIABLES, {})
    program = engine.compile(PLAN_CEL)
    rng = random.Random(23)
    for _ in range(300):
        plans = []
        for index in range(rng.randint(1, 4)):
            plan = {"reference": f"D-{index}"}
            if rng.random() < 0.7:
                plan["validated_on"] = rng.choice(
                    [_day(rng), "2024-03-01"]
                )  # ties on the same day too
            plans.append(plan)
        by = _day(rng)
        expected = to_python(
            program.evaluate(
                {
                    "control": engine.to_cel({"control_plan": plans}),
                    "agg": engine.to_cel({"documents_by": by}),
                }
            )
        )
        assert latest_control_plan({"control_plan": plans}, by) == expected


def test_no_plan_recorded_is_none():
    assert (
        latest_control_plan({}, "2025-06-30") is None
        and latest_control_plan({"control_plan": []}, "2025-06-30") is None
    )


@pytest.mark.parametrize(
    "control, first, started",
    [
        ({"coordination_convention": {"signed_on": "2019-03-01"}}, "2018-01-01", "2019-03-01"),
        (
            {"coordination_convention": {"number": "C-1"}},
            "2018-01-01",
            "2018-01-01",
        ),  # no signature: the first T19 grant
        ({}, None, None),
    ],
)
def test_the_coordination_convention_starts_at_its_signature_else_the_first_t19_grant(
    control, first, started
):
    engine = make_engine("compiled", VARIABLES, {})
    agg = {"first_granted_by_profile": {"T19": first} if first else {}}
    assert (
        to_python(
            engine.compile(START_CEL).evaluate(
                {"control": engine.to_cel(control), "agg": engine.to_cel(agg)}
            )
        )
        == started
    )
    assert coordination_started_on(control, first) == started


def test_the_period_ends_at_the_convention_s_end_or_the_evaluation_date(tmp_path):
    data = base(2025)
    data.setdefault("control", {})["coordination_convention"] = {
        "signed_on": "2020-01-10",
        "termination_notice_on": "2024-01-15",
    }
    snapshot = load_snapshot(write(tmp_path, data))
    agg = Context(snapshot, pack().param_values, "2025-06-30").agg
    assert agg["coordination_started_on"] == "2020-01-10"
    assert (
        agg["coordination_ended_on"] == "2024-07-15" == agg["coordination_period_end"]
    )  # six months' notice
    assert (
        Context(snapshot, pack().param_values, "2024-03-31").agg["coordination_period_end"]
        == "2024-03-31"
    )


def test_safeguards_in_one_shape():
    assert safeguards({}) == []
    assert safeguards(
        {"safeguard": {"kind": "standard_contractual_clauses", "reference": "SCC 2021"}}
    ) == [{"kind": "standard_contractual_clauses", "reference": "SCC 2021", "art14": False}]
    assert safeguards(
        {
            "safeguard": {"kind": "binding_corporate_rules"},
            "transfer_authorisation": {"cnil_deliberation": "2019-042", "granted_on": "2019-05-02"},
        }
    ) == [
        {"kind": "binding_corporate_rules", "art14": False},
        {
            "kind": "cnil_authorisation",
            "art14": True,
            "reference": "2019-042",
            "dated": "2019-05-02",
        },
    ]


def test_providers_and_data_stores_carry_their_safeguards(tmp_path):
    data = base(2025)
    data["subcontractors"] = [
        {
            "id": "p-1",
            "name": "Hébergeur",
            "country": "US",
            "transfer_authorisation": {
                "cnil_deliberation": "2019-042",
                "communicated_to_caf_on": "2019-06-01",
            },
        }
    ]
    data["data_stores"] = [
        {
            "id": "s-1",
            "kind": "extract",
            "country": "US",
            "safeguard": {"kind": "standard_contractual_clauses", "reference": "SCC"},
        }
    ]
    snapshot = load_snapshot(write(tmp_path, data))
    context = Context(snapshot, pack().param_values, "2025-06-30")
    provider = next(e for e in context.collection("subcontractors") if e.key == "p-1")
    assert provider.facts["safeguards"] == [
        {
            "kind": "cnil_authorisation",
            "art14": True,
            "reference": "2019-042",
            "communicated_to_caf_on": "2019-06-01",
        }
    ]
    assert context.collection("data_stores")[0].facts["safeguards"][0]["reference"] == "SCC"
