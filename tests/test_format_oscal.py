"""OSCAL assessment results: valid against the official OSCAL 1.0.6 schema for every fixture,
one finding per requirement, one observation per failing finding, deterministic UUIDs."""

import base64
import json
import uuid

import jsonschema
import pytest
import regex
from format_support import fixture_ids, options, report, schema, varied_report
from helpers import FIXTURES, pack
from jsonschema import validators

from cdap_policy.formatters import oscal, render
from cdap_policy.pipeline.check import CheckOptions, check_snapshot


def _pattern(validator, pattern, instance, _schema):
    # OSCAL's patterns use Unicode classes (\p{L}) that Python's `re` lacks; `regex` reads them
    if validator.is_type(instance, "string") and not regex.search(pattern, instance):
        yield jsonschema.ValidationError(f"{instance!r} does not match {pattern!r}")


VALIDATOR = validators.extend(jsonschema.Draft7Validator, {"pattern": _pattern})(
    schema("oscal-1.0.6-assessment-results.schema.json")
)


def assert_valid(doc: dict):
    errors = sorted(VALIDATOR.iter_errors(doc), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message[:300]}" for e in errors[:10])


def oscal_of(reports, **kwargs) -> dict:
    return json.loads(render("oscal", reports, options(**kwargs)))


def all_uuids(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "uuid" or key.endswith("-uuid"):
                yield value
            yield from all_uuids(value)
    elif isinstance(node, list):
        for item in node:
            yield from all_uuids(item)


def test_the_validator_rejects_what_the_schema_forbids():
    # guards the `pattern` override: a token with a space and a missing field are both caught
    bad = {
        "assessment-results": {
            "uuid": str(uuid.uuid4()),
            "metadata": {
                "title": "t",
                "last-modified": "2025-06-30T00:00:00Z",
                "version": "1",
                "oscal-version": "1.0.6",
            },
            "import-ap": {"href": "#x"},
            "results": [
                {
                    "uuid": str(uuid.uuid4()),
                    "title": "t",
                    "description": "d",
                    "start": "2025-06-30T00:00:00Z",
                    "reviewed-controls": {
                        "control-selections": [
                            {"include-controls": [{"control-id": "not a token"}]}
                        ]
                    },
                }
            ],
        }
    }
    messages = [e.message for e in VALIDATOR.iter_errors(bad)]
    assert any("not a token" in m for m in messages)
    del bad["assessment-results"]["import-ap"]
    assert any("import-ap" in e.message for e in VALIDATOR.iter_errors(bad))


@pytest.mark.parametrize("name", fixture_ids())
def test_every_fixture_gives_valid_assessment_results(name):
    rep = report(name, include_passed=True)
    doc = oscal_of([rep])
    assert_valid(doc)
    ar = doc["assessment-results"]
    assert (
        ar["metadata"]["last-modified"] == f"{rep.as_of}T00:00:00Z"
    )  # from the report, not the clock
    assert ar["metadata"]["oscal-version"] == "1.0.6"
    (result,) = ar["results"]
    requirements = sorted({req for rule in rep.rules for req in rule["requirements"]})
    reviewed = [
        c["control-id"]
        for c in result["reviewed-controls"]["control-selections"][0]["include-controls"]
    ]
    assert reviewed == requirements
    assert [
        f["target"]["target-id"] for f in result["findings"]
    ] == requirements  # one finding per requirement
    failing = [f for f in rep.findings if f.status in ("fail", "error", "waived")]
    observations = {o["uuid"]: o for o in result.get("observations", [])}
    assert len(observations) == len(failing)  # one observation per failing finding
    fingerprints = {
        p["value"] for o in observations.values() for p in o["props"] if p["name"] == "fingerprint"
    }
    assert fingerprints == {f.fingerprint for f in failing}
    items = {i["uuid"] for i in result.get("local-definitions", {}).get("inventory-items", [])}
    for obs in observations.values():
        assert obs["methods"] == ["TEST"] and obs["collected"].endswith("Z")
        assert {s["subject-uuid"] for s in obs["subjects"]} <= items
        assert obs["relevant-evidence"][0]["href"].startswith(f"fixtures/{name}#L")
    for finding in result["findings"]:
        req = finding["target"]["target-id"]
        bad = [
            f
            for f in rep.findings
            if req in f.requirements and f.status in ("fail", "error", "waived")
        ]
        assert finding["target"]["status"]["state"] == ("not-satisfied" if bad else "satisfied")
        related = {r["observation-uuid"] for r in finding.get("related-observations", [])}
        assert related <= set(observations) and len(related) == len(bad)
    # import-ap points at the plan stub carried in the back matter
    href = ar["import-ap"]["href"]
    resource = next(r for r in ar["back-matter"]["resources"] if f"#{r['uuid']}" == href)
    plan = json.loads(base64.b64decode(resource["base64"]["value"]))
    assert plan["assessment-plan"]["reviewed-controls"]["control-selections"][0][
        "include-controls"
    ] == [{"control-id": r} for r in requirements]
    ids = list(all_uuids(doc))
    assert all(uuid.UUID(u).version == 5 for u in ids)
    declared = [
        ar["uuid"],
        result["uuid"],
        *observations,
        *(f["uuid"] for f in result["findings"]),
        *items,
    ]
    assert len(set(declared)) == len(declared)  # every object its own identity


@pytest.mark.slow
def test_same_reports_same_bytes_whatever_the_run():
    path = FIXTURES / "departement-2017.yaml"
    first = check_snapshot(pack(), path, CheckOptions(as_of="2025-06-30", include_passed=True))
    second = check_snapshot(pack(), path, CheckOptions(as_of="2025-06-30", include_passed=True))
    # two runs (their durations differ): nothing of the run itself may show in the document
    assert render("oscal", [first], options()) == render("oscal", [second], options())
    later = check_snapshot(pack(), path, CheckOptions(as_of="2025-07-01", include_passed=True))
    doc, doc_later = oscal_of([first]), oscal_of([later])
    assert (
        doc["assessment-results"]["uuid"] != doc_later["assessment-results"]["uuid"]
    )  # another assessment
    assert doc_later["assessment-results"]["metadata"]["last-modified"] == "2025-07-01T00:00:00Z"


def test_uuids_come_from_the_fixed_namespace_and_the_fingerprints():
    rep = report("hopital-2025-hebergeur.yaml", include_passed=True)
    doc = oscal_of([rep])
    (result,) = doc["assessment-results"]["results"]
    obs = result["observations"][0]
    fingerprint = next(p["value"] for p in obs["props"] if p["name"] == "fingerprint")
    key = "\x1f".join(
        (f"siret:{rep.siret}", rep.as_of, "all", "fixtures/hopital-2025-hebergeur.yaml")
    )
    assert obs["uuid"] == str(
        uuid.uuid5(oscal.NAMESPACE, "\x1f".join(("observation", key, fingerprint)))
    )


def test_waivers_are_approved_deviations_and_errors_not_satisfied():
    rep = varied_report()
    doc = oscal_of([rep], lang="en")
    assert_valid(doc)
    (result,) = doc["assessment-results"]["results"]
    waived = [f for f in rep.findings if f.status == "waived"]
    assert len(result["risks"]) == len(waived)
    assert {r["status"] for r in result["risks"]} == {"deviation-approved"}
    full = next(f for f in waived if f.waiver)
    risk = next(r for r in result["risks"] if full.entity_key in r["title"])
    assert full.waiver["justification"] in risk["statement"]
    error = next(f for f in rep.findings if f.status == "error")
    finding = next(
        f for f in result["findings"] if f["target"]["target-id"] == error.requirements[0]
    )
    assert finding["target"]["status"] == {"state": "not-satisfied", "reason": "fail"}


def test_several_snapshots_are_several_results_of_one_document():
    reps = [report(n, include_passed=True) for n in ("ccas-2025.yaml", "commune-t2-cafpro.yaml")]
    doc = oscal_of(reps)
    assert_valid(doc)
    results = doc["assessment-results"]["results"]
    assert len(results) == 2 and results[0]["uuid"] != results[1]["uuid"]
    assert {p["name"] for p in doc["assessment-results"]["metadata"]["parties"]} == {
        r.partner for r in reps
    }
