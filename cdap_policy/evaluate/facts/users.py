"""Facts of users: who holds which profile on a day, who can log in, who is the same person.

Two notions are kept apart. A habilitation is *in force* on a day between its grant and its end
(revocation, departure, suspension). An account *can log in* while its status is active, whatever
its holder's departure date: that is what the quotas count (QUOTA-PROFILE, QUOTA-TOTAL), and an
active account of someone who left is also a departure finding (GOV-DEPARTURE).

Profiles have a history: each item of `profiles` is a code (held from the account's grant for as
long as the account) or a period {profile, granted_on, ended_on}. A profile is held on a day of one
of its periods (from its grant, up to the day before its end) while the account's habilitation is
in force; rules see, on the evaluation date, the codes not withdrawn yet (`profiles`) and every
period (`profile_history`), so that a consultation is judged against the profile held on its day.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable

from cdap_policy.evaluate.facts.entity import Entity

MAX_OTHERS = (
    20  # the holders count stays exact; listing every other holder on every user is quadratic
)
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


FIXED_TERM = (
    "fixed_term",
    "temporary",
    "intern",
)  # contracts whose end ends the person's place in the partner's staff


def periods(user: dict) -> list[dict]:
    """Every period a profile was held, {profile, granted_on, ended_on}, in the order written: a
    bare code dates from the account's grant, a period without its own grant date too; ended_on
    is None while the profile is not withdrawn."""
    account = user.get("granted_on")
    out = []
    for item in user.get("profiles") or []:
        if isinstance(item, str):
            out.append({"profile": item, "granted_on": account, "ended_on": None})
        else:
            out.append(
                {
                    "profile": item["profile"],
                    "granted_on": item.get("granted_on") or account,
                    "ended_on": item.get("ended_on"),
                }
            )
    return out


def listed_profiles(user: dict, day: str) -> list[str]:
    """The codes on the account on `day`: every profile not withdrawn by then (a grant dated later
    included, as written); a planned user's codes are those it will need."""
    out: list[str] = []
    for period in periods(user):
        code = period["profile"]
        if code not in out and (
            planned(user) or period["ended_on"] is None or period["ended_on"] > day
        ):
            out.append(code)
    return out


def all_codes(user: dict) -> list[str]:
    """Every code the user holds or has held, once each."""
    return list(dict.fromkeys(p["profile"] for p in periods(user)))


def _current(user: dict, profile: str, day: str) -> dict | None:
    """The period of `profile` that a grant date speaks of on `day`: the one in force, else the
    latest begun by then, else the earliest."""
    own = [p for p in periods(user) if p["profile"] == profile]
    if not own:
        return None
    begun = [p for p in own if p["granted_on"] is None or p["granted_on"] <= day]
    running = [p for p in begun if p["ended_on"] is None or p["ended_on"] > day]
    if running:
        return running[-1]
    if begun:
        return max(begun, key=lambda p: p["granted_on"] or "")
    return min(own, key=lambda p: p["granted_on"] or "")


def profile_granted_on(user: dict, profile: str, day: str = "9999-12-31") -> str | None:
    """The day `profile` was granted, for its period in force on `day` (else the latest begun,
    else the first planned); the account's grant when the period has no date of its own."""
    period = _current(user, profile, day)
    return period["granted_on"] if period else None


def first_granted_on(user: dict, profile: str) -> str | None:
    """The earliest grant of `profile` to this user, over its whole history."""
    dates = [p["granted_on"] for p in periods(user) if p["profile"] == profile and p["granted_on"]]
    return min(dates) if dates else None


def contract_end(user: dict) -> str | None:
    """The last day worked under a fixed-term, temporary or internship contract, when recorded."""
    contract = user.get("contract") or {}
    return contract.get("ends_on") if contract.get("type") in FIXED_TERM else None


def holds_on(user: dict, profile: str | None, day: str) -> bool:
    """Did the user hold `profile` in force on `day`? One of its periods covers the day and the
    account's habilitation was in force."""
    for period in periods(user):
        if period["profile"] != profile:
            continue
        granted, ended = period["granted_on"], period["ended_on"]
        if not granted or granted > day or (ended and day >= ended):
            continue
        if user_active_on({**user, "granted_on": granted}, day):
            return True
    return False


def entitled_on(user: dict, profile: str | None, day: str) -> bool:
    """The user held `profile` in force on `day` and still belonged to the partner's staff: after
    the end of a fixed-term contract the person « ne devrai[t] plus en bénéficier » (CONV 9.2),
    whatever the account's status says."""
    return Entitlement(user).on(profile, day)


