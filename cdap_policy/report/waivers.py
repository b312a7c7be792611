"""Waivers: accepted exceptions, each approved by someone, for a reason, until a date.

A waiver file (`check --waivers FILE`, or `<snapshot>.waivers.yaml` found next to the snapshot)
is validated like a snapshot: a malformed file stops the run with `file:line: [field] message`.
A failing finding that an active waiver matches becomes `waived` (severity and message kept,
the waiver attached) and no longer counts for the exit code. A finding whose rule could not be
evaluated (`error`) is never waived. A waiver past its `expires_on` no longer applies and is
itself reported (`waiver-expired`, medium); one that matches nothing is reported as stale
(`waiver-stale`, low), so that a waiver file cannot silently outlive what it was for.
"""

from __future__ import annotations

import dataclasses
import datetime
import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from cdap_policy.evaluate.findings import Finding, Report
from cdap_policy.load.schema import mark_personal, validate
from cdap_policy.load.yamlsource import load_file
from cdap_policy.support import dates
from cdap_policy.support.errors import InputError, Problem, pointer
from cdap_policy.support.i18n import tr
from cdap_policy.support.textsafe import bounded

WAIVERS_SCHEMA = "waivers.schema.json"
FILE_SUFFIX = ".waivers.yaml"
DEFAULT_MAX_MONTHS = 12  # when the pack has no waiver_max_months parameter
LAST_APPROVAL = "2999-12-31"  # an approval date past it is a placeholder, not a date
EXPIRED, STALE = "waiver-expired", "waiver-stale"
_TITLES = {
    EXPIRED: tr("Dérogation expirée", "Expired waiver"),
    STALE: tr("Dérogation sans objet", "Stale waiver"),
}
_SEVERITY = {EXPIRED: "medium", STALE: "low"}
_DESCRIPTIONS = {
    EXPIRED: (
        "A waiver of the waiver file is past its expires_on: it no longer applies, and the findings"
        " it covered count again."
    ),
    STALE: (
        "A waiver in force matches no finding of a rule that ran: the defect was fixed or the"
        " entity is gone; remove the waiver."
    ),
}


@dataclass(frozen=True)
class Waiver:
    entity: str
    justification: str
    approved_by: str
    approved_on: str
    expires_on: str
    file: str
    line: int
    rule: str | None = None
    requirement: str | None = None
    ticket: str | None = None
    id: str | None = None
    expires_line: int | None = None  # where expires_on is written, for an error about it
    path: str = ""  # the waiver's JSON pointer in its file (/waivers/3)

    @property
    def key(self) -> str:
        """Names the waiver in reports; the fingerprint of its own findings depends on it."""
        return self.id or f"{self.target}:{self.entity}"

    @property
    def target(self) -> str:
        return self.rule or self.requirement or ""

    @property
    def specificity(self) -> int:
        """0 for a rule and an entity … 3 for a requirement and « * »: the most specific applies."""
        return (0 if self.rule else 2) + (1 if self.entity == "*" else 0)

    def state(self, day: str) -> Literal["pending", "active", "expired"]:
        """On `day` (YYYY-MM-DD): `pending` before its approval, `active` from its approval to the
        day before `expires_on`, `expired` from `expires_on` on (a waiver expires on that day)."""
        if self.expires_on <= day:
            return "expired"
        if day < self.approved_on:
            return "pending"
        return "active"

    def matches(self, finding: Finding) -> bool:
        if finding.entity_kind == "waiver":
            return False
        if self.rule is not None and finding.rule_id != self.rule:
            return False
        if self.requirement is not None and self.requirement not in finding.requirements:
            return False
        return self.entity == "*" or self.entity == finding.entity_key

    def to_dict(self) -> dict:
        """What a waived finding carries: who, why, until when, the ticket, and
        where it is written.
        """
        return {
            "id": self.key,
            "rule": self.rule,
            "requirement": self.requirement,
            "entity": self.entity,
            "justification": self.justification,
            "approved_by": self.approved_by,
            "approved_on": self.approved_on,
            "expires_on": self.expires_on,
            "ticket": self.ticket,
            "file": self.file,
            "line": self.line,
        }


@dataclass(frozen=True)
class WaiverFile:
    file: str
    waivers: tuple = ()
    siret: str | None = None
    siret_line: int | None = None
    found: bool = False  # found next to the snapshot rather than given with --waivers


