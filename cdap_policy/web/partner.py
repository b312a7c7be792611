"""The partner's path: one form per step, each answer checked as `init` checks it (the live
schema, the SIRET checksum, the profile catalogue), the staff list read by `import-users`' own
code, and the pre-signature checklist evaluated on every page."""

from __future__ import annotations

import re
from pathlib import Path

from cdap_policy.report.redact import (
    mask_problem,
)  # personal values masked in every error line, as on the command line
from cdap_policy.support.errors import InputError
from cdap_policy.support.i18n import pick, tr
from cdap_policy.web import draft as drafts
from cdap_policy.web.draft import PEOPLE, PERSON_FIELDS, STEP_NAMES, STEPS, clean

_ROLES = {
    "principal": tr("Administrateur principal", "Principal administrator"),
    "deputy": tr("Administrateur suppléant", "Deputy administrator"),
    "security_officer": tr(
        "Responsable de la sécurité (CS art. 5.1)", "Security officer (CS art. 5.1)"
    ),
    "data_protection_referent": tr(
        "Délégué à la protection des données", "Data protection officer"
    ),
    "support_l1": tr(
        "Support utilisateurs de niveau 1 (CS art. 3)", "Level-1 user support (CS art. 3)"
    ),
}
MAX_WORKSTATION_ROWS = 4


