"""`cdap-policy init`: ask the questions that shape a snapshot and write a valid starter file.

Every question is also an option, so it runs unattended with `--no-input`. Answers are checked
as they are typed (SIRET checksum, department code, e-mail) with the live schema.
"""

from __future__ import annotations

import os
import re
import stat
import sys
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click

from cdap_policy.cli.common import (
    EXIT_INPUT,
    EXIT_OK,
    fail_usage,
    lang_option,
    policies_option,
    report_problems,
    today,
)
from cdap_policy.cli.localise import h
from cdap_policy.support.errors import InputError
from cdap_policy.support.i18n import pick, tr
from cdap_policy.support.textsafe import printable

if TYPE_CHECKING:  # the starter is imported when the command runs
    from cdap_policy.authoring.starter import Deliberation, Workstation

DEFAULT_FILE = "instantane-cdap.yaml"
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
PEOPLE = (  # answer field, option, French and English role
    ("principal", "principal", "administrateur principal", "principal administrator"),
    ("deputy", "deputy", "administrateur suppléant", "deputy administrator"),
    (
        "security_officer",
        "security_officer",
        "responsable de la sécurité (CS art. 5.1)",
        "security officer (CS art. 5.1)",
    ),
    (
        "data_protection_referent",
        "dpo",
        "délégué à la protection des données",
        "data protection officer",
    ),
    (
        "support_l1",
        "support",
        "support utilisateurs de niveau 1 (CS art. 3)",
        "level-1 user support (CS art. 3)",
    ),
)


def _person_option(name: str, fr: str):
    return click.option(
        f"--{name.replace('_', '-')}",
        name,
        metavar='"PRÉNOM NOM, COURRIEL, TÉLÉPHONE"',
        help=f"The {fr}: name, e-mail and phone, separated by commas (each optional).",
    )


