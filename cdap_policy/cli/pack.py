"""Commands about the policy pack itself: rules, explain, params, coverage, test."""

from __future__ import annotations

import difflib
import json
import sys
from pathlib import Path
from typing import NoReturn

import click

from cdap_policy.cli.common import (
    EXIT_FINDINGS,
    EXIT_OK,
    engine_option,
    fail_usage,
    lang_option,
    load_pack_or_exit,
    params_option,
    parse_date,
    policies_option,
)
from cdap_policy.cli.completion import complete_rule_ids
from cdap_policy.support.i18n import tr


def suggest(word: str, candidates) -> list[str]:
    """Close IDs for a mistyped one (`quota-profil-max` → `quota-profile-max`), by spelling and by
    part.
    """
    candidates = list(candidates)
    lowered = word.lower()
    close = difflib.get_close_matches(lowered, candidates, n=5, cutoff=0.6)
    close += [c for c in candidates if lowered in c.lower() and c not in close]
    return close[:8]


def unknown_rule(pack, rule_id: str, lang: str) -> None:
    close = suggest(rule_id, [r.id for r in pack.rules])
    close += [r.id for r in pack.rules if rule_id.upper() in r.requirements and r.id not in close]
    hint = (
        tr(
            f" ; vouliez-vous dire : {', '.join(close[:8])}",
            f"; did you mean: {', '.join(close[:8])}",
        )
        if close
        else tr(" ; voir `cdap-policy rules`", "; see `cdap-policy rules`")
    )
    fail_usage(
        {
            k: tr(f"règle inconnue {rule_id!r}", f"unknown rule {rule_id!r}")[k] + hint[k]
            for k in ("fr", "en")
        },
        lang,
    )


@click.command("test")
@click.argument("policies", required=False, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--rule",
    "rules",
    multiple=True,
    shell_complete=complete_rule_ids,
    help="Only the cases of this rule (repeatable).",
)
@click.option("--verbose", "-v", is_flag=True, help="List every case, not only failures.")
@engine_option
@lang_option
def test_cmd(policies, rules, verbose, engine, lang) -> NoReturn:
    """Run the rules' test cases: of the whole pack, of one pack folder, or of one policy file."""
    from cdap_policy.authoring.rulecases import run_cases

    only_file = None
    if policies is not None and policies.is_file():
        # `test policies/quota.yaml` (or quota.tests.yaml): the cases of that family's rules
        only_file = policies.name.replace(".tests.yaml", ".yaml")
        policies = policies.parent
    pack = load_pack_or_exit(policies, None, engine or "compiled", lang)
    selected = set(rules) if rules else None
    for rule_id in rules:
        if pack.rule(rule_id) is None:
            unknown_rule(pack, rule_id, lang)
    if only_file is not None:
        in_file = {r.id for r in pack.rules if Path(r.file).name == only_file}
        if not in_file:
            fail_usage(
                tr(
                    f"{only_file} n'est pas un fichier de règles du paquet",
                    f"{only_file} is not a rule file of the pack",
                ),
                lang,
            )
        selected = in_file if selected is None else selected & in_file
    results = run_cases(pack, selected)
    failed = [r for r in results if not r.ok]
    for result in results:
        if verbose or not result.ok:
            mark = (
                ("OK" if lang == "fr" else "PASS")
                if result.ok
                else ("ÉCHEC" if lang == "fr" else "FAIL")
            )
            line = (
                f"{mark} {result.case.rule} :: {result.case.name}"
                f" ({result.case.file}:{result.case.line})"
            )
            click.echo(line + (f"\n     {result.detail}" if not result.ok else ""))
    passed = len(results) - len(failed)
    click.echo(
        f"{passed} réussi(s), {len(failed)} en échec"
        if lang == "fr"
        else f"{passed} passed, {len(failed)} failed"
    )
    if not results:
        fail_usage(
            tr("aucun cas de test pour cette sélection", "no test case for this selection"), lang
        )
    sys.exit(EXIT_FINDINGS if failed else EXIT_OK)


@click.command()
@policies_option
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
@lang_option
def rules(policies, fmt, lang):
    """List the rules with their requirements, severity, stages, editions and frameworks."""
    from cdap_policy.formatters.rules import rules_json, rules_table

    pack = load_pack_or_exit(
        policies, None, None, lang
    )  # the rules as data: no engine where the pack is cached
    click.echo(rules_json(pack) if fmt == "json" else rules_table(pack, lang), nl=False)