class Entitlement:
    """`entitled_on(user, profile, day)` for one user and any profile and day, its periods and
    dates read once: a log asks it of the same user for thousands of rows."""

    __slots__ = ("user", "never", "ends", "periods", "contract_end")

    def __init__(self, user: dict):
        self.user = user
        # in force on a day of one of its periods (holds_on) whatever the period's grant, given
        # that the grant is on or before the day: only the status and the end dates decide
        self.never = planned(user) or (
            user.get("status") != "active" and not any(user.get(k) for k in _ENDS)
        )
        self.ends = [value for value in (user.get(k) for k in _ENDS) if value]
        by_profile: dict = {}
        for period in periods(user):
            if period["granted_on"]:
                by_profile.setdefault(period["profile"], []).append(
                    (period["granted_on"], period["ended_on"])
                )
        self.periods = by_profile
        self.contract_end = contract_end(user)

    def on(self, profile: str | None, day: str) -> bool:
        """holds_on(user, profile, day), and not after the end of a fixed-term contract."""
        if self.never:
            return False
        try:
            own = self.periods.get(profile, ())
        except TypeError:  # an unhashable value is no profile code
            return False
        for granted, ended in own:  # loops, not any(): called once per distinct row of a log
            if granted <= day and not (ended and day >= ended):
                break
        else:
            return False
        for end in self.ends:
            if day >= end:
                return False
        ends = self.contract_end
        return not (ends and day > ends)


def access_stopped_on(user: dict, day: str) -> str | None:
    """The day the account stopped giving access, by `day`: its recorded revocation or suspension
    (the earlier) when its status says it no longer logs in; None while it can log in, or when no
    date proves when it stopped."""
    if user.get("status") not in ("revoked", "left", "suspended"):
        return None
    dates = [d for d in (user.get("revoked_on"), user.get("suspended_on")) if d and d <= day]
    return min(dates) if dates else None


def can_log_in(user: dict) -> bool:
    """The account is open: status active, whatever the dates say of its holder."""
    return user.get("status") == "active"


def counted_profiles(user: dict, day: str) -> list[str]:
    """The profiles a quota counts for this account on `day`: an account that can log in, each
    profile from its grant date until it is withdrawn (a profile with no recorded date counts:
    the safer reading)."""
    if not can_log_in(user):
        return []
    out: list[str] = []
    for period in periods(user):
        code, granted, ended = period["profile"], period["granted_on"], period["ended_on"]
        if (
            code not in out
            and (granted is None or granted <= day)
            and (ended is None or ended > day)
        ):
            out.append(code)
    return out


def history(user: dict) -> list[dict]:
    """The periods as rules read them (`profile_history`): dates as recorded, null when unknown."""
    return [dict(p) for p in periods(user)]


def cel_view(user: dict, day: str) -> dict:
    """The user as rules read it on `day`: `profiles` the codes on the account, `profile_history`
    every period; the deprecated profile_granted_on is already folded into the periods."""
    view = {k: v for k, v in user.items() if k != "profile_granted_on"}
    view["profiles"] = listed_profiles(user, day)
    view["profile_history"] = history(user)
    return view


def in_force(user: dict, day: str) -> bool:
    return can_log_in(user) and user_active_on(user, day)


