"""Validate documents against the project's JSON Schemas and report every error with its line."""
from __future__ import annotations

import dataclasses
import datetime
import json
import re
from functools import lru_cache
from pathlib import Path

import jsonschema
from stdnum.fr import siret as siret_numbers

from cdap_policy.errors import Problem, pointer
from cdap_policy.i18n import tr
from cdap_policy.iso3166 import ALPHA2
from cdap_policy.textsafe import MAX_VALUE, excerpt, printable
from cdap_policy.yamlsource import Document

SCHEMA_DIR = Path(__file__).resolve().parent.parent / "schemas"
_PACKAGED_SCHEMA_DIR = Path(__file__).resolve().parent / "schemas"

_SIRET = re.compile(r"^\d{14}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$")


def siret_ok(value: str) -> bool:
    """SIRET: 14 digits (spaces allowed) whose SIREN part and whole number pass their checksums,
    with La Poste's establishments under their own rule; python-stdnum keeps these rules."""
    digits = value.replace(" ", "")
    return bool(_SIRET.match(digits)) and siret_numbers.is_valid(digits)


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
_formats.checks("country")(lambda v: not isinstance(v, str) or v in ALPHA2)

_FORMAT_HINTS = {
    "date": ("une date ISO 8601 AAAA-MM-JJ", "an ISO 8601 date YYYY-MM-DD"),
    "date-time-or-date": ("une date ou une date-heure ISO 8601", "an ISO 8601 date or date-time"),
    "siret": ("un SIRET : 14 chiffres avec une clé de contrôle valide", "a SIRET: 14 digits with a valid checksum"),
    "email": ("une adresse électronique", "an e-mail address"),
    "country": ("un code pays ISO 3166-1 alpha-2 (FR, DE…)", "an ISO 3166-1 alpha-2 country code (FR, DE…)"),
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


def value_validator(schema: dict) -> jsonschema.protocols.Validator:
    """A validator for a schema given as data (a parameter's `schema`), with our formats."""
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=_formats)


def errors_of(validator_, instance) -> list[tuple[tuple, dict]]:
    """(path, message) of every error of `instance`, in our words."""
    out = []
    for error in validator_.iter_errors(instance):
        if error.validator in ("oneOf", "anyOf") and error.context:
            leaf = jsonschema.exceptions.best_match([error])
            if len(leaf.absolute_path) > len(error.absolute_path):
                error = leaf
        path = tuple(error.absolute_path)
        if error.validator == "additionalProperties":
            extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
            if extra:
                path = path + (extra[0],)
        out.append((path, _describe(error)))
    return out


def _shown(value) -> str:
    """A value of the input quoted in an error: short and escaped."""
    if isinstance(value, str):
        return excerpt(value, MAX_VALUE)
    if isinstance(value, (dict, list)):
        return "{…}" if isinstance(value, dict) else "[…]"
    return printable(json.dumps(value), MAX_VALUE)


_TYPE_NAMES = {
    "integer": ("un entier", "an integer"), "string": ("un texte", "a string"), "null": ("null", "null"),
    "boolean": ("true ou false", "true or false"), "object": ("une table de clés", "a mapping"),
    "array": ("une liste", "a list"), "number": ("un nombre", "a number"),
}


def _or(parts: list[tuple[str, str]]) -> tuple[str, str]:
    return " ou ".join(p[0] for p in parts), " or ".join(p[1] for p in parts)


def _expected(error) -> tuple[str, str]:
    """What would have been accepted, in both languages, from the schema (never the library's words)."""
    kind, value = error.validator, error.validator_value
    if kind == "type":
        kinds = value if isinstance(value, list) else [value]
        return _or([_TYPE_NAMES.get(k, (k, k)) for k in kinds])
    if kind == "enum":
        listed = ", ".join(_shown(v) for v in value[:30]) + ("…" if len(value) > 30 else "")
        return f"une valeur parmi {listed}", f"one of {listed}"
    if kind == "const":
        return f"la valeur {_shown(value)}", f"the value {_shown(value)}"
    if kind == "format":
        fr, en = _FORMAT_HINTS.get(value, ("un autre format", "another format"))
        return fr, en
    if kind in ("minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum"):
        word = {"minimum": "≥", "exclusiveMinimum": ">", "maximum": "≤", "exclusiveMaximum": "<"}[kind]
        if error.schema.get("type") == "integer":
            return f"un entier {word} {value}", f"an integer {word} {value}"
        return f"un nombre {word} {value}", f"a number {word} {value}"
    if kind == "minLength":
        return (("un texte non vide", "a non-empty string") if value == 1 else
                (f"au moins {value} caractères", f"at least {value} characters"))
    if kind == "maxLength":
        return f"au plus {value} caractères", f"at most {value} characters"
    if kind == "minItems":
        return (("une liste non vide", "a non-empty list") if value == 1 else
                (f"au moins {value} éléments", f"at least {value} items"))
    if kind == "maxItems":
        return f"au plus {value} éléments", f"at most {value} items"
    if kind == "pattern":
        return f"un texte de la forme {value}", f"text matching {value}"
    if kind == "uniqueItems":
        return "des éléments tous différents", "items that are all different"
    if kind == "multipleOf":
        return f"un multiple de {value}", f"a multiple of {value}"
    if kind in ("oneOf", "anyOf") and error.context:
        here = [e for e in error.context if len(e.absolute_path) == len(error.absolute_path)] or list(error.context)
        parts = list(dict.fromkeys(_expected(e) for e in here))
        return _or(parts)
    return "une autre valeur", "another value"


