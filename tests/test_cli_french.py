"""The command line speaks French by default and English with --lang en (or CDAP_POLICY_LANG=en):
help of every command, click's usage errors, the error prefix, YAML parser errors."""

import os
import subprocess
import sys

import pytest

from cdap_policy.cli import cli
from cdap_policy.cli.localise import untranslated


def run(*args, env=None):
    return subprocess.run(
        [sys.executable, "-m", "cdap_policy", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "200", **(env or {})},
    )


def test_every_help_text_has_its_french():
    assert untranslated(cli) == []


@pytest.mark.cli
def test_help_is_french_by_default_and_english_on_demand():
    for command in (
        "--help",
        "check --help",
        "init --help",
        "import-users --help",
        "serve --help",
        "coverage --help",
    ):
        french = run(*command.split())
        assert french.returncode == 0 and french.stdout.startswith("Utilisation :"), command
        assert "Show this message" not in french.stdout and "[default:" not in french.stdout, (
            command
        )
        english = (
            run(*command.split(), "--lang", "en")
            if command != "--help"
            else run("--help", env={"CDAP_POLICY_LANG": "en"})
        )
        assert (
            english.stdout.startswith("Usage:") and "Show this message and exit." in english.stdout
        ), command


@pytest.mark.cli
def test_usage_errors_are_french():
    missing = run("check")
    assert (
        missing.returncode == 2
        and "erreur : Argument manquant" in missing.stderr
        and "Utilisation :" in missing.stderr
    )
    unknown = run("check", "x.yaml", "--bogus")
    assert unknown.returncode == 2 and "Option inconnue" in unknown.stderr
    choice = run("check", "x.yaml", "--format", "nope")
    assert "Valeur invalide pour" in choice.stderr
    english = run("check", "x.yaml", "--format", "nope", "--lang", "en")
    assert "Error: Invalid value for" in english.stderr


@pytest.mark.cli
def test_a_colon_in_a_value_is_explained_in_french(tmp_path):
    snapshot = tmp_path / "s.yaml"
    snapshot.write_text(
        "partner:\n  name: x\n  function: Responsable informatique : mairie\n", encoding="utf-8"
    )
    proc = run("validate", snapshot)
    assert proc.returncode == 2 and proc.stderr.startswith("erreur : ")
    assert (
        "mettez la valeur entre guillemets" in proc.stderr and "mapping values" not in proc.stderr
    )
    english = run("validate", snapshot, "--lang", "en")
    assert english.stderr.startswith("error: ")
