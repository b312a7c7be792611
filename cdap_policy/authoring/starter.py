"""Build a starter snapshot from a partner's answers: valid YAML with a comment on each section,
the editor modeline pointing at the schema, and commented placeholders for what only the
partner knows. Pure: `render` returns text, `cdap_policy/cli/init.py` asks and writes.

The choices offered (organisation kinds, missions, editions, frameworks, management modes,
profiles) are read from the live snapshot schema and the pack's profile catalogue, so a kind or
a profile added there is offered without touching this module.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypedDict

from cdap_policy.engines import celfuncs
from cdap_policy.load.schemainfo import enum
from cdap_policy.support.i18n import pick, tr
from cdap_policy.support.labels import FLAGS, FRAMEWORKS, KINDS, MISSIONS, MODES, label

TODO = tr("À COMPLÉTER", "TO COMPLETE")


# -- choices from the schema and the catalogue ----------------------------------------------


@dataclass(frozen=True)
class Choices:
    kinds: tuple
    missions: tuple
    editions: tuple
    frameworks: tuple
    modes: tuple
    catalogue: dict[str, dict[str, dict]]  # edition (str) -> profile code -> catalogue entry
    countries: dict  # params.countries, for eligible()
    flags: tuple  # partner flags the catalogue's routes may require

    def profiles(self, edition) -> list[str]:
        return sorted(self.catalogue.get(str(edition), {}), key=lambda c: int(c[1:]))

    def profile_label(self, edition, code: str, lang: str = "fr") -> str:
        return pick(self.catalogue.get(str(edition), {}).get(code, {}).get("label", code), lang)


def load_choices(policies: str | Path | None = None) -> Choices:
    """Choices of the live schema and of the pack's catalogue (parameters only: no rule is
    compiled).
    """
    from cdap_policy.load import params as params_mod
    from cdap_policy.load.pack import default_pack_dir

    parameters = params_mod.load_parameters(Path(policies or default_pack_dir()) / "params")
    return Choices(
        kinds=enum("/properties/partner/properties/kind"),
        missions=enum("/$defs/mission"),
        editions=enum("/properties/convention/properties/edition"),
        frameworks=enum("/properties/convention/properties/framework"),
        modes=enum("/properties/convention/properties/management_mode"),
        catalogue=copy.deepcopy(parameters["profiles"].value),
        countries=copy.deepcopy(parameters["countries"].value),
        flags=(
            tuple(parameters["eligibility_flags"].value)
            if "eligibility_flags" in parameters
            else ()
        ),
    )


def eligibility(choices: Choices, edition, code: str, kind: str, department: str = "") -> str:
    """« yes » when the catalogue opens `code` to this kind of body, « conditional » when only
    with a partner flag (RSA competence, subsidy…), else « no »: a hint for the profile question."""
    entry = choices.catalogue.get(str(edition), {}).get(code)
    if not entry:
        return "no"
    partner = {"kind": kind, **({"department": department} if department else {})}
    if celfuncs.eligible(partner, entry, choices.countries):
        return "yes"
    if celfuncs.eligible(
        {**partner, **{flag: True for flag in choices.flags}}, entry, choices.countries
    ):
        return "conditional"
    return "no"


def conditional_flags(
    choices: Choices, edition, kind: str, department: str, quotas
) -> dict[str, list[str]]:
    """For each profile requested that the catalogue opens to this kind of body only on a condition
    (a competence, a subsidy, the Caf's own conditions for a CCAS…): the partner flags that would
    open it, flag -> profiles. What `init` and the web form ask as yes/no questions."""
    out: dict[str, list[str]] = {}
    partner = {"kind": kind, **({"department": department} if department else {})}
    for code in sorted(quotas or {}, key=lambda c: int(c[1:])):
        entry = choices.catalogue.get(str(edition), {}).get(code)
        if not entry or celfuncs.eligible(partner, entry, choices.countries):
            continue
        for flag in choices.flags:
            if celfuncs.eligible({**partner, flag: True}, entry, choices.countries):
                out.setdefault(flag, []).append(code)
    return out


def default_missions(choices: Choices, edition, profiles) -> list[str]:
    """The first mission the catalogue gives for each profile requested, in the schema's order."""
    wanted = set()
    for code in profiles:
        missions = choices.catalogue.get(str(edition), {}).get(code, {}).get("missions") or []
        if missions:
            wanted.add(missions[0])
    return [m for m in choices.missions if m in wanted]


# -- answers ---------------------------------------------------------------------------------


@dataclass
class Person:
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    phone: str = ""
    function: str = ""

    @property
    def empty(self) -> bool:
        return not (self.first_name or self.last_name or self.email or self.phone)


_PHONE = re.compile(r"^\+?[\d\s.()-]{6,}$")
_MOBILE = re.compile(r"^(?:0|\+33\s*|0033\s*)[67]")


def parse_person(text: str) -> Person:
    """« Prénom Nom, courriel, téléphone » (each part optional, in any order after the name):
    the part with « @ » is the e-mail, the one made of digits the phone, the first word of the
    rest the first name."""
    person = Person()
    for part in re.split(r"[;,]", text or ""):
        part = " ".join(part.split())
        if not part:
            continue
        if "@" in part and not person.email:
            person.email = part
        elif _PHONE.match(part) and not person.phone:
            person.phone = part
        elif not (person.first_name or person.last_name):
            first, _, last = part.partition(" ")
            person.first_name, person.last_name = (first, last) if last else ("", first)
    return person


def parse_profiles(text: str) -> dict[str, int]:
    """« T1=4, T4=1 » (or « T1:4 T4 1 ») → {"T1": 4, "T4": 1}; raises ValueError naming the bad
    part.
    """
    out: dict[str, int] = {}
    for part in re.split(r"[,;]|\s+(?=[Tt]\d)", text or ""):
        part = part.strip()
        if not part:
            continue
        match = re.fullmatch(r"([Tt]\d{1,2})\s*(?:[=:]|\s)\s*(\d{1,5})", part) or re.fullmatch(
            r"([Tt]\d{1,2})", part
        )
        if not match:
            raise ValueError(part)
        code = match.group(1).upper()
        out[code] = int(match.group(2)) if match.lastindex and match.lastindex > 1 else 1
    return out


class BeneficiaryInformation(TypedDict, total=False):
    """`partner.beneficiary_information`: how beneficiaries are told of the processing (CONV art.
    11).
    """

    method: str
    since: str  # AAAA-MM-JJ
    non_opposition_recorded: bool


class Workstation(TypedDict):
    """One item of `partner.workstations`: a browser, its version, how many workstations run it."""

    browser: str
    version: int
    count: int


class Deliberation(TypedDict, total=False):
    """`convention.deliberation`: the deliberative body's decision authorising the signature."""

    body: str
    reference: str
    adopted_on: str  # AAAA-MM-JJ


@dataclass
class Answers:
    kind: str
    name: str
    taken_on: str  # the day the starter is written (the caller's « today »: render stays pure)
    siret: str = ""
    department: str = ""
    framework: str = "mon_compte_partenaire"
    edition: int = 2025
    missions: list = field(default_factory=list)
    quotas: dict = field(default_factory=dict)  # profile -> users wanted
    management_mode: str = "delegated"
    principal: Person = field(default_factory=Person)
    deputy: Person = field(default_factory=Person)
    security_officer: Person = field(default_factory=Person)
    data_protection_referent: Person = field(default_factory=Person)
    support_l1: Person = field(default_factory=Person)
    providers: list = field(default_factory=list)  # names (init) or checked entries (web form)
    flags: dict = field(default_factory=dict)  # partner flags answered (see conditional_flags)
    beneficiary_information: BeneficiaryInformation | None = None
    workstations: list[Workstation] = field(default_factory=list)
    t1_attestation: dict | None = (
        None  # {signed_on, entries}: as importers.attestation.attestation builds it
    )
    deliberation: Deliberation | None = None
    supporting_documents: list = field(
        default_factory=list
    )  # [{profile, document, provided_on}]: other profiles' legitimacy


# -- rendering -------------------------------------------------------------------------------


def _q(value) -> str:
    """A YAML scalar for a value the partner typed: double-quoted (JSON strings are YAML)."""
    return json.dumps(str(value), ensure_ascii=False)


def _slug(text: str, taken: set) -> str:
    import unicodedata

    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    base = re.sub(r"[^a-z0-9]+", "-", plain).strip("-")[:40] or "prestataire"
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    taken.add(slug)
    return slug


def _flow(items) -> str:
    """A YAML flow list of codes or typed texts."""
    return "[" + ", ".join(_q(i) for i in items) + "]"


def _provider(w: _Writer, p: dict, taken: set) -> None:
    """One provider (CONV art. 14): what was answered as values, each missing answer as a
    placeholder to fill in. `p` holds schema-checked values only (the web form's providers, or
    {"name": …} from `init`)."""
    name = str(p.get("name") or "")
    w.line(f"  - id: {_slug(name, taken)}")
    w.line(f"    name: {_q(name)}")
    if "tasks" in p:
        w.line(f"    tasks: {_flow(p['tasks'])}")
    else:
        w.todo("tasks: []", "tâches confiées", "tasks entrusted", 4)
    if "country" in p:
        w.line(f"    country: {_q(p['country'])}")
    else:
        w.todo("country: FR", "pays du prestataire", "provider's country", 4)
    if "database_countries" in p:
        w.line(f"    database_countries: {_flow(p['database_countries'])}")
    else:
        w.todo(
            "database_countries: [FR]",
            "pays des bases de données ([] : aucune)",
            "countries of its databases ([]: none)",
            4,
        )
    for key in ("dpf_certified", "commercial_organisation"):
        if key in p:
            w.line(f"    {key}: {'true' if p[key] else 'false'}")
    safeguard = p.get("safeguard")
    if isinstance(safeguard, dict):
        pairs = ", ".join(f"{k}: {_q(v)}" for k, v in safeguard.items())
        w.line(f"    safeguard: {{{pairs}}}")
    if "starts_on" in p:
        w.line(f"    starts_on: {_q(p['starts_on'])}")
    else:
        w.todo('starts_on: "AAAA-MM-JJ"', "début de la prestation", "start of the service", 4)
    notice = p.get("notice")
    if isinstance(notice, dict):
        parts = [f"received_on: {_q(notice['received_on'])}"] if "received_on" in notice else []
        parts.append(f"lists: {_flow(notice.get('lists') or [])}")
        w.line(f"    notice: {{{', '.join(parts)}}}")
    elif "notice" not in p:
        w.todo(
            'notice: {received_on: "AAAA-MM-JJ", lists: [providers, provider_locations,'
            " database_locations, legal_regime, tasks]}",
            "lettre d'information de la Caf",
            "notice letter to the Caf",
            4,
        )
    else:
        w.comment(
            "Lettre d'information de la Caf : pas encore envoyée.",
            "Notice letter to the Caf: not sent yet.",
            4,
        )
    if "clauses" in p:
        w.line(f"    clauses: {_flow(p['clauses'])}")
    else:
        w.todo(
            "clauses: [security, confidentiality, purpose_limitation, no_retention_after_end,"
            " no_disclosure, anti_misuse, physical_security, audit,"
            " same_obligations_for_subcontractors]",
            "clauses du contrat",
            "clauses of the contract",
            4,
        )


class _Writer:
    def __init__(self, lang: str):
        self.lang = lang
        self.lines: list[str] = []

    def t(self, fr: str, en: str) -> str:
        return pick(tr(fr, en), self.lang)

    def comment(self, fr: str, en: str, indent: int = 0):
        for line in self.t(fr, en).split("\n"):
            self.lines.append(" " * indent + ("# " + line if line else "#"))

    def todo(self, yaml_line: str, fr: str, en: str, indent: int):
        """A placeholder: a commented-out line to fill in and uncomment."""
        colon = " :" if self.lang == "fr" else ":"  # French puts a space before the colon
        if self.lang != "fr":
            yaml_line = yaml_line.replace("AAAA-MM-JJ", "YYYY-MM-DD")
        self.lines.append(
            f"{' ' * indent}# {yaml_line}   # {pick(TODO, self.lang)}{colon} {self.t(fr, en)}"
        )

    def line(self, text: str):
        self.lines.append(text)

    def blank(self):
        self.lines.append("")


def _person(w: _Writer, person: Person, indent: int, role_fr: str, role_en: str):
    pad = " " * indent
    if person.first_name:
        w.line(f"{pad}first_name: {_q(person.first_name)}")
    else:
        w.todo('first_name: ""', f"prénom ({role_fr})", f"first name ({role_en})", indent)
    if person.last_name:
        w.line(f"{pad}last_name: {_q(person.last_name)}")
    else:
        w.todo('last_name: ""', f"nom ({role_fr})", f"last name ({role_en})", indent)
    if person.function:
        w.line(f"{pad}function: {_q(person.function)}")
    else:
        w.todo('function: ""', "fonction dans l'organisme", "job title in the organisation", indent)
    if person.email:
        w.line(f"{pad}email: {_q(person.email)}")
    else:
        w.todo(
            'email: ""',
            "adresse électronique individuelle (pas de boîte partagée)",
            "individual e-mail address (no shared mailbox)",
            indent,
        )
    if person.phone:
        key = "phone_mobile" if _MOBILE.match(person.phone) else "phone_landline"
        w.line(f"{pad}{key}: {_q(person.phone)}")
    else:
        w.todo(
            'phone_landline: ""',
            "téléphone fixe (phone_mobile : portable)",
            "landline (phone_mobile: mobile)",
            indent,
        )


def _contact(w: _Writer, key: str, person: Person, role_fr: str, role_en: str):
    w.line(
        f"  {key}:"
    )  # with every line below commented out, the value is null: nobody designated yet
    if person.empty:
        w.comment(
            "Personne non encore désignée : décommentez et complétez les lignes ci-dessous.",
            "Nobody designated yet: uncomment and complete the lines below.",
            4,
        )
    _person(w, person, 4, role_fr, role_en)


def render(
    answers: Answers,
    choices: Choices,
    schema_ref: str,
    lang: str = "fr",
    file_name: str = "instantane-cdap.yaml",
) -> str:
    """The starter snapshot, as text. `schema_ref` is what editors resolve (a path or a URL)."""
    a, w = answers, _Writer(lang)
    edition = a.edition
    w.line(f"# yaml-language-server: $schema={schema_ref}")
    w.comment(
        f"Instantané CDAP de départ, créé par « cdap-policy init » le {a.taken_on}.",
        f"Starter CDAP snapshot, written by « cdap-policy init » on {a.taken_on}.",
    )
    w.comment(
        "Les lignes « # … À COMPLÉTER » attendent ce que seul le partenaire sait : complétez-les"
        ' et retirez le « # ».\nLes dates s\'écrivent "AAAA-MM-JJ", entre guillemets.\nÉtapes'
        f" suivantes :\n  cdap-policy import-users personnel.xlsx --into {file_name}   (la liste du"
        f" personnel, depuis un tableur)\n  cdap-policy check {file_name} --stage pre-signature    "
        "      (ce qui manque avant de signer)",
        "Lines « # … TO COMPLETE » await what only the partner knows: complete them and remove the"
        ' « # ».\nDates are written "YYYY-MM-DD", in quotes.\nNext steps:\n  cdap-policy'
        f" import-users staff.xlsx --into {file_name}   (the staff list, from a spreadsheet)\n "
        f" cdap-policy check {file_name} --stage pre-signature     (what is missing before"
        " signing)",
    )
    w.blank()

    w.comment(
        "— Cet instantané : quand et comment il a été établi.",
        "— This snapshot: when and how it was made.",
    )
    w.line("snapshot:")
    w.line(f"  taken_on: {_q(a.taken_on)}")
    source = w.t(
        "cdap-policy init (réponses du partenaire)", "cdap-policy init (answers of the partner)"
    )
    w.line(f"  source: {_q(source)}")
    if "1" in enum("/properties/snapshot/properties/schema_version"):
        w.line('  schema_version: "1"')
    w.blank()

    w.comment(
        "— Le partenaire : l'organisme qui signe la convention. Son type et ses missions (CONV art."
        " 8)\n  décident des profils qu'il peut demander (catalogue des profils du bulletin).",
        "— The partner: the body that signs the convention. Its kind and missions (CONV art. 8)\n"
        "  decide which profiles it may request (the bulletin's profile catalogue).",
    )
    w.line("partner:")
    w.line(f"  name: {_q(a.name)}")
    w.line(f"  kind: {a.kind}   # {label(KINDS, a.kind, lang)}")
    if a.siret:
        w.line(f"  siret: {_q(a.siret)}")
    else:
        w.todo('siret: ""', "numéro SIRET, 14 chiffres", "SIRET number, 14 digits", 2)
    if a.department:
        w.line(f"  department: {_q(a.department)}")
    else:
        w.todo(
            'department: ""',
            "code du département (44, 2A, 974…)",
            "department code (44, 2A, 974…)",
            2,
        )
    if a.missions:
        w.line("  missions:")
        for mission in a.missions:
            w.line(f"    - {mission}   # {label(MISSIONS, mission, lang)}")
    else:
        w.todo(
            "missions: []",
            "missions déclarées à l'article 8 de la convention",
            "missions declared in article 8 of the convention",
            2,
        )
    for flag, value in a.flags.items():
        w.line(f"  {flag}: {'true' if value else 'false'}   # {label(FLAGS, flag, lang)}")
    w.comment(
        "Comment les allocataires sont informés du traitement (CONV art. 11) :",
        "How beneficiaries are informed of the processing (CONV art. 11):",
        2,
    )
    info = a.beneficiary_information
    if info and info.get("method"):
        w.line("  beneficiary_information:")
        w.line(f"    method: {_q(info['method'])}")
        if info.get("since"):
            w.line(f"    since: {_q(info['since'])}")
        if info.get("non_opposition_recorded") is not None:
            w.line(
                "    non_opposition_recorded:"
                f" {'true' if info['non_opposition_recorded'] else 'false'}"
            )
    else:
        w.todo(
            'beneficiary_information: {method: "", since: "AAAA-MM-JJ", non_opposition_recorded:'
            " true}",
            "mode d'information (formulaire, affichage, site…)",
            "how (form notice, poster, website…)",
            2,
        )
    w.comment(
        "Navigateurs des postes qui accèdent à « Mon Compte Partenaire » (CS art. 2.1) :",
        "Browsers of the workstations that reach « Mon Compte Partenaire » (CS art. 2.1):",
        2,
    )
    if a.workstations:
        w.line("  workstations:")
        for station in a.workstations:
            w.line(
                f"    - {{browser: {_q(station['browser'])}, version: {int(station['version'])},"
                f" count: {int(station.get('count') or 1)}}}"
            )
    else:
        w.todo(
            "workstations: [{browser: firefox, version: 128, count: 1}]",
            "navigateur, version et nombre de postes",
            "browser, version and number of workstations",
            2,
        )
    w.blank()

    w.comment(
        "— La convention « Mon Compte Partenaire », le contrat de service et le bulletin d'adhésion"
        " CDAP.\n  Avant la signature, les dates restent à compléter ; le tableau des quotas est ce"
        " que le bulletin demande.",
        "— The « Mon Compte Partenaire » convention, the service contract and the CDAP bulletin.\n "
        " Before signature the dates stay to complete; the quota table is what the bulletin"
        " requests.",
    )
    w.line("convention:")
    w.line(f"  framework: {a.framework}   # {label(FRAMEWORKS, a.framework, lang)}")
    w.line(
        f"  edition: {edition}   # "
        + w.t(f"bulletin d'adhésion, édition {edition}", f"membership bulletin, {edition} edition")
    )
    w.todo('caf: ""', "la Caf signataire", "the Caf that signs", 2)
    w.comment(
        "Délibération de l'organe délibérant (conseil, conseil d'administration) qui autorise la"
        " signature ;\nelle précède la signature.",
        "Deliberation of the deliberative body (council, board) authorising the signature; it comes"
        " before the\nsignature.",
        2,
    )
    if a.deliberation:
        w.line(
            "  deliberation: {"
            + ", ".join(f"{k}: {_q(v)}" for k, v in a.deliberation.items())
            + "}"
        )
    else:
        w.todo(
            'deliberation: {body: "", reference: "", adopted_on: "AAAA-MM-JJ"}',
            "délibération autorisant la signature",
            "deliberation authorising the signature",
            2,
        )
    w.todo(
        'signed_on: "AAAA-MM-JJ"',
        "date de signature de la convention",
        "date the convention is signed",
        2,
    )
    w.todo(
        'data_protection_formalities_on: "AAAA-MM-JJ"',
        "formalités RGPD accomplies (registre, AIPD ; CONV art. 12)",
        "GDPR formalities completed (register, DPIA; CONV art. 12)",
        2,
    )
    w.todo(
        'service_contract_signed_on: "AAAA-MM-JJ"',
        "signature du contrat de service",
        "service contract signed",
        2,
    )
    w.todo(
        'bulletin_signed_on: "AAAA-MM-JJ"', "signature du bulletin d'adhésion", "bulletin signed", 2
    )
    w.line(f"  management_mode: {a.management_mode}   # {label(MODES, a.management_mode, lang)}")
    w.comment(
        "Nombre d'utilisateurs demandés par profil ; un profil absent ou « / » n'est pas ouvert.",
        "Users requested per profile; a profile absent or « / » is not opened.",
        2,
    )
    if a.quotas:
        w.line("  quotas:")
        for code in sorted(a.quotas, key=lambda c: int(c[1:])):
            w.line(
                f"    {code}: {int(a.quotas[code])}   #"
                f" {choices.profile_label(edition, code, lang)}"
            )
    else:
        w.line("  quotas: {}")
        w.todo(
            "quotas: {T1: 1}",
            "profils demandés et nombre d'utilisateurs",
            "profiles requested and number of users",
            2,
        )
    if "T1" in a.quotas and edition == 2025:
        w.comment(
            "Attestation sur l'honneur des diplômes d'État des utilisateurs T1, signée par le"
            " représentant légal :\nune entrée par utilisateur (identifiant de la liste users,"
            " diplôme ASS, CESF ou ES, date d'obtention).",
            "Attestation on honour of the T1 users' state diplomas, signed by the legal"
            " representative:\none entry per user (id in the users list, diploma ASS, CESF or ES,"
            " award date).",
            2,
        )
        if a.t1_attestation:
            w.line("  t1_attestation:")
            if a.t1_attestation.get("signed_on"):
                w.line(f"    signed_on: {_q(a.t1_attestation['signed_on'])}")
            w.line("    entries:" + ("" if a.t1_attestation.get("entries") else " []"))
            for entry in a.t1_attestation.get("entries") or []:
                w.line("      - {" + ", ".join(f"{k}: {_q(v)}" for k, v in entry.items()) + "}")
        else:
            w.todo(
                't1_attestation: {signed_on: "AAAA-MM-JJ", entries: [{user: u-01, diploma: ASS,'
                ' awarded_on: "AAAA-MM-JJ"}]}',
                "à signer avec le bulletin",
                "to sign with the bulletin",
                2,
            )
    others = [code for code in sorted(a.quotas, key=lambda c: int(c[1:])) if code != "T1"]
    if others and edition == 2025:
        w.comment(
            "Justificatifs de la légitimité de chaque autre profil demandé, remis à la Caf"
            " (subvention d'action\nsociale pour T2, marché avec le département pour T5, mission"
            " FSL pour T13, mandat pour T9…) :",
            "Supporting documents of the legitimacy of each other profile requested, given to the"
            " Caf (social-action\nsubsidy for T2, contract with the department for T5, FSL mission"
            " for T13, mandate for T9...):",
            2,
        )
        given = [d for d in a.supporting_documents if d.get("profile") in others]
        if given:
            w.line("  supporting_documents:")
            for document in given:
                w.line(
                    "    - {"
                    + ", ".join(
                        f"{k}: {_q(document[k])}"
                        for k in ("profile", "document", "provided_on")
                        if document.get(k)
                    )
                    + "}"
                )
        left = [code for code in others if code not in {d["profile"] for d in given}]
        if left and given:
            for code in left:
                w.todo(
                    f'- {{profile: {code}, document: "", provided_on: "AAAA-MM-JJ"}}',
                    "pièce à remettre à la Caf",
                    "document to give the Caf",
                    4,
                )
        elif left:
            entries = ", ".join(
                f'{{profile: {code}, document: "", provided_on: "AAAA-MM-JJ"}}' for code in left
            )
            w.todo(
                f"supporting_documents: [{entries}]",
                "pièces à remettre à la Caf",
                "documents to give the Caf",
                2,
            )
    w.blank()

    w.comment(
        "— Les personnes désignées (annexe 1 du contrat de service) : deux administrateurs au"
        " plus,\n  un principal et un suppléant, chacun avec une adresse individuelle et un"
        " téléphone.",
        "— The people designated (service contract, annex 1): at most two administrators,\n"
        "  one principal and one deputy, each with an individual address and a phone number.",
    )
    w.line("contacts:")
    w.line("  administrators:")
    for index, (role, person, fr, en) in enumerate(
        (
            ("principal", a.principal, "administrateur principal", "principal administrator"),
            ("deputy", a.deputy, "administrateur suppléant", "deputy administrator"),
        ),
        1,
    ):
        w.line(f"    - id: adm-{index}")
        w.line(f"      role: {role}   # {w.t(fr, en)}")
        _person(w, person, 6, fr, en)
    w.comment(
        "Responsable de la sécurité du partenaire (CS art. 5.1) :",
        "Partner security officer (CS art. 5.1):",
        2,
    )
    _contact(
        w, "security_officer", a.security_officer, "responsable de la sécurité", "security officer"
    )
    if edition == 2017:
        w.comment(
            "Référent « Informatique et Libertés » (CS annexe 1) :",
            "« Informatique et Libertés » referent (CS annex 1):",
            2,
        )
    else:
        w.comment(
            "Délégué à la protection des données (RGPD art. 37) :",
            "Data protection officer (GDPR art. 37):",
            2,
        )
    _contact(
        w,
        "data_protection_referent",
        a.data_protection_referent,
        "protection des données",
        "data protection",
    )
    w.comment(
        "Support utilisateurs de niveau 1, seul habilité à contacter le centre de service de la Caf"
        " (CS art. 3) :",
        "Level-1 user support, the only one entitled to contact the Caf's service centre (CS"
        " art. 3):",
        2,
    )
    _contact(w, "support_l1", a.support_l1, "support de niveau 1", "level-1 support")
    w.blank()

    w.comment(
        "— Les utilisateurs. Importez la liste du personnel depuis un tableur (colonnes Nom,"
        " Prénom, Courriel,\n  Fonction, Profil, Diplôme, Date du diplôme, Type de contrat, Fin de"
        f" contrat) :\n    cdap-policy import-users personnel.xlsx --into {file_name}\n  Avant la"
        " signature, chacun est « status: planned » (prévu) : il ne détient encore aucun accès,\n "
        " mais son diplôme et son profil sont déjà vérifiés.",
        "— The users. Import the staff list from a spreadsheet (columns Nom, Prénom, Courriel,"
        " Fonction,\n  Profil, Diplôme, Date du diplôme, Type de contrat, Fin de contrat):\n   "
        f" cdap-policy import-users staff.xlsx --into {file_name}\n  Before signature everyone is «"
        " status: planned »: nobody holds access yet, but diplomas\n  and profiles are already"
        " checked.",
    )
    w.line("users: []")
    w.blank()

    w.comment(
        "— Les prestataires qui interviennent pour la convention (CONV art. 14) : la Caf doit être"
        " informée\n  par lettre 6 mois avant leur intervention (liste, localisation, bases de"
        " données, régime des outils, tâches).",
        "— The providers working for the convention (CONV art. 14): the Caf must be told by"
        " letter\n  6 months before they start (list, location, databases, legal regime of the"
        " tools, tasks).",
    )
    if a.providers:
        w.line("subcontractors:")
        taken: set = set()
        entered = False
        for provider in a.providers:
            entry = provider if isinstance(provider, dict) else {"name": str(provider)}
            entered = entered or isinstance(provider, dict)
            _provider(w, entry, taken)
        if entered:
            w.comment(
                "Les sous-traitants d'un prestataire s'ajoutent dans sa rubrique « subcontractors »"
                " (même forme).",
                "A provider's own subcontractors go in its « subcontractors » list (same shape).",
                2,
            )
    else:
        w.line("subcontractors: []")
    w.blank()

    w.comment(
        "— Les copies locales de données CDAP (extractions, traces, registre des habilitations),"
        " avec leur durée de\n  conservation et leur base légale (CONV art. 5.2, CS art. 5.3.2)."
        " Aucune : laissez la liste vide.",
        "— Local copies of CDAP data (extracts, traces, habilitation register), with their"
        " retention and legal\n  basis (CONV art. 5.2, CS art. 5.3.2). None: leave the list empty.",
    )
    w.line("data_stores: []")
    w.comment(
        "— Programmes qui accèdent à « Mon Compte Partenaire » (CONV art. 9.2) et incidents de"
        " sécurité.",
        "— Programs that reach « Mon Compte Partenaire » (CONV art. 9.2) and security incidents.",
    )
    w.line("automations: []")
    w.line("incidents: []")
    return "\n".join(w.lines) + "\n"
