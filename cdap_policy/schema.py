"""Validate documents against the project's JSON Schemas and report every error with its line."""
from __future__ import annotations

import datetime
import json
import re
from functools import lru_cache
from pathlib import Path

import jsonschema

from cdap_policy.errors import Problem, pointer
from cdap_policy.yamlsource import Document

SCHEMA_DIR = Path(__file__).resolve().parent.parent / "schemas"
_PACKAGED_SCHEMA_DIR = Path(__file__).resolve().parent / "schemas"

_SIRET = re.compile(r"^\d{14}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$")


def siret_ok(value: str) -> bool:
    """SIRET: 14 digits and a Luhn checksum; La Poste's establishments (SIREN 356000000)
    use a digit-sum-multiple-of-5 rule instead."""
    digits = value.replace(" ", "")
    if not _SIRET.match(digits):
        return False
    if digits.startswith("356000000"):
        return sum(int(d) for d in digits) % 5 == 0
    total = 0
    for index, char in enumerate(reversed(digits)):
        n = int(char)
        if index % 2:
            n *= 2
            if n > 9:
                n -= 9
        total += n
    return total % 10 == 0


def date_ok(value: str) -> bool:
    if not _DATE.match(value):
        return False
    try:
        datetime.date.fromisoformat(value)
    except ValueError:
        return False
    return True


def datetime_ok(value: str) -> bool:
    if not _DATETIME.match(value):
        return False
    return date_ok(value[:10])


_formats = jsonschema.FormatChecker(formats=())
_formats.checks("date")(lambda v: not isinstance(v, str) or date_ok(v))
_formats.checks("date-time-or-date")(lambda v: not isinstance(v, str) or datetime_ok(v))
_formats.checks("siret")(lambda v: not isinstance(v, str) or siret_ok(v))
_formats.checks("email")(lambda v: not isinstance(v, str) or bool(_EMAIL.match(v)))

_FORMAT_HINTS = {
    "date": "expected an ISO 8601 date YYYY-MM-DD",
    "date-time-or-date": "expected an ISO 8601 date or date-time",
    "siret": "expected a SIRET: 14 digits with a valid checksum",
    "email": "expected an e-mail address",
}


def schema_path(name: str) -> Path:
    for folder in (SCHEMA_DIR, _PACKAGED_SCHEMA_DIR):
        candidate = folder / name
        if candidate.exists():
            return candidate
    raise FileNotFoundError(name)


@lru_cache(maxsize=None)
def validator(name: str) -> jsonschema.protocols.Validator:
    schema = json.loads(schema_path(name).read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(schema, format_checker=_formats)


def _describe(error: jsonschema.ValidationError) -> str:
    if error.validator == "format":
        return f"{error.instance!r}: {_FORMAT_HINTS.get(error.validator_value, 'bad format')}"
    if error.validator == "additionalProperties":
        extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        return "unknown field(s): " + ", ".join(repr(e) for e in extra)
    if error.validator in ("oneOf", "anyOf") and error.context:
        # every alternative failed on the value itself: say what would have been accepted
        here = [e for e in error.context if len(e.absolute_path) == len(error.absolute_path)] or list(error.context)
        return f"{error.instance!r}: expected " + ", or ".join(dict.fromkeys(_expected(e) for e in here))
    return error.message


_TYPE_NAMES = {"integer": "an integer", "string": "a string", "null": "null", "boolean": "true or false",
               "object": "a mapping", "array": "a list", "number": "a number"}


def _expected(error: jsonschema.ValidationError) -> str:
    if error.validator == "type":
        kinds = error.validator_value if isinstance(error.validator_value, list) else [error.validator_value]
        return " or ".join(_TYPE_NAMES.get(k, k) for k in kinds)
    if error.validator == "enum":
        return "one of " + ", ".join(repr(v) for v in error.validator_value)
    if error.validator == "format":
        return _FORMAT_HINTS.get(error.validator_value, "another format").removeprefix("expected ")
    return error.message


def validate(doc: Document, schema_name: str) -> list[Problem]:
    """Every schema error of the document, sorted by line, each naming file, line and field."""
    problems = []
    for error in validator(schema_name).iter_errors(doc.data):
        if error.validator in ("oneOf", "anyOf") and error.context:
            # report the most relevant alternative's error where it is (a bad field of a list item),
            # not on the whole list
            leaf = jsonschema.exceptions.best_match([error])
            if len(leaf.absolute_path) > len(error.absolute_path):
                error = leaf
        path = tuple(error.absolute_path)
        if error.validator == "additionalProperties":
            extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
            if extra:
                path = path + (extra[0],)
        problems.append(Problem(doc.file, doc.line_of(path), pointer(path), _describe(error)))
    problems.sort(key=lambda p: (p.line or 0, p.path))
    return problems
