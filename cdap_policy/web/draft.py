"""The partner's answers on the web form, as one JSON-able mapping (the « draft »), and what is
built from it: the starter snapshot's text (the one `init` writes, with the imported users merged
by `import-users`' own code and the T1 attestation drawn from their diplomas).

The server keeps nothing between two pages: the draft travels in the page (a hidden field), is
read back and checked field by field on each request, and the snapshot is rebuilt from it. A
tampered draft is no worse than a badly typed form: every value goes through the same checks.
"""

from __future__ import annotations

import datetime
import json
import re

from cdap_policy.authoring.starter import (
    Answers,
    BeneficiaryInformation,
    Choices,
    Deliberation,
    Person,
    render,
)
from cdap_policy.support.i18n import tr

MAX_DRAFT_BYTES = 2 * 1024 * 1024  # a CCAS or a hospital's service: a few hundred users at most
MAX_TEXT = 200
MAX_USERS = 2000
MAX_GRID_ROWS = 2000
MAX_PROVIDERS = 12
MAX_TASKS = 20
PEOPLE = ("principal", "deputy", "security_officer", "data_protection_referent", "support_l1")
PERSON_FIELDS = ("first_name", "last_name", "function", "email", "phone")
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


class DraftError(ValueError):
    """The hidden draft could not be read back (truncated, forged, too big)."""


def empty() -> dict:
    return {
        "step": "organisation",
        "kind": "",
        "name": "",
        "siret": "",
        "department": "",
        "framework": "",
        "edition": "",
        "quotas": {},
        "missions": [],
        "mode": "",
        "flags": {},
        "people": {key: {} for key in PEOPLE},
        "information": {},
        "workstations": [],
        "providers": [],
        "provider_rows": 0,
        "users": [],
        "grid": None,
        "attestation_on": "",
        "deliberation": {},
        "documents": {},
    }


def loads(text: str | None) -> dict:
    """The draft of a hidden field; a missing one is a new, empty draft."""
    if not text:
        return empty()
    if len(text.encode("utf-8")) > MAX_DRAFT_BYTES:
        raise DraftError("too big")
    try:
        data = json.loads(text)
    except ValueError:
        raise DraftError("not JSON") from None
    if not isinstance(data, dict):
        raise DraftError("not an object")
    draft = empty()
    for key, value in data.items():
        expected = (dict, type(None)) if key == "grid" else type(draft.get(key))
        if key in draft and isinstance(value, expected):
            draft[key] = value
    return draft


