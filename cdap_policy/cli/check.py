"""`cdap-policy check`: options in, reports out."""

from __future__ import annotations

import json
import logging
import os
import shutil
import sys
import time
from pathlib import Path
from typing import NoReturn

import click

from cdap_policy.cli.common import (
    EXIT_INPUT,
    EXIT_OK,
    engine_option,
    fail_usage,
    lang_option,
    notice_skipped,
    params_option,
    parse_date,
    policies_option,
    quiet,
    redact_key,
    report_problems,
    today,
    use_color,
    verbosity_options,
)
from cdap_policy.cli.completion import complete_rule_ids
from cdap_policy.cli.localise import error_prefix
from cdap_policy.evaluate.findings import SEVERITY_RANK
from cdap_policy.formatters import REPORT_FORMATS
from cdap_policy.load.pack import STAGES
from cdap_policy.support.errors import InputError
from cdap_policy.support.i18n import pick, tr
from cdap_policy.support.textsafe import printable

DEFAULT_TIMEOUT_S = 3600  # a whole run; a 10-million-row log takes about 3 minutes
log = logging.getLogger("cdap_policy.check")


def _shard(ctx, param, value):
    if value is None:
        return None
    from cdap_policy.pipeline.batch.shard import parse

    try:
        return parse(value)
    except ValueError as exc:
        from cdap_policy.cli.localise import current

        raise click.BadParameter(pick(exc.args[0], current())) from None


