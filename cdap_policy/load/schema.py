"""Validate documents against the project's JSON Schemas and report every error with its line.

Two validators, one verdict: a document is checked first by a validator compiled from the schema
(fastjsonschema: the schema turned into Python code once, kept in the disk cache); only a
document it refuses is validated again by jsonschema, which finds every error and whose errors
are worded here. A schema using a keyword the compiled validator would not read as JSON Schema
2020-12 does is validated by jsonschema alone. The compiled validator may be stricter (then
jsonschema decides, and finds nothing), never more lenient: tests/test_schema_paths.py compares
the two verdicts on fixtures, hostile inputs and generated documents.
"""

from __future__ import annotations

import dataclasses
import json
import re
import sys
from functools import cache
from pathlib import Path

from cdap_policy.load.yamlsource import Document
from cdap_policy.support import diskcache
from cdap_policy.support.errors import Problem, pointer
from cdap_policy.support.formats import date_ok, datetime_ok, siret_ok
from cdap_policy.support.i18n import tr
from cdap_policy.support.iso3166 import ALPHA2
from cdap_policy.support.textsafe import MAX_VALUE, excerpt, printable

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "schemas"
_PACKAGED_SCHEMA_DIR = Path(__file__).resolve().parents[1] / "schemas"

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


# The formats our schemas use, for strings (other values pass, as JSON Schema says).
FORMATS = {
    "date": date_ok,
    "date-time-or-date": datetime_ok,
    "siret": siret_ok,
    "email": lambda v: bool(_EMAIL.match(v)),
    "country": lambda v: v in ALPHA2,
}


@cache
def _format_checker():
    import jsonschema

    checker = jsonschema.FormatChecker(formats=())
    for name, check in FORMATS.items():
        checker.checks(name)(lambda v, check=check: not isinstance(v, str) or check(v))
    return checker


_FORMAT_HINTS = {
    "date": ("une date ISO 8601 AAAA-MM-JJ", "an ISO 8601 date YYYY-MM-DD"),
    "date-time-or-date": ("une date ou une date-heure ISO 8601", "an ISO 8601 date or date-time"),
    "siret": (
        "un SIRET : 14 chiffres avec une clé de contrôle valide",
        "a SIRET: 14 digits with a valid checksum",
    ),
    "email": ("une adresse électronique", "an e-mail address"),
    "country": (
        "un code pays ISO 3166-1 alpha-2 (FR, DE…)",
        "an ISO 3166-1 alpha-2 country code (FR, DE…)",
    ),
}


def schema_path(name: str) -> Path:
    for folder in (SCHEMA_DIR, _PACKAGED_SCHEMA_DIR):
        candidate = folder / name
        if candidate.exists():
            return candidate
    raise FileNotFoundError(name)


@cache
def _schema_text(name: str) -> str:
    return schema_path(name).read_text(encoding="utf-8")


@cache
def validator(name: str):
    """jsonschema's validator of a schema of ours: every error, worded by `errors_of`."""
    import jsonschema

    return jsonschema.Draft202012Validator(
        json.loads(_schema_text(name)), format_checker=_format_checker()
    )


def value_validator(schema: dict):
    """A validator for a schema given as data (a parameter's `schema`), with our formats."""
    import jsonschema

    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=_format_checker())


def schema_error():
    """The exception `value_validator` raises for a schema that is not one."""
    import jsonschema

    return jsonschema.SchemaError


# -- the compiled validator --------------------------------------------------------------------

