"""The `check` pipeline for one snapshot: load, evaluate, add the report's notices, redact.

The command line parses options into `CheckOptions` and calls `check_snapshot` for each
snapshot; nothing here prints.
"""

from __future__ import annotations

import dataclasses
import datetime
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from cdap_policy.evaluate.runner import EVAL_TIMEOUT_S, evaluate
from cdap_policy.load.snapshot import Snapshot, load_snapshot
from cdap_policy.support.i18n import tr

if TYPE_CHECKING:  # imported when a run has waivers
    from cdap_policy.report.waivers import WaiverFile

# A snapshot describes the partner on the day it was taken; judged much later, every delay has
# run out and the report no longer describes that partner (a 10-failure fixture shows 410).
STALE_SNAPSHOT_DAYS = 90


@dataclass
class CheckOptions:
    as_of: str
    as_of_source: str = "option"  # "option" (--as-of) or "today"
    stage: str | None = None
    edition: int | None = None
    include_passed: bool = False
    rule_ids: set | None = None
    log_roots: tuple = ()
    eval_timeout: float | None = EVAL_TIMEOUT_S
    redact: bool = False
    redact_key: str | None = None
    param_values: dict | None = None
    baseline: list | None = None  # report(s) read by report.reportfile.load (--baseline)
    baseline_file: str = ""
    # several snapshots checked at once (a CI gate over a folder): a partner the baseline does not
    # hold is new to it (every finding new), not a mistake
    baseline_batch: bool = False
    waivers: WaiverFile | None = None  # --waivers; None: look next to the snapshot
    find_waivers: bool = (
        True  # use <snapshot>.waivers.yaml when no waiver file is given (--no-waivers: False)
    )
    skip: dict | None = None  # rule ID -> why the configuration does not run it
    skip_source: str = ""  # the configuration file that says so


def notices(snapshot: Snapshot, options: CheckOptions, framework: str) -> list[dict]:
    """Report-level notes an auditor must read before the findings."""
    out = list(snapshot.deprecations)
    taken_on = (snapshot.data.get("snapshot") or {}).get("taken_on")
    if taken_on:
        gap = (
            datetime.date.fromisoformat(options.as_of) - datetime.date.fromisoformat(taken_on[:10])
        ).days
        if gap > STALE_SNAPSHOT_DAYS:
            out.append(
                {
                    "code": "stale-snapshot",
                    "level": "warning",
                    "message": tr(
                        f"L'instantané date du {taken_on[:10]}, {gap} jours avant la date"
                        " d'évaluation"
                        f" {options.as_of} (plus de {STALE_SNAPSHOT_DAYS}) : les délais ont couru"
                        f" depuis. Passez --as-of {taken_on[:10]} pour juger le partenaire tel"
                        " qu'il"
                        " était ce jour-là.",
                        f"The snapshot was taken on {taken_on[:10]}, {gap} days before the"
                        " evaluation"
                        f" date {options.as_of} (more than {STALE_SNAPSHOT_DAYS}): every delay has"
                        " run"
                        f" since. Pass --as-of {taken_on[:10]} to judge the partner as it was that"
                        " day.",
                    ),
                }
            )
        elif gap < 0:
            out.append(
                {
                    "code": "future-as-of",
                    "level": "warning",
                    "message": tr(
                        f"La date d'évaluation {options.as_of} précède la date de l'instantané"
                        f" ({taken_on[:10]}).",
                        f"The evaluation date {options.as_of} is before the snapshot was taken"
                        f" ({taken_on[:10]}).",
                    ),
                }
            )
    if framework == "cafpro":
        out.append(
            {
                "code": "cafpro-obsolete",
                "level": "warning",
                "message": tr(
                    "Cadre CAFPRO : ce service a été remplacé par CDAP dans « Mon Compte"
                    " Partenaire » à"
                    " partir de 2017 (la convention CAFPRO « sera rendue caduque », LYO17)."
                    " Seules les"
                    " obligations de la convention CAFPRO sont vérifiées ; signer la convention «"
                    " Mon"
                    " Compte Partenaire » et le bulletin CDAP.",
                    "CAFPRO framework: this service was replaced by CDAP in « Mon Compte"
                    " Partenaire »"
                    " from 2017 (the CAFPRO convention « sera rendue caduque », LYO17). Only the"
                    " obligations of the CAFPRO convention are checked; sign the « Mon Compte"
                    " Partenaire » convention and the CDAP bulletin.",
                ),
            }
        )
    return out


def skipped_notices(pack, report, options: CheckOptions) -> list[dict]:
    """A rule the configuration does not run is said in the report, with the reason given: one
    notice per rule that would have run here (same stage, edition and framework)."""
    out = []
    for rule in pack.rules:
        reason = (options.skip or {}).get(rule.id)
        if (
            reason is None
            or rule.exclusion(report.stage, report.edition, report.framework) is not None
            or (options.rule_ids is not None and rule.id not in options.rule_ids)
        ):
            continue
        where = f" ({options.skip_source})" if options.skip_source else ""
        out.append(
            {
                "code": "rule-skipped",
                "level": "warning",
                "rule": rule.id,
                "message": tr(
                    f"Règle {rule.id} non vérifiée : écartée par la configuration{where} —"
                    f" {reason}",
                    f"Rule {rule.id} not checked: skipped by the configuration{where} — {reason}",
                ),
            }
        )
    return out