@click.command()
@click.argument("snapshots", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(list(REPORT_FORMATS)),
    default="table",
    show_default=True,
    help="jsonl: one report per line, written as each snapshot is checked.",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
    help=(
        "Write the report to this file (« - »: standard output), replaced only once the run"
        " succeeded."
    ),
)
@click.option(
    "--as-of",
    callback=parse_date,
    help="Evaluation date YYYY-MM-DD (default today): the only 'now' rules see.",
)
@policies_option
@params_option
@click.option(
    "--stage", type=click.Choice(STAGES), help="Run only the rules of this lifecycle stage."
)
@click.option(
    "--edition",
    type=click.Choice(["2017", "2025"]),
    help="Override the bulletin edition the snapshot declares.",
)
@click.option(
    "--rule",
    "rule_ids",
    multiple=True,
    shell_complete=complete_rule_ids,
    help="Run only this rule (repeatable; with --family: those rules too).",
)
@click.option(
    "--family",
    "families",
    multiple=True,
    metavar="ELIG|QUOTA|SCOPE|RET|SUB|GOV|COORD",
    help="Run only the rules of this family (repeatable).",
)
@click.option(
    "--fail-on",
    type=click.Choice(list(SEVERITY_RANK)),
    default="high",
    show_default=True,
    help="Lowest severity of a failure that makes the exit code 1 (errors always do).",
)
@lang_option
@click.option("--include-passed", is_flag=True, help="List passing and not-applicable checks too.")
@engine_option
@click.option(
    "--redact",
    is_flag=True,
    help=(
        "Replace names, e-mails and phone numbers with stable pseudonyms "
        "(key: CDAP_POLICY_REDACT_KEY); entity keys stay usable."
    ),
)
@click.option(
    "--log-root",
    "log_roots",
    multiple=True,
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    help=(
        "Also allow consultation logs in this folder (repeatable); by default a log must be in the"
        " snapshot's folder."
    ),
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0),
    default=DEFAULT_TIMEOUT_S,
    show_default=True,
    help="Stop the whole run after this many seconds (exit 2, nothing written); 0: no limit.",
)
@click.option(
    "--baseline",
    type=click.Path(dir_okay=False, path_type=Path),
    help=(
        "A previous `check --format json` report of the same partner: only findings it does not"
        " hold count for the exit code."
    ),
)
@click.option(
    "--waivers",
    "waivers_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help=(
        "Waiver file (YAML, schemas/waivers.schema.json); default: <snapshot>.waivers.yaml next to"
        " each snapshot."
    ),
)
@click.option(
    "--no-waivers",
    is_flag=True,
    help="Apply no waiver, not even a <snapshot>.waivers.yaml found next to the snapshot.",
)
@click.option(
    "--jobs",
    "-j",
    type=click.IntRange(min=1),
    default=None,
    help=(
        "Processes checking snapshots in parallel (default: the number of cores available; "
        "at most 2 a core, and 64)."
    ),
)
@click.option(
    "--shard",
    callback=_shard,
    metavar="K/N",
    help="Check only the K-th of N disjoint shares of the snapshots (CI matrix jobs, job arrays).",
)
@click.option(
    "--summary",
    "summary_file",
    type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
    help="Also write the batch summary (by family, rule, partner) to this file, as JSON.",
)
@click.option(
    "--no-progress",
    is_flag=True,
    help="No progress bar (none is shown in CI or when standard error is not a terminal).",
)
@verbosity_options
@click.pass_context
def check(
    ctx,
    snapshots,
    fmt,
    output,
    as_of,
    policies,
    params_file,
    stage,
    edition,
    rule_ids,
    families,
    fail_on,
    lang,
    include_passed,
    engine,
    redact,
    log_roots,
    timeout,
    baseline,
    waivers_file,
    no_waivers,
    jobs,
    shard,
    summary_file,
    no_progress,
) -> NoReturn:
    """Check snapshot(s): files, folders (recursively) or quoted globs, and report findings."""
    from cdap_policy import formatters
    from cdap_policy.cli import configure
    from cdap_policy.cli.common import load_pack_or_exit
    from cdap_policy.engines.deadline import WATCHDOG
    from cdap_policy.pipeline.batch import pool
    from cdap_policy.pipeline.batch import shard as sharding
    from cdap_policy.pipeline.batch.discover import discover
    from cdap_policy.pipeline.batch.run import check_batch
    from cdap_policy.pipeline.batch.sinks import Sink
    from cdap_policy.pipeline.check import CheckOptions
    from cdap_policy.support import output as out

    started = time.monotonic()
    configure.log_sources(ctx)
    conf = configure.loaded(ctx)
    skip = conf.get("skip") or {}
    try:
        out.check_writable(output)
        out.check_writable(summary_file)
    except InputError as exc:
        report_problems(exc, tr("sortie refusée", "output refused"), lang)
        sys.exit(EXIT_INPUT)
    sinks: list[Sink] = []  # the sink, once there is one: what a stuck run must clean up
    WATCHDOG.run_deadline(timeout or None, on_stuck=lambda: _stuck(timeout, lang, sinks))
    paths, problems = discover(snapshots)
    log.debug(tr(f"{len(paths)} fichier(s) à vérifier", f"{len(paths)} file(s) to check"))
    code = EXIT_INPUT if problems else EXIT_OK
    if problems:
        report_problems(
            InputError(problems), tr("instantanés introuvables", "snapshots not found"), lang
        )
    if shard is not None:
        paths = sharding.select(paths, *shard)
    if not paths:
        if shard is not None and not problems:
            click.echo(
                pick(
                    tr(
                        f"partie {shard[0]}/{shard[1]} : aucun instantané à vérifier",
                        f"shard {shard[0]}/{shard[1]}: no snapshot to check",
                    ),
                    lang,
                ),
                err=True,
            )
        sys.exit(code)
    try:
        for target in (output, summary_file):
            out.refuse_inputs(target, [*paths, params_file, baseline, waivers_file])
        out.refuse_inputs(summary_file, [output])
    except InputError as exc:
        report_problems(exc, tr("sortie refusée", "output refused"), lang)
        sys.exit(EXIT_INPUT)
    baseline_reports, waiver_set = _comparison_inputs(
        baseline, None if no_waivers else waivers_file, lang
    )
    jobs = min(jobs or pool.default_jobs(), pool.max_jobs(), len(paths))
    if (
        engine is None
    ):  # a batch runs on the fastest engine installed; one snapshot on the reference
        from cdap_policy import engines

        engine = engines.batch_default() if len(paths) > 1 else engines.DEFAULT
    # a selection (or rules skipped by the configuration) is checked against the pack here;
    # otherwise the pack is loaded only where it is used: by each worker, or here once a snapshot
    # is readable
    pack = (
        load_pack_or_exit(policies, params_file, engine, lang)
        if rule_ids or families or skip
        else None
    )
    if skip:
        _check_skipped(pack, skip, conf, lang)
    options = CheckOptions(
        as_of=as_of or today(),
        as_of_source="option" if as_of else "today",
        stage=stage,
        edition=int(edition) if edition else None,
        rule_ids=_selection(pack, rule_ids, families, lang),
        include_passed=include_passed or formatters.needs_passed(fmt),
        log_roots=tuple(log_roots),
        redact=redact,
        redact_key=redact_key() if redact else None,
        baseline=baseline_reports,
        baseline_file=str(baseline or ""),
        baseline_batch=len(paths) > 1,
        waivers=waiver_set,
        find_waivers=not no_waivers,
        skip=dict(skip),
        skip_source=str(conf.file or ""),
    )
    format_options = formatters.FormatOptions(
        lang=lang,
        include_passed=include_passed,
        color=use_color(output),
        width=shutil.get_terminal_size((80, 24)).columns,
        srcroot=_srcroot(),
        shard=shard,
    )
    remaining = max(0.1, timeout - (time.monotonic() - started)) if timeout else None
    setup = pool.Setup(
        policies, params_file, engine, options, fail_on, fmt, format_options, remaining
    )
    batch = len(paths) > 1
    sink = Sink(
        fmt, output, format_options, with_summary=batch, redact_line=_redactor() if redact else None
    )
    sinks.append(sink)
    progress = _progress(
        len(paths),
        batch and not no_progress and not quiet() and _stream_is_not_the_terminal(output),
        lang,
    )

    def unreadable(outcome):
        progress.pause()  # error lines above the bar, never through it
        if outcome.internal is not None:
            click.echo(
                f"internal error: {printable(outcome.path)}: {printable(outcome.internal)} (please"
                " report this)",
                err=True,
            )
        else:
            report_problems(
                InputError(outcome.problems),
                tr(f"impossible de vérifier {outcome.path}", f"cannot check {outcome.path}"),
                lang,
                redact=redact,
            )
        progress.resume()

    try:
        with progress:
            summary = check_batch(
                paths,
                setup,
                jobs,
                sink,
                outputs=(output, summary_file),
                on_done=progress.advance,
                pack_loader=lambda: pack or load_pack_or_exit(policies, params_file, engine, lang),
                on_unreadable=unreadable,
            )
        WATCHDOG.cancel_run_deadline()
        notice_skipped(summary.skipped, lang)
        sink.finish(
            summary
        )  # a format's own limit (SARIF: 25,000 results per run) is refused like bad input
        if summary_file is not None:
            out.write_text(
                summary_file,
                json.dumps(summary.to_dict(), ensure_ascii=False, indent=2, sort_keys=True) + "\n",
            )
    except pool.PackUnusable as exc:
        report_problems(exc.error, tr("fichier de paramètres invalide", "bad parameter file"), lang)
        sys.exit(EXIT_INPUT)
    except InputError as exc:
        sink.abort()
        report_problems(exc, tr("sortie refusée", "output refused"), lang)
        sys.exit(EXIT_INPUT)
    except BaseException:  # Ctrl-C while the last of the report is written: no temporary file stays
        sink.abort()
        raise
    log.debug(
        tr(
            f"{summary.checked} instantané(s) vérifié(s) en {time.monotonic() - started:.2f} s",
            f"{summary.checked} snapshot(s) checked in {time.monotonic() - started:.2f} s",
        )
    )
    sys.exit(max(code, summary.exit_code))


