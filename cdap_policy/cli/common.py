"""What every command shares: exit codes, common options, error lines, loading the pack."""

from __future__ import annotations

import datetime
import logging
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import click

from cdap_policy.cli.localise import error_prefix
from cdap_policy.support.errors import InputError, PolicyError

EXIT_OK, EXIT_FINDINGS, EXIT_INPUT, EXIT_INTERNAL, EXIT_INTERRUPTED, EXIT_TERMINATED = (
    0,
    1,
    2,
    3,
    130,
    143,
)
MAX_PROBLEMS = 50  # error lines shown for one file; the count of the others follows

_HEADS = {
    "policy": {"fr": "paquet de règles invalide", "en": "broken policy pack"},
    "params": {"fr": "fichier de paramètres invalide", "en": "bad parameter file"},
}


# -- what the tool says on standard error besides errors: Python's logging
# -----------------------------
# The library logs through the `cdap_policy` logger, its messages written {fr, en} (i18n.tr) or as
# plain text; the command line installs one handler on standard error that writes them in the
# language of --lang. -q keeps errors only, -v adds what the run did (configuration, files,
# timings).

LOGGER = "cdap_policy"
_LEVEL_WORDS = {
    logging.DEBUG: {"fr": "détail :", "en": "debug:"},
    logging.INFO: {"fr": "remarque :", "en": "note:"},
    logging.WARNING: {"fr": "attention :", "en": "warning:"},
    logging.ERROR: {"fr": "erreur :", "en": "error:"},
}


@dataclass
class _LogState:
    """What the log handler of this invocation writes: its language and its threshold."""

    lang: str = "fr"
    level: int = logging.INFO


_LOG_STATE = _LogState()


class _Formatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        from cdap_policy.support.i18n import pick
        from cdap_policy.support.textsafe import printable

        lang = _LOG_STATE.lang
        text = pick(record.msg, lang) if isinstance(record.msg, dict) else str(record.msg)
        if record.args:
            text = text % record.args
        word = (
            _LEVEL_WORDS.get(record.levelno)
            or _LEVEL_WORDS[logging.ERROR if record.levelno > logging.ERROR else logging.DEBUG]
        )
        return f"{word[lang]} {printable(text, None, keep_newlines=True)}"


def install_log_handler() -> None:
    """One handler on the standard error of this invocation (a test runner swaps it between two)."""
    logger = logging.getLogger(LOGGER)
    for handler in [h for h in logger.handlers if getattr(h, "_cdap_cli", False)]:
        logger.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    handler._cdap_cli = True  # type: ignore[attr-defined]
    handler.setFormatter(_Formatter())
    logger.addHandler(handler)
    logger.propagate = False
    _LOG_STATE.lang, _LOG_STATE.level = "fr", logging.INFO
    logger.setLevel(logging.INFO)


def _set_level(level: int):
    def callback(ctx, param, value):
        if value:
            _LOG_STATE.level = level
            logging.getLogger(LOGGER).setLevel(level)
        return value

    return callback


def _remember_lang(ctx, param, value):
    if value:
        _LOG_STATE.lang = value
    return value


def verbosity_options(command):
    """-q/--quiet and -v/--verbose (the last one given wins)."""
    command = click.option(
        "--quiet",
        "-q",
        is_flag=True,
        expose_value=False,
        callback=_set_level(logging.ERROR),
        help=helptext(
            "N'écrire que les erreurs sur la sortie d'erreur (ni remarques ni barre de"
            " progression).",
            "Write only errors on standard error (no notes, no progress bar).",
        ),
    )(command)
    return click.option(
        "--verbose",
        "-v",
        is_flag=True,
        expose_value=False,
        callback=_set_level(logging.DEBUG),
        help=helptext(
            "Dire aussi ce que fait la vérification (configuration, fichiers, durées) sur la sortie"
            " d'erreur.",
            "Also say what the run does (configuration, files, timings) on standard error.",
        ),
    )(command)


def quiet() -> bool:
    return _LOG_STATE.level > logging.WARNING


def helptext(fr: str, en: str) -> str:
    """An option's help in both languages: French for click, English remembered for `--lang en`."""
    from cdap_policy.cli.localise import h

    return h(fr, en)


