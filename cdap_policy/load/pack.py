"""Load the policy pack: rules (YAML + CEL), their test cases, parameters and the requirement
catalogue.

Every expression is compiled here, once; a pack that does not load stops the run (exit 2).
"""

from __future__ import annotations

import functools
import os
import string
from dataclasses import dataclass, field
from pathlib import Path

from cdap_policy.engines import CompileError, Engine, Program, finish, make_engine
from cdap_policy.engines.base import field_path
from cdap_policy.load import lets as lets_mod
from cdap_policy.load import params as params_mod
from cdap_policy.load.schema import validate
from cdap_policy.load.yamlsource import load_file as _load_any
from cdap_policy.support import diskcache
from cdap_policy.support.errors import InputError, PolicyError, Problem, pointer
from cdap_policy.support.i18n import tr
from cdap_policy.support.textsafe import MAX_VALUE, excerpt


def load_file(path, directory: Path | None = None):
    """A file of the pack: unreadable or hostile YAML there is a broken pack, not bad user input.
    With `directory`, the file must be inside that pack folder (see `confined`)."""
    if directory is not None:
        path = confined(directory, path)
    try:
        return _load_any(path)
    except PolicyError:
        raise
    except InputError as exc:
        raise PolicyError(exc.problems) from None


def confined(directory: Path, path, where: tuple | None = None) -> Path:
    """`path` (relative to the pack folder, or found in it) when it stays inside the folder once
    symbolic links are resolved; PolicyError otherwise. A pack names its own files: it must not
    make the checker read /etc/passwd, a private key or a credentials file and quote their first
    line back in an error. `where` = (file, line, field) of the name in pack.yaml, for the error."""
    directory = Path(directory)
    path = directory / path
    try:
        root = directory.resolve()
        target = path.resolve()
        inside = target == root or target.is_relative_to(root)
    except (OSError, RuntimeError):  # RuntimeError: a symbolic link loop
        inside = False
    if not inside:
        file, line, field = where or (str(path), None, "")
        raise PolicyError(
            Problem(
                file,
                line,
                field,
                tr(
                    f"le fichier {excerpt(str(path), MAX_VALUE)} est hors du dossier du paquet"
                    " (chemin absolu, « .. » ou lien symbolique vers l'extérieur) : un paquet ne"
                    " lit que ses propres fichiers",
                    f"file {excerpt(str(path), MAX_VALUE)} is outside the pack's folder (absolute"
                    " path, « .. » or a symbolic link out): a pack reads only its own files",
                ),
            )
        )
    return path


def pack_glob(directory: Path, pattern: str) -> list[Path]:
    """The files of the pack folder matching `pattern` (`params/*.yaml`), each confined to it."""
    return [
        confined(directory, p.relative_to(directory)) for p in sorted(Path(directory).glob(pattern))
    ]


STAGES = ("pre-signature", "opening", "operation", "annual-review")
FRAMEWORKS = ("mon_compte_partenaire", "cafpro")
CHECKLIST = "checklist.yaml"
SEVERITIES = ("critical", "high", "medium", "low", "info")
# Variables every expression may read; `entity` and `facts` are the item being judged.
VARIABLES = {
    "snapshot",
    "partner",
    "convention",
    "contacts",
    "users",
    "reviews",
    "control",
    "subcontractors",
    "providers",
    "data_stores",
    "automations",
    "incidents",
    "params",
    "catalogue",
    "agg",
    "as_of",
    "edition",
    "stage",
    "entity",
    "facts",
}
BUILTIN_PLACEHOLDERS = {"key", "label", "by_amendment"}
# the runner adds these to the evidence of every consultation finding (see
# Evaluator.run_consultations)
CONSULTATION_PLACEHOLDERS = {"rows", "errors", "checked", "first_row", "sample"}


def default_pack_dir() -> Path:
    here = Path(__file__).resolve().parents[1]  # the package's folder
    for candidate in (here.parent / "policies", here / "policies"):
        if (candidate / "pack.yaml").exists():
            return candidate
    return here.parent / "policies"


