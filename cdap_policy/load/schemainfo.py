"""What the live snapshot schema allows, for the commands that write snapshots (`init`,
`import-users`): the values of an enumeration, and whether one field's value would validate.

Read at run time from `schemas/snapshot.schema.json`, so a kind, a mission or a status added
there is offered and accepted without touching the code.
"""

from __future__ import annotations

import copy
import json
from functools import cache, lru_cache

import jsonschema

from cdap_policy.load.schema import schema_path, validator

SNAPSHOT_SCHEMA = "snapshot.schema.json"


@cache
def _schema() -> dict:
    return json.loads(schema_path(SNAPSHOT_SCHEMA).read_text(encoding="utf-8"))


def node(pointer: str) -> dict:
    """The schema node at a JSON pointer (« /$defs/user/properties/status »), following `$ref`s."""
    current = _schema()
    for part in [p for p in pointer.split("/") if p]:
        current = _deref(current)[part]
    return _deref(current)


def _deref(current: dict) -> dict:
    seen = 0
    while isinstance(current, dict) and "$ref" in current and seen < 16:
        current, seen = node(current["$ref"].lstrip("#")), seen + 1
    return current


def enum(pointer: str) -> tuple:
    """The values an enumeration allows; () when the schema has no such enumeration."""
    try:
        return tuple(node(pointer)["enum"])
    except (KeyError, TypeError):
        return ()


def properties(pointer: str) -> tuple:
    """The property names of an object, in the schema's order (the order files are written in)."""
    try:
        return tuple(node(pointer)["properties"])
    except (KeyError, TypeError):
        return ()


@cache
def _skeleton() -> dict:
    """The smallest snapshot the schema accepts, with one user: a field is judged inside it."""
    return {
        "partner": {"name": "x", "kind": enum("/properties/partner/properties/kind")[0]},
        "convention": {"edition": enum("/properties/convention/properties/edition")[0]},
        "users": [{"id": "x", "profiles": [], "status": enum("/$defs/user/properties/status")[0]}],
    }


def _pointer(path: tuple) -> str:
    return "".join("/items" if isinstance(key, int) else f"/properties/{key}" for key in path)


@cache
def _leaf_validator(pointer: str):
    """A validator of the node alone when it needs nothing around it (no `$ref` inside): checking
    an e-mail address per row of a 2,000-row staff list must not validate a document each time."""
    try:
        sub = node(pointer)
    except (KeyError, TypeError):
        return None
    if "$ref" in json.dumps(sub):
        return None
    return jsonschema.Draft202012Validator(
        sub, format_checker=validator(SNAPSHOT_SCHEMA).format_checker
    )


def field_ok(path: tuple, value) -> bool:
    """Would the schema accept `value` at `path` (("partner", "siret"), ("users", 0, "email"))?
    Formats (SIRET checksum, dates, e-mail) included."""
    leaf = _leaf_validator(_pointer(path))
    if leaf is not None:
        return leaf.is_valid(value)
    return _in_skeleton(tuple(path), json.dumps(value, sort_keys=True))


@lru_cache(maxsize=4096)  # the same profile codes come back on every row
def _in_skeleton(path: tuple, encoded: str) -> bool:
    value = json.loads(encoded)
    data = copy.deepcopy(_skeleton())
    target = data
    for key in path[:-1]:
        target = target[key] if isinstance(key, int) else target.setdefault(key, {})
    target[path[-1]] = value
    return not any(
        tuple(e.absolute_path)[: len(path)] == tuple(path)
        for e in validator(SNAPSHOT_SCHEMA).iter_errors(data)
    )
