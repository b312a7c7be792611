"""Write the hostile-input corpus of tests/hostile/inputs/ from the frozen valid snapshot base.yaml.

Every input is a small, deterministic mutation of base.yaml (or a consultation log referenced
from one), so that each case differs from a valid snapshot by exactly the defect it tests. The
expected outcome of each is in cases.yaml. Run `python tests/hostile/make_corpus.py` after
changing this file; tests/test_hostile.py checks the committed files are what it writes.

Very large inputs (50 MB snapshot, 10-million-row log...) are not here: the tests generate them
into a temporary directory (see `make` in cases.yaml).
"""

from __future__ import annotations

import gzip
import json
import random
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
INPUTS = HERE / "inputs"

LOG_HEADER = "at,user,profile,file,entry,non_opposition\n"
LOG_ROW = "2025-06-02T09:15:00,u-1,T1,F0000001,known_number,true\n"
JSON_ROW = '{"at": "2025-06-02T09:15:00", "user": "u-1", "profile": "T1", "file": "F0000001"}\n'


def replace(text: str, old: str, new: str) -> str:
    if text.count(old) != 1:
        raise SystemExit(
            f"make_corpus: {old!r} occurs {text.count(old)} times in base.yaml, expected once"
        )
    return text.replace(old, new)


def with_log(base: str, name: str, fmt: str | None = None) -> str:
    extra = f", format: {fmt}" if fmt else ""
    return base + f"consultations: {{file: logs/{name}{extra}}}\n"


