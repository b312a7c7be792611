"""The column-wise log reader (pyarrow) gives exactly the findings, and the errors, of the row
reader: generated logs in CSV, JSON Lines, gzip and Parquet, the hostile logs of tests/hostile,
and irregular variants (blank lines, quoted cells and newlines, BOM, CRLF, invalid values)."""

import gzip
import json
import sys

import pytest
from helpers import ROOT, pack

from cdap_policy.evaluate.runner import evaluate
from cdap_policy.load.snapshot import load_snapshot
from cdap_policy.logs import columnar
from cdap_policy.support.errors import InputError

if not columnar.available():
    pytest.skip(
        "pyarrow and numpy are not installed (extra [logs]): the column-wise reader is not used",
        allow_module_level=True,
    )

import pyarrow as pa  # noqa: E402
import pyarrow.csv as pacsv  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402

from cdap_policy.logs import read, read_log  # noqa: E402
from cdap_policy.logs.columnar import groups, reader  # noqa: E402
from cdap_policy.logs.rows import log_format  # noqa: E402

sys.path.insert(0, str(ROOT / "benchmarks"))
import generate_log  # noqa: E402

AS_OF = "2025-06-30"
HOSTILE = ROOT / "tests" / "hostile" / "inputs"
HEADER = "at,user,profile,file,rsa_status,rsa_ended_on,entry,non_opposition,instructor_number\n"
ROW = "2025-03-0{d}T09:00:00,u-{u},T19,F-{n:07d},{status},,,,\n"


class Spy:
    """Records whether the column-wise pass gave the tally (True) or left it to the row pass."""

    def __init__(self, monkeypatch):
        self.used = []
        original = groups.tally_columns

        def spy(*args):
            result = original(*args)
            self.used.append(result is not None)
            return result

        monkeypatch.setattr(groups, "tally_columns", spy)


def outcome(path):
    """The whole report minus its duration, or the error lines."""
    try:
        report = evaluate(pack(), load_snapshot(path), AS_OF).to_dict()
    except InputError as exc:
        return (
            "error",
            [p.render("fr") for p in exc.problems],
            [p.render("en") for p in exc.problems],
        )
    report.pop("duration_s", None)
    report.get("summary", {}).pop("duration_s", None)
    return json.dumps(report, sort_keys=False, default=str)


def both(path, monkeypatch):
    fast = outcome(path)
    with monkeypatch.context() as patch:  # the row pass (Parquet rows still come from pyarrow)
        patch.setattr(read, "by_columns", lambda *args: None)
        slow = outcome(path)
    return fast, slow


@pytest.fixture
def spy(monkeypatch):
    return Spy(monkeypatch)


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """6,000 rows with violations, in each format; a small block so that a log
    spans many batches.
    """
    out = {}
    for fmt, gz in (("csv", False), ("jsonl", False), ("csv", True), ("jsonl", True)):
        folder = tmp_path_factory.mktemp(f"{fmt}{'-gz' if gz else ''}")
        out[(fmt, gz)] = generate_log.main(
            ["--rows", "6000", "--seed", "3", "--out", str(folder), "--format", fmt]
            + (["--gzip"] if gz else [])
        )
    return out


def _snapshot_with_log(tmp_path, name, content: bytes | str, declared=None):
    """A copy of the department fixture whose consultations are the given log."""
    import yaml

    data = yaml.safe_load((ROOT / "fixtures" / "departement-2017.yaml").read_text(encoding="utf-8"))
    (tmp_path / name).write_bytes(content.encode() if isinstance(content, str) else content)
    data["consultations"] = {"file": name, **({"format": declared} if declared else {})}
    path = tmp_path / f"snapshot-{name}.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def _log_lines(count=40, bad_at=None):
    """CSV lines: users u-1 .. u-4 (some of them out of the fixture), T19 rows, a few with a status
    T19 may not consult.
    """
    lines = []
    for n in range(count):
        status = "never" if n % 7 == 3 else "paid"
        if n == bad_at:
            status = "nope"
        lines.append(ROW.format(d=1 + n % 9, u=1 + n % 4, n=n, status=status))
    return lines


@pytest.fixture(autouse=True)
def small_blocks(monkeypatch):
    monkeypatch.setattr(reader, "BLOCK", 1 << 16)  # many batches: merging across them is exercised
    monkeypatch.setattr(reader, "PARQUET_BATCH", 1000)


@pytest.mark.slow
@pytest.mark.parametrize(
    "key",
    [("csv", False), ("jsonl", False), ("csv", True), ("jsonl", True)],
    ids=["csv", "jsonl", "csv-gz", "jsonl-gz"],
)
def test_generated_logs_give_the_same_report(generated, key, monkeypatch, spy):
    fast, slow = both(generated[key], monkeypatch)
    assert spy.used == [True]
    assert fast == slow
    report = json.loads(fast)
    failing = [
        f for f in report["findings"] if f["rule_id"].startswith("scope-") and f["status"] == "fail"
    ]
    assert failing and any(len(f["evidence"]["sample"]) == 5 for f in failing)


