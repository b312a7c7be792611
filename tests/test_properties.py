"""Property-based tests and a bounded fuzz session (Hypothesis), in-process for speed.

Valid snapshots come from the JSON Schema itself: `from_schema` turns the snapshot schema's
definitions (users, subcontractors at any depth, data stores...) into Hypothesis strategies, and
the generated sections are put into the base snapshots. (hypothesis-jsonschema 0.23.1, the only
release, does not run with the Hypothesis in use here.) Invariants:

- the checker never crashes: a schema-valid snapshot loads and evaluates with no exception;
- findings are deterministic: the same input gives the same JSON report, byte for byte;
- re-ordering users, subcontractors or the keys of any mapping changes no fingerprint and no status;
- adding a compliant user adds no failing finding;
- every `error` finding makes the exit code non-zero, whatever --fail-on;
- fuzzing: random bytes and mutated YAML into the loaders raise InputError or nothing else.
"""

from __future__ import annotations

import copy
import json
import random
import re
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st
from stdnum import luhn

from cdap_policy.evaluate.findings import SEVERITY_RANK
from cdap_policy.evaluate.runner import evaluate
from cdap_policy.formatters import FormatOptions
from cdap_policy.formatters.json_report import render
from cdap_policy.load.pack import load_pack
from cdap_policy.load.schema import schema_path, validate
from cdap_policy.load.snapshot import load_snapshot
from cdap_policy.load.yamlsource import Document, loads
from cdap_policy.logs import read_log
from cdap_policy.support.errors import InputError
from cdap_policy.support.formats import siret_ok

ROOT = Path(__file__).resolve().parent.parent
BASES = {
    2025: ROOT / "policies" / "tests" / "base-2025.yaml",
    2017: ROOT / "policies" / "tests" / "base-2017.yaml",
}
AS_OF = "2025-06-30"
SCHEMA = json.loads(schema_path("snapshot.schema.json").read_text(encoding="utf-8"))
EXAMPLES = 40  # per invariant; the fuzzers run more (cheaper)
PROPERTY = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

_workdir = tempfile.TemporaryDirectory(prefix="cdap-properties-")
WORK = Path(_workdir.name)


@pytest.fixture(scope="module")
def pack():
    return load_pack()


def base(edition: int) -> dict:
    return load_snapshot(BASES[edition]).data


# -- strategies from the JSON Schema ------------------------------------------------------------

_NAME_CHARS = st.characters(codec="utf-8", categories=("Lu", "Ll", "Nd", "Zs", "Pd", "Mn"))
_TEXT = st.text(_NAME_CHARS, min_size=1, max_size=12)
_DATES = st.dates(
    min_value=__import__("datetime").date(2015, 1, 1),
    max_value=__import__("datetime").date(2026, 12, 31),
).map(lambda d: d.isoformat())


def _siret(body: str) -> str:
    """A valid SIRET from 12 digits: the SIREN's key, then the whole number's."""
    siren = next(body[:8] + str(d) for d in range(10) if luhn.is_valid(body[:8] + str(d)))
    return next(
        siren + body[8:12] + str(d) for d in range(10) if siret_ok(siren + body[8:12] + str(d))
    )


_FORMATS = {
    "date": _DATES,
    "date-time-or-date": _DATES,
    "email": st.from_regex(r"[a-z]{1,8}\.[a-z]{1,8}@[a-z]{3,8}\.example", fullmatch=True),
    "siret": st.from_regex(r"[1-9][0-9]{11}", fullmatch=True).map(_siret),
    "country": st.sampled_from(["FR", "DE", "IN", "US", "CH", "NO", "CA", "BR"]),
}