def use_color(output) -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set (https://no-color.org)."""
    return output is None and sys.stdout.isatty() and not os.environ.get("NO_COLOR")


MAX_SKIPPED_NAMED = (
    5  # files named in the notice of the project's own files skipped; the others are counted
)


def notice_skipped(skipped: list, lang: str) -> None:
    """One notice for every file of the project met on the way (waivers, reports, parameters…)."""
    if not skipped:
        return
    from cdap_policy.load.filekinds import KIND_NAMES
    from cdap_policy.support.i18n import pick, tr

    named = ", ".join(
        f"{s['file']} ({pick(KIND_NAMES.get(s['kind'], s['kind']), lang)})"
        for s in skipped[:MAX_SKIPPED_NAMED]
    )
    more = len(skipped) - MAX_SKIPPED_NAMED
    tail = pick(tr(f" et {more} autre(s)", f" and {more} more"), lang) if more > 0 else ""
    logging.getLogger(LOGGER).info(
        tr(
            f"{len(skipped)} fichier(s) du projet ignoré(s), qui ne sont pas des instantanés :"
            f" {named}{tail}",
            f"{len(skipped)} file(s) of the project skipped, not snapshots: {named}{tail}",
        )
    )


def today() -> str:
    return datetime.date.today().isoformat()


def parse_date(ctx, param, value):
    if value is None:
        return None
    try:
        return datetime.date.fromisoformat(value).isoformat()
    except ValueError:
        from cdap_policy.cli.localise import current

        raise click.BadParameter(
            f"{value!r} n'est pas une date AAAA-MM-JJ"
            if current() == "fr"
            else f"{value!r} is not a date YYYY-MM-DD"
        ) from None


def redact_key() -> str:
    from cdap_policy.report.redact import key_from_environment

    return key_from_environment()


def report_problems(
    exc: InputError, head: dict | str, lang: str = "fr", redact: bool = False
) -> None:
    """One `error:` line naming what failed, then one line per problem, on standard error.

    Every error line of every input passes here: the value of a personal field (the schemas'
    `x-personal`) is masked whatever --redact; with --redact, names, e-mail addresses and phone
    numbers are replaced in the rest of the line too (by shape: the snapshot may be unreadable)."""
    from cdap_policy.report.redact import Pseudonymiser, Redactor, mask_problem
    from cdap_policy.support.i18n import pick, tr
    from cdap_policy.support.textsafe import printable

    if isinstance(exc, PolicyError):
        head = _HEADS["policy"]
    click.echo(
        f"{error_prefix(lang)}{printable(pick(head, lang))}{' :' if lang == 'fr' else ':'}",
        err=True,
    )
    pseudo = Pseudonymiser(redact_key())
    redactor = Redactor(None, redact_key()) if redact else None
    shown: set = set()
    for problem in exc.problems[:MAX_PROBLEMS]:
        problem = mask_problem(problem, pseudo)
        line = problem.render(lang)
        if line in shown:  # one problem reported by two checks (a missing field) is said once
            continue
        shown.add(line)
        if redactor is not None:
            line = redactor.problem_line(line, problem.path)
        click.echo(f"  {line}", err=True)
    hidden = len(exc.problems) - MAX_PROBLEMS
    if hidden > 0:
        click.echo(
            "  "
            + pick(
                tr(f"… et {hidden} autre(s) problème(s)", f"… and {hidden} more problem(s)"), lang
            ),
            err=True,
        )


def load_pack_or_exit(policies, params_file, engine: str | None = "compiled", lang: str = "fr"):
    from cdap_policy.load.pack import load_pack

    try:
        return load_pack(policies, params_file, runner=engine)
    except InputError as exc:
        report_problems(exc, _HEADS["params"], lang)
        sys.exit(EXIT_INPUT)


def fail_usage(message: dict, lang: str) -> NoReturn:
    """Bad usage noticed after parsing: one line, exit 2."""
    from cdap_policy.support.i18n import pick

    click.echo(f"{error_prefix(lang)}{pick(message, lang)}", err=True)
    sys.exit(EXIT_INPUT)


policies_option = click.option(
    "--policies",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Policy pack directory (default: the shipped pack).",
)
params_option = click.option(
    "--params",
    "params_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="YAML file overriding pack parameters (quotas, durations, country lists).",
)


def _engine_here(ctx, param, value):
    """`--engine native` without its package installed is bad usage: say how to install it."""
    if value == "native":
        from cdap_policy.engines import available

        why = available(value)
        if why is not None:
            from cdap_policy.cli.localise import current

            raise click.BadParameter(
                "le moteur natif n'est pas installé : pip install '.[fast]'"
                if current() == "fr"
                else f"the native engine is not installed: {why}"
            )
    return value


engine_option = click.option(
    "--engine",
    type=click.Choice(["compiled", "interpreted", "native"]),
    default=None,
    callback=_engine_here,
    help=(
        "CEL engine: cel-python's compiled runner (default for one snapshot), its interpreter "
        "(reference), or the native Rust runtime (pip install '.[fast]'; default for "
        "several snapshots when installed: the same reports, faster)."
    ),
)
lang_option = click.option(
    "--lang",
    type=click.Choice(["fr", "en"]),
    default="fr",
    show_default=True,
    envvar="CDAP_POLICY_LANG",
    show_envvar=True,
    callback=_remember_lang,
    help="Language of messages, remediations and errors.",
)
