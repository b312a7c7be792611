"""The compiled schema validator never accepts what jsonschema refuses.

`schema.validate` returns at once when the validator compiled from the schema (fastjsonschema)
accepts a document, and asks jsonschema, which words every error, otherwise. That is sound only
if the compiled validator is never more lenient than jsonschema: checked here on the fixtures,
the pack's own files, the hostile inputs and documents mutated at random (types swapped,
booleans for numbers, dates that do not exist, trailing newlines, unknown or missing fields).
"""

from __future__ import annotations

import copy
import random
from pathlib import Path

import pytest
from helpers import FIXTURES, POLICIES

from cdap_policy.load import schema
from cdap_policy.load.yamlsource import load_file
from cdap_policy.support.errors import InputError

HOSTILE = Path(__file__).resolve().parent / "hostile" / "inputs"
SCHEMAS = [
    "snapshot.schema.json",
    "policy.schema.json",
    "params.schema.json",
    "pack.schema.json",
    "requirements.schema.json",
    "checklist.schema.json",
    "policy-tests.schema.json",
    "waivers.schema.json",
]


def jsonschema_valid(data, name) -> bool:
    return not any(True for _ in schema.validator(name).iter_errors(data))


def agree(data, name) -> bool:
    """The compiled verdict, checked against jsonschema's: never valid where jsonschema is not."""
    fast = schema.compiled_validator(name)(data)
    if fast:
        assert jsonschema_valid(data, name), (
            f"{name}: the compiled validator accepts what jsonschema refuses: {str(data)[:300]}"
        )
    return fast


def documents():
    """(data, schema) for every YAML file we ship or test with, the schema it is meant for."""
    out = []
    for path in sorted(
        [
            *FIXTURES.rglob("*.yaml"),
            *(POLICIES / "tests").glob("base-*.yaml"),
            *HOSTILE.glob("*.y*ml"),
            *HOSTILE.glob("*.json"),
        ]
    ):
        if "waivers" in path.name:
            out.append((path, "waivers.schema.json"))
        elif path.name != "expected-findings.yaml":
            out.append((path, "snapshot.schema.json"))
    for path in sorted(POLICIES.glob("*.yaml")):
        name = {
            "pack.yaml": "pack.schema.json",
            "requirements.yaml": "requirements.schema.json",
            "checklist.yaml": "checklist.schema.json",
        }.get(path.name)
        out.append(
            (
                path,
                name
                or (
                    "policy-tests.schema.json"
                    if path.name.endswith(".tests.yaml")
                    else "policy.schema.json"
                ),
            )
        )
    out += [(path, "params.schema.json") for path in sorted((POLICIES / "params").glob("*.yaml"))]
    return out


def test_every_schema_of_ours_has_a_compiled_validator():
    for name in SCHEMAS:
        assert schema.compiled_validator(name) is not None, name


@pytest.mark.slow
@pytest.mark.parametrize("path,name", documents(), ids=lambda x: getattr(x, "name", x))
def test_the_two_validators_agree_on_every_file(path, name):
    try:
        data = load_file(path).data
    except InputError:
        pytest.skip("does not even load")
    fast = agree(data, name)
    if jsonschema_valid(data, name):  # the fast path is really taken for valid documents
        assert fast, f"{path}: valid, but the compiled validator refuses it"


MUTATIONS = [
    True,
    False,
    0,
    1,
    1.0,
    2.5,
    -1,
    2**63,
    "",
    "x",
    "FR\n",
    "2025-02-30",
    "2025-06-30T25:00",
    "T1",
    "T99",
    "12345678901234",
    None,
    [],
    {},
    ["x"],
    [1, 1],
    {"x": 1},
    "a" * 3000,
]


def mutate(data, rng: random.Random):
    """One random change somewhere in a copy of `data`."""
    data = copy.deepcopy(data)
    node, parents = data, []
    while isinstance(node, (dict, list)) and node and rng.random() < 0.8:
        key = rng.choice(list(node)) if isinstance(node, dict) else rng.randrange(len(node))
        parents.append((node, key))
        node = node[key]
    if not parents:
        return data
    parent, key = parents[-1]
    roll = rng.random()
    if roll < 0.15 and isinstance(parent, dict):
        del parent[key]
    elif roll < 0.25 and isinstance(parent, dict):
        parent[rng.choice(["extra", "unknown_field", key + "_x"])] = rng.choice(MUTATIONS)
    elif roll < 0.35 and isinstance(parent, list):
        parent.append(copy.deepcopy(parent[key]))  # a duplicate item
    else:
        parent[key] = copy.deepcopy(rng.choice(MUTATIONS))
    return data


@pytest.mark.slow
@pytest.mark.parametrize(
    "name,path",
    [
        ("snapshot.schema.json", FIXTURES / "ccas-2025.yaml"),
        ("snapshot.schema.json", FIXTURES / "departement-2017.yaml"),
        ("snapshot.schema.json", POLICIES / "tests" / "base-2025.yaml"),
        ("policy.schema.json", POLICIES / "quota.yaml"),
        ("params.schema.json", next(iter(sorted((POLICIES / "params").glob("*.yaml"))))),
        ("pack.schema.json", POLICIES / "pack.yaml"),
    ],
    ids=lambda x: getattr(x, "name", x),
)
def test_the_two_validators_agree_on_mutated_documents(name, path):
    data = load_file(path).data
    rng = random.Random(f"{name}:{path.name}")
    refused = 0
    for _ in range(300):
        mutated = mutate(data, rng)
        refused += not agree(mutated, name)
    assert refused > 30  # the mutations reach the refusals


def test_a_refused_document_gets_jsonschema_s_errors_in_our_words(tmp_path):
    from cdap_policy.load.snapshot import load_snapshot

    path = tmp_path / "s.yaml"
    text = (
        (FIXTURES / "ccas-2025.yaml")
        .read_text(encoding="utf-8")
        .replace("edition: 2025", "edition: 2026", 1)
    )
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as exc:
        load_snapshot(path)
    assert "/convention/edition" in str(exc.value) and "2026" in str(exc.value)


def test_without_the_compiled_validator_jsonschema_decides_alone(monkeypatch, tmp_path):
    from cdap_policy.load.snapshot import load_snapshot

    schema.compiled_validator.cache_clear()
    monkeypatch.setattr(schema.diskcache, "dist_version", lambda module, dist: None)
    try:
        assert schema.compiled_validator("snapshot.schema.json") is None
        assert load_snapshot(FIXTURES / "ccas-2025.yaml").data["partner"]
    finally:
        schema.compiled_validator.cache_clear()


def test_a_keyword_the_compiled_validator_would_misread_sends_the_schema_to_jsonschema():
    assert schema._compilable({"type": "object", "dependentRequired": {"a": ["b"]}}) is None
    assert (
        schema._compilable({"type": "array", "items": [{"type": "string"}]}) is None
    )  # draft 7's tuple form
    assert schema._compilable({"$ref": "https://elsewhere.example/s.json"}) is None
    # a $ref's siblings apply in 2020-12: they go beside it
    assert schema._compilable({"$ref": "#/$defs/a", "maxLength": 3, "description": "d"}) == {
        "description": "d",
        "allOf": [{"$ref": "#/$defs/a"}, {"maxLength": 3}],
    }