def from_schema(schema: dict, depth: int = 0) -> st.SearchStrategy:
    """A strategy for the instances of a (sub)schema of the snapshot schema. Covers the keywords
    the snapshot schema uses; nested `$ref` recursion (subcontractors of subcontractors) stops at
    depth 3.
    """
    if "$ref" in schema:
        return from_schema(SCHEMA["$defs"][schema["$ref"].rsplit("/", 1)[1]], depth)
    if "oneOf" in schema:
        return st.one_of([from_schema(branch, depth) for branch in schema["oneOf"]])
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    kind = schema.get("type")
    if isinstance(kind, list):  # ["string", "null"]...
        return st.one_of([from_schema({**schema, "type": one}, depth) for one in kind])
    if kind == "string":
        if "format" in schema:
            return _FORMATS[schema["format"]]
        if schema.get("pattern") == SCHEMA["$defs"]["profile"]["pattern"]:
            return st.sampled_from([f"T{n}" for n in range(1, 30)])  # all the pattern allows
        if "pattern" in schema:
            return st.from_regex(schema["pattern"], fullmatch=True)
        return _TEXT
    if kind == "integer":
        return st.integers(min_value=schema.get("minimum", -5), max_value=400)
    if kind == "boolean":
        return st.booleans()
    if kind == "null":
        return st.none()
    if kind == "array":
        if depth >= 3:
            return st.just([])
        items = from_schema(schema["items"], depth + 1)
        if schema.get("uniqueItems"):
            return st.lists(items, max_size=3, unique_by=lambda v: json.dumps(v, sort_keys=True))
        return st.lists(items, max_size=3)
    if kind == "object":
        properties = schema.get("properties", {})
        if not properties and isinstance(schema.get("additionalProperties"), dict):
            keys = from_schema(schema.get("propertyNames", {"type": "string"}), depth + 1)
            return st.dictionaries(
                keys, from_schema(schema["additionalProperties"], depth + 1), max_size=3
            )
        required = set(schema.get("required", []))
        return st.fixed_dictionaries(
            {
                name: from_schema(sub, depth + 1)
                for name, sub in properties.items()
                if name in required
            },
            optional={
                name: from_schema(sub, depth + 1)
                for name, sub in properties.items()
                if name not in required
            },
        )
    raise NotImplementedError(f"schema keyword set not covered: {sorted(schema)}")


def _with_ids(prefix: str):
    def assign(items):
        out = []
        for index, item in enumerate(items):
            item = dict(item, id=f"{prefix}{index + 1}")
            if "subcontractors" in item:
                item["subcontractors"] = _with_ids(f"{prefix}{index + 1}.")(item["subcontractors"])
            out.append(item)
        return out

    return assign


def _possible_history(users):
    """The loader refuses a profile history that cannot be true (a period ending before it starts,
    two periods of one profile overlapping): keep one period per profile, ending after its start."""
    out = []
    for user in users:
        kept, seen = [], set()
        for item in user.get("profiles") or []:
            code = item if isinstance(item, str) else item["profile"]
            start = (
                None
                if isinstance(item, str)
                else (item.get("granted_on") or user.get("granted_on"))
            )
            end = None if isinstance(item, str) else item.get("ended_on")
            if code in seen or (start and end and end <= start):
                continue
            seen.add(code)
            kept.append(item)
        out.append({**user, "profiles": kept})
    return out


USERS = (
    st.lists(from_schema(SCHEMA["$defs"]["user"]), max_size=6)
    .map(_possible_history)
    .map(_with_ids("g-"))
)
SUBCONTRACTORS = st.lists(from_schema(SCHEMA["$defs"]["subcontractor"]), max_size=3).map(
    _with_ids("p")
)
SECTIONS = {
    name: from_schema(SCHEMA["properties"][name]).map(_with_ids(name[:3] + "-"))
    for name in ("data_stores", "automations", "incidents")
}
SECTIONS["reviews"] = from_schema(SCHEMA["properties"]["reviews"])
SECTIONS["contacts"] = from_schema(SCHEMA["properties"]["contacts"]).map(
    lambda contacts: (
        {**contacts, "administrators": _with_ids("adm-")(contacts["administrators"])}
        if "administrators" in contacts
        else contacts
    )
)


