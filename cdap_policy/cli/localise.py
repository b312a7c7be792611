"""The command line in French by default, in English with `--lang en` (or CDAP_POLICY_LANG=en):
`--help` of every command, click's own usage errors and headings, the `error:` prefix.

Our help texts are written `help=tr(fr, en)` (or a `{fr, en}` mapping); `localise(group)` turns
them into the French text click expects and remembers the English one, which the help formatter
shows when the language is English. Click's own words (« Usage », « Options », « Missing
argument »…) go through gettext; we answer its calls with the French catalogue below, so a word
click adds in a later version shows in English rather than breaking anything.
"""

from __future__ import annotations

import contextvars
import functools
import gettext
import inspect
import os
import sys

import click

ENV = "CDAP_POLICY_LANG"
_LANG: contextvars.ContextVar[str] = contextvars.ContextVar("cdap_policy_lang", default="")
_EN: dict[str, str] = {}  # French help text -> English

ERROR = {"fr": "erreur : ", "en": "error: "}


def detect(args) -> str:
    """The language of a command line: `--lang en` / `--lang=en` anywhere, else CDAP_POLICY_LANG,
    else French.
    """
    args = list(args or [])
    for index, arg in enumerate(args):
        if arg == "--":
            break
        if arg == "--lang" and index + 1 < len(args):
            return "en" if args[index + 1] == "en" else "fr"
        if arg.startswith("--lang="):
            return "en" if arg.split("=", 1)[1] == "en" else "fr"
    return "en" if os.environ.get(ENV, "").strip().lower().startswith("en") else "fr"


def current() -> str:
    return _LANG.get() or detect(sys.argv[1:])


def set_lang(lang: str):
    return _LANG.set(lang)


def error_prefix(lang: str | None = None) -> str:
    return ERROR["en" if (lang or current()) == "en" else "fr"]


# -- our help texts ------------------------------------------------------------------------------


def _catalogue_key(text: str) -> str:
    """A help text as the catalogue is looked up: each line's words joined by one space, so that a
    docstring wrapped to the line length finds its entry written on one line."""
    return "\n".join(" ".join(line.split()) for line in inspect.cleandoc(text).split("\n\n"))


@functools.cache
def _catalogue() -> dict[str, str]:
    from cdap_policy.cli.help_fr import FR_HELP

    return {_catalogue_key(en): fr for en, fr in FR_HELP.items()}


def _french(value):
    """A help text -> its French text, the English one remembered: a {fr, en} mapping, or an
    English text that the catalogue (help_fr.py) translates; a French text given with `h` stays."""

    if isinstance(value, dict):
        fr, en = inspect.cleandoc(value.get("fr") or ""), inspect.cleandoc(value.get("en") or "")
        _EN[fr] = en
        return fr
    if isinstance(value, str):
        key = inspect.cleandoc(value)
        french = _catalogue().get(_catalogue_key(value))
        if french is not None:
            fr = inspect.cleandoc(french)
            _EN[fr] = key
            return fr
    return value


def untranslated(group: click.Group) -> list[str]:
    """Help texts of `group` that have no French (for the test that keeps the
    catalogue complete).
    """
    out = []
    for command in _walk(group):
        for text in [command.help, command.short_help] + [
            getattr(p, "help", None) for p in command.params
        ]:
            if text and inspect.cleandoc(text) not in _EN:
                out.append(f"{command.name}: {text}")
    return out


def h(fr: str, en: str) -> str:
    """A help text: the French one for click, the English one remembered for `--lang en`."""
    key = inspect.cleandoc(fr)
    _EN[key] = inspect.cleandoc(en)
    return fr


def english(text: str) -> str:
    return _EN.get(inspect.cleandoc(text), text) if text else text


def _walk(command):
    yield command
    for sub in getattr(command, "commands", {}).values():
        yield from _walk(sub)


def localise(group: click.Group) -> click.Group:
    """Make every command of `group` speak the user's language."""
    _install_gettext()
    for command in _walk(group):
        command.help = _french(command.help)
        command.short_help = _french(command.short_help)
        command.context_class = _Context
        command.get_short_help_str = functools.partial(short_help, command)
        for param in command.params:
            if getattr(param, "help", None):
                param.help = _french(param.help)
    return group


