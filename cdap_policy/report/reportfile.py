"""Read a report written by `check --format json` (the input of `diff` and `--baseline`).

Each report is validated against its own schema (schemas/report.schema.json) before anything
reads it: a field of the wrong type is refused with `file:line: [field] message` (exit 2), never
met later as an internal error. Fields the schema does not name are kept as they are.
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path

from cdap_policy.load.schema import Unsupported, errors_of, fast_validator, personal_path, validator
from cdap_policy.load.yamlsource import read_text
from cdap_policy.support.errors import InputError, Problem, pointer
from cdap_policy.support.i18n import tr
from cdap_policy.support.textsafe import excerpt

TOOL_NAME = "cdap-policy"
REPORT_SCHEMA = "report.schema.json"
# A baseline holds the reports of every partner of a batch: a few hundred partners of some
# hundred kilobytes each. Reading one takes about 4.5 times its size in memory.
MAX_BYTES = 256 * 1024 * 1024
_TOO_BIG = tr(
    f"un rapport (--baseline, ou rapport donné à diff) fait au plus {MAX_BYTES >> 20} Mio : donnez"
    " la référence des seuls partenaires vérifiés ici (un rapport par partie avec --shard)",
    f"a report (--baseline, or a report given to diff) is at most {MAX_BYTES >> 20} MiB: give the"
    " baseline of the partners checked here only (one report per share with --shard)",
)
_LONG_NUMBER = re.compile(r"[0-9]{4301}")


def _not_a_report(display: str, why: dict) -> InputError:
    return InputError(
        Problem(
            display,
            None,
            "",
            {
                "fr": (
                    f"n'est pas un rapport JSON de cdap-policy ({why['fr']}) ; produisez-le avec"
                    " `cdap-policy check … --format json`"
                ),
                "en": (
                    f"is not a cdap-policy JSON report ({why['en']}); write one with `cdap-policy"
                    " check … --format json`"
                ),
            },
        )
    )


def parse(text: str, display: str) -> list[dict]:
    """The report(s) in `text`: a list of one report, or of several (a run over
    several snapshots).
    """
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            Problem(
                display,
                exc.lineno,
                "",
                tr(f"JSON invalide : {exc.msg}", f"invalid JSON: {exc.msg}"),
            )
        ) from None
    except RecursionError:
        raise InputError(
            Problem(display, None, "", tr("JSON trop imbriqué", "JSON nested too deep"))
        ) from None
    except ValueError:  # an integer of thousands of digits: Python refuses to convert it
        found = _LONG_NUMBER.search(text)
        line = text.count("\n", 0, found.start()) + 1 if found else None
        raise InputError(
            Problem(
                display,
                line,
                "",
                tr(
                    "JSON invalide : un nombre trop long (plus de 4 300 chiffres)",
                    "invalid JSON: a number too long to read (more than 4,300 digits)",
                ),
            )
        ) from None
    reports = data if isinstance(data, list) else [data]
    if not reports:
        raise _not_a_report(display, tr("liste vide", "empty list"))
    for index, report in enumerate(reports):
        where = "" if len(reports) == 1 else f" #{index + 1}"
        _check(report, display, where)
        _validate(report, text, display, () if data is report else (index,))
    return reports


@functools.lru_cache(maxsize=1)
def _fast():
    try:
        return fast_validator(REPORT_SCHEMA)
    except Unsupported:
        return lambda report: validator(REPORT_SCHEMA).is_valid(report)


def _validate(report: dict, text: str, display: str, prefix: tuple) -> None:
    """Every field of the wrong type, with its line and field, in our words (schema.errors_of)."""
    if _fast()(report):
        return
    problems = []
    for path, message in errors_of(validator(REPORT_SCHEMA), report):
        here = prefix + path
        problems.append(
            Problem(
                display,
                line_of(text, here),
                pointer(here),
                message,
                personal_path(REPORT_SCHEMA, path),
            )
        )
    problems.sort(key=lambda p: (p.line or 0, p.path))
    raise InputError(problems)


_SPACE = re.compile(r"[ \t\n\r]*")


def _skip(text: str, pos: int) -> int:
    """The position past the JSON whitespace at `pos`."""
    match = _SPACE.match(text, pos)
    return (
        match.end() if match else pos
    )  # the pattern matches the empty string: there is always a match


def line_of(text: str, path: tuple) -> int | None:
    """The line where the value at `path` starts in the JSON `text` (None if not found): the
    members before it are skipped with the C decoder, so a large report costs little."""
    decoder = json.JSONDecoder()
    try:
        pos = _skip(text, 0)
        for step in path:
            if text[pos] == "{":
                pos = _skip(text, pos + 1)
                while text[pos] != "}":
                    key, pos = json.decoder.scanstring(text, pos + 1)  # type: ignore[attr-defined]  # public, not in typeshed
                    pos = _skip(text, _skip(text, pos) + 1)  # past the colon
                    if key == step:
                        break
                    _, pos = decoder.raw_decode(text, pos)
                    pos = _skip(text, pos)
                    if text[pos] == ",":
                        pos = _skip(text, pos + 1)
                else:
                    return None
            elif text[pos] == "[" and isinstance(step, int):
                pos = _skip(text, pos + 1)
                for _ in range(step):
                    if text[pos] == "]":
                        return None
                    _, pos = decoder.raw_decode(text, pos)
                    pos = _skip(text, pos)
                    if text[pos] == ",":
                        pos = _skip(text, pos + 1)
                if text[pos] == "]":
                    return None
            else:
                return None
        return text.count("\n", 0, pos) + 1
    except (IndexError, ValueError):
        return None


def _check(report, display: str, where: str) -> None:
    if not isinstance(report, dict):
        raise _not_a_report(
            display,
            tr(
                f"rapport{where} : un objet JSON est attendu",
                f"report{where}: a JSON object is expected",
            ),
        )
    tool = report.get("tool")
    if not isinstance(tool, dict) or tool.get("name") != TOOL_NAME:
        raise _not_a_report(
            display,
            tr(
                f"rapport{where} : pas de champ tool.name = {TOOL_NAME!r}",
                f"report{where}: no field tool.name = {TOOL_NAME!r}",
            ),
        )
    version = report.get("fingerprint_version")
    if isinstance(version, bool) or not isinstance(version, int):
        raise InputError(
            Problem(
                display,
                None,
                "",
                tr(
                    f"rapport{where} sans fingerprint_version (écrit par une version plus ancienne"
                    " de cdap-policy) : refaites `check --format json` sur l'instantané avec la"
                    " version actuelle",
                    f"report{where} has no fingerprint_version (written by an older cdap-policy): "
                    "run `check --format json` again on its snapshot with the current version",
                ),
            )
        )
    for key, kind in (("snapshot", dict), ("findings", list), ("rules", list)):
        if not isinstance(report.get(key), kind):
            raise _not_a_report(
                display,
                tr(
                    f"rapport{where} : champ {key!r} absent ou mal formé",
                    f"report{where}: field {key!r} missing or malformed",
                ),
            )


def load(path: str | Path, display: str | None = None) -> list[dict]:
    """The report(s) of a JSON file; InputError (file: message) when it is not one."""
    display = display or str(path)
    return parse(read_text(Path(path), display, MAX_BYTES, _TOO_BIG), display)


def load_one(path: str | Path, display: str | None = None) -> dict:
    """Exactly one report: `diff` compares one report with one report."""
    display = display or str(path)
    reports = load(path, display)
    if len(reports) != 1:
        names = ", ".join(excerpt(r["snapshot"].get("file", "?")) for r in reports[:5])
        raise InputError(
            Problem(
                display,
                None,
                "",
                tr(
                    f"contient {len(reports)} rapports ({names}) ; diff compare un rapport à un"
                    " rapport : écrivez un rapport par instantané (`check INSTANTANÉ --format json"
                    " -o FICHIER`)",
                    f"holds {len(reports)} reports ({names}); diff compares one report with one"
                    " report: write one report per snapshot (`check SNAPSHOT --format json -o"
                    " FILE`)",
                ),
            )
        )
    return reports[0]