@click.command()
@policies_option
@params_option
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
@lang_option
def params(policies, params_file, fmt, lang):
    """List the pack's parameters: value, unit, source document (with --params: the values in
    force).
    """
    from cdap_policy.formatters.rules import params_json, params_table

    pack = load_pack_or_exit(policies, params_file, None, lang)
    click.echo(params_json(pack) if fmt == "json" else params_table(pack, lang), nl=False)


@click.command()
@click.argument("rule_id", required=False, shell_complete=complete_rule_ids)
@policies_option
@params_option
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@click.option(
    "--snapshot",
    type=click.Path(dir_okay=False, path_type=Path),
    help=(
        "Explain the rule on an entity of this snapshot: the values read, each sub-condition, the"
        " outcome."
    ),
)
@click.option(
    "--entity", help="Key of the entity (user id, profile code, provider path…); with --snapshot."
)
@click.option(
    "--fingerprint",
    help=(
        "A finding's fingerprint (or a unique prefix of 8+ characters); with --snapshot, RULE_ID is"
        " then optional."
    ),
)
@click.option(
    "--as-of",
    callback=parse_date,
    help="Evaluation date YYYY-MM-DD (default today), as given to check.",
)
@click.option(
    "--edition",
    type=click.Choice(["2017", "2025"]),
    help="Override the bulletin edition, as given to check.",
)
@lang_option
def explain(
    rule_id, policies, params_file, fmt, snapshot, entity, fingerprint, as_of, edition, lang
):
    """Show a rule: its legal source, interpretation, expressions, parameters and test cases;
    with --snapshot, why it passes or fails on one entity."""
    from cdap_policy.formatters.rules import explain_json, explain_text

    if (entity or fingerprint) and snapshot is None:
        fail_usage(
            tr(
                "--entity et --fingerprint demandent --snapshot FICHIER",
                "--entity and --fingerprint need --snapshot FILE",
            ),
            lang,
        )
    if rule_id is None and fingerprint is None:
        fail_usage(
            tr(
                "indiquez RULE_ID, ou --fingerprint avec --snapshot",
                "give RULE_ID, or --fingerprint with --snapshot",
            ),
            lang,
        )
    pack = load_pack_or_exit(policies, params_file, "compiled", lang)
    rule = pack.rule(rule_id) if rule_id else None
    if rule_id and rule is None:
        implementing = [r for r in pack.rules if rule_id.upper() in r.requirements]
        if implementing and snapshot is None:  # a requirement ID: every rule that implements it
            texts = [
                explain_json(pack, r) if fmt == "json" else explain_text(pack, r, lang)
                for r in implementing
            ]
            click.echo(
                (
                    "[\n" + ",\n".join(t.rstrip("\n") for t in texts) + "\n]\n"
                    if fmt == "json"
                    else "\n".join(texts)
                ),
                nl=False,
            )
            return
        unknown_rule(pack, rule_id, lang)
    if snapshot is not None:
        from cdap_policy.cli.explain_finding import explain_on_snapshot

        explain_on_snapshot(
            pack,
            rule,
            snapshot,
            entity,
            fingerprint,
            as_of,
            int(edition) if edition else None,
            fmt,
            lang,
        )
        return
    click.echo(
        explain_json(pack, rule) if fmt == "json" else explain_text(pack, rule, lang), nl=False
    )


@click.command()
@policies_option
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
@lang_option
def coverage(policies, fmt, lang) -> NoReturn:
    """For every requirement of the catalogue: the rules implementing it and their test counts."""
    from cdap_policy.authoring.traceability import compute, render_table

    pack = load_pack_or_exit(policies, None, "compiled", lang)
    rows, problems = compute(pack)
    if fmt == "json":
        click.echo(
            json.dumps({"requirements": rows, "problems": problems}, ensure_ascii=False, indent=2)
        )
    else:
        click.echo(render_table(rows, problems, lang), nl=False)
    sys.exit(EXIT_FINDINGS if problems else EXIT_OK)


COMMANDS = (test_cmd, rules, params, explain, coverage)
