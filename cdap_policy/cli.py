"""Command line: parse options, call the library, print, choose the exit code. Nothing more.

Exit codes: 0 no failing finding at or above --fail-on; 1 failing or error findings (or failing
rule tests, uncovered requirements); 2 bad usage, bad input or broken policy pack; 3 internal error.
"""
from __future__ import annotations

import datetime
import json
import os
import shutil
import sys
from pathlib import Path

import click

from cdap_policy import __version__
from cdap_policy.errors import InputError, PolicyError
from cdap_policy.findings import SEVERITY_RANK
from cdap_policy.policy import STAGES

EXIT_OK, EXIT_FINDINGS, EXIT_INPUT, EXIT_INTERNAL = 0, 1, 2, 3


def _today() -> str:
    return datetime.date.today().isoformat()


def _as_of(ctx, param, value):
    if value is None:
        return _today()
    try:
        return datetime.date.fromisoformat(value).isoformat()
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date YYYY-MM-DD") from None


def _report_problems(exc: InputError, what: str, redact: bool = False) -> None:
    head = "broken policy pack" if isinstance(exc, PolicyError) else what
    click.echo(f"error: {head}:", err=True)
    for problem in exc.problems:
        line = str(problem)
        if redact:  # the snapshot could not be read, so only addresses and numbers can be recognised
            from cdap_policy.redact import DEFAULT_KEY, Pseudonymiser, redact_value

            line = redact_value(line, None, {}, Pseudonymiser(os.environ.get("CDAP_POLICY_REDACT_KEY", DEFAULT_KEY)))
        click.echo(f"  {line}", err=True)


def _load_pack(policies, params_file, engine):
    from cdap_policy.policy import load_pack

    try:
        return load_pack(policies, params_file, runner=engine)
    except InputError as exc:
        _report_problems(exc, "bad parameter file")
        sys.exit(EXIT_INPUT)


policies_option = click.option("--policies", type=click.Path(file_okay=False, path_type=Path), default=None,
                               help="Policy pack directory (default: the shipped pack).")
params_option = click.option("--params", "params_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
                             help="YAML file overriding pack parameters (quotas, durations, country lists).")
engine_option = click.option("--engine", type=click.Choice(["compiled", "interpreted"]), default="compiled", show_default=True,
                             help="cel-python runner: compiled (fast) or interpreted (reference).")
lang_option = click.option("--lang", type=click.Choice(["fr", "en"]), default="fr", show_default=True, help="Language of messages.")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="cdap-policy")
def cli():
    """Check a partner's CDAP configuration against the convention, the contrat de service and the bulletin."""