def corpus(base: str) -> dict[str, bytes | str]:
    """file name (relative to inputs/) -> content."""
    users_at = "users:\n"
    files: dict[str, bytes | str] = {}

    # -- YAML structure: bombs, depth, duplicates, tags -----------------------------------------
    laughs = ['lol0: &l0 "lol"']
    for level in range(1, 10):
        laughs.append(f"lol{level}: &l{level} [" + ", ".join([f"*l{level - 1}"] * 9) + "]")
    files["alias-bomb.yaml"] = (
        "# billion laughs: 9 levels of 9 aliases, 387 million strings once expanded\n"
        + "\n".join(laughs)
        + "\n"
    )
    files["alias-bomb-wide.yaml"] = (
        "# one 50,000-item list referenced 100 times: quadratic rather than exponential\n"
        "big: &big [" + ", ".join(["x"] * 50_000) + "]\nrefs: [" + ", ".join(["*big"] * 100) + "]\n"
    )
    files["alias-recursive.yaml"] = replace(
        base, "  kind: ccas\n", "  kind: ccas\n  loop: &loop [*loop]\n"
    )

    def merges(level: int) -> str:
        if level == 0:
            return "&m0 {k: v}"
        return f"&m{level} {{!!merge <<: [{merges(level - 1)}, *m{level - 1}]}}"

    files["merge-bomb.yaml"] = (
        "# nested explicit merge keys: 2^40 entries if expanded\nx: " + merges(40) + "\n"
    )
    files["deep-flow.yaml"] = "[" * 100_000 + "]" * 100_000 + "\n"
    nested = "".join("  " * (i + 2) + f"k{i}:\n" for i in range(70)) + "  " * 72 + "end: 1\n"
    files["deep-block.yaml"] = replace(base, "  kind: ccas\n", "  kind: ccas\n  nested:\n" + nested)
    files["dup-key-top.yaml"] = base + "partner:\n  name: Autre partenaire\n"
    files["dup-key-partner.yaml"] = replace(
        base, "  kind: ccas\n", "  kind: ccas\n  name: CCAS fantôme\n"
    )
    files["dup-key-user.yaml"] = replace(
        base,
        '    status: active\n    granted_on: "2025-04-01"\n    last_login_on: "2025-06-30"\n',
        '    status: active\n    granted_on: "2025-04-01"\n    status: revoked\n    last_login_on:'
        ' "2025-06-30"\n',
    )
    files["dup-key-nested.yaml"] = replace(
        base, "    contract: {type: permanent}\n", "    contract: {type: permanent, type: intern}\n"
    )
    files["dup-key-subcontractor.yaml"] = replace(
        base,
        "subcontractors: []\n",
        "subcontractors:\n  - id: prov-1\n    name: Infogérance Ouest\n    country: FR\n   "
        " subcontractors:\n      - id: prov-1-1\n        name: Hébergeur\n        country: FR\n    "
        "    country: US\n",
    )
    files["dup-key.json"] = (
        json.dumps({"partner": {"name": "A", "kind": "ccas"}}, indent=2)[:-2]
        + ',\n  "partner": {"name": "B"}\n}\n'
    )
    files["tag-python-apply.yaml"] = replace(
        base,
        "  kind: ccas\n",
        '  kind: !!python/object/apply:os.system ["touch /tmp/cdap-pwned"]\n',
    )
    files["tag-python-name.yaml"] = replace(
        base, '  department: "44"\n', "  department: !!python/name:os.system\n"
    )
    files["tag-python-key.yaml"] = replace(
        base,
        "  kind: ccas\n",
        '  kind: ccas\n  ? !!python/object/new:subprocess.Popen [["id"]]\n  : 1\n',
    )
    files["tag-binary.yaml"] = replace(
        base, "  name: CCAS de Villebrume\n", "  name: !!binary Q0NBUyBkZSBWaWxsZWJydW1l\n"
    )
    files["tag-set.yaml"] = replace(
        base, "  missions: [social_action, fsl]\n", "  missions: !!set {social_action, fsl}\n"
    )
    files["tag-bool-yes.yaml"] = replace(
        base, "non_opposition_recorded: true}", "non_opposition_recorded: !!bool yes}"
    )
    files["multi-document.yaml"] = base + "---\npartner: {name: Second document}\n"
    files["tab-indent.yaml"] = replace(base, "  kind: ccas\n", "\tkind: ccas\n")

    # -- encodings and non-YAML content --------------------------------------------------------
    files["bom.yaml"] = b"\xef\xbb\xbf" + base.encode()
    files["utf16.yaml"] = b"\xff\xfe" + base.encode("utf-16-le")
    files["latin1.yaml"] = replace(
        base, "  name: CCAS de Villebrume\n", "  name: CCAS de Villebrume-la-Forêt\n"
    ).encode("latin-1", errors="strict")
    files["nul-byte.yaml"] = replace(base, "  kind: ccas\n", "  kind: cc\x00as\n")
    files["control-escape.yaml"] = replace(
        base, "  - id: u-2\n", '  - id: "u-2\\e[2J\\e]0;pwned\\a"\n'
    )
    files["bidi-override.yaml"] = replace(base, "  - id: u-2\n", '  - id: "u-\\u202e2-u"\n')
    files["huge-integer.yaml"] = replace(base, "count: 6}", "count: 99999999999999999999999}")
    files["empty.yaml"] = ""
    files["comments-only.yaml"] = "# nothing but a comment\n"
    files["list.yaml"] = "- partner: {name: CCAS de Villebrume}\n- users: []\n"
    files["scalar.yaml"] = "CCAS de Villebrume\n"
    rng = random.Random(20250630)
    files["garbage.bin"] = bytes(rng.randrange(256) for _ in range(4096))

    # -- schema: wrong types, formats, enums, unknown fields -----------------------------------
    files["date-french.yaml"] = replace(
        base,
        '  service_contract_signed_on: "2025-03-10"\n',
        '  service_contract_signed_on: "10/03/2025"\n',
    )
    files["date-impossible.yaml"] = replace(
        base, '  access_opened_on: "2025-04-01"\n', '  access_opened_on: "2025-02-30"\n'
    )
    files["date-with-time.yaml"] = replace(
        base,
        '  bulletin_signed_on: "2025-03-10"\n',
        '  bulletin_signed_on: "2025-03-10T10:00:00"\n',
    )
    files["date-unquoted.yaml"] = replace(
        base,
        '  data_protection_formalities_on: "2025-02-20"\n',
        "  data_protection_formalities_on: 2025-02-20\n",
    )
    files["siret-checksum.yaml"] = replace(base, '"26440999600016"', '"26440999600017"')
    files["siret-number.yaml"] = replace(base, '"26440999600016"', "26440999600016")
    files["number-as-string.yaml"] = replace(base, "version: 128", 'version: "128"')
    files["quota-as-string.yaml"] = replace(base, "quotas: {T1: 4,", 'quotas: {T1: "4",')
    files["null-for-list.yaml"] = replace(
        base,
        '    profiles: [T1]\n    status: active\n    granted_on: "2025-04-01"\n    last_login_on:'
        ' "2025-06-27"\n',
        '    profiles: null\n    status: active\n    granted_on: "2025-04-01"\n    last_login_on:'
        ' "2025-06-27"\n',
    )
    files["section-null.yaml"] = replace(base, "data_stores: []\n", "data_stores: null\n")
    files["unknown-field.yaml"] = replace(
        base,
        '    security_briefed_on: "2025-03-28"\n  - id: u-2\n',
        '    security_briefed_on: "2025-03-28"\n    password: hunter2\n  - id: u-2\n',
    )
    files["unknown-section.yaml"] = base + "notes: {internal: true}\n"
    files["enum-status.yaml"] = replace(
        base,
        '    status: active\n    granted_on: "2025-04-01"\n    last_login_on: "2025-06-30"\n',
        '    status: actif\n    granted_on: "2025-04-01"\n    last_login_on: "2025-06-30"\n',
    )
    files["enum-case.yaml"] = replace(base, "  kind: ccas\n", "  kind: CCAS\n")
    files["profile-code.yaml"] = replace(
        base,
        '    profiles: [T1]\n    status: active\n    granted_on: "2025-04-01"\n    last_login_on:'
        ' "2025-06-30"\n',
        '    profiles: [T99]\n    status: active\n    granted_on: "2025-04-01"\n    last_login_on:'
        ' "2025-06-30"\n',
    )
    files["edition.yaml"] = replace(base, "  edition: 2025\n", "  edition: 2024\n")
    files["missing-section.yaml"] = (
        base.partition(users_at)[0] + "reviews:\n" + base.partition("\nreviews:\n")[2]
    )
    files["boolean-yes.yaml"] = replace(
        base, "non_opposition_recorded: true}", "non_opposition_recorded: yes}"
    )
    files["inline-consultation.yaml"] = (
        base + "consultations:\n"
        '  - {at: "2025-06-02T09:15:00", user: u-1, profile: T1}\n'
        '  - {at: "2025-06-02T09:16:00", user: u-1, profile: T1, automated: maybe}\n'
    )

    # -- the same person, or the same id, twice ------------------------------------------------
    twin = (
        "  - {id: %s, first_name: %s, last_name: %s, email: %s, function: CESF, contract: {type:"
        ' civil_servant}, diploma: {type: CESF, awarded_on: "2012-06-29"}, profiles: [T1], status:'
        ' active, granted_on: "2025-04-01", commitment_signed_on: "2025-03-28",'
        ' security_briefed_on: "2025-03-28"}\n'
    )
    files["user-same-id.yaml"] = replace(
        base,
        users_at,
        users_at
        + '  - {id: u-2, profiles: [T1], status: revoked, granted_on: "2025-04-01", revoked_on:'
        ' "2025-04-02"}\n',
    )
    files["user-same-person.yaml"] = replace(
        base, users_at, users_at + twin % ("u-9", "Inès", "LEFRANC", "i.lefranc@villebrume.example")
    )
    files["user-same-person-nfd.yaml"] = replace(
        base,
        users_at,
        users_at + twin % ("u-9", "Ine\u0300s", "Lefranc", "i.lefranc@villebrume.example"),
    )
    files["user-same-person-zwsp.yaml"] = replace(
        base,
        users_at,
        users_at + twin % ("u-9", "In\u200bès", "Lefranc\u200b", "i.lefranc@villebrume.example"),
    )
    files["user-same-email.yaml"] = replace(
        base,
        users_at,
        users_at + twin % ("u-9", "Ines", "Lefranc-Martin", "Ines.Lefranc@Villebrume.example"),
    )
    files["subcontractor-same-id.yaml"] = replace(
        base,
        "subcontractors: []\n",
        "subcontractors:\n"
        "  - id: prov-1\n    name: Infogérance Ouest\n    subcontractors:\n"
        "      - {id: prov-2, name: Hébergeur A}\n      - {id: prov-2, name: Hébergeur B}\n",
    )
    files["markup-in-id.yaml"] = replace(
        base,
        "  - id: u-2\n",
        '  - id: "u-[/]2[bold red][link=https://example.invalid]x"\n    account_type: shared\n',
    )

    # -- consultation logs referenced from a snapshot ------------------------------------------
    logs = {
        "truncated-last-line.csv": LOG_HEADER + LOG_ROW * 3 + LOG_ROW[:23],
        "truncated-quote.csv": LOG_HEADER + LOG_ROW * 3 + '2025-06-02T09:15:00,u-1,T1,"F00',
        "column-count.csv": (
            LOG_HEADER
            + LOG_ROW * 2
            + "2025-06-02T09:15:00,u-1,T1,F0000001,known_number,true,extra\n"
            + LOG_ROW
        ),
        "unknown-column.csv": "at,user,profile,password\n2025-06-02T09:15:00,u-1,T1,hunter2\n",
        "duplicate-column.csv": "at,user,profile,user\n2025-06-02T09:15:00,u-1,T1,u-2\n",
        "bad-date.csv": (
            LOG_HEADER + LOG_ROW + "02/06/2025 09:15,u-1,T1,F0000001,known_number,true\n"
        ),
        "impossible-date.csv": (
            LOG_HEADER + LOG_ROW * 4 + "2025-02-30T09:15:00,u-1,T1,F0000001,known_number,true\n"
        ),
        "bad-boolean.csv": (
            LOG_HEADER + LOG_ROW + "2025-06-02T09:15:00,u-1,T1,F0000001,known_number,peut-être\n"
        ),
        "missing-user.csv": (
            LOG_HEADER + LOG_ROW + "2025-06-02T09:15:00,,T1,F0000001,known_number,true\n"
        ),
        "nul.csv": (
            LOG_HEADER + LOG_ROW + "2025-06-02T09:15:00,u-\x001,T1,F0000001,known_number,true\n"
        ),
        "non-object.jsonl": JSON_ROW + '["2025-06-02T09:15:00", "u-1", "T1"]\n',
        "truncated.jsonl": JSON_ROW * 2 + JSON_ROW[:30],
        "duplicate-key.jsonl": (
            JSON_ROW
            + '{"at": "2025-06-02T09:15:00", "user": "u-1", "user": "u-404", "profile": "T1"}\n'
        ),
        "deep.jsonl": (
            JSON_ROW
            + '{"at": "2025-06-02", "user": "u-1", "profile": "T1", "file": '
            + "[" * 100_000
            + "]" * 100_000
            + "}\n"
        ),
        "huge-integer.jsonl": (
            JSON_ROW
            + '{"at": "2025-06-02", "user": "u-1", "profile": "T1", "file": '
            + "9" * 5000
            + "}\n"
        ),
        "number-user.jsonl": (
            JSON_ROW + '{"at": "2025-06-02T09:15:00", "user": 1, "profile": "T1"}\n'
        ),
    }
    for name, text in logs.items():
        files[f"logs/{name}"] = text
    files["logs/latin1.csv"] = (
        LOG_HEADER + LOG_ROW + "2025-06-02T09:15:00,u-1,T1,Fé,known_number,true\n"
    ).encode("latin-1")
    packed = gzip.compress((LOG_HEADER + LOG_ROW * 5000).encode(), mtime=0)
    files["logs/truncated.csv.gz"] = packed[: len(packed) // 2]
    files["logs/not-gzip.csv.gz"] = LOG_HEADER + LOG_ROW
    for name in list(logs) + ["latin1.csv", "truncated.csv.gz", "not-gzip.csv.gz"]:
        stem = name.split(".")[0]
        kind = "jsonl" if ".jsonl" in name else "csv"
        files[f"log-{stem}-{kind}{'-gz' if name.endswith('.gz') else ''}.yaml"] = with_log(
            base, name
        )
    files["log-missing.yaml"] = with_log(base, "absent.csv")
    files["log-directory.yaml"] = base + "consultations: {file: logs}\n"
    files["log-wrong-format.yaml"] = with_log(base, "truncated-last-line.csv", "jsonl")

    # -- parameter override files (--params) ---------------------------------------------------
    files["params-alias-bomb.yaml"] = "\n".join(laughs) + "\n"
    files["params-unknown.yaml"] = "max_administrators: 3\nmax_administrator: 5\n"
    files["params-tag.yaml"] = "max_administrators: !!python/object/apply:os.getpid []\n"
    files["params-waiver-months.yaml"] = "waiver_max_months: 1000000000\n"

    # -- personal data in error lines (masked whatever --redact) --------------------------------
    files["personal-email.yaml"] = replace(
        base, "    email: ines.lefranc@villebrume.example\n", "    email: ines.lefranc@villebrume\n"
    )
    person = "Jeanne Quénelec-Marzin, jeanne.quenelec@villebrume.example, 06 12 34 56 78"
    files["waivers-long-justification.yaml"] = waivers(
        justification=f"Accord de {person}. " + "Motif. " * 300
    )
    files["waivers-long-approver.yaml"] = waivers(approved_by=f"{person}, " + "directrice " * 20)

    # -- waivers: dates and durations at the edge of the calendar ------------------------------
    files["waivers-ok.yaml"] = waivers()
    files["waivers-approved-9999.yaml"] = waivers(approved_on="9999-06-01", expires_on="9999-12-31")

    # -- values from the data in a Markdown comment --------------------------------------------
    files["markdown-mentions.yaml"] = replace(
        base,
        "  name: CCAS de Villebrume\n",
        '  name: "CCAS de Villebrume @maintainers @org/security https://evil.example/x'
        ' www.evil.example"\n',
    )
    return files


def waivers(**fields) -> str:
    """A waiver file of one waiver, `fields` overriding the sensible defaults."""
    waiver = {
        "rule": "gov-contract-end-active",
        "entity": "u-1",
        "justification": "Contrat renouvelé, avenant en signature",
        "approved_by": "Responsable habilitations de la Caf",
        "approved_on": "2025-01-01",
        "expires_on": "2025-12-01",
        **fields,
    }
    lines = [f"    {key}: {json.dumps(value, ensure_ascii=False)}" for key, value in waiver.items()]
    return "waivers:\n  - " + "\n".join(lines)[4:] + "\n"


def write(target: Path) -> list[Path]:
    base = (INPUTS / "base.yaml").read_text(encoding="utf-8")
    written = []
    for name, content in sorted(corpus(base).items()):
        path = target / name
        path.parent.mkdir(parents=True, exist_ok=True)
        data = content if isinstance(content, bytes) else content.encode("utf-8")
        path.write_bytes(data)
        written.append(path)
    return written


if __name__ == "__main__":
    paths = write(Path(sys.argv[1]) if len(sys.argv) > 1 else INPUTS)
    print(f"{len(paths)} files written")