@pytest.mark.slow
def test_parquet_gives_the_findings_of_the_same_rows_in_csv(generated, tmp_path, monkeypatch):
    import yaml

    source = generated[("csv", False)]
    data = yaml.safe_load(source.read_text(encoding="utf-8"))
    names = (
        open(source.parent / data["consultations"]["file"], encoding="utf-8")
        .readline()
        .strip()
        .split(",")
    )
    table = pacsv.read_csv(
        source.parent / data["consultations"]["file"],
        convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in names}),
    )
    pq.write_table(table, tmp_path / "log.parquet", row_group_size=2500)
    data["consultations"] = {"file": "log.parquet"}
    target = tmp_path / "snapshot.yaml"
    target.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    fast, slow = both(target, monkeypatch)
    assert fast == slow  # the row pass reads Parquet through the same decoder, row by row

    def key(report):
        out = []
        for f in json.loads(report)["findings"]:
            if not f["rule_id"].startswith("scope-"):
                continue
            evidence = {k: v for k, v in f["evidence"].items() if k not in ("first_row", "sample")}
            line = f["evidence"].get("first_row")
            # Parquet numbers rows (1 is the first row), CSV numbers lines (1 is the header)
            out.append(
                (
                    f["rule_id"],
                    f["entity"]["key"],
                    f["status"],
                    json.dumps(evidence, sort_keys=True),
                    (
                        None
                        if line is None
                        else line - (1 if f["location"]["file"].endswith(".csv") else 0)
                    ),
                    [
                        s["line"] - (1 if f["location"]["file"].endswith(".csv") else 0)
                        for s in f["evidence"].get("sample", [])
                    ],
                )
            )
        return sorted(out)

    assert key(fast) == key(outcome(source)) and key(fast)


@pytest.mark.parametrize("snapshot", sorted(p.name for p in HOSTILE.glob("log-*.yaml")))
def test_hostile_logs_give_the_same_error_or_report(snapshot, monkeypatch):
    try:
        fast, slow = both(HOSTILE / snapshot, monkeypatch)
    except InputError:  # refused by the snapshot loader before any log is read: nothing to compare
        pytest.skip("refused before the log is read")
    assert fast == slow


def _variants():
    good = HEADER + "".join(_log_lines())
    lines = _log_lines()
    return {
        "blank-lines": (HEADER + "".join(lines[:10]) + "\n\n" + "".join(lines[10:]), True),
        "trailing-blank": (good + "\n", True),
        "crlf": (good.replace("\n", "\r\n"), False),
        "bom": ("\ufeff" + good, False),
        "no-final-newline": (good.rstrip("\n"), False),
        "quoted-cells": (
            HEADER + "".join('"' + line.rstrip("\n").replace(",", '","') + '"\n' for line in lines),
            False,
        ),
        "quoted-newline": (
            HEADER
            + "".join(lines[:5])
            + '2025-03-01T09:00:00,u-1,T19,"F-\n1",paid,,,,\n'
            + "".join(lines[5:]),
            True,
        ),
        "invalid-status-row-23": (HEADER + "".join(_log_lines(bad_at=21)), True),
        "invalid-date": (
            HEADER + "".join(lines[:30]) + "2025-02-30T09:00:00,u-1,T19,F-1,paid,,,,\n",
            True,
        ),
        "long-cell": (
            HEADER + "".join(lines[:3]) + f"2025-03-01T09:00:00,u-1,T19,{'F' * 300},paid,,,,\n",
            True,
        ),
        "control-char": (
            HEADER + "".join(lines[:3]) + "2025-03-01T09:00:00,u-\x1b1,T19,F-1,paid,,,,\n",
            True,
        ),
        "missing-user": (
            HEADER + "".join(lines[:3]) + "2025-03-01T09:00:00,,T19,F-1,paid,,,,\n",
            True,
        ),
        "ragged-row": (HEADER + "".join(lines[:3]) + "2025-03-01T09:00:00,u-1,T19\n", True),
        "unknown-column": (HEADER.replace("instructor_number", "colour") + "".join(lines), True),
        "no-user-column": ("at,profile,file\n2025-03-01T09:00:00,T19,F-1\n", True),
        "duplicate-column": ("at,user,profile,user\n2025-03-01T09:00:00,u-1,T19,u-1\n", True),
        "lone-cr": (
            HEADER + "".join(lines[:3]) + "2025-03-01T09:00:00,u-1,T19,F\r-1,paid,,,,\n",
            True,
        ),
        "header-only": (HEADER, False),
        "empty": ("", True),
        "booleans-in-words": (
            "at,user,profile,non_opposition,entry\n"
            + "".join(
                f"2025-03-0{1 + n % 9}T09:00:00,u-{1 + n % 3},T1,"
                f"{['oui', 'NON', ' true', '0', ''][n % 5]},known_number\n"
                for n in range(30)
            ),
            False,
        ),
        "bad-utf8": (
            HEADER.encode()
            + "".join(lines[:3]).encode()
            + b"2025-03-01T09:00:00,u-\xff,T19,F-1,paid,,,,\n",
            True,
        ),
    }


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(_variants()))
def test_irregular_csv_logs_agree(name, tmp_path, monkeypatch, spy):
    content, falls_back = _variants()[name]
    path = _snapshot_with_log(tmp_path, "log.csv", content)
    fast, slow = both(path, monkeypatch)
    assert fast == slow
    assert spy.used == [not falls_back]
    if (
        name == "invalid-status-row-23"
    ):  # the row reader's error: 21 rows after the header, then row 22 on line 23
        assert fast[0] == "error" and len(fast[2]) == 1 and "log.csv:23: [rsa_status]" in fast[2][0]


