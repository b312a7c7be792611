"""Generate synthetic partners (snapshots) and consultation logs, deterministically from a seed.

    python benchmarks/generate.py --count 1000 --out /tmp/partners            #
    /tmp/partners/snapshots/
    cdap-policy check /tmp/partners/snapshots --as-of 2025-06-30 --format jsonl -o report.jsonl
    python benchmarks/generate.py --count 200 --violations 0.3 --broken 5      # defects, unreadable
    files python benchmarks/generate.py --count 1 --kind department --users 3000 --log-rows 1000000

Partners cover every organisation kind of the schema (taken in turn, so any --count of at least
that many holds each) and every profile of both bulletins (the profile catalogue of the live
pack says which kind may hold which profile): a CCAS has a handful of users, a department
hundreds to thousands. Without a defect a partner is compliant with every rule on --as-of
(default 2025-06-30): check them with the same `--as-of`. A share of them (--violations) gets
one to three deliberate defects, each named with the rule it breaks in `manifest.json` (beside
the snapshots folder, so that checking the folder does not read it); --broken adds files that
cannot be read (bad YAML, a schema error, a duplicate key, a bad SIRET).
Logs (--log-rows) are CSV or JSON Lines next to each snapshot, their rows within every rule
(RSA window, instructor number, known allocataire number...), --log-violations of them not.

Every snapshot written is loaded back with the live schema (cdap_policy.load.snapshot) unless
--no-validate: a generator that drifted from the schema fails here, not in a benchmark.
People are fictitious (the name lists of fixtures/make_department.py).
"""

from __future__ import annotations

import argparse
import csv
import datetime
import functools
import gzip
import json
import math
import random
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "fixtures"))

# fictitious names, shared with the department fixture
from make_department import FIRST, LAST  # noqa: E402

AS_OF = "2025-06-30"
PROFILES_FILE = ROOT / "policies" / "params" / "profiles.yaml"
SCHEMA_FILE = ROOT / "schemas" / "snapshot.schema.json"
SNAPSHOTS = "snapshots"  # the folder under --out that holds the snapshots (and their logs)
LOG_COLUMNS = [
    "at",
    "user",
    "profile",
    "file",
    "rsa_status",
    "rsa_ended_on",
    "entry",
    "non_opposition",
    "instructor_number",
    "cmg_request",
    "rights_from",
]
MAX_ROWS_PER_USER_DAY = 60  # on average; the pack flags a user above 200 consultations in a day

# users per partner, by kind: (low, high), drawn log-uniformly
SIZES = {
    "department": (60, 3000),
    "metropolis": (20, 1200),
    "state": (5, 120),
    "ccas": (2, 12),
    "cias": (2, 15),
    "commune": (2, 25),
    "epci": (2, 30),
    "hospital": (3, 40),
    "medico_social": (2, 20),
    "mdph": (3, 40),
    "carsat": (10, 200),
    "cnav": (10, 150),
    "msa": (10, 200),
    "cmsa": (10, 150),
    "cramif": (10, 150),
    "cpam": (10, 300),
    "cgss": (10, 120),
    "urssaf": (5, 80),
    "departmental_insertion_agency": (10, 200),
}
DEFAULT_SIZE = (1, 15)
IDF = ["75", "77", "78", "91", "92", "93", "94", "95"]
DOM = ["971", "972", "973", "974", "976"]
METROPOLE_DEPTS = [f"{n:02d}" for n in range(1, 96) if n != 20] + ["2A", "2B"]
FOREIGN = ["DE", "BE", "LU", "ES", "IT", "CH"]
# flags of the catalogue routes open to any kind (T2: a Caf social-action subsidy; T4: a mandate
# to instruct the RSA; T5 (2025): a contract with the department for RSA support; T9: court-ordered
# protection measures), for the kinds that have them in practice; the flags of routes naming a kind
# are read from the catalogue itself
FLAGS = {
    "association": [
        "caf_social_action_subsidy",
        "protection_mandate",
        "rsa_instruction_mandate",
        "rsa_support_contract",
    ],
    "approved_association": [
        "protection_mandate",
        "rsa_instruction_mandate",
        "rsa_support_contract",
    ],
    "other": ["caf_social_action_subsidy"],
    "social_service_provider": ["caf_social_action_subsidy"],
    "protection_body": ["protection_mandate"],
    "department": ["protection_mandate"],
    "hospital": ["protection_mandate"],
    "medico_social": ["protection_mandate"],
    "ccas": ["protection_mandate", "rsa_instruction_mandate"],
    "cias": ["rsa_instruction_mandate"],
    "msa": ["rsa_instruction_mandate"],
    "cmsa": ["rsa_instruction_mandate"],
    "departmental_insertion_agency": ["rsa_instruction_mandate"],
}
FUNCTIONS = {
    "T1": ["Assistant(e) de service social", "Conseiller(ère) en économie sociale et familiale"],
    "T4": ["Instructeur(rice) RSA"],
    "T5": ["Chargé(e) de suivi des dossiers RSA"],
    "T18": ["Juriste contentieux RSA"],
    "T19": ["Contrôleur(se) RSA"],
    "T22": ["Assistant(e) de service social"],
}
BROWSERS = [("firefox", 128), ("edge", 126), ("chrome", 131)]