def discover(snapshot_path: str | Path) -> Path | None:
    """`dir/x.yaml` → `dir/x.waivers.yaml` when that file exists."""
    path = Path(snapshot_path)
    candidate = path.with_name(path.stem + FILE_SUFFIX)
    return candidate if candidate.is_file() else None


def load(path: str | Path, display: str | None = None, found: bool = False) -> WaiverFile:
    """Read and validate a waiver file; InputError with every problem, each with its line."""
    try:
        doc = load_file(path, display)
    except InputError as exc:  # a control character in a justification quotes it: masked (personal)
        raise InputError(mark_personal(exc.problems, WAIVERS_SCHEMA)) from None
    if not isinstance(doc.data, dict):
        raise InputError(
            Problem(
                doc.file,
                doc.line_of(()),
                "",
                tr(
                    "un fichier de dérogations est un mapping avec une liste `waivers:`",
                    "a waiver file is a mapping with a list `waivers:`",
                ),
            )
        )
    problems = validate(doc, WAIVERS_SCHEMA)
    if problems:
        raise InputError(problems)
    waivers: list[Waiver] = []
    seen: dict[str, int] = {}  # waiver key -> its line
    for index, spec in enumerate(doc.data["waivers"]):
        here: tuple = ("waivers", index)
        if "rule" in spec and "requirement" in spec:
            where = here + ("requirement",)
            problems.append(
                Problem(
                    doc.file,
                    doc.line_of(where),
                    pointer(where),
                    tr(
                        "donner `rule` ou `requirement`, pas les deux",
                        "give `rule` or `requirement`, not both",
                    ),
                )
            )
            continue
        for name in ("justification", "approved_by"):
            if not spec[name].strip():
                where = here + (name,)
                problems.append(
                    Problem(
                        doc.file,
                        doc.line_of(where),
                        pointer(where),
                        tr(
                            f"{name} est blanc : une dérogation dit qui l'a approuvée et pourquoi",
                            f"{name} is blank: a waiver says who approved it and why",
                        ),
                    )
                )
        if (
            spec["approved_on"] > LAST_APPROVAL
        ):  # « 9999 » for « some day »: it would never apply, and a limit past it is no date
            where = here + ("approved_on",)
            problems.append(
                Problem(
                    doc.file,
                    doc.line_of(where),
                    pointer(where),
                    tr(
                        f"approved_on {spec['approved_on']} est après l'an {LAST_APPROVAL[:4]} :"
                        " écrivez la date réelle de l'approbation",
                        f"approved_on {spec['approved_on']} is after year {LAST_APPROVAL[:4]}:"
                        " write the real date of the approval",
                    ),
                )
            )
            continue
        if spec["expires_on"] <= spec["approved_on"]:
            where = here + ("expires_on",)
            problems.append(
                Problem(
                    doc.file,
                    doc.line_of(where),
                    pointer(where),
                    tr(
                        f"expires_on {spec['expires_on']} n'est pas après approved_on"
                        f" {spec['approved_on']}",
                        f"expires_on {spec['expires_on']} is not after approved_on"
                        f" {spec['approved_on']}",
                    ),
                )
            )
        waiver = Waiver(
            entity=spec["entity"],
            justification=spec["justification"].strip(),
            approved_by=spec["approved_by"].strip(),
            approved_on=spec["approved_on"],
            expires_on=spec["expires_on"],
            file=doc.file,
            line=doc.line_of(here),
            rule=spec.get("rule"),
            requirement=spec.get("requirement"),
            ticket=spec.get("ticket"),
            id=spec.get("id"),
            expires_line=doc.line_of(here + ("expires_on",)),
            path=pointer(here),
        )
        if waiver.key in seen:
            where = here + (("id",) if waiver.id else ())
            problems.append(
                Problem(
                    doc.file,
                    doc.line_of(where),
                    pointer(where),
                    tr(
                        f"dérogation {waiver.key!r} en double (première à la ligne"
                        f" {seen[waiver.key]})",
                        f"duplicate waiver {waiver.key!r} (first on line {seen[waiver.key]})",
                    ),
                )
            )
            continue
        seen[waiver.key] = waiver.line
        waivers.append(waiver)
    if problems:
        raise InputError(problems)
    siret = doc.data.get("siret")
    return WaiverFile(
        doc.file, tuple(waivers), siret, doc.line_of(("siret",)) if siret else None, found
    )


