"""Facts of the consultation log: what a row says of its user on its day, and the volumes per user
and day as entities.
"""

from __future__ import annotations

from cdap_policy.evaluate.facts.entity import Entity
from cdap_policy.evaluate.facts.users import Entitlement, contract_end


class ConsultationFacts:
    """What a row of the log says of its user on its day; what depends on the user alone is read
    once per user (a log has thousands of rows per user)."""

    def __init__(self, users_by_id: dict, positions: dict):
        """`positions`: user id -> its place in the `users` variable (users in key order)."""
        self.users_by_id, self.positions = users_by_id, positions
        # user id -> (known, place, Entitlement, contract end, status, instructor number)
        self.known: dict = {}

    def __call__(self, row: dict) -> dict:
        uid = row.get("user")
        known = self.known.get(uid)
        if known is None:
            user = self.users_by_id.get(uid)
            known = self.known[uid] = (
                user is not None,
                self.positions.get(uid),
                Entitlement(user) if user else None,
                contract_end(user) if user else None,
                user.get("status") if user else None,
                user.get("instructor_number") if user else None,
            )
        is_known, place, entitled, ended, status, number = known
        day = row["at"][:10]
        return {
            "day": day,
            "user_known": is_known,
            # where evidence reads the user's record (`users[facts.user_index]`): a scan of the
            # users list in CEL costs the native runtime a copy of every user (1 ms on a
            # department)
            "user_index": place,
            # the habilitation was in force that day and held the row's profile (one of its
            # periods), and the person still belonged to the staff (not after the end of a
            # fixed-term contract)
            "user_active": bool(entitled is not None and entitled.on(row.get("profile"), day)),
            "user_contract_ended_on": ended,
            "user_status": status,
            "user_instructor_number": number,
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