def dumps(draft: dict) -> str:
    return json.dumps(draft, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def clean(value, limit: int = MAX_TEXT) -> str:
    """A typed answer: control and bidirectional characters dropped, spaces collapsed, bounded."""
    text = _CONTROL.sub(" ", str(value or ""))
    return " ".join(text.split())[:limit]


def read_date(text: str) -> str | None:
    """« 2026-11-30 » (a date field) or « 30/11/2026 » (typed the French way) -> ISO date."""
    from cdap_policy.authoring.importers.users import read_date as sheet_date

    return sheet_date(clean(text)) if text else None


# -- from the draft to a snapshot -----------------------------------------------------------


def _person(data: dict) -> Person:
    return Person(
        first_name=clean(data.get("first_name")),
        last_name=clean(data.get("last_name")),
        email=clean(data.get("email")),
        phone=clean(data.get("phone")),
        function=clean(data.get("function")),
    )


def _texts(data, keys) -> dict:
    """The answers of a sub-form among `keys`, as cleaned text, the empty ones left out: a forged
    draft brings no other key into the snapshot."""
    data = data if isinstance(data, dict) else {}
    return {key: clean(data.get(key)) for key in keys if clean(data.get(key))}


DELIBERATION_KEYS = ("body", "reference", "adopted_on")
DOCUMENT_KEYS = ("document", "provided_on")


def documented_profiles(draft: dict, edition: int) -> list[str]:
    """The profiles requested whose legitimacy a supporting document shows (2025 bulletin; T1 has
    its attestation on honour): those the form asks a document for."""
    if edition != 2025:
        return []
    return [
        code
        for code in sorted(
            draft.get("quotas") or {}, key=lambda c: int(c[1:]) if c[1:].isdigit() else 0
        )
        if code != "T1"
    ]


def answers(draft: dict, choices: Choices, today: str) -> Answers:
    """The `init` answers of the draft (only values that passed the form's checks are in it)."""
    edition = (
        int(draft["edition"])
        if str(draft.get("edition") or "").isdigit()
        else max(choices.editions)
    )
    info = draft.get("information") or {}
    t1 = edition == 2025 and "T1" in (draft.get("quotas") or {})
    people = {key: _person((draft.get("people") or {}).get(key) or {}) for key in PEOPLE}
    documents = found if isinstance(found := draft.get("documents"), dict) else {}
    return Answers(
        kind=draft.get("kind") or "other",
        name=draft.get("name") or "—",
        taken_on=today,
        siret=draft.get("siret") or "",
        department=draft.get("department") or "",
        framework=draft.get("framework") or choices.frameworks[0],
        edition=edition,
        missions=list(draft.get("missions") or []),
        quotas={k: int(v) for k, v in (draft.get("quotas") or {}).items()},
        management_mode=draft.get("mode")
        or ("delegated" if "delegated" in choices.modes else choices.modes[0]),
        providers=provider_entries(draft),
        flags={k: bool(v) for k, v in (draft.get("flags") or {}).items()},
        beneficiary_information=BeneficiaryInformation(
            **{k: v for k, v in info.items() if v not in ("", None)}
        )
        or None,
        workstations=list(draft.get("workstations") or []),
        t1_attestation=attestation_block(draft) if t1 and draft.get("attestation_on") else None,
        deliberation=Deliberation(**_texts(draft.get("deliberation"), DELIBERATION_KEYS)) or None,
        supporting_documents=[
            {"profile": code, **_texts(documents.get(code), DOCUMENT_KEYS)}
            for code in documented_profiles(draft, edition)
            if _texts(documents.get(code), DOCUMENT_KEYS)
        ],
        principal=people["principal"],
        deputy=people["deputy"],
        security_officer=people["security_officer"],
        data_protection_referent=people["data_protection_referent"],
        support_l1=people["support_l1"],
    )


NOTICE_ITEMS_POINTER = "/$defs/subcontractor/properties/notice/properties/lists/items"
CLAUSES_POINTER = "/$defs/subcontractor/properties/clauses/items"
SAFEGUARD_POINTER = "/$defs/safeguard/properties/kind"


def provider_entries(draft: dict, keep_nameless: bool = False) -> list[dict]:
    """The providers of the draft in the snapshot's shape (`$defs/subcontractor` without its own
    subcontractors), each value checked against the schema again: a forged draft brings no other
    key nor a value the form would refuse. A provider without a name is left out of the snapshot
    (`keep_nameless`: kept for the page that asks for it)."""
    from cdap_policy.load.schemainfo import enum, field_ok

    items, clauses = enum(NOTICE_ITEMS_POINTER), enum(CLAUSES_POINTER)

    def country(value) -> bool:
        return isinstance(value, str) and field_ok(("subcontractors", 0, "country"), value)

    def day(value) -> bool:
        return isinstance(value, str) and field_ok(("subcontractors", 0, "starts_on"), value)

    out = []
    for raw in (draft.get("providers") or [])[:MAX_PROVIDERS]:
        data = raw if isinstance(raw, dict) else {"name": raw}  # drafts of the names-only form
        name = clean(data.get("name"))
        if not name and not keep_nameless:  # the form refuses it; the page shows it again
            continue
        entry: dict = {"name": name}
        tasks = data.get("tasks")
        if isinstance(tasks, list):
            entry["tasks"] = [clean(t) for t in tasks[:MAX_TASKS] if clean(t)]
        if country(data.get("country")):
            entry["country"] = data["country"]
        databases = data.get("database_countries")
        if isinstance(databases, list) and all(country(c) for c in databases):
            entry["database_countries"] = list(dict.fromkeys(databases))[:50]
        for flag in ("dpf_certified", "commercial_organisation"):
            if isinstance(data.get(flag), bool):
                entry[flag] = data[flag]
        if day(data.get("starts_on")):
            entry["starts_on"] = data["starts_on"]
        notice = data.get("notice", "")
        if isinstance(notice, dict):
            received = notice.get("received_on")
            entry["notice"] = {
                **({"received_on": received} if day(received) else {}),
                "lists": [i for i in items if i in (notice.get("lists") or [])],
            }
        elif notice is None:
            entry["notice"] = None  # answered: no letter sent yet
        if isinstance(data.get("clauses"), list):
            entry["clauses"] = [c for c in clauses if c in data["clauses"]]
        safeguard = data.get("safeguard")
        if isinstance(safeguard, dict) and safeguard.get("kind") in enum(SAFEGUARD_POINTER):
            entry["safeguard"] = {
                "kind": safeguard["kind"],
                **(
                    {"reference": clean(safeguard.get("reference"))}
                    if clean(safeguard.get("reference"))
                    else {}
                ),
                **{
                    k: safeguard[k]
                    for k in ("dated", "communicated_to_caf_on")
                    if day(safeguard.get(k))
                },
            }
        out.append(entry)
    return out


def users_with_ids(draft: dict) -> list[dict]:
    """The imported users as the snapshot will hold them (ids u-01…, in the sheet's order)."""
    from cdap_policy.authoring.importers.merge import plan

    _, additions, _ = plan(
        [], [(n, dict(u)) for n, u in enumerate(draft.get("users") or [], 1)], "planned", ""
    )
    return additions


def attestation_block(draft: dict) -> dict:
    from cdap_policy.authoring.importers import attestation

    return attestation.attestation(users_with_ids(draft), draft.get("attestation_on") or None)


def snapshot_text(
    draft: dict,
    choices: Choices,
    schema_ref: str,
    lang: str,
    today: str,
    file_name: str = "instantane-cdap.yaml",
) -> str:
    """The snapshot a partner downloads: `init`'s starter (modeline, a comment on each section)
    with the users merged as `import-users` merges them."""
    from cdap_policy.authoring.importers.merge import merge_text

    text = render(answers(draft, choices, today), choices, schema_ref, lang, file_name)
    users = draft.get("users") or []
    if users:
        merged = merge_text(
            text, [], [(n, dict(u)) for n, u in enumerate(users, 1)], "planned", "web"
        )
        if merged.problems:
            raise ValueError(merged.problems[0].render("en"))
        text = merged.text
    return text


def today() -> str:
    return datetime.date.today().isoformat()


STEPS = (
    ("organisation", tr("Organisme", "Organisation")),
    ("profiles", tr("Profils demandés", "Profiles requested")),
    ("people", tr("Personnes désignées", "People designated")),
    ("workstations", tr("Postes et information", "Workstations and information")),
    ("providers", tr("Prestataires", "Service providers")),
    ("staff", tr("Liste du personnel", "Staff list")),
    ("attestation", tr("Justificatifs et conditions", "Supporting documents and conditions")),
    ("checklist", tr("Liste avant signature", "Pre-signature checklist")),
)
STEP_NAMES = tuple(name for name, _ in STEPS)
