"""Read a report written by `check --format json` (the input of `diff` and `--baseline`).

Only the parts a comparison relies on are checked: anything else in the file is kept as it is.
A file that is not such a report is refused with one `file[:line]: message` line (exit 2).
"""
from __future__ import annotations

import json
from pathlib import Path

from cdap_policy.errors import InputError, Problem
from cdap_policy.i18n import tr
from cdap_policy.textsafe import excerpt
from cdap_policy.yamlsource import read_text

TOOL_NAME = "cdap-policy"
_FINDING_KEYS = ("rule_id", "severity", "status", "fingerprint", "entity")


def _not_a_report(display: str, why: dict) -> InputError:
    return InputError(Problem(display, None, "", {
        "fr": f"n'est pas un rapport JSON de cdap-policy ({why['fr']}) ; produisez-le avec `cdap-policy check … --format json`",
        "en": f"is not a cdap-policy JSON report ({why['en']}); write one with `cdap-policy check … --format json`"}))


def parse(text: str, display: str) -> list[dict]:
    """The report(s) in `text`: a list of one report, or of several (a run over several snapshots)."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(Problem(display, exc.lineno, "", tr(f"JSON invalide : {exc.msg}", f"invalid JSON: {exc.msg}"))) from None
    except RecursionError:
        raise InputError(Problem(display, None, "", tr("JSON trop imbriqué", "JSON nested too deep"))) from None
    reports = data if isinstance(data, list) else [data]
    if not reports:
        raise _not_a_report(display, tr("liste vide", "empty list"))
    for index, report in enumerate(reports):
        where = "" if len(reports) == 1 else f" #{index + 1}"
        _check(report, display, where)
    return reports


def _check(report, display: str, where: str) -> None:
    if not isinstance(report, dict):
        raise _not_a_report(display, tr(f"rapport{where} : un objet JSON est attendu", f"report{where}: a JSON object is expected"))
    tool = report.get("tool")
    if not isinstance(tool, dict) or tool.get("name") != TOOL_NAME:
        raise _not_a_report(display, tr(f"rapport{where} : pas de champ tool.name = {TOOL_NAME!r}",
                                        f"report{where}: no field tool.name = {TOOL_NAME!r}"))
    version = report.get("fingerprint_version")
    if isinstance(version, bool) or not isinstance(version, int):
        raise InputError(Problem(display, None, "", tr(
            f"rapport{where} sans fingerprint_version (écrit par une version plus ancienne de cdap-policy) : "
            "refaites `check --format json` sur l'instantané avec la version actuelle",
            f"report{where} has no fingerprint_version (written by an older cdap-policy): "
            "run `check --format json` again on its snapshot with the current version")))
    for key, kind in (("snapshot", dict), ("findings", list), ("rules", list)):
        if not isinstance(report.get(key), kind):
            raise _not_a_report(display, tr(f"rapport{where} : champ {key!r} absent ou mal formé",
                                            f"report{where}: field {key!r} missing or malformed"))
    for index, finding in enumerate(report["findings"]):
        missing = [k for k in _FINDING_KEYS if not isinstance(finding, dict) or k not in finding]
        if missing or not isinstance(finding.get("entity"), dict) or not isinstance(finding.get("fingerprint"), str):
            what = ", ".join(missing) or "entity, fingerprint"
            raise _not_a_report(display, tr(f"rapport{where}, constat n° {index + 1} : {what} absent(s) ou mal formé(s)",
                                            f"report{where}, finding #{index + 1}: {what} missing or malformed"))


def load(path: str | Path, display: str | None = None) -> list[dict]:
    """The report(s) of a JSON file; InputError (file: message) when it is not one."""
    display = display or str(path)
    return parse(read_text(Path(path), display), display)


def load_one(path: str | Path, display: str | None = None) -> dict:
    """Exactly one report: `diff` compares one report with one report."""
    display = display or str(path)
    reports = load(path, display)
    if len(reports) != 1:
        names = ", ".join(excerpt(r["snapshot"].get("file", "?")) for r in reports[:5])
        raise InputError(Problem(display, None, "", tr(
            f"contient {len(reports)} rapports ({names}) ; diff compare un rapport à un rapport : "
            "écrivez un rapport par instantané (`check INSTANTANÉ --format json -o FICHIER`)",
            f"holds {len(reports)} reports ({names}); diff compares one report with one report: "
            "write one report per snapshot (`check SNAPSHOT --format json -o FILE`)")))
    return reports[0]