def _describe(error: jsonschema.ValidationError) -> dict:
    kind = error.validator
    if kind == "required":
        missing = [name for name in error.validator_value if isinstance(error.instance, dict) and name not in error.instance]
        names = ", ".join(repr(m) for m in missing) or "?"
        return tr(f"champ obligatoire manquant : {names}", f"missing required field(s): {names}")
    if kind == "additionalProperties":
        extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        names = ", ".join(_shown(e) for e in extra[:10]) + ("…" if len(extra) > 10 else "")
        return tr(f"champ(s) inconnu(s) : {names}", f"unknown field(s): {names}")
    if kind == "propertyNames":
        return tr("nom de clé invalide", "invalid key name")
    if kind == "uniqueItems":
        return tr("la liste contient des éléments en double", "the list has duplicate items")
    if kind in ("minItems", "minProperties") and error.validator_value == 1:
        return tr("ne doit pas être vide", "must not be empty")
    if kind == "not":
        return tr(f"{_shown(error.instance)} n'est pas admis ici", f"{_shown(error.instance)} is not allowed here")
    if kind == "dependentRequired":
        return tr("un champ qui en accompagne un autre manque", "a field that goes with another one is missing")
    fr, en = _expected(error)
    value = _shown(error.instance)
    return tr(f"{value} : on attend {fr}", f"{value}: expected {en}")


def validate(doc: Document, schema_name: str) -> list[Problem]:
    """Every schema error of the document, sorted by line, each naming file, line and field."""
    problems = [Problem(doc.file, doc.line_of(path), pointer(path), message, personal_path(schema_name, path))
                for path, message in errors_of(validator(schema_name), doc.data)]
    # jsonschema reports each missing field apart, and our line names them all: print it once
    seen: set = set()
    unique = []
    for problem in problems:
        key = (problem.line, problem.path, tuple(sorted(problem.message.items())))
        if key not in seen:
            seen.add(key)
            unique.append(problem)
    unique.sort(key=lambda p: (p.line or 0, p.path))
    return unique


def mark_personal(problems: list[Problem], schema_name: str) -> list[Problem]:
    """The problems, those about a personal field of `schema_name` marked so (problems raised
    while reading the file, before the schema could say which fields are personal)."""
    out = []
    for problem in problems:
        path = tuple(int(p) if p.isdigit() else p.replace("~1", "/").replace("~0", "~")
                     for p in problem.path.split("/")[1:]) if problem.path.startswith("/") else ()
        personal = problem.personal or (bool(path) and personal_path(schema_name, path))
        out.append(dataclasses.replace(problem, personal=personal) if personal != problem.personal else problem)
    return out


@lru_cache(maxsize=None)
def _schema(name: str) -> dict:
    return json.loads(schema_path(name).read_text(encoding="utf-8"))


def personal_path(schema_name: str, path) -> bool:
    """Whether the value at `path` (keys and list indexes) is, or lies inside, a property the
    schema marks `x-personal`: names, e-mails, phones, justifications. Every branch of oneOf,
    anyOf and allOf is followed, so the answer is yes when any reading of the path says so."""
    schema = _schema(schema_name)
    defs = schema.get("$defs", {})

    def nodes(node, depth=0):
        """`node` and what it stands for ($ref, combinators)."""
        if not isinstance(node, dict) or depth > 20:
            return
        yield node
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            yield from nodes(defs.get(ref[len("#/$defs/"):]), depth + 1)
        for keyword in ("oneOf", "anyOf", "allOf"):
            for branch in node.get(keyword) or ():
                yield from nodes(branch, depth + 1)

    current = [schema]
    for step in tuple(path):
        following = []
        for node in (n for c in current for n in nodes(c)):
            if node.get("x-personal") is True:
                return True
            if isinstance(step, int) or (isinstance(step, str) and step.isdigit() and "items" in node):
                if isinstance(node.get("items"), dict):
                    following.append(node["items"])
                continue
            props = node.get("properties") or {}
            if step in props:
                following.append(props[step])
            else:
                extra = node.get("additionalProperties")
                if isinstance(extra, dict):
                    following.append(extra)
                for pattern, sub in (node.get("patternProperties") or {}).items():
                    if isinstance(step, str) and re.search(pattern, step):
                        following.append(sub)
        current = following
        if not current:
            return False
    return any(n.get("x-personal") is True for c in current for n in nodes(c))


