"""`cdap-policy import-users`: the staff list of a spreadsheet into a snapshot's users."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import NoReturn

import click

from cdap_policy.cli.common import (
    EXIT_INPUT,
    EXIT_OK,
    fail_usage,
    lang_option,
    parse_date,
    policies_option,
    report_problems,
)
from cdap_policy.support.errors import InputError, Problem
from cdap_policy.support.i18n import pick, tr
from cdap_policy.support.textsafe import printable


@click.command("import-users")
@click.argument(
    "sheet_file", metavar="FILE.xlsx|FILE.csv", type=click.Path(dir_okay=False, path_type=Path)
)
@click.option(
    "--into",
    "snapshot_file",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help=(
        "Snapshot whose users section receives the rows (written in place; every other line is"
        " kept)."
    ),
)
@click.option(
    "--map",
    "maps",
    multiple=True,
    metavar="HEADER=FIELD",
    help='Read the column HEADER as FIELD (repeatable), e.g. --map "Nom de l\'agent=last_name".',
)
@click.option("--sheet", help="Worksheet of an XLSX workbook (default: the active one).")
@click.option(
    "--profile",
    "profiles",
    multiple=True,
    metavar="CODE",
    help="Profile for rows whose profile cell is empty (repeatable), e.g. --profile T1.",
)
@click.option(
    "--status",
    default="planned",
    show_default=True,
    help="Status of the users added (planned: not habilitated yet); existing users keep theirs.",
)
@click.option(
    "--t1-attestation",
    "attestation_on",
    callback=parse_date,
    metavar="AAAA-MM-JJ",
    help=(
        "Date the legal representative signs the T1 attestation on honour: writes"
        " convention.t1_attestation from the diplomas of the T1 users (their type and date),"
        " nothing typed twice."
    ),
)
@click.option(
    "--dry-run", is_flag=True, help="Print the snapshot that would be written, write nothing."
)
@policies_option
@lang_option
def import_users(
    sheet_file,
    snapshot_file,
    maps,
    sheet,
    profiles,
    status,
    attestation_on,
    dry_run,
    policies,
    lang,
) -> NoReturn:
    """Import users from a staff spreadsheet (French headers recognised) into a snapshot."""
    from cdap_policy.authoring.importers.merge import merge_text
    from cdap_policy.authoring.importers.sheets import read_sheet
    from cdap_policy.authoring.importers.users import FIELDS, parse_map, read_users
    from cdap_policy.load import params as params_mod
    from cdap_policy.load.pack import default_pack_dir
    from cdap_policy.load.schemainfo import enum, field_ok
    from cdap_policy.load.snapshot import load_snapshot
    from cdap_policy.support import output

    statuses = enum("/$defs/user/properties/status")
    if status not in statuses:
        fail_usage(
            tr(
                f"--status {status!r} : valeurs admises {', '.join(statuses)}",
                f"--status {status!r}: allowed values {', '.join(statuses)}",
            ),
            lang,
        )
    try:
        mapping = parse_map(maps)
    except ValueError as exc:
        fail_usage(
            tr(
                f"--map {exc.args[0]!r} : écrivez « En-tête=champ », champ parmi"
                f" {', '.join(FIELDS)}",
                f"--map {exc.args[0]!r}: write « Header=field », field among {', '.join(FIELDS)}",
            ),
            lang,
        )
    if not snapshot_file.exists():
        fail_usage(
            tr(
                f"{snapshot_file} n'existe pas : créez-le d'abord avec « cdap-policy init"
                f" {snapshot_file} »",
                f"{snapshot_file} does not exist: create it first with « cdap-policy init"
                f" {snapshot_file} »",
            ),
            lang,
        )
    try:
        snapshot = load_snapshot(snapshot_file)
    except InputError as exc:
        report_problems(
            exc,
            tr(
                f"{snapshot_file} n'est pas un instantané valide : rien n'est importé",
                f"{snapshot_file} is not a valid snapshot: nothing imported",
            ),
            lang,
        )
        sys.exit(EXIT_INPUT)
    try:
        rows = read_sheet(sheet_file, sheet)
    except InputError as exc:
        report_problems(
            exc, tr(f"impossible de lire {sheet_file}", f"cannot read {sheet_file}"), lang
        )
        sys.exit(EXIT_INPUT)

    parameters = params_mod.load_parameters(Path(policies or default_pack_dir()) / "params")
    catalogue = parameters["profiles"].value.get(str(snapshot.edition), {})
    bad_defaults = [p for p in profiles if p not in catalogue]
    if bad_defaults:
        fail_usage(
            tr(
                f"--profile {', '.join(bad_defaults)} : profil non défini par le bulletin"
                f" {snapshot.edition}",
                f"--profile {', '.join(bad_defaults)}: profile not defined by the"
                f" {snapshot.edition} bulletin",
            ),
            lang,
        )
    enums = {
        "diploma": enum("/$defs/diploma"),
        "contract": enum("/$defs/user/properties/contract/properties/type"),
    }
    imported = read_users(rows, mapping, enums, catalogue, profiles, field_ok)
    if imported.problems:
        report_problems(
            InputError(imported.problems),
            tr(
                f"{len(imported.problems)} problème(s) dans {sheet_file} : corrigez ces lignes,"
                " rien n'est importé",
                f"{len(imported.problems)} problem(s) in {sheet_file}: correct these rows, nothing"
                " imported",
            ),
            lang,
        )
        sys.exit(EXIT_INPUT)

    # through a symbolic link, the file it points to is updated: the link stays a link
    target = Path(os.path.realpath(snapshot_file))
    try:
        raw = target.read_bytes()
        text = raw.decode("utf-8")
    except (
        OSError,
        UnicodeDecodeError,
    ):  # it was just read and validated: a race, said in one line
        fail_usage(
            tr(
                f"{snapshot_file} a changé pendant l'import : relancez la commande",
                f"{snapshot_file} changed during the import: run the command again",
            ),
            lang,
        )
    bom = "\ufeff" if text.startswith("\ufeff") else ""  # kept as found, like the line endings
    text = text[len(bom) :]
    is_json = snapshot_file.suffix.lower() == ".json"
    result = merge_text(
        text, snapshot.data.get("users") or [], imported.users, status, str(snapshot_file), is_json
    )
    if result.problems:
        report_problems(
            InputError(result.problems),
            tr(f"impossible de fusionner {sheet_file}", f"cannot merge {sheet_file}"),
            lang,
        )
        sys.exit(EXIT_INPUT)
    attested = None
    if attestation_on:  # the attestation lists the merged users, with the diplomas just read
        from cdap_policy.authoring.importers import attestation
        from cdap_policy.load.yamlsource import loads

        merged_users = loads(result.text, str(snapshot_file)).data.get("users") or []
        result.text = attestation.set_in_text(
            result.text, attestation.attestation(merged_users, attestation_on), is_json
        )
        attested = len(attestation.entries(merged_users))
    # exactly as `check` will read it, before the file is replaced; nothing is written to
    # check it
    try:
        load_snapshot(target, display=str(snapshot_file), text=result.text)
    except InputError as exc:
        report_problems(
            exc,
            tr(
                "l'instantané fusionné ne serait pas valide : rien n'est écrit",
                "the merged snapshot would not be valid: nothing written",
            ),
            lang,
        )
        sys.exit(EXIT_INPUT)
    if dry_run:  # the snapshot on standard output, what would happen on standard error
        click.echo(result.text, nl=False)
        _summary(result, imported, snapshot_file, lang, attested, err=True)
        sys.exit(EXIT_OK)
    if result.text != text:
        # a temporary file renamed over the target: a full or read-only disk leaves it as
        # it was
        try:
            output.write_text(target, bom + result.text)
        except InputError as exc:
            report_problems(
                InputError(
                    [Problem(str(snapshot_file), None, "", p.message) for p in exc.problems]
                ),
                tr(
                    "écriture impossible : l'instantané est inchangé",
                    "cannot write: the snapshot is unchanged",
                ),
                lang,
            )
            sys.exit(EXIT_INPUT)
    _summary(result, imported, snapshot_file, lang, attested)
    sys.exit(EXIT_OK)


def _ids(ids: list) -> str:
    return ", ".join(ids[:10]) + (f"… (+{len(ids) - 10})" if len(ids) > 10 else "")


def _summary(
    result, imported, snapshot_file: Path, lang: str, attested: int | None = None, err: bool = False
) -> None:
    say = lambda fr, en: click.echo(printable(pick(tr(fr, en), lang)), err=err)  # noqa: E731 - one line per message
    columns = ", ".join(f"{header} → {name}" for name, header in imported.columns.items())
    say(f"Colonnes lues : {columns}", f"Columns read: {columns}")
    if imported.ignored:
        say(
            f"Colonnes ignorées : {', '.join(imported.ignored)} (voir --map)",
            f"Columns ignored: {', '.join(imported.ignored)} (see --map)",
        )
    say(
        f"{snapshot_file} : {len(result.added)} utilisateur(s) ajouté(s)"
        + (f" ({_ids(result.added)})" if result.added else "")
        + f", {len(result.updated)} mis à jour"
        + (f" ({_ids(result.updated)})" if result.updated else "")
        + f", {len(result.unchanged)} inchangé(s), {len(result.kept)} absent(s) du tableau"
        " conservé(s).",
        f"{snapshot_file}: {len(result.added)} user(s) added"
        + (f" ({_ids(result.added)})" if result.added else "")
        + f", {len(result.updated)} updated"
        + (f" ({_ids(result.updated)})" if result.updated else "")
        + f", {len(result.unchanged)} unchanged, {len(result.kept)} not in the spreadsheet kept.",
    )
    if attested is not None:
        say(
            f"Attestation sur l'honneur T1 : {attested} travailleur(s) social(aux) listé(s) avec"
            " leur diplôme d'État",
            f"T1 attestation on honour: {attested} social worker(s) listed with their state"
            " diploma",
        )
    say(
        f"Étape suivante : cdap-policy check {snapshot_file} --stage pre-signature",
        f"Next step: cdap-policy check {snapshot_file} --stage pre-signature",
    )
