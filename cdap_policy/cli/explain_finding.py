"""`explain RULE_ID --snapshot FILE --entity KEY` and `explain --fingerprint F --snapshot FILE`:
why one rule passes or fails on one entity of a snapshot."""

from __future__ import annotations

import sys

import click

from cdap_policy.cli.common import EXIT_INPUT, fail_usage, report_problems, today
from cdap_policy.support.errors import InputError
from cdap_policy.support.i18n import tr
from cdap_policy.support.textsafe import bounded

MIN_PREFIX = 8  # characters of a fingerprint prefix: shorter ones match too many findings


def explain_on_snapshot(
    pack, rule, path, entity_key, fingerprint, as_of, edition, fmt, lang
) -> None:
    from cdap_policy.authoring.explaining import UnknownEntity, explain, find_fingerprint
    from cdap_policy.formatters.explanation import explanation_json, explanation_text
    from cdap_policy.load.snapshot import load_snapshot

    as_of = as_of or today()
    try:
        snapshot = load_snapshot(path)
    except InputError as exc:
        report_problems(exc, tr(f"impossible de lire {path}", f"cannot read {path}"), lang)
        sys.exit(EXIT_INPUT)
    try:
        if fingerprint is not None:
            if len(fingerprint.strip()) < MIN_PREFIX:
                fail_usage(
                    tr(
                        f"--fingerprint : au moins {MIN_PREFIX} caractères",
                        f"--fingerprint: at least {MIN_PREFIX} characters",
                    ),
                    lang,
                )
            try:
                found = find_fingerprint(
                    pack, snapshot, fingerprint, as_of, edition, {rule.id} if rule else None
                )
            except ValueError as exc:
                fail_usage(
                    tr(
                        "empreinte ambiguë, plusieurs constats possibles :"
                        f" {', '.join(exc.args[0])}",
                        "ambiguous fingerprint, several findings possible:"
                        f" {', '.join(exc.args[0])}",
                    ),
                    lang,
                )
            if found is None:
                fail_usage(
                    tr(
                        "aucune règle de cet instantané ne donne l'empreinte"
                        f" {bounded(fingerprint, 64)!r}",
                        f"no rule of this snapshot gives fingerprint {bounded(fingerprint, 64)!r}",
                    ),
                    lang,
                )
            rule, found_key = found
            if entity_key is not None and entity_key != found_key:
                fail_usage(
                    tr(
                        f"l'empreinte désigne l'entité {found_key}, pas {entity_key}",
                        f"the fingerprint names entity {found_key}, not {entity_key}",
                    ),
                    lang,
                )
            entity_key = found_key
        result = explain(pack, snapshot, rule, entity_key, as_of, edition)
    except UnknownEntity as exc:
        keys = ", ".join(bounded(k, 60) for k in exc.keys[:12]) + (
            "…" if len(exc.keys) > 12 else ""
        )
        what = (
            tr(
                f"pas d'entité {exc.key!r} pour la règle {rule.id} (collection {rule.over})",
                f"no entity {exc.key!r} for rule {rule.id} (collection {rule.over})",
            )
            if exc.key
            else tr(
                f"précisez --entity pour la règle {rule.id} (collection {rule.over})",
                f"give --entity for rule {rule.id} (collection {rule.over})",
            )
        )
        fail_usage(
            {
                k: (
                    what[k]
                    + (
                        tr(f" ; entités : {keys}", f"; entities: {keys}")[k]
                        if keys
                        else tr(" ; la collection est vide", "; the collection is empty")[k]
                    )
                )
                for k in ("fr", "en")
            },
            lang,
        )
    except InputError as exc:  # the consultation log cannot be read
        report_problems(exc, tr(f"impossible de lire {path}", f"cannot read {path}"), lang)
        sys.exit(EXIT_INPUT)
    click.echo(
        explanation_json(result) if fmt == "json" else explanation_text(pack, result, lang),
        nl=False,
    )