@click.command()
@click.argument(
    "file", required=False, default=DEFAULT_FILE, type=click.Path(dir_okay=False, path_type=Path)
)
@click.option(
    "--kind",
    help=(
        "Organisation kind (code of the README table, e.g. ccas); asked with the French names"
        " otherwise."
    ),
)
@click.option("--name", help="Legal name of the partner.")
@click.option("--siret", help="SIRET number (14 digits, checksum verified).")
@click.option("--department", help="Department code (44, 2A, 974…).")
@click.option("--framework", help="mon_compte_partenaire (default) or cafpro.")
@click.option("--edition", type=int, help="Edition of the CDAP bulletin (default: the latest).")
@click.option(
    "--mission",
    "missions",
    multiple=True,
    help="A mission of CONV art. 8 (repeatable); default: those of the profiles requested.",
)
@click.option(
    "--profile",
    "profiles",
    multiple=True,
    metavar="CODE=N",
    help="A profile requested and its number of users (repeatable), e.g. T1=4.",
)
@click.option("--mode", help="Management mode: delegated (default) or centralised.")
@_person_option("principal", "principal administrator")
@_person_option("deputy", "deputy administrator")
@_person_option("security_officer", "security officer")
@_person_option("dpo", "data protection officer")
@_person_option("support", "level-1 user support")
@click.option(
    "--flag",
    "flags",
    multiple=True,
    metavar="NOM",
    help=h(
        "Situation qui ouvre un profil demandé sous condition (répétable), par exemple"
        " ccas_t1_conditions_met : la Caf a confirmé par écrit que le CCAS remplit ses conditions"
        " pour T1 ; demandée sinon.",
        "A situation that opens a requested profile on a condition (repeatable), e.g."
        " ccas_t1_conditions_met: the Caf confirmed in writing that the CCAS meets its conditions"
        " for T1; asked otherwise.",
    ),
)
@click.option(
    "--information",
    metavar="MOYEN",
    help=h(
        "Comment les allocataires sont informés du traitement (CONV art. 11), par exemple « mention"
        " sur les formulaires ».",
        "How beneficiaries are informed of the processing (CONV art. 11), e.g. « notice on the"
        " forms ».",
    ),
)
@click.option(
    "--browser",
    "browsers",
    multiple=True,
    metavar="NAVIGATEUR=VERSION[:POSTES]",
    help=h(
        "Navigateur des postes et nombre de postes (répétable), par exemple firefox=140:6.",
        "Browser of the workstations and their number (repeatable), e.g. firefox=140:6.",
    ),
)
@click.option(
    "--deliberation",
    metavar="ORGANE, AAAA-MM-JJ[, RÉFÉRENCE]",
    help=h(
        "La délibération qui autorise la signature : organe délibérant, date d'adoption, référence,"
        " par exemple « conseil d'administration du CCAS, 2026-11-20, CA-2026-14 ».",
        "The deliberation authorising the signature: deliberative body, date adopted, reference,"
        " e.g. « CCAS board, 2026-11-20, CA-2026-14 ».",
    ),
)
@click.option(
    "--provider", "providers", multiple=True, help="A service provider's name (repeatable)."
)
@click.option(
    "--no-input",
    is_flag=True,
    help="Ask nothing: options and defaults only (--kind and --name are then required).",
)
@click.option("--force", is_flag=True, help="Replace FILE if it exists.")
@policies_option
@lang_option
def init(
    file,
    kind,
    name,
    siret,
    department,
    framework,
    edition,
    missions,
    profiles,
    mode,
    principal,
    deputy,
    security_officer,
    dpo,
    support,
    flags,
    information,
    browsers,
    deliberation,
    providers,
    no_input,
    force,
    policies,
    lang,
) -> NoReturn:
    """Write a starter snapshot (default instantane-cdap.yaml) from a few questions."""
    from cdap_policy.authoring.starter import Answers, load_choices, render
    from cdap_policy.support import output

    if _CONTROL.search(
        str(file)
    ):  # a carriage return in the name would end the comment that quotes it: YAML injected
        fail_usage(
            tr(
                f"le nom de fichier {printable(str(file))} contient un caractère de contrôle :"
                " choisissez un autre nom",
                f"file name {printable(str(file))} holds a control character: choose another name",
            ),
            lang,
        )
    if not no_input and _nothing_to_read():
        fail_usage(_NO_TERMINAL, lang)
    if file.exists() and not force:  # said before the questions, not after
        fail_usage(
            tr(
                f"{file} existe déjà ; choisissez un autre nom ou passez --force pour le remplacer",
                f"{file} already exists; choose another name or pass --force to replace it",
            ),
            lang,
        )
    try:
        output.check_writable(file)
    except InputError as exc:
        report_problems(exc, tr("écriture impossible", "cannot write"), lang)
        sys.exit(EXIT_INPUT)
    choices = load_choices(policies)
    ask = _Asker(lang, no_input)
    given = {
        "principal": principal,
        "deputy": deputy,
        "security_officer": security_officer,
        "data_protection_referent": dpo,
        "support_l1": support,
    }

    kind = ask.choice(
        "kind",
        kind,
        choices.kinds,
        _kind_labels(lang),
        tr("Type d'organisme", "Organisation kind"),
        required=True,
    )
    name = ask.text(
        "name", name, tr("Nom de l'organisme", "Name of the organisation"), required=True
    )
    siret = ask.checked(
        "siret",
        siret,
        ("partner", "siret"),
        tr("SIRET (14 chiffres)", "SIRET (14 digits)"),
        tr(
            "SIRET invalide : 14 chiffres dont la clé de contrôle",
            "invalid SIRET: 14 digits with a valid checksum",
        ),
        normalise=lambda v: "".join(v.split()),
    )
    department = ask.checked(
        "department",
        department,
        ("partner", "department"),
        tr("Département (44, 2A, 974…)", "Department (44, 2A, 974…)"),
        tr(
            "code de département inconnu (01 à 95, 2A, 2B, 971 à 976)",
            "unknown department code (01-95, 2A, 2B, 971-976)",
        ),
        normalise=lambda v: (
            v.strip().upper().zfill(2) if v.strip().isdigit() else v.strip().upper()
        ),
    )
    framework = ask.choice(
        "framework",
        framework,
        choices.frameworks,
        _labels("FRAMEWORKS", lang),
        tr("Cadre contractuel", "Contractual framework"),
        default=choices.frameworks[0],
    )
    edition = int(
        ask.choice(
            "edition",
            str(edition) if edition else None,
            tuple(map(str, choices.editions)),
            {},
            tr("Édition du bulletin d'adhésion", "Edition of the membership bulletin"),
            default=str(max(choices.editions)),
        )
    )
    quotas = ask.profiles(profiles, choices, edition, kind, department)
    flag_answers = ask.flags(flags, choices, edition, kind, department, quotas)
    missions = ask.missions(missions, choices, edition, quotas)
    mode = ask.choice(
        "mode",
        mode,
        choices.modes,
        _labels("MODES", lang),
        tr("Mode de gestion des habilitations", "Habilitation management mode"),
        default="delegated" if "delegated" in choices.modes else choices.modes[0],
    )
    people = {key: ask.person(key, given[key], fr, en) for key, _, fr, en in PEOPLE}
    information = ask.text(
        "information",
        information,
        tr(
            "Comment les allocataires sont-ils informés du traitement (mention sur les formulaires,"
            " affichage…) ?",
            "How are beneficiaries informed of the processing (notice on forms, poster…)?",
        ),
    )
    workstations = ask.browsers(browsers)
    deliberation = _deliberation(deliberation, lang) if deliberation else None
    providers = ask.providers(providers)

    answers = Answers(
        kind=kind,
        name=name,
        taken_on=today(),
        siret=siret,
        department=department,
        framework=framework,
        edition=edition,
        missions=missions,
        quotas=quotas,
        management_mode=mode,
        providers=providers,
        flags=flag_answers,
        workstations=workstations,
        deliberation=deliberation,
        beneficiary_information={"method": information} if information else None,
        **people,
    )
    text = render(answers, choices, _schema_ref(file), lang, file.name)
    _self_check(text, file)
    if (
        not no_input
    ):  # what the pre-signature rules still ask of the partner's situation (the Caf's conditions…)
        asked = _asked_flags(text, file, policies, answers.flags)
        if asked:
            answers.flags.update(ask.flags_by_rule(asked))
            text = render(answers, choices, _schema_ref(file), lang, file.name)
            _self_check(text, file)
    try:
        output.write_text(file, text)
    except InputError as exc:
        report_problems(exc, tr("écriture impossible", "cannot write"), lang)
        sys.exit(EXIT_INPUT)
    todo = text.count("À COMPLÉTER" if lang == "fr" else "TO COMPLETE")
    example = _example_sheet()
    click.echo(
        pick(
            tr(
                f"Instantané de départ écrit dans {file} ({todo} ligne(s) « À COMPLÉTER »).\nÉtape"
                " suivante : importez la liste du personnel depuis votre tableur (colonnes Nom,"
                " Prénom, Courriel, Fonction,\nProfil, Diplôme, Date du diplôme, Type de contrat,"
                " Fin de contrat" + (f" ; exemple : {example}" if example else "") + ") :\n"
                f"  cdap-policy import-users personnel.xlsx --into {file}\n"
                "puis voyez ce qui manque avant la signature :\n"
                f"  cdap-policy check {file} --stage pre-signature",
                f"Starter snapshot written to {file} ({todo} line(s) « TO COMPLETE »).\nNext step:"
                " import the staff list from your spreadsheet (columns Nom, Prénom, Courriel,"
                " Fonction, Profil,\nDiplôme, Date du diplôme, Type de contrat, Fin de contrat"
                + (f"; example: {example}" if example else "")
                + "):\n"
                f"  cdap-policy import-users staff.xlsx --into {file}\n"
                "then see what is missing before signature:\n"
                f"  cdap-policy check {file} --stage pre-signature",
            ),
            lang,
        )
    )
    sys.exit(EXIT_OK)


