"""The path of issue 15, as a new user runs it: a 4-worker CCAS goes from nothing to a
pre-signature report with `init` and `import-users` on the shipped example spreadsheet only,
without editing YAML."""

import json
import os
import subprocess
import sys

import pytest
from helpers import ROOT


def cli(*args, cwd):
    proc = subprocess.run(
        [sys.executable, "-m", "cdap_policy", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
        env={**os.environ, "COLUMNS": "160"},
    )
    assert "Traceback" not in proc.stdout + proc.stderr
    return proc


@pytest.mark.slow
@pytest.mark.cli
def test_from_nothing_to_a_pre_signature_report(tmp_path):
    proc = cli(
        "init",
        "ccas.yaml",
        "--no-input",
        "--kind",
        "ccas",
        "--name",
        "CCAS de Pont-Guérin",
        "--siret",
        "26440999600016",
        "--department",
        "44",
        "--profile",
        "T1=4",
        "--principal",
        "Nadia Lemaître, nadia.lemaitre@pont-guerin.example, 02 40 00 11 22",
        "--deputy",
        "Yanis Carrel, yanis.carrel@pont-guerin.example, 06 12 34 56 78",
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    proc = cli(
        "import-users",
        ROOT / "examples" / "ccas-personnel.xlsx",
        "--into",
        "ccas.yaml",
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    proc = cli("check", "ccas.yaml", "--stage", "pre-signature", "--format", "json", cwd=tmp_path)
    assert proc.returncode in (0, 1), proc.stderr
    report = json.loads(proc.stdout)
    assert report["stage"] == "pre-signature" and report["summary"]["by_status"]["error"] == 0
    failing = {
        (f["rule_id"], f["entity"]["key"]) for f in report["findings"] if f["status"] == "fail"
    }
    # the planned workers are judged before signature: the one without a state diploma, and
    # the attestation to prepare
    assert ("elig-t1-diploma", "u-04") in failing and not {
        ("elig-t1-diploma", u) for u in ("u-01", "u-02", "u-03")
    } & failing
    assert {("elig-t1-attestation-current", u) for u in ("u-01", "u-02", "u-03", "u-04")} <= failing
    assert ("quota-planned-within-request", "T1") not in failing  # four planned for four requested
    proc = cli(
        "check", "ccas.yaml", "--stage", "pre-signature", cwd=tmp_path
    )  # the table a partner reads
    assert proc.returncode in (0, 1) and "Thomas Bérard" in proc.stdout


@pytest.mark.cli
def test_the_terminal_path_needs_no_yaml(tmp_path):
    """`init` with every answer, `import-users --t1-attestation`: a clean pre-signature checklist,
    the T1 attestation drawn from the diplomas imported and the Caf's conditions recorded."""
    sheet = (ROOT / "examples" / "ccas-personnel.csv").read_text(encoding="utf-8-sig")
    (tmp_path / "personnel.csv").write_text(
        "\n".join(line for line in sheet.splitlines() if "Bérard" not in line) + "\n",
        encoding="utf-8",
    )
    people = {
        "--principal": "Nadia Lemaître, nadia.lemaitre@pont-guerin.example, 02 40 00 11 22",
        "--deputy": "Yanis Carrel, yanis.carrel@pont-guerin.example, 06 12 34 56 78",
        "--security-officer": "Hélène Vasseur, helene.vasseur@pont-guerin.example, 02 40 00 11 30",
        "--dpo": "Marc Ribault, marc.ribault@pont-guerin.example, 02 40 00 11 31",
        "--support": "Lucie Garnier, lucie.garnier@pont-guerin.example, 02 40 00 11 32",
    }
    proc = cli(
        "init",
        "ccas.yaml",
        "--no-input",
        "--kind",
        "ccas",
        "--name",
        "CCAS de Pont-Guérin",
        "--siret",
        "26440999600016",
        "--department",
        "44",
        "--profile",
        "T1=4",
        *[v for pair in people.items() for v in pair],
        "--flag",
        "ccas_t1_conditions_met",
        "--information",
        "Mention sur les formulaires de demande",
        "--browser",
        "firefox=140:4",
        "--deliberation",
        "conseil d'administration du CCAS, 2026-05-20, CA-2026-09",
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    proc = cli(
        "import-users",
        "personnel.csv",
        "--into",
        "ccas.yaml",
        "--t1-attestation",
        "2026-05-29",
        cwd=tmp_path,
    )
    assert proc.returncode == 0 and "Attestation sur l'honneur T1 : 3" in proc.stdout, proc.stderr
    # within twelve months of the pack's list of maintained browsers (a staler list cannot
    # vouch for Firefox 140)
    proc = cli(
        "check",
        "ccas.yaml",
        "--stage",
        "pre-signature",
        "--as-of",
        "2026-06-01",
        "--format",
        "json",
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stdout[-2000:]
    assert json.loads(proc.stdout)["summary"]["by_status"]["fail"] == 0