def checklist(pack, report) -> list[dict]:
    """The documents to prepare before signing, in the pack's order, each with the failing findings
    it fixes: only the documents of the partner's framework and edition, with the references its own
    documents hold. A finding goes under the first document naming its rule, else under the first
    listing one of its requirements; what no document covers goes under « other »."""
    failing = [f for f in report.listed() if f.status in ("fail", "error")]
    shown = [d for d in pack.checklist if _for_partner(d, report)]
    placed: dict[str, str] = {}
    for document in shown:  # by rule first: a document made for a rule's finding gets it
        for f in failing:
            if f.fingerprint not in placed and f.rule_id in document.get("rules", ()):
                placed[f.fingerprint] = document["id"]
    for document in shown:
        wanted = set(document["requirements"])
        for f in failing:
            if f.fingerprint not in placed and wanted & set(f.requirements):
                placed[f.fingerprint] = document["id"]
    out = []
    for document in shown:
        mine = [f.fingerprint for f in failing if placed.get(f.fingerprint) == document["id"]]
        if mine:
            references = [
                r if isinstance(r, str) else r["text"]
                for r in document.get("references", [])
                if isinstance(r, str) or _for_partner(r, report)
            ]
            out.append(
                {
                    "id": document["id"],
                    "title": document["title"],
                    "what": document["what"],
                    "references": references,
                    "findings": mine,
                }
            )
    rest = [f.fingerprint for f in failing if f.fingerprint not in placed]
    if rest:
        out.append(
            {
                "id": "other",
                "title": tr("Autres points", "Other points"),
                "what": tr(
                    "Points à corriger qui ne relèvent d'aucun des documents ci-dessus.",
                    "Points to correct that belong to none of the documents above.",
                ),
                "references": [],
                "findings": rest,
            }
        )
    return out


def _for_partner(item: dict, report) -> bool:
    """A checklist document or reference marked for some frameworks or editions only."""
    return report.framework in item.get(
        "frameworks", (report.framework,)
    ) and report.edition in item.get("editions", (report.edition,))


def check_snapshot(pack, path: str | Path, options: CheckOptions, display: str | None = None):
    """The report of one snapshot; raises InputError for a snapshot or log that cannot be read."""
    snapshot = load_snapshot(path, display, log_roots=options.log_roots)
    return check_loaded(pack, snapshot, options)


def check_loaded(pack, snapshot: Snapshot, options: CheckOptions):
    report = evaluate(
        pack,
        snapshot,
        options.as_of,
        stage=options.stage,
        edition=options.edition,
        include_passed=options.include_passed,
        rule_ids=options.rule_ids,
        param_values=options.param_values,
        timeout=options.eval_timeout,
        as_of_source=options.as_of_source,
        skip=options.skip,
    )
    report = _compare(pack, snapshot, options, report)
    report = dataclasses.replace(
        report,
        notices=notices(snapshot, options, report.framework)
        + skipped_notices(pack, report, options)
        + list(report.notices),
    )
    if options.stage == "pre-signature" and pack.checklist:
        report = dataclasses.replace(report, checklist=checklist(pack, report))
    if options.redact:
        from cdap_policy.report.redact import DEFAULT_KEY, redact_report

        report = redact_report(report, snapshot.data, options.redact_key or DEFAULT_KEY)
        if report.waivers is not None:  # approvers the snapshot does not name
            from cdap_policy.report.waivers import redact as redact_waivers

            report = redact_waivers(report, options.redact_key or DEFAULT_KEY)
    return report


def _compare(pack, snapshot: Snapshot, options: CheckOptions, report):
    """Waivers, then the baseline: both judge findings as evaluated, before any redaction."""
    waiver_file = options.waivers
    if waiver_file is None and options.find_waivers:
        from cdap_policy.report import waivers

        found = waivers.discover(snapshot.path)
        waiver_file = waivers.load(found, found=True) if found else None
    if waiver_file is not None:
        from cdap_policy.report import waivers

        values = options.param_values or pack.param_values
        report = waivers.apply(
            report,
            waiver_file,
            values.get("waiver_max_months", waivers.DEFAULT_MAX_MONTHS),
            {r.id: list(r.requirements) for r in pack.rules},
            pack.requirements,
        )
    if options.baseline is not None:
        from cdap_policy.report import baseline

        report = baseline.mark(
            report, options.baseline, options.baseline_file, batch=options.baseline_batch
        )
    return report


def flags_asked(pack, report) -> dict[str, list[str]]:
    """The partner flags that a failing pre-signature finding asks about (the CCAS's T1 conditions
    set by the Caf…): flag -> the entities concerned. Read from the rules' own conditions, so a
    rule added to the pack is asked about without touching the form."""
    if report is None:
        return {}
    flags = pack.param_values.get("eligibility_flags") or []
    out: dict[str, list[str]] = {}
    for finding in report.listed():
        rule = pack.rule(finding.rule_id)
        if finding.status != "fail" or rule is None:
            continue
        for flag in flags:
            if f"partner.{flag}" in (rule.source.get("check") or ""):
                out.setdefault(flag, [])
                if finding.entity_key not in out[flag] and finding.entity_kind == "profile":
                    out[flag].append(finding.entity_key)
    return out
