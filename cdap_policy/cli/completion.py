"""Shell completion: `cdap-policy completion bash|zsh|fish` prints the script to source, and
the completers of rule and requirement IDs. Commands, options, choices and file paths are
completed by click itself from the command definitions.

Completers read the IDs straight from the pack's files (one pattern per line): completing
must answer at once, without compiling 700 expressions.
"""

from __future__ import annotations

import re
from pathlib import Path

import click
from click.shell_completion import CompletionItem, get_completion_class

PROG = "cdap-policy"
COMPLETE_VAR = "_CDAP_POLICY_COMPLETE"  # what click derives from the console script's name
SHELLS = ("bash", "zsh", "fish")
_RULE_ID = re.compile(r"^- id: *['\"]?([a-z0-9]+(?:-[a-z0-9]+)*)", re.M)
_REQUIREMENT_ID = re.compile(r"^- id: *['\"]?([A-Z]+(?:-[A-Z0-9]+)+)", re.M)


def _pack_dir(ctx) -> Path:
    from cdap_policy.load.pack import default_pack_dir

    chosen = (ctx.params or {}).get("policies") if ctx is not None else None
    return Path(chosen) if chosen else default_pack_dir()


def _read(directory: Path, name) -> str:
    """A file of the pack, as text; nothing for a file outside its folder (see policy.confined)."""
    from cdap_policy.load.pack import confined
    from cdap_policy.support.errors import InputError

    try:
        return confined(directory, name).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError, InputError):
        return ""


def rule_ids(directory: Path) -> list[str]:
    out = []
    for path in sorted(directory.glob("*.yaml")):
        if path.name in ("pack.yaml", "requirements.yaml") or path.name.endswith(".tests.yaml"):
            continue
        out += _RULE_ID.findall(_read(directory, path.name))
    return out


def requirement_ids(directory: Path) -> list[str]:
    return _REQUIREMENT_ID.findall(_read(directory, "requirements.yaml"))


def complete_rule_ids(ctx, param, incomplete: str) -> list[CompletionItem]:
    """Rule IDs, and requirement IDs (explain accepts both), that start with what is typed."""
    directory = _pack_dir(ctx)
    rules = [r for r in rule_ids(directory) if r.startswith(incomplete.lower())]
    requirements = []
    if param is None or param.name == "rule_id":
        # requirement IDs are capitals: offered when typed so, or when no rule ID matches
        if incomplete != incomplete.lower() or not rules:
            requirements = [
                r for r in requirement_ids(directory) if r.startswith(incomplete.upper())
            ]
    return [CompletionItem(c) for c in rules + requirements]


@click.command()
@click.argument("shell", type=click.Choice(SHELLS))
@click.pass_context
def completion(ctx, shell):
    """Print the shell completion script: eval "$(cdap-policy completion bash)" (see the README)."""
    script = get_completion_class(shell)(ctx.find_root().command, {}, PROG, COMPLETE_VAR).source()
    click.echo(script, nl=not script.endswith("\n"))
