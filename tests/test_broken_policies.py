"""Broken policies fail closed: a pack that cannot be trusted stops the run (exit 2, naming file,
line and rule), and a rule that cannot be evaluated gives `error` findings (exit 1), never a pass.

Each test builds a small pack in a temporary directory: the shipped pack.yaml, requirements.yaml
and params/, plus one tiny rule file (written as text, so that lines are known).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from cdap_policy.evaluate.runner import evaluate
from cdap_policy.load.pack import load_pack
from cdap_policy.load.snapshot import load_snapshot
from cdap_policy.support.errors import PolicyError

ROOT = Path(__file__).resolve().parent.parent
POLICIES = ROOT / "policies"
BASE_2017 = POLICIES / "tests" / "base-2017.yaml"
BASE_2025 = POLICIES / "tests" / "base-2025.yaml"
AS_OF = "2025-06-30"


def rule(
    rule_id: str = "zz-probe", over: str = "users", check: str = "'true'", extra: str = ""
) -> str:
    """One rule as YAML text (13 lines, or more with `extra`); `check` is written verbatim."""
    return textwrap.dedent(f"""\
    - id: {rule_id}
      requirements: [GOV-NOMINATIVE]
      title: {{fr: Sonde, en: Probe}}
      severity: high
      stages: [pre-signature, opening, operation, annual-review]
      over: {over}
      check: {check}
      message: {{fr: "échec {{key}}", en: "failed {{key}}"}}
      remediation: {{fr: corriger, en: fix it}}
      references:
        - {{document: CONV, article: "art. 9.2", source: HR17}}
    """) + textwrap.indent(textwrap.dedent(extra), "  ")


def make_pack(tmp_path: Path, files: dict[str, str]) -> Path:
    """A pack with the shipped metadata, requirements and parameters, and the given rule files."""
    pack = tmp_path / "pack"
    pack.mkdir()
    for name in ("pack.yaml", "requirements.yaml"):
        shutil.copy(POLICIES / name, pack / name)
    shutil.copytree(POLICIES / "params", pack / "params")
    for name, text in files.items():
        (pack / name).write_text(text, encoding="utf-8")
    return pack


def rule_file(*rules: str, family: str = "GOV") -> str:
    return f"family: {family}\nrules:\n" + "".join(rules)


def cli(*args: str, cwd: Path, timeout: float = 60) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [sys.executable, "-m", "cdap_policy", *args, "--lang", "en"],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert "Traceback" not in result.stdout + result.stderr
    assert "internal error" not in result.stderr and "erreur interne" not in result.stderr
    return result


def check(pack: Path, snapshot: Path = BASE_2025, *extra: str) -> subprocess.CompletedProcess:
    return cli(
        "check",
        "--as-of",
        AS_OF,
        "--format",
        "json",
        "--include-passed",
        "--policies",
        str(pack),
        *extra,
        str(snapshot),
        cwd=pack.parent,
    )


def problem_lines(result) -> list[str]:
    return [line.strip() for line in result.stderr.splitlines() if line.startswith("  ")]


def statuses(result, rule_id: str = "zz-probe") -> dict[str, str]:
    report = json.loads(result.stdout)
    return {f["entity"]["key"]: f["status"] for f in report["findings"] if f["rule_id"] == rule_id}


def assert_broken_pack(result, where: str, *fragments: str):
    """Exit 2, `error: broken policy pack:`, one problem line starting with `where`."""
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("error: broken policy pack:"), result.stderr
    lines = problem_lines(result)
    assert len(lines) == 1, lines
    assert lines[0].startswith(where), lines[0]
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    assert result.stdout == ""  # no report at all: nothing is presumed compliant


# -- the pack does not load: exit 2 ------------------------------------------------------------


@pytest.mark.cli
def test_a_sound_probe_rule_loads_and_passes(tmp_path):
    """Control: the probe rule as written loads, runs and passes, so each defect
    below is the cause.
    """
    result = check(make_pack(tmp_path, {"zz.yaml": rule_file(rule())}))
    assert result.returncode == 0, result.stderr
    assert set(statuses(result).values()) == {"pass"}


@pytest.mark.cli
def test_unknown_key_in_a_rule(tmp_path):
    pack = make_pack(
        tmp_path, {"zz.yaml": rule_file(rule(extra="chek: entity.status == 'active'\n"))}
    )
    assert_broken_pack(
        check(pack), f"{pack}/zz.yaml:14: [/rules/0/chek]", "unknown field(s): 'chek'"
    )


@pytest.mark.cli
def test_expression_that_does_not_compile(tmp_path):
    pack = make_pack(tmp_path, {"zz.yaml": rule_file(rule(check="'entity.status == '"))})
    assert_broken_pack(
        check(pack),
        f"{pack}/zz.yaml:9: [/rules/0/check]",
        "rule zz-probe: expression does not compile",
    )


@pytest.mark.cli
@pytest.mark.parametrize(
    "expression, why",
    [
        ("'no_such_function(entity)'", "unknown function 'no_such_function'"),
        ("'usrs.size() > 0'", "unknown variable 'usrs'"),
    ],
)
def test_unknown_names_are_refused_at_load(tmp_path, expression, why):
    pack = make_pack(tmp_path, {"zz.yaml": rule_file(rule(check=expression))})
    assert_broken_pack(check(pack), f"{pack}/zz.yaml:9: [/rules/0/check]", "rule zz-probe", why)


@pytest.mark.cli
def test_evidence_that_does_not_compile(tmp_path):
    pack = make_pack(
        tmp_path, {"zz.yaml": rule_file(rule(extra="evidence:\n  status: 'entity.status +'\n"))}
    )
    assert_broken_pack(
        check(pack),
        f"{pack}/zz.yaml:15: [/rules/0/evidence/status]",
        "rule zz-probe: expression does not compile",
    )


@pytest.mark.cli
def test_reference_to_a_missing_parameter(tmp_path):
    pack = make_pack(
        tmp_path,
        {
            "zz.yaml": rule_file(
                rule(over="partner", check="'size(users) <= params.max_users_per_desk'")
            )
        },
    )
    assert_broken_pack(
        check(pack),
        f"{pack}/zz.yaml:9: [/rules/0/check]",
        "unknown parameter params.max_users_per_desk",
    )


@pytest.mark.cli
def test_placeholder_without_evidence(tmp_path):
    text = rule().replace('en: "failed {key}"', 'en: "failed {key}: {reason}"')
    pack = make_pack(tmp_path, {"zz.yaml": rule_file(text)})
    assert_broken_pack(
        check(pack),
        f"{pack}/zz.yaml:10: [/rules/0/message/en]",
        "placeholder(s) reason not defined in evidence",
    )


@pytest.mark.cli
def test_same_rule_id_twice_in_one_file(tmp_path):
    pack = make_pack(tmp_path, {"zz.yaml": rule_file(rule(), rule(check="'false'"))})
    assert_broken_pack(
        check(pack),
        f"{pack}/zz.yaml:14: [/rules/1/id]",
        "rule id 'zz-probe' already defined at",
        "zz.yaml:3",
    )


@pytest.mark.cli
def test_same_rule_id_in_two_files(tmp_path):
    pack = make_pack(
        tmp_path,
        {"za.yaml": rule_file(rule()), "zb.yaml": rule_file(rule(check="'false'"), family="SCOPE")},
    )
    assert_broken_pack(
        check(pack),
        f"{pack}/zb.yaml:3: [/rules/0/id]",
        "rule id 'zz-probe' already defined at",
        "za.yaml:3",
    )


@pytest.mark.cli
def test_unknown_collection(tmp_path):
    pack = make_pack(tmp_path, {"zz.yaml": rule_file(rule(over="userz"))})
    assert_broken_pack(check(pack), f"{pack}/zz.yaml:8: [/rules/0/over]", "'userz'")


@pytest.mark.cli
def test_unknown_requirement(tmp_path):
    pack = make_pack(
        tmp_path, {"zz.yaml": rule_file(rule().replace("[GOV-NOMINATIVE]", "[GOV-NOPE]"))}
    )
    assert_broken_pack(
        check(pack),
        f"{pack}/zz.yaml:4: [/rules/0/requirements/0]",
        "unknown requirement 'GOV-NOPE'",
    )


@pytest.mark.cli
def test_hostile_yaml_in_a_rule_file(tmp_path):
    text = rule_file(rule(check="!!python/object/apply:os.system ['true']"))
    pack = make_pack(tmp_path, {"zz.yaml": text})
    assert_broken_pack(check(pack), f"{pack}/zz.yaml:9: [/rules/0/check]", "is not allowed")


@pytest.mark.slow
@pytest.mark.cli
def test_every_command_refuses_a_broken_pack(tmp_path):
    pack = make_pack(tmp_path, {"zz.yaml": rule_file(rule(), rule())})
    for args in (
        ["rules", "--policies", str(pack)],
        ["test", str(pack)],
        ["coverage", "--policies", str(pack)],
        ["explain", "zz-probe", "--policies", str(pack)],
    ):
        result = cli(*args, cwd=tmp_path)
        assert result.returncode == 2, (args, result.stderr)
        assert "already defined" in result.stderr


# -- the pack loads, the rule cannot be evaluated: `error` findings, exit 1, never a pass
# ------------


@pytest.mark.cli
def test_expression_returning_a_non_boolean(tmp_path):
    result = check(make_pack(tmp_path, {"zz.yaml": rule_file(rule(check="entity.id"))}))
    assert result.returncode == 1, result.stderr
    assert set(statuses(result).values()) == {"error"}
    report = json.loads(result.stdout)
    finding = next(f for f in report["findings"] if f["rule_id"] == "zz-probe")
    assert "not a boolean" in finding["evidence"]["error"]
    assert "Nothing is presumed compliant" in finding["message"]["en"]


@pytest.mark.cli
def test_when_returning_a_non_boolean_is_an_error_not_a_skip(tmp_path):
    result = check(make_pack(tmp_path, {"zz.yaml": rule_file(rule(extra="when: entity.status\n"))}))
    assert result.returncode == 1, result.stderr
    assert set(statuses(result).values()) == {"error"}


@pytest.mark.cli
def test_rule_that_raises_on_some_entities_only(tmp_path):
    """2017 base: u-1 (ASS) and u-2 (CESF) have a diploma, u-3 and u-4 have none."""
    result = check(
        make_pack(
            tmp_path,
            {"zz.yaml": rule_file(rule(check='\'entity.diploma.type in ["ASS", "CESF"]\''))},
        ),
        BASE_2017,
    )
    assert result.returncode == 1, result.stderr
    assert statuses(result) == {"u-1": "pass", "u-2": "pass", "u-3": "error", "u-4": "error"}
    report = json.loads(result.stdout)
    lines = {
        f["entity"]["key"]: f["location"]["line"]
        for f in report["findings"]
        if f["rule_id"] == "zz-probe"
    }
    text = BASE_2017.read_text(encoding="utf-8").splitlines()
    for user in ("u-3", "u-4"):  # each error is reported on the entity's own line of the snapshot
        assert lines[user] == next(n for n, line in enumerate(text, 1) if f"id: {user}" in line)


@pytest.mark.cli
def test_consultation_rule_that_raises_on_some_rows(tmp_path):
    """Streamed log: rows without rsa_status raise; their user gets an `error`, counted per row."""
    log = tmp_path / "log.csv"
    log.write_text(
        "at,user,profile,rsa_status\n2025-06-02T09:00:00,u-1,T1,paid\n2025-06-02T09:05:00,u-2,T1,\n"
        "2025-06-02T09:06:00,u-2,T1,paid\n",
        encoding="utf-8",
    )
    snapshot = tmp_path / "snapshot.yaml"
    snapshot.write_text(
        BASE_2025.read_text(encoding="utf-8") + "consultations: {file: log.csv}\n", encoding="utf-8"
    )
    pack = make_pack(
        tmp_path,
        {
            "zz.yaml": rule_file(
                rule(over="consultations", check="'entity.rsa_status == \"paid\"'"), family="SCOPE"
            )
        },
    )
    result = check(pack, snapshot)
    assert result.returncode == 1, result.stderr
    assert statuses(result) == {"u-1": "pass", "u-2": "error"}
    finding = next(
        f
        for f in json.loads(result.stdout)["findings"]
        if f["rule_id"] == "zz-probe" and f["entity"]["key"] == "u-2"
    )
    assert (Path(finding["location"]["file"]).name, finding["location"]["line"]) == (
        "log.csv",
        3,
    )  # the first row that raised
    assert finding["evidence"]["errors"] == 1 and finding["evidence"]["checked"] == 2


@pytest.mark.cli
def test_an_evaluation_that_runs_too_long_is_an_error(tmp_path):
    """Nested comprehensions over 60 users: 216,000 steps, far beyond a 0.05 s budget."""
    heavy = "'users.all(a, users.all(b, users.all(c, a.id + b.id + c.id != \"\")))'"
    pack = load_pack(make_pack(tmp_path, {"zz.yaml": rule_file(rule(over="partner", check=heavy))}))
    text = BASE_2025.read_text(encoding="utf-8")
    users = "".join(
        f'  - {{id: x-{i}, profiles: [T1], status: revoked, revoked_on: "2025-04-02"}}\n'
        for i in range(60)
    )
    snapshot_path = tmp_path / "many.yaml"
    snapshot_path.write_text(text.replace("users:\n", "users:\n" + users, 1), encoding="utf-8")
    start = time.monotonic()
    report = evaluate(pack, load_snapshot(snapshot_path), AS_OF, include_passed=True, timeout=0.05)
    elapsed = time.monotonic() - start
    [finding] = [f for f in report.findings if f.rule_id == "zz-probe"]
    assert finding.status == "error"
    assert "evaluation took longer than 0.05 s" in finding.evidence["error"]
    assert "evaluation took longer than 0.05 s" in finding.message["en"]
    assert report.exit_code("critical") == 1
    assert elapsed < 5, f"the deadline did not stop the evaluation ({elapsed:.1f} s)"


def test_the_default_deadline_is_set():
    from cdap_policy.evaluate import runner

    assert 0 < runner.EVAL_TIMEOUT_S <= 30


@pytest.mark.cli
def test_broken_pack_is_an_error_in_the_library_too(tmp_path):
    pack = make_pack(tmp_path, {"zz.yaml": rule_file(rule(), rule())})
    with pytest.raises(PolicyError) as caught:
        load_pack(pack)
    assert "already defined" in str(caught.value)
