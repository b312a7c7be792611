"""Facts of the consultation log: what a row says of its user on its day, and volumes per user and day."""
from __future__ import annotations

from cdap_policy.facts.entity import Entity
from cdap_policy.facts.users import contract_end, entitled_on


def consultation_facts(users_by_id: dict, row: dict) -> dict:
    user = users_by_id.get(row.get("user"))
    day = row["at"][:10]
    return {
        "day": day,
        "user_known": user is not None,
        # the habilitation was in force that day and held the row's profile (one of its periods), and
        # the person still belonged to the staff (not after the end of a fixed-term contract)
        "user_active": bool(user and entitled_on(user, row.get("profile"), day)),
        "user_contract_ended_on": contract_end(user) if user else None,
        "user_status": user.get("status") if user else None,
        "user_instructor_number": user.get("instructor_number") if user else None,
    }


class DailyCounts:
    """Consultations per user and day, fed row by row during the runner's single pass over the log."""

    def __init__(self):
        self.counts: dict[tuple, list] = {}

    def add(self, file, line, row):
        key = (str(row["user"]), row["at"][:10])
        entry = self.counts.get(key)
        if entry is None:
            self.counts[key] = [1, file, line]
        else:
            entry[0] += 1

    def entities(self) -> list[Entity]:
        out = []
        for (user, day), (count, file, line) in sorted(self.counts.items()):
            entity = Entity("daily_volume", f"{user}/{day}", ("consultations",), {"user": user, "day": day, "count": count}, {}, f"{user} {day}")
            entity.location = (file, line)
            out.append(entity)
        return out
