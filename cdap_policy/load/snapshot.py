"""Load a partner snapshot: read safely, validate against the schema, check keys are unique."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from cdap_policy.load import filekinds
from cdap_policy.load.schema import mark_personal, validate
from cdap_policy.load.yamlsource import Document, load_file, loads
from cdap_policy.support.errors import InputError, NotASnapshot, Problem, pointer
from cdap_policy.support.i18n import pick, tr
from cdap_policy.support.textsafe import MAX_VALUE, excerpt

SNAPSHOT_SCHEMA = "snapshot.schema.json"


# Fields renamed in the snapshot format: (parent key, old name, new name, why). The old name is
# still read, with a warning in the report, so that last year's snapshots keep working.
RENAMED = (
    (
        "notice",
        "sent_on",
        "received_on",
        tr(
            "le délai de préavis court à compter de la réception du courrier par la Caf",
            "the notice period runs from the day the Caf received the letter",
        ),
    ),
)


@dataclass
class Snapshot:
    path: Path
    doc: Document
    log_path: Path | None = (
        # the referenced consultation log, resolved and checked to stay inside an allowed
        # folder
        None
    )
    deprecations: list = field(default_factory=list)  # report notices for renamed fields still used

    @property
    def file(self) -> str:
        return self.doc.file

    @property
    def data(self) -> dict:
        return self.doc.data

    @property
    def partner_name(self) -> str:
        return self.data.get("partner", {}).get("name", "")

    @property
    def framework(self) -> str:
        """« Mon Compte Partenaire » unless the convention says CAFPRO."""
        return (self.data.get("convention") or {}).get("framework") or "mon_compte_partenaire"

    @property
    def edition(self) -> int:
        return self.data["convention"]["edition"]

    def line_of(self, path) -> int:
        return self.doc.line_of(path)

    def consultation_log(self) -> Path | None:
        return self.log_path

    @property
    def log_display(self) -> str:
        """The log as the user wrote it, next to the snapshot's name (for error lines)."""
        ref = self.data.get("consultations")
        return str(Path(self.file).parent / ref["file"]) if isinstance(ref, dict) else self.file


def resolve_log(snapshot_path: Path, written: str, roots=()) -> Path:
    """The log a snapshot references, relative to the snapshot's folder. After resolving symbolic
    links it must stay inside that folder or one of `roots` (--log-root): a snapshot must not make
    the checker read /etc/passwd or /proc/self/environ and quote them back."""
    folder = snapshot_path.resolve().parent
    target = (folder / written).resolve()
    allowed = [folder] + [Path(r).resolve() for r in roots]
    if not any(target == root or target.is_relative_to(root) for root in allowed):
        raise ValueError("outside")
    return target


def load_snapshot(
    path: str | Path,
    display: str | None = None,
    log_roots=(),
    parameter_names=None,
    text: str | None = None,
) -> Snapshot:
    """Load and validate; raise InputError carrying every problem found, NotASnapshot for a file
    without any snapshot section (`parameter_names`, a callable, helps recognise a parameter
    override: see filekinds.kind_of). With `text`, that text is read as if it were the file at
    `path` (import-users checks what it would write)."""
    path = Path(path)
    try:
        doc = (
            load_file(path, display or str(path))
            if text is None
            else loads(text, display or str(path))
        )
    except InputError as exc:  # a control character in a name quotes it: masked (personal)
        raise InputError(mark_personal(exc.problems, SNAPSHOT_SCHEMA)) from None
    if not filekinds.is_snapshot_like(doc.data):
        raise not_a_snapshot(doc, filekinds.kind_of(doc.data, path.name, parameter_names))
    deprecations = _rename_fields(doc)
    problems = validate(doc, SNAPSHOT_SCHEMA)
    if not problems:
        problems = _unique_keys(doc) + _profile_periods(doc)
    if problems:
        raise InputError(problems)
    deprecations += _single_control_plan(doc)
    deprecations += _profile_grant_dates(doc)
    doc.data = integral(doc.data)
    snap = Snapshot(path, doc, deprecations=deprecations)
    ref = doc.data.get("consultations")
    if isinstance(ref, dict):
        ref_path = ("consultations", "file")
        where = (doc.file, doc.line_of(ref_path), pointer(ref_path))
        written = ref["file"]
        try:
            log = resolve_log(path, written, log_roots)
        except (ValueError, OSError, RuntimeError):  # RuntimeError: a symbolic link loop
            raise InputError(
                Problem(
                    *where,
                    tr(
                        f"le journal {excerpt(written, MAX_VALUE)} est hors du dossier de"
                        " l'instantané ; autorisez son dossier avec --log-root DOSSIER",
                        f"consultation log {excerpt(written, MAX_VALUE)} is outside the snapshot's"
                        " folder; allow its folder with --log-root DIR",
                    ),
                )
            ) from None
        if not log.exists():
            raise InputError(
                Problem(
                    *where,
                    tr(
                        f"journal des consultations introuvable : {excerpt(written, MAX_VALUE)}",
                        f"consultation log not found: {excerpt(written, MAX_VALUE)}",
                    ),
                )
            )
        if not log.is_file():
            raise InputError(
                Problem(
                    *where,
                    tr(
                        f"le journal {excerpt(written, MAX_VALUE)} n'est pas un fichier ordinaire",
                        f"consultation log {excerpt(written, MAX_VALUE)} is not a regular file",
                    ),
                )
            )
        snap.log_path = log
    return snap


