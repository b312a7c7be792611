"""Facts of the consultation log: what a row says of its user on its day, and the volumes per user
and day as entities.
"""

from __future__ import annotations

from cdap_policy.evaluate.facts.entity import Entity
from cdap_policy.evaluate.facts.users import contract_end, entitled_on


def consultation_facts(users_by_id: dict, positions: dict, row: dict) -> dict:
    """`positions`: user id -> its place in the `users` variable (users in key order)."""
    user = users_by_id.get(row.get("user"))
    day = row["at"][:10]
    return {
        "day": day,
        "user_known": user is not None,
        # where evidence reads the user's record (`users[facts.user_index]`): a scan of the users
        # list in CEL costs the native runtime a copy of every user (1 ms on a department)
        "user_index": positions.get(row.get("user")),
        # the habilitation was in force that day and held the row's profile (one of its periods),
        # and the person still belonged to the staff (not after the end of a fixed-term contract)
        "user_active": bool(user and entitled_on(user, row.get("profile"), day)),
        "user_contract_ended_on": contract_end(user) if user else None,
        "user_status": user.get("status") if user else None,
        "user_instructor_number": user.get("instructor_number") if user else None,
    }


def daily_volume_entities(volumes) -> list[Entity]:
    """The consultations per user and day (logs.DailyVolumes) as rules judge them, each placed at
    its first row.
    """
    out = []
    for user, day, count, file, line in volumes:
        entity = Entity(
            "daily_volume",
            f"{user}/{day}",
            ("consultations",),
            {"user": user, "day": day, "count": count},
            {},
            f"{user} {day}",
        )
        entity.location = (file, line)
        out.append(entity)
    return out
