"""`cdap-policy diff OLD.json NEW.json`: what changed between two reports of one partner."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from typing import NoReturn

import click

from cdap_policy.cli.common import EXIT_INPUT, lang_option, report_problems
from cdap_policy.evaluate.findings import SEVERITY_RANK
from cdap_policy.formatters import DIFF_FORMATS
from cdap_policy.support.errors import InputError
from cdap_policy.support.i18n import tr


@click.command()
@click.argument("old", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("new", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--format", "fmt", type=click.Choice(list(DIFF_FORMATS)), default="table", show_default=True
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
    help="Write the diff to this file (« - »: standard output), replaced only once it is complete.",
)
@click.option(
    "--fail-on",
    type=click.Choice(list(SEVERITY_RANK)),
    default="high",
    show_default=True,
    help=(
        "Lowest severity of a new failing finding that makes the exit code 1 (a new error always"
        " does)."
    ),
)
@click.option(
    "--force", is_flag=True, help="Compare reports of two different partners (SIRET) anyway."
)
@lang_option
def diff(old, new, fmt, output, fail_on, force, lang) -> NoReturn:
    """Compare two reports of `check --format json`: new, resolved (absent), unchanged and updated
    findings.
    """
    from cdap_policy import formatters
    from cdap_policy.report import reportfile
    from cdap_policy.report.diff import diff_reports
    from cdap_policy.support import output as out

    try:
        out.check_writable(output)
        out.refuse_inputs(output, [old, new])
        result = diff_reports(
            reportfile.load_one(old), reportfile.load_one(new), str(old), str(new), force=force
        )
    except InputError as exc:
        report_problems(exc, tr("comparaison impossible", "cannot compare"), lang)
        sys.exit(EXIT_INPUT)
    color = output is None and sys.stdout.isatty() and "NO_COLOR" not in os.environ
    width = shutil.get_terminal_size((100, 24)).columns
    text = formatters.render_diff(
        fmt, result, formatters.FormatOptions(lang=lang, color=color, width=width)
    )
    try:
        out.write_text(output, text)
    except InputError as exc:
        report_problems(exc, tr("sortie refusée", "output refused"), lang)
        sys.exit(EXIT_INPUT)
    sys.exit(result.exit_code(fail_on))
