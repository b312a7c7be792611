"""A user's entitlement on a row's day (facts.users.Entitlement, read once per user by the log
pass) answers exactly as holds_on and the end of a fixed-term contract do, over every combination
of status, dates, profile periods and contracts drawn here."""

from __future__ import annotations

import random

from cdap_policy.evaluate.facts.users import Entitlement, contract_end, holds_on

DAYS = ["2020-01-01", "2021-06-15", "2022-03-01", "2023-01-01", "2024-12-31"]
PROFILES = ["T1", "T2", "T19"]


def _user(rng: random.Random) -> dict:
    user: dict = {"id": "u-1", "status": rng.choice(["active", "revoked", "left", "suspended"])}
    if rng.random() < 0.1:
        user["status"] = "planned"
    for key in ("granted_on", "revoked_on", "left_on", "suspended_on"):
        if rng.random() < 0.5:
            user[key] = rng.choice(DAYS)
    if rng.random() < 0.3:
        user["contract"] = {
            "type": rng.choice(["fixed_term", "intern", "civil_servant"]),
            "ends_on": rng.choice(DAYS),
        }
    profiles: list = []
    for _ in range(rng.randint(0, 3)):
        if rng.random() < 0.5:
            profiles.append(rng.choice(PROFILES))
        else:
            period = {"profile": rng.choice(PROFILES)}
            for key in ("granted_on", "ended_on"):
                if rng.random() < 0.6:
                    period[key] = rng.choice(DAYS)
            profiles.append(period)
    user["profiles"] = profiles
    return user


def test_entitlement_answers_as_holds_on_and_the_contract_end():
    rng = random.Random(24)
    for _ in range(1500):
        user = _user(rng)
        entitled = Entitlement(user)
        ends = contract_end(user)
        for profile in [*PROFILES, None]:
            for day in [*DAYS, "2019-12-31", "2025-06-30"]:
                expected = holds_on(user, profile, day) and not (ends and day > ends)
                assert entitled.on(profile, day) == bool(expected), (user, profile, day)
