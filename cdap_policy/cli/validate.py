"""`cdap-policy validate`: the schema only."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from cdap_policy.cli.common import EXIT_INPUT, EXIT_OK, lang_option, report_problems
from cdap_policy.errors import InputError
from cdap_policy.i18n import pick, tr
from cdap_policy.textsafe import printable


@click.command()
@click.argument("snapshots", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--log-root", "log_roots", multiple=True, type=click.Path(file_okay=False, exists=True, path_type=Path),
              help="Also allow consultation logs in this folder (repeatable).")
@lang_option
def validate(snapshots, log_roots, lang):
    """Validate snapshot(s) against the schema only."""
    from cdap_policy.snapshot import load_snapshot

    code = EXIT_OK
    for path in snapshots:
        try:
            load_snapshot(path, log_roots=log_roots)
            click.echo(printable(f"{path}: " + pick(tr("valide", "valid"), lang)))
        except InputError as exc:
            report_problems(exc, tr(f"{path} n'est pas un instantané valide", f"{path} is not a valid snapshot"), lang)
            code = EXIT_INPUT
    sys.exit(code)
