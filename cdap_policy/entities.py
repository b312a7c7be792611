"""Turn a snapshot into what rules iterate over: collections of entities with stable keys,
their lines, and facts the loader computes once (who is active, counts per profile, the
flattened subcontractor chain...) so that expressions stay simple and fast.
"""
from __future__ import annotations

import datetime
import unicodedata
from dataclasses import dataclass, field

from celpy import celtypes

from cdap_policy.consultations import iter_consultations
from cdap_policy.engine import to_cel
from cdap_policy.snapshot import Snapshot

SECTIONS = {
    "partner": dict, "convention": dict, "contacts": dict, "users": list, "reviews": dict,
    "control": dict, "subcontractors": list, "data_stores": list, "automations": list, "incidents": list,
}


@dataclass
class Entity:
    kind: str
    key: str
    path: tuple  # where it stands in the snapshot (for its line)
    data: dict
    facts: dict = field(default_factory=dict)
    label: str = ""
    location: tuple | None = None  # (file, line) outside the snapshot, e.g. in the consultation log
    _cel: object = None
    _cel_facts: object = None

    @property
    def cel(self):
        if self._cel is None:
            self._cel = to_cel(self.data)
        return self._cel

    @property
    def cel_facts(self):
        if self._cel_facts is None:
            self._cel_facts = to_cel(self.facts)
        return self._cel_facts


def quota_value(raw) -> int:
    """« / », an empty cell or null in the bulletin table authorises 0 users."""
    return raw if isinstance(raw, int) and not isinstance(raw, bool) else 0


def planned(user: dict) -> bool:
    """A user planned before signature or before the grant: judged by pre-signature rules
    (`facts.intended_profiles`, `planned_users`), never holding access."""
    return user.get("status") == "planned"


def user_active_on(user: dict, day: str) -> bool:
    """Was the habilitation in force on `day` (YYYY-MM-DD)? Suspended means not in force; a
    planned user never held it, whatever dates are recorded."""
    if planned(user):
        return False
    granted = user.get("granted_on")
    if granted and day < granted:
        return False
    ends = ("revoked_on", "left_on", "suspended_on")
    for end in ends:
        value = user.get(end)
        if value and day >= value:
            return False
    if user.get("status") != "active":
        # before a recorded end the habilitation was in force; with no date, only the status tells
        return any(user.get(k) for k in ends)
    return True


def holds_on(user: dict, profile: str, day: str) -> bool:
    """Did the user hold `profile` in force on `day`? The grant date of that profile is
    profile_granted_on[profile] when recorded, else granted_on."""
    if profile not in (user.get("profiles") or []):
        return False
    granted = (user.get("profile_granted_on") or {}).get(profile) or user.get("granted_on")
    if not granted or granted > day:
        return False
    return user_active_on({**user, "granted_on": granted}, day)