class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # libyaml when present
    """Quotes every string a YAML 1.2 reader (the checker's) could take for a number, a boolean
    or null: department "09" must stay text."""


def _represent_str(dumper, value: str):
    risky = (
        value[:1].isdigit()
        or value[:1] in "+-."
        or value.lower() in ("yes", "no", "true", "false", "null", "~", "on", "off", "")
    )
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style='"' if risky else None)


_Dumper.add_representer(str, _represent_str)


def dump(data: dict) -> str:
    return yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=140)


def day(text_or_date, offset: int = 0) -> str:
    base = (
        datetime.date.fromisoformat(text_or_date) if isinstance(text_or_date, str) else text_or_date
    )
    return (base + datetime.timedelta(days=offset)).isoformat()


@functools.cache  # read once: the pack's files do not change during a run
def parameters() -> dict:
    """Every parameter of the live pack: name -> value (policies/params/*.yaml)."""
    values = {}
    for path in sorted((ROOT / "policies" / "params").glob("*.yaml")):
        for name, spec in (
            yaml.safe_load(path.read_text(encoding="utf-8")).get("parameters") or {}
        ).items():
            values[name] = spec.get("value")
    return values


@functools.cache  # read once: the pack's files do not change during a run
def _schema() -> dict:
    return json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))


@functools.cache  # read once: the pack's files do not change during a run
def catalogue() -> dict:
    return yaml.safe_load(PROFILES_FILE.read_text(encoding="utf-8"))["parameters"]["profiles"][
        "value"
    ]


@functools.cache  # read once: the pack's files do not change during a run
def kinds() -> tuple:
    """Every organisation kind of the live schema, in its order."""
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    kind = schema["properties"]["partner"]["properties"]["kind"]
    if "$ref" in kind:
        kind = schema["$defs"][kind["$ref"].rsplit("/", 1)[-1]]
    return tuple(kind["enum"])


@functools.cache  # read once: the pack's files do not change during a run
def country_groups() -> dict:
    data = yaml.safe_load(
        (ROOT / "policies" / "params" / "countries.yaml").read_text(encoding="utf-8")
    )
    countries = data["parameters"]["countries"]["value"]
    return {name: set(codes) for name, codes in countries.items() if isinstance(codes, list)}


@functools.cache  # read once: the pack's files do not change during a run
def partner_fields() -> set:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    return set(schema["properties"]["partner"]["properties"])


def route(profile: dict, partner: dict, groups: dict, flags=()) -> dict | None:
    """The first route of the catalogue (celfuncs.eligible(), as data) by which the partner may
    hold the profile, counting the partner `flags` as set; None if there is none."""
    for candidate in profile["routes"]:
        if candidate["organisations"] and partner["kind"] not in candidate["organisations"]:
            continue
        if any(not (partner.get(flag) or flag in flags) for flag in candidate["requires"]):
            continue
        if candidate["departments"] and partner.get("department") not in candidate["departments"]:
            continue
        if candidate["country_groups"] and not any(
            partner.get("country") in groups.get(g, ()) for g in candidate["country_groups"]
        ):
            continue
        return candidate
    return None


def eligible(profile: dict, partner: dict, groups: dict) -> bool:
    return route(profile, partner, groups) is not None


def candidate_flags(kind: str, profiles: dict) -> set:
    """Flags a partner of this kind may have: those of the routes that name its kind, and, for
    the routes open to any kind, those FLAGS gives it."""
    flags = set(FLAGS.get(kind, []))
    for profile in profiles.values():
        for candidate in profile["routes"]:
            if kind in candidate["organisations"]:
                flags.update(candidate["requires"])
    return flags


def _luhn_key(digits: str) -> str:
    """The digit that makes `digits` + it pass the Luhn checksum."""
    total = 0
    for index, ch in enumerate(reversed(digits)):
        n = int(ch) * (
            1 if index % 2 else 2
        )  # the key will take position 0: the others shift by one
        total += n - 9 if n > 9 else n
    return str(-total % 10)


def luhn_siret(rng: random.Random, prefix: str = "2") -> str:
    """A SIRET whose SIREN (9 digits) and whole number (14) each pass the Luhn checksum. It draws
    as many digits as it always did, so that the partners a seed gives stay the same otherwise."""
    body = prefix + "".join(str(rng.randrange(10)) for _ in range(12 - len(prefix)))
    siren = body[:8] + _luhn_key(body[:8])
    return siren + body[8:12] + _luhn_key(siren + body[8:12])


def _ascii(text: str) -> str:
    table = str.maketrans("éèêëàâäîïôöùûüçÉÈÀÎÔÇ' ", "eeeeaaaiioouuucEEAIOC--")
    return text.lower().translate(table)