def _limit(approved_on: str, months: int) -> str:
    """The last expiry allowed: `approved_on` plus `months`; past year 9999 (a waiver approved in
    9999), the last day a date can have."""
    try:
        return dates.add_months(datetime.date.fromisoformat(approved_on), months).isoformat()
    except ValueError:
        return datetime.date.max.isoformat()


def too_long(waivers: WaiverFile, max_months: int) -> list[Problem]:
    out = []
    for w in waivers.waivers:
        limit = _limit(w.approved_on, max_months)
        if w.expires_on > limit:
            out.append(
                Problem(
                    w.file,
                    w.expires_line or w.line,
                    f"{w.path}/expires_on" if w.path else "",
                    tr(
                        f"la dérogation {w.key!r} court du {w.approved_on} au {w.expires_on}, plus"
                        f" que les {max_months} mois permis (waiver_max_months) : expires_on au"
                        f" plus tard le {limit} ; aucune dérogation n'est permanente",
                        f"waiver {w.key!r} runs from {w.approved_on} to {w.expires_on}, longer than"
                        f" the {max_months} months allowed (waiver_max_months): expires_on {limit}"
                        " at the latest; no waiver is permanent",
                    ),
                )
            )
    return out


def rule_info(rule_id: str, waivers: WaiverFile) -> dict:
    """What a report says of the two checks made on the waiver file itself (see Rule.info)."""
    return {
        "id": rule_id,
        "family": "WAIVER",
        "requirements": [],
        "severity": _SEVERITY[rule_id],
        "title": dict(_TITLES[rule_id]),
        "description": _DESCRIPTIONS[rule_id],
        "remediation": dict(_REMEDIATION[rule_id]),
        "references": [],
        "interpretation": None,
        "frameworks": [],
        "editions": [],
        "stages": [],
        "over": "waivers",
        "file": waivers.file,
        "line": 1,
    }


_REMEDIATION = {
    EXPIRED: tr(
        "Corriger le défaut ; si l'exception reste justifiée, faire approuver une nouvelle"
        " dérogation (nouvelles dates approved_on et expires_on), sinon la retirer du fichier.",
        "Fix the defect; if the exception is still justified, have a new waiver approved (new"
        " approved_on and expires_on dates), otherwise remove it from the file.",
    ),
    STALE: tr(
        "Retirer la dérogation du fichier, ou corriger son identifiant de règle, d'exigence ou"
        " d'entité.",
        "Remove the waiver from the file, or correct its rule, requirement or entity key.",
    ),
}


def _finding(rule_id: str, w: Waiver, message: dict, evidence: dict) -> Finding:
    return Finding(
        rule_id=rule_id,
        requirements=(),
        severity=_SEVERITY[rule_id],
        status="fail",
        entity_kind="waiver",
        entity_key=w.key,
        entity_label=bounded(f"{w.target} / {w.entity}"),
        file=w.file,
        line=w.line,
        title=dict(_TITLES[rule_id]),
        message=message,
        remediation=dict(_REMEDIATION[rule_id]),
        references=(),
        evidence=evidence,
    )


def _evidence(w: Waiver, **more) -> dict:
    return {
        "rule": w.rule,
        "requirement": w.requirement,
        "entity": w.entity,
        "approved_by": w.approved_by,
        "approved_on": w.approved_on,
        "expires_on": w.expires_on,
        "ticket": w.ticket,
        **more,
    }


def _what(w: Waiver) -> dict:
    kind = tr("règle", "rule") if w.rule else tr("exigence", "requirement")
    entity = (
        tr("toute entité", "every entity")
        if w.entity == "*"
        else tr(f"entité {w.entity}", f"entity {w.entity}")
    )
    return {
        lang: f"{bounded(w.key)} ({kind[lang]} {w.target}, {entity[lang]})" for lang in ("fr", "en")
    }


def _expired(w: Waiver, covered: int) -> Finding:
    what = _what(w)
    return _finding(
        EXPIRED,
        w,
        tr(
            f"La dérogation {what['fr']}, approuvée le {w.approved_on}, a expiré le {w.expires_on}"
            " : elle ne s'applique plus"
            + (
                f" et {covered} constat(s) qu'elle couvrait compte(nt) de nouveau."
                if covered
                else "."
            ),
            f"Waiver {what['en']}, approved on {w.approved_on}, expired on {w.expires_on}: it no"
            " longer applies"
            + (f" and {covered} finding(s) it covered count again." if covered else "."),
        ),
        _evidence(w, covered=covered),
    )