class _Formatter(click.HelpFormatter):
    """Shows the English help texts when the language is English."""

    def write_text(self, text: str) -> None:
        super().write_text(english(text) if current() == "en" else text)

    def write_heading(self, heading: str) -> None:
        if current() == "en":
            super().write_heading(heading)
        else:  # French puts a space before the colon
            self.write(f"{'':>{self.current_indent}}{heading} :\n")

    def write_dl(self, rows, col_max: int = 30, col_spacing: int = 2) -> None:
        if current() == "en":
            rows = [(term, _english_row(help_text)) for term, help_text in rows]
        super().write_dl(rows, col_max, col_spacing)


def _english_row(text: str) -> str:
    head, sep, extra = text.rpartition("  [")
    if sep and head:
        return english(head) + sep + extra
    return english(text)


class _Context(click.Context):
    formatter_class = _Formatter


# click's first-sentence shortener: click 8.5 deprecated its public name (to go in 9.0) for a
# private one; older versions have only the public one
_make_short_help = (
    getattr(click.utils, "_make_default_short_help", None)
    or vars(click.utils)["make_default_short_help"]
)


def short_help(command, limit: int = 45) -> str:
    text = command.short_help or command.help or ""
    if current() == "en":
        text = english(text)
    return _make_short_help(text, limit)


# -- click's own words ---------------------------------------------------------------------------

