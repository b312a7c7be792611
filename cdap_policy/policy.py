"""Load the policy pack: rules (YAML + CEL), their test cases, parameters and the requirement catalogue.

Every expression is compiled here, once; a pack that does not load stops the run (exit 2).
"""
from __future__ import annotations

import functools
import string
from dataclasses import dataclass, field
from pathlib import Path

from cdap_policy import params as params_mod
from cdap_policy.engines import CompileError, Engine, Program, finish, make_engine
from cdap_policy.engines.base import field_path
from cdap_policy.errors import InputError, PolicyError, Problem, pointer
from cdap_policy.i18n import tr
from cdap_policy.schema import validate
from cdap_policy.textsafe import MAX_VALUE, excerpt
from cdap_policy.yamlsource import load_file as _load_any


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
        raise PolicyError(Problem(file, line, field, tr(
            f"le fichier {excerpt(str(path), MAX_VALUE)} est hors du dossier du paquet (chemin absolu, « .. » ou lien "
            "symbolique vers l'extérieur) : un paquet ne lit que ses propres fichiers",
            f"file {excerpt(str(path), MAX_VALUE)} is outside the pack's folder (absolute path, « .. » or a symbolic "
            "link out): a pack reads only its own files")))
    return path


def pack_glob(directory: Path, pattern: str) -> list[Path]:
    """The files of the pack folder matching `pattern` (`params/*.yaml`), each confined to it."""
    return [confined(directory, p.relative_to(directory)) for p in sorted(Path(directory).glob(pattern))]


STAGES = ("pre-signature", "opening", "operation", "annual-review")
FRAMEWORKS = ("mon_compte_partenaire", "cafpro")
CHECKLIST = "checklist.yaml"
SEVERITIES = ("critical", "high", "medium", "low", "info")
# Variables every expression may read; `entity` and `facts` are the item being judged.
VARIABLES = {
    "snapshot", "partner", "convention", "contacts", "users", "reviews", "control", "subcontractors",
    "providers", "data_stores", "automations", "incidents", "params", "catalogue", "agg",
    "as_of", "edition", "stage", "entity", "facts",
}
BUILTIN_PLACEHOLDERS = {"key", "label", "by_amendment"}
# the runner adds these to the evidence of every consultation finding (see Evaluator.run_consultations)
CONSULTATION_PLACEHOLDERS = {"rows", "errors", "checked", "first_row", "sample"}


def default_pack_dir() -> Path:
    here = Path(__file__).resolve().parent
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
    program: Program  # has(field), or !(when) || has(field)
    when_source: str | None = None  # the condition as written, if any
    field_path: str | None = None  # the field when the need is one field, None for a `test`


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
    check: Program
    evidence: dict[str, Program]
    references: list[dict]
    locate: tuple | None
    file: str
    line: int
    source: dict = field(repr=False)  # the rule as written, for `explain`
    interpretation: dict = field(default_factory=dict)  # the pack's reading where the text needs one, {fr, en}
    holders: bool = False  # over profiles: a failure also gives one finding per holder
    requires: list = field(default_factory=list)  # Needed: fields without which the rule cannot judge

    def applies(self, stage: str | None, edition: int, framework: str = "mon_compte_partenaire") -> bool:
        return (stage is None or stage in self.stages) and edition in self.editions and framework in self.frameworks

    def exclusion(self, stage: str | None, edition: int, framework: str) -> str | None:
        """Why the rule does not run on this snapshot: framework, edition or stage (None if it runs)."""
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
            "id": self.id, "family": self.family, "requirements": list(self.requirements), "severity": self.severity,
            "title": dict(self.title), "description": self.source.get("description", ""),
            "remediation": dict(self.remediation), "references": [dict(r) for r in self.references],
            "interpretation": dict(self.interpretation) or None, "frameworks": list(self.frameworks),
            "editions": list(self.editions), "stages": list(self.stages), "over": self.over,
            "file": self.file, "line": self.line,
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
    parameters: dict  # name -> params.Parameter
    param_values: dict
    requirements: dict  # id -> {title, source, family}
    documents: dict
    engine: Engine
    files: list = field(default_factory=list)  # every file the pack was read from
    checklist: list = field(default_factory=list)  # pre-signature documents to prepare (checklist.yaml)
    source_editions: dict = field(default_factory=dict)  # source document -> the bulletin edition whose text it holds

    def rule(self, rule_id: str) -> Rule | None:
        return next((r for r in self.rules if r.id == rule_id), None)

    @functools.cached_property
    def tests(self) -> list[TestCase]:
        """The rules' test cases, read only when asked for: `check` never needs them."""
        return _load_tests(self.directory, {r.id: r for r in self.rules})