@st.composite
def snapshots(draw) -> dict:
    """A base snapshot with generated users (added to or replacing the base ones), providers and
    sections: valid against the schema, rarely compliant."""
    edition = draw(st.sampled_from(sorted(BASES)))
    data = copy.deepcopy(base(edition))
    users = draw(USERS)
    data["users"] = users if draw(st.booleans()) else data["users"] + users
    if draw(st.booleans()):
        data["subcontractors"] = draw(SUBCONTRACTORS)
    for name in draw(st.lists(st.sampled_from(sorted(SECTIONS)), max_size=2, unique=True)):
        data[name] = draw(SECTIONS[name])
    if draw(st.booleans()):
        data["convention"]["quotas"] = draw(
            from_schema(SCHEMA["properties"]["convention"]["properties"]["quotas"])
        )
    return data


_counter = iter(range(10**9))


def write(data, name: str | None = None, shuffle: random.Random | None = None) -> Path:
    """The snapshot as a JSON file (read as YAML flow style); `shuffle` re-orders every mapping."""
    if shuffle is not None:
        data = _shuffled(data, shuffle)
    path = WORK / (name or f"s{next(_counter)}.json")
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    return path


def _shuffled(value, rng: random.Random):
    if isinstance(value, dict):
        items = list(value.items())
        rng.shuffle(items)
        return {k: _shuffled(v, rng) for k, v in items}
    if isinstance(value, list):
        return [_shuffled(v, rng) for v in value]
    return value


def report_json(pack, path: Path, **kwargs) -> str:
    report = evaluate(pack, load_snapshot(path, "snapshot.json"), AS_OF, **kwargs)
    return render([report], FormatOptions(include_passed=kwargs.get("include_passed", False)))


def outcomes(report) -> dict:
    return {f.fingerprint: f.status for f in report.findings}


# -- invariants --------------------------------------------------------------------------------


def test_the_schema_strategies_produce_valid_snapshots():
    """Guard for the generator itself: what it draws passes the schema and the loader."""
    seen = []

    @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
    @given(snapshots())
    def check(data):
        doc = Document("generated", data)
        assert validate(doc, "snapshot.schema.json") == []
        load_snapshot(write(data))
        seen.append(len(data["users"]))

    check()
    assert seen


@pytest.mark.slow
@PROPERTY
@given(snapshots())
def test_never_crashes_and_is_deterministic(pack, data):
    path = write(data)
    first = report_json(pack, path)
    second = report_json(pack, path)
    assert first == second  # byte for byte
    report = json.loads(first)
    assert report["summary"]["rules_run"] > 0
    for finding in report["findings"]:
        assert finding["status"] in ("fail", "error", "waived")
        assert finding["location"]["line"] >= 1


@pytest.mark.slow
@PROPERTY
@given(snapshots(), st.randoms(use_true_random=False))
def test_reordering_changes_no_fingerprint(pack, data, rng):
    before = evaluate(pack, load_snapshot(write(data)), AS_OF, include_passed=True)
    shuffled = copy.deepcopy(data)
    rng.shuffle(shuffled["users"])
    rng.shuffle(shuffled["subcontractors"])
    for provider in shuffled["subcontractors"]:
        rng.shuffle(provider.get("subcontractors", []))
    after = evaluate(pack, load_snapshot(write(shuffled, shuffle=rng)), AS_OF, include_passed=True)
    assert outcomes(after) == outcomes(before)
    assert after.counts == before.counts


# A compliant user is a copy of one of the base snapshot's compliant users, with a new id, name
# and address, on a profile whose quota keeps room under the headroom warning (90%): in the 2025
# base, T1 goes from 2 to 3 users out of 4 (the 2017 base has no such room: 2 of 3 T1, 1 of 2 T5).
# A T1 user also gets its entry in the T1 attestation.
TEMPLATES = {2025: ["u-1", "u-2"]}
_PLAIN_NAME = st.text(
    st.sampled_from("abcdefghijklmnopqrstuvwxyzéèàç"), min_size=2, max_size=10
).map(str.capitalize)