def _redactor():
    from cdap_policy.report.redact import Redactor

    return Redactor(None, redact_key()).problem_line


def _check_skipped(pack, skip: dict, conf, lang: str) -> None:
    """Rules the configuration skips must exist: a misspelt ID would skip nothing, silently."""
    from cdap_policy.cli.pack import suggest

    known = [r.id for r in pack.rules]
    for rule_id in skip:
        if pack.rule(rule_id) is None:
            close = suggest(rule_id, known)
            hint = (
                tr(
                    f" ; vouliez-vous dire : {', '.join(close)}",
                    f"; did you mean: {', '.join(close)}",
                )
                if close
                else tr("", "")
            )
            fail_usage(
                tr(
                    f"{conf.where('skip')} : skip : règle inconnue {rule_id!r}{hint['fr']}",
                    f"{conf.where('skip')}: skip: unknown rule {rule_id!r}{hint['en']}",
                ),
                lang,
            )


def _selection(pack, rule_ids, families, lang):
    """The rule IDs of --rule and --family together; an unknown one stops the run
    with a suggestion.
    """
    from cdap_policy.cli.pack import suggest, unknown_rule

    if not rule_ids and not families:
        return None
    for rule_id in rule_ids:
        if pack.rule(rule_id) is None:
            unknown_rule(pack, rule_id, lang)
    known = sorted({r.family for r in pack.rules})
    wanted = set()
    for family in families:
        if family.upper() not in known:
            close = [f.upper() for f in suggest(family, [k.lower() for k in known])]
            hint = (
                tr(f"vouliez-vous dire : {', '.join(close)}", f"did you mean: {', '.join(close)}")
                if close
                else tr(
                    f"familles du paquet : {', '.join(known)}",
                    f"families of the pack: {', '.join(known)}",
                )
            )
            fail_usage(
                {
                    k: (
                        tr(f"famille inconnue {family!r}", f"unknown family {family!r}")[k]
                        + (" ; " if k == "fr" else "; ")
                        + hint[k]
                    )
                    for k in ("fr", "en")
                },
                lang,
            )
        wanted.add(family.upper())
    return set(rule_ids) | {r.id for r in pack.rules if r.family in wanted}


