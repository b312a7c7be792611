"""Command line: parse options, call the library, print, choose the exit code. Nothing more. The
last step of the data path (load → logs → evaluate → report → formatters → cli): the top layer,
which every other may serve and none imports.

One module per command (or family of commands); this one assembles the group and turns
interruptions and internal errors into one line and an exit code.

Exit codes: 0 no failing finding at or above --fail-on; 1 failing or error findings (or failing
rule tests, uncovered requirements); 2 bad usage, bad input, broken policy pack, or --timeout
reached; 3 internal error; 130 interrupted (Ctrl-C); 143 terminated (SIGTERM, as a CI runner
cancelling a job, `timeout` or `docker stop` send it): both stop the workers of a batch and
leave no temporary file.
"""

from __future__ import annotations

import signal
import sys
from pathlib import Path
from typing import NoReturn

import click

from cdap_policy import __version__
from cdap_policy.cli import check as _check
from cdap_policy.cli import (
    completion as _completion,
)
from cdap_policy.cli import configure as _configure
from cdap_policy.cli import diff as _diff
from cdap_policy.cli import (
    docs as _docs,
)
from cdap_policy.cli import (
    import_users as _import_users,
)
from cdap_policy.cli import (
    init as _init,
)
from cdap_policy.cli import pack as _pack
from cdap_policy.cli import serve as _serve
from cdap_policy.cli import validate as _validate
from cdap_policy.cli.common import (
    EXIT_INPUT,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_TERMINATED,
    helptext,
    install_log_handler,
)
from cdap_policy.cli.localise import localise
from cdap_policy.engines.deadline import RunTimeout


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="cdap-policy")
@click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    envvar="CDAP_POLICY_CONFIG",
    show_envvar=True,
    help=helptext(
        "Fichier de configuration à lire (par défaut : .cdap-policy.yaml ou [tool.cdap-policy] de"
        " pyproject.toml, cherché depuis le dossier courant en remontant).",
        "Configuration file to read (default: .cdap-policy.yaml or [tool.cdap-policy] in"
        " pyproject.toml, looked for from the current folder upwards).",
    ),
)
@click.option(
    "--no-config",
    is_flag=True,
    help=helptext("Ne lire aucun fichier de configuration.", "Read no configuration file."),
)
@click.pass_context
def cli(ctx, config_file, no_config):
    """Check a partner's CDAP configuration against the convention, the contrat de service and the
    bulletin.
    """
    install_log_handler()
    if not ctx.resilient_parsing:  # shell completion reads no file
        _configure.apply(ctx, config_file, no_config)


cli.add_command(_check.check)
cli.add_command(_validate.validate)
cli.add_command(_configure.config)
cli.add_command(_diff.diff)
cli.add_command(_init.init)
cli.add_command(_import_users.import_users)
cli.add_command(_completion.completion)
cli.add_command(_docs.docs)
cli.add_command(_serve.serve)
for _command in _pack.COMMANDS:
    cli.add_command(_command)
localise(cli)


class Terminated(BaseException):
    """SIGTERM received: unwinds the run like Ctrl-C (BaseException: no `except Exception` stops
    it).
    """


def _terminate(signum, frame) -> NoReturn:
    signal.signal(
        signal.SIGTERM, signal.SIG_IGN
    )  # a second SIGTERM must not cut the clean-up short
    raise Terminated


def main(argv=None) -> NoReturn:
    from cdap_policy.cli.localise import detect, error_prefix, set_lang

    lang = detect(sys.argv[1:] if argv is None else argv)
    set_lang(lang)
    interrupted = "interrompu" if lang == "fr" else "interrupted"
    try:
        signal.signal(signal.SIGTERM, _terminate)
    except ValueError:  # not the main thread (the command called from a test's thread)
        pass
    try:
        code = cli.main(args=argv, standalone_mode=False)
    except click.exceptions.Abort:  # click turns Ctrl-C during a prompt into Abort
        click.echo(interrupted, err=True)
        sys.exit(EXIT_INTERRUPTED)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        click.echo(interrupted, err=True)
        sys.exit(EXIT_INTERRUPTED)
    except Terminated:
        click.echo("interrompu par SIGTERM" if lang == "fr" else "terminated by SIGTERM", err=True)
        sys.exit(EXIT_TERMINATED)
    except RunTimeout:
        click.echo(
            error_prefix(lang)
            + (
                "durée maximale (--timeout) dépassée ; rien n'a été écrit"
                if lang == "fr"
                else "run took longer than --timeout; nothing was written"
            ),
            err=True,
        )
        sys.exit(EXIT_INPUT)
    except SystemExit:
        raise
    except BrokenPipeError:  # `cdap-policy check … | head`
        sys.exit(0)
    except Exception as exc:  # fail closed with one line, never a traceback
        click.echo(
            (
                f"erreur interne : {type(exc).__name__} : {exc} (merci de la signaler)"
                if lang == "fr"
                else f"internal error: {type(exc).__name__}: {exc} (please report this)"
            ),
            err=True,
        )
        sys.exit(EXIT_INTERNAL)
    sys.exit(code or 0)