# -- a fast verdict for large documents ---------------------------------------------------------------

class Unsupported(Exception):
    """A keyword `fast_validator` does not compile: use the validator itself."""


def fast_validator(name: str):
    """A function telling, much faster than jsonschema (a JSON report can hold tens of thousands
    of findings), whether a document is valid against schema `name`; the errors of an invalid one
    are still jsonschema's (`errors_of`), so only the verdict is ours. It compiles the subset of
    keywords the schema uses and raises Unsupported for any other; tests/test_hostile.py checks it
    agrees with jsonschema on mutated documents."""
    schema = json.loads(schema_path(name).read_text(encoding="utf-8"))
    defs = schema.get("$defs", {})
    return _compile(schema, defs, {})


_SIMPLE_TYPES = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: (isinstance(v, int) and not isinstance(v, bool)) or (isinstance(v, float) and v.is_integer()),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}
_ANNOTATIONS = {"description", "title", "$schema", "$id", "$defs", "x-personal", "default", "examples"}


def _compile(node: dict, defs: dict, done: dict):
    if not isinstance(node, dict):
        raise Unsupported(repr(node))
    checks = []
    for keyword, value in node.items():
        if keyword in _ANNOTATIONS:
            continue
        if keyword == "$ref":
            if not value.startswith("#/$defs/"):
                raise Unsupported(value)
            target = value[len("#/$defs/"):]
            if target not in done:
                done[target] = None  # recursion guard: a recursive schema is not compiled
                done[target] = _compile(defs[target], defs, done)
            elif done[target] is None:
                raise Unsupported("recursive $ref")
            checks.append(done[target])
        elif keyword == "type":
            kinds = [_SIMPLE_TYPES[k] for k in (value if isinstance(value, list) else [value])]
            checks.append(lambda v, kinds=kinds: any(k(v) for k in kinds))
        elif keyword == "enum":
            checks.append(lambda v, allowed=value: any(v == a and type(v) is type(a) for a in allowed))
        elif keyword == "const":
            checks.append(lambda v, c=value: v == c and type(v) is type(c))
        elif keyword in ("minLength", "maxLength"):
            bound = value
            if keyword == "minLength":
                checks.append(lambda v, b=bound: not isinstance(v, str) or len(v) >= b)
            else:
                checks.append(lambda v, b=bound: not isinstance(v, str) or len(v) <= b)
        elif keyword in ("minimum", "maximum"):
            number = _SIMPLE_TYPES["number"]
            if keyword == "minimum":
                checks.append(lambda v, b=value: not number(v) or v >= b)
            else:
                checks.append(lambda v, b=value: not number(v) or v <= b)
        elif keyword == "format":
            if value != "date":
                raise Unsupported(value)
            checks.append(lambda v: not isinstance(v, str) or date_ok(v))
        elif keyword == "required":
            checks.append(lambda v, names=tuple(value): not isinstance(v, dict) or all(n in v for n in names))
        elif keyword == "properties":
            props = {k: _compile(sub, defs, done) for k, sub in value.items()}
            checks.append(lambda v, props=props: not isinstance(v, dict) or all(
                check(v[k]) for k, check in props.items() if k in v))
        elif keyword == "additionalProperties":
            if value is True:
                continue
            if value is False or "patternProperties" in node:
                raise Unsupported("additionalProperties")
            extra, known = _compile(value, defs, done), set(node.get("properties", {}))
            checks.append(lambda v, extra=extra, known=known: not isinstance(v, dict) or all(
                extra(x) for k, x in v.items() if k not in known))
        elif keyword == "items":
            item = _compile(value, defs, done)
            checks.append(lambda v, item=item: not isinstance(v, list) or all(item(x) for x in v))
        else:
            raise Unsupported(keyword)
    return lambda v: all(check(v) for check in checks)
