"""CI integration, exercised: the pre-commit hooks run through `pre-commit try-repo` in a
temporary repository, and the GitHub Actions and GitLab CI examples are valid YAML whose
commands exist, parse, and produce the file the next step reads."""
import json
import os
import re
import shlex
import shutil
import subprocess
import sys

import click
import jsonschema
import pytest
import yaml
from click.testing import CliRunner

from cdap_policy import __version__
from cdap_policy.cli import cli
from format_support import schema
from helpers import FIXTURES, POLICIES, ROOT

EXAMPLES = ROOT / "examples" / "ci"
GIT = ["git", "-c", "user.name=cdap-policy tests", "-c", "user.email=tests@example.invalid", "-c", "commit.gpgsign=false",
       "-c", "init.defaultBranch=main"]


def cdap_commands(lines) -> list[list[str]]:
    """Every `cdap-policy …` command of a list of shell lines, as arguments."""
    out = []
    for line in lines:
        for command in re.split(r"&&|\|\||;", line):
            words = shlex.split(command, comments=True)
            if words and words[0] == "cdap-policy":
                out.append(words[1:])
    return out


def assert_cli_accepts(args: list[str]):
    """The command and every option exist and parse (a bad choice or unknown option raises)."""
    ctx = click.Context(cli, info_name="cdap-policy")
    name, *rest = args
    command = cli.get_command(ctx, name)
    assert command is not None, f"no command {name!r}"
    command.make_context(name, rest, parent=ctx)
    return name


def option(args: list[str], name: str) -> str:
    return args[args.index(name) + 1]


def run_like_ci(args: list[str], tmp_path, fixture: str = "ccas-2025.yaml"):
    """The example's command in a checkout holding one snapshot under snapshots/."""
    (tmp_path / "snapshots").mkdir(exist_ok=True)
    shutil.copy(FIXTURES / fixture, tmp_path / "snapshots" / fixture)
    expanded = [str(p.relative_to(tmp_path)) for p in sorted((tmp_path / "snapshots").glob("*.yaml"))]
    args = [a for arg in args for a in (expanded if arg == "snapshots/*.yaml" else [arg])]
    cwd = os.getcwd()
    try:
        os.chdir(tmp_path)
        result = CliRunner().invoke(cli, args + ["--as-of", "2025-06-30"])
    finally:
        os.chdir(cwd)
    assert result.exit_code in (0, 1), result.output  # findings, never bad usage or bad input
    return result


def test_github_actions_example_uploads_the_sarif_the_check_writes(tmp_path):
    workflow = yaml.safe_load((EXAMPLES / "github-actions.yml").read_text(encoding="utf-8"))
    assert workflow["permissions"]["security-events"] == "write"
    job = workflow["jobs"]["check"]
    assert job["env"]["CDAP_POLICY"] == f"cdap-policy=={__version__}"  # the example installs this release
    steps = job["steps"]
    runs = [line for step in steps for line in str(step.get("run", "")).splitlines()]
    assert any("pip install" in line and "$CDAP_POLICY" in line for line in runs)
    commands = cdap_commands(runs)
    assert len(commands) == 1 and assert_cli_accepts(commands[0]) == "check"
    args = commands[0]
    assert option(args, "--format") == "sarif"
    upload = next(step for step in steps if str(step.get("uses", "")).startswith("github/codeql-action/upload-sarif@"))
    assert upload["with"]["sarif_file"] == option(args, "--output")
    assert "category" not in upload["with"]  # each run carries its own category
    assert "always()" in upload["if"]  # uploaded when the check finds failures (exit 1)
    run_like_ci(args, tmp_path)
    log = json.loads((tmp_path / option(args, "--output")).read_text(encoding="utf-8"))
    assert not list(jsonschema.Draft4Validator(schema("sarif-2.1.0.schema.json")).iter_errors(log))
    assert log["runs"][0]["automationDetails"]["id"] == "cdap-policy/snapshots/ccas-2025.yaml/"
    assert log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "snapshots/ccas-2025.yaml"