class Step:
    """Read one submitted step into the draft; say which page comes next."""

    def __init__(self, env, draft: dict, lang: str):
        self.env, self.draft, self.lang = env, draft, lang
        self.errors: dict[str, str] = {}
        self.notes: list[str] = []

    def fail(self, field: str, message: dict) -> None:
        self.errors[field] = pick(message, self.lang)

    async def submit(self, form) -> tuple[str, dict, list]:
        step = str(form.get("step") or "")
        go = str(form.get("go") or "next")
        if step not in STEP_NAMES:
            return "organisation", {}, []
        reader = getattr(self, f"read_{step}")  # each returns True to stay on its page
        stay = await reader(form, go) if step == "staff" else reader(form)
        if self.errors or stay:
            return step, self.errors, self.notes
        self.draft["step"] = step
        index = STEP_NAMES.index(step)
        if go == "back":
            return STEP_NAMES[max(0, index - 1)], {}, self.notes
        if go in STEP_NAMES:
            return go, {}, self.notes
        return STEP_NAMES[min(len(STEP_NAMES) - 1, index + 1)], {}, self.notes

    # -- organisation ----------------------------------------------------------------------

    def read_organisation(self, form):
        from cdap_policy.load.schemainfo import field_ok

        c, d = self.env.choices, self.draft
        kind = str(form.get("kind") or "")
        if kind not in c.kinds:
            self.fail(
                "kind", tr("choisissez le type d'organisme", "choose the kind of organisation")
            )
        d["kind"] = kind if kind in c.kinds else ""
        d["name"] = clean(form.get("name"))
        if not d["name"]:
            self.fail("name", tr("réponse obligatoire", "an answer is required"))
        siret = "".join(str(form.get("siret") or "").split())
        if siret and not field_ok(("partner", "siret"), siret):
            self.fail(
                "siret",
                tr(
                    "SIRET invalide : 14 chiffres dont la clé de contrôle",
                    "invalid SIRET: 14 digits with a valid checksum",
                ),
            )
        d["siret"] = siret if siret and field_ok(("partner", "siret"), siret) else ""
        department = clean(form.get("department")).upper()
        department = department.zfill(2) if department.isdigit() else department
        if department and not field_ok(("partner", "department"), department):
            self.fail(
                "department",
                tr(
                    "code de département inconnu (01 à 95, 2A, 2B, 971 à 976)",
                    "unknown department code (01-95, 2A, 2B, 971-976)",
                ),
            )
        d["department"] = (
            department if department and field_ok(("partner", "department"), department) else ""
        )
        framework = str(form.get("framework") or c.frameworks[0])
        d["framework"] = framework if framework in c.frameworks else c.frameworks[0]
        edition = str(form.get("edition") or max(c.editions))
        d["edition"] = edition if edition in map(str, c.editions) else str(max(c.editions))
        self.read_deliberation(form)
        return False

    def read_deliberation(self, form):
        """The deliberation authorising the signature (a local authority's, a CCAS's): its body,
        reference and date of adoption; a body or a reference without a readable date is refused."""
        deliberation = {
            "body": clean(form.get("deliberation_body")),
            "reference": clean(form.get("deliberation_reference")),
        }
        typed = str(form.get("deliberation_adopted_on") or "").strip()
        day = drafts.read_date(typed) if typed else None
        if typed and day is None:
            self.fail(
                "deliberation_adopted_on",
                tr(
                    "Date d'adoption de la délibération : date illisible (JJ/MM/AAAA)",
                    "Date the deliberation was adopted: unreadable date (DD/MM/YYYY)",
                ),
            )
        elif not typed and (deliberation["body"] or deliberation["reference"]):
            self.fail(
                "deliberation_adopted_on",
                tr(
                    "Date d'adoption de la délibération : indiquez-la (JJ/MM/AAAA), "
                    "ou laissez la délibération vide tant qu'elle n'est pas inscrite",
                    "Date the deliberation was adopted: give it (DD/MM/YYYY), or leave the "
                    "deliberation empty until it is scheduled",
                ),
            )
        deliberation["adopted_on"] = day or ""
        self.draft["deliberation"] = {k: v for k, v in deliberation.items() if v}

    # -- profiles, missions, mode ---------------------------------------------------------

    def read_profiles(self, form):
        c, d = self.env.choices, self.draft
        quotas = {}
        for code in c.profiles(self.edition):
            raw = str(form.get(f"quota-{code}") or "").strip()
            if not raw:
                continue
            if not raw.isdigit() or not 0 < int(raw) <= 100000:
                self.fail(
                    f"quota-{code}",
                    tr(
                        f"{code} : un nombre d'utilisateurs entier et positif",
                        f"{code}: a positive whole number of users",
                    ),
                )
                continue
            quotas[code] = int(raw)
        d["quotas"] = quotas
        missions = [m for m in form.getlist("missions") if m in c.missions]
        if not missions:
            from cdap_policy.authoring.starter import default_missions

            missions = default_missions(c, self.edition, quotas)
        d["missions"] = [m for m in c.missions if m in missions]
        mode = str(form.get("mode") or "")
        d["mode"] = (
            mode if mode in c.modes else ("delegated" if "delegated" in c.modes else c.modes[0])
        )
        return False

    @property
    def edition(self) -> int:
        value = str(self.draft.get("edition") or "")
        return int(value) if value.isdigit() else max(self.env.choices.editions)

    def conditional(self) -> dict:
        from cdap_policy.authoring.starter import conditional_flags

        d = self.draft
        if not d.get("kind"):
            return {}
        return conditional_flags(
            self.env.choices,
            self.edition,
            d["kind"],
            d.get("department") or "",
            d.get("quotas") or {},
        )

    # -- people ---------------------------------------------------------------------------

    def read_people(self, form):
        from cdap_policy.load.schemainfo import field_ok

        people = {}
        for role in PEOPLE:
            person = {name: clean(form.get(f"{role}-{name}")) for name in PERSON_FIELDS}
            if person["email"] and not field_ok(
                ("contacts", "security_officer", "email"), person["email"]
            ):
                self.fail(
                    f"{role}-email",
                    tr("adresse électronique illisible", "unreadable e-mail address"),
                )
            people[role] = {k: v for k, v in person.items() if v}
        self.draft["people"] = people
        return False

    # -- workstations, information, providers ------------------------------------------------

    def read_workstations(self, form):
        from cdap_policy.load.schemainfo import enum

        method = clean(form.get("information_method"), 300)
        since = str(form.get("information_since") or "").strip()
        info: dict[str, str | bool] = {"method": method}
        if since:
            day = drafts.read_date(since)
            if day is None:
                self.fail(
                    "information_since",
                    tr("date illisible (JJ/MM/AAAA)", "unreadable date (DD/MM/YYYY)"),
                )
            else:
                info["since"] = day
        if form.get("non_opposition") == "1":
            info["non_opposition_recorded"] = True
        self.draft["information"] = info if method else {}
        names = enum("/properties/partner/properties/workstations/items/properties/browser")
        stations = []
        for index in range(MAX_WORKSTATION_ROWS):
            browser = str(form.get(f"browser-{index}") or "")
            version = str(form.get(f"version-{index}") or "").strip()
            count = str(form.get(f"count-{index}") or "").strip()
            if not browser and not version:
                continue
            if browser not in names or not version.isdigit() or (count and not count.isdigit()):
                self.fail(
                    f"browser-{index}",
                    tr(
                        "navigateur, version (nombre entier) et nombre de postes",
                        "browser, version (a whole number) and number of workstations",
                    ),
                )
                continue
            stations.append({"browser": browser, "version": int(version), "count": int(count or 1)})
        self.draft["workstations"] = stations
        return False

    # -- providers (CONV art. 14) -------------------------------------------------------------

    def read_providers(self, form):
        """Each row of the form a provider in the snapshot's shape; a row left empty is no
        provider. « Add a provider » keeps the partner on the page with one more row; so does a
        country whose adequacy decision covers some recipients only, until the question it raises
        (DPF certification, commercial organisation) has been shown."""
        try:
            shown = min(int(str(form.get("provider_count") or "1")), drafts.MAX_PROVIDERS)
        except ValueError:
            shown = 1
        providers, stay = [], False
        for index in range(max(shown, 1)):
            entry, asked_now = self._provider(form, index)
            if entry is None:
                continue
            providers.append(entry)
            if not set(provider_questions(self.env, entry)) <= asked_now:
                stay = True
        self.draft["providers"] = providers
        stay = stay and str(form.get("go") or "") != "back"  # going back asks nothing new
        if stay and not self.errors:
            self.notes.append(
                pick(
                    tr(
                        "D'autres questions s'affichent pour un prestataire hors de l'Union"
                        " européenne : répondez-y puis continuez.",
                        "More questions are shown for a provider outside the European Union:"
                        " answer them, then go on.",
                    ),
                    self.lang,
                )
            )
        rows = max(len(providers), int(self.draft.get("provider_rows") or 0), 1)
        if str(form.get("go") or "") == "add_provider":
            self.draft["provider_rows"] = min(rows + 1, drafts.MAX_PROVIDERS)
            return True
        self.draft["provider_rows"] = min(rows, drafts.MAX_PROVIDERS)
        return stay

    def _provider(self, form, index: int) -> tuple[dict | None, set]:
        from cdap_policy.load.schemainfo import field_ok

        key = f"prov-{index}-"

        def text(name: str, limit: int = drafts.MAX_TEXT) -> str:
            return clean(form.get(key + name), limit)

        def day(name: str, label: dict) -> str | None:
            typed = str(form.get(key + name) or "").strip()
            parsed = drafts.read_date(typed) if typed else None
            if typed and parsed is None:
                self.fail(
                    key + name,
                    tr(
                        f"{label['fr']} : date illisible (JJ/MM/AAAA)",
                        f"{label['en']}: unreadable date (DD/MM/YYYY)",
                    ),
                )
            return parsed

        def countries(name: str) -> list[str]:
            codes = [c.upper() for c in re.split(r"[\s,;]+", text(name, 300)) if c]
            wrong = [c for c in codes if not field_ok(("subcontractors", 0, "country"), c)]
            if wrong:
                self.fail(
                    key + name,
                    tr(
                        f"code pays inconnu : {', '.join(wrong)} (code ISO à 2 lettres, ex. FR)",
                        f"unknown country code: {', '.join(wrong)} (2-letter ISO code, e.g. FR)",
                    ),
                )
            return [c for c in codes if c not in wrong]

        name = text("name")
        tasks = [clean(t) for t in str(form.get(key + "tasks") or "").splitlines() if clean(t)][
            : drafts.MAX_TASKS
        ]
        country = countries("country")
        databases = countries("db")
        no_db = form.get(key + "nodb") == "1"
        starts_on = day("starts_on", self.PROVIDER_START)
        notice_on = day("notice_on", self.NOTICE_ON)
        lists = [str(v) for v in form.getlist(key + "lists")]
        clauses = [str(v) for v in form.getlist(key + "clauses")]
        asked = {a for a in str(form.get(key + "asked") or "").split(",") if a}
        typed = name or tasks or country or databases or no_db or starts_on or notice_on
        if not typed and not lists and not clauses:
            return None, asked
        if not name:
            self.fail(
                key + "name",
                tr("indiquez le nom du prestataire", "give the provider's name"),
            )
        if len(country) > 1:
            self.fail(key + "country", tr("un seul pays", "one country only"))
        entry: dict = {"name": name, **({"tasks": tasks} if tasks else {})}
        if country:
            entry["country"] = country[0]
        if databases or no_db:
            entry["database_countries"] = [] if no_db else databases
        for flag, field in (("dpf", "dpf_certified"), ("commercial", "commercial_organisation")):
            if flag in asked:
                entry[field] = form.get(key + flag) == "1"
        if starts_on:
            entry["starts_on"] = starts_on
        if "safeguard" in asked:
            self._safeguard(form, key, entry)
        entry["notice"] = (
            {**({"received_on": notice_on} if notice_on else {}), "lists": lists}
            if notice_on or lists
            else None
        )
        entry["clauses"] = clauses
        return entry, asked

    def _safeguard(self, form, key: str, entry: dict) -> None:
        """The safeguard of a transfer outside the EU without adequacy, when the form asked it."""
        from cdap_policy.load.schemainfo import enum

        kind = str(form.get(key + "sg_kind") or "")
        dates = {}
        for name, field, label in (
            ("sg_dated", "dated", self.SAFEGUARD_DATED),
            ("sg_sent", "communicated_to_caf_on", self.SAFEGUARD_SENT),
        ):
            typed = str(form.get(key + name) or "").strip()
            parsed = drafts.read_date(typed) if typed else None
            if typed and parsed is None:
                self.fail(
                    key + name,
                    tr(
                        f"{label['fr']} : date illisible (JJ/MM/AAAA)",
                        f"{label['en']}: unreadable date (DD/MM/YYYY)",
                    ),
                )
            if parsed:
                dates[field] = parsed
        if kind not in enum(drafts.SAFEGUARD_POINTER):
            return
        reference = clean(form.get(key + "sg_reference"))
        entry["safeguard"] = {"kind": kind, **({"reference": reference} if reference else {})}
        entry["safeguard"].update(dates)

    SAFEGUARD_DATED = tr("Garantie accordée ou signée le", "Safeguard granted or signed on")
    SAFEGUARD_SENT = tr("Garantie communiquée à la Caf le", "Safeguard sent to the Caf on")
    PROVIDER_START = tr("Début de l'intervention", "Start of its work")
    NOTICE_ON = tr("Lettre reçue par la Caf le", "Letter received by the Caf on")

    # -- staff list ------------------------------------------------------------------------

    async def read_staff(self, form, go: str) -> bool:
        """Upload → header row → columns → users, each a post of this step; True to stay on it."""
        d = self.draft
        if go == "upload":
            await self._upload(form)
            return True
        if go == "header":
            grid = d.get("grid") or {}
            try:
                grid["header_row"] = int(str(form.get("header_row") or ""))
            except ValueError:
                self.fail(
                    "header_row", tr("choisissez la ligne des en-têtes", "choose the header row")
                )
            d["grid"] = grid
            return True
        if go == "map":
            self._import(form)
            return True
        if go == "reset":
            d["grid"], d["users"] = None, []
            return True
        self._profiles_of_users(form)
        return False

    async def _upload(self, form):
        from cdap_policy.web.uploads import SHEET_SUFFIXES, private_folder, safe_name

        upload = form.get("sheet")
        if upload is None or not getattr(upload, "filename", ""):
            self.fail(
                "sheet", tr("choisissez un fichier XLSX ou CSV", "choose an XLSX or CSV file")
            )
            return
        name = safe_name(upload.filename, SHEET_SUFFIXES)
        if name is None:
            self.fail(
                "sheet",
                tr(
                    "format non pris en charge : enregistrez le tableau en .xlsx ou en .csv",
                    "format not supported: save the spreadsheet as .xlsx or .csv",
                ),
            )
            return
        from cdap_policy.authoring.importers.sheets import MAX_BYTES

        data = await upload.read(MAX_BYTES + 1)
        if len(data) > MAX_BYTES:
            self.fail(
                "sheet",
                tr(
                    f"fichier au-delà de {MAX_BYTES // 1048576} Mio",
                    f"file over {MAX_BYTES // 1048576} MiB",
                ),
            )
            return
        with private_folder() as folder:
            path = Path(folder) / name
            path.write_bytes(data)
            try:
                rows = grid_rows(path, name)
            except InputError as exc:
                self.fail(
                    "sheet",
                    (
                        {
                            "fr": mask_problem(exc.problems[0]).render("fr"),
                            "en": mask_problem(exc.problems[0]).render("en"),
                        }
                        if exc.problems
                        else tr(
                            f"plus de {drafts.MAX_GRID_ROWS} lignes",
                            f"more than {drafts.MAX_GRID_ROWS} rows",
                        )
                    ),
                )
                return
        if not rows:
            self.fail("sheet", tr("le tableau est vide", "the spreadsheet is empty"))
            return
        self.draft["grid"] = {
            "name": name,
            "rows": rows,
            "header_row": None,
            "guess": guess_header(rows),
        }
        self.draft["users"] = []

    def _import(self, form):
        from cdap_policy.authoring.importers.users import FIELDS, norm, read_users
        from cdap_policy.load.schemainfo import enum, field_ok

        grid = self.draft.get("grid") or {}
        sheet = sheet_of(grid)
        if sheet is None:
            self.fail("sheet", tr("déposez d'abord le fichier", "upload the file first"))
            return
        mapping = {}
        for index, header in enumerate(sheet.headers):
            choice = str(form.get(f"map-{index}") or "")
            mapping[norm(header)] = choice if choice in FIELDS else ""
        default_profiles = [c for c in self.draft.get("quotas") or {}][:1]
        catalogue = (
            self.env.pack.param_values["profiles"].get(str(self.edition), {})
            if isinstance(self.env.pack.param_values.get("profiles"), dict)
            else {}
        )
        enums = {
            "diploma": enum("/$defs/diploma"),
            "contract": enum("/$defs/user/properties/contract/properties/type"),
        }
        imported = read_users(sheet, mapping, enums, catalogue, default_profiles, field_ok)
        if imported.problems:
            self.errors["sheet_rows"] = "\n".join(
                mask_problem(p).render(self.lang) for p in imported.problems[:30]
            )
            return
        users = [u for _, u in imported.users][: drafts.MAX_USERS]
        for user in users:
            user.pop("status", None)
        self.draft["users"] = users
        self.draft["grid"] = None
        self.notes.append(
            pick(
                tr(
                    f"{len(users)} agent(s) importé(s) de {sheet.file}.",
                    f"{len(users)} agent(s) imported from {sheet.file}.",
                ),
                self.lang,
            )
        )

    def _profiles_of_users(self, form):
        users = self.draft.get("users") or []
        if not form.get("users_shown"):
            return
        known = set(self.env.choices.profiles(self.edition))
        for index, user in enumerate(users):
            user["profiles"] = [p for p in form.getlist(f"profiles-{index}") if p in known]

    # -- attestation and conditions ---------------------------------------------------------

    def read_attestation(self, form):
        day = str(form.get("attestation_on") or "").strip()
        if day:
            parsed = drafts.read_date(day)
            if parsed is None:
                self.fail(
                    "attestation_on",
                    tr("date illisible (JJ/MM/AAAA)", "unreadable date (DD/MM/YYYY)"),
                )
            self.draft["attestation_on"] = parsed or ""
        else:
            self.draft["attestation_on"] = ""
        documents = {}
        for code in drafts.documented_profiles(self.draft, self.edition):
            document = {"document": clean(form.get(f"document-{code}"))}
            typed = str(form.get(f"document_on-{code}") or "").strip()
            provided = drafts.read_date(typed) if typed else None
            if typed and provided is None:
                self.fail(
                    f"document_on-{code}",
                    tr(
                        f"{code} : date de remise du justificatif illisible (JJ/MM/AAAA)",
                        f"{code}: unreadable date the document was given (DD/MM/YYYY)",
                    ),
                )
            document["provided_on"] = provided or ""
            if any(document.values()):
                documents[code] = {k: v for k, v in document.items() if v}
        self.draft["documents"] = documents
        shown = [
            f for f in str(form.get("flags_shown") or "").split(",") if f in self.env.choices.flags
        ]
        flags = dict(self.draft.get("flags") or {})
        flags.update({flag: form.get(f"flag-{flag}") == "1" for flag in shown})
        self.draft["flags"] = {k: v for k, v in flags.items() if v}
        return False

    def read_checklist(self, form):
        return False


