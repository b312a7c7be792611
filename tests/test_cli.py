"""The command line as a user runs it: exit codes 0/1/2, one-line errors, no tracebacks."""

import json
import os
import subprocess
import sys

import pytest
import yaml
from helpers import FIXTURES, POLICIES, ROOT, base, write

AS_OF = ["--as-of", "2025-06-30"]


def cli(*args, cwd=ROOT, columns=160):
    env = {**os.environ, "COLUMNS": str(columns)}
    proc = subprocess.run(
        [sys.executable, "-m", "cdap_policy", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
        env=env,
    )
    assert "Traceback" not in proc.stdout + proc.stderr
    return proc


@pytest.mark.cli
def test_check_fixture_table_cites_requirements_and_articles():
    proc = cli("check", FIXTURES / "departement-2017.yaml", *AS_OF, columns=400)
    assert proc.returncode == 1
    assert "QUOTA-PROFILE" in proc.stdout and "CS art. 2.2.1" in proc.stdout
    assert "16 utilisateurs actifs ont le profil T19, le bulletin en autorise 15" in proc.stdout


@pytest.mark.cli
def test_check_json_english_and_output_file(tmp_path):
    out = tmp_path / "report.json"
    proc = cli(
        "check",
        FIXTURES / "ccas-2025.yaml",
        *AS_OF,
        "--format",
        "json",
        "--lang",
        "en",
        "--output",
        out,
    )
    assert proc.returncode == 1 and proc.stdout == ""
    report = json.loads(out.read_text())
    assert (
        report["as_of"] == "2025-06-30"
        and report["snapshot"]["partner"] == "CCAS de Saint-Aubin-sur-Loire"
    )
    assert report["summary"]["by_status"]["fail"] >= 1


@pytest.mark.cli
def test_fail_on_threshold(tmp_path):
    data = base()
    data["users"][0]["account_type"] = "shared"  # a critical failure
    path = write(tmp_path, data)
    assert cli("check", path, *AS_OF, "--fail-on", "critical").returncode == 1
    compliant = write(tmp_path, base(), "ok.yaml")
    assert cli("check", compliant, *AS_OF).returncode == 0


@pytest.mark.cli
def test_bad_input_exits_2_with_file_and_line(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("partner:\n  name: X\n  name: Y\n", encoding="utf-8")
    proc = cli("check", bad, *AS_OF, "--lang", "en")
    assert proc.returncode == 2
    assert f"{bad}:3:" in proc.stderr and "duplicate key 'name'" in proc.stderr
    proc = cli("check", bad, *AS_OF)  # French by default
    assert proc.returncode == 2 and "clé 'name' en double" in proc.stderr
    malformed = tmp_path / "malformed.yaml"
    malformed.write_text("partner: [\n", encoding="utf-8")
    proc = cli("check", malformed, *AS_OF, "--lang", "en")
    assert proc.returncode == 2 and "malformed YAML" in proc.stderr
    proc = cli("check", tmp_path / "missing.yaml", *AS_OF)
    assert proc.returncode == 2 and "fichier introuvable" in proc.stderr


@pytest.mark.cli
def test_schema_error_exit_2(tmp_path):
    data = base()
    data["users"][0]["status"] = "enabled"
    proc = cli("validate", write(tmp_path, data))
    assert proc.returncode == 2 and "/users/0/status" in proc.stderr and ":" in proc.stderr


@pytest.mark.cli
def test_output_never_overwrites_the_snapshot(tmp_path):
    path = write(tmp_path, base())
    before = path.read_bytes()
    proc = cli("check", path, *AS_OF, "--output", path)
    assert proc.returncode == 2 and path.read_bytes() == before


@pytest.mark.cli
def test_bad_as_of_is_usage_error():
    proc = cli("check", FIXTURES / "ccas-2025.yaml", "--as-of", "30/06/2025")
    assert proc.returncode == 2 and "n'est pas une date AAAA-MM-JJ" in proc.stderr


def copy_pack(tmp_path):
    import shutil

    target = tmp_path / "pack"
    shutil.copytree(POLICIES, target)
    return target


@pytest.mark.slow
@pytest.mark.cli
def test_broken_expression_exits_2_naming_the_rule(tmp_path):
    pack_dir = copy_pack(tmp_path)
    quota = pack_dir / "quota.yaml"
    quota.write_text(
        quota.read_text().replace(
            "check: entity.active_users <= entity.quota", "check: entity.active_users <=="
        ),
        encoding="utf-8",
    )
    proc = cli("check", FIXTURES / "ccas-2025.yaml", *AS_OF, "--policies", pack_dir)
    assert proc.returncode == 2
    assert "quota-profile-max" in proc.stderr and "quota.yaml:" in proc.stderr


@pytest.mark.slow
@pytest.mark.cli
def test_rule_that_raises_is_an_error_and_exits_non_zero(tmp_path):
    pack_dir = copy_pack(tmp_path)
    quota = pack_dir / "quota.yaml"
    quota.write_text(
        quota.read_text().replace(
            "check: entity.active_users <= entity.quota",
            "check: entity.no_such_field <= entity.quota",
        ),
        encoding="utf-8",
    )
    proc = cli(
        "check",
        FIXTURES / "ccas-2025.yaml",
        *AS_OF,
        "--policies",
        pack_dir,
        "--format",
        "json",
        "--fail-on",
        "critical",
    )
    assert proc.returncode == 1
    report = json.loads(proc.stdout)
    errors = [f for f in report["findings"] if f["status"] == "error"]
    assert (
        errors
        and errors[0]["rule_id"] == "quota-profile-max"
        and "no_such_field" in errors[0]["evidence"]["error"]
    )


@pytest.mark.cli
def test_rules_and_explain():
    proc = cli("rules", "--format", "json")
    assert proc.returncode == 0
    rules = json.loads(proc.stdout)["rules"]
    assert any(r["id"] == "quota-profile-max" for r in rules)
    proc = cli("explain", "quota-profile-max")
    assert (
        proc.returncode == 0
        and "CS art. 2.2.1" in proc.stdout
        and "entity.active_users <= entity.quota" in proc.stdout
    )
    proc = cli("explain", "no-such-rule", "--lang", "en")
    assert proc.returncode == 2 and "unknown rule" in proc.stderr
    proc = cli("explain", "no-such-rule")
    assert proc.returncode == 2 and "règle inconnue" in proc.stderr


@pytest.mark.slow
@pytest.mark.cli
def test_test_command_runs_cases():
    proc = cli("test", "--lang", "en")
    assert proc.returncode == 0, proc.stdout[-2000:]
    assert proc.stdout.strip().splitlines()[-1].endswith("0 failed")


@pytest.mark.slow
@pytest.mark.cli
def test_params_override(tmp_path):
    override = tmp_path / "params.yaml"
    override.write_text(yaml.safe_dump({"max_administrators": 1}), encoding="utf-8")
    proc = cli("check", write(tmp_path, base()), *AS_OF, "--params", override, "--format", "json")
    assert any(f["rule_id"] == "quota-administrators" for f in json.loads(proc.stdout)["findings"])
    override.write_text(yaml.safe_dump({"max_admins": 1}), encoding="utf-8")
    proc = cli("check", write(tmp_path, base()), *AS_OF, "--params", override, "--lang", "en")
    assert proc.returncode == 2 and "unknown parameter 'max_admins'" in proc.stderr


@pytest.mark.cli
def test_module_and_version():
    proc = cli("--version")
    assert proc.returncode == 0 and "cdap-policy" in proc.stdout


@pytest.mark.cli
def test_params_listing(tmp_path):
    proc = cli("params", "--format", "json")
    listing = json.loads(proc.stdout)
    assert proc.returncode == 0 and listing["subcontractor_notice_months"]["value"] == 6
    assert listing["subcontractor_notice_months"]["source"].startswith("CONV art. 14")
    override = tmp_path / "p.yaml"
    override.write_text("subcontractor_notice_months: 9\n", encoding="utf-8")
    listing = json.loads(cli("params", "--format", "json", "--params", override).stdout)
    assert (
        listing["subcontractor_notice_months"]["value"] == 9
        and listing["subcontractor_notice_months"]["default"] == 6
    )
