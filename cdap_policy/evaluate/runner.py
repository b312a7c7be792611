"""Evaluate a pack's rules against one snapshot and produce a Report.

Each rule runs over its collection; an expression that raises on an entity gives an `error`
finding, never a pass. Consultation rules run in one streaming pass over the log, evaluating
each distinct combination of the values a rule reads only once, and report one finding per
rule and user with the count of offending rows.
"""

from __future__ import annotations

import dataclasses
import functools
import re
import time
from dataclasses import dataclass, field

from cdap_policy import __version__, logs
from cdap_policy.engines import EvalError, to_python
from cdap_policy.evaluate.facts import Context, Entity
from cdap_policy.evaluate.findings import Finding, Report
from cdap_policy.load.pack import Pack, Rule
from cdap_policy.load.snapshot import Snapshot
from cdap_policy.support.textsafe import bounded

EVAL_TIMEOUT_S = 5.0  # per evaluation; a runaway expression becomes an `error` finding


class _Missing(dict):
    def __missing__(self, key):
        return "{" + key + "}"


MAX_LISTED = 10  # items of a list shown in a message; the evidence keeps more
MAX_EVIDENCE_ITEMS = 100  # items of a list kept in the evidence, then « … (+N) »


_YES_NO = {"fr": ("oui", "non"), "en": ("yes", "no")}


def _text(value, lang: str = "fr") -> str:
    if isinstance(value, dict) and set(value) == {"fr", "en"}:  # a value worded in both languages
        return _text(value[lang], lang)
    if isinstance(value, list):
        if (
            len(value) > MAX_LISTED
        ):  # a message stays readable, and its size bounded, whatever the input
            return (
                ", ".join(_text(v, lang) for v in value[:MAX_LISTED])
                + f"… (+{len(value) - MAX_LISTED})"
            )
        return ", ".join(_text(v, lang) for v in value) if value else "—"
    if isinstance(value, bool):
        return _YES_NO[lang][0] if value else _YES_NO[lang][1]
    if value is None:
        return "—"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return bounded(value)  # a 10 MB first name must not make a 100 MB report


def bound_evidence(value):
    """Evidence as recorded in a report: strings cut at MAX_VALUE characters, lists at
    MAX_EVIDENCE_ITEMS items, so that its size does not grow with a hostile input."""
    if isinstance(value, str):
        return bounded(value)
    if isinstance(value, list):
        kept = [bound_evidence(v) for v in value[:MAX_EVIDENCE_ITEMS]]
        if len(value) > MAX_EVIDENCE_ITEMS:
            kept.append(f"… (+{len(value) - MAX_EVIDENCE_ITEMS})")
        return kept
    if isinstance(value, dict):
        return {bounded(k): bound_evidence(v) for k, v in value.items()}
    return value


def _named(name: str, value, lang: str):
    """A code the schema enumerates, in words: « type « centre communal d'action sociale » »,
    not « type « ccas » » (support/labels.py); anything else as it is."""
    from cdap_policy.support import labels

    table = {
        "kind": labels.KINDS,
        "flags": labels.FLAGS,
        "status": labels.USER_STATUSES,
        "account_type": labels.ACCOUNT_TYPES,
    }.get(name)
    if table is None:
        return value
    if isinstance(value, str) and value in table:
        return labels.label(table, value, lang)
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return [labels.label(table, v, lang) for v in value]
    return value


_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_]*)\}")


def render(template: str, values: dict, lang: str = "fr") -> str:
    """Fill `{name}` placeholders (`{{` and `}}` are braces). Only plain names: the pack loader
    refuses attributes, indexes and format specs, and this never evaluates them either."""
    texts = _Missing({k: _text(_named(k, v, lang), lang) for k, v in values.items()})

    def fill(match: re.Match) -> str:
        name = match.group(1)
        if name is None:
            return match.group()[0]
        return texts[name]

    return _PLACEHOLDER.sub(fill, template)


_ERROR_MESSAGE = {
    "fr": (
        "La règle n'a pas pu être évaluée pour {label} : {error}. Aucun résultat n'est présumé"
        " conforme."
    ),
    "en": "The rule could not be evaluated for {label}: {error}. Nothing is presumed compliant.",
}
_ROWS_ERROR_MESSAGE = {
    "fr": (
        "La règle n'a pas pu juger {errors} consultation(s) de {label} sur {checked} (première"
        " ligne {first_row}) : {error}. Aucune n'est présumée conforme."
    ),
    "en": (
        "The rule could not judge {errors} consultation(s) by {label} out of {checked} (first row"
        " {first_row}): {error}. None is presumed compliant."
    ),
}
_NOT_JUDGED = {  # a user with proven failures and rows the rule could not judge: both are said
    "fr": " En outre, {errors} consultation(s) n'ont pas pu être jugées : {error}.",
    "en": " In addition, {errors} consultation(s) could not be judged: {error}.",
}
_ERROR_REMEDIATION = {
    "fr": (
        "Compléter ou corriger les données de l'instantané lues par la règle (voir `cdap-policy"
        " explain {rule}`), ou signaler un défaut de la règle."
    ),
    "en": (
        "Complete or correct the snapshot data the rule reads (see `cdap-policy explain {rule}`),"
        " or report a defect in the rule."
    ),
}