def provider_questions(env, provider: dict) -> list[str]:
    """The questions a provider's countries raise: a country whose adequacy decision covers only
    DPF-certified recipients (the United States) or only commercial organisations (Canada)."""
    countries = env.pack.param_values.get("countries")
    adequacy = countries.get("adequacy") if isinstance(countries, dict) else None
    if not isinstance(adequacy, dict):
        return []
    codes = [provider.get("country"), *(provider.get("database_countries") or [])]
    entries = [e for c in codes if isinstance(c, str) and isinstance(e := adequacy.get(c), dict)]
    out = []
    if any(e.get("certified_only") for e in entries):
        out.append("dpf")
    if any(e.get("commercial_only") for e in entries):
        out.append("commercial")
    inside = {
        code
        for group in ("eu", "eea", "eu_territories")
        for code in (countries.get(group) or [] if isinstance(countries, dict) else [])
    }
    outside = [c for c in codes if isinstance(c, str) and c not in inside]
    # outside the GDPR area with no adequacy decision, or a partial one: a safeguard may be needed
    if any(
        not isinstance(e := adequacy.get(c), dict)
        or e.get("certified_only")
        or e.get("commercial_only")
        for c in outside
    ):
        out.append("safeguard")
    return out


# -- the staff sheet between two pages ---------------------------------------------------------


