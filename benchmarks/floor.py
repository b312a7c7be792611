"""The floor: five rules of the pack written by hand in plain Python, on the department and a
consultation log, against cdap-policy evaluating the same five rules on the same data.

    python benchmarks/floor.py                  # 10,000 log rows, both engines where installed
    python benchmarks/floor.py --rows 100000 --repeat 9

What a hand-written checker could not do faster without another language: no rule engine, no
schema, no report, only the checks. Both sides start from the snapshot already read (its data in
memory) and the log on disk, which both read (Python's csv module here; cdap-policy's own
readers). Times are CPU seconds, medians of interleaved runs, so that the ratio holds on a
loaded or slower machine. The script first checks that the floor finds exactly what cdap-policy
finds (the failing users of each rule, the failing rows of each user): a floor that checked less
would flatter nobody.

The rules: gov-nominative-personal-account and gov-nominative-unique-email (every active or
planned user), gov-inactive-habilitation (a date computation per user), scope-t19-rsa-status and
scope-active-user (every row of the log, the second one against the user's habilitation on the
row's day).
"""

from __future__ import annotations

import argparse
import csv
import datetime
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
AS_OF = "2025-06-30"
RULES = (
    "gov-nominative-personal-account",
    "gov-nominative-unique-email",
    "gov-inactive-habilitation",
    "scope-t19-rsa-status",
    "scope-active-user",
)
ENDS = ("revoked_on", "left_on", "suspended_on")


# -- the five rules in plain Python ---------------------------------------------------------------


def _in_force(user: dict, day: str) -> bool:
    if user.get("status") == "planned":
        return False
    granted = user.get("granted_on")
    if granted and day < granted:
        return False
    for end in ENDS:
        if user.get(end) and day >= user[end]:
            return False
    return user.get("status") == "active" or any(user.get(end) for end in ENDS)


def _holds(user: dict, profile: str, day: str) -> bool:
    if profile not in (user.get("profiles") or []):
        return False
    granted = (user.get("profile_granted_on") or {}).get(profile) or user.get("granted_on")
    return bool(granted) and granted <= day and _in_force({**user, "granted_on": granted}, day)


def _days(start: str, end: str) -> int:
    return (datetime.date.fromisoformat(end[:10]) - datetime.date.fromisoformat(start[:10])).days


def floor(data: dict, log: Path, params: dict, as_of: str = AS_OF) -> dict:
    """rule -> {user id: failing rows (1 for a user rule)}."""
    users = data["users"]
    by_id = {u["id"]: u for u in users}
    active = {u["id"]: u.get("status") == "active" and _in_force(u, as_of) for u in users}
    out: dict = {rule: {} for rule in RULES}
    emails: dict = {}
    for user in users:
        if active[user["id"]] and user.get("email"):
            key = user["email"].strip().lower()
            emails[key] = emails.get(key, 0) + 1
    inactive_days = params["inactive_days"]
    for user in users:
        uid, is_active = user["id"], active[user["id"]]
        if (
            (is_active or user.get("status") == "planned")
            and "account_type" in user
            and user["account_type"] != "personal"
        ):
            out["gov-nominative-personal-account"][uid] = 1
        if (
            is_active
            and "email" in user
            and user["email"]
            and emails[user["email"].strip().lower()] > 1
        ):
            out["gov-nominative-unique-email"][uid] = 1
        if is_active:
            since = user.get("last_login_on") or user.get("granted_on")
            if since is None or _days(since, as_of) > inactive_days:
                out["gov-inactive-habilitation"][uid] = 1
    statuses = set(params["t19_rsa_statuses"])
    t19, unknown = out["scope-t19-rsa-status"], out["scope-active-user"]
    with open(log, newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            uid, profile = row["user"], row["profile"]
            if profile == "T19" and row.get("rsa_status") not in statuses:
                t19[uid] = t19.get(uid, 0) + 1
            user = by_id.get(uid)
            if user is None or not _holds(user, profile, row["at"][:10]):
                unknown[uid] = unknown.get(uid, 0) + 1
    return out


# -- cdap-policy on the same rules ----------------------------------------------------------------


def found_by_cdap_policy(report) -> dict:
    out: dict = {rule: {} for rule in RULES}
    for finding in report.findings:
        if finding.status == "fail" and finding.rule_id in out:
            out[finding.rule_id][finding.entity_key] = finding.evidence.get("rows", 1)
        elif finding.status == "error":
            raise SystemExit(
                f"cdap-policy could not evaluate {finding.rule_id} on {finding.entity_key}"
            )
    return out


def measure(rows: int = 10_000, repeat: int = 7, engines=("compiled", "native")) -> dict:
    """{"floor": s, "log_parse": s of the floor's csv pass alone, engine: s, "rows": n, "findings":
    n} (CPU seconds, medians); raises SystemExit when the two disagree."""
    import generate_log

    from cdap_policy.evaluate.runner import evaluate
    from cdap_policy.load.pack import load_pack
    from cdap_policy.load.snapshot import load_snapshot

    with tempfile.TemporaryDirectory() as tmp:
        path = generate_log.main(["--rows", str(rows), "--out", tmp])
        snapshot = load_snapshot(path)
        log = snapshot.consultation_log()
        packs = {engine: load_pack(runner=engine) for engine in engines}
        params = next(iter(packs.values())).param_values
        expected = floor(snapshot.data, log, params)
        for engine, pack in packs.items():
            got = found_by_cdap_policy(evaluate(pack, snapshot, AS_OF, rule_ids=set(RULES)))
            if got != expected:
                differing = [r for r in RULES if got[r] != expected[r]]
                raise SystemExit(
                    f"the floor and cdap-policy ({engine}) disagree on {differing}: "
                    f"{ {r: (expected[r], got[r]) for r in differing} }"
                )

        def parse_only():
            with open(log, newline="", encoding="utf-8") as handle:
                for _ in csv.DictReader(handle):
                    pass

        timed = {"floor": lambda: floor(snapshot.data, log, params), "log_parse": parse_only}
        for engine, pack in packs.items():
            timed[engine] = lambda pack=pack: evaluate(pack, snapshot, AS_OF, rule_ids=set(RULES))
        spent: dict = {name: [] for name in timed}
        for run in timed.values():  # warm: caches, first conversions, imports
            run()
        for _ in range(repeat):  # interleaved: a burst of load hits every side alike
            for name, run in timed.items():
                start = time.process_time()
                run()
                spent[name].append(time.process_time() - start)
        out = {name: statistics.median(values) for name, values in spent.items()}
        out["rows"], out["findings"] = rows, sum(len(v) for v in expected.values())
        return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument(
        "--engines", default=None, help="compiled,native (default: both where installed)"
    )
    args = parser.parse_args(argv)
    from cdap_policy.engines import available

    engines = (
        args.engines.split(",")
        if args.engines
        else ["compiled"] + (["native"] if available("native") is None else [])
    )
    result = measure(args.rows, args.repeat, engines)
    print(
        f"Five rules on the department and a {args.rows:,}-row log ({result['findings']} findings,"
        f" the same on both sides); CPU, medians of {args.repeat}:"
    )
    print(
        f"  plain Python (the floor): {result['floor'] * 1000:.1f} ms, of which reading the log"
        f" with csv {result['log_parse'] * 1000:.1f} ms"
    )
    for engine in engines:
        print(
            f"  cdap-policy, {engine}: {result[engine] * 1000:.1f} ms,"
            f" ×{result[engine] / result['floor']:.2f} the floor"
        )


if __name__ == "__main__":
    main()
