"""Pack parameters: numbers and lists from the documents, kept as data, overridable by a Caf.

A parameter file under `policies/params/` maps each name to `{value, description, source}`;
rules read `params.<name>`. An override file (`--params FILE`) is a plain mapping
`name: value` deep-merged over the defaults; an unknown name is an error, so that a typo
cannot silently leave the default in force.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path

from cdap_policy.errors import InputError, PolicyError, Problem, pointer
from cdap_policy.schema import validate
from cdap_policy.yamlsource import Document, load_file


@dataclass(frozen=True)
class Parameter:
    name: str
    value: object
    description: str
    source: str
    unit: str
    file: str
    line: int


def load_parameters(folder: Path) -> dict[str, Parameter]:
    params: dict[str, Parameter] = {}
    problems: list[Problem] = []
    for path in sorted(folder.glob("*.yaml")):
        doc = load_file(path)
        problems.extend(validate(doc, "params.schema.json"))
        if problems:
            continue
        for name, spec in doc.data["parameters"].items():
            line = doc.line_of(("parameters", name))
            if name in params:
                first = params[name]
                problems.append(Problem(doc.file, line, pointer(("parameters", name)), f"parameter {name!r} already defined in {first.file}:{first.line}"))
                continue
            params[name] = Parameter(name, spec["value"], spec["description"], spec.get("source", ""), spec.get("unit", ""), doc.file, line)
    if problems:
        raise PolicyError(problems)
    return params


def values(params: dict[str, Parameter]) -> dict:
    return {name: copy.deepcopy(p.value) for name, p in params.items()}


def apply_overrides(base: dict, override_file: str | Path) -> dict:
    """Deep-merge a user's override file over the default values; unknown names are errors."""
    doc = load_file(override_file)
    if doc.data is None:
        return base
    if not isinstance(doc.data, dict):
        raise InputError(Problem(doc.file, doc.line_of(()), "", "a parameter file must be a mapping name: value"))
    merged = copy.deepcopy(base)
    problems: list[Problem] = []
    _merge(merged, doc.data, (), doc, problems)
    if problems:
        raise InputError(problems)
    return merged


def _merge(target: dict, override: dict, path: tuple, doc: Document, problems: list[Problem]):
    for key, value in override.items():
        here = path + (key,)
        if key not in target:
            if path and isinstance(target, dict) and _is_open_map(target):
                target[key] = value  # maps keyed by code (quotas, countries) accept new keys
                continue
            problems.append(Problem(doc.file, doc.line_of(here), pointer(here), f"unknown parameter {'.'.join(map(str, here))!r}"))
            continue
        current = target[key]
        if isinstance(current, dict) and isinstance(value, dict):
            _merge(current, value, here, doc, problems)
        elif _kind(current) != _kind(value) and current is not None:
            problems.append(Problem(doc.file, doc.line_of(here), pointer(here), f"expected {_kind(current)}, got {_kind(value)}"))
        else:
            if isinstance(current, float) and isinstance(value, int) and not isinstance(value, bool):
                value = float(value)  # cel-python refuses to compare int with double
            target[key] = value


def _is_open_map(target: dict) -> bool:
    # A map whose values all share one shape (per-profile or per-country tables) can grow; so can a
    # map shipped empty for a Caf to fill (profile_data_categories).
    return len(target) == 0 or all(isinstance(v, dict) for v in target.values())


def _kind(value) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return "null"