def grid_rows(path: Path, display: str) -> list:
    """The non-empty rows of a sheet as text, each with its row number (bounded)."""
    from cdap_policy.authoring.importers.sheets import read_rows

    out = []
    for number, cells in read_rows(path, display=display):
        out.append([number, [clean(c, 300) for c in cells]])
        if len(out) > drafts.MAX_GRID_ROWS:
            raise InputError([])
    return out


def guess_header(rows: list) -> int:
    """The row among the first ten whose cells name the most known columns (Nom, Courriel…)."""
    from cdap_policy.authoring.importers.users import HEADERS, norm

    known = {alias for names in HEADERS.values() for alias in names}
    best, score = rows[0][0], -1
    for number, cells in rows[:10]:
        hits = sum(1 for cell in cells if norm(cell) in known)
        if hits > score:
            best, score = number, hits
    return best


def sheet_of(grid: dict):
    from cdap_policy.authoring.importers.sheets import Sheet

    rows = grid.get("rows") or []
    header_row = grid.get("header_row")
    header = next((cells for number, cells in rows if number == header_row), None)
    if header is None or header_row is None:
        return None
    headers = list(header)
    while headers and not headers[-1]:
        headers.pop()
    body = [(number, list(cells)) for number, cells in rows if number > header_row]
    return Sheet(grid.get("name") or "personnel", headers, header_row, body)