@dataclass(frozen=True)
class Needed:
    """A field a rule needs to judge an entity (`requires`): when it is absent, the rule cannot
    say whether the entity complies, and the outcome is `error`, never `fail` (missing data is not
    a proven breach) nor `pass`."""

    field: str  # as written, e.g. entity.rsa_status
    what: dict  # {fr, en}: what the field records, for the message
    program: (
        Program | None
    )  # has(field), or !(when) || has(field); None when the pack is loaded as data only
    when_source: str | None = None  # the condition as written, if any
    field_path: str | None = None  # the field when the need is one field, None for a `test`
    remediation: dict | None = (
        None  # {fr, en}: what to do when it is not the snapshot's to complete (a parameter...)
    )


@dataclass
class Rule:
    id: str
    family: str
    requirements: list[str]
    title: dict
    message: dict
    remediation: dict
    severity: str
    stages: list[str]
    editions: list[int]
    frameworks: list[str]
    over: str
    when: Program | None
    check: Program | None  # None when the pack is only read, not compiled
    evidence: dict[str, Program]
    references: list[dict]
    locate: tuple | None
    file: str
    line: int
    source: dict = field(repr=False)  # the rule as written, for `explain`
    interpretation: dict = field(
        default_factory=dict
    )  # the pack's reading where the text needs one, {fr, en}
    holders: bool = False  # over profiles: a failure also gives one finding per holder
    requires: list = field(
        default_factory=list
    )  # Needed: fields without which the rule cannot judge
    lets: dict = field(default_factory=dict)  # name -> expression as written (`let:`), in order

    def bound(self, source: str) -> str:
        """`source` (an expression of this rule, or a part of one) with the lets it names bound,
        as the loader compiles it (see `lets`)."""
        return lets_mod.bind(source, self.lets)

    def applies(
        self, stage: str | None, edition: int, framework: str = "mon_compte_partenaire"
    ) -> bool:
        return (
            (stage is None or stage in self.stages)
            and edition in self.editions
            and framework in self.frameworks
        )

    def exclusion(self, stage: str | None, edition: int, framework: str) -> str | None:
        """Why the rule does not run on this snapshot: framework, edition or stage (None if it
        runs).
        """
        if framework not in self.frameworks:
            return "framework"
        if edition not in self.editions:
            return "edition"
        if stage is not None and stage not in self.stages:
            return "stage"
        return None

    @functools.cached_property
    def info(self) -> dict:
        """What a report says of the rule (SARIF rules, JUnit, OSCAL, HTML, generated docs)."""
        return {
            "id": self.id,
            "family": self.family,
            "requirements": list(self.requirements),
            "severity": self.severity,
            "title": dict(self.title),
            "description": self.source.get("description", ""),
            "remediation": dict(self.remediation),
            "references": [dict(r) for r in self.references],
            "interpretation": dict(self.interpretation) or None,
            "frameworks": list(self.frameworks),
            "editions": list(self.editions),
            "stages": list(self.stages),
            "over": self.over,
            "file": self.file,
            "line": self.line,
        }


@dataclass
class TestCase:
    rule: str
    name: str
    expect: str
    entities: dict
    snapshot: dict
    base: str
    edition: int | None
    as_of: str | None
    params: dict
    stage: str | None
    file: str
    line: int


@dataclass
class Pack:
    directory: Path
    name: str
    version: str
    rules: list[Rule]
    parameters: dict[str, params_mod.Parameter]  # by name
    param_values: dict
    requirements: dict  # id -> {title, source, family}
    documents: dict
    engine: (
        Engine | None
    )  # None when the pack is only read (documentation, traceability), not compiled
    files: list = field(default_factory=list)  # every file the pack was read from
    checklist: list = field(
        default_factory=list
    )  # pre-signature documents to prepare (checklist.yaml)
    source_editions: dict = field(
        default_factory=dict
    )  # source document -> the bulletin edition whose text it holds

    def rule(self, rule_id: str) -> Rule | None:
        return next((r for r in self.rules if r.id == rule_id), None)

    @functools.cached_property
    def tests(self) -> list[TestCase]:
        """The rules' test cases, read only when asked for: `check` never needs them."""
        return _load_tests(self.directory, {r.id: r for r in self.rules})


