"""`cdap-policy serve`: the web pages (partner self-assessment, auditor report and diff)."""

from __future__ import annotations

import sys
from typing import NoReturn

import click

from cdap_policy.cli.common import fail_usage, lang_option, params_option, policies_option
from cdap_policy.cli.localise import h
from cdap_policy.support.i18n import tr


@click.command()
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help=h(
        "Adresse d'écoute ; une adresse autre que locale exige --allow-remote.",
        "Address to listen on; any address other than a local one needs --allow-remote.",
    ),
)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8000,
    show_default=True,
    help=h("Port d'écoute.", "Port to listen on."),
)
@click.option(
    "--allow-remote",
    is_flag=True,
    help=h(
        "Accepter une adresse joignable d'autres machines : seulement derrière un mandataire"
        " inverse qui authentifie les utilisateurs (voir le README).",
        "Accept an address other machines reach: only behind a reverse proxy that authenticates"
        " users (see the README).",
    ),
)
@click.option(
    "--root-path",
    default="",
    help=h(
        "Préfixe des adresses derrière un mandataire inverse (par exemple /cdap).",
        "URL prefix behind a reverse proxy (e.g. /cdap).",
    ),
)
@policies_option
@params_option
@lang_option
def serve(host, port, allow_remote, root_path, policies, params_file, lang) -> NoReturn:
    """Serve the partner's self-assessment and the auditor's report on web pages (extra: pip install
    '.[web]').
    """
    from cdap_policy.web.security import is_loopback

    try:
        import uvicorn

        from cdap_policy.web.app import ServeOptions, create_app
    except ImportError:
        fail_usage(
            tr(
                "le serveur web n'est pas installé : pip install '.[web]'",
                "the web server is not installed: pip install '.[web]'",
            ),
            lang,
        )
    if not is_loopback(host) and not allow_remote:
        fail_usage(
            tr(
                f"--host {host} : adresse joignable depuis d'autres machines, refusée sans"
                " --allow-remote (à ne faire que derrière un mandataire inverse qui authentifie"
                " les utilisateurs)",
                f"--host {host}: an address other machines reach, refused without --allow-remote "
                "(only behind a reverse proxy that authenticates users)",
            ),
            lang,
        )
    from cdap_policy.cli.common import redact_key

    app = create_app(
        ServeOptions(
            policies=str(policies) if policies else None,
            params_file=str(params_file) if params_file else None,
            redact_key=redact_key(),
            default_lang=lang,
        )
    )
    shown = f"[{host}]" if ":" in host else host
    click.echo(
        {
            "fr": f"cdap-policy : http://{shown}:{port}{root_path}/ (Ctrl-C pour arrêter)",
            "en": f"cdap-policy: http://{shown}:{port}{root_path}/ (Ctrl-C to stop)",
        }[lang],
        err=True,
    )
    uvicorn.run(
        app,
        host=host,
        port=port,
        root_path=root_path,
        log_level="warning",
        server_header=False,
        proxy_headers=allow_remote,
        forwarded_allow_ips="127.0.0.1" if allow_remote else None,
    )
    sys.exit(0)