_NO_TERMINAL = tr(
    "pas de terminal pour poser les questions : passez --no-input avec les options (--kind,"
    " --name…), ou lancez la commande dans un terminal",
    "no terminal to ask the questions: pass --no-input with the options (--kind, --name…), "
    "or run the command in a terminal",
)


def _nothing_to_read() -> bool:
    """Standard input is closed or a device that is not a terminal (/dev/null: a CI job, `docker
    run` without -t): no answer can ever come. A pipe or a file may hold answers: they are read."""
    try:
        fd = sys.stdin.fileno()
    except (AttributeError, OSError, ValueError):  # replaced by a test runner's stream: it is read
        return sys.stdin is None
    if os.isatty(fd):
        return False
    try:
        return stat.S_ISCHR(os.fstat(fd).st_mode)
    except OSError:
        return True


def _reads_a_terminal() -> bool:
    try:
        return os.isatty(sys.stdin.fileno())
    except (AttributeError, OSError, ValueError):
        return False


def _kind_labels(lang: str) -> dict:
    from cdap_policy.support.labels import KINDS, label

    return {code: label(KINDS, code, lang) for code in KINDS}


def _labels(table: str, lang: str) -> dict:
    from cdap_policy.support import labels

    return {
        code: labels.label(getattr(labels, table), code, lang) for code in getattr(labels, table)
    }