@pytest.mark.slow
@PROPERTY
@given(st.sampled_from(sorted(TEMPLATES)), st.data(), _PLAIN_NAME, _PLAIN_NAME)
def test_adding_a_compliant_user_adds_no_failing_finding(pack, edition, data, first, last):
    snapshot = copy.deepcopy(base(edition))
    before = evaluate(pack, load_snapshot(write(snapshot)), AS_OF)
    template = data.draw(st.sampled_from(TEMPLATES[edition]))
    existing = {
        (u.get("first_name", "").lower(), u.get("last_name", "").lower()) for u in snapshot["users"]
    }
    assume((first.lower(), last.lower()) not in existing)
    user = copy.deepcopy(next(u for u in snapshot["users"] if u["id"] == template))
    user.update(
        id="new-1",
        first_name=first,
        last_name=last,
        email=(
            f"{re.sub('[^a-z]', '', first.lower())}.{re.sub('[^a-z]', '', last.lower())}"
            ".new@example.org"
        ),
    )
    position = data.draw(st.integers(min_value=0, max_value=len(snapshot["users"])))
    snapshot["users"].insert(position, user)
    attestation = snapshot["convention"].get("t1_attestation")
    if attestation and "T1" in user["profiles"]:
        entry = dict(
            next(e for e in attestation["entries"] if e["user"] == template),
            user="new-1",
            first_name=first,
            last_name=last,
        )
        attestation["entries"].append(entry)
    after = evaluate(pack, load_snapshot(write(snapshot)), AS_OF)

    def failing(report):
        return {f.fingerprint for f in report.findings if f.status in ("fail", "error")}

    new = failing(after) - failing(before)
    assert new == set(), [
        (f.rule_id, f.entity_key, f.message["en"]) for f in after.findings if f.fingerprint in new
    ]


@pytest.mark.slow
@PROPERTY
@given(snapshots())
def test_every_error_finding_fails_the_run(pack, data):
    report = evaluate(pack, load_snapshot(write(data)), AS_OF)
    statuses = {f.status for f in report.findings}
    for fail_on in SEVERITY_RANK:
        code = report.exit_code(fail_on)
        if "error" in statuses:
            assert code == 1
        blocking = [
            f
            for f in report.findings
            if f.status == "fail" and SEVERITY_RANK[f.severity] <= SEVERITY_RANK[fail_on]
        ]
        assert code == (1 if blocking or "error" in statuses else 0)


# -- fuzzing the loaders -------------------------------------------------------------------------

