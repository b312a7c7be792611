"""The configuration file on the command line: its values become the commands' defaults (so an
option given wins), and `cdap-policy config` shows each value in force and where it came from."""

from __future__ import annotations

import json
import logging
import os
import sys

import click

from cdap_policy.cli.common import (
    EXIT_INPUT,
    helptext,
    lang_option,
    report_problems,
    verbosity_options,
)
from cdap_policy.support.errors import InputError
from cdap_policy.support.i18n import pick, tr

META = "cdap_policy.config"
ENV_LANG = "CDAP_POLICY_LANG"
# configuration key -> the parameter it sets in every command that has it
PARAMETERS = {
    "lang": "lang",
    "fail-on": "fail_on",
    "params": "params_file",
    "policies": "policies",
    "log-root": "log_roots",
    "waivers": "waivers_file",
    "format": "fmt",
    "jobs": "jobs",
}
ONLY_IN = {"format": ("check",)}  # `diff --format` and `rules --format` have formats of their own
log = logging.getLogger("cdap_policy.config")


def apply(ctx: click.Context, config_file, no_config: bool) -> None:
    """Find and read the configuration, and make its values the defaults of every command."""
    from cdap_policy.load import config as cfg

    path = None if no_config else (config_file or cfg.find())
    try:
        loaded = cfg.load(path) if path is not None else cfg.Config()
    except InputError as exc:
        report_problems(
            exc,
            tr("configuration illisible", "unreadable configuration"),
            os.environ.get(ENV_LANG, "fr"),
        )
        sys.exit(EXIT_INPUT)
    ctx.meta[META] = loaded
    defaults: dict = {}
    for name, command in getattr(ctx.command, "commands", {}).items():
        names = {p.name for p in command.params}
        mine = {
            param: loaded.get(key)
            for key, param in PARAMETERS.items()
            if key in loaded.settings and param in names and name in ONLY_IN.get(key, (name,))
        }
        if mine:
            defaults[name] = mine
    ctx.default_map = defaults


def loaded(ctx: click.Context):
    """The configuration read for this run (an empty one when there is none)."""
    from cdap_policy.load import config as cfg

    return ctx.find_root().meta.get(META) or cfg.Config()


def log_sources(ctx: click.Context) -> None:
    """-v: which file was read, and each option of this command whose value it gave."""
    conf = loaded(ctx)
    if conf.file is None:
        log.debug(tr("aucun fichier de configuration", "no configuration file"))
        return
    log.debug(tr(f"configuration : {conf.file}", f"configuration: {conf.file}"))
    for key, param in PARAMETERS.items():
        if (
            key in conf.settings
            and ctx.get_parameter_source(param) == click.core.ParameterSource.DEFAULT_MAP
        ):
            log.debug(
                tr(
                    f"{key} = {_shown(conf.get(key))} ({conf.where(key)})",
                    f"{key} = {_shown(conf.get(key))} ({conf.where(key)})",
                )
            )


def _shown(value) -> str:
    if isinstance(value, list):
        return ", ".join(map(str, value))
    if isinstance(value, dict):
        return "; ".join(f"{k}: {v}" for k, v in value.items())
    return str(value)


_DEFAULTS = {
    "fail-on": ("high", None),
    "lang": ("fr", None),
    "params": (None, tr("aucun : les valeurs du paquet", "none: the pack's values")),
    "policies": (None, tr("le paquet livré", "the shipped pack")),
    "log-root": (
        None,
        tr("aucun : le dossier de chaque instantané", "none: each snapshot's folder"),
    ),
    "waivers": (
        None,
        tr(
            "<instantané>.waivers.yaml à côté de chaque instantané",
            "<snapshot>.waivers.yaml next to each snapshot",
        ),
    ),
    "format": ("table", None),
    "jobs": (None, tr("le nombre de cœurs disponibles", "the number of cores available")),
    "skip": (None, tr("aucune règle écartée", "no rule skipped")),
}


def settings(conf) -> list[dict]:
    """Each key: its value in force and where it came from (file and line, environment, default)."""
    rows: list[dict] = []
    for key, (default, described) in _DEFAULTS.items():
        if key == "lang" and os.environ.get(ENV_LANG):
            rows.append(
                {
                    "key": key,
                    "value": os.environ[ENV_LANG],
                    "source": "environment",
                    "where": ENV_LANG,
                }
            )
        elif key in conf.settings:
            rows.append(
                {"key": key, "value": conf.get(key), "source": "file", "where": conf.where(key)}
            )
        else:
            rows.append(
                {
                    "key": key,
                    "value": default,
                    "source": "default",
                    "where": None,
                    "description": described,
                }
            )
    return rows


_SOURCES = {
    "environment": tr("environnement", "environment"),
    "default": tr("par défaut", "default"),
}


@click.command("config")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help=helptext(
        "text : une ligne par clé ; json : pour un programme.",
        "text: one line per key; json: for a program.",
    ),
)
@lang_option
@verbosity_options
@click.pass_context
def config(ctx, fmt, lang):
    """Show the configuration in force: each value and where it comes from."""
    conf = loaded(ctx)
    rows = settings(conf)
    if fmt == "json":
        click.echo(
            json.dumps(
                {"file": str(conf.file) if conf.file else None, "settings": rows},
                ensure_ascii=False,
                indent=2,
                default=str,
            )
        )
        return
    if conf.file is None:
        click.echo(
            pick(
                tr(
                    "Aucun fichier de configuration (.cdap-policy.yaml ou [tool.cdap-policy] de"
                    f" pyproject.toml, cherchés depuis {os.getcwd()} en remontant).",
                    "No configuration file (.cdap-policy.yaml or [tool.cdap-policy] in"
                    f" pyproject.toml, looked for from {os.getcwd()} upwards).",
                ),
                lang,
            )
        )
    else:
        click.echo(
            pick(
                tr(f"Fichier de configuration : {conf.file}", f"Configuration file: {conf.file}"),
                lang,
            )
        )
    width = max(len(r["key"]) for r in rows)
    for row in rows:
        value = (
            _shown(row["value"])
            if row["value"] not in (None, {}, [])
            else pick(row.get("description"), lang) or "—"
        )
        where = (
            row["where"]
            if row["source"] == "file"
            else pick(_SOURCES[row["source"]], lang) + (f" {row['where']}" if row["where"] else "")
        )
        click.echo(f"{row['key'].ljust(width)}  {value}  [{where}]")