def load_pack(
    directory: str | Path | None = None,
    params_file: str | Path | None = None,
    runner: str | None = "compiled",
) -> Pack:
    """The pack, every expression compiled by engine `runner`. `runner=None`: the rules without
    their programs and no engine imported (`rules`, `params`), when the pack was loaded whole
    before (the loaded pack's cache); otherwise it is loaded whole with cel-python's compiled
    runner, so that a broken pack is still reported."""
    directory = Path(directory) if directory else default_pack_dir()
    if not (directory / "pack.yaml").is_file():
        raise PolicyError(
            Problem(
                str(directory),
                None,
                "",
                tr(
                    "pas un paquet de règles (pas de pack.yaml)", "not a policy pack (no pack.yaml)"
                ),
            )
        )
    stored = _StoredPack.open(directory)
    if stored.data is not None:
        try:
            return _build_pack(directory, stored, params_file, runner)
        except (
            PolicyError
        ):  # an engine refusing what another accepted: read the files again, for exact lines
            pass
        except (
            KeyError,
            IndexError,
            TypeError,
            ValueError,
            AttributeError,
        ):  # a damaged or hand-written cache: rebuilt
            pass
    read = _ReadPack(directory)
    pack = _build_pack(directory, read, params_file, runner or "compiled")
    stored.save(read.recorded)
    return pack


def _build_pack(directory: Path, source, params_file, runner: str | None) -> Pack:
    meta = source.meta()
    req_file, requirements = source.requirements(meta)
    parameters = source.parameters()
    param_values = params_mod.values(parameters)
    if params_file:
        param_values = params_mod.apply_overrides(param_values, params_file, parameters)
    engine = None
    if runner is not None:
        # compiled work is cached on disk, keyed by the files that define it (engines/cache.py)
        cache_files = [
            p for p in pack_glob(directory, "*.yaml") if not p.name.endswith(".tests.yaml")
        ]
        engine = make_engine(
            runner, VARIABLES, param_values, cache_files + pack_glob(directory, "params/*.yaml")
        )

    rules: list[Rule] = []
    problems = []
    seen: dict[str, Rule] = {}
    let_names = source.let_names()
    rule_files: list[Path] = []
    for path in pack_glob(directory, "*.yaml"):
        if path.name in ("pack.yaml", CHECKLIST, req_file.rsplit("/", 1)[-1]) or path.name.endswith(
            ".tests.yaml"
        ):
            continue
        rule_files.append(path)
        doc, file_problems = source.rule_file(path)
        if file_problems:
            problems.extend(file_problems)
            continue
        family = doc.data["family"]
        for index, spec in enumerate(doc.data["rules"]):
            rule_path = ("rules", index)
            try:
                rule = _build_rule(
                    spec, family, doc, rule_path, engine, requirements, meta, let_names
                )
            except PolicyError as exc:
                problems.extend(exc.problems)
                continue
            if rule.id in seen:
                first = seen[rule.id]
                problems.append(
                    Problem(
                        doc.file,
                        rule.line,
                        pointer(rule_path + ("id",)),
                        tr(
                            f"règle {rule.id!r} déjà définie en {first.file}:{first.line}",
                            f"rule id {rule.id!r} already defined at {first.file}:{first.line}",
                        ),
                    )
                )
                continue
            seen[rule.id] = rule
            rules.append(rule)
    if not rules and not problems:  # a pack that checks nothing must not report a pass
        problems.append(
            Problem(
                str(directory),
                None,
                "",
                tr("le paquet ne contient aucune règle", "the pack has no rules"),
            )
        )
    if problems:
        raise PolicyError(problems)
    if engine is not None:
        finish(engine)

    checklist = source.checklist(requirements, {r.id for r in rules})
    files = [
        directory / "pack.yaml",
        Path(req_file),
        *pack_glob(directory, "params/*.yaml"),
        *rule_files,
    ]
    if (directory / CHECKLIST).is_file():
        files.append(directory / CHECKLIST)
    return Pack(
        directory,
        meta["name"],
        str(meta["version"]),
        rules,
        parameters,
        param_values,
        requirements,
        meta.get("documents", {}),
        engine,
        files,
        checklist,
        meta.get("source_editions") or {},
    )


