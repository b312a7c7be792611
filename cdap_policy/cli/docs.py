"""`cdap-policy docs`: write the rule reference (Markdown, French and English) generated from the
pack.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import NoReturn

import click

from cdap_policy.cli.common import (
    EXIT_FINDINGS,
    EXIT_INPUT,
    EXIT_OK,
    lang_option,
    load_pack_or_exit,
    policies_option,
    report_problems,
)
from cdap_policy.support.errors import InputError
from cdap_policy.support.i18n import pick, tr


@click.command()
@click.option(
    "--output",
    "-o",
    "directory",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder of the reference (the repository keeps it in docs/rules).",
)
@click.option(
    "--check",
    "check_only",
    is_flag=True,
    help="Write nothing; exit 1 when the folder is not the current reference.",
)
@policies_option
@lang_option
def docs(directory, check_only, policies, lang) -> NoReturn:
    """Generate the reference of every rule: requirement, article, editions, stages, severity,
    parameters, worked examples.
    """
    from cdap_policy.authoring.docs import MARKER, pages, stale
    from cdap_policy.support import output

    pack = load_pack_or_exit(policies, None, "compiled", lang)
    generated = pages(pack)
    outdated = stale(directory, generated)
    if check_only:
        for rel in outdated:
            click.echo(f"  {directory / rel}", err=True)
        click.echo(
            pick(
                tr(
                    (
                        f"{len(outdated)} page(s) à régénérer : cdap-policy docs --output"
                        f" {directory}"
                        if outdated
                        else f"{directory} : la référence est à jour"
                    ),
                    (
                        f"{len(outdated)} page(s) to regenerate: cdap-policy docs --output"
                        f" {directory}"
                        if outdated
                        else f"{directory}: the reference is current"
                    ),
                ),
                lang,
            ),
            err=bool(outdated),
        )
        sys.exit(EXIT_FINDINGS if outdated else EXIT_OK)
    try:
        for rel in outdated:
            path = directory / rel
            if rel in generated:
                path.parent.mkdir(parents=True, exist_ok=True)
                output.write_text(path, generated[rel])
            elif path.read_text(encoding="utf-8", errors="replace").startswith(MARKER):
                path.unlink()  # a page of a family that no longer exists
    except (InputError, OSError) as exc:
        if isinstance(exc, InputError):
            report_problems(exc, tr("écriture impossible", "cannot write"), lang)
        else:
            click.echo(pick(tr(f"erreur : {exc}", f"error: {exc}"), lang), err=True)
        sys.exit(EXIT_INPUT)
    click.echo(
        pick(
            tr(
                f"{directory} : {len(generated)} page(s), {len(outdated)} écrite(s) ou retirée(s)",
                f"{directory}: {len(generated)} page(s), {len(outdated)} written or removed",
            ),
            lang,
        )
    )
    sys.exit(EXIT_OK)