def _stale(w: Waiver, why: str, report: Report, close: list) -> Finding:
    what = _what(w)
    hint = (
        tr(f" (vouliez-vous dire : {', '.join(close)} ?)", f" (did you mean: {', '.join(close)}?)")
        if close
        else tr("", "")
    )
    if why == "unknown":
        kind = tr("la règle", "rule") if w.rule else tr("l'exigence", "requirement")
        message = tr(
            f"La dérogation {what['fr']} ne peut rien couvrir : {kind['fr']} {w.target} n'existe"
            f" pas dans le paquet {report.pack_name} {report.pack_version}{hint['fr']}.",
            f"Waiver {what['en']} cannot cover anything: {kind['en']} {w.target} is not in pack "
            f"{report.pack_name} {report.pack_version}{hint['en']}.",
        )
    else:
        message = tr(
            f"La dérogation {what['fr']} ne correspond à aucun constat : le défaut a été corrigé ou"
            " l'entité n'existe plus.",
            f"Waiver {what['en']} matches no finding: the defect was fixed or the entity is gone.",
        )
    return _finding(STALE, w, message, _evidence(w, reason=why))


def apply(
    report: Report,
    waivers: WaiverFile,
    max_months: int = DEFAULT_MAX_MONTHS,
    pack_rules: dict | None = None,
    pack_requirements=(),
) -> Report:
    """A copy of `report` with the waivers applied and the expired and stale ones reported.

    `pack_rules` (rule id -> requirements, every rule of the pack) and `pack_requirements` tell a
    waiver for a rule that did not run here (not judged) from one for a rule that does not exist
    (stale). InputError when the file is for another partner or a waiver lasts too long."""
    if waivers.siret and report.siret and waivers.siret != report.siret:
        raise InputError(
            Problem(
                waivers.file,
                waivers.siret_line,
                "/siret",
                tr(
                    f"dérogations accordées au SIRET {waivers.siret}, l'instantané"
                    f" {report.snapshot_file} est celui du SIRET {report.siret}",
                    f"waivers granted to SIRET {waivers.siret}, snapshot {report.snapshot_file} is"
                    f" SIRET {report.siret}",
                ),
            )
        )
    problems = too_long(waivers, max_months)
    if problems:
        raise InputError(problems)
    as_of = report.as_of
    active = [w for w in waivers.waivers if w.state(as_of) == "active"]
    expired = [w for w in waivers.waivers if w.state(as_of) == "expired"]
    pending = [w for w in waivers.waivers if w.state(as_of) == "pending"]
    matched: set = set()
    covered = dict.fromkeys((w.key for w in expired), 0)
    waived_by: dict = {}
    refused: list = []
    findings = []
    for finding in report.findings:
        if finding.status not in ("fail", "error"):
            findings.append(finding)
            continue
        for w in expired:
            if finding.status == "fail" and w.matches(finding):
                covered[w.key] += 1
        candidates = [w for w in active if w.matches(finding)]
        matched.update(w.key for w in candidates)
        if not candidates:
            findings.append(finding)
        elif (
            finding.status == "error"
        ):  # a rule that could not be evaluated is never a known, accepted state
            refused.append((candidates[0], finding))
            findings.append(finding)
        else:
            best = min(
                candidates, key=lambda w: w.specificity
            )  # min keeps the first written among equals
            waived_by[best.key] = waived_by.get(best.key, 0) + 1
            findings.append(dataclasses.replace(finding, status="waived", waiver=best.to_dict()))

    ran = {r["id"]: set(r.get("requirements") or ()) for r in report.rules}
    ran_requirements = set().union(*ran.values())
    pack_rules = pack_rules if pack_rules is not None else {r: list(q) for r, q in ran.items()}
    known_requirements = set(pack_requirements).union(*map(set, pack_rules.values()))
    added, not_judged = [_expired(w, covered[w.key]) for w in expired], 0
    for w in active:
        if w.key in matched:
            continue
        ran_here = w.rule in ran if w.rule else w.requirement in ran_requirements
        exists = w.rule in pack_rules if w.rule else w.requirement in known_requirements
        if ran_here or not exists:
            close = (
                []
                if exists
                else difflib.get_close_matches(
                    w.target, list(pack_rules) if w.rule else sorted(known_requirements), n=3
                )
            )
            added.append(_stale(w, "no_match" if exists else "unknown", report, close))
        else:
            not_judged += (
                1  # its rule did not run (stage, edition, framework): nothing to say either way
            )

    counts = dict(report.counts)
    n_waived = sum(waived_by.values())
    counts["fail"] = counts.get("fail", 0) - n_waived + len(added)
    counts["waived"] = counts.get("waived", 0) + n_waived
    summary = {
        "file": waivers.file,
        "found_next_to_snapshot": waivers.found,
        "waivers": len(waivers.waivers),
        "applied": len(waived_by),
        "waived": n_waived,
        "expired": len(expired),
        "stale": sum(1 for f in added if f.rule_id == STALE),
        "pending": len(pending),
        "not_judged": not_judged,
        "refused_on_error": len(refused),
    }
    rules = list(report.rules) + [rule_info(r, waivers) for r in (EXPIRED, STALE) if r not in ran]
    return dataclasses.replace(
        report,
        findings=findings + added,
        counts=counts,
        waivers=summary,
        rules=rules,
        notices=list(report.notices) + _notices(waivers, refused, pending),
    )


