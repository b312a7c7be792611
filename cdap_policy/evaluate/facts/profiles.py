"""Facts of profiles: the quota in force and the accounts that count against it."""

from __future__ import annotations

from cdap_policy.evaluate.facts.entity import Entity
from cdap_policy.evaluate.facts.users import (
    all_codes,
    counted_profiles,
    first_granted_on,
    periods,
    planned,
)

_NO_QUOTA = {"quota": 0, "raw": None, "opened_on": None, "amendment": None}


def profile_entities(
    users: list[dict],
    user_index: dict,
    quotas: dict,
    quota_cells: dict,
    catalogue: dict,
    as_of: str,
) -> list[Entity]:
    holders: dict[str, list[dict]] = {}
    planned_holders: dict[str, list[str]] = {}  # planned users hold nothing yet: kept apart
    for user in users:
        for code in all_codes(user):  # past holders too: every period of the history
            if planned(user):
                planned_holders.setdefault(code, []).append(user["id"])
            else:
                holders.setdefault(code, []).append(user)
    codes = sorted(
        set(holders) | set(planned_holders) | {c for c, q in quotas.items() if q["quota"] > 0},
        key=lambda c: int(c[1:]),
    )
    out = []
    for code in codes:
        info = quotas.get(code, _NO_QUOTA)
        users_of = holders.get(code, [])
        # accounts that can still log in and hold the profile on the date count, whatever their
        # holder's departure date (QUOTA-PROFILE)
        counted = [u["id"] for u in users_of if code in counted_profiles(u, as_of)]
        # the date of each grant of this profile, one per period of each holder (null if unknown)
        grant_dates = [
            p["granted_on"] for u in users_of for p in periods(u) if p["profile"] == code
        ]
        grants = sorted(d for d in grant_dates if d)
        if code in quota_cells:
            path: tuple = ("convention", "quotas", code)
        elif users_of:
            path = ("users", user_index[users_of[0]["id"]])
        elif code in planned_holders:
            path = ("users", user_index[planned_holders[code][0]])
        else:
            path = ("convention",)
        data = {
            "code": code,
            "quota": info["quota"],
            "quota_raw": "" if info["raw"] is None else str(info["raw"]),
            "opened": info["quota"] > 0,
            "opened_on": info["opened_on"],
            "amendment": info["amendment"],
            "defined": code in catalogue,
            "active_users": len(counted),
            "holders": counted,
            "all_holders": [u["id"] for u in users_of],
            "first_granted_on": grants[0] if grants else None,
            "grant_dates": grant_dates,
            # the first grant by holder id, for rules naming who received it before a
            # prerequisite (COORD)
            "grants": {
                u["id"]: first_granted_on(u, code) for u in users_of if first_granted_on(u, code)
            },
            "planned_users": len(planned_holders.get(code, ())),
            "planned_holders": planned_holders.get(code, []),
        }
        out.append(Entity("profile", code, path, data, {}, code))
    return out
