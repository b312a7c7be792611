"""Pack parameters: numbers and lists from the documents, kept as data, overridable by a Caf.

A parameter file under `policies/params/` maps each name to `{value, description, source}`;
rules read `params.<name>`. An override file (`--params FILE`) is a plain mapping
`name: value` deep-merged over the defaults; an unknown name is an error, so that a typo
cannot silently leave the default in force.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cdap_policy.load.schema import errors_of, schema_error, validate, value_validator
from cdap_policy.load.yamlsource import Document, load_file
from cdap_policy.support.errors import InputError, PolicyError, Problem, pointer
from cdap_policy.support.i18n import tr
from cdap_policy.support.textsafe import MAX_VALUE, excerpt


@dataclass(frozen=True)
class Parameter:
    name: str
    value: Any  # as the YAML gives it, checked against `schema`
    description: str
    source: str
    unit: str
    file: str
    line: int
    schema: dict = field(default_factory=dict, compare=False)
    value_line: int = 0  # line of the default value, for errors found in it


def load_parameters(folder: Path, files: list[Path] | None = None) -> dict[str, Parameter]:
    """The parameters of `folder`'s YAML files, or of `files` (the pack's, already
    confined to it).
    """
    params: dict[str, Parameter] = {}
    problems: list[Problem] = []
    for path in files if files is not None else sorted(folder.glob("*.yaml")):
        doc = load_file(path)
        problems.extend(validate(doc, "params.schema.json"))
        if problems:
            continue
        for name, spec in doc.data["parameters"].items():
            line = doc.line_of(("parameters", name))
            if name in params:
                first = params[name]
                problems.append(
                    Problem(
                        doc.file,
                        line,
                        pointer(("parameters", name)),
                        tr(
                            f"paramètre {name!r} déjà défini dans {first.file}:{first.line}",
                            f"parameter {name!r} already defined in {first.file}:{first.line}",
                        ),
                    )
                )
                continue
            param = Parameter(
                name,
                spec["value"],
                spec["description"],
                spec.get("source", ""),
                spec.get("unit", ""),
                doc.file,
                line,
                spec["schema"],
                doc.line_of(("parameters", name, "value")),
            )
            try:
                checker = value_validator(param.schema)
            except schema_error():
                problems.append(
                    Problem(
                        doc.file,
                        doc.line_of(("parameters", name, "schema")),
                        pointer(("parameters", name, "schema")),
                        tr("schéma de paramètre invalide", "invalid parameter schema"),
                    )
                )
                continue
            for at, message in errors_of(checker, param.value):  # `path` is the file's
                here = ("parameters", name, "value") + at
                problems.append(Problem(doc.file, doc.line_of(here), pointer(here), message))
            params[name] = param
    if problems:
        raise PolicyError(problems)
    return params


def values(params: dict[str, Parameter]) -> dict:
    return {name: copy.deepcopy(p.value) for name, p in params.items()}


def apply_overrides(
    base: dict, override_file: str | Path, parameters: dict[str, Parameter] | None = None
) -> dict:
    """Deep-merge a user's override file over the default values; unknown names are errors, and
    every value overridden must satisfy its parameter's schema (type, range, date and country
    formats, shape), so that `2025/01/01` is not compared as text and `-1` administrators refused.
    """
    doc = load_file(override_file)
    if doc.data is None:
        return base
    if not isinstance(doc.data, dict):
        raise InputError(
            Problem(
                doc.file,
                doc.line_of(()),
                "",
                tr(
                    "un fichier de paramètres est une table nom: valeur",
                    "a parameter file must be a mapping name: value",
                ),
            )
        )
    merged = copy.deepcopy(base)
    problems: list[Problem] = []
    _merge(merged, doc.data, (), doc, problems)
    broken = {p.path.split("/")[1] for p in problems if p.path}
    for name in doc.data:
        param = (parameters or {}).get(name)
        if param is None or name not in merged or name in broken:
            continue
        for path, message in errors_of(value_validator(param.schema), merged[name]):
            here = (name,) + path
            # the error is in the user's file when the path is there, else in a
            # default it merged with
            line = doc.lines.get(here) or doc.line_of(here)
            problems.append(Problem(doc.file, line, pointer(here), message))
    if problems:
        raise InputError(sorted(problems, key=lambda p: (p.line or 0, p.path)))
    return merged


def _merge(target: dict, override: dict, path: tuple, doc: Document, problems: list[Problem]):
    for key, value in override.items():
        here = path + (key,)
        if key not in target:
            if path and isinstance(target, dict) and _is_open_map(target):
                target[key] = value  # maps keyed by code (quotas, countries) accept new keys
                continue
            name = excerpt(".".join(map(str, here)), MAX_VALUE)
            problems.append(
                Problem(
                    doc.file,
                    doc.line_of(here),
                    pointer(here),
                    tr(f"paramètre inconnu {name}", f"unknown parameter {name}"),
                )
            )
            continue
        current = target[key]
        if isinstance(current, dict) and isinstance(value, dict):
            _merge(current, value, here, doc, problems)
        elif _kind(current) != _kind(value) and current is not None:
            expected, got = _kind(current), _kind(value)
            problems.append(
                Problem(
                    doc.file,
                    doc.line_of(here),
                    pointer(here),
                    tr(
                        f"on attend {expected[0]}, pas {got[0]}",
                        f"expected {expected[1]}, got {got[1]}",
                    ),
                )
            )
        else:
            # cel-python refuses to compare int with double: keep the default's kind of number
            if (
                isinstance(current, float)
                and isinstance(value, int)
                and not isinstance(value, bool)
            ):
                value = float(value)
            elif (
                isinstance(current, int)
                and not isinstance(current, bool)
                and isinstance(value, float)
                and value.is_integer()
            ):
                value = int(value)
            target[key] = value


def _is_open_map(target: dict) -> bool:
    # A map whose values all share one shape (per-profile or per-country tables) can grow; so can a
    # map shipped empty for a Caf to fill (profile_data_categories).
    return len(target) == 0 or all(isinstance(v, dict) for v in target.values())


def _kind(value) -> tuple[str, str]:
    if isinstance(value, bool):
        return ("un booléen", "a boolean")
    if isinstance(value, (int, float)):
        return ("un nombre", "a number")
    if isinstance(value, str):
        return ("un texte", "a string")
    if isinstance(value, list):
        return ("une liste", "a list")
    if isinstance(value, dict):
        return ("une table", "a mapping")
    return ("null", "null")
