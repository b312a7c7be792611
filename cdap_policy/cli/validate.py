"""`cdap-policy validate`: the schema only."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import NoReturn

import click

from cdap_policy.cli.common import (
    EXIT_INPUT,
    EXIT_OK,
    lang_option,
    notice_skipped,
    report_problems,
    verbosity_options,
)
from cdap_policy.support.errors import InputError, NotASnapshot
from cdap_policy.support.i18n import pick, tr
from cdap_policy.support.textsafe import printable


@click.command()
@click.argument("snapshots", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--log-root",
    "log_roots",
    multiple=True,
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    help="Also allow consultation logs in this folder (repeatable).",
)
@lang_option
@verbosity_options
@click.pass_context
def validate(ctx, snapshots, log_roots, lang) -> NoReturn:
    """Validate snapshot(s) against the schema only: files, folders (recursively)
    or quoted globs.
    """
    from cdap_policy.cli import configure
    from cdap_policy.load.snapshot import load_snapshot
    from cdap_policy.pipeline.batch.discover import discover

    configure.log_sources(ctx)
    paths, problems = discover(snapshots)
    code = EXIT_INPUT if problems else EXIT_OK
    if problems:
        report_problems(
            InputError(problems), tr("instantanés introuvables", "snapshots not found"), lang
        )
    names = _ParameterNames(ctx)
    skipped = []
    for path in paths:
        try:
            load_snapshot(path, log_roots=log_roots, parameter_names=names)
            click.echo(printable(f"{path}: " + pick(tr("valide", "valid"), lang)))
        except NotASnapshot as exc:
            if exc.kind is not None:
                skipped.append({"file": str(path), "kind": exc.kind})
                continue
            report_problems(
                exc,
                tr(f"{path} n'est pas un instantané valide", f"{path} is not a valid snapshot"),
                lang,
            )
            code = EXIT_INPUT
        except InputError as exc:
            report_problems(
                exc,
                tr(f"{path} n'est pas un instantané valide", f"{path} is not a valid snapshot"),
                lang,
            )
            code = EXIT_INPUT
    notice_skipped(skipped, lang)
    sys.exit(code)


class _ParameterNames:
    """The pack's parameter names, read only if a file could be a parameter override."""

    def __init__(self, ctx):
        self._ctx, self._names = ctx, None

    def __call__(self) -> frozenset:
        if self._names is None:
            from cdap_policy.cli import configure
            from cdap_policy.load.pack import default_pack_dir
            from cdap_policy.load.params import load_parameters

            policies = configure.loaded(self._ctx).get("policies")
            try:
                self._names = frozenset(
                    load_parameters(Path(policies or default_pack_dir()) / "params")
                )
            except InputError:
                self._names = (
                    frozenset()
                )  # a broken pack recognises no override: the file is reported as unknown
        return self._names
