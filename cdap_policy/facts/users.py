"""Facts of users: who holds which profile on a day, who can log in, who is the same person.

Two notions are kept apart. A habilitation is *in force* on a day between its grant and its end
(revocation, departure, suspension). An account *can log in* while its status is active, whatever
its holder's departure date: that is what the quotas count (QUOTA-PROFILE, QUOTA-TOTAL), and an
active account of someone who left is also a departure finding (GOV-DEPARTURE). A profile granted
on a later date (`profile_granted_on`) is held only from that date.
"""
from __future__ import annotations

import unicodedata

from cdap_policy.facts.entity import Entity

MAX_OTHERS = 20  # the holders count stays exact; listing every other holder on every user is quadratic
_ENDS = ("revoked_on", "left_on", "suspended_on")


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
    for end in _ENDS:
        value = user.get(end)
        if value and day >= value:
            return False
    if user.get("status") != "active":
        # before a recorded end the habilitation was in force; with no date, only the status tells
        return any(user.get(k) for k in _ENDS)
    return True


def profile_granted_on(user: dict, profile: str) -> str | None:
    """The day `profile` was granted: its own date when recorded, else the account's."""
    return (user.get("profile_granted_on") or {}).get(profile) or user.get("granted_on")


def holds_on(user: dict, profile: str, day: str) -> bool:
    """Did the user hold `profile` in force on `day`?"""
    if profile not in (user.get("profiles") or []):
        return False
    granted = profile_granted_on(user, profile)
    if not granted or granted > day:
        return False
    return user_active_on({**user, "granted_on": granted}, day)


def can_log_in(user: dict) -> bool:
    """The account is open: status active, whatever the dates say of its holder."""
    return user.get("status") == "active"


def counted_profiles(user: dict, day: str) -> list[str]:
    """The profiles a quota counts for this account on `day`: an account that can log in, each
    profile from its grant date (a profile with no recorded date counts: the safer reading)."""
    if not can_log_in(user):
        return []
    out = []
    for profile in user.get("profiles") or []:
        granted = profile_granted_on(user, profile)
        if granted is None or granted <= day:
            out.append(profile)
    return out


def in_force(user: dict, day: str) -> bool:
    return can_log_in(user) and user_active_on(user, day)


def user_entities(users: list[dict], user_index: dict, cel_users, attestation: dict, as_of: str) -> list[Entity]:
    email_users: dict[str, list] = {}
    identity_users: dict[tuple, list] = {}
    active_ids = set()
    for user in users:
        if in_force(user, as_of):
            active_ids.add(user["id"])
            if user.get("email"):
                email_users.setdefault(user["email"].strip().lower(), []).append(user["id"])
            who = identity(user)
            if who:
                identity_users.setdefault(who, []).append(user["id"])
    attested = {e["user"]: e for e in (attestation or {}).get("entries") or []}
    out = []
    for index, user in enumerate(users):
        active = user["id"] in active_ids
        email = (user.get("email") or "").strip().lower()
        who = identity(user)
        departures = [d for d in (user.get("left_on"), user.get("function_changed_on")) if d]
        held = [p for p in user.get("profiles", []) if holds_on(user, p, as_of)] if active else []
        facts = {
            "active": active,
            "can_log_in": can_log_in(user),
            "departed_on": min(departures) if departures else None,
            "profile_granted_on": {p: profile_granted_on(user, p) for p in user.get("profiles", [])},
            # the first grant of the account: its own date, or the earliest of its profiles'
            "first_grant_on": min([d for d in [user.get("granted_on"), *(user.get("profile_granted_on") or {}).values()] if d], default=None),
            # profiles held in force on the date: a profile granted later is not held yet
            "active_profiles": held,
            "counted_profiles": counted_profiles(user, as_of),
            "planned": planned(user),
            # what pre-signature rules judge: the profiles in force, or those a planned user will need
            "intended_profiles": list(user.get("profiles", [])) if planned(user) else held,
            "email_holders": len(email_users.get(email, ())) if active and email else 0,
            "identity_holders": len(identity_users.get(who, ())) if active and who else 0,
            "same_email_users": others(email_users.get(email, ()), user["id"]) if active and email else [],
            "same_identity_users": others(identity_users.get(who, ()), user["id"]) if active and who else [],
            "attested": user["id"] in attested,
            "attestation": attested.get(user["id"], {}),
            # the attestation's date, read here once: a two-level selection into a map holding the
            # whole list costs the native runtime a copy of that list per user (README, Performance)
            "attestation_signed_on": (attestation or {}).get("signed_on"),
        }
        entity = Entity("user", user["id"], ("users", user_index[user["id"]]), user, facts, display_name(user))
        entity._cel = cel_users[index]
        out.append(entity)
    return out


def administrator_entities(admins: list[dict], users: list[dict]) -> list[Entity]:
    user_emails = {(u.get("email") or "").strip().lower(): u["id"] for u in users}
    out = []
    for index, admin in enumerate(admins):
        email = (admin.get("email") or "").strip().lower()
        same = sum(1 for a in admins if (a.get("email") or "").strip().lower() == email) if email else 0
        key = admin.get("id") or admin.get("role", "admin") + f"-{index + 1}"
        facts = {"email_holders": same, "user_with_same_email": user_emails.get(email)}
        out.append(Entity("administrator", key, ("contacts", "administrators", index), admin, facts, display_name(admin)))
    return out


def others(holders, user_id) -> list:
    """The first MAX_OTHERS other holders: a snapshot of 20,000 users sharing one address must not
    cost 20,000 x 20,000 ids in facts, evidence and messages."""
    out = []
    for other in holders:
        if other != user_id:
            out.append(other)
            if len(out) == MAX_OTHERS:
                break
    return out


def identity(user: dict):
    first, last = person_name(user.get("first_name")), person_name(user.get("last_name"))
    return (first, last) if first and last else None


def person_name(text) -> str:
    """A name as a person reads it: accents (« Inès » typed « Ines »), composed or decomposed
    characters, case, invisible characters (zero-width space...) and repeated spaces do not make
    another person. Two real people who differ only by an accent are flagged for an auditor to
    confirm, which is the safer error for GOV-NOMINATIVE."""
    text = unicodedata.normalize("NFKD", text or "")
    text = "".join(c for c in text if unicodedata.category(c) not in ("Cf", "Mn"))
    return " ".join(unicodedata.normalize("NFKC", text).split()).casefold()


def display_name(person: dict) -> str:
    return " ".join(p.strip() for p in (person.get("first_name"), person.get("last_name")) if p and p.strip())