class Names:
    """Unique fictitious identities for one partner: first × last × a second family name."""

    def __init__(self, rng: random.Random):
        self.offset = rng.randrange(len(FIRST) * len(LAST))
        self.count = 0

    def next(self) -> tuple[str, str]:
        i = self.offset + self.count
        self.count += 1
        first = FIRST[i % len(FIRST)]
        last = LAST[(i // len(FIRST)) % len(LAST)]
        extra = i // (len(FIRST) * len(LAST))
        if extra:
            last = f"{last}-{LAST[(extra - 1) % len(LAST)]}" + (
                f"-{extra // len(LAST)}" if extra > len(LAST) else ""
            )
        return first, last


# -- one partner
# ---------------------------------------------------------------------------------------


def partner(
    seed: int,
    index: int,
    kind: str,
    users: int | None = None,
    edition: int | None = None,
    as_of: str = AS_OF,
    max_users: int | None = None,
    prefer=frozenset(),
) -> dict:
    """A compliant snapshot of one partner (dict), the same for the same arguments; it holds the
    profiles of `prefer` it may hold (as many as it has users)."""
    rng = random.Random(f"{seed}/{index}/{kind}")
    cat, groups = catalogue(), country_groups()
    p: dict = {"name": "", "siret": luhn_siret(rng), "kind": kind}
    if kind == "departmental_insertion_agency":
        p["department"] = rng.choice(DOM)
    elif kind == "transport_social_pricing_provider":
        p["department"] = rng.choice(IDF)
    elif kind == "foreign_social_security":
        p["country"] = rng.choice(FOREIGN)
    else:
        p["department"] = rng.choice(METROPOLE_DEPTS)
    flags = {e: candidate_flags(kind, cat[str(e)]) for e in (2025, 2017)}

    def open_editions():
        return [
            e
            for e in (2025, 2017)
            if any(route(prof, p, groups, flags[e]) for prof in cat[str(e)].values())
        ]

    editions = open_editions()
    if (
        not editions and "department" in p
    ):  # a kind open only in some departments (the Cnav: Île-de-France)
        named = sorted(
            {
                d
                for e in (2025, 2017)
                for prof in cat[str(e)].values()
                for r in prof["routes"]
                if kind in r["organisations"]
                for d in r["departments"]
            }
        )
        if named:
            p["department"] = rng.choice(named)
            editions = open_editions()
    if not editions:
        raise ValueError(f"no profile of either bulletin is open to kind {kind!r}")
    if edition is None:
        edition = editions[0] if len(editions) == 1 or rng.random() < 0.7 else editions[1]
    elif edition not in editions:
        raise ValueError(f"kind {kind!r} may hold no profile of the {edition} bulletin")
    profiles_cat = cat[str(edition)]
    open_profiles = [
        code for code, prof in profiles_cat.items() if route(prof, p, groups, flags[edition])
    ]
    low, high = SIZES.get(kind, DEFAULT_SIZE)
    count = (
        users
        if users is not None
        else int(round(math.exp(rng.uniform(math.log(low), math.log(high)))))
    )
    if max_users is not None:
        count = min(count, max_users)
    count = max(count, 1)
    held = _choose_profiles(rng, open_profiles, count, prefer)
    # the flags of the route each held profile is open by, and what the schema asks of its
    # holders
    for code in held:
        for flag in route(profiles_cat[code], p, groups, flags[edition])["requires"]:
            p[flag] = True
    _holder_fields(p, held, edition, as_of)
    name = _partner_name(rng, kind, index)
    p["name"] = name
    domain = f"{_ascii(name)[:40].strip('-')}.example"
    p["missions"] = sorted({profiles_cat[code]["missions"][0] for code in held})
    p["missions_text"] = "Missions exercées au titre de la convention (partenaire synthétique)."
    p["beneficiary_information"] = {
        "method": "notice on every application form",
        "since": None,
        "non_opposition_recorded": True,
    }
    browsers = _browsers(as_of)
    p["workstations"] = [
        {"browser": b, "version": v, "count": max(1, count // len(browsers))}
        for b, v in browsers[: rng.randint(1, len(browsers))]
    ]

    as_of_date = datetime.date.fromisoformat(as_of)
    if edition == 2025:
        signed = as_of_date - datetime.timedelta(days=rng.randint(150, 400))
        signed = max(signed, datetime.date(2025, 1, 6))
        if signed > as_of_date - datetime.timedelta(days=120):
            signed = as_of_date - datetime.timedelta(days=120)
    else:
        signed = datetime.date(2017, rng.randint(3, 10), rng.randint(1, 28))
    opened = signed + datetime.timedelta(days=rng.randint(14, 40))
    p["beneficiary_information"]["since"] = day(opened)
    data = {
        "snapshot": {"taken_on": as_of, "source": "benchmarks/generate.py", "schema_version": "1"},
        "partner": p,
    }

    user_list, by_profile = _users(
        rng, held, count, opened, as_of_date, domain, kind, edition, profiles_cat
    )
    quotas = {}
    for code in profiles_cat:
        n = len(by_profile.get(code, []))
        quotas[code] = max(n + 1, math.ceil(n / 0.8)) if n else ("/" if edition == 2017 else "")
    convention = {
        "framework": "mon_compte_partenaire",
        "edition": edition,
        "number": f"CDAP-{p.get('department', '99')}-{signed.year}-{index:05d}",
        "caf": f"Caf n° {rng.randint(1, 101)}",
        "signed_on": day(signed),
        "deliberation": {"body": "organe délibérant", "adopted_on": day(signed, -20)},
        "data_protection_formalities_on": day(signed, -rng.randint(5, 30)),
        "service_contract_signed_on": day(signed),
        "bulletin_signed_on": day(signed),
        "access_opened_on": day(opened),
        "management_mode": "delegated",
        "quotas": quotas,
        "requested_total": sum(q for q in quotas.values() if isinstance(q, int)),
    }
    t1 = by_profile.get("T1", [])
    if edition == 2025 and t1:
        convention["t1_attestation"] = {
            "signed_on": day(min(u["granted_on"] for u in t1), -1),
            "entries": [
                {
                    "user": u["id"],
                    "last_name": u["last_name"],
                    "first_name": u["first_name"],
                    "diploma": u["diploma"]["type"],
                    "awarded_on": u["diploma"]["awarded_on"],
                }
                for u in t1
            ],
        }
    if edition == 2025:  # the supporting document of each profile other than T1, given at signature
        convention["supporting_documents"] = [
            {"profile": code, "document": "justificatif", "provided_on": day(signed, -1)}
            for code in sorted(by_profile, key=lambda c: int(c[1:]))
            if code != "T1"
        ]
    data["convention"] = convention
    data["contacts"] = _contacts(rng, domain, signed)
    data["users"] = user_list
    review = as_of_date - datetime.timedelta(days=rng.randint(20, 60))
    data["reviews"] = {
        "reverse_reviews": [
            {"performed_on": day(review), "by": "adm-1", "sent_to_caf_on": day(review, 5)}
        ],
        "annual_reviews": [{"held_on": day(review, -10), "minutes_validated_on": day(review, 10)}],
    }
    if "T19" in by_profile:
        first_t19 = min(u["granted_on"] for u in by_profile["T19"])
        data["reviews"]["control_committees"] = [
            {"held_on": day(as_of_date, -170)},
            {"held_on": day(as_of_date, -80)},
        ]
        control = {
            "coordination_convention": {
                "signed_on": day(first_t19, -20),
                "number": f"COORD-{index:05d}",
            },
            "control_plan": _control_plans(first_t19, as_of),
            "job_description": {
                "reference": "FP-CTRL-RSA",
                "dated": day(first_t19, -10),
                "covers": ["missions", "activities", "ethics"],
            },
        }
        control["onsite_controls"] = {
            "ceiling": 350,
            "requested": [
                {"year": as_of_date.year - 1, "count": rng.randint(50, 300)},
                {"year": as_of_date.year, "count": rng.randint(10, 150)},
            ],
        }
        control["results"] = [
            {
                "id": f"ctl-{as_of_date.year}-001",
                "kind": "documents",
                "concluded_on": day(as_of_date, -40),
                "target": "no_change",
            }
        ]
        control["fraud_files"] = []
        data["control"] = control
    data.update({"subcontractors": [], "data_stores": [], "automations": [], "incidents": []})
    return data


def _browsers(as_of: str) -> list[tuple[str, int]]:
    """Browsers at their newest release maintained on `as_of` (parameter
    browser_supported_releases).
    """
    releases = parameters().get("browser_supported_releases") or {}
    dated = [d for d in releases if str(d) <= as_of]
    if not dated:
        return BROWSERS
    supported = releases[max(dated, key=str)]
    return [
        (b, max(supported[b])) for b in ("firefox", "edge", "chrome") if b in supported
    ] or BROWSERS


def _control_plans(first_t19: str, as_of: str) -> list | dict:
    """One validated plan per year of T19 use, the first before the first access (a single plan
    where the schema still has one)."""
    plan = {
        "reference": "Délibération CP-{year}-118",
        "validated_by": "Commission permanente",
        "sections": [
            "objectives",
            "methods",
            "caf_coordination",
            "means",
            "indicators",
            "caf_follow_up",
            "fraud_qualification",
            "sanctions",
        ],
    }
    schema = _schema()["properties"]["control"]["properties"]["control_plan"]
    yearly = schema.get("type") == "array" or any(
        o.get("type") == "array" for o in schema.get("oneOf", [])
    )
    first_year, last_year = int(first_t19[:4]), int(as_of[:4])
    if not yearly:
        return {
            **plan,
            "reference": plan["reference"].format(year=first_year),
            "validated_on": day(first_t19, -15),
        }
    return [
        {
            "year": year,
            **plan,
            "reference": plan["reference"].format(year=year),
            "validated_on": day(first_t19, -15) if year == first_year else f"{year}-01-15",
        }
        for year in range(first_year, last_year + 1)
    ]


def _holder_fields(p: dict, held: list, edition: int, as_of: str) -> None:
    """Partner fields the schema describes as needed by the holders of a profile, set when the
    live schema has them (older schemas do not)."""
    known = partner_fields()
    wanted = {}
    if "T4" in held and not (
        p["kind"] == "department" or (p["kind"] == "metropolis" and p.get("rsa_authority"))
    ):
        wanted["rsa_instruction_mandate"] = True
    if "T9" in held:
        wanted["protection_mandate"] = True
    if "T13" in held:
        wanted["fsl_instruction"] = True
    if "T1" in held and edition == 2025 and p["kind"] in ("ccas", "cias"):
        wanted["ccas_t1_conditions_met"] = True
    if "T16" in held and p["kind"] == "prefecture":
        wanted["ccapex_provision_until"] = day(as_of, 365)
    p.update({k: v for k, v in wanted.items() if k in known})


def _partner_name(rng: random.Random, kind: str, index: int) -> str:
    towns = [
        "Val-Morin",
        "Belcombe",
        "Saint-Aubin",
        "Montclair",
        "Villebrume",
        "Roche-Aval",
        "Lauch",
        "Pré-Fleuri",
    ]
    return f"{kind.replace('_', ' ').capitalize()} de {rng.choice(towns)} n° {index}"


def _choose_profiles(
    rng: random.Random, open_profiles: list[str], count: int, prefer=frozenset()
) -> list[str]:
    """A few of the profiles the partner may hold, always the first of them, never more than
    users; profiles in `prefer` (not yet held by any partner of the batch) before the others."""
    first, others = open_profiles[0], open_profiles[1:]
    rng.shuffle(others)
    others.sort(key=lambda code: code not in prefer)
    wanted = max(rng.randint(0, 3), sum(1 for code in others if code in prefer))
    return [first] + sorted(
        others[: max(0, min(len(others), count - 1, wanted))], key=lambda code: int(code[1:])
    )


def _users(rng, held, count, opened, as_of_date, domain, kind, edition, profiles_cat):
    names = Names(rng)
    weights = [6 if code == "T1" else 3 if code == "T5" else 1 for code in held]
    assignment = list(held) + rng.choices(held, weights=weights, k=count - len(held))
    users, by_profile = [], {}
    span = max(1, (as_of_date - opened).days - 30)
    for number, code in enumerate(assignment, 1):
        first, last = names.next()
        granted = opened + datetime.timedelta(days=rng.randrange(span))
        user = {
            "id": f"u-{number:04d}",
            "first_name": first,
            "last_name": last,
            "email": f"{_ascii(first)}.{_ascii(last)}.{number}@{domain}",
            "function": rng.choice(FUNCTIONS.get(code, ["Agent(e) habilité(e)"])),
            "contract": {"type": rng.choice(["civil_servant", "permanent"])},
            "profiles": [code],
            "status": "active",
            "granted_on": day(granted),
            "last_login_on": day(as_of_date, -rng.randint(0, 25)),
        }
        diplomas = profiles_cat[code]["diplomas"]
        allowed = diplomas.get(kind) or diplomas.get("default")
        if allowed:
            user["diploma"] = {
                "type": rng.choice([d for d in allowed if d not in ("other", "none")]),
                "awarded_on": day(granted, -rng.randint(400, 9000)),
            }
        commitment = day(granted, -rng.randint(1, 10))
        user["commitment_signed_on"] = commitment
        user["security_briefed_on"] = commitment
        if profiles_cat[code].get("instructor_number"):
            user["instructor_number"] = f"INS-{rng.randrange(10**6):06d}"
        if code == "T19":
            user["individual_order"] = {
                "reference": f"ARR-CTRL-{number:04d}",
                "signed_on": day(granted, -3),
            }
        users.append(user)
        by_profile.setdefault(code, []).append(user)
    return users, by_profile


def _contacts(rng, domain, signed) -> dict:
    names = Names(random.Random(rng.random()))
    people = [names.next() for _ in range(5)]

    def person(i, function):
        first, last = people[i]
        return {
            "first_name": first,
            "last_name": last,
            "function": function,
            "email": f"{_ascii(first)}.{_ascii(last)}@{domain}",
        }

    admin1, admin2 = (
        person(0, "Administrateur(rice) principal(e)"),
        person(1, "Administrateur(rice) suppléant(e)"),
    )
    support = dict(admin2)
    return {
        "administrators": [
            {
                "id": "adm-1",
                "role": "principal",
                **admin1,
                "phone_landline": "01 00 00 00 01",
                "designated_on": day(signed),
            },
            {
                "id": "adm-2",
                "role": "deputy",
                **admin2,
                "phone_mobile": "06 00 00 00 02",
                "designated_on": day(signed),
            },
        ],
        "security_officer": {
            **person(2, "Responsable de la sécurité des systèmes d'information"),
            "phone_landline": "01 00 00 00 03",
        },
        "data_protection_referent": person(3, "Délégué(e) à la protection des données"),
        "support_l1": support,
        "escalation": [
            {k: admin2[k] for k in ("first_name", "last_name", "function")}
            | {"phone_landline": "01 00 00 00 02"}
        ],
    }


# -- defects: a share of partners breaks a rule on purpose
# --------------------------------------------
# Each defect touches its own user (or adds one), so that two defects of a partner never hide
# each other; each returns the rule it breaks.


class _Defects:
    def __init__(self, rng: random.Random, data: dict):
        self.rng, self.data = rng, data
        self.untouched = list(data["users"])
        rng.shuffle(self.untouched)
        self.model = json.loads(json.dumps(data["users"][0]))  # before any defect touches it
        self.added = 0

    def user(self) -> dict:
        return self.untouched.pop() if self.untouched else self.fresh_user()

    def fresh_user(self, profile: str | None = None, like: dict | None = None) -> dict:
        """A new account for a new person, like `like` or the first user as generated (with
        `profile` if given)."""
        self.added += 1
        model = like or self.model
        twin = json.loads(json.dumps(model))
        first, last = "Camille", f"Surnuméraire-{self.added}"
        twin.update(
            {
                "id": f"u-x{self.added:03d}",
                "first_name": first,
                "last_name": last,
                "email": f"{_ascii(first)}.{_ascii(last)}@{model['email'].split('@')[1]}",
            }
        )
        twin.pop("individual_order", None)
        if profile is not None and profile != twin["profiles"][0]:
            twin["profiles"] = [profile]
            twin.pop("diploma", None)
        attestation = self.data["convention"].get("t1_attestation")
        if attestation and twin["profiles"][0] == "T1" and "diploma" in twin:
            attestation["entries"].append(
                {
                    "user": twin["id"],
                    "last_name": last,
                    "first_name": first,
                    "diploma": twin["diploma"]["type"],
                    "awarded_on": twin["diploma"]["awarded_on"],
                }
            )
        self.data["users"].append(twin)
        return twin

    def over_quota(self):
        held = {}
        for user in self.data["users"]:
            held.setdefault(user["profiles"][0], []).append(user)
        code, holders = max(held.items(), key=lambda kv: (len(kv[1]), kv[0]))
        if len(holders) == 1:  # one holder more than the quota, however small the partner
            holders.append(self.fresh_user(like=holders[0]))
        quotas = self.data["convention"]["quotas"]
        quotas[code] = len(holders) - 1
        # a holder who leaves or loses the account would bring the count back within the
        # quota
        self.untouched = []
        self.data["convention"]["requested_total"] = sum(
            q for q in quotas.values() if isinstance(q, int)
        )
        return "quota-profile-max"

    def leaver_active(self):
        self.user()["left_on"] = day(self.data["snapshot"]["taken_on"], -self.rng.randint(30, 200))
        return "gov-departure-removed"

    def shared_account(self):
        self.user()["account_type"] = "shared"
        return "gov-nominative-personal-account"

    def briefing_after_grant(self):
        user = self.user()
        user["commitment_signed_on"] = user["security_briefed_on"] = day(user["granted_on"], 20)
        return "gov-security-briefing"

    def applies(self, name: str) -> bool:
        if (
            name == "no_dpo"
        ):  # under 2017 the contrat asks for one; under 2025 only the GDPR, of public bodies
            return self.data["convention"]["edition"] == 2017 or self.data["partner"]["kind"] in (
                parameters().get("dpo_required_kinds") or ()
            )
        return True

    def no_dpo(self):
        del self.data["contacts"]["data_protection_referent"]
        return "gov-dpo" if self.data["convention"]["edition"] == 2017 else "gov-dpo-public-body"

    def contract_ended(self):
        self.user()["contract"] = {
            "type": "fixed_term",
            "ends_on": day(self.data["snapshot"]["taken_on"], -self.rng.randint(20, 100)),
        }
        return "gov-contract-end-active"

    def ineligible_profile(self):
        edition = self.data["convention"]["edition"]
        cat, groups = catalogue()[str(edition)], country_groups()
        closed = [
            c
            for c, prof in cat.items()
            if not eligible(prof, self.data["partner"], groups)
            # under 2017 a T1 quota the Caf signs admits the bodies the bulletin is
            # silent on (advice only)
            and not (
                edition == 2017
                and c == "T1"
                and self.data["partner"]["kind"] in ("epci", "ccas", "cias", "metropolis")
            )
        ]
        code = self.rng.choice(closed)
        self.fresh_user(code)
        self.data["convention"]["quotas"][code] = 5
        if (
            edition == 2017 and "quote" not in cat[code]
        ):  # T6-T16: their 2017 text is not in the documents
            return "elig-2017-unquoted-organisation"
        return f"elig-{code.lower()}-organisation"


DEFECTS = (
    "over_quota",
    "leaver_active",
    "shared_account",
    "briefing_after_grant",
    "no_dpo",
    "contract_ended",
    "ineligible_profile",
)


def add_defects(data: dict, rng: random.Random, count: int) -> list[dict]:
    """Break `count` different rules (fewer if fewer apply to the partner); returns
    [{defect, rule}], the rule each defect is expected to fail."""
    defects = _Defects(rng, data)
    chosen = [name for name in rng.sample(DEFECTS, len(DEFECTS)) if defects.applies(name)][:count]
    # applied in DEFECTS' order: the quota is exceeded before anyone leaves, a new profile
    # comes last
    return [
        {"defect": name, "rule": getattr(defects, name)()} for name in DEFECTS if name in chosen
    ]


# -- consultation logs
# ----------------------------------------------------------------------------------


def log_rows(data: dict, rows: int, seed: int, violations: float = 0.0):
    """(row, defect or None) for `rows` consultations by the partner's users, each on a day the
    user held the habilitation; a `violations` share breaks a scope rule."""
    rng = random.Random(f"log/{seed}/{data['partner']['siret']}")
    as_of = datetime.date.fromisoformat(data["snapshot"]["taken_on"])
    users = [
        u
        for u in data["users"]
        if u["status"] == "active"
        and not u.get("left_on")
        and u.get("account_type") != "shared"
        and u["contract"].get("type") != "fixed_term"
    ]
    cat = catalogue()[str(data["convention"]["edition"])]
    users = [
        u
        for u in users
        if u["profiles"][0] in cat and data["convention"]["quotas"].get(u["profiles"][0])
    ]
    if not users:
        return
    windows = [
        (
            datetime.date.fromisoformat(u["granted_on"]),
            (as_of - datetime.date.fromisoformat(u["granted_on"])).days,
        )
        for u in users
    ]
    capacity = sum(max(0, w) for _, w in windows) * MAX_ROWS_PER_USER_DAY
    if rows > capacity:
        raise ValueError(
            f"{rows} rows are too many for {len(users)} users (at most {capacity}): ask for more"
            " --users"
        )
    weights = [max(0, w) for _, w in windows]
    for _ in range(rows):
        i = rng.choices(range(len(users)), weights=weights)[0]
        user, (start, width) = users[i], windows[i]
        when = start + datetime.timedelta(days=rng.randrange(width))
        code = user["profiles"][0]
        row = {
            "at": f"{when.isoformat()}T{rng.randint(8, 17):02d}:{rng.randint(0, 59):02d}:00",
            "user": user["id"],
            "profile": code,
            "file": f"F-{rng.randint(1, 9_999_999):07d}",
        }
        prof = cat[code]
        if prof.get("rsa_window") or code == "T19":
            status = rng.choice(["paid", "paid", "suspended", "ended"])
            row["rsa_status"] = status
            if status == "ended":
                row["rsa_ended_on"] = day(when, -rng.randint(1, 600))
        if prof.get("instructor_number"):
            row["instructor_number"] = user.get("instructor_number", f"INS-{user['id']}")
        if prof.get("cmg_only"):
            row["cmg_request"] = True
        if prof.get("rights_window"):
            row["rights_from"] = day(when, -rng.randint(0, 700))
        if code in ("T1", "T2"):
            row["entry"], row["non_opposition"] = "known_number", True
        defect = None
        if violations and rng.random() < violations:
            defect = _log_defect(rng, row, prof, code)
        yield row, defect


def _log_defect(rng, row, prof, code) -> str | None:
    if prof.get("rsa_window"):
        row["rsa_status"], row["rsa_ended_on"] = "ended", day(row["at"][:10], -1200)
        return "scope-rsa-window"
    if prof.get("instructor_number"):
        row["instructor_number"] = ""
        return "scope-t4-instructor-number"
    if prof.get("cmg_only"):
        row["cmg_request"] = False
        return "scope-t21-cmg-request"
    if prof.get("rights_window"):
        row["rights_from"] = day(row["at"][:10], -2000)
        return "scope-t20-rights-window"
    return None


def write_log(
    data: dict,
    folder: Path,
    stem: str,
    rows: int,
    seed: int,
    fmt: str = "csv",
    gz: bool = False,
    violations: float = 0.0,
) -> tuple[str, dict]:
    """Write the log next to the snapshot and reference it; returns (file name, defects by rule)."""
    name = f"{stem}.consultations.{fmt}" + (".gz" if gz else "")
    opener = gzip.open if gz else open
    defects: dict[str, int] = {}
    with opener(folder / name, "wt", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=LOG_COLUMNS) if fmt == "csv" else None
        if writer:
            writer.writeheader()
        for row, defect in log_rows(data, rows, seed, violations):
            if defect:
                defects[defect] = defects.get(defect, 0) + 1
            if writer:
                writer.writerow(
                    {
                        k: "true" if v is True else "false" if v is False else v
                        for k, v in row.items()
                    }
                )
            else:
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    taken = data["snapshot"]["taken_on"]
    data["consultations"] = {
        "file": name,
        "format": fmt,
        "period": {"from": data["convention"]["access_opened_on"], "to": day(taken, -1)},
    }
    return name, defects


# -- unreadable files
# -------------------------------------------------------------------------------------


def broken(kind_index: int, data: dict) -> tuple[str, str]:
    """(text, what is wrong) of a file that does not load, made from a good snapshot."""
    text = dump(data)
    choice = kind_index % 4
    if choice == 0:
        return text.replace("partner:\n", "partner:\n  name: [unclosed\n", 1), "yaml"
    if choice == 1:
        del data["users"]
        return dump(data), "schema"
    if choice == 2:
        return (
            text.replace("partner:\n", f"partner:\n  kind: {data['partner']['kind']}\n", 1),
            "duplicate-key",
        )
    data["partner"]["siret"] = data["partner"]["siret"][:-1] + str(
        (int(data["partner"]["siret"][-1]) + 1) % 10
    )
    return dump(data), "siret"


# -- a batch
# ------------------------------------------------------------------------------------------------


def generate(
    out: Path,
    count: int,
    seed: int = 1,
    violations: float = 0.2,
    broken_count: int = 0,
    max_users: int | None = None,
    users: int | None = None,
    kind: str | None = None,
    edition: int | None = None,
    as_of: str = AS_OF,
    log_rows_count: int = 0,
    log_format: str = "csv",
    gz: bool = False,
    log_violations: float = 0.0,
    validate: bool = True,
) -> dict:
    """Write `count` snapshots (and `broken_count` unreadable files) to `out`/snapshots, their
    description to `out`/manifest.json (outside the folder to check); return the manifest."""
    manifest_path, out = out / "manifest.json", out / SNAPSHOTS
    out.mkdir(parents=True, exist_ok=True)
    all_kinds = kinds()
    rng = random.Random(seed)
    entries = []
    every_profile = {code for edition_profiles in catalogue().values() for code in edition_profiles}
    covered: set = set()
    width = max(5, len(str(count + broken_count)))
    for index in range(count):
        k = kind or all_kinds[index % len(all_kinds)]
        data = partner(
            seed,
            index,
            k,
            users=users,
            edition=edition,
            as_of=as_of,
            max_users=max_users,
            prefer=frozenset(every_profile - covered),
        )
        covered.update(p for u in data["users"] for p in u["profiles"])
        defects = (
            add_defects(data, random.Random(f"defects/{seed}/{index}"), rng.randint(1, 3))
            if rng.random() < violations
            else []
        )
        stem = f"partner-{index:0{width}d}-{k}"
        entry = {
            "file": f"{stem}.yaml",
            "kind": k,
            "edition": data["convention"]["edition"],
            "users": len(data["users"]),
            "profiles": sorted({p for u in data["users"] for p in u["profiles"]}),
            "defects": defects,
        }
        if log_rows_count:
            name, log_defects = write_log(
                data, out, stem, log_rows_count, seed, log_format, gz, log_violations
            )
            entry["log"] = {"file": name, "rows": log_rows_count, "defects": log_defects}
        (out / entry["file"]).write_text(
            "# Synthetic partner written by benchmarks/generate.py; fictitious people.\n"
            + dump(data),
            encoding="utf-8",
        )
        entries.append(entry)
    unreadable = []
    for index in range(broken_count):
        k = all_kinds[index % len(all_kinds)]
        text, why = broken(
            index, partner(seed, count + index, k, as_of=as_of, max_users=max_users or 5)
        )
        name = f"broken-{index:0{width}d}-{why}.yaml"
        (out / name).write_text(text, encoding="utf-8")
        unreadable.append({"file": name, "why": why})
    manifest = {
        "snapshots": SNAPSHOTS,
        "seed": seed,
        "as_of": as_of,
        "count": count,
        "violations": violations,
        "partners": entries,
        "broken": unreadable,
        "kinds": sorted({e["kind"] for e in entries}),
        "profiles": sorted({p for e in entries for p in e["profiles"]}, key=lambda p: int(p[1:])),
    }
    manifest_path.write_text(
        json.dumps(manifest, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    if validate:
        check_loadable(out, entries)
    return manifest


def check_loadable(out: Path, entries) -> None:
    """Load every snapshot written with the live schema; raise on the first that does not."""
    from cdap_policy.load.snapshot import load_snapshot
    from cdap_policy.support.errors import InputError

    for entry in entries:
        try:
            load_snapshot(out / entry["file"])
        except InputError as exc:
            raise SystemExit(
                f"generated snapshot does not load (generator out of date with the schema?):\n{exc}"
            ) from None


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100, help="snapshots to write")
    parser.add_argument("--out", type=Path, default=ROOT / "fixtures" / "generated" / "partners")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--violations", type=float, default=0.2, help="share of partners with 1 to 3 defects"
    )
    parser.add_argument("--broken", type=int, default=0, help="unreadable files to add")
    parser.add_argument("--kind", help="only this organisation kind (default: every kind in turn)")
    parser.add_argument("--edition", type=int, choices=[2017, 2025])
    parser.add_argument("--users", type=int, help="users per partner (default: drawn by kind)")
    parser.add_argument("--max-users", type=int, help="cap on users per partner")
    parser.add_argument("--as-of", default=AS_OF, help="the date the partners are compliant on")
    parser.add_argument("--log-rows", type=int, default=0, help="consultation log rows per partner")
    parser.add_argument("--log-format", choices=["csv", "jsonl"], default="csv")
    parser.add_argument("--gzip", action="store_true")
    parser.add_argument(
        "--log-violations", type=float, default=0.0, help="share of log rows breaking a scope rule"
    )
    parser.add_argument(
        "--no-validate", action="store_true", help="do not load every snapshot back"
    )
    args = parser.parse_args(argv)
    manifest = generate(
        args.out,
        args.count,
        args.seed,
        args.violations,
        args.broken,
        args.max_users,
        args.users,
        args.kind,
        args.edition,
        args.as_of,
        args.log_rows,
        args.log_format,
        args.gzip,
        args.log_violations,
        validate=not args.no_validate,
    )
    users = sum(e["users"] for e in manifest["partners"])
    defective = sum(1 for e in manifest["partners"] if e["defects"])
    print(
        f"{args.out / SNAPSHOTS}: {manifest['count']} snapshots ({users} users, {defective} with"
        f" defects, {len(manifest['kinds'])} kinds, {len(manifest['profiles'])} profiles),"
        f" {len(manifest['broken'])} unreadable"
    )


if __name__ == "__main__":
    main()
