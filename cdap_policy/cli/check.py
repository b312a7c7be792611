"""`cdap-policy check`: options in, reports out."""
from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import click

from cdap_policy.cli.common import (EXIT_INPUT, EXIT_OK, engine_option, lang_option, params_option, parse_date,
                                    policies_option, redact_key, report_problems, today)
from cdap_policy.errors import InputError
from cdap_policy.findings import SEVERITY_RANK
from cdap_policy.formatters import REPORT_FORMATS
from cdap_policy.i18n import tr
from cdap_policy.policy import STAGES

DEFAULT_TIMEOUT_S = 3600  # a whole run; a 10-million-row log takes about 3 minutes


@click.command()
@click.argument("snapshots", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(list(REPORT_FORMATS)), default="table", show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
              help="Write the report to this file (« - »: standard output), replaced only once the run succeeded.")
@click.option("--as-of", callback=parse_date, help="Evaluation date YYYY-MM-DD (default today): the only 'now' rules see.")
@policies_option
@params_option
@click.option("--stage", type=click.Choice(STAGES), help="Run only the rules of this lifecycle stage.")
@click.option("--edition", type=click.Choice(["2017", "2025"]), help="Override the bulletin edition the snapshot declares.")
@click.option("--fail-on", type=click.Choice(list(SEVERITY_RANK)), default="high", show_default=True,
              help="Lowest severity of a failure that makes the exit code 1 (errors always do).")
@lang_option
@click.option("--include-passed", is_flag=True, help="List passing and not-applicable checks too.")
@engine_option
@click.option("--redact", is_flag=True, help="Replace names, e-mails and phone numbers with stable pseudonyms "
              "(key: CDAP_POLICY_REDACT_KEY); entity keys stay usable.")
@click.option("--log-root", "log_roots", multiple=True, type=click.Path(file_okay=False, exists=True, path_type=Path),
              help="Also allow consultation logs in this folder (repeatable); by default a log must be in the snapshot's folder.")
@click.option("--timeout", type=click.FloatRange(min=0), default=DEFAULT_TIMEOUT_S, show_default=True,
              help="Stop the whole run after this many seconds (exit 2, nothing written); 0: no limit.")
@click.option("--baseline", type=click.Path(dir_okay=False, path_type=Path),
              help="A previous `check --format json` report of the same partner: only findings it does not hold count for the exit code.")
@click.option("--waivers", "waivers_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Waiver file (YAML, schemas/waivers.schema.json); default: <snapshot>.waivers.yaml next to each snapshot.")
@click.option("--no-waivers", is_flag=True, help="Apply no waiver, not even a <snapshot>.waivers.yaml found next to the snapshot.")
def check(snapshots, fmt, output, as_of, policies, params_file, stage, edition, fail_on, lang, include_passed, engine,
          redact, log_roots, timeout, baseline, waivers_file, no_waivers):
    """Check snapshot(s) and report findings."""
    from cdap_policy import formatters, output as out
    from cdap_policy.checking import CheckOptions, check_loaded
    from cdap_policy.snapshot import load_snapshot
    from cdap_policy.cli.common import load_pack_or_exit
    from cdap_policy.deadline import WATCHDOG

    try:
        out.check_writable(output)
        out.refuse_inputs(output, [*snapshots, params_file, baseline, waivers_file])
    except InputError as exc:
        report_problems(exc, tr("sortie refusée", "output refused"), lang)
        sys.exit(EXIT_INPUT)
    baseline_reports, waiver_set = _comparison_inputs(baseline, None if no_waivers else waivers_file, lang)
    WATCHDOG.run_deadline(timeout or None, on_stuck=lambda: _stuck(timeout, lang))
    options = CheckOptions(as_of=as_of or today(), as_of_source="option" if as_of else "today", stage=stage,
                           edition=int(edition) if edition else None,
                           include_passed=include_passed or formatters.needs_passed(fmt), log_roots=tuple(log_roots),
                           redact=redact, redact_key=redact_key() if redact else None,
                           baseline=baseline_reports, baseline_file=str(baseline or ""), waivers=waiver_set,
                           find_waivers=not no_waivers)
    pack = None  # loaded once a snapshot is readable: bad input is refused without paying for the pack
    code = EXIT_OK
    reports, inputs = [], [*snapshots, params_file]
    for path in snapshots:
        try:
            snapshot = load_snapshot(path, log_roots=options.log_roots)
            inputs.append(snapshot.log_path)
            pack = pack or load_pack_or_exit(policies, params_file, engine, lang)
            report = check_loaded(pack, snapshot, options)
        except InputError as exc:
            report_problems(exc, tr(f"impossible de vérifier {path}", f"cannot check {path}"), lang, redact=redact)
            code = max(code, EXIT_INPUT)
            continue
        code = max(code, report.exit_code(fail_on))
        reports.append(report)
        inputs += [baseline, (report.waivers or {}).get("file")]
    WATCHDOG.cancel_run_deadline()
    if not reports:
        sys.exit(code)  # nothing readable: no report, not even an empty-looking one
    if pack is not None:
        inputs += pack.files
    color = output is None and sys.stdout.isatty() and "NO_COLOR" not in os.environ
    width = shutil.get_terminal_size((80, 24)).columns
    try:  # a format's own limit (SARIF: 25,000 results per run) is refused like bad input
        text = formatters.render(fmt, reports, formatters.FormatOptions(
            lang=lang, include_passed=include_passed, color=color, width=width, srcroot=_srcroot()))
        out.refuse_inputs(output, inputs)
        out.write_text(output, text)
    except InputError as exc:
        report_problems(exc, tr("sortie refusée", "output refused"), lang)
        sys.exit(EXIT_INPUT)
    sys.exit(code)


def _comparison_inputs(baseline, waivers_file, lang):
    """The baseline report(s) and the waiver file, read once before any snapshot: either unreadable stops the run."""
    from cdap_policy.compare import reportfile, waivers

    try:
        return (reportfile.load(baseline) if baseline else None,
                waivers.load(waivers_file) if waivers_file else None)
    except InputError as exc:
        report_problems(exc, tr("référence ou dérogations illisibles", "unreadable baseline or waivers"), lang)
        sys.exit(EXIT_INPUT)


def _srcroot() -> str:
    """The repository root (the nearest folder above with .git), else the current folder:
    SARIF and JUnit name snapshots relative to it."""
    here = Path.cwd()
    for folder in (here, *here.parents):
        if (folder / ".git").exists():
            return str(folder)
    return str(here)


def _stuck(timeout, lang):
    from cdap_policy.i18n import pick

    sys.stderr.write("error: " + pick(tr(f"durée maximale dépassée ({timeout:g} s) ; rien n'a été écrit",
                                         f"run took longer than --timeout ({timeout:g} s); nothing was written"), lang) + "\n")
    sys.stderr.flush()
    os._exit(EXIT_INPUT)
