"""Facts of the convention: amendments in force, quotas in force on a day, the management mode,
the administrators still designated, the end of the T19 coordination convention.

An amendment changes nothing before it is « signé par les deux parties » (CONV art. 17.3): it
counts on day D only when it was signed on or before D and takes effect on or before D, so a
backdated amendment cannot legalise what was done before its signature.
"""

from __future__ import annotations

from cdap_policy.evaluate.facts.entity import Entity, listed
from cdap_policy.evaluate.facts.users import holds_on
from cdap_policy.support import dates


def quota_value(raw) -> int:
    """« / », an empty cell or null in the bulletin table authorises 0 users."""
    return raw if isinstance(raw, int) and not isinstance(raw, bool) else 0


def in_force_from(amendment: dict) -> str | None:
    """The first day an amendment counts: the later of its signature and its effective date;
    None for an unsigned amendment, which never counts."""
    signed = amendment.get("signed_on")
    if not signed:
        return None
    return max(signed, amendment.get("effective_on") or signed)


def effective_quotas(convention: dict, day: str) -> dict[str, dict]:
    """Quotas of the bulletin, then of the amendments in force on `day`, in the order they came into
    force.
    """
    quotas: dict[str, dict] = {}
    bulletin_day = convention.get("bulletin_signed_on") or convention.get("signed_on")
    for code, raw in (convention.get("quotas") or {}).items():
        quotas[code] = {
            "quota": quota_value(raw),
            "raw": raw,
            "opened_on": bulletin_day if quota_value(raw) > 0 else None,
            "amendment": None,
        }
    dated = [(in_force_from(a), a) for a in convention.get("amendments") or []]
    for start, amendment in sorted(((d, a) for d, a in dated if d), key=lambda pair: pair[0]):
        if start > day:
            continue
        for change in amendment.get("changes") or []:
            code = change.get("profile")
            if code and "quota" in change:
                entry = quotas.setdefault(
                    code, {"quota": 0, "raw": None, "opened_on": None, "amendment": None}
                )
                entry["quota"] = quota_value(change["quota"])
                entry["raw"] = change["quota"]
                if entry["opened_on"] is None and entry["quota"] > 0:
                    entry["opened_on"] = start
                entry["amendment"] = amendment["id"]
    return quotas


def management_mode(convention: dict, day: str) -> str:
    """The mode in force: centralised from the day the Caf took back the management of the
    habilitations (CS art. 2.2.1, « reprendre la main », no amendment needed), else that of the last
    amendment in force that changes it, else the contrat de service's, else « délégué » (CONV art.
    9.1: « par défaut »)."""
    taken = convention.get("caf_took_over_on")
    if taken and taken <= day:
        return "centralised"
    mode, latest = convention.get("management_mode") or "delegated", None
    for amendment in convention.get("amendments") or []:
        start = in_force_from(amendment)
        if start is None or start > day:
            continue
        for change in amendment.get("changes") or []:
            if (
                change.get("kind") == "management_mode"
                and change.get("management_mode")
                and (latest is None or start > latest)
            ):
                mode, latest = change["management_mode"], start
    return mode


def amendment_entities(convention: dict, users: list[dict], as_of: str) -> list[Entity]:
    out = listed("amendment", convention.get("amendments"), ("convention", "amendments"))
    for entity in out:
        amendment = entity.data
        start = in_force_from(amendment)
        eve = dates.day_before(start) if start else None
        changes = []
        if eve:
            before = effective_quotas(convention, eve)
            for change in amendment.get("changes") or []:
                if change.get("kind") == "quota" and change.get("profile") and "quota" in change:
                    code = change["profile"]
                    changes.append(
                        {
                            "profile": code,
                            "previous": before.get(code, {}).get("quota", 0),
                            "new": quota_value(change["quota"]),
                            "holders_on_eve": sum(1 for u in users if holds_on(u, code, eve)),
                        }
                    )
        entity.facts = {
            # in force from the later of signature and effective date (an unsigned amendment: never)
            "effective_on": start,
            "eve": eve,
            "in_force": start is not None and start <= as_of,
            "quota_changes": changes,
        }
    return out


def _anniversary_on_or_after(signed: str, day: str) -> str:
    """The first anniversary of `signed` on or after `day` (29 February: 28 February in a common
    year).
    """
    years = max(0, int(day[:4]) - int(signed[:4]) - 1)
    while True:
        candidate = dates.months_after(signed, 12 * years)
        if candidate >= day:
            return candidate
        years += 1