def not_a_snapshot(doc: Document, kind: str | None) -> NotASnapshot:
    if kind is None:
        message = tr(
            "pas un instantané : un instantané est une table de sections partner, convention,"
            " users…",
            "not a snapshot: a snapshot must be a mapping with sections partner, convention,"
            " users...",
        )
    else:
        name = filekinds.KIND_NAMES[kind]
        message = tr(
            f"pas un instantané : fichier du projet ({pick(name, 'fr')})",
            f"not a snapshot: a file of the project ({pick(name, 'en')})",
        )
    return NotASnapshot(Problem(doc.file, doc.line_of(()), "", message), kind)


def _rename_fields(doc: Document) -> list[dict]:
    """Read renamed fields under their new name (in place, lines kept) and say
    where the old one is.
    """
    notices = []

    def walk(node, path):
        if isinstance(node, dict):
            for parent, old, new, why in RENAMED:
                if path and path[-1] == parent and old in node:
                    here = path + (old,)
                    line = doc.line_of(here)
                    if new in node:
                        continue  # both written: the schema refuses the old one as unknown
                    node[new] = node.pop(old)
                    doc.lines[path + (new,)] = line
                    notices.append(
                        {
                            "code": "deprecated-field",
                            "level": "warning",
                            "message": tr(
                                f"{doc.file}:{line} : le champ {pointer(here)} s'appelle désormais"
                                " «"
                                f" {new} » ({why['fr']}) ; il est lu comme {new}, renommez-le.",
                                f"{doc.file}:{line}: field {pointer(here)} is now called « {new} »"
                                f" ({why['en']}); it is read as {new}, rename it.",
                            ),
                        }
                    )
            for key, value in list(node.items()):
                walk(value, path + (key,))
        elif isinstance(node, list):
            for index, value in enumerate(node):
                walk(value, path + (index,))

    walk(doc.data, ())
    return notices


def _single_control_plan(doc: Document) -> list[dict]:
    """control.control_plan is a list of yearly plans (« chaque année, d'un plan », COORD 4-2). The
    former single mapping is read as a one-plan list without a year (lines kept), with a warning."""
    control = doc.data.get("control")
    plan = control.get("control_plan") if isinstance(control, dict) else None
    if not isinstance(plan, dict):
        return []
    base = ("control", "control_plan")
    for path in [p for p in doc.lines if p[:2] == base and len(p) > 2]:
        doc.lines[base + (0,) + path[2:]] = doc.lines.pop(path)
    doc.lines[base + (0,)] = doc.line_of(base)
    control["control_plan"] = [plan]
    line = doc.line_of(base)
    return [
        {
            "code": "deprecated-field",
            "level": "warning",
            "message": tr(
                f"{doc.file}:{line} : /control/control_plan est désormais une liste de plans"
                " annuels"
                " (year, reference, validated_on…), le plan de contrôle étant établi chaque année"
                " ; le"
                " plan unique est lu comme un plan sans année, convertissez-le.",
                f"{doc.file}:{line}: /control/control_plan is now a list of yearly plans (year,"
                " reference, validated_on...), as the control plan is drawn up every year; the"
                " single"
                " plan is read as a plan without a year, convert it.",
            ),
        }
    ]


def _profile_grant_dates(doc: Document) -> list[dict]:
    """users[].profile_granted_on (one grant date per profile, no end) is read as the history the
    rules need: each listed code dated there becomes the period {profile, granted_on}, lines kept,
    with a warning naming the first line where the old form is used."""
    used = []
    for index, user in enumerate(doc.data.get("users") or []):
        dates = user.pop("profile_granted_on", None) if isinstance(user, dict) else None
        if dates is None:
            continue
        used.append(doc.line_of(("users", index, "profile_granted_on")))
        for position, item in enumerate(user.get("profiles") or []):
            if isinstance(item, str) and dates.get(item):
                user["profiles"][position] = {"profile": item, "granted_on": dates[item]}
                line = doc.line_of(("users", index, "profiles", position))
                for key in ("profile", "granted_on"):
                    doc.lines[("users", index, "profiles", position, key)] = line
    if not used:
        return []
    others = (
        tr(
            f" (et {len(used) - 1} autre(s) utilisateur(s))",
            f" (and {len(used) - 1} other user(s))",
        )
        if len(used) > 1
        else {"fr": "", "en": ""}
    )
    return [
        {
            "code": "deprecated-field",
            "level": "warning",
            "message": tr(
                f"{doc.file}:{used[0]} : profile_granted_on{others['fr']} est remplacé par"
                " l'historique des profils : écrivez chaque profil comme une période"
                " (profiles: [{profile: T5, granted_on: …, ended_on: …}]), qui dit aussi quand un"
                " profil a été retiré ; les dates sont lues comme des attributions sans fin,"
                " convertissez-les.",
                f"{doc.file}:{used[0]}: profile_granted_on{others['en']} is replaced by the"
                " profile history: write each profile as a period (profiles: [{profile: T5,"
                " granted_on: ..., ended_on: ...}]), which also says when a profile was"
                " withdrawn; the dates are read as grants without an end, convert them.",
            ),
        }
    ]