class _ReadPack:
    """The pack's files read and validated, as the loader goes; what was read is `recorded` for
    the loaded pack's cache (paths relative to the pack's folder: the same files elsewhere are the
    same pack)."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.recorded: dict = {"rule_files": {}}

    def relative(self, file: str) -> str:
        return os.path.relpath(file, self.directory)

    def meta(self) -> dict:
        meta_doc = load_file("pack.yaml", self.directory)
        problems = validate(meta_doc, "pack.schema.json")
        if problems:
            raise PolicyError(problems)
        self.recorded["meta"] = meta_doc.data
        # where pack.yaml names the requirements file, for an error about that name
        self.requirements_where = (
            (meta_doc.file, meta_doc.line_of(("requirements",)), "/requirements")
            if "requirements" in meta_doc.data
            else None
        )
        return meta_doc.data

    def requirements(self, meta: dict) -> tuple[str, dict]:
        req_doc = load_file(
            confined(
                self.directory,
                meta.get("requirements", "requirements.yaml"),
                self.requirements_where,
            )
        )
        problems = validate(req_doc, "requirements.schema.json")
        if problems:
            raise PolicyError(problems)
        self.recorded["requirements"] = (self.relative(req_doc.file), req_doc.data["requirements"])
        return req_doc.file, {r["id"]: r for r in req_doc.data["requirements"]}

    def parameters(self) -> dict:
        try:
            parameters = params_mod.load_parameters(
                self.directory / "params", pack_glob(self.directory, "params/*.yaml")
            )
        except PolicyError:
            raise
        except InputError as exc:  # a params/ file of the pack that does not even read
            raise PolicyError(exc.problems) from None
        self.recorded["parameters"] = [
            (
                p.name,
                p.value,
                p.description,
                p.source,
                p.unit,
                self.relative(p.file),
                p.line,
                p.schema,
                p.value_line,
            )
            for p in parameters.values()
        ]
        return parameters

    def rule_file(self, path: Path):
        doc = load_file(path)
        problems = validate(doc, "policy.schema.json")
        if not problems:
            lines = [doc.line_of(("rules", index)) for index in range(len(doc.data["rules"]))]
            self.recorded["rule_files"][path.name] = (doc.data, lines)
        return doc, problems

    def checklist(self, requirements: dict, rule_ids: set) -> list:
        self.recorded["checklist"] = _load_checklist(self.directory, requirements, rule_ids)
        return self.recorded["checklist"]

    def let_names(self) -> dict:
        """The names each expression of a rule with lets reads (`lets.names_read`), as the loader
        finds them: kept, so that a cached pack binds its lets without reading them again."""
        return self.recorded.setdefault("let_names", {})


class _StoredDoc:
    """A rule file as the loaded pack's cache keeps it: its data and the line of each rule (a
    problem found in it sends the loader back to the file, for its exact lines)."""

    def __init__(self, file: str, data: dict, lines: list):
        self.file, self.data, self.lines = file, data, lines

    def line_of(self, path) -> int:
        return self.lines[path[1]] if len(path) > 1 and path[0] == "rules" else 1


class _StoredPack:
    """The loaded, validated pack kept in the disk cache (`diskcache`: private, atomic, rebuilt
    when damaged), keyed by the content of the pack's files, the schemas, the versions of
    cdap-policy and Python, and the source of the modules that read and validate it."""

    FORMAT = 1
    SUFFIX = ".loaded"
    KEEP = 8

    def __init__(self, directory: Path, path: Path | None, key_text: str, data):
        self.directory, self.path, self.key_text, self.data = directory, path, key_text, data

    @classmethod
    def open(cls, directory: Path) -> _StoredPack:
        try:
            key_text = cls.key(directory)
        except (OSError, PolicyError):  # the loader, reading the files, says what is wrong
            return cls(directory, None, "", None)
        path = diskcache.path_for(key_text, cls.SUFFIX)
        data = diskcache.read(path, key_text) if path is not None else None
        if not (
            isinstance(data, dict)
            and {"meta", "requirements", "parameters", "rule_files", "checklist"} <= set(data)
        ):
            data = None
        return cls(directory, path, key_text, data)

    @classmethod
    def key(cls, directory: Path) -> str:
        import hashlib
        import json
        import sys

        import cdap_policy
        from cdap_policy.load import schema as schema_mod
        from cdap_policy.load import yamlsource
        from cdap_policy.support import formats

        def digest(path: Path) -> str:
            return hashlib.sha256(path.read_bytes()).hexdigest()

        files = [p for p in pack_glob(directory, "*.yaml") if not p.name.endswith(".tests.yaml")]
        files += pack_glob(directory, "params/*.yaml")
        code = [
            Path(m.__file__)
            for m in (sys.modules[__name__], lets_mod, params_mod, schema_mod, formats, yamlsource)
            if m.__file__
        ]
        schemas = [
            schema_mod.schema_path(name)
            for name in (
                "pack.schema.json",
                "requirements.schema.json",
                "policy.schema.json",
                "params.schema.json",
                "checklist.schema.json",
            )
        ]
        return json.dumps(
            {
                "format": cls.FORMAT,
                "cdap-policy": cdap_policy.__version__,
                "python": sys.version,
                "files": [[os.path.relpath(p, directory), digest(p)] for p in files],
                "code": [digest(p) for p in code + schemas],
            },
            sort_keys=True,
        )

    def save(self, recorded: dict) -> None:
        """Keep a pack that loaded whole (an unwritable cache only costs the next run its speed)."""
        if self.path is None or self.data is not None:
            return
        req_file = self.directory / recorded["requirements"][0]
        hashed = {p.resolve() for p in self.directory.glob("*.yaml")}
        if req_file.resolve() not in hashed:  # outside the files the key covers
            return
        try:
            diskcache.write(self.path, self.key_text, recorded)
        except (OSError, ValueError):
            return
        diskcache.prune(self.path.parent, self.path, self.SUFFIX, self.KEEP)

    # -- what the loader reads, from the cache ----------------------------------------------------
    def file(self, relative: str) -> str:
        return str(self.directory / relative)

    def meta(self) -> dict:
        return self.data["meta"]

    def requirements(self, meta: dict) -> tuple[str, dict]:
        relative, items = self.data["requirements"]
        return self.file(relative), {r["id"]: r for r in items}

    def parameters(self) -> dict:
        return {
            name: params_mod.Parameter(
                name, value, description, source, unit, self.file(file), *rest
            )
            for name, value, description, source, unit, file, *rest in self.data["parameters"]
        }

    def rule_file(self, path: Path):
        data, lines = self.data["rule_files"][path.name]
        return _StoredDoc(str(path), data, lines), []

    def checklist(self, requirements: dict, rule_ids: set) -> list:
        return self.data["checklist"]

    def let_names(self) -> dict:
        names = self.data.get("let_names", {})
        if not (
            isinstance(names, dict)
            and all(
                isinstance(k, str) and isinstance(v, list) and all(isinstance(n, str) for n in v)
                for k, v in names.items()
            )
        ):
            raise ValueError("let_names")  # a damaged cache: the pack is read again
        return dict(
            names
        )  # a source it lacks is read and not kept: the stored pack is never rewritten


def _load_checklist(
    directory: Path, requirements: dict, rule_ids: set | frozenset = frozenset()
) -> list[dict]:
    """The pre-signature checklist (`checklist.yaml`, optional): documents and the requirements they
    answer.
    """
    path = directory / CHECKLIST
    if not path.is_file():
        return []
    doc = load_file(CHECKLIST, directory)
    problems = validate(doc, "checklist.schema.json")
    if not problems:
        for index, item in enumerate(doc.data["documents"]):
            for position, req in enumerate(item["requirements"]):
                if req not in requirements:
                    here = ("documents", index, "requirements", position)
                    problems.append(
                        Problem(
                            doc.file,
                            doc.line_of(here),
                            pointer(here),
                            tr(f"exigence inconnue {req!r}", f"unknown requirement {req!r}"),
                        )
                    )
            for position, rule_id in enumerate(item.get("rules", [])):
                if rule_id not in rule_ids:
                    here = ("documents", index, "rules", position)
                    problems.append(
                        Problem(
                            doc.file,
                            doc.line_of(here),
                            pointer(here),
                            tr(f"règle inconnue {rule_id!r}", f"unknown rule {rule_id!r}"),
                        )
                    )
    if problems:
        raise PolicyError(problems)
    return doc.data["documents"]


def placeholders_of(template: str) -> set[str]:
    """The names of a message template's `{name}` placeholders. ValueError (with the offending
    field) for anything else: `{key.__class__}` reaches Python internals, `{key:>900000000}`
    allocates gigabytes; a message only ever needs a plain name (see evaluate.runner.render)."""
    names = set()
    try:
        parts = list(string.Formatter().parse(template))
    except ValueError:
        raise ValueError(template) from None
    for _, name, spec, conversion in parts:
        if name is None:
            continue
        if not name.isidentifier() or spec or conversion:
            shown = (
                "{"
                + name
                + (f"!{conversion}" if conversion else "")
                + (f":{spec}" if spec else "")
                + "}"
            )
            raise ValueError(shown)
        names.add(name)
    return names


def _compile(
    engine: Engine, source: str, doc, path: tuple, rule_id: str, lazy: bool = False
) -> Program:
    try:
        return engine.compile(source, lazy=lazy)
    except CompileError as exc:
        raise PolicyError(
            Problem(
                doc.file,
                doc.line_of(path),
                pointer(path),
                tr(
                    f"règle {rule_id} : l'expression ne compile pas : {exc}",
                    f"rule {rule_id}: expression does not compile: {exc}",
                ),
            )
        ) from None


def _build_rule(
    spec, family, doc, rule_path, engine, requirements, meta, let_names: dict | None = None
) -> Rule:
    rule_id = spec["id"]
    problems = []
    for index, req in enumerate(spec["requirements"]):
        if req not in requirements:
            path = rule_path + ("requirements", index)
            problems.append(
                Problem(
                    doc.file,
                    doc.line_of(path),
                    pointer(path),
                    tr(
                        f"règle {rule_id} : exigence inconnue {req!r}",
                        f"rule {rule_id}: unknown requirement {req!r}",
                    ),
                )
            )
    known_docs = meta.get("documents", {})
    for index, ref in enumerate(spec["references"]):
        if ref["document"] not in known_docs:
            path = rule_path + ("references", index, "document")
            problems.append(
                Problem(
                    doc.file,
                    doc.line_of(path),
                    pointer(path),
                    tr(
                        f"règle {rule_id} : document inconnu {ref['document']!r} ; le déclarer dans"
                        " pack.yaml",
                        f"rule {rule_id}: unknown document {ref['document']!r}; declare it in"
                        " pack.yaml",
                    ),
                )
            )
    placeholders = set(spec.get("evidence", {})) | BUILTIN_PLACEHOLDERS
    if spec.get("over") == "consultations":
        placeholders |= CONSULTATION_PLACEHOLDERS
    # a need's words may name what the rule read too; a log row the rule cannot judge has no
    # evidence
    # of its own (only its counts), so a consultation rule's needs name only those
    need_placeholders = (
        (BUILTIN_PLACEHOLDERS | CONSULTATION_PLACEHOLDERS)
        if spec.get("over") == "consultations"
        else placeholders
    )
    texts: list[tuple[tuple, str, set[str]]] = [
        ((part, lang), spec[part][lang], placeholders)
        for part in ("message", "remediation")
        for lang in ("fr", "en")
    ]
    texts += [
        (("requires", index, part, lang), need[part][lang], need_placeholders)
        for index, need in enumerate(spec.get("requires") or [])
        for part in ("what", "remediation")
        if part in need
        for lang in ("fr", "en")
    ]
    for where, text, allowed in texts:
        path = rule_path + where
        try:
            names = placeholders_of(text)
        except ValueError as exc:
            problems.append(
                Problem(
                    doc.file,
                    doc.line_of(path),
                    pointer(path),
                    tr(
                        f"règle {rule_id} : marque de substitution invalide {excerpt(exc.args[0])}"
                        " : seules les marques simples {nom} sont admises (ni attribut, ni"
                        " index, ni format, ni conversion)",
                        f"rule {rule_id}: bad placeholder {excerpt(exc.args[0])}: only plain"
                        " {name} placeholders are allowed (no attribute, index, format spec or"
                        " conversion)",
                    ),
                )
            )
            continue
        unknown = names - allowed
        if unknown:
            listed = ", ".join(sorted(unknown))
            problems.append(
                Problem(
                    doc.file,
                    doc.line_of(path),
                    pointer(path),
                    tr(
                        f"règle {rule_id} : {listed} absent(s) de evidence",
                        f"rule {rule_id}: placeholder(s) {listed} not defined in evidence",
                    ),
                )
            )
    lets, reads, read_by = _check_lets(
        spec, doc, rule_path, rule_id, problems, let_names if let_names is not None else {}
    )
    if problems:
        raise PolicyError(problems)

    def bound(source: str) -> str:
        return lets_mod.bind(source, lets, reads, read_by.get(source)) if lets else source

    if engine is None:  # the rules as data only (see load_pack)
        when, check, evidence = None, None, {}
    else:
        when = (
            _compile(engine, bound(spec["when"]), doc, rule_path + ("when",), rule_id)
            if spec.get("when")
            else None
        )
        check = _compile(engine, bound(spec["check"]), doc, rule_path + ("check",), rule_id)
        evidence = {
            name: _compile(
                engine, bound(src), doc, rule_path + ("evidence", name), rule_id, lazy=True
            )
            for name, src in spec.get("evidence", {}).items()
        }
    requires = []
    for index, need in enumerate(spec.get("requires") or []):
        path = rule_path + ("requires", index)
        if (
            "test" in need
        ):  # data the rule needs that is not one field (a dated list recent enough...)
            present = f"({bound(need['test'])})"
        else:
            if (steps := field_path(need["field"])) is None or len(steps) < 2:
                raise PolicyError(
                    Problem(
                        doc.file,
                        doc.line_of(path + ("field",)),
                        pointer(path + ("field",)),
                        tr(
                            f"règle {rule_id} : requires attend un champ (entity.x, facts.y…), pas"
                            f" {need['field']!r}",
                            f"rule {rule_id}: requires takes a field (entity.x, facts.y...), not"
                            f" {need['field']!r}",
                        ),
                    )
                )
            present = f"has({need['field']})"
        source = present if not need.get("when") else f"!({bound(need['when'])}) || {present}"
        program = _compile(engine, source, doc, path, rule_id) if engine is not None else None
        requires.append(
            Needed(
                need.get("field") or " ".join(need["test"].split()),
                dict(need["what"]),
                program,
                need.get("when"),
                need.get("field"),
                dict(need["remediation"]) if need.get("remediation") else None,
            )
        )
    locate = (
        tuple(int(p) if p.isdigit() else p for p in spec["locate"].strip("/").split("/"))
        if spec.get("locate")
        else None
    )
    return Rule(
        id=rule_id,
        family=family,
        requirements=list(spec["requirements"]),
        title=spec["title"],
        message=spec["message"],
        remediation=spec["remediation"],
        severity=spec["severity"],
        stages=list(spec["stages"]),
        editions=list(spec.get("editions", [2017, 2025])),
        frameworks=list(spec.get("frameworks", FRAMEWORKS)),
        over=spec["over"],
        when=when,
        check=check,
        evidence=evidence,
        references=list(spec["references"]),
        locate=locate,
        file=doc.file,
        line=doc.line_of(rule_path),
        source=spec,
        interpretation=dict(spec.get("interpretation") or {}),
        holders=bool(spec.get("holders", False)),
        requires=requires,
        lets=lets,
    )


def _check_lets(
    spec: dict, doc, rule_path: tuple, rule_id: str, problems: list, known: dict
) -> tuple[dict, dict, dict]:
    """The rule's lets (name -> expression, in order), the names each reads, and those each of
    its expressions reads (source -> names); what is wrong with them is added to `problems`: a name
    that is already a variable, a let that reads itself or a later one, a let no expression of the
    rule reads, and, in a rule with lets, a name that is neither a variable nor one of its lets (a
    misspelt let). `known`: source -> names read, kept with the loaded pack (filled here)."""
    lets = dict(spec.get("let") or {})
    if not lets:
        return {}, {}, {}

    def names_read(expr: str) -> list:
        if expr not in known:
            known[expr] = lets_mod.names_read(expr)
        return known[expr]

    names = list(lets)
    reads = {name: names_read(expr) for name, expr in lets.items()}

    def problem(path: tuple, fr: str, en: str) -> None:
        here = rule_path + path
        problems.append(
            Problem(
                doc.file,
                doc.line_of(here),
                pointer(here),
                tr(f"règle {rule_id} : {fr}", f"rule {rule_id}: {en}"),
            )
        )

    for position, name in enumerate(names):
        if name in VARIABLES:
            problem(
                ("let", name),
                f"le let {name!r} porte le nom d'une variable des expressions : le renommer",
                f"let {name!r} has the name of a variable expressions read: rename it",
            )
        elif name in lets_mod.RUNNER_NAMES:
            problem(
                ("let", name),
                f"le nom {name!r} est réservé par le moteur de cel-python (il y lirait autre chose)"
                " : renommer le let",
                f"name {name!r} is reserved by cel-python's runner (it would read something else "
                "there): rename the let",
            )
        for other in reads[name]:
            if other in lets and names.index(other) >= position:
                problem(
                    ("let", name),
                    f"le let {name!r} lit {other!r}, qui n'est pas défini avant lui : un let ne lit"
                    " que les let écrits au-dessus",
                    f"let {name!r} reads {other!r}, which is not defined before it: a let reads"
                    " only the lets written above it",
                )
    expressions: list[tuple[tuple, str]] = [(("let", name), expr) for name, expr in lets.items()]
    expressions += [((part,), spec[part]) for part in ("when", "check") if spec.get(part)]
    expressions += [
        (("evidence", name), expr) for name, expr in (spec.get("evidence") or {}).items()
    ]
    for index, need in enumerate(spec.get("requires") or []):
        expressions += [
            (("requires", index, part), need[part]) for part in ("test", "when") if need.get(part)
        ]
    listed = ", ".join(names)
    read_by = {expr: names_read(expr) for _, expr in expressions}
    for path, expr in expressions:
        unknown = [n for n in read_by[expr] if n not in VARIABLES and n not in lets]
        if unknown:
            problem(
                path,
                f"nom inconnu {unknown[0]!r} : ni une variable ni un let de la règle (let :"
                f" {listed})",
                f"unknown name {unknown[0]!r}: neither a variable nor a let of the rule (lets:"
                f" {listed})",
            )
    used: set[str] = set()
    for path, expr in expressions:
        if path[0] != "let":
            used.update(lets_mod.needed(expr, lets, reads, read_by[expr]))
    for name in names:
        if name not in used:
            problem(
                ("let", name),
                f"le let {name!r} n'est lu par aucune expression de la règle (when, check,"
                " evidence, requires) : le retirer",
                f"let {name!r} is read by no expression of the rule (when, check, evidence,"
                " requires): remove it",
            )
    return lets, reads, read_by


def _load_tests(directory: Path, rules: dict[str, Rule]) -> list[TestCase]:
    tests: list[TestCase] = []
    problems: list[Problem] = []
    for path in pack_glob(directory, "*.tests.yaml"):
        doc = load_file(path)
        file_problems = validate(doc, "policy-tests.schema.json")
        if file_problems:
            problems.extend(file_problems)
            continue
        for index, spec in enumerate(doc.data["tests"]):
            here = ("tests", index)
            if spec["rule"] not in rules:
                problems.append(
                    Problem(
                        doc.file,
                        doc.line_of(here + ("rule",)),
                        pointer(here + ("rule",)),
                        tr(f"règle inconnue {spec['rule']!r}", f"unknown rule {spec['rule']!r}"),
                    )
                )
                continue
            tests.append(
                TestCase(
                    rule=spec["rule"],
                    name=spec["name"],
                    expect=spec["expect"],
                    entities=spec.get("entities", {}),
                    snapshot=spec.get("snapshot", {}),
                    base=spec.get("base", "default"),
                    edition=spec.get("edition"),
                    as_of=spec.get("as_of"),
                    params=spec.get("params", {}),
                    stage=spec.get("stage"),
                    file=doc.file,
                    line=doc.line_of(here),
                )
            )
    if problems:
        raise PolicyError(problems)
    return tests