def _jsonl_variants():
    rows = [
        {
            "at": f"2025-03-0{1 + n % 9}T09:00:00",
            "user": f"u-{1 + n % 4}",
            "profile": "T19",
            "file": f"F-{n}",
            "rsa_status": "never" if n % 5 == 2 else "paid",
        }
        for n in range(40)
    ]
    good = "".join(json.dumps(r) + "\n" for r in rows)
    shuffled = "".join(
        json.dumps(dict(reversed(list(r.items())))) + "\n" for r in rows
    )  # key order differs per line
    return {
        "plain": (good, False),
        "reordered-keys": ("".join(json.dumps(r) + "\n" for r in rows[:20]) + shuffled, False),
        "bom": ("\ufeff" + good, False),
        "blank-lines": (good.replace("\n", "\n\n", 3), True),
        "duplicate-key": (
            good
            + '{"at": "2025-03-01T09:00:00", "user": "u-1", "user": "u-2", "profile": "T19"}\n',
            True,
        ),
        "string-boolean": (
            good + '{"at": "2025-03-01T09:00:00", "user": "u-1", "profile": "T1", "non_opposition":'
            ' "oui"}\n',
            True,
        ),
        "number-user": (
            good + '{"at": "2025-03-01T09:00:00", "user": 12, "profile": "T19"}\n',
            True,
        ),
        "two-objects-one-line": (
            good
            + '{"at": "2025-03-01", "user": "u-1", "profile": "T19"} {"at": "2025-03-01", "user":'
            ' "u-1", "profile": "T19"}\n',
            True,
        ),
        "invalid-profile": (
            good + '{"at": "2025-03-01T09:00:00", "user": "u-1", "profile": "X19"}\n',
            True,
        ),
        "null-optional": (
            good + '{"at": "2025-03-01T09:00:00", "user": "u-1", "profile": "T19", "rsa_status":'
            " null}\n",
            False,
        ),
        "newline-in-value": (
            good + '{"at": "2025-03-01T09:00:00\\n", "user": "u-1", "profile": "T19"}\n',
            True,
        ),
        "truncated": (good + '{"at": "2025-03-01T09:00:00", "user": "u-1"', True),
    }


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(_jsonl_variants()))
def test_irregular_jsonl_logs_agree(name, tmp_path, monkeypatch, spy):
    content, falls_back = _jsonl_variants()[name]
    path = _snapshot_with_log(tmp_path, "log.jsonl", content)
    fast, slow = both(path, monkeypatch)
    assert fast == slow
    assert spy.used == [not falls_back]


@pytest.mark.slow
def test_rows_not_judged_after_many_failures_are_said_as_the_row_pass_says_them(
    tmp_path, monkeypatch, spy
):
    """A user whose first failing rows fill the samples, then a row the rule cannot judge (no RSA
    status) in a later batch: both passes say the failure and the row not judged, with its reason.
    """
    lines = []
    for n in range(3000):
        user = 1 + n % 4
        status = "" if n == 2500 else "never" if user == 1 else "paid"
        lines.append(ROW.format(d=1 + n % 9, u=user, n=n, status=status))
    fast, slow = both(_snapshot_with_log(tmp_path, "log.csv", HEADER + "".join(lines)), monkeypatch)
    assert spy.used == [True] and fast == slow
    finding = next(
        f
        for f in json.loads(fast)["findings"]
        if f["rule_id"] == "scope-t19-rsa-status" and f["entity"]["key"] == "u-1"
    )
    assert (
        finding["status"] == "fail"
        and finding["evidence"]["errors"] == 1
        and len(finding["evidence"]["sample"]) == 5
    )
    assert (
        "could not be judged" in finding["message"]["en"]
        and "entity.rsa_status" in finding["message"]["en"]
    )