def _profile_periods(doc: Document) -> list[Problem]:
    """A profile period ends after it starts, and two periods of one profile do not overlap: a
    history that cannot be true must not decide which consultations were allowed."""
    problems: list[Problem] = []
    for index, user in enumerate(doc.data.get("users") or []):
        granted = user.get("granted_on")
        spans: dict[str, list] = {}
        for position, item in enumerate(user.get("profiles") or []):
            code, start, end = (
                (item, None, None)
                if isinstance(item, str)
                else (item["profile"], item.get("granted_on"), item.get("ended_on"))
            )
            start = start or granted
            here = ("users", index, "profiles", position)
            if start and end and end <= start:
                problems.append(
                    Problem(
                        doc.file,
                        doc.line_of(here + ("ended_on",)),
                        pointer(here + ("ended_on",)),
                        tr(
                            f"le profil {code} prend fin le {end}, pas après son attribution"
                            f" ({start})",
                            f"profile {code} ends on {end}, not after its grant ({start})",
                        ),
                    )
                )
                continue
            for other_start, other_end, other_line in spans.get(code, ()):
                if (end is None or other_start is None or other_start < end) and (
                    other_end is None or start is None or start < other_end
                ):
                    problems.append(
                        Problem(
                            doc.file,
                            doc.line_of(here),
                            pointer(here),
                            tr(
                                f"deux périodes du profil {code} se chevauchent (l'autre ligne"
                                f" {other_line}) : un profil retiré puis réattribué s'écrit en deux"
                                " périodes, la première avec ended_on",
                                f"two periods of profile {code} overlap (the other on line"
                                f" {other_line}): a profile withdrawn and granted again is written"
                                " as two periods, the first with ended_on",
                            ),
                        )
                    )
                    break
            spans.setdefault(code, []).append((start, end, doc.line_of(here)))
    return problems


def integral(value):
    """Whole numbers written with a decimal point (`T1: 4.0`) read as integers: every number of a
    snapshot is an integer (the schema refuses 4.5), and cel-python would not compare 4.0 with 4."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: integral(v) for k, v in value.items()}
    if isinstance(value, list):
        return [integral(v) for v in value]
    return value


def _unique_keys(doc: Document) -> list[Problem]:
    """Entity keys must be unique: a second entry with the same id could hide a habilitation."""
    data = doc.data
    problems: list[Problem] = []

    def check(items, base_path, what):
        seen: dict[str, int] = {}
        for index, item in enumerate(items or []):
            key = item.get("id")
            if key is None:
                continue
            path = base_path + (index, "id")
            if key in seen:
                first = doc.line_of(base_path + (seen[key],))
                shown = excerpt(key, MAX_VALUE)
                problems.append(
                    Problem(
                        doc.file,
                        doc.line_of(path),
                        pointer(path),
                        tr(
                            f"identifiant {shown} en double ({what['fr']}, déjà ligne {first})",
                            f"duplicate {what['en']} id {shown} (first on line {first})",
                        ),
                    )
                )
            else:
                seen[key] = index

    check(data.get("users"), ("users",), {"fr": "utilisateur", "en": "user"})
    check(
        data.get("data_stores"), ("data_stores",), {"fr": "entrepôt de données", "en": "data store"}
    )
    check(data.get("automations"), ("automations",), {"fr": "automate", "en": "automation"})
    check(data.get("incidents"), ("incidents",), {"fr": "incident", "en": "incident"})
    check(
        (data.get("convention") or {}).get("amendments"),
        ("convention", "amendments"),
        {"fr": "avenant", "en": "amendment"},
    )
    check(
        (data.get("contacts") or {}).get("administrators"),
        ("contacts", "administrators"),
        {"fr": "administrateur", "en": "administrator"},
    )

    def walk_subs(items, base_path):
        check(items, base_path, {"fr": "prestataire", "en": "subcontractor"})
        for index, item in enumerate(items or []):
            walk_subs(item.get("subcontractors"), base_path + (index, "subcontractors"))

    walk_subs(data.get("subcontractors"), ("subcontractors",))
    return problems