def test_gitlab_example_publishes_the_junit_the_check_writes(tmp_path):
    from junitparser import JUnitXml

    config = yaml.safe_load((EXAMPLES / "gitlab-ci.yml").read_text(encoding="utf-8"))
    job = config["cdap-policy"]
    assert job["variables"]["CDAP_POLICY"] == f"cdap-policy=={__version__}"
    assert any("pip install" in line and "$CDAP_POLICY" in line for line in job["script"])
    commands = cdap_commands(job["script"])
    assert len(commands) == 1 and assert_cli_accepts(commands[0]) == "check"
    args = commands[0]
    assert option(args, "--format") == "junit"
    assert job["artifacts"]["reports"]["junit"] == option(args, "--output")
    assert job["artifacts"]["when"] == "always"
    run_like_ci(args, tmp_path)
    xml = JUnitXml.fromfile(str(tmp_path / option(args, "--output")))
    suites = list(xml)
    assert [s.name for s in suites] == ["snapshots/ccas-2025.yaml"] and suites[0].failures >= 1


def test_pre_commit_manifest_declares_the_hooks():
    hooks = {h["id"]: h for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))}
    assert set(hooks) == {"cdap-policy", "cdap-policy-validate"}
    for hook in hooks.values():
        assert hook["language"] == "python" and hook["require_serial"] is True
        assert assert_cli_accepts(shlex.split(hook["entry"])[1:] + ["snapshot.yaml"]) in ("check", "validate")
    assert hooks["cdap-policy"]["entry"] == "cdap-policy check"
    import re

    pattern = re.compile(hooks["cdap-policy"]["files"])
    assert pattern.search("snapshots/ccas.yaml") and pattern.search("partners/snapshots/2025/ccas.yml")
    assert not pattern.search(".gitlab-ci.yml") and not pattern.search("config/settings.yaml")
    assert not pattern.search("snapshots/consultations.csv")


def _project_copy(target):
    """The project as it stands (committed or not) as a git repository of its own: what a user's
    `rev:` would fetch. Nothing is done to the project's own repository."""
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"], cwd=ROOT,
                            capture_output=True, check=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    subprocess.run(GIT + ["init", "-q"], cwd=target, check=True)
    subprocess.run(GIT + ["add", "-A"], cwd=target, check=True)
    subprocess.run(GIT + ["commit", "-q", "-m", "cdap-policy under test"], cwd=target, check=True)


@pytest.mark.skipif(shutil.which("git") is None, reason="git is needed by pre-commit")
def test_pre_commit_try_repo_runs_the_hooks_on_snapshots_only(tmp_path):
    hook_repo, partner = tmp_path / "cdap-policy", tmp_path / "partner"
    hook_repo.mkdir()
    partner.mkdir()
    _project_copy(hook_repo)
    (partner / "snapshots").mkdir()
    shutil.copy(FIXTURES / "ccas-2025.yaml", partner / "snapshots" / "ccas.yaml")  # carries a high failure
    shutil.copy(POLICIES / "tests" / "base-2025.yaml", partner / "snapshots" / "villebrume.yaml")
    (partner / "config").mkdir()
    (partner / "config" / "settings.yaml").write_text("not: [a, snapshot\n", encoding="utf-8")  # not a snapshot
    subprocess.run(GIT + ["init", "-q"], cwd=partner, check=True)
    subprocess.run(GIT + ["add", "-A"], cwd=partner, check=True)
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"), "NO_COLOR": "1", "COLUMNS": "200"}
    proc = subprocess.run([sys.executable, "-m", "pre_commit", "try-repo", str(hook_repo), "--all-files", "--color", "never",
                           "--verbose"],
                          cwd=partner, capture_output=True, text=True, env=env, timeout=900)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 1, output
    status = {line.split(".")[0].strip(): line.rsplit(".", 1)[-1].strip()
              for line in output.splitlines() if line.startswith("cdap-policy ") and line.rstrip().endswith(("Passed", "Failed"))}
    # both snapshots parse (validate), the config file was never passed; check fails on the CCAS
    assert status == {"cdap-policy check": "Failed", "cdap-policy validate": "Passed"}, output
    assert "elig-t1-attestation-current" in output and "snapshots/ccas.yaml" in output
    assert "snapshots/villebrume.yaml: valide" in output
    assert "settings.yaml" not in output