def cited(
    references,
    edition: int,
    framework: str,
    source_editions: dict | None = None,
    documents: dict | None = None,
) -> tuple:
    """The references a finding of this edition and framework cites: the documents the partner
    signed, quoted as it signed them. A reference is left out when it, or its document
    (`documents`, pack.yaml), is marked for other editions or frameworks (a CAFPRO report cites no
    « Mon Compte Partenaire » document, a 2017 report not the 2025 bulletin), and when its source
    holds another edition's text of a document that the report's edition has too (a 2025 report
    cites the COU25 convention, not HR17's; the coordination convention, which only HR17 holds, is
    cited in both). Without `documents`, only one article quoted from the two editions' sources is
    narrowed to the report's edition."""
    editions = source_editions or {}
    documents = documents or {}

    def applies(ref) -> bool:
        doc = documents.get(ref["document"], {})
        return all(
            edition in scope.get("editions", (edition,))
            and framework in scope.get("frameworks", (framework,))
            for scope in (ref, doc)
        )

    kept = [r for r in references if applies(r)]
    if documents:

        def other_edition(ref) -> bool:
            own = editions.get(ref.get("source"))
            return (
                own is not None
                and own != edition
                and any(
                    editions.get(s) == edition
                    for s in documents.get(ref["document"], {}).get("sources", ())
                )
            )

        return tuple(r for r in kept if not other_edition(r))
    own = {
        (r["document"], r.get("article")) for r in kept if editions.get(r.get("source")) == edition
    }
    return tuple(
        r
        for r in kept
        if (r["document"], r.get("article")) not in own
        or editions.get(r.get("source"), edition) == edition
    )


def missing(need) -> dict:
    """The error of an entity the rule cannot judge because `need` (a
    load.pack.Needed) is absent.
    """
    if (
        need.field_path is None
    ):  # data that is not one field (a dated list recent enough): said in words only
        return {
            "fr": f"donnée manquante : {need.what['fr']}",
            "en": f"data missing: {need.what['en']}",
        }
    return {
        "fr": f"donnée non renseignée : {need.what['fr']} ({need.field})",
        "en": f"data not recorded: {need.what['en']} ({need.field})",
    }


def _truthy(value) -> bool:
    # a CEL boolean: Python's (the native runtime, and `has()` from cel-python's compiled runner),
    # or cel-python's BoolType (an int subclass): told apart from an int by its type's name, so
    # that no engine is imported here
    if value is True or value is False or type(value).__name__ == "BoolType":
        return bool(value)
    raise EvalError(
        f"expression returned {type(value).__name__} {to_python(value)!r}, not a boolean"
    )


