"""The configuration file: defaults for the options a team sets once, the way ruff and yamllint do.

`.cdap-policy.yaml` (or `.yml`), or the `[tool.cdap-policy]` table of a `pyproject.toml`, looked
for in the current folder, then in each folder above it; the first found is the only one read
(in one folder, `.cdap-policy.yaml` before `pyproject.toml`, and a `pyproject.toml` without the
table does not count). Keys (schemas/config.schema.json): `fail-on`, `lang`, `params`, `policies`,
`log-root`, `waivers`, `format`, `jobs`, and `skip` (rule → why it is not run). Paths are relative
to the file's folder. The command line wins over the file, and CDAP_POLICY_LANG over `lang`.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from cdap_policy.load.yamlsource import Document, load_file, read_text
from cdap_policy.support.errors import InputError, Problem
from cdap_policy.support.i18n import tr

FILE_NAMES = (".cdap-policy.yaml", ".cdap-policy.yml")
PYPROJECT = "pyproject.toml"
SCHEMA = "config.schema.json"
PATH_KEYS = ("params", "policies", "log-root", "waivers")
KEYS = ("fail-on", "lang", "params", "policies", "log-root", "waivers", "format", "jobs", "skip")
_TABLE_HEADER = re.compile(
    r"^\s*\[\s*tool\s*\.\s*(\"cdap-policy\"|'cdap-policy'|cdap-policy)\s*\]\s*(#.*)?$"
)


@dataclass(frozen=True)
class Setting:
    value: object  # paths resolved against the file's folder; log-root always a list
    line: int


@dataclass
class Config:
    file: Path | None = None  # None: no configuration file found
    settings: dict[str, Setting] = field(default_factory=dict)

    def get(self, key: str, default=None):
        setting = self.settings.get(key)
        return default if setting is None else setting.value

    def where(self, key: str) -> str | None:
        """`file:line` of a key set in the file, None otherwise."""
        setting = self.settings.get(key)
        return f"{self.file}:{setting.line}" if setting is not None else None


def find(start: str | Path | None = None) -> Path | None:
    """The configuration file that applies in `start` (default: the current folder)."""
    folder = Path(start or os.getcwd()).resolve()
    for here in (folder, *folder.parents):
        for name in FILE_NAMES:
            if (here / name).is_file():
                return here / name
        pyproject = here / PYPROJECT
        if pyproject.is_file() and _has_table(pyproject):
            return pyproject
    return None


def _has_table(pyproject: Path) -> bool:
    try:
        text = pyproject.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError):
        # not ours to judge: a pyproject.toml we cannot read holds no configuration of
        # ours
        return False
    return any(_TABLE_HEADER.match(line) for line in text.splitlines())


def load(path: str | Path) -> Config:
    """Read and validate a configuration file; InputError with file, line and key otherwise."""
    from cdap_policy.load.schema import validate

    path = Path(path)
    doc = _read_toml(path) if path.name == PYPROJECT else load_file(path)
    if doc.data is None:
        doc.data = {}
    if not isinstance(doc.data, dict):
        raise InputError(
            Problem(
                doc.file,
                doc.line_of(()),
                "",
                tr(
                    "une configuration est une table clé: valeur (fail-on, lang, params…)",
                    "a configuration must be a mapping key: value (fail-on, lang, params...)",
                ),
            )
        )
    problems = validate(doc, SCHEMA)
    if problems:
        raise InputError(_with_suggestions(problems, doc))
    base = path.resolve().parent
    settings = {}
    for key in KEYS:
        if key not in doc.data:
            continue
        value = doc.data[key]
        if key in PATH_KEYS:
            values = value if isinstance(value, list) else [value]
            resolved = [str(base / os.path.expanduser(v)) for v in values]
            value = resolved if key == "log-root" else resolved[0]
        elif key == "skip":
            value = {rule: " ".join(reason.split()) for rule, reason in value.items()}
        settings[key] = Setting(value, doc.line_of((key,)))
    return Config(path, settings)


def _with_suggestions(problems: list[Problem], doc: Document) -> list[Problem]:
    """An unknown key is most often a spelling of a known one (`fail_on`): say which."""
    import difflib

    out = []
    for problem in problems:
        key = problem.path.strip("/").split("/")[0] if problem.path else ""
        if key and key not in KEYS and key != "$schema" and problem.path.count("/") == 1:
            close = difflib.get_close_matches(key.replace("_", "-"), KEYS, n=1, cutoff=0.6)
            known = ", ".join(KEYS)
            problem = Problem(
                problem.file,
                problem.line,
                problem.path,
                tr(
                    f"clé inconnue {key!r}"
                    + (
                        f" ; vouliez-vous dire {close[0]!r} ?"
                        if close
                        else f" ; clés connues : {known}"
                    ),
                    f"unknown key {key!r}"
                    + (f"; did you mean {close[0]!r}?" if close else f"; known keys: {known}"),
                ),
            )
        out.append(problem)
    return out


def _read_toml(path: Path) -> Document:
    """The [tool.cdap-policy] table of a pyproject.toml, with the line of each of its keys."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # Python 3.10: the same parser, from PyPI
        import tomli as tomllib

    text = read_text(path, str(path))
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = getattr(exc, "lineno", None)
        raise InputError(
            Problem(str(path), line, "", tr(f"TOML mal formé : {exc}", f"malformed TOML: {exc}"))
        ) from None
    table = (data.get("tool") or {}).get("cdap-policy")
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if _TABLE_HEADER.match(line)), None)
    doc = Document(str(path), table, {(): (start + 1) if start is not None else 1})
    if start is not None and isinstance(table, dict):
        for key in table:
            name = rf"(\"{re.escape(key)}\"|'{re.escape(key)}'|{re.escape(key)})"
            assignment = re.compile(rf"^\s*{name}\s*=")
            subtable = re.compile(
                rf"^\s*\[\s*tool\s*\.\s*(\"cdap-policy\"|'cdap-policy'|cdap-policy)\s*\.\s*{name}\s*\]"
            )
            inside = True  # in [tool.cdap-policy] itself, before the next table header
            for index in range(start + 1, len(lines)):
                if subtable.match(lines[index]) or (inside and assignment.match(lines[index])):
                    doc.lines[(key,)] = (
                        index + 1
                    )  # `key = …`, or a table [tool.cdap-policy.key] of its own
                    break
                if lines[index].lstrip().startswith("["):
                    inside = False
    return doc