@pytest.mark.parametrize("fmt", ["sarif", "junit", "markdown", "html", "oscal"])
def test_standard_output_holds_the_report_and_nothing_else(fmt, tmp_path):
    """Problems go to standard error; what a CI step redirects from standard output is the report
    (the batch summary of the human formats lists the snapshot that could not be read, as a row)."""
    from junitparser import JUnitXml

    proc = subprocess.run([sys.executable, "-m", "cdap_policy", "check", str(FIXTURES / "ccas-2025.yaml"),
                           str(tmp_path / "missing.yaml"), "--as-of", "2025-06-30", "--format", fmt],
                          capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 2  # one snapshot could not be read; the other is still reported
    assert "missing.yaml" in proc.stderr
    assert proc.stderr.splitlines()[0].strip() not in proc.stdout  # the error line itself stays on stderr
    if fmt in ("sarif", "junit", "oscal"):
        assert "missing.yaml" not in proc.stdout
    if fmt in ("sarif", "oscal"):
        json.loads(proc.stdout)
    elif fmt == "junit":
        (tmp_path / "r.xml").write_text(proc.stdout, encoding="utf-8")
        assert [s.name for s in JUnitXml.fromfile(str(tmp_path / "r.xml"))] == ["fixtures/ccas-2025.yaml"]
    elif fmt == "markdown":
        assert proc.stdout.startswith("## ")
    else:
        assert proc.stdout.startswith("<!DOCTYPE html>") and proc.stdout.rstrip().endswith("</html>")


def test_github_pr_gate_fails_only_on_what_the_change_introduces(tmp_path):
    """The gate's two commands, run as the workflow runs them: the target branch holds a snapshot
    with known failures, the pull request changes the deputy administrator's e-mail address to
    the front desk's shared mailbox."""
    from junitparser import Failure, JUnitXml, Skipped

    workflow = yaml.safe_load((EXAMPLES / "github-pr-gate.yml").read_text(encoding="utf-8"))
    assert set(workflow.get("on", workflow.get(True))) == {"pull_request"}  # YAML 1.1 reads `on` as true
    steps = workflow["jobs"]["gate"]["steps"]
    assert steps[0]["with"]["fetch-depth"] == 0
    runs = [line for step in steps for line in str(step.get("run", "")).splitlines()]
    workspace, base = tmp_path / "pr", tmp_path / "base"
    shell = {"$AS_OF": "2026-06-30", "$GITHUB_WORKSPACE/baseline.json": str(workspace / "baseline.json")}
    base_args, gate_args = ([shell.get(a, a) for a in args] for args in cdap_commands(runs))
    assert [assert_cli_accepts(a) for a in (base_args, gate_args)] == ["check", "check"]
    assert option(base_args, "--format") == "json" and option(gate_args, "--baseline") == "baseline.json"
    text = (FIXTURES / "annual-review" / "ccas-year2.yaml").read_text(encoding="utf-8")
    changed = text.replace("email: yannick.prigent@saint-aubin.example, phone_mobile", "email: accueil@saint-aubin.example, phone_mobile")
    assert changed != text
    for folder, content in ((base, text), (workspace, changed)):
        (folder / "snapshots").mkdir(parents=True)
        (folder / "snapshots" / "ccas.yaml").write_text(content, encoding="utf-8")

    def run(args, cwd):
        return subprocess.run([sys.executable, "-m", "cdap_policy", *args], capture_output=True, text=True, cwd=cwd, timeout=300)

    assert run(base_args, base).returncode == 1  # known failures: the step accepts exit 1
    gate = run(gate_args, workspace)
    assert gate.returncode == 1, gate.stderr  # one new high finding
    suites = JUnitXml.fromfile(str(workspace / option(gate_args, "--output")))
    cases = [case for suite in suites for case in suite]
    failed = {(case.classname, case.name) for case in cases if any(isinstance(r, Failure) for r in case.result)}
    known = {(case.classname, case.name) for case in cases if any(isinstance(r, Skipped) and "baseline" in (r.message or "") for r in case.result)}
    assert failed == {("gov-admin-contact-email", "administrator adm-2")}
    assert {("gov-contract-end-active", "user u-04"), ("elig-t1-attestation-current", "user u-04")} <= known