def _notices(waivers: WaiverFile, refused: list, pending: list) -> list[dict]:
    out = []
    if waivers.found:
        out.append(
            {
                "code": "waivers-found",
                "level": "info",
                "message": tr(
                    f"Dérogations lues dans {waivers.file}, trouvé à côté de l'instantané"
                    " (--no-waivers"
                    " pour l'ignorer).",
                    f"Waivers read from {waivers.file}, found next to the snapshot (--no-waivers to"
                    " ignore it).",
                ),
            }
        )
    for w, finding in refused:
        out.append(
            {
                "code": "waiver-on-error",
                "level": "warning",
                "message": tr(
                    f"La dérogation {bounded(w.key)} ({w.file}:{w.line}) ne couvre pas"
                    f" {finding.rule_id} pour {finding.entity_kind} {finding.entity_key} : la"
                    " règle n'a"
                    " pas pu être évaluée (statut error), et une erreur n'est jamais couverte par"
                    " une"
                    " dérogation.",
                    f"Waiver {bounded(w.key)} ({w.file}:{w.line}) does not cover {finding.rule_id}"
                    " for"
                    f" {finding.entity_kind} {finding.entity_key}: the rule could not be evaluated"
                    " (status error), and an error is never covered by a waiver.",
                ),
            }
        )
    for w in pending:
        out.append(
            {
                "code": "waiver-pending",
                "level": "info",
                "message": tr(
                    f"La dérogation {bounded(w.key)} ({w.file}:{w.line}) n'est approuvée qu'à"
                    " partir du"
                    f" {w.approved_on}, après la date d'évaluation : elle ne s'applique pas"
                    " encore.",
                    f"Waiver {bounded(w.key)} ({w.file}:{w.line}) is approved only from"
                    f" {w.approved_on}, after the evaluation date: it does not apply yet.",
                ),
            }
        )
    return out


def redact(report: Report, key: str) -> Report:
    """Pseudonymise who approved each waiver (`--redact`), after `redact.redact_report`.

    redact_report replaces the people the snapshot names, wherever they appear (an approver who
    is the partner's administrator gets that person's pseudonym); an approver it did not
    recognise (someone of the Caf) is replaced here as a whole."""
    from cdap_policy.report.redact import Pseudonymiser

    pseudo = Pseudonymiser(key)

    def person(name):
        return (
            name
            if not isinstance(name, str) or not name or "Personne-" in name
            else pseudo.person(name)
        )

    def clean(finding: Finding) -> Finding:
        changes: dict = {}  # Finding field -> its pseudonymised value
        if finding.waiver:
            changes["waiver"] = {
                **finding.waiver,
                "approved_by": person(finding.waiver.get("approved_by")),
            }
        if finding.entity_kind == "waiver" and "approved_by" in finding.evidence:
            changes["evidence"] = {
                **finding.evidence,
                "approved_by": person(finding.evidence["approved_by"]),
            }
        return dataclasses.replace(finding, **changes) if changes else finding

    return dataclasses.replace(report, findings=[clean(f) for f in report.findings])
