"""Personal data: --redact leaves no name, e-mail or phone in any output and keeps pseudonyms
stable; the checker makes no network access and writes nothing but the outputs asked for."""

import json
import os
import socket
import subprocess
import sys

import pytest
import yaml
from helpers import FIXTURES, ROOT, pack

from cdap_policy.evaluate.runner import evaluate
from cdap_policy.load.snapshot import load_snapshot
from cdap_policy.report.redact import Pseudonymiser, redact_report

AS_OF = "2025-06-30"


def personal_strings(data):
    people = list(data["users"]) + list(data["contacts"]["administrators"])
    for person in people:
        yield f"{person['first_name']} {person['last_name']}"
        for key in ("email", "phone_landline", "phone_mobile"):
            if person.get(key):
                yield person[key]


@pytest.mark.slow
@pytest.mark.cli
def test_redacted_reports_hold_no_personal_data_in_any_format(tmp_path):
    path = FIXTURES / "departement-2017.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    secrets = set(personal_strings(data))
    for fmt in ("json", "table"):
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "cdap_policy",
                "check",
                str(path),
                "--as-of",
                AS_OF,
                "--redact",
                "--format",
                fmt,
                "--include-passed",
            ],
            capture_output=True,
            text=True,
            cwd=ROOT,
            env={**os.environ, "COLUMNS": "300"},
        )
        assert proc.returncode == 1
        leaked = [s for s in secrets if s in proc.stdout]
        assert leaked == [], f"{fmt}: {leaked[:5]}"
        assert "Personne-" in proc.stdout


def test_pseudonyms_are_stable_and_keys_usable():
    snapshot = load_snapshot(FIXTURES / "departement-2017.yaml")
    report = evaluate(pack(), snapshot, AS_OF)
    first = redact_report(report, snapshot.data)
    second = redact_report(evaluate(pack(), snapshot, AS_OF), snapshot.data)
    assert [f.to_dict() for f in first.listed()] == [f.to_dict() for f in second.listed()]
    twins = [f for f in first.listed() if f.rule_id == "gov-nominative-unique-identity"]
    assert {f.entity_key for f in twins} == {"u-021", "u-901"}  # keys kept
    assert len({f.entity_label for f in twins}) == 1  # one person, one pseudonym
    assert [f.fingerprint for f in first.listed()] == [f.fingerprint for f in report.listed()]
    other_key = redact_report(report, snapshot.data, key="another secret")
    assert (
        twins[0].entity_label
        != next(
            f for f in other_key.listed() if f.rule_id == "gov-nominative-unique-identity"
        ).entity_label
    )


def test_same_person_same_pseudonym_whatever_the_accents_or_case():
    p = Pseudonymiser("k")
    assert p.person("Léa Schmitt") == p.person("LEA  schmitt")


@pytest.mark.cli
def test_no_network_access(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    from click.testing import CliRunner

    from cdap_policy.cli import cli

    result = CliRunner().invoke(
        cli,
        [
            "check",
            str(FIXTURES / "hopital-2025-hebergeur.yaml"),
            "--as-of",
            AS_OF,
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 1, result.output
    assert json.loads(result.output)["findings"]


def snapshot_tree(root):
    return {str(p.relative_to(root)): p.stat().st_mtime_ns for p in root.rglob("*") if p.is_file()}


@pytest.mark.slow
@pytest.mark.cli
def test_writes_nothing_but_the_output_asked_for(tmp_path):
    home, work = tmp_path / "home", tmp_path / "work"
    home.mkdir(), work.mkdir()
    snapshot = work / "snap.yaml"
    snapshot.write_bytes((FIXTURES / "ccas-2025.yaml").read_bytes())
    watched = [home, work, FIXTURES, ROOT / "policies"]
    before = [snapshot_tree(d) for d in watched]
    env = {
        **os.environ,
        "HOME": str(home),
        "PYTHONDONTWRITEBYTECODE": "1",
        "XDG_CACHE_HOME": str(home / ".cache"),
    }
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "cdap_policy",
            "check",
            str(snapshot),
            "--as-of",
            AS_OF,
            "--format",
            "json",
            "--output",
            str(work / "report.json"),
        ],
        capture_output=True,
        text=True,
        cwd=work,
        env=env,
    )
    assert proc.returncode == 1
    after = [snapshot_tree(d) for d in watched]
    # in the home folder, only the compiled pack's cache (engines/cache.py), and no personal
    # data in it
    cached = {
        name for name in set(after[0]) - set(before[0]) if name.startswith(".cache/cdap-policy/")
    }
    assert (
        {k: v for k, v in after[0].items() if k not in cached} == before[0]
        and after[2] == before[2]
        and after[3] == before[3]
    )
    assert cached and all("Guérin".encode() not in (home / name).read_bytes() for name in cached)
    assert set(after[1]) - set(before[1]) == {"report.json"}
    assert after[1]["snap.yaml"] == before[1]["snap.yaml"]


@pytest.mark.cli
def test_redact_also_covers_error_lines(tmp_path):
    from helpers import base, write

    data = base()
    data["users"][0]["email"] = "Ines Lefranc <ines.lefranc@villebrume.example>"
    path = write(tmp_path, data)
    proc = subprocess.run(
        [sys.executable, "-m", "cdap_policy", "check", str(path), "--as-of", AS_OF, "--redact"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert proc.returncode == 2 and "/users/0/email" in proc.stderr
    assert "ines.lefranc@villebrume.example" not in proc.stderr
