"""The consultation log's `purpose` column (COORD 4-3-3 uses of T19): accepted in CSV, JSON Lines
and inline rows with the same values as the schema, refused with file:line otherwise, and only rows
recorded as fraud follow-up are held to the follow-up period."""

import json

import pytest
from helpers import ROOT, base, pack, write

from cdap_policy import logs
from cdap_policy.evaluate.runner import evaluate
from cdap_policy.load.snapshot import load_snapshot
from cdap_policy.logs import rows as consultations
from cdap_policy.support.errors import InputError

AS_OF = "2025-06-30"
RULE = "scope-fraud-followup-consultation"
# a file qualified as fraud in 2021: more than three years before the consultations below
ROWS = [
    {
        "at": "2025-06-02T09:00:00",
        "user": "u-4",
        "profile": "T19",
        "file": "F-9002",
        "rsa_status": "paid",
        "fraud_decided_on": "2021-05-01",
        "purpose": "fraud_followup",
    },
    {
        "at": "2025-06-02T09:30:00",
        "user": "u-4",
        "profile": "T19",
        "file": "F-9002",
        "rsa_status": "paid",
        "fraud_decided_on": "2021-05-01",
        "purpose": "repeat_check",
    },
    {
        "at": "2025-06-02T10:00:00",
        "user": "u-4",
        "profile": "T19",
        "file": "F-9002",
        "rsa_status": "paid",
        "fraud_decided_on": "2021-05-01",
    },
]


def _schema_enum(prop):
    schema = json.loads((ROOT / "schemas" / "snapshot.schema.json").read_text(encoding="utf-8"))
    return set(schema["$defs"]["consultation"]["properties"][prop]["enum"])


@pytest.mark.parametrize(
    "prop,kind", [("purpose", "purpose"), ("entry", "entry"), ("rsa_status", "rsa")]
)
def test_log_choices_are_the_schema_enums(prop, kind):
    # a CSV or JSON Lines log and inline rows must accept exactly the same values
    assert consultations.FIELDS[prop] == kind
    assert consultations._CHOICES[kind] == _schema_enum(prop)


def _snapshot(tmp_path, rows_or_ref):
    data = base(2017)
    data["consultations"] = rows_or_ref
    return write(tmp_path, data)


def _fraud_findings(path):
    report = evaluate(pack(), load_snapshot(path), AS_OF, rule_ids={RULE}, include_passed=True)
    return [
        (f.entity_key, f.status, f.evidence.get("rows"))
        for f in report.findings
        if f.rule_id == RULE
    ]


def _write_csv(path, rows):
    columns = list(consultations.FIELDS)
    lines = [",".join(columns)] + [",".join(str(row.get(c, "")) for c in columns) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.mark.parametrize("fmt", ["inline", "csv", "jsonl"])
def test_only_rows_recorded_as_fraud_followup_are_judged(tmp_path, fmt):
    if fmt == "inline":
        path = _snapshot(tmp_path, ROWS)
    elif fmt == "csv":
        _write_csv(tmp_path / "log.csv", ROWS)
        path = _snapshot(tmp_path, {"file": "log.csv"})
    else:
        (tmp_path / "log.jsonl").write_text(
            "".join(json.dumps(r) + "\n" for r in ROWS), encoding="utf-8"
        )
        path = _snapshot(tmp_path, {"file": "log.jsonl"})
    # one failing row (the follow-up); the repeat-offence check and the row without purpose
    # are not judged
    assert _fraud_findings(path) == [("u-4", "fail", 1)]


def test_an_unknown_purpose_is_refused_with_its_line(tmp_path):
    rows = [dict(ROWS[0]), dict(ROWS[1], purpose="curiosity")]
    _write_csv(tmp_path / "log.csv", rows)
    with pytest.raises(InputError) as caught:
        list(logs.read_log(tmp_path / "log.csv", "log.csv"))
    problem = caught.value.problems[0]
    assert (problem.file, problem.line, problem.path) == ("log.csv", 3, "purpose")
    assert "fraud_followup" in problem.message["en"] and "repeat_check" in problem.message["en"]


def test_an_unknown_inline_purpose_is_a_schema_error(tmp_path):
    path = _snapshot(tmp_path, [dict(ROWS[0], purpose="curiosity")])
    with pytest.raises(InputError) as caught:
        load_snapshot(path)
    assert any("/consultations/0/purpose" in (p.path or "") for p in caught.value.problems)
