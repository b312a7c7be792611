"""Shell completion: commands, rule IDs, requirement IDs and file paths; the scripts to source."""

import os
import shutil
import subprocess

import pytest
from click.shell_completion import BashComplete
from click.testing import CliRunner

from cdap_policy.cli import cli
from cdap_policy.cli.completion import COMPLETE_VAR, SHELLS


def complete(args, incomplete):
    return BashComplete(cli, {}, "cdap-policy", COMPLETE_VAR).get_completions(args, incomplete)


def values(args, incomplete):
    return [item.value for item in complete(args, incomplete)]


def test_commands():
    assert "import-users" in values([], "im")
    assert {"init", "docs", "completion", "check", "explain"} <= set(values([], ""))


def test_rule_ids_for_explain_and_test():
    assert "quota-profile-max" in values(["explain"], "quota-p")
    assert set(values(["explain"], "elig-t1-d")) == {"elig-t1-diploma"}
    assert "elig-t1-diploma" in values(["test", "--rule"], "elig-t1-d")


def test_requirement_ids():
    found = values(["explain"], "ELIG-T1")
    assert {"ELIG-T1-ORG", "ELIG-T1-DIPLOMA", "ELIG-T1-ATTESTATION-CURRENT"} <= set(found)
    found = values(["explain"], "GOV-OPENING")
    assert (
        "GOV-OPENING" in found
        and "gov-opening-prerequisites" in found
        and all(v.upper().startswith("GOV-OPENING") for v in found)
    )
    assert not [
        v for v in values(["test", "--rule"], "GOV-") if v.isupper()
    ]  # `test --rule` takes rule IDs only


def test_file_paths_are_left_to_the_shell():
    for args in (
        ["check"],
        ["validate"],
        ["import-users"],
        ["import-users", "x.csv", "--into"],
        ["init"],
    ):
        items = complete(args, "")
        assert items and all(item.type == "file" for item in items), args


@pytest.mark.cli
@pytest.mark.parametrize("shell", SHELLS)
def test_completion_script(shell):
    result = CliRunner().invoke(cli, ["completion", shell])
    assert result.exit_code == 0 and COMPLETE_VAR in result.output


@pytest.mark.cli
@pytest.mark.skipif(shutil.which("cdap-policy") is None, reason="console script not installed")
def test_the_installed_command_answers_the_shell():
    env = {
        **os.environ,
        COMPLETE_VAR: "bash_complete",
        "COMP_WORDS": "cdap-policy explain quota-prof",
        "COMP_CWORD": "2",
    }
    proc = subprocess.run(
        [shutil.which("cdap-policy")], env=env, capture_output=True, text=True, timeout=60
    )
    assert (
        proc.returncode == 0
        and "quota-profile-max" in proc.stdout
        and "Traceback" not in proc.stderr
    )


@pytest.mark.cli
def test_unknown_shell_is_a_usage_error():
    assert CliRunner().invoke(cli, ["completion", "powershell"]).exit_code == 2