@dataclass
class Evaluator:
    pack: Pack
    context: Context
    timeout: float | None = EVAL_TIMEOUT_S
    keep_passed: bool = False  # list passing and not-applicable outcomes, not only count them
    findings: list[Finding] = field(default_factory=list)
    counts: dict = field(default_factory=dict)
    subjects: list = field(
        default_factory=list
    )  # per finding: what it is about, to link related findings

    @functools.cached_property
    def by_amendment(self) -> dict:
        """How a change of the bulletin is made: by amendment once the convention is signed, in the
        bulletin still to be signed before (the `{by_amendment}` of a remediation)."""
        convention = (
            (self.context.snapshot.data.get("convention") or {})
            if hasattr(self.context, "snapshot")
            else {}
        )
        signed = convention.get("signed_on")
        if signed and str(signed)[:10] <= self.context.as_of:
            return {"fr": " par avenant", "en": " by amendment"}
        return {"fr": " dans le bulletin à signer", "en": " in the bulletin to be signed"}

    def evidence(self, rule: Rule, activation: dict) -> dict:
        values, errors = {}, {}
        for name, program in rule.evidence.items():
            try:
                values[name] = to_python(program.evaluate(activation, self.timeout))
            except EvalError as exc:
                values[name] = "?"
                errors[name] = str(exc)
        if errors:  # kept visible: a message built on a value that could not be read says so
            values["evidence_errors"] = errors
        return bound_evidence(values)

    def record(
        self,
        rule: Rule,
        entity: Entity,
        status: str,
        evidence: dict,
        error: str | dict | None = None,
        file: str | None = None,
        line: int | None = None,
        via: tuple | None = None,
    ):
        self.counts[status] = self.counts.get(status, 0) + 1
        if status in ("pass", "not_applicable") and not self.keep_passed:
            return
        label = bounded(entity.label or entity.key)
        values = {"key": entity.key, "label": label, "by_amendment": self.by_amendment, **evidence}
        rows = (
            "checked" in evidence and "errors" in evidence
        )  # a consultation finding: counts of the user's rows
        if status == "error":
            need = next(
                (n for n in rule.requires if isinstance(error, dict) and error == missing(n)), None
            )
            if need is not None and isinstance(
                error, dict
            ):  # what is missing may name what the rule read (the date of a stale list...)
                error = {lang: render(error[lang], values, lang) for lang in ("fr", "en")}
            template = _ROWS_ERROR_MESSAGE if rows else _ERROR_MESSAGE
            message = {
                lang: render(template[lang], {**values, "label": label, "error": error}, lang)
                for lang in ("fr", "en")
            }
            if (
                need is not None and need.remediation
            ):  # not the snapshot's to complete: a parameter of the pack...
                remediation = {
                    lang: render(need.remediation[lang], values, lang) for lang in ("fr", "en")
                }
            else:
                remediation = {
                    lang: _ERROR_REMEDIATION[lang].format(rule=rule.id) for lang in ("fr", "en")
                }
            evidence = {**evidence, "error": error}
        elif status == "fail":
            message = {lang: render(rule.message[lang], values, lang) for lang in ("fr", "en")}
            if rows and evidence["errors"] and error is not None:
                message = {
                    lang: (
                        message[lang]
                        + render(
                            _NOT_JUDGED[lang], {"errors": evidence["errors"], "error": error}, lang
                        )
                    )
                    for lang in ("fr", "en")
                }
                evidence = {**evidence, "error": error}
            remediation = {
                lang: render(rule.remediation[lang], values, lang) for lang in ("fr", "en")
            }
        else:
            message = {lang: rule.title[lang] for lang in ("fr", "en")}
            remediation = {"fr": "", "en": ""}
        if line is None and entity.location:
            file, line = entity.location
        if line is None:
            path = rule.locate if (rule.locate and entity.kind == "partner") else entity.path
            line = self.context.snapshot.line_of(path)
        self.findings.append(
            Finding(
                rule_id=rule.id,
                requirements=tuple(rule.requirements),
                severity=rule.severity,
                status=status,
                entity_kind=entity.kind,
                entity_key=entity.key,
                entity_label=label,
                file=file or self.context.snapshot.file,
                line=line,
                title=dict(rule.title),
                message=message,
                remediation=remediation,
                evidence=evidence,
                references=cited(
                    rule.references,
                    self.context.edition,
                    self.context.snapshot.framework,
                    self.pack.source_editions,
                    self.pack.documents,
                ),
                interpretation=rule.interpretation,
            )
        )
        subject = {(entity.kind, entity.key)} if entity.kind != "partner" else set()
        self.subjects.append(subject | ({via} if via else set()))

    def run_rule(self, rule: Rule):
        # Entities that agree on every field the rule reads get the same result (55,000 daily
        # volumes have a few hundred distinct counts): evaluate each combination once.
        when = _RowCache(rule.when, self.timeout) if rule.when else None
        check = _RowCache(rule.check, self.timeout)
        needs = needed(rule, self.timeout)
        for entity in self.context.collection(rule.over):
            built: list = []

            def activation(
                entity=entity, built=built
            ):  # bound at definition: never a later iteration's entity
                if not built:
                    built.append(self.context.activation(entity))
                return built[0]

            status, error = self.combine(when, check, entity.data, entity.facts, activation, needs)
            evidence = self.evidence(rule, activation()) if status in ("fail", "error") else {}
            self.record(rule, entity, status, evidence, error)
            if status == "fail" and rule.holders and entity.kind == "profile":
                self.record_holders(rule, entity, evidence)

    def record_holders(self, rule: Rule, profile: Entity, evidence: dict):
        """A profile-level failure also names each holder as an entity of its own (`holders: true`),
        so that next year's diff shows a new holder as new, not as the same finding. Users planned
        for the profile (before signature or before their grant) are named too: they are judged
        before they hold it."""
        users = {u.key: u for u in self.context.collection("users")}
        for key in (profile.data.get("holders") or []) + (
            profile.data.get("planned_holders") or []
        ):
            if key in users:
                self.record(rule, users[key], "fail", evidence, via=("profile", profile.key))

    def link_related(self):
        """Findings that share a cause (the same profile, user or provider) name each other: an
        auditor reads one problem, each obligation keeps its own finding."""
        by_subject: dict[tuple, list[int]] = {}
        for index, (finding, subject) in enumerate(zip(self.findings, self.subjects, strict=True)):
            if finding.status in ("fail", "error"):
                for item in subject:
                    by_subject.setdefault(item, []).append(index)
        for index, (finding, subject) in enumerate(zip(self.findings, self.subjects, strict=True)):
            if finding.status not in ("fail", "error"):
                continue
            others = {
                self.findings[i].fingerprint
                for item in subject
                for i in by_subject.get(item, ())
                if i != index
            }
            others.discard(finding.fingerprint)
            if others:
                self.findings[index] = dataclasses.replace(finding, related=tuple(sorted(others)))

    @staticmethod
    def combine(when, check, data, facts, activation, needs=()) -> tuple[str, str | dict | None]:
        if when is not None:
            applies, error = when.result(data, facts, activation)
            if error:
                return "error", error
            if not applies:
                return "not_applicable", None
        for cache, need in needs:  # what the rule needs to judge: absent, the outcome is unknown
            present, error = cache.result(data, facts, activation)
            if error:
                return "error", error
            if not present:
                return "error", missing(need)
        passed, error = check.result(data, facts, activation)
        return ("error", error) if error else ("pass" if passed else "fail", None)

    def run_consultations(self, rules: list[Rule]):
        """One pass over the log for every consultation rule (logs.scan): each rule hands the log
        its judge, and gets back, per user, its rows counted; one finding per rule and user."""
        # The log is read even when no selected rule needs it (--stage, --rule): a truncated or
        # corrupt log is an input error, not a pass. The same pass counts daily volumes.
        judges = [RuleJudge(rule, self.timeout) for rule in rules]
        tally = logs.scan(
            self.context.snapshot,
            judges,
            self.context.consultation_facts,
            self.context.row_activation,
        )
        self.context.daily_volumes = tally.daily
        self._record_consultations(rules, tally)

    def _record_consultations(self, rules: list[Rule], tally: logs.Tally):
        to_cel = self.context.to_cel
        for rule, users in zip(rules, tally.users, strict=True):
            for user, counted in sorted(users.items()):
                user_data = self.context.users_by_id.get(user, {"id": user})
                entity = Entity("user", user, ("consultations",), user_data, {}, user)
                # a proven failure is reported as such, with the rows the rule could not judge
                # beside it; rows it could not judge alone are an error, never a pass
                status = counted.status
                if status in ("pass", "not_applicable"):
                    self.record(rule, entity, status, {})
                    continue
                first_row = (
                    counted.fail_row
                    if status == "fail" and counted.fail_row
                    else counted.samples[0]
                )
                where = (
                    counted.first_fail if status == "fail" and counted.first_fail else counted.first
                )
                assert where is not None  # a user with a failing or error row has a first one
                activation = dict(self.context.variables)
                activation["entity"] = to_cel({k: v for k, v in first_row.items() if k != "line"})
                activation["facts"] = to_cel(self.context.consultation_facts(first_row))
                evidence = self.evidence(rule, activation) if status == "fail" else {}
                evidence.update(
                    {
                        "rows": counted.counts["fail"],
                        "errors": counted.counts["error"],
                        "checked": counted.checked,
                        "first_row": first_row["line"],
                        "sample": counted.samples,
                    }
                )
                self.record(
                    rule, entity, status, evidence, counted.error_text, file=where[0], line=where[1]
                )