def _schema_ref(target: Path) -> str:
    """The schema for editors: relative to the snapshot when both live under one project, else
    absolute.
    """
    from cdap_policy.load.schema import schema_path

    schema = schema_path("snapshot.schema.json").resolve()
    folder = target.resolve().parent
    common = Path(os.path.commonpath([schema, folder]))
    return (
        Path(os.path.relpath(schema, folder)).as_posix()
        if common != Path(common.anchor)
        else schema.as_uri()
    )


def _example_sheet() -> str | None:
    candidate = Path(__file__).resolve().parents[2] / "examples" / "ccas-personnel.xlsx"
    if not candidate.exists():
        return None
    try:
        return os.path.relpath(candidate)
    except ValueError:
        return str(candidate)


def _asked_flags(text: str, file: Path, policies, answered: dict) -> dict:
    """The partner flags a failing pre-signature finding of the starter asks about, not yet
    answered.
    """
    import tempfile

    from cdap_policy.load.pack import load_pack
    from cdap_policy.pipeline.check import CheckOptions, check_snapshot, flags_asked

    pack = load_pack(policies, None)
    with tempfile.TemporaryDirectory(prefix="cdap-init-") as folder:
        path = Path(folder) / file.name
        path.write_text(text, encoding="utf-8")
        report = check_snapshot(
            pack,
            path,
            CheckOptions(
                as_of=today(), as_of_source="today", stage="pre-signature", find_waivers=False
            ),
        )
    return {
        flag: codes for flag, codes in flags_asked(pack, report).items() if flag not in answered
    }


def _self_check(text: str, file: Path) -> None:
    """The starter must validate: anything else is a defect of this command, never the partner's."""
    from cdap_policy.load.schema import validate
    from cdap_policy.load.yamlsource import loads

    problems = validate(loads(text, str(file)), "snapshot.schema.json")
    if problems:
        raise RuntimeError(
            "starter snapshot does not validate: " + "; ".join(p.render("en") for p in problems[:3])
        )