def user_entities(
    users: list[dict],
    views: list[dict],
    user_index: dict,
    cel_users,
    attestation: dict,
    as_of: str,
    functions: Callable[[list, dict], dict | None],
) -> list[Entity]:
    """The users as entities, with their facts. `functions(profiles, view)`: which of those
    profiles need a function the bulletin names, and which the user lacks (celfuncs.function_check
    on the partner and the edition's catalogue), or None when it cannot be judged."""
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
    by_id = {u["id"]: u for u in users}
    same_person = {}  # id -> the other accounts of the same identity nothing tells apart
    for ids in identity_users.values():
        if len(ids) > 1:
            for key, others_ in _alike(ids, by_id).items():
                same_person[key] = others_
    out = []
    for index, user in enumerate(users):
        active = user["id"] in active_ids
        email = (user.get("email") or "").strip().lower()
        who = identity(user)
        departures = [d for d in (user.get("left_on"), user.get("function_changed_on")) if d]
        codes = all_codes(user)
        held = [p for p in codes if holds_on(user, p, as_of)] if active else []
        intended = codes if planned(user) else held
        facts = {
            "active": active,
            "can_log_in": can_log_in(user),
            "departed_on": min(departures) if departures else None,
            # the grant of each profile's period in force on the date (else its
            # latest, else its first planned)
            "profile_granted_on": {p: profile_granted_on(user, p, as_of) for p in codes},
            # the earliest grant of each profile over the whole history
            "profile_first_granted_on": {p: first_granted_on(user, p) for p in codes},
            # the first grant of the account: its own date, or the earliest of its profiles'
            "first_grant_on": min(
                [
                    d
                    for d in [user.get("granted_on"), *(p["granted_on"] for p in periods(user))]
                    if d
                ],
                default=None,
            ),
            # profiles held in force on the date: a profile granted later, or withdrawn, is not held
            "active_profiles": held,
            "counted_profiles": counted_profiles(user, as_of),
            "contract_ended_on": contract_end(user),
            # the habilitation was in force on the contract's last day (its end then
            # had to remove it)
            "in_force_at_contract_end": bool(
                (ended := contract_end(user)) and not planned(user) and user_active_on(user, ended)
            ),
            "access_stopped_on": access_stopped_on(user, as_of),
            "planned": planned(user),
            # what pre-signature rules judge: the profiles in force, or those a
            # planned user will need
            "intended_profiles": intended,
            # computed here once per user: as a CEL call, the runtime would convert the partner
            # and the whole catalogue for every user (README, Performance)
            "function_assessment": functions(intended, views[index]),
            "email_holders": len(email_users.get(email, ())) if active and email else 0,
            "identity_holders": len(identity_users.get(who, ())) if active and who else 0,
            "same_email_users": (
                others(email_users.get(email, ()), user["id"]) if active and email else []
            ),
            "same_identity_users": (
                others(identity_users.get(who, ()), user["id"]) if active and who else []
            ),
            # of those, the accounts nothing in the record tells apart (the diploma, its date):
            # the same person; the others are homonyms for an auditor to confirm
            "same_person_users": same_person.get(user["id"], []) if active and who else [],
            "attested": user["id"] in attested,
            "attestation": attested.get(user["id"], {}),
            # the attestation's date, read here once: a two-level selection into a map holding the
            # whole list costs the native runtime a copy of that list per user (README, Performance)
            "attestation_signed_on": (attestation or {}).get("signed_on"),
        }
        entity = Entity(
            "user",
            user["id"],
            ("users", user_index[user["id"]]),
            views[index],
            facts,
            display_name(user),
        )
        entity._cel = cel_users[index]
        out.append(entity)
    return out


def administrator_entities(admins: list[dict], users: list[dict]) -> list[Entity]:
    user_emails = {(u.get("email") or "").strip().lower(): u["id"] for u in users}
    out = []
    for index, admin in enumerate(admins):
        email = (admin.get("email") or "").strip().lower()
        same = (
            sum(1 for a in admins if (a.get("email") or "").strip().lower() == email)
            if email
            else 0
        )
        key = admin.get("id") or admin.get("role", "admin") + f"-{index + 1}"
        facts = {"email_holders": same, "user_with_same_email": user_emails.get(email)}
        out.append(
            Entity(
                "administrator",
                key,
                ("contacts", "administrators", index),
                admin,
                facts,
                display_name(admin),
            )
        )
    return out


_LARGE_GROUP = (
    50  # beyond this many accounts under one name, comparing pairs is quadratic: all are kept alike
)


def _signature(user: dict) -> tuple:
    """What tells two people with the same name apart in a snapshot: the state diploma and its date
    (a person is awarded a diploma once). The function is free text (« CESF », « Conseillère en
    économie sociale et familiale »): it tells nobody apart."""
    diploma = user.get("diploma") or {}
    kind = diploma.get("type") if diploma.get("type") not in ("none", "other") else None
    return (kind, diploma.get("awarded_on"))


def _distinct(a: tuple, b: tuple) -> bool:
    """Two records differ on something both of them state."""
    return any(x is not None and y is not None and x != y for x, y in zip(a, b, strict=True))


def _alike(ids: list, by_id: dict) -> dict:
    """For each id of one identity, the other ids nothing tells apart (the first MAX_OTHERS)."""
    if len(ids) > _LARGE_GROUP:
        return {i: others(ids, i) for i in ids}
    signatures = {i: _signature(by_id[i]) for i in ids}
    return {
        i: [j for j in ids if j != i and not _distinct(signatures[i], signatures[j])][:MAX_OTHERS]
        for i in ids
    }


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
    return " ".join(
        p.strip() for p in (person.get("first_name"), person.get("last_name")) if p and p.strip()
    )
