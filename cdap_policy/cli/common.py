"""What every command shares: exit codes, common options, error lines, loading the pack."""
from __future__ import annotations

import datetime
import os
import sys
from pathlib import Path

import click

from cdap_policy.cli.localise import error_prefix

from cdap_policy.errors import InputError, PolicyError

EXIT_OK, EXIT_FINDINGS, EXIT_INPUT, EXIT_INTERNAL, EXIT_INTERRUPTED = 0, 1, 2, 3, 130
MAX_PROBLEMS = 50  # error lines shown for one file; the count of the others follows

_HEADS = {
    "policy": {"fr": "paquet de règles invalide", "en": "broken policy pack"},
    "params": {"fr": "fichier de paramètres invalide", "en": "bad parameter file"},
}


def today() -> str:
    return datetime.date.today().isoformat()


def parse_date(ctx, param, value):
    if value is None:
        return None
    try:
        return datetime.date.fromisoformat(value).isoformat()
    except ValueError:
        from cdap_policy.cli.localise import current

        raise click.BadParameter(f"{value!r} n'est pas une date AAAA-MM-JJ" if current() == "fr" else
                                 f"{value!r} is not a date YYYY-MM-DD") from None


def redact_key() -> str:
    from cdap_policy.redact import DEFAULT_KEY

    return os.environ.get("CDAP_POLICY_REDACT_KEY", DEFAULT_KEY)


def report_problems(exc: InputError, head: dict | str, lang: str = "fr", redact: bool = False) -> None:
    """One `error:` line naming what failed, then one line per problem, on standard error."""
    from cdap_policy.i18n import pick, tr
    from cdap_policy.textsafe import printable

    if isinstance(exc, PolicyError):
        head = _HEADS["policy"]
    click.echo(f"{error_prefix(lang)}{printable(pick(head, lang))}{' :' if lang == 'fr' else ':'}", err=True)
    redactor = None
    if redact:  # the snapshot could not be read: personal fields are masked by name, the rest by shape
        from cdap_policy.redact import Redactor

        redactor = Redactor(None, redact_key())
    shown: set = set()
    for problem in exc.problems[:MAX_PROBLEMS]:
        line = problem.render(lang)
        if line in shown:  # one problem reported by two checks (a missing field) is said once
            continue
        shown.add(line)
        if redactor is not None:
            line = redactor.problem_line(line, problem.path)
        click.echo(f"  {line}", err=True)
    hidden = len(exc.problems) - MAX_PROBLEMS
    if hidden > 0:
        click.echo("  " + pick(tr(f"… et {hidden} autre(s) problème(s)", f"… and {hidden} more problem(s)"), lang), err=True)


def load_pack_or_exit(policies, params_file, engine: str = "compiled", lang: str = "fr"):
    from cdap_policy.policy import load_pack

    try:
        return load_pack(policies, params_file, runner=engine)
    except InputError as exc:
        report_problems(exc, _HEADS["params"], lang)
        sys.exit(EXIT_INPUT)


def fail_usage(message: dict, lang: str) -> None:
    """Bad usage noticed after parsing: one line, exit 2."""
    from cdap_policy.i18n import pick

    click.echo(f"{error_prefix(lang)}{pick(message, lang)}", err=True)
    sys.exit(EXIT_INPUT)


policies_option = click.option("--policies", type=click.Path(file_okay=False, path_type=Path), default=None,
                               help="Policy pack directory (default: the shipped pack).")
params_option = click.option("--params", "params_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
                             help="YAML file overriding pack parameters (quotas, durations, country lists).")
def _engine_here(ctx, param, value):
    """`--engine native` without its package installed is bad usage: say how to install it."""
    if value == "native":
        from cdap_policy.engines import available

        why = available(value)
        if why is not None:
            from cdap_policy.cli.localise import current

            raise click.BadParameter("le moteur natif n'est pas installé : pip install 'cdap-policy[fast]'" if current() == "fr"
                                     else f"the native engine is not installed: {why}")
    return value


engine_option = click.option("--engine", type=click.Choice(["compiled", "interpreted", "native"]), default="compiled",
                             show_default=True, callback=_engine_here,
                             help="CEL engine: cel-python's compiled runner (default), its interpreter (reference), "
                                  "or the native Rust runtime (pip install 'cdap-policy[fast]').")
lang_option = click.option("--lang", type=click.Choice(["fr", "en"]), default="fr", show_default=True,
                           help="Language of messages, remediations and errors.")