class _Asker:
    """One question at a time: the option's value when given (checked), else a prompt, else the
    default.
    """

    def __init__(self, lang: str, no_input: bool):
        self.lang, self.no_input = lang, no_input

    def t(self, text) -> str:
        return pick(text, self.lang)

    def _fail(self, option: str, message) -> None:
        fail_usage(
            {
                k: (
                    f"--{option.replace('_', '-')} : {message[k]}"
                    if k == "fr"
                    else f"--{option.replace('_', '-')}: {message[k]}"
                )
                for k in ("fr", "en")
            },
            self.lang,
        )

    def _prompt(self, text, default=None, proc=None):
        """Ask until the answer is accepted; the reason of a refusal is said in the partner's
        language.
        """
        later = tr(" (Entrée : plus tard)", " (Enter: later)") if default == "" else None
        question = self.t(text) + (self.t(later) if later else "")
        while True:
            try:
                answer = click.prompt(
                    question,
                    default=default,
                    show_default=bool(default),
                    prompt_suffix=" : " if self.lang == "fr" else ": ",
                )
            except click.Abort:
                if not _reads_a_terminal():  # the piped answers ran out, not Ctrl-C at a terminal
                    fail_usage(_NO_TERMINAL, self.lang)
                raise
            try:
                return proc(answer) if proc else answer
            except click.UsageError as exc:
                click.echo(f"  ✗ {exc.message}", err=True)

    def _clean(self, value: str) -> str:
        if _CONTROL.search(value):
            raise click.UsageError(
                self.t(tr("caractère de contrôle refusé", "control character refused"))
            )
        return " ".join(value.split())

    def text(self, option, value, question, required=False) -> str:
        if value is not None:
            value = value.strip()
            if _CONTROL.search(value) or (required and not value):
                self._fail(
                    option,
                    tr("valeur vide ou caractère de contrôle", "empty value or control character"),
                )
            return " ".join(value.split())
        if self.no_input:
            if required:
                self._fail(option, tr("obligatoire avec --no-input", "required with --no-input"))
            return ""

        def proc(v):
            v = self._clean(v)
            if required and not v:
                raise click.UsageError(self.t(tr("réponse obligatoire", "an answer is required")))
            return v

        return self._prompt(question, None if required else "", proc)

    def checked(self, option, value, path, question, error, normalise) -> str:
        from cdap_policy.load.schemainfo import field_ok

        def verdict(v: str) -> str:
            v = normalise(self._clean(v))
            if v and not field_ok(path, v):
                raise click.UsageError(self.t(error))
            return v

        if value is not None:
            try:
                return verdict(value)
            except click.UsageError:
                self._fail(option, error)
        if self.no_input:
            return ""
        return self._prompt(question, "", verdict)

    def choice(
        self, option, value, codes, labels: dict, question, default=None, required=False
    ) -> str:
        codes = tuple(codes)

        def verdict(v: str) -> str:
            v = self._clean(v)
            if v.isdigit() and 1 <= int(v) <= len(codes) and v not in codes:
                return codes[int(v) - 1]
            lowered = v.casefold()
            for code in codes:
                if lowered in (code.casefold(), labels.get(code, "").casefold()):
                    return code
            raise click.UsageError(
                self.t(
                    tr(
                        f"réponse inconnue {v!r} : un numéro de la liste ou un code",
                        f"unknown answer {v!r}: a number of the list or a code",
                    )
                )
            )

        if value is not None:
            try:
                return verdict(value)
            except click.UsageError:
                self._fail(
                    option,
                    tr(
                        f"valeurs admises : {', '.join(codes)}",
                        f"allowed values: {', '.join(codes)}",
                    ),
                )
        if self.no_input:
            if required or default is None:
                self._fail(
                    option,
                    tr(
                        f"obligatoire avec --no-input ({', '.join(codes)})",
                        f"required with --no-input ({', '.join(codes)})",
                    ),
                )
            return default
        if labels:
            for index, code in enumerate(codes, 1):
                click.echo(
                    f"  {index:>2}  {code}" + (f" — {labels[code]}" if code in labels else "")
                )
        else:  # short lists (editions) are named in the question itself
            question = {k: f"{q} ({', '.join(codes)})" for k, q in question.items()}
        return self._prompt(question, default, verdict)

    def profiles(self, given, choices, edition, kind, department) -> dict:
        from cdap_policy.authoring.starter import eligibility, parse_profiles

        defined = choices.profiles(edition)

        def verdict(v: str) -> dict:
            try:
                quotas = parse_profiles(self._clean(v))
            except ValueError as exc:
                raise click.UsageError(
                    self.t(
                        tr(
                            f"illisible : {exc.args[0]!r} (écrivez par exemple T1=4, T4=1)",
                            f"unreadable: {exc.args[0]!r} (write for example T1=4, T4=1)",
                        )
                    )
                ) from None
            unknown = [c for c in quotas if c not in defined]
            if unknown:
                raise click.UsageError(
                    self.t(
                        tr(
                            f"profil(s) non défini(s) par le bulletin {edition} :"
                            f" {', '.join(unknown)}",
                            f"profile(s) not defined by the {edition} bulletin:"
                            f" {', '.join(unknown)}",
                        )
                    )
                )
            return quotas

        if given:
            try:
                return verdict(", ".join(given))
            except click.UsageError as exc:
                self._fail("profile", tr(exc.message, exc.message))
        if self.no_input:
            return {}
        marks = {
            "yes": tr("ouvert à votre organisme", "open to your organisation"),
            "conditional": tr(
                "sous condition (compétence, subvention…)", "on a condition (competence, subsidy…)"
            ),
        }
        click.echo(
            self.t(tr(f"Profils du bulletin {edition} :", f"Profiles of the {edition} bulletin:"))
        )
        for code in defined:
            verdict_of = eligibility(choices, edition, code, kind, department)
            note = f"  [{self.t(marks[verdict_of])}]" if verdict_of in marks else ""
            click.echo(f"  {code:>4}  {choices.profile_label(edition, code, self.lang)}{note}")
        return (
            self._prompt(
                tr(
                    "Profils demandés et nombre d'utilisateurs (ex. T1=4, T4=1)",
                    "Profiles requested and number of users (e.g. T1=4, T4=1)",
                ),
                "",
                verdict,
            )
            or {}
        )

    def missions(self, given, choices, edition, quotas) -> list:
        from cdap_policy.authoring.starter import default_missions
        from cdap_policy.support import labels

        codes = choices.missions
        default = default_missions(choices, edition, quotas)

        def verdict(v) -> list:
            out = []
            for part in re.split(r"[,;\s]+", self._clean(v)):
                if not part:
                    continue
                code = (
                    codes[int(part) - 1]
                    if part.isdigit() and 1 <= int(part) <= len(codes)
                    else part
                )
                if code not in codes:
                    raise click.UsageError(
                        self.t(tr(f"mission inconnue {part!r}", f"unknown mission {part!r}"))
                    )
                if code not in out:
                    out.append(code)
            return [c for c in codes if c in out]

        if given:
            try:
                return verdict(",".join(given))
            except click.UsageError:
                self._fail(
                    "mission",
                    tr(
                        f"valeurs admises : {', '.join(codes)}",
                        f"allowed values: {', '.join(codes)}",
                    ),
                )
        if self.no_input:
            return default
        for index, code in enumerate(codes, 1):
            click.echo(f"  {index:>2}  {code} — {labels.label(labels.MISSIONS, code, self.lang)}")
        # click hands the default through `verdict` too, so Enter gives the default
        # missions as a list
        return self._prompt(
            tr(
                "Missions de la convention, art. 8 (numéros ou codes)",
                "Missions of the convention, art. 8 (numbers or codes)",
            ),
            ", ".join(default),
            verdict,
        )

    def person(self, key, given, fr, en):
        from cdap_policy.authoring.starter import Person, parse_person
        from cdap_policy.load.schemainfo import field_ok

        option = next(o for k, o, _, _ in PEOPLE if k == key)
        if given is not None:
            person = parse_person(self._clean(given))
            if person.email and not field_ok(
                ("contacts", "security_officer", "email"), person.email
            ):
                self._fail(
                    option,
                    tr(
                        f"adresse électronique illisible {person.email!r}",
                        f"unreadable e-mail address {person.email!r}",
                    ),
                )
            return person
        if self.no_input:
            return Person()
        role = self.t(tr(fr, en))
        role = role[:1].upper() + role[1:]
        first = self._prompt(tr(f"{role} — prénom", f"{role} — first name"), "", self._clean)
        last = self._prompt(tr(f"{role} — nom", f"{role} — last name"), "", self._clean)
        if not (first or last):
            return Person()

        def email_ok(v):
            v = self._clean(v)
            if v and not field_ok(("contacts", "security_officer", "email"), v):
                raise click.UsageError(
                    self.t(tr("adresse électronique illisible", "unreadable e-mail address"))
                )
            return v

        email = self._prompt(
            tr(f"{role} — courriel individuel", f"{role} — individual e-mail"), "", email_ok
        )
        phone = self._prompt(tr(f"{role} — téléphone", f"{role} — phone"), "", self._clean)
        return Person(first_name=first, last_name=last, email=email, phone=phone)

    def flags(self, given, choices, edition, kind, department, quotas) -> dict:
        """The situations that open a requested profile on a condition: yes/no for each."""
        from cdap_policy.authoring.starter import conditional_flags
        from cdap_policy.support.labels import FLAGS, label

        wanted = conditional_flags(choices, edition, kind, department, quotas)
        unknown = [f for f in given if f not in choices.flags]
        if unknown:
            self._fail(
                "flag",
                tr(
                    f"valeurs admises : {', '.join(choices.flags)}",
                    f"allowed values: {', '.join(choices.flags)}",
                ),
            )
        answers = {f: True for f in given}
        if self.no_input:
            return answers
        for flag, codes in wanted.items():
            if flag in answers:
                continue
            question = tr(
                f"Profil(s) {', '.join(codes)} : {label(FLAGS, flag, 'fr')} ?",
                f"Profile(s) {', '.join(codes)}: {label(FLAGS, flag, 'en')}?",
            )
            answers[flag] = click.confirm(self.t(question), default=False)
        return answers

    def flags_by_rule(self, asked: dict) -> dict:
        from cdap_policy.support.labels import FLAGS, label

        answers = {}
        for flag, codes in asked.items():
            prefix = (
                tr(f"Profil(s) {', '.join(codes)} : ", f"Profile(s) {', '.join(codes)}: ")
                if codes
                else tr("", "")
            )
            question = tr(
                f"{prefix['fr']}{label(FLAGS, flag, 'fr')} ?",
                f"{prefix['en']}{label(FLAGS, flag, 'en')}?",
            )
            if click.confirm(self.t(question), default=False):
                answers[flag] = True
        return answers

    def browsers(self, given) -> list[Workstation]:
        from cdap_policy.load.schemainfo import enum

        names = enum("/properties/partner/properties/workstations/items/properties/browser")

        def verdict(text: str) -> list[Workstation]:
            out: list[Workstation] = []
            for part in re.split(r"[,;\s]+", self._clean(text)):
                if not part:
                    continue
                match = re.fullmatch(r"([a-z_]+)[=:](\d{1,4})(?::(\d{1,6}))?", part.casefold())
                if not match or match.group(1) not in names:
                    raise click.UsageError(
                        self.t(
                            tr(
                                f"illisible : {part!r} (écrivez par exemple firefox=140:6 ;"
                                f" navigateurs : {', '.join(names)})",
                                f"unreadable: {part!r} (write for example firefox=140:6; browsers:"
                                f" {', '.join(names)})",
                            )
                        )
                    )
                out.append(
                    {
                        "browser": match.group(1),
                        "version": int(match.group(2)),
                        "count": int(match.group(3) or 1),
                    }
                )
            return out

        if given:
            try:
                return verdict(" ".join(given))
            except click.UsageError as exc:
                self._fail("browser", tr(exc.message, exc.message))
        if self.no_input:
            return []
        return (
            self._prompt(
                tr(
                    "Navigateurs des postes, version et nombre de postes (ex. firefox=140:6,"
                    " edge=138:2)",
                    "Workstation browsers, version and number of workstations (e.g. firefox=140:6,"
                    " edge=138:2)",
                ),
                "",
                verdict,
            )
            or []
        )

    def providers(self, given) -> list:
        if given:
            names = [" ".join(p.split()) for p in given if p.strip()]
            if any(_CONTROL.search(n) for n in names):
                self._fail(
                    "provider", tr("caractère de contrôle refusé", "control character refused")
                )
            return names
        if self.no_input:
            return []
        answer = self._prompt(
            tr(
                "Prestataires (éditeur du logiciel, hébergeur…), noms séparés par des virgules",
                "Service providers (software vendor, host…), names separated by commas",
            ),
            "",
            self._clean,
        )
        return [p.strip() for p in answer.split(",") if p.strip()]


def _deliberation(text: str, lang: str) -> Deliberation:
    """« organe, AAAA-MM-JJ[, référence] » as the convention's deliberation; a bad date is bad
    usage.
    """
    import datetime

    parts = [p.strip() for p in text.split(",") if p.strip()]
    dates = [p for p in parts if len(p) == 10 and p[4] == "-" and p[7] == "-"]
    try:
        if len(dates) != 1:
            raise ValueError
        datetime.date.fromisoformat(dates[0])
    except ValueError:
        fail_usage(
            tr(
                f"--deliberation : « {text} » : indiquez l'organe, la date d'adoption (AAAA-MM-JJ)"
                " et la référence",
                f"--deliberation: « {text} »: give the body, the date adopted (YYYY-MM-DD) and the"
                " reference",
            ),
            lang,
        )
    others = [p for p in parts if p != dates[0]]
    out: Deliberation = {"body": others[0]} if others else {}
    if len(others) > 1:
        out["reference"] = ", ".join(others[1:])
    out["adopted_on"] = dates[0]
    return out