class Context:
    """Everything rules read for one snapshot at one evaluation date, converted to CEL once."""

    def __init__(self, snapshot: Snapshot, param_values: dict, as_of: str, edition: int | None = None, stage: str | None = None):
        self.snapshot = snapshot
        self.as_of = as_of
        data = snapshot.data
        self.edition = edition or data["convention"]["edition"]
        self.sections = {name: data.get(name) if data.get(name) is not None else kind() for name, kind in SECTIONS.items()}
        # users in key order: every list built from them (holders, messages, evidence) is the same
        # whatever order the snapshot writes them in; `user_index` keeps each one's place for its line
        self.user_index = {u["id"]: index for index, u in enumerate(self.sections["users"])}
        self.sections["users"] = sorted(self.sections["users"], key=lambda u: u["id"])
        self.users = self.sections["users"]
        self.users_by_id = {u["id"]: u for u in self.users}
        self.catalogue = param_values["profiles"][str(self.edition)]
        self.agg = self._aggregate()
        self.providers = self._flatten_providers()
        variables = {name: to_cel(value) for name, value in self.sections.items()}
        variables.update({
            "providers": to_cel([e.data | {"chain": e.facts["chain"]} for e in self.providers]),
            "params": to_cel(param_values),
            "agg": to_cel(self.agg),
            "as_of": to_cel(as_of),
            "edition": to_cel(self.edition),
            "stage": to_cel(stage or "all"),
        })
        # the edition's catalogue is part of params, already converted
        variables["catalogue"] = variables["params"][celtypes.StringType("profiles")][celtypes.StringType(str(self.edition))]
        self.variables = variables
        # users converted once, shared by the `users` variable and the user entities
        self._cel_users = variables["users"]
        self._collections: dict[str, list[Entity]] = {}
        self.daily_counts: dict | None = None

    # -- aggregates -------------------------------------------------------------------------
    def _active(self, user: dict) -> bool:
        return user.get("status") == "active" and user_active_on(user, self.as_of)

    def _aggregate(self) -> dict:
        active = [u for u in self.users if self._active(u)]
        by_profile: dict[str, int] = {}
        for user in active:
            for profile in user.get("profiles", []):
                by_profile[profile] = by_profile.get(profile, 0) + 1
        planned_by_profile: dict[str, int] = {}
        for user in self.users:
            if planned(user):
                for profile in user.get("profiles", []):
                    planned_by_profile[profile] = planned_by_profile.get(profile, 0) + 1
        # planned users hold nothing: their profiles and any planned date are not grants
        holding = [u for u in self.users if not planned(u)]
        quotas = self._effective_quotas()
        admins = self.sections["contacts"].get("administrators") or []
        grants = sorted(u["granted_on"] for u in holding if u.get("granted_on"))
        convention = self.sections["convention"]
        opened = [d for d in (convention.get("access_opened_on"), grants[0] if grants else None) if d]
        mode = self._management_mode()
        return {
            "first_granted_on": grants[0] if grants else None,
            "profiles_held": sorted({p for u in self.users for p in u.get("profiles", [])}),  # planned users too (GOV-EDITION)
            # access is open from the recorded date or from the first grant, whichever is earlier
            "opened_on": min(opened) if opened else None,
            "management_mode": mode,
            "management_mode_in_practice": convention.get("management_mode_in_practice") or mode,
            "active_users": len(active),
            "active_by_profile": by_profile,
            "active_habilitations": sum(by_profile.values()),  # user x profile pairs in force (QUOTA-TOTAL)
            "planned_users": sum(1 for u in self.users if planned(u)),
            "planned_by_profile": planned_by_profile,
            "quotas": {code: info["quota"] for code, info in quotas.items()},
            "quota_total": sum(info["quota"] for info in quotas.values()),
            "administrators": len(admins),
            "principal_administrators": sum(1 for a in admins if a.get("role") == "principal"),
            "deputy_administrators": sum(1 for a in admins if a.get("role") == "deputy"),
        }

    def _effective_quotas(self, on: str | None = None) -> dict[str, dict]:
        """Quotas of the bulletin, then amendments in force on `on` (default: the evaluation date), in order."""
        day_of_interest = on or self.as_of
        convention = self.sections["convention"]
        quotas: dict[str, dict] = {}
        bulletin_day = convention.get("bulletin_signed_on") or convention.get("signed_on")
        for code, raw in (convention.get("quotas") or {}).items():
            quotas[code] = {"quota": quota_value(raw), "raw": raw, "opened_on": bulletin_day if quota_value(raw) > 0 else None, "amendment": None}
        amendments = sorted(convention.get("amendments") or [], key=lambda a: a.get("effective_on") or a.get("signed_on") or "9999")
        for amendment in amendments:
            day = amendment.get("effective_on") or amendment.get("signed_on")
            if not amendment.get("signed_on") or not day or day > day_of_interest:
                continue  # an unsigned amendment, or one not yet in force, changes nothing
            for change in amendment.get("changes") or []:
                code = change.get("profile")
                if code and "quota" in change:
                    entry = quotas.setdefault(code, {"quota": 0, "raw": None, "opened_on": None, "amendment": None})
                    entry["quota"] = quota_value(change["quota"])
                    entry["raw"] = change["quota"]
                    if entry["opened_on"] is None and entry["quota"] > 0:
                        entry["opened_on"] = day
                    entry["amendment"] = amendment["id"]
        if on is None:
            self._quota_info = quotas
        return quotas

    def _management_mode(self) -> str:
        """The mode in force: that of the last signed amendment in force that changes it, else the
        contrat de service's, else « délégué » (CONV art. 9.1: « par défaut »)."""
        convention = self.sections["convention"]
        mode, latest = convention.get("management_mode") or "delegated", None
        for amendment in convention.get("amendments") or []:
            day = amendment.get("effective_on") or amendment.get("signed_on")
            if not amendment.get("signed_on") or day > self.as_of:
                continue
            for change in amendment.get("changes") or []:
                if change.get("kind") == "management_mode" and change.get("management_mode") and (latest is None or day > latest):
                    mode, latest = change["management_mode"], day
        return mode

    def _flatten_providers(self) -> list[Entity]:
        """Subcontractors at any depth, each with its whole chain (CEL cannot recurse)."""
        out: list[Entity] = []
        partner = self.sections["partner"].get("name", "partner")

        def walk(items, path, chain_names, chain_ids, parent_ends):
            for index, item in enumerate(items or []):
                here = path + (index,)
                names = chain_names + [item.get("name") or item["id"]]
                ids = chain_ids + [item["id"]]
                data = {k: v for k, v in item.items() if k != "subcontractors"}
                ends = min(d for d in (item.get("ends_on"), parent_ends) if d) if (item.get("ends_on") or parent_ends) else None
                facts = {
                    "chain": names, "chain_ids": ids, "depth": len(ids), "parent": chain_ids[-1] if chain_ids else None,
                    "sub_count": len(item.get("subcontractors") or []),
                    # a sub-provider's work ends at the latest when its parent's contract does
                    "chain_ends_on": ends,
                }
                out.append(Entity("subcontractor", "/".join(ids), here, data, facts, " › ".join([partner] + names)))
                walk(item.get("subcontractors"), here + ("subcontractors",), names, ids, ends)

        walk(self.sections["subcontractors"], ("subcontractors",), [], [], None)
        return out

    # -- collections ------------------------------------------------------------------------
    def collection(self, name: str) -> list[Entity]:
        if name not in self._collections:
            self._collections[name] = getattr(self, f"_c_{name}")()
        return self._collections[name]

    def _c_partner(self):
        return [Entity("partner", "partner", ("partner",), self.sections["partner"], {}, self.sections["partner"].get("name", ""))]

    def _c_users(self):
        email_users: dict[str, list] = {}
        identity_users: dict[tuple, list] = {}
        active_ids = set()
        for user in self.users:
            if self._active(user):
                active_ids.add(user["id"])
                if user.get("email"):
                    email_users.setdefault(user["email"].strip().lower(), []).append(user["id"])
                identity = _identity(user)
                if identity:
                    identity_users.setdefault(identity, []).append(user["id"])
        attestation = (self.sections["convention"].get("t1_attestation") or {})
        attested = {e["user"]: e for e in attestation.get("entries") or []}
        out = []
        for index, user in enumerate(self.users):  # index: place in the sorted list (converted users)
            active = user["id"] in active_ids
            email = (user.get("email") or "").strip().lower()
            identity = _identity(user)
            departures = [d for d in (user.get("left_on"), user.get("function_changed_on")) if d]
            facts = {
                "active": active,
                "departed_on": min(departures) if departures else None,
                "profile_granted_on": {p: (user.get("profile_granted_on") or {}).get(p) or user.get("granted_on") for p in user.get("profiles", [])},
                "active_profiles": list(user.get("profiles", [])) if active else [],
                "planned": planned(user),
                # what pre-signature rules judge: the profiles in force, or those a planned user will need
                "intended_profiles": list(user.get("profiles", [])) if active or planned(user) else [],
                "email_holders": len(email_users.get(email, ())) if active and email else 0,
                "identity_holders": len(identity_users.get(identity, ())) if active and identity else 0,
                "same_email_users": _others(email_users.get(email, ()), user["id"]) if active and email else [],
                "same_identity_users": _others(identity_users.get(identity, ()), user["id"]) if active and identity else [],
                "attested": user["id"] in attested,
                "attestation": attested.get(user["id"], {}),
            }
            entity = Entity("user", user["id"], ("users", self.user_index[user["id"]]), user, facts, _name(user))
            entity._cel = self._cel_users[index]
            out.append(entity)
        return out

    def _c_profiles(self):
        holders: dict[str, list[dict]] = {}
        planned_holders: dict[str, list[str]] = {}  # planned users hold nothing yet: kept apart
        for user in self.users:
            for code in user.get("profiles", []):
                if planned(user):
                    planned_holders.setdefault(code, []).append(user["id"])
                else:
                    holders.setdefault(code, []).append(user)
        quota_info = self._quota_info
        codes = sorted(set(holders) | set(planned_holders) | {c for c, q in quota_info.items() if q["quota"] > 0},
                       key=lambda c: int(c[1:]))
        out = []
        for code in codes:
            info = quota_info.get(code, {"quota": 0, "raw": None, "opened_on": None, "amendment": None})
            users = holders.get(code, [])
            active = [u["id"] for u in users if self._active(u)]
            grants = sorted(u["granted_on"] for u in users if u.get("granted_on"))
            if code in (self.sections["convention"].get("quotas") or {}):
                path = ("convention", "quotas", code)
            elif users:
                path = ("users", self.user_index[users[0]["id"]])
            elif code in planned_holders:
                path = ("users", self.user_index[planned_holders[code][0]])
            else:
                path = ("convention",)
            data = {
                "code": code, "quota": info["quota"], "quota_raw": "" if info["raw"] is None else str(info["raw"]), "opened": info["quota"] > 0,
                "opened_on": info["opened_on"], "amendment": info["amendment"], "defined": code in self.catalogue,
                "active_users": len(active), "holders": active, "all_holders": [u["id"] for u in users],
                "first_granted_on": grants[0] if grants else None,
                # the date each holder received this profile (profile_granted_on, else granted_on; null if unknown)
                "grant_dates": [(u.get("profile_granted_on") or {}).get(code) or u.get("granted_on") for u in users],
                "planned_users": len(planned_holders.get(code, ())), "planned_holders": planned_holders.get(code, []),
            }
            out.append(Entity("profile", code, path, data, {}, code))
        return out

    def _list(self, kind, items, path, key="id"):
        return [Entity(kind, str(item.get(key, index)), path + (index,), item, {}, item.get("name", "")) for index, item in enumerate(items or [])]

    def _c_administrators(self):
        admins = self.sections["contacts"].get("administrators") or []
        user_emails = {(u.get("email") or "").strip().lower(): u["id"] for u in self.users}
        out = []
        for index, admin in enumerate(admins):
            email = (admin.get("email") or "").strip().lower()
            same = sum(1 for a in admins if (a.get("email") or "").strip().lower() == email) if email else 0
            key = admin.get("id") or admin.get("role", "admin") + f"-{index + 1}"
            facts = {"email_holders": same, "user_with_same_email": user_emails.get(email)}
            out.append(Entity("administrator", key, ("contacts", "administrators", index), admin, facts, _name(admin)))
        return out

    def _c_subcontractors(self):
        return self.providers

    def _c_data_stores(self):
        return self._list("data_store", self.sections["data_stores"], ("data_stores",))

    def _c_automations(self):
        return self._list("automation", self.sections["automations"], ("automations",))

    def _c_incidents(self):
        return self._list("incident", self.sections["incidents"], ("incidents",))

    def _c_amendments(self):
        out = self._list("amendment", self.sections["convention"].get("amendments"), ("convention", "amendments"))
        for entity in out:
            amendment = entity.data
            effective = amendment.get("effective_on") or amendment.get("signed_on")
            eve = None
            if effective:
                eve = (datetime.date.fromisoformat(effective) - datetime.timedelta(days=1)).isoformat()
            changes = []
            if eve:
                before = self._effective_quotas(eve)
                for change in amendment.get("changes") or []:
                    if change.get("kind") == "quota" and change.get("profile") and "quota" in change:
                        code = change["profile"]
                        changes.append({
                            "profile": code, "previous": before.get(code, {}).get("quota", 0), "new": quota_value(change["quota"]),
                            "holders_on_eve": sum(1 for u in self.users if holds_on(u, code, eve)),
                        })
            entity.facts = {
                "effective_on": effective, "eve": eve,
                "in_force": bool(amendment.get("signed_on")) and bool(effective) and effective <= self.as_of,
                "quota_changes": changes,
            }
        return out

    def _c_fraud_files(self):
        return self._list("fraud_file", self.sections["control"].get("fraud_files"), ("control", "fraud_files"), key="file")

    def _c_control_results(self):
        return self._list("control_result", self.sections["control"].get("results"), ("control", "results"))

    def start_daily_counts(self):
        """A function to call on every log row; the runner's single pass over the log feeds it."""
        counts: dict[tuple, list] = {}
        self.daily_counts = counts

        def count(file, line, row):
            key = (str(row["user"]), row["at"][:10])
            entry = counts.get(key)
            if entry is None:
                counts[key] = [1, file, line]
            else:
                entry[0] += 1

        return count

    def _c_daily_volumes(self):
        """Consultations per user and day (counted during the runner's pass over the log)."""
        if self.daily_counts is None:
            count = self.start_daily_counts()
            for file, line, row in iter_consultations(self.snapshot):
                count(file, line, row)
        out = []
        for (user, day), (count, file, line) in sorted(self.daily_counts.items()):
            entity = Entity("daily_volume", f"{user}/{day}", ("consultations",), {"user": user, "day": day, "count": count}, {}, f"{user} {day}")
            entity.location = (file, line)
            out.append(entity)
        return out

    # -- activations ------------------------------------------------------------------------
    def activation(self, entity: Entity) -> dict:
        act = dict(self.variables)
        act["entity"] = entity.cel
        act["facts"] = entity.cel_facts
        return act

    def consultation_facts(self, row: dict) -> dict:
        user = self.users_by_id.get(row.get("user"))
        day = row["at"][:10]
        return {
            "day": day,
            "user_known": user is not None,
            "user_active": bool(user) and user_active_on(user, day) and row.get("profile") in (user.get("profiles") or []),
            "user_status": user.get("status") if user else None,
            "user_instructor_number": user.get("instructor_number") if user else None,
        }


MAX_OTHERS = 20  # the holders count stays exact; listing every other holder on every user is quadratic


def _others(holders, user_id) -> list:
    """The first MAX_OTHERS other holders: a snapshot of 20,000 users sharing one address must not
    cost 20,000 x 20,000 ids in facts, evidence and messages."""
    out = []
    for other in holders:
        if other != user_id:
            out.append(other)
            if len(out) == MAX_OTHERS:
                break
    return out


def _identity(user: dict):
    first, last = _person_name(user.get("first_name")), _person_name(user.get("last_name"))
    return (first, last) if first and last else None


def _person_name(text) -> str:
    """A name as a person reads it: accents (« Inès » typed « Ines »), composed or decomposed
    characters, case, invisible characters (zero-width space...) and repeated spaces do not make
    another person. Two real people who differ only by an accent are flagged for an auditor to
    confirm, which is the safer error for GOV-NOMINATIVE."""
    text = unicodedata.normalize("NFKD", text or "")
    text = "".join(c for c in text if unicodedata.category(c) not in ("Cf", "Mn"))
    return " ".join(unicodedata.normalize("NFKC", text).split()).casefold()


def _name(person: dict) -> str:
    return " ".join(p for p in (person.get("first_name"), person.get("last_name")) if p)

