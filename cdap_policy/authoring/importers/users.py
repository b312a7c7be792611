"""Turn the rows of a staff spreadsheet into snapshot users.

Columns are recognised by their header, French first (« Nom », « Prénom », « Courriel »,
« Fonction », « Profil », « Diplôme », « Date du diplôme », « Type de contrat », « Fin de
contrat »…), accents, case and punctuation aside; `--map "Header=field"` names others. Cell
values are read as partners write them (« CDD », « DEASS », « 03/11/2016 ») and checked with
the live schema; a row that cannot be read is reported with its row number, never guessed.
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from dataclasses import dataclass, field

from cdap_policy.authoring.importers.sheets import Sheet
from cdap_policy.support.errors import Problem
from cdap_policy.support.i18n import tr
from cdap_policy.support.textsafe import bounded, excerpt

# field -> headers that name it (normalised: no accents, lower case, words separated by one space)
HEADERS = {
    "id": ["id", "identifiant", "identifiant cdap", "matricule", "user id"],
    "last_name": [
        "nom",
        "nom de famille",
        "nom d usage",
        "nom de naissance",
        "last name",
        "surname",
        "family name",
        "name",
    ],
    "first_name": ["prenom", "prenoms", "first name", "given name"],
    "email": [
        "courriel",
        "mel",
        "mail",
        "e mail",
        "email",
        "adresse mail",
        "adresse e mail",
        "adresse electronique",
        "adresse de messagerie",
        "courriel professionnel",
        "e mail address",
        "email address",
    ],
    "function": [
        "fonction",
        "poste",
        "emploi",
        "intitule du poste",
        "metier",
        "function",
        "job title",
        "job",
    ],
    "profiles": [
        "profil",
        "profils",
        "profil cdap",
        "profils cdap",
        "profil demande",
        "profils demandes",
        "profile",
        "profiles",
    ],
    "diploma": [
        "diplome",
        "diplomes",
        "diplome d etat",
        "type de diplome",
        "diploma",
        "diploma type",
    ],
    "diploma_awarded_on": [
        "date du diplome",
        "date de diplome",
        "date d obtention",
        "date d obtention du diplome",
        "diplome obtenu le",
        "obtenu le",
        "diploma date",
        "awarded on",
        "date awarded",
    ],
    "contract": ["contrat", "type de contrat", "nature du contrat", "contract", "contract type"],
    "contract_ends_on": [
        "fin de contrat",
        "fin du contrat",
        "date de fin de contrat",
        "date de fin du contrat",
        "date de fin",
        "contract end",
        "end of contract",
        "contract ends on",
    ],
    "granted_on": ["date d habilitation", "habilite le", "habilitation le", "granted on"],
    "login": ["identifiant de connexion", "login"],
    "instructor_number": ["numero instructeur", "n instructeur", "instructor number"],
}
FIELDS = tuple(HEADERS)

# how partners write diplomas and contracts -> schema codes (checked against the live schema)
DIPLOMAS = [
    (re.compile(r"\b(de ?)?ass\b|service social|assistante? social"), "ASS"),
    (re.compile(r"\b(de ?)?cesf\b|\besf\b|economie sociale"), "CESF"),
    (re.compile(r"\b(de ?)?es\b|\bdees\b|educat\w* specialis"), "ES"),
    (re.compile(r"^(aucun|aucune|sans|sans diplome|non|none|no)$"), "none"),
    (re.compile(r"^(autre|other)\b"), "other"),
]
CONTRACTS = [
    (re.compile(r"titulaire|fonctionnaire|civil servant"), "civil_servant"),
    (re.compile(r"\bcdi\b|duree indeterminee|permanent"), "permanent"),
    (re.compile(r"\bcdd\b|duree determinee|fixed term"), "fixed_term"),
    (re.compile(r"interim|temporaire|temporary"), "temporary"),
    (re.compile(r"stagiaire|stage|intern"), "intern"),
    (re.compile(r"^(autre|other|apprenti\w*|contrat aide|vacataire|vacation)"), "other"),
]
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_DATE_FR = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")
_DATE_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")


def _personal(name: str) -> bool:
    """The field is personal data for the snapshot schema (`x-personal` on the user's property)."""
    from cdap_policy.load.schema import personal_path

    return personal_path("snapshot.schema.json", ("users", 0, name))


def norm(text) -> str:
    """Compare headers and values as a person reads them: accents, case, punctuation aside."""
    text = unicodedata.normalize("NFKD", str(text or ""))
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


@dataclass
class Imported:
    users: list = field(
        default_factory=list
    )  # (row number, user dict without id unless the sheet gives one)
    problems: list = field(default_factory=list)  # Problem per unreadable row or bad column
    columns: dict = field(default_factory=dict)  # field -> header
    ignored: list = field(default_factory=list)  # headers not read


def parse_map(items) -> dict:
    """`--map "Nom de l'agent=last_name"` (repeatable) -> {normalised header: field}; ValueError on
    a bad item.
    """
    out = {}
    for item in items or ():
        header, sep, name = item.rpartition("=")
        name = name.strip()
        if not sep or not header.strip() or name not in FIELDS:
            raise ValueError(item)
        out[norm(header)] = name
    return out


def columns(sheet: Sheet, mapping: dict) -> tuple[dict, list, list]:
    """field -> column index, the headers ignored, and problems (two columns for one field)."""
    found: dict[str, int] = {}
    ignored, problems = [], []
    aliases = {alias: name for name, names in HEADERS.items() for alias in names}
    for index, header in enumerate(sheet.headers):
        key = norm(header)
        name = mapping.get(key) or (aliases.get(key) if key not in mapping else None)
        if not name:
            if header:
                ignored.append(header)
            continue
        if name in found:
            first = sheet.headers[found[name]]
            problems.append(
                Problem(
                    sheet.file,
                    sheet.header_row,
                    bounded(header),
                    tr(
                        f"les colonnes {excerpt(first)} et {excerpt(header)} désignent toutes deux"
                        f" le champ {name} ; précisez avec --map",
                        f"columns {excerpt(first)} and {excerpt(header)} both name field {name};"
                        " say which with --map",
                    ),
                )
            )
            continue
        found[name] = index
    if "last_name" not in found and "email" not in found:
        problems.append(
            Problem(
                sheet.file,
                sheet.header_row,
                "",
                tr(
                    "aucune colonne Nom ni Courriel : impossible de reconnaître les personnes"
                    f" (en-têtes lus : {', '.join(excerpt(h) for h in sheet.headers[:12])}) ;"
                    ' indiquez-les avec --map "En-tête=last_name"',
                    "no Nom (last name) or Courriel (e-mail) column: people cannot be identified"
                    f" (headers read: {', '.join(excerpt(h) for h in sheet.headers[:12])}); name"
                    ' them with --map "Header=last_name"',
                ),
            )
        )
    return found, ignored, problems


def read_date(text: str) -> str | None:
    """« 2016-11-03 », « 03/11/2016 » (day first, as in France) -> ISO date; None
    when unreadable.
    """
    match = _DATE_ISO.match(text)
    if match:
        year, month, day = (int(g) for g in match.groups())
    else:
        match = _DATE_FR.match(text)
        if not match:
            return None
        day, month, year = (int(g) for g in match.groups())
    try:
        return datetime.date(year, month, day).isoformat()
    except ValueError:
        return None


def _code(text: str, table, allowed) -> str | None:
    key = norm(text)
    for value in allowed:  # the schema's own codes, written as such
        if key == norm(value):
            return value
    for pattern, value in table:
        if pattern.search(key) and value in allowed:
            return value
    return None


def read_profiles(text: str, catalogue: dict) -> tuple[list, list]:
    """« T1 », « T1, T4 », « Action sociale » -> (codes, parts not understood)."""
    labels = {
        norm(entry.get("label", {}).get(lang, "")): code
        for code, entry in catalogue.items()
        for lang in ("fr", "en")
    }
    codes, bad = [], []
    for part in re.split(r"[,;/+]|\bet\b", text):
        key = norm(part)
        if not key:
            continue
        code = key.replace(" ", "").upper() if re.fullmatch(r"t ?\d{1,2}", key) else labels.get(key)
        if code is None:
            bad.append(part.strip())
        elif code not in codes:
            codes.append(code)
    return codes, bad


def read_users(
    sheet: Sheet, mapping: dict, enums: dict, catalogue: dict, default_profiles=(), field_ok=None
) -> Imported:
    """Every row of `sheet` as a user dict, or a problem naming its row number and column.

    `enums`: the schema's allowed values for `diploma` and `contract` (the live schema);
    `catalogue`: the profile catalogue of the snapshot's edition (codes and labels);
    `field_ok(path, value)`: the live schema's verdict on one user field (e-mail, profile code).
    """
    found, ignored, problems = columns(sheet, mapping)
    result = Imported(
        columns={name: sheet.headers[i] for name, i in found.items()},
        ignored=ignored,
        problems=problems,
    )
    if problems:
        return result
    # the row that first gave each id, e-mail address and name (first, last); one loop reads
    # all three
    seen_email: dict[str | tuple[str, str], int] = {}
    seen_identity: dict[str | tuple[str, str], int] = {}
    seen_id: dict[str | tuple[str, str], int] = {}
    for number, cells in sheet.rows:

        def cell(name, cells=cells):  # the row's values bound now, not the loop variable's
            index = found.get(name)
            return cells[index].strip() if index is not None and index < len(cells) else ""

        def bad(name, fr, en, number=number):
            # a personal column (name, e-mail) has its cell masked in the error line (cli.common)
            result.problems.append(
                Problem(
                    sheet.file,
                    number,
                    bounded(sheet.headers[found[name]]) if name in found else "",
                    tr(fr, en),
                    _personal(name),
                )
            )

        before = len(result.problems)
        for name, index in found.items():
            if index < len(cells) and _CONTROL.search(
                cells[index]
            ):  # would reach the snapshot, then a terminal
                bad(
                    name,
                    "caractère de contrôle ou d'inversion de sens dans la cellule",
                    "control or bidirectional character in the cell",
                )
        if len(result.problems) > before:
            continue
        user: dict = {}
        for name in (
            "id",
            "first_name",
            "last_name",
            "email",
            "function",
            "login",
            "instructor_number",
        ):
            if cell(name):
                user[name] = cell(name)
        for name in ("id", "first_name", "last_name", "function", "login", "instructor_number"):
            if (
                name in user and field_ok and not field_ok(("users", 0, name), user[name])
            ):  # e.g. a length limit of the schema
                bad(
                    name,
                    f"valeur refusée par le schéma de l'instantané : {excerpt(user[name])}",
                    f"value refused by the snapshot schema: {excerpt(user[name])}",
                )
        if not user.get("last_name") and not user.get("email"):
            bad(
                "last_name",
                "ni nom ni courriel : la personne ne peut pas être reconnue",
                "neither last name nor e-mail: the person cannot be identified",
            )
        if user.get("email") and field_ok and not field_ok(("users", 0, "email"), user["email"]):
            bad(
                "email",
                f"adresse électronique illisible {excerpt(user['email'])}",
                f"unreadable e-mail address {excerpt(user['email'])}",
            )
        if cell("profiles"):
            codes, unknown = read_profiles(cell("profiles"), catalogue)
            unknown += [
                c for c in codes if field_ok and not field_ok(("users", 0, "profiles"), [c])
            ]
            if unknown:
                bad(
                    "profiles",
                    f"profil(s) inconnu(s) {', '.join(excerpt(u) for u in unknown)} : écrivez le"
                    " code T1…T22 ou le nom du profil",
                    f"unknown profile(s) {', '.join(excerpt(u) for u in unknown)}: write the code"
                    " T1…T22 or the profile's name",
                )
            user["profiles"] = [c for c in codes if c not in unknown]
        elif default_profiles:
            user["profiles"] = list(default_profiles)
        else:
            bad(
                "profiles",
                "aucun profil : indiquez le profil demandé (T1…) ou passez --profile T1",
                "no profile: give the profile requested (T1…) or pass --profile T1",
            )
        if cell("diploma") or cell("diploma_awarded_on"):
            diploma = {}
            if cell("diploma"):
                code = _code(cell("diploma"), DIPLOMAS, enums["diploma"])
                if code is None:
                    bad(
                        "diploma",
                        f"diplôme non reconnu {excerpt(cell('diploma'))} (admis :"
                        f" {', '.join(enums['diploma'])}, DEASS, DECESF, DEES…)",
                        f"diploma not recognised {excerpt(cell('diploma'))} (accepted:"
                        f" {', '.join(enums['diploma'])}, DEASS, DECESF, DEES…)",
                    )
                else:
                    diploma["type"] = code
            if cell("diploma_awarded_on"):
                day = read_date(cell("diploma_awarded_on"))
                if day is None:
                    bad(
                        "diploma_awarded_on",
                        f"date illisible {excerpt(cell('diploma_awarded_on'))} (JJ/MM/AAAA ou"
                        " AAAA-MM-JJ)",
                        f"unreadable date {excerpt(cell('diploma_awarded_on'))} (DD/MM/YYYY or"
                        " YYYY-MM-DD)",
                    )
                else:
                    diploma["awarded_on"] = day
            if diploma:
                user["diploma"] = diploma
        if cell("contract") or cell("contract_ends_on"):
            contract = {}
            if cell("contract_ends_on"):
                day = read_date(cell("contract_ends_on"))
                if day is None:
                    bad(
                        "contract_ends_on",
                        f"date illisible {excerpt(cell('contract_ends_on'))} (JJ/MM/AAAA ou"
                        " AAAA-MM-JJ)",
                        f"unreadable date {excerpt(cell('contract_ends_on'))} (DD/MM/YYYY or"
                        " YYYY-MM-DD)",
                    )
                else:
                    contract["ends_on"] = day
            if cell("contract"):
                code = _code(cell("contract"), CONTRACTS, enums["contract"])
                if code is None and norm(cell("contract")) in (
                    "contractuel",
                    "contractuelle",
                    "agent contractuel",
                    "agente contractuelle",
                ):  # public service: fixed-term when it ends
                    code = "fixed_term" if "ends_on" in contract else "other"
                if code is None:
                    bad(
                        "contract",
                        f"type de contrat non reconnu {excerpt(cell('contract'))} (CDI, CDD,"
                        " titulaire, intérim, stagiaire, autre)",
                        f"contract type not recognised {excerpt(cell('contract'))} (CDI, CDD,"
                        " titulaire, intérim, stagiaire, autre)",
                    )
                else:
                    contract = {"type": code, **contract}
            if contract:
                user["contract"] = contract
        if cell("granted_on"):
            day = read_date(cell("granted_on"))
            if day is None:
                bad(
                    "granted_on",
                    f"date illisible {excerpt(cell('granted_on'))}",
                    f"unreadable date {excerpt(cell('granted_on'))}",
                )
            else:
                user["granted_on"] = day
        # one row per person: a second row for the same address or name would make two accounts
        email = (user.get("email") or "").casefold()
        identity = (norm(user.get("first_name")), norm(user.get("last_name")))
        for key, seen, fr, en in (
            (user.get("id"), seen_id, "identifiant", "id"),
            (email, seen_email, "courriel", "e-mail"),
            (
                identity if all(identity) else None,
                seen_identity,
                "nom et prénom",
                "first and last name",
            ),
        ):
            if key and key in seen:
                bad(
                    "last_name",
                    f"même {fr} que la ligne {seen[key]} : une ligne par personne",
                    f"same {en} as row {seen[key]}: one row per person",
                )
            elif key:
                seen[key] = number
        if len(result.problems) == before:
            result.users.append((number, user))
    return result