class RuleJudge:
    """A consultation rule as the log sees it (logs.tally.Judge): its `when`, `requires` and
    `check`, each cached per distinct combination of the fields it reads."""

    def __init__(self, rule: Rule, timeout: float | None):
        self.when = _RowCache(rule.when, timeout) if rule.when else None
        self.check = _RowCache(rule.check, timeout)
        self.needs = needed(rule, timeout)
        caches = [c for c in (self.when, self.check) if c is not None] + [
            cache for cache, _ in self.needs
        ]
        self.entity_fields = tuple(sorted(set().union(*(c.entity_fields for c in caches))))
        self.fact_fields = tuple(sorted(set().union(*(c.fact_fields for c in caches))))
        self.whole = any(c.whole for c in caches)
        # (row, facts, activation) -> (status, error): a partial, called once per row and rule
        self.verdict: logs.Verdict = functools.partial(
            Evaluator.combine, self.when, self.check, needs=self.needs
        )


def needed(rule, timeout) -> list:
    """(cache, Needed) for each field the rule requires."""
    return [(_RowCache(need.program, timeout), need) for need in rule.requires]


def _hashable(value):
    if isinstance(value, list):
        return ("list",) + tuple(_hashable(v) for v in value)
    if isinstance(value, dict):
        return ("map",) + tuple(sorted((k, _hashable(v)) for k, v in value.items()))
    return value