def load_pack(directory: str | Path | None = None, params_file: str | Path | None = None, runner: str = "compiled") -> Pack:
    directory = Path(directory) if directory else default_pack_dir()
    if not (directory / "pack.yaml").is_file():
        raise PolicyError(Problem(str(directory), None, "", tr("pas un paquet de règles (pas de pack.yaml)", "not a policy pack (no pack.yaml)")))
    meta_doc = load_file("pack.yaml", directory)
    problems = validate(meta_doc, "pack.schema.json")
    if problems:
        raise PolicyError(problems)
    meta = meta_doc.data
    where = (meta_doc.file, meta_doc.line_of(("requirements",)), "/requirements") if "requirements" in meta else None
    req_doc = load_file(confined(directory, meta.get("requirements", "requirements.yaml"), where))
    problems = validate(req_doc, "requirements.schema.json")
    if problems:
        raise PolicyError(problems)
    requirements = {r["id"]: r for r in req_doc.data["requirements"]}

    try:
        parameters = params_mod.load_parameters(directory / "params", pack_glob(directory, "params/*.yaml"))
    except PolicyError:
        raise
    except InputError as exc:  # a params/ file of the pack that does not even read
        raise PolicyError(exc.problems) from None
    param_values = params_mod.values(parameters)
    if params_file:
        param_values = params_mod.apply_overrides(param_values, params_file, parameters)
    # compiled work is cached on disk, keyed by the files that define it (engines/cache.py)
    cache_files = [p for p in pack_glob(directory, "*.yaml") if not p.name.endswith(".tests.yaml")]
    engine = make_engine(runner, VARIABLES, param_values, cache_files + pack_glob(directory, "params/*.yaml"))

    rules: list[Rule] = []
    problems = []
    seen: dict[str, Rule] = {}
    rule_files: list[Path] = []
    for path in pack_glob(directory, "*.yaml"):
        if path.name in ("pack.yaml", CHECKLIST, req_doc.file.rsplit("/", 1)[-1]) or path.name.endswith(".tests.yaml"):
            continue
        rule_files.append(path)
        doc = load_file(path)
        file_problems = validate(doc, "policy.schema.json")
        if file_problems:
            problems.extend(file_problems)
            continue
        family = doc.data["family"]
        for index, spec in enumerate(doc.data["rules"]):
            rule_path = ("rules", index)
            try:
                rule = _build_rule(spec, family, doc, rule_path, engine, requirements, meta)
            except PolicyError as exc:
                problems.extend(exc.problems)
                continue
            if rule.id in seen:
                first = seen[rule.id]
                problems.append(Problem(doc.file, rule.line, pointer(rule_path + ("id",)), tr(
                    f"règle {rule.id!r} déjà définie en {first.file}:{first.line}", f"rule id {rule.id!r} already defined at {first.file}:{first.line}")))
                continue
            seen[rule.id] = rule
            rules.append(rule)
    if not rules and not problems:  # a pack that checks nothing must not report a pass
        problems.append(Problem(str(directory), None, "", tr("le paquet ne contient aucune règle", "the pack has no rules")))
    if problems:
        raise PolicyError(problems)
    finish(engine)

    checklist = _load_checklist(directory, requirements, {r.id for r in rules})
    files = [directory / "pack.yaml", Path(req_doc.file), *pack_glob(directory, "params/*.yaml"), *rule_files]
    if (directory / CHECKLIST).is_file():
        files.append(directory / CHECKLIST)
    return Pack(directory, meta["name"], str(meta["version"]), rules, parameters, param_values,
                requirements, meta.get("documents", {}), engine, files, checklist, meta.get("source_editions") or {})


def _load_checklist(directory: Path, requirements: dict, rule_ids: set | frozenset = frozenset()) -> list[dict]:
    """The pre-signature checklist (`checklist.yaml`, optional): documents and the requirements they answer."""
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
                    problems.append(Problem(doc.file, doc.line_of(here), pointer(here), tr(
                        f"exigence inconnue {req!r}", f"unknown requirement {req!r}")))
            for position, rule_id in enumerate(item.get("rules", [])):
                if rule_id not in rule_ids:
                    here = ("documents", index, "rules", position)
                    problems.append(Problem(doc.file, doc.line_of(here), pointer(here), tr(
                        f"règle inconnue {rule_id!r}", f"unknown rule {rule_id!r}")))
    if problems:
        raise PolicyError(problems)
    return doc.data["documents"]


def placeholders_of(template: str) -> set[str]:
    """The names of a message template's `{name}` placeholders. ValueError (with the offending
    field) for anything else: `{key.__class__}` reaches Python internals, `{key:>900000000}`
    allocates gigabytes; a message only ever needs a plain name (see runner.render)."""
    names = set()
    try:
        parts = list(string.Formatter().parse(template))
    except ValueError:
        raise ValueError(template) from None
    for _, name, spec, conversion in parts:
        if name is None:
            continue
        if not name.isidentifier() or spec or conversion:
            shown = "{" + name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "") + "}"
            raise ValueError(shown)
        names.add(name)
    return names


def _compile(engine: Engine, source: str, doc, path: tuple, rule_id: str, lazy: bool = False) -> Program:
    try:
        return engine.compile(source, lazy=lazy)
    except CompileError as exc:
        raise PolicyError(Problem(doc.file, doc.line_of(path), pointer(path), tr(
            f"règle {rule_id} : l'expression ne compile pas : {exc}", f"rule {rule_id}: expression does not compile: {exc}"))) from None