def default_mapping(headers: list) -> list:
    from cdap_policy.authoring.importers.users import HEADERS, norm

    aliases = {alias: name for name, names in HEADERS.items() for alias in names}
    taken, out = set(), []
    for header in headers:
        name = aliases.get(norm(header), "")
        if name in taken:
            name = ""
        taken.add(name)
        out.append(name)
    return out


# -- what each page shows -----------------------------------------------------------------------


def evaluate(env, draft: dict, stage: str | None = "pre-signature", redact: bool = False):
    """The report of the draft's snapshot (None before the organisation is described)."""
    from cdap_policy.load.snapshot import load_snapshot
    from cdap_policy.pipeline.check import CheckOptions, check_loaded
    from cdap_policy.web.uploads import private_folder, schema_ref

    if not draft.get("kind") or not draft.get("name"):
        return None, ""
    today = drafts.today()
    text = drafts.snapshot_text(draft, env.choices, schema_ref(), "fr", today)
    with private_folder() as folder:
        path = Path(folder) / "instantane-cdap.yaml"
        path.write_text(text, encoding="utf-8")
        snapshot = load_snapshot(path, display="instantane-cdap.yaml")
        options = CheckOptions(
            as_of=today,
            as_of_source="today",
            stage=stage,
            find_waivers=False,
            redact=redact,
            redact_key=env.options.redact_key,
        )
        report = check_loaded(env.pack, snapshot, options)
    return report, text