def _stream_is_not_the_terminal(output) -> bool:
    """A bar on the terminal that also shows the reports as they come would tear them apart."""
    return not ((output is None or str(output) == "-") and sys.stdout.isatty())


class _NoProgress:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def advance(self):
        pass

    def pause(self):
        pass

    def resume(self):
        pass


class _Progress(_NoProgress):
    """A rich progress bar on standard error; error lines are printed above it."""

    def __init__(self, total: int, lang: str):
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            transient=True,
            redirect_stdout=False,
            redirect_stderr=False,
        )
        self._task = self._progress.add_task(
            pick(tr("Vérification", "Checking"), lang), total=total
        )

    def __enter__(self):
        self._progress.start()
        return self

    def __exit__(self, *exc):
        self._progress.stop()
        return False

    def advance(self):
        self._progress.advance(self._task)

    def pause(self):
        self._progress.stop()

    def resume(self):
        self._progress.start()


def _progress(total: int, wanted: bool, lang: str):
    shown = (
        wanted
        and sys.stderr.isatty()
        and os.environ.get("CI", "").lower() not in ("1", "true", "yes")
        and os.environ.get("TERM") != "dumb"
    )
    return _Progress(total, lang) if shown else _NoProgress()


def _comparison_inputs(baseline, waivers_file, lang):
    """The baseline report(s) and the waiver file, read once before any snapshot: either unreadable
    stops the run.
    """
    from cdap_policy.report import reportfile, waivers

    try:
        return (
            reportfile.load(baseline) if baseline else None,
            waivers.load(waivers_file) if waivers_file else None,
        )
    except InputError as exc:
        report_problems(
            exc, tr("référence ou dérogations illisibles", "unreadable baseline or waivers"), lang
        )
        sys.exit(EXIT_INPUT)


def _srcroot() -> str:
    """The repository root (the nearest folder above with .git), else the current folder:
    SARIF and JUnit name snapshots relative to it."""
    here = Path.cwd()
    for folder in (here, *here.parents):
        if (folder / ".git").exists():
            return str(folder)
    return str(here)


def _stuck(timeout, lang, sinks=()) -> NoReturn:
    for sink in sinks:  # no temporary report left behind
        sink.abort()
    sys.stderr.write(
        error_prefix(lang)
        + pick(
            tr(
                f"durée maximale dépassée ({timeout:g} s) ; rien n'a été écrit",
                f"run took longer than --timeout ({timeout:g} s); nothing was written",
            ),
            lang,
        )
        + "\n"
    )
    sys.stderr.flush()
    os._exit(EXIT_INPUT)