def _build_rule(spec, family, doc, rule_path, engine, requirements, meta) -> Rule:
    rule_id = spec["id"]
    problems = []
    for index, req in enumerate(spec["requirements"]):
        if req not in requirements:
            path = rule_path + ("requirements", index)
            problems.append(Problem(doc.file, doc.line_of(path), pointer(path), tr(
                f"règle {rule_id} : exigence inconnue {req!r}", f"rule {rule_id}: unknown requirement {req!r}")))
    known_docs = meta.get("documents", {})
    for index, ref in enumerate(spec["references"]):
        if ref["document"] not in known_docs:
            path = rule_path + ("references", index, "document")
            problems.append(Problem(doc.file, doc.line_of(path), pointer(path), tr(
                f"règle {rule_id} : document inconnu {ref['document']!r} ; le déclarer dans pack.yaml",
                f"rule {rule_id}: unknown document {ref['document']!r}; declare it in pack.yaml")))
    placeholders = set(spec.get("evidence", {})) | BUILTIN_PLACEHOLDERS
    if spec.get("over") == "consultations":
        placeholders |= CONSULTATION_PLACEHOLDERS
    for part in ("message", "remediation"):
        for lang in ("fr", "en"):
            text = spec[part][lang]
            try:
                names = placeholders_of(text)
            except ValueError as exc:
                path = rule_path + (part, lang)
                problems.append(Problem(doc.file, doc.line_of(path), pointer(path), tr(
                    f"règle {rule_id} : marque de substitution invalide {excerpt(exc.args[0])} : seules les marques simples "
                    "{nom} sont admises (ni attribut, ni index, ni format, ni conversion)",
                    f"rule {rule_id}: bad placeholder {excerpt(exc.args[0])}: only plain {{name}} placeholders are allowed "
                    "(no attribute, index, format spec or conversion)")))
                continue
            unknown = names - placeholders
            if unknown:
                path = rule_path + (part, lang)
                names = ", ".join(sorted(unknown))
                problems.append(Problem(doc.file, doc.line_of(path), pointer(path), tr(
                    f"règle {rule_id} : {names} absent(s) de evidence", f"rule {rule_id}: placeholder(s) {names} not defined in evidence")))
    if problems:
        raise PolicyError(problems)
    when = _compile(engine, spec["when"], doc, rule_path + ("when",), rule_id) if spec.get("when") else None
    check = _compile(engine, spec["check"], doc, rule_path + ("check",), rule_id)
    evidence = {name: _compile(engine, src, doc, rule_path + ("evidence", name), rule_id, lazy=True)
                for name, src in spec.get("evidence", {}).items()}
    requires = []
    for index, need in enumerate(spec.get("requires") or []):
        path = rule_path + ("requires", index)
        if "test" in need:  # data the rule needs that is not one field (a dated list recent enough...)
            present = f"({need['test']})"
        else:
            if field_path(need["field"]) is None or len(field_path(need["field"])) < 2:
                raise PolicyError(Problem(doc.file, doc.line_of(path + ("field",)), pointer(path + ("field",)), tr(
                    f"règle {rule_id} : requires attend un champ (entity.x, facts.y…), pas {need['field']!r}",
                    f"rule {rule_id}: requires takes a field (entity.x, facts.y...), not {need['field']!r}")))
            present = f"has({need['field']})"
        source = present if not need.get("when") else f"!({need['when']}) || {present}"
        requires.append(Needed(need.get("field") or " ".join(need["test"].split()), dict(need["what"]),
                               _compile(engine, source, doc, path, rule_id), need.get("when"), need.get("field")))
    locate = tuple(int(p) if p.isdigit() else p for p in spec["locate"].strip("/").split("/")) if spec.get("locate") else None
    return Rule(
        id=rule_id, family=family, requirements=list(spec["requirements"]), title=spec["title"],
        message=spec["message"], remediation=spec["remediation"], severity=spec["severity"],
        stages=list(spec["stages"]), editions=list(spec.get("editions", [2017, 2025])),
        frameworks=list(spec.get("frameworks", FRAMEWORKS)), over=spec["over"],
        when=when, check=check, evidence=evidence, references=list(spec["references"]), locate=locate,
        file=doc.file, line=doc.line_of(rule_path), source=spec, interpretation=dict(spec.get("interpretation") or {}),
        holders=bool(spec.get("holders", False)), requires=requires,
    )


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
                problems.append(Problem(doc.file, doc.line_of(here + ("rule",)), pointer(here + ("rule",)), tr(
                    f"règle inconnue {spec['rule']!r}", f"unknown rule {spec['rule']!r}")))
                continue
            tests.append(TestCase(
                rule=spec["rule"], name=spec["name"], expect=spec["expect"], entities=spec.get("entities", {}),
                snapshot=spec.get("snapshot", {}), base=spec.get("base", "default"), edition=spec.get("edition"),
                as_of=spec.get("as_of"), params=spec.get("params", {}), stage=spec.get("stage"),
                file=doc.file, line=doc.line_of(here),
            ))
    if problems:
        raise PolicyError(problems)
    return tests