def page_context(env, draft: dict, target: str, errors: dict, lang: str) -> dict:
    from cdap_policy.authoring.starter import eligibility
    from cdap_policy.load.schemainfo import enum
    from cdap_policy.support import labels
    from cdap_policy.web.views import checklist_view

    c = env.choices
    step = Step(env, draft, lang)
    edition = step.edition
    report, problem = None, ""
    try:
        report, _ = evaluate(env, draft)
    except InputError as exc:
        problem = "\n".join(mask_problem(p).render(lang) for p in exc.problems[:10])
    context = {
        "draft": draft,
        "draft_json": drafts.dumps(draft),
        "step": target,
        "errors": errors,
        "problem": problem,
        "steps": [(name, pick(title, lang)) for name, title in STEPS],
        "live": checklist_view(report, lang) if report is not None else None,
        "kinds": [(k, labels.label(labels.KINDS, k, lang)) for k in c.kinds],
        "frameworks": [(k, labels.label(labels.FRAMEWORKS, k, lang)) for k in c.frameworks],
        "editions": [str(e) for e in c.editions],
        "edition": str(edition),
        "modes": [(k, labels.label(labels.MODES, k, lang)) for k in c.modes],
        "missions": [(k, labels.label(labels.MISSIONS, k, lang)) for k in c.missions],
        "roles": [(role, pick(_ROLES[role], lang)) for role in PEOPLE],
        "browsers": [
            (k, labels.label(labels.BROWSERS, k, lang))
            for k in enum("/properties/partner/properties/workstations/items/properties/browser")
        ],
        "workstation_rows": (
            (draft.get("workstations") or [])
            + [{}] * (MAX_WORKSTATION_ROWS - len(draft.get("workstations") or []))
        ),
    }
    if target == "providers":
        from cdap_policy.web.draft import CLAUSES_POINTER, NOTICE_ITEMS_POINTER

        entries: list[dict] = drafts.provider_entries(draft, keep_nameless=True)
        count = min(
            max(len(entries), int(draft.get("provider_rows") or 0), 1), drafts.MAX_PROVIDERS
        )
        entries += [{}] * (count - len(entries))
        context["provider_rows"] = [
            {
                "p": entry,
                "notice": entry.get("notice") if isinstance(entry.get("notice"), dict) else {},
                "safeguard": (
                    entry.get("safeguard") if isinstance(entry.get("safeguard"), dict) else {}
                ),
                "asks": provider_questions(env, entry),
            }
            for entry in entries[:count]
        ]
        context["provider_count"] = count
        context["can_add"] = count < drafts.MAX_PROVIDERS
        context["notice_items"] = [
            (code, labels.label(labels.NOTICE_ITEMS, code, lang))
            for code in enum(NOTICE_ITEMS_POINTER)
        ]
        context["safeguard_kinds"] = [
            (code, labels.label(labels.SAFEGUARDS, code, lang))
            for code in enum(drafts.SAFEGUARD_POINTER)
        ]
        context["clause_items"] = [
            (code, labels.label(labels.CLAUSES, code, lang)) for code in enum(CLAUSES_POINTER)
        ]
    if target == "profiles":
        marks = {"yes": "open", "conditional": "conditional", "no": "closed"}
        context["profiles"] = [
            (
                code,
                c.profile_label(edition, code, lang),
                marks[
                    eligibility(
                        c,
                        edition,
                        code,
                        draft.get("kind") or "other",
                        draft.get("department") or "",
                    )
                ],
            )
            for code in c.profiles(edition)
        ]
    if target == "staff":
        grid = draft.get("grid")
        context["grid"] = grid
        if grid and grid.get("header_row") is not None:
            sheet = sheet_of(grid)
            if sheet is not None:
                context["headers"] = list(
                    zip(sheet.headers, default_mapping(sheet.headers), strict=True)
                )
                context["samples"] = [cells for _, cells in sheet.rows[:3]]
        from cdap_policy.authoring.importers.users import FIELDS
        from cdap_policy.web.texts import FIELD_LABELS

        context["fields"] = [
            (name, pick(FIELD_LABELS.get(name, tr(name, name)), lang)) for name in FIELDS
        ]
        requested = list((draft.get("quotas") or {}).keys())
        context["users"] = [
            {
                "name": (
                    " ".join(x for x in (u.get("first_name"), u.get("last_name")) if x)
                    or u.get("email", "")
                ),
                "function": u.get("function", ""),
                "diploma": (
                    labels.label(labels.DIPLOMAS, (u.get("diploma") or {}).get("type"), lang)
                    if u.get("diploma")
                    else "—"
                ),
                "contract": (
                    labels.label(labels.CONTRACTS, (u.get("contract") or {}).get("type"), lang)
                    if u.get("contract")
                    else "—"
                ),
                "profiles": u.get("profiles") or [],
                "choices": sorted(
                    set(requested) | set(u.get("profiles") or []), key=lambda p: int(p[1:])
                ),
            }
            for u in draft.get("users") or []
        ]
    if target == "attestation":
        context["needs_attestation"] = edition == 2025 and "T1" in (draft.get("quotas") or {})
        documents = found if isinstance(found := draft.get("documents"), dict) else {}
        context["documents"] = [
            (
                code,
                c.profile_label(edition, code, lang),
                documents[code] if isinstance(documents.get(code), dict) else {},
            )
            for code in drafts.documented_profiles(draft, edition)
        ]
        block = drafts.attestation_block(draft)
        users = {u["id"]: u for u in drafts.users_with_ids(draft)}
        context["entries"] = [
            {
                "name": (
                    " ".join(x for x in (e.get("first_name"), e.get("last_name")) if x) or e["user"]
                ),
                "diploma": labels.label(labels.DIPLOMAS, e["diploma"], lang),
                "awarded_on": e["awarded_on"],
                "function": users.get(e["user"], {}).get("function", ""),
            }
            for e in block["entries"]
        ]
        wanted = step.conditional()
        from cdap_policy.pipeline.check import flags_asked

        for flag, codes in flags_asked(env.pack, report).items():
            wanted.setdefault(flag, []).extend(c for c in codes if c not in wanted[flag])
        for flag, on in (draft.get("flags") or {}).items():
            if on:
                wanted.setdefault(flag, [])
        context["conditions"] = [
            (
                flag,
                labels.label(labels.FLAGS, flag, lang),
                ", ".join(codes),
                bool((draft.get("flags") or {}).get(flag)),
            )
            for flag, codes in wanted.items()
        ]
        context["flags_shown"] = ",".join(wanted)
    if target == "checklist" and report is not None:
        context["full"] = checklist_view(report, lang, full=True)
    return context


def download(env, draft: dict, what: str, lang: str, redact: bool, schema_url: str | None = None):
    """(file name, media type, bytes) of a download, or None for an unknown one. The snapshot's
    modeline points at the schema this server publishes (`schema_url`), which editors can fetch."""
    from cdap_policy import formatters
    from cdap_policy.web.uploads import schema_ref

    if not draft.get("kind") or not draft.get("name"):
        return None
    slug = (
        re.sub(
            r"[^a-z0-9]+", "-", clean(draft.get("name")).lower().encode("ascii", "ignore").decode()
        ).strip("-")[:40]
        or "partenaire"
    )
    if what == "snapshot":
        text = drafts.snapshot_text(
            draft, env.choices, schema_url or schema_ref(), lang, drafts.today(), f"{slug}.yaml"
        )
        return f"{slug}.yaml", "application/yaml", text.encode("utf-8")
    if what in ("checklist", "report"):
        report, _ = evaluate(env, draft, "pre-signature" if what == "checklist" else None, redact)
        html = formatters.render("html", [report], formatters.FormatOptions(lang=lang))
        name = f"{slug}-avant-signature.html" if what == "checklist" else f"{slug}-rapport.html"
        return name, "text/html", html.encode("utf-8")
    return None