class _RowCache:
    """Results of one expression over log rows, kept per distinct combination of the `entity` and
    `facts` fields it reads: most rows of a log repeat the same few values for those fields."""

    LIMIT = 200_000  # distinct combinations kept; beyond that, evaluate without keeping

    def __init__(self, program, timeout):
        self.program, self.timeout = program, timeout
        self.entity_fields = tuple(sorted(program.reads.get("entity", ())))
        self.fact_fields = tuple(sorted(program.reads.get("facts", ())))
        self.whole = "*" in self.entity_fields or "*" in self.fact_fields
        self.results: dict = {}

    def result(self, row: dict, facts: dict, activation) -> tuple[bool | None, str | None]:
        key = None
        if not self.whole:
            # the schema gives each field one type, so plain values make a sound key; lists and
            # maps (unhashable) are frozen first
            key = tuple(map(row.get, self.entity_fields)) + tuple(map(facts.get, self.fact_fields))
            try:
                cached = self.results.get(key)
            except TypeError:
                key = tuple(_hashable(row.get(f)) for f in self.entity_fields) + tuple(
                    _hashable(facts.get(f)) for f in self.fact_fields
                )
                cached = self.results.get(key)
            if cached is not None:
                return cached
        result: tuple[bool | None, str | None]
        try:
            result = (_truthy(self.program.evaluate(activation(), self.timeout)), None)
        except EvalError as exc:
            result = (None, str(exc))
        if key is not None and len(self.results) < self.LIMIT:
            self.results[key] = result
        return result


def evaluate(
    pack: Pack,
    snapshot: Snapshot,
    as_of: str,
    stage: str | None = None,
    edition: int | None = None,
    include_passed: bool = False,
    rule_ids: set[str] | None = None,
    param_values: dict | None = None,
    timeout: float | None = EVAL_TIMEOUT_S,
    as_of_source: str = "option",
    skip=None,
) -> Report:
    """The report of `snapshot`; `skip`: rule IDs the configuration does not run (counted apart)."""
    started = time.perf_counter()
    context = Context(
        snapshot, param_values or pack.param_values, as_of, edition, stage, engine=pack.engine
    )
    evaluator = Evaluator(pack, context, timeout, include_passed)
    framework = snapshot.framework
    selected: list[Rule] = []
    excluded: dict[str, int] = {}  # why -> rules not run for that reason
    for rule in pack.rules:
        why = rule.exclusion(stage, context.edition, framework)
        if why is None and rule_ids is not None and rule.id not in rule_ids:
            why = "selection"
        if why is None and skip and rule.id in skip:
            why = "configuration"
        if why is None:
            selected.append(rule)
        else:
            excluded[why] = excluded.get(why, 0) + 1
    # every collection built before any rule runs: an engine that prepares values takes them at once
    context.prepare(sorted({r.over for r in selected if r.over != "consultations"}))
    evaluator.run_consultations(
        [r for r in selected if r.over == "consultations"]
    )  # one pass over the log
    for rule in selected:
        if rule.over != "consultations":
            evaluator.run_rule(rule)
    evaluator.link_related()
    partner = snapshot.data.get("partner") or {}
    return Report(
        tool_version=__version__,
        pack_name=pack.name,
        pack_version=pack.version,
        as_of=as_of,
        stage=stage,
        edition=context.edition,
        snapshot_file=snapshot.file,
        partner=snapshot.partner_name,
        findings=evaluator.findings,
        counts=evaluator.counts,
        rules_run=len(selected),
        framework=framework,
        siret=str(partner.get("siret") or ""),
        partner_kind=str(partner.get("kind") or ""),
        taken_on=(snapshot.data.get("snapshot") or {}).get("taken_on"),
        as_of_source=as_of_source,
        rules=[
            {
                **r.info,
                "references": [
                    dict(x)
                    for x in cited(
                        r.references,
                        context.edition,
                        framework,
                        pack.source_editions,
                        pack.documents,
                    )
                ],
            }
            for r in selected
        ],
        rules_total=len(pack.rules),
        rules_excluded=excluded,
        duration_s=time.perf_counter() - started,
    )