def convention_ended_on(convention: dict, framework: str, params: dict) -> str | None:
    """The day the convention's engagements stop after a termination: the recorded effective date,
    but never before the end of the notice the text sets, since « les parties sont tenues des
    engagements pris antérieurement jusqu'au terme de ce délai » (CONV 17.2). « Mon Compte
    Partenaire »: three months after the registered letter is received (unilateral), one month after
    the letter notifying a breach. CAFPRO: an anniversary of the signature at least two months after
    the letter (art. 5); the Caf's termination for non-compliance (art. 4) has no notice. None when
    no termination is recorded with its effective date."""
    termination = convention.get("termination") or {}
    effective = termination.get("effective_on")
    if not effective:
        return None
    letter = termination.get("letter_received_on")
    breach = termination.get("reason") == "breach"
    if framework == "cafpro":
        signed = convention.get("signed_on")
        if breach or not (letter and signed):
            return effective
        earliest = max(effective, dates.months_after(letter, params["cafpro_notice_months"]))
        return _anniversary_on_or_after(signed, earliest)
    if not letter:
        return effective
    months = params["breach_cure_months"] if breach else params["convention_notice_months"]
    return max(effective, dates.months_after(letter, months))


def coordination_ended_on(control: dict, notice_months: int) -> str | None:
    """The day the T19 coordination convention ended, or will end (COORD art. 7): the earlier of the
    recorded end and the end its termination notice sets — six months after the notice (« au terme
    d'un délai de préavis de 6 mois »), or the notice itself when the Caf terminates for breach
    (« résilier immédiatement »). None while no end or notice is recorded."""
    coord = control.get("coordination_convention") or {}
    candidates = [coord.get("terminated_on")]
    notice = coord.get("termination_notice_on")
    if notice:
        breach = coord.get("termination_reason") == "breach"
        candidates.append(notice if breach else dates.months_after(notice, notice_months))
    known = [d for d in candidates if d]
    return min(known) if known else None


def coordination_started_on(control: dict, first_t19_grant: str | None) -> str | None:
    """The day the T19 coordination convention's period starts: its signature, else the first T19
    grant (a profile used without a signed convention still owes its committees); None when neither
    is recorded."""
    coord = control.get("coordination_convention")
    if isinstance(coord, dict) and "signed_on" in coord:
        return coord["signed_on"]
    return first_t19_grant


def latest_control_plan(control: dict, by: str) -> dict | None:
    """The control plan judged on day `by`: of the plans validated on or before it, the one
    validated last (the first listed of those validated that day); when none is, the last plan
    listed; None when no plan is recorded."""
    plans = [p for p in control.get("control_plan") or [] if isinstance(p, dict)]
    if not plans:
        return None
    validated = [p for p in plans if "validated_on" in p and p["validated_on"] <= by]
    if not validated:
        return plans[-1]
    latest = max(p["validated_on"] for p in validated)
    return next(p for p in validated if p["validated_on"] == latest)


def _names(admin: dict) -> set[str]:
    names = {admin["id"]} if admin.get("id") else set()
    if admin.get("first_name") and admin.get("last_name"):
        names.add(f"{admin['first_name']} {admin['last_name']}")
    return names


def current_administrators(admins: list[dict], as_of: str) -> tuple[list[dict], list[str]]:
    """The administrators designated and still in office on `as_of`, and the names of those recorded
    as replaced:
    by their own `replaced_on`, or by a later administrator whose `replaces` names them (by id or
    « first name last name ») and who is designated by then. A replaced administrator no longer
    counts in QUOTA-ADMINS (GOV-ADMIN-CHANGE reports one still listed)."""
    replacements = [
        (index, admin["replaces"])
        for index, admin in enumerate(admins)
        if admin.get("replaces")
        and (not admin.get("designated_on") or admin["designated_on"] <= as_of)
    ]
    current, replaced = [], []
    for index, admin in enumerate(admins):
        names = _names(admin)
        gone = bool(admin.get("replaced_on") and admin["replaced_on"] <= as_of) or any(
            other != index and name in names for other, name in replacements
        )
        if gone:
            replaced.append(admin.get("id") or " ".join(sorted(names)) or f"#{index + 1}")
        elif (
            not admin.get("designated_on") or admin["designated_on"] <= as_of
        ):  # not designated yet: not counted
            current.append(admin)
    return current, replaced