FUZZ_EXAMPLES = 1000  # per fuzzer: about 20 s for the four in all
FUZZ = settings(max_examples=FUZZ_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
BASE_TEXT = BASES[2025].read_text(encoding="utf-8")
_YAML_NOISE = st.text(
    st.sampled_from(list(":-?[]{},&*!|>'\"#%@`\\\t\n ~.0123456789TtFfnul\ufeff\u00e9\u2028\x85")),
    min_size=1,
    max_size=8,
)


@st.composite
def mutated_yaml(draw) -> str:
    lines = BASE_TEXT.splitlines(keepends=True)
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        operation = draw(st.sampled_from(["insert", "delete", "duplicate", "swap", "replace"]))
        index = draw(st.integers(min_value=0, max_value=len(lines) - 1))
        if operation == "insert":
            column = draw(st.integers(min_value=0, max_value=len(lines[index])))
            lines[index] = lines[index][:column] + draw(_YAML_NOISE) + lines[index][column:]
        elif operation == "delete":
            column = draw(st.integers(min_value=0, max_value=len(lines[index])))
            lines[index] = (
                lines[index][:column]
                + lines[index][column + draw(st.integers(min_value=1, max_value=6)) :]
            )
        elif operation == "duplicate":
            lines.insert(index, lines[index])
        elif operation == "swap":
            other = draw(st.integers(min_value=0, max_value=len(lines) - 1))
            lines[index], lines[other] = lines[other], lines[index]
        else:
            lines[index] = draw(_YAML_NOISE) + "\n"
    return "".join(lines)


def _only_input_errors(call, what: str = ""):
    try:
        result = call()
        if what:
            event(f"{what}: accepted")
        return result
    except InputError as exc:
        if what:
            event(f"{what}: InputError")
        assert exc.problems, "an InputError names at least one problem"
        for problem in exc.problems:
            assert problem.file and problem.message
            assert problem.line is None or problem.line >= 1
        return None


@FUZZ
@given(st.binary(max_size=2048))
def test_fuzz_random_bytes_into_the_snapshot_loader(raw):
    path = WORK / f"fuzz{next(_counter)}.yaml"
    path.write_bytes(raw)
    _only_input_errors(lambda: load_snapshot(path))


@FUZZ
@given(st.text(max_size=512))
def test_fuzz_random_text_into_the_yaml_reader(text):
    _only_input_errors(lambda: loads(text, "fuzz.yaml"))


@pytest.mark.slow
@FUZZ
@given(mutated_yaml())
def test_fuzz_mutated_yaml_into_the_loaders(pack, text):
    _only_input_errors(lambda: loads(text, "fuzz.yaml"), "YAML")
    path = WORK / f"fuzz{next(_counter)}.yaml"
    path.write_text(text, encoding="utf-8")
    snapshot = _only_input_errors(lambda: load_snapshot(path), "snapshot")
    if snapshot is not None:  # still a valid snapshot: it must also evaluate
        _only_input_errors(lambda: evaluate(pack, snapshot, AS_OF), "evaluation")


LOG_TEXT = (
    "at,user,profile,file,rsa_status,entry,non_opposition,automated\n"
    "2025-06-02T09:15:00,u-1,T1,F1,paid,known_number,true,false\n"
    '2025-06-03,u-2,T1,"F,2",ended,search,oui,0\n'
)
JSONL_TEXT = (
    '{"at": "2025-06-02T09:15:00", "user": "u-1", "profile": "T1", "automated": false}\n'
    '{"at": "2025-06-03", "user": "u-2", "profile": "T5", "rsa_status": "paid"}\n'
)
_LOG_NOISE = st.text(
    st.sampled_from(list(',"\n\r{}[]:0123456789-Tt\x00\x1b\ufeffé ')), min_size=1, max_size=6
)


@FUZZ
@given(st.sampled_from(["log.csv", "log.jsonl", "log.csv.gz"]), st.data())
def test_fuzz_mutated_logs_into_the_log_reader(name, data):
    """Consultation logs, mutated byte-wise: each row is read or refused with an InputError."""
    text = JSONL_TEXT if "jsonl" in name else LOG_TEXT
    for _ in range(data.draw(st.integers(min_value=1, max_value=3))):
        at = data.draw(st.integers(min_value=0, max_value=len(text)))
        if data.draw(st.booleans()):
            text = text[:at] + data.draw(_LOG_NOISE) + text[at:]
        else:
            text = text[:at] + text[at + data.draw(st.integers(min_value=1, max_value=8)) :]
    raw = text.encode("utf-8")
    if name.endswith(".gz"):
        raw = __import__("gzip").compress(raw, mtime=0)
        raw = raw[: data.draw(st.integers(min_value=0, max_value=len(raw)))]  # possibly truncated
    path = WORK / f"fuzz{next(_counter)}-{name}"
    path.write_bytes(raw)
    rows = _only_input_errors(lambda: list(read_log(path, name)), "log")
    for line, row in rows or []:
        assert line >= 1 and {"at", "user", "profile"} <= set(row)