# Keywords the compiled validator reads as 2020-12 does (fastjsonschema generates draft-07-style
# code); any other keyword in a schema sends that schema to jsonschema alone.
_COMPILED_KEYWORDS = {
    "type",
    "enum",
    "const",
    "properties",
    "required",
    "additionalProperties",
    "items",
    "minItems",
    "maxItems",
    "uniqueItems",
    "minLength",
    "maxLength",
    "pattern",
    "format",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "oneOf",
    "anyOf",
    "allOf",
    "not",
    "if",
    "then",
    "else",
    "propertyNames",
    "minProperties",
    "maxProperties",
    "$ref",
    "$defs",
    "$schema",
    "$id",
    "$comment",
    "title",
    "description",
    "default",
    "examples",
    "deprecated",
    "readOnly",
    "writeOnly",
}
_SCHEMA_MAPS = {"properties", "$defs"}  # keywords whose value maps names to schemas
_SCHEMA_LISTS = {"oneOf", "anyOf", "allOf"}
_SCHEMA_VALUES = {"additionalProperties", "items", "not", "if", "then", "else", "propertyNames"}


class _Refused(Exception):
    """What the compiled validator raises (in place of fastjsonschema's exceptions)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args)


def _compilable(schema) -> dict | bool | None:
    """The schema as fastjsonschema must see it to mean what 2020-12 means, or None when it uses a
    keyword outside _COMPILED_KEYWORDS. In draft 7 a `$ref` hides its sibling keywords; in
    2020-12 they apply too: they go beside it under `allOf`."""
    if isinstance(schema, bool):
        return schema
    if not isinstance(schema, dict):
        return None
    out = {}
    for keyword, value in schema.items():
        if keyword.startswith("x-"):
            continue  # annotations of ours
        if keyword not in _COMPILED_KEYWORDS:
            return None
        if keyword in _SCHEMA_MAPS:
            if not isinstance(value, dict):
                return None
            value = {name: _compilable(sub) for name, sub in value.items()}
            if any(sub is None for sub in value.values()):
                return None
        elif keyword in _SCHEMA_LISTS:
            if not isinstance(value, list):
                return None
            value = [_compilable(sub) for sub in value]
            if any(sub is None for sub in value):
                return None
        elif keyword in _SCHEMA_VALUES:
            value = _compilable(value)  # `items` as a list is draft 7's tuple form: refused here
            if value is None:
                return None
        elif keyword == "$ref" and not (isinstance(value, str) and value.startswith("#")):
            return None  # only references inside the schema
        out[keyword] = value
    out.pop("$id", None)  # references are local; without it the entry function is `validate`
    if "$ref" in out:
        rest = {
            k: v
            for k, v in out.items()
            if k
            not in (
                "$ref",
                "$schema",
                "$defs",
                "$comment",
                "title",
                "description",
                "default",
                "examples",
            )
        }
        if rest:
            kept = {k: v for k, v in out.items() if k not in rest and k != "$ref"}
            out = {**kept, "allOf": [{"$ref": out["$ref"]}, rest]}
    return out


@cache
def _own_source() -> str:
    # how the code is generated and used is this module's business: a changed module, another key
    import hashlib

    return hashlib.sha256(Path(__file__).read_bytes()).hexdigest()


@cache
def compiled_validator(name: str):
    """The compiled validator of a schema of ours (a function raising on an invalid document), or
    None where it cannot be had: fastjsonschema missing, or a keyword it would misread. Its code
    is kept in the disk cache, keyed by the schema and the versions that made it."""
    text = _schema_text(name)
    version = diskcache.dist_version("fastjsonschema", "fastjsonschema")
    if version is None:  # not installed: jsonschema validates alone
        return None
    key_text = json.dumps(
        {
            "schema": text,
            "fastjsonschema": version,
            "python": sys.version,
            "formats": sorted(FORMATS),
            "generator": _own_source(),
        },
        sort_keys=True,
    )
    path = diskcache.path_for(key_text, ".schema")
    code = diskcache.read(path, key_text, "code") if path is not None else None
    if code is None:
        code = _generate(json.loads(text), name)
        if code is None:
            return None
        if path is not None:
            try:
                diskcache.write(path, key_text, code, "code")
                diskcache.prune(path.parent, path, ".schema", 32)
            except (OSError, ValueError):  # an unwritable cache only costs the next run its speed
                pass
    if code is False:  # a schema the compiled validator cannot read as 2020-12 does
        return None
    namespace = {"JsonSchemaValueException": _Refused, "JsonSchemaValuesException": _Refused}
    try:
        exec(code, namespace)  # noqa: S102 - code generated from our own schema, or read from the private cache
        check = namespace["validate"]
    except Exception:
        return None
    formats = dict(FORMATS)

    def validate_compiled(data) -> bool:
        try:
            check(data, custom_formats=formats)
        except Exception:  # refused, or anything unexpected: jsonschema decides
            return False
        return True

    return validate_compiled


def _generate(schema: dict, name: str):
    """The code object of the compiled validator, False when the schema cannot be compiled."""
    prepared = _compilable(schema)
    if prepared is None:
        return False
    try:
        import fastjsonschema

        source = fastjsonschema.compile_to_code(
            prepared, formats={k: lambda v: True for k in FORMATS}
        )
    except Exception:
        return False
    # the exceptions come from the namespace `compiled_validator` gives: fastjsonschema itself is
    # not imported to validate
    source = source.replace(
        "from fastjsonschema import JsonSchemaValueException, JsonSchemaValuesException\n", ""
    )
    return compile(source, f"<compiled {name}>", "exec")


def is_valid(data, schema_name: str) -> bool | None:
    """True when the compiled validator accepts `data`; None when it refuses it or there is none."""
    check = compiled_validator(schema_name)
    if check is not None and check(data):
        return True
    return None


def errors_of(validator_, instance) -> list[tuple[tuple, dict]]:
    """(path, message) of every error of `instance`, in our words."""
    out = []
    for error in validator_.iter_errors(instance):
        if error.validator in ("oneOf", "anyOf") and error.context:
            from jsonschema.exceptions import best_match

            leaf = best_match([error])
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
    "integer": ("un entier", "an integer"),
    "string": ("un texte", "a string"),
    "null": ("null", "null"),
    "boolean": ("true ou false", "true or false"),
    "object": ("une table de clés", "a mapping"),
    "array": ("une liste", "a list"),
    "number": ("un nombre", "a number"),
}


def _or(parts: list[tuple[str, str]]) -> tuple[str, str]:
    return " ou ".join(p[0] for p in parts), " or ".join(p[1] for p in parts)


def _expected(error) -> tuple[str, str]:
    """What would have been accepted, in both languages, from the schema (never the library's
    words).
    """
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
        word = {"minimum": "≥", "exclusiveMinimum": ">", "maximum": "≤", "exclusiveMaximum": "<"}[
            kind
        ]
        if error.schema.get("type") == "integer":
            return f"un entier {word} {value}", f"an integer {word} {value}"
        return f"un nombre {word} {value}", f"a number {word} {value}"
    if kind == "minLength":
        return (
            ("un texte non vide", "a non-empty string")
            if value == 1
            else (f"au moins {value} caractères", f"at least {value} characters")
        )
    if kind == "maxLength":
        return f"au plus {value} caractères", f"at most {value} characters"
    if kind == "minItems":
        return (
            ("une liste non vide", "a non-empty list")
            if value == 1
            else (f"au moins {value} éléments", f"at least {value} items")
        )
    if kind == "maxItems":
        return f"au plus {value} éléments", f"at most {value} items"
    if kind == "pattern":
        return f"un texte de la forme {value}", f"text matching {value}"
    if kind == "uniqueItems":
        return "des éléments tous différents", "items that are all different"
    if kind == "multipleOf":
        return f"un multiple de {value}", f"a multiple of {value}"
    if kind in ("oneOf", "anyOf") and error.context:
        here = [
            e for e in error.context if len(e.absolute_path) == len(error.absolute_path)
        ] or list(error.context)
        parts = list(dict.fromkeys(_expected(e) for e in here))
        return _or(parts)
    return "une autre valeur", "another value"


def _describe(error) -> dict:
    kind = error.validator
    if kind == "required":
        missing = [
            name
            for name in error.validator_value
            if isinstance(error.instance, dict) and name not in error.instance
        ]
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
        return tr(
            f"{_shown(error.instance)} n'est pas admis ici",
            f"{_shown(error.instance)} is not allowed here",
        )
    if kind == "dependentRequired":
        return tr(
            "un champ qui en accompagne un autre manque",
            "a field that goes with another one is missing",
        )
    fr, en = _expected(error)
    value = _shown(error.instance)
    return tr(f"{value} : on attend {fr}", f"{value}: expected {en}")


def validate(doc: Document, schema_name: str) -> list[Problem]:
    """Every schema error of the document, sorted by line, each naming file, line and field."""
    if is_valid(doc.data, schema_name):
        return []
    problems = [
        Problem(
            doc.file, doc.line_of(path), pointer(path), message, personal_path(schema_name, path)
        )
        for path, message in errors_of(validator(schema_name), doc.data)
    ]
    # jsonschema reports each missing field apart, and our line names them all: print it once
    seen: set = set()
    unique = []
    for problem in problems:
        message = problem.message
        key = (
            problem.line,
            problem.path,
            tuple(sorted(message.items())) if isinstance(message, dict) else message,
        )
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
        path = (
            tuple(
                int(p) if p.isdigit() else p.replace("~1", "/").replace("~0", "~")
                for p in problem.path.split("/")[1:]
            )
            if problem.path.startswith("/")
            else ()
        )
        personal = problem.personal or (bool(path) and personal_path(schema_name, path))
        out.append(
            dataclasses.replace(problem, personal=personal)
            if personal != problem.personal
            else problem
        )
    return out


@cache
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
            yield from nodes(defs.get(ref[len("#/$defs/") :]), depth + 1)
        for keyword in ("oneOf", "anyOf", "allOf"):
            for branch in node.get(keyword) or ():
                yield from nodes(branch, depth + 1)

    current = [schema]
    for step in tuple(path):
        following = []
        for node in (n for c in current for n in nodes(c)):
            if node.get("x-personal") is True:
                return True
            if isinstance(step, int) or (
                isinstance(step, str) and step.isdigit() and "items" in node
            ):
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


# -- a fast verdict for large documents
# ---------------------------------------------------------------


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
    "integer": (
        lambda v: (
            (isinstance(v, int) and not isinstance(v, bool))
            or (isinstance(v, float) and v.is_integer())
        )
    ),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}
_ANNOTATIONS = {
    "description",
    "title",
    "$schema",
    "$id",
    "$defs",
    "x-personal",
    "default",
    "examples",
}


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
            target = value[len("#/$defs/") :]
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
            checks.append(
                lambda v, allowed=value: any(v == a and type(v) is type(a) for a in allowed)
            )
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
                checks.append(lambda v, b=value, number=number: not number(v) or v >= b)
            else:
                checks.append(lambda v, b=value, number=number: not number(v) or v <= b)
        elif keyword == "format":
            if value != "date":
                raise Unsupported(value)
            checks.append(lambda v: not isinstance(v, str) or date_ok(v))
        elif keyword == "required":
            checks.append(
                lambda v, names=tuple(value): not isinstance(v, dict) or all(n in v for n in names)
            )
        elif keyword == "properties":
            props = {k: _compile(sub, defs, done) for k, sub in value.items()}
            checks.append(
                lambda v, props=props: (
                    not isinstance(v, dict)
                    or all(check(v[k]) for k, check in props.items() if k in v)
                )
            )
        elif keyword == "additionalProperties":
            if value is True:
                continue
            if value is False or "patternProperties" in node:
                raise Unsupported("additionalProperties")
            extra, known = _compile(value, defs, done), set(node.get("properties", {}))
            checks.append(
                lambda v, extra=extra, known=known: (
                    not isinstance(v, dict) or all(extra(x) for k, x in v.items() if k not in known)
                )
            )
        elif keyword == "items":
            item = _compile(value, defs, done)
            checks.append(lambda v, item=item: not isinstance(v, list) or all(item(x) for x in v))
        else:
            raise Unsupported(keyword)
    return lambda v: all(check(v) for check in checks)