FR = {
    "Usage:": "Utilisation :",
    "Options": "Options",
    "Commands": "Commandes",
    "Arguments": "Arguments",
    "Show this message and exit.": "Afficher cette aide et quitter.",
    "Show the version and exit.": "Afficher la version et quitter.",
    "Error": "Erreur",
    "Error:": "Erreur :",
    "default": "par défaut",
    "required": "obligatoire",
    "env var: {var}": "variable d'environnement : {var}",
    "(deprecated)": "(obsolète)",
    "Aborted!": "Interrompu.",
    "Try {command!r} for help.": "Aide : {command!r}.",
    "Try '{command}' for help.": "Aide : « {command} ».",
    "Try {command} for help.": "Aide : {command}.",
    "Missing argument": "Argument manquant",
    "Missing option": "Option manquante",
    "Missing parameter": "Paramètre manquant",
    "Missing {param_type}": "{param_type} manquant",
    "Missing {param_type}: {param_hint}": "{param_type} manquant : {param_hint}",
    "argument": "argument",
    "option": "option",
    "parameter": "paramètre",
    "Missing command.": "Commande manquante.",
    "No such command {name!r}.": "Commande inconnue {name!r}.",
    "No such command '{name}'.": "Commande inconnue « {name} ».",
    "No such option: {name}": "Option inconnue : {name}",
    "No such option {name!r}.": "Option inconnue {name!r}.",
    "Did you mean {possibility}?": "Vouliez-vous dire {possibility} ?",
    "(Possible options: {possibilities})": "(options possibles : {possibilities})",
    "Invalid value for {param_hint}: {message}": "Valeur invalide pour {param_hint} : {message}",
    "Invalid value: {message}": "Valeur invalide : {message}",
    "Invalid value.": "Valeur invalide.",
    "Got unexpected extra argument ({args})": "Argument en trop ({args})",
    "Got unexpected extra arguments ({args})": "Arguments en trop ({args})",
    "Option {name!r} requires an argument.": "L'option {name!r} attend une valeur.",
    "Option '{name}' requires an argument.": "L'option « {name} » attend une valeur.",
    "Option {name!r} requires {nargs} arguments.": "L'option {name!r} attend {nargs} valeurs.",
    "Option {name!r} does not take a value.": "L'option {name!r} ne prend pas de valeur.",
    "Option '{name}' does not take a value.": "L'option « {name} » ne prend pas de valeur.",
    "Option {name!r} does not take a value": "L'option {name!r} ne prend pas de valeur",
    "{value!r} is not one of {choices}.": "{value!r} ne fait pas partie de : {choices}.",
    "{value!r} is not {choice}.": "{value!r} n'est pas {choice}.",
    "{value!r} is not a valid integer.": "{value!r} n'est pas un nombre entier.",
    "{value!r} is not a valid float.": "{value!r} n'est pas un nombre.",
    "{value!r} is not a valid boolean.": "{value!r} n'est pas un booléen.",
    "{value!r} is not a valid {number_type}.": "{value!r} n'est pas un {number_type} valide.",
    "{value} is not in the range {range}.": "{value} n'est pas dans l'intervalle {range}.",
    "{value!r} is not a valid UUID.": "{value!r} n'est pas un UUID valide.",
    "{name} {filename!r} does not exist.": "{name} {filename!r} n'existe pas.",
    "{name} '{filename}' does not exist.": "{name} « {filename} » n'existe pas.",
    "{name} {filename!r} is a file.": "{name} {filename!r} est un fichier.",
    "{name} '{filename}' is a file.": "{name} « {filename} » est un fichier.",
    "{name} {filename!r} is a directory.": "{name} {filename!r} est un dossier.",
    "{name} '{filename}' is a directory.": "{name} « {filename} » est un dossier.",
    "{name} {filename!r} is not readable.": "{name} {filename!r} n'est pas lisible.",
    "{name} {filename!r} is not writable.": "{name} {filename!r} n'est pas accessible en écriture.",
    "{name} {filename!r} is not executable.": "{name} {filename!r} n'est pas exécutable.",
    "File": "Fichier",
    "Directory": "Dossier",
    "Path": "Chemin",
    "choices": "choix",
    "integer": "entier",
    "float": "nombre décimal",
    "text": "texte",
    "boolean": "booléen",
    "Repeat for confirmation": "Répétez pour confirmer",
    "Error: The value you entered was invalid.": "Erreur : la valeur saisie est invalide.",
    "Error: {e.message}": "Erreur : {e.message}",
    "Error: The two entered values do not match.": (
        "Erreur : les deux valeurs ne correspondent pas."
    ),
    "%(prog)s, version %(version)s": "%(prog)s, version %(version)s",
    "Argument {name!r} takes {nargs} values.": "L'argument {name!r} attend {nargs} valeurs.",
    "Choose from:\n\t{choices}": "Choisir parmi :\n\t{choices}",
    "Confirm the action without prompting.": "Confirmer l'action sans la demander.",
    "Could not open file {filename!r}: {message}": (
        "Impossible d'ouvrir le fichier {filename!r} : {message}"
    ),
    "Do you want to continue?": "Voulez-vous continuer ?",
    "Error: invalid input": "erreur : réponse invalide",
    "Error: {message}": "erreur : {message}",
    "Missing parameter: {param_name}": "Paramètre manquant : {param_name}",
    "Positional arguments": "Arguments positionnels",
    "Try '{command} {option}' for help.": "Aide : « {command} {option} ».",
    "default: {default}": "par défaut : {default}",
    "deprecated": "obsolète",
    "directory": "dossier",
    "file": "fichier",
    "path": "chemin",
    "unknown error": "erreur inconnue",
    "Shell completion is not supported for Bash versions older than 4.4.": (
        "La complétion n'est pas prise en charge pour Bash avant 4.4."
    ),
    "Couldn't detect Bash version, shell completion is not supported.": (
        "Version de Bash inconnue : complétion non prise en charge."
    ),
}
FR_PLURAL = {
    ("Got unexpected extra argument ({args})", "Got unexpected extra arguments ({args})"): (
        "Argument en trop ({args})",
        "Arguments en trop ({args})",
    ),
    ("Option {name!r} requires an argument.", "Option {name!r} requires {nargs} arguments."): (
        "L'option {name!r} attend une valeur.",
        "L'option {name!r} attend {nargs} valeurs.",
    ),
    ("Option '{name}' requires an argument.", "Option '{name}' requires {nargs} arguments."): (
        "L'option « {name} » attend une valeur.",
        "L'option « {name} » attend {nargs} valeurs.",
    ),
    ("Missing argument", "Missing arguments"): ("Argument manquant", "Arguments manquants"),
}


def _gettext(message: str) -> str:
    if current() == "en":
        return message
    return FR.get(message, message)


def _ngettext(singular: str, plural: str, n: int) -> str:
    if current() == "en":
        return singular if n == 1 else plural
    pair = FR_PLURAL.get((singular, plural))
    if pair:
        return pair[0] if n == 1 else pair[1]
    return _gettext(singular if n == 1 else plural)


_INSTALLED = False


def _install_gettext() -> None:
    """Answer click's gettext calls (its modules import `gettext` and `ngettext` by name)."""
    global _INSTALLED
    if _INSTALLED:
        return
    _INSTALLED = True
    for name in (
        "core",
        "exceptions",
        "formatting",
        "parser",
        "types",
        "decorators",
        "termui",
        "utils",
        "shell_completion",
    ):
        module = sys.modules.get(f"click.{name}") or __import__(f"click.{name}", fromlist=["_"])
        names = vars(module)  # click's modules bind gettext's functions as module globals
        if names.get("_") is gettext.gettext:
            names["_"] = _gettext
        if names.get("ngettext") is gettext.ngettext:
            names["ngettext"] = _ngettext