def test_gzip_bomb_of_newlines_stops_fast_with_the_row_readers_error(tmp_path, monkeypatch):
    import time

    # 4 GiB of newlines after the header in a few MB: one compressed member of 16 MiB, repeated
    member = gzip.compress(b"\n" * (16 << 20), compresslevel=9, mtime=0)
    path = _snapshot_with_log(
        tmp_path, "log.csv.gz", gzip.compress(HEADER.encode(), mtime=0) + member * 256
    )
    start = time.perf_counter()
    fast, slow = both(path, monkeypatch)
    assert time.perf_counter() - start < 30
    assert fast == slow and fast[0] == "error" and len(fast[2]) == 1 and ":1002:" in fast[2][0]


def _parquet_snapshot(tmp_path, table):
    pq.write_table(table, tmp_path / "log.parquet")
    return _snapshot_with_log(tmp_path, "log.parquet", (tmp_path / "log.parquet").read_bytes())


def _parquet_rows(count=30, **changes):
    rows = {
        "at": [f"2025-03-0{1 + n % 9}T09:00:00" for n in range(count)],
        "user": [f"u-{1 + n % 4}" for n in range(count)],
        "profile": ["T19"] * count,
        "rsa_status": ["never" if n % 5 == 2 else "paid" for n in range(count)],
    }
    rows.update(changes)
    return pa.table(rows)


def test_parquet_invalid_value_names_file_row_and_field(tmp_path, monkeypatch):
    statuses = ["paid"] * 30
    statuses[16] = "nope"
    path = _parquet_snapshot(tmp_path, _parquet_rows(rsa_status=statuses))
    fast, slow = both(path, monkeypatch)
    assert fast == slow and fast[0] == "error"
    assert len(fast[2]) == 1 and "log.parquet:17: [rsa_status]" in fast[2][0]


def test_parquet_typed_time_column_is_refused_with_its_row(tmp_path, monkeypatch):
    import datetime

    times = [datetime.datetime(2025, 3, 1, 9, n) for n in range(30)]
    path = _parquet_snapshot(tmp_path, _parquet_rows(at=pa.array(times, pa.timestamp("s"))))
    fast, slow = both(path, monkeypatch)
    assert fast == slow and fast[0] == "error" and "log.parquet:1: [at]" in fast[2][0]


@pytest.mark.parametrize("change,field", [({"colour": ["red"] * 30}, "colour"), ({}, None)])
def test_parquet_schema_is_checked_like_a_csv_header(tmp_path, monkeypatch, change, field):
    table = _parquet_rows(**change)
    if field is None:
        table = table.drop(["user"])
    fast, slow = both(_parquet_snapshot(tmp_path, table), monkeypatch)
    assert fast == slow and fast[0] == "error" and len(fast[2]) == 1
    assert (f"[{field}]" in fast[2][0]) if field else ("user" in fast[2][0])


def test_parquet_gives_findings_and_its_row_numbers(tmp_path, monkeypatch, spy):
    fast, slow = both(_parquet_snapshot(tmp_path, _parquet_rows()), monkeypatch)
    assert fast == slow and spy.used == [True]
    failing = [
        f
        for f in json.loads(fast)["findings"]
        if f["rule_id"] == "scope-t19-rsa-status" and f["status"] == "fail"
    ]
    assert failing and all(f["location"]["line"] == f["evidence"]["first_row"] for f in failing)
    # rows 3, 8, 13, 18... hold the status T19 may not consult: the first of each of the four users
    assert sorted(f["evidence"]["first_row"] for f in failing) == [3, 8, 13, 18]


def test_parquet_without_pyarrow_is_one_clear_line(tmp_path, monkeypatch):
    pq.write_table(_parquet_rows(), tmp_path / "log.parquet")
    monkeypatch.setattr(columnar, "available", lambda: False)
    with pytest.raises(InputError) as caught:
        list(read_log(tmp_path / "log.parquet", "log.parquet"))
    assert len(caught.value.problems) == 1 and "[logs]" in caught.value.problems[0].render("en")
    assert "[logs]" in caught.value.problems[0].render("fr")


def test_parquet_is_a_format_of_the_schema_and_of_the_suffix(tmp_path):
    from pathlib import Path

    schema = json.loads((ROOT / "schemas" / "snapshot.schema.json").read_text(encoding="utf-8"))
    found = []

    def walk(node):
        if isinstance(node, dict):
            if set(node.get("enum", [])) >= {"csv", "jsonl"}:
                found.append(node["enum"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(schema)
    assert found and all("parquet" in enum for enum in found)
    assert (
        log_format(Path("x.parquet"), None) == "parquet"
        and log_format(Path("x.csv"), None) == "csv"
    )