@cli.command()
@click.argument("snapshots", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), help="Write the report to this file.")
@click.option("--as-of", callback=_as_of, help="Evaluation date YYYY-MM-DD (default today): the only 'now' rules see.")
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
def check(snapshots, fmt, output, as_of, policies, params_file, stage, edition, fail_on, lang, include_passed, engine, redact):
    """Check snapshot(s) and report findings."""
    from cdap_policy.formatters import FORMATS
    from cdap_policy.runner import evaluate
    from cdap_policy.snapshot import load_snapshot

    if output is not None and any(output.resolve() == s.resolve() for s in snapshots):
        raise click.UsageError("--output would overwrite an input snapshot")
    pack = None  # loaded once a snapshot is readable: bad input is refused without paying for the pack
    code = EXIT_OK
    reports, texts = [], []
    for path in snapshots:
        try:
            snapshot = load_snapshot(path)
            pack = pack or _load_pack(policies, params_file, engine)
            report = evaluate(pack, snapshot, as_of, stage=stage, edition=int(edition) if edition else None,
                              include_passed=include_passed)
        except InputError as exc:
            _report_problems(exc, f"cannot check {path}", redact=redact)
            code = max(code, EXIT_INPUT)
            continue
        code = max(code, report.exit_code(fail_on))
        if redact:
            from cdap_policy.redact import DEFAULT_KEY, redact_report

            report = redact_report(report, snapshot.data, os.environ.get("CDAP_POLICY_REDACT_KEY", DEFAULT_KEY))
        reports.append(report)
        if fmt == "table":
            texts.append(FORMATS["table"](report, lang=lang, include_passed=include_passed, color=output is None and sys.stdout.isatty(),
                                          width=max(120, shutil.get_terminal_size((160, 40)).columns)))
    if fmt == "json":
        payload = [r.to_dict(include_passed) for r in reports]
        text = json.dumps(payload[0] if len(snapshots) == 1 and payload else payload, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    else:
        text = "\n".join(texts)
    if reports or fmt == "json":
        if output:
            output.write_text(text, encoding="utf-8")
        else:
            click.echo(text, nl=False)
    sys.exit(code)


@cli.command()
@click.argument("snapshots", nargs=-1, required=True, type=click.Path(path_type=Path))
def validate(snapshots):
    """Validate snapshot(s) against the schema only."""
    from cdap_policy.snapshot import load_snapshot

    code = EXIT_OK
    for path in snapshots:
        try:
            load_snapshot(path)
            click.echo(f"{path}: valid")
        except InputError as exc:
            _report_problems(exc, f"{path} is not a valid snapshot")
            code = EXIT_INPUT
    sys.exit(code)


@cli.command("test")
@click.argument("policies", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option("--rule", "rules", multiple=True, help="Only the cases of this rule (repeatable).")
@click.option("--verbose", "-v", is_flag=True, help="List every case, not only failures.")
@engine_option
def test_cmd(policies, rules, verbose, engine):
    """Run every rule's test cases, like a test runner."""
    from cdap_policy.testing import run_cases

    pack = _load_pack(policies, None, engine)
    results = run_cases(pack, set(rules) if rules else None)
    failed = [r for r in results if not r.ok]
    for result in results:
        if verbose or not result.ok:
            mark = "PASS" if result.ok else "FAIL"
            line = f"{mark} {result.case.rule} :: {result.case.name} ({result.case.file}:{result.case.line})"
            click.echo(line + (f"\n     {result.detail}" if not result.ok else ""))
    click.echo(f"{len(results) - len(failed)} passed, {len(failed)} failed")
    sys.exit(EXIT_FINDINGS if failed or not results else EXIT_OK)


@cli.command()
@policies_option
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@lang_option
def rules(policies, fmt, lang):
    """List the rules with their requirements, severity and stages."""
    from cdap_policy.formatters.rules import rules_json, rules_table

    pack = _load_pack(policies, None, "compiled")
    click.echo(rules_json(pack) if fmt == "json" else rules_table(pack, lang), nl=False)


@cli.command()
@policies_option
@params_option
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
def params(policies, params_file, fmt):
    """List the pack's parameters: value, unit, source document (with --params: the values in force)."""
    from cdap_policy.formatters.rules import params_json, params_table

    pack = _load_pack(policies, params_file, "compiled")
    click.echo(params_json(pack) if fmt == "json" else params_table(pack), nl=False)


@cli.command()
@click.argument("rule_id")
@policies_option
@params_option
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@lang_option
def explain(rule_id, policies, params_file, fmt, lang):
    """Show a rule: its legal source, expressions, parameters and test cases."""
    from cdap_policy.formatters.rules import explain_json, explain_text

    pack = _load_pack(policies, params_file, "compiled")
    rule = pack.rule(rule_id)
    if rule is None:
        close = [r.id for r in pack.rules if rule_id.lower() in r.id or any(rule_id.upper() == q for q in r.requirements)]
        hint = f"; did you mean: {', '.join(close[:8])}" if close else "; see `cdap-policy rules`"
        click.echo(f"error: unknown rule {rule_id!r}{hint}", err=True)
        sys.exit(EXIT_INPUT)
    click.echo(explain_json(pack, rule) if fmt == "json" else explain_text(pack, rule, lang), nl=False)


@cli.command()
@policies_option
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
def coverage(policies, fmt):
    """For every requirement of the catalogue: the rules implementing it and their test counts."""
    from cdap_policy.coverage import compute, render_table

    pack = _load_pack(policies, None, "compiled")
    rows, problems = compute(pack)
    if fmt == "json":
        click.echo(json.dumps({"requirements": rows, "problems": problems}, ensure_ascii=False, indent=2))
    else:
        click.echo(render_table(rows, problems), nl=False)
    sys.exit(EXIT_FINDINGS if problems else EXIT_OK)


def main():
    try:
        cli.main(standalone_mode=True)
    except SystemExit:
        raise
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)
    except Exception as exc:  # fail closed with one line, never a traceback
        click.echo(f"internal error: {type(exc).__name__}: {exc} (please report this)", err=True)
        sys.exit(EXIT_INTERNAL)
