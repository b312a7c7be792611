"""The configuration file (.cdap-policy.yaml or [tool.cdap-policy] in pyproject.toml, found from
the current folder upwards), what wins over it, `cdap-policy config`, CDAP_POLICY_LANG, skipping a
rule with a reason, and -q/-v."""

import json
import shutil

import pytest
from click.testing import CliRunner
from helpers import FIXTURES

from cdap_policy.cli import cli
from cdap_policy.load import config as cfg
from cdap_policy.support.errors import InputError

CCAS = str(FIXTURES / "ccas-2025.yaml")  # one high failure (elig-t1-attestation-current), info ones
AS_OF = ["--as-of", "2025-06-30"]


@pytest.fixture
def here(tmp_path, monkeypatch):
    """A project folder, the current folder, with no configuration above it."""
    project = tmp_path / "projet"
    (project / "sub" / "deeper").mkdir(parents=True)
    monkeypatch.chdir(project)
    monkeypatch.delenv("CDAP_POLICY_LANG", raising=False)
    monkeypatch.delenv("CDAP_POLICY_CONFIG", raising=False)
    return project


def invoke(*args, env=None):
    return CliRunner().invoke(cli, list(map(str, args)), env=env)


@pytest.mark.cli
def test_found_from_the_current_folder_upwards(here, monkeypatch):
    (here / ".cdap-policy.yaml").write_text("fail-on: critical\n", encoding="utf-8")
    (here / "sub" / "pyproject.toml").write_text(
        '[project]\nname = "x"\n', encoding="utf-8"
    )  # no table: not ours
    assert cfg.find(here / "sub" / "deeper") == here / ".cdap-policy.yaml"
    (here / "sub" / "pyproject.toml").write_text(
        '[project]\nname = "x"\n\n[tool.cdap-policy]\nfail-on = "low"\n', encoding="utf-8"
    )
    assert cfg.find(here / "sub" / "deeper") == here / "sub" / "pyproject.toml"  # the nearest wins
    conf = cfg.load(here / "sub" / "pyproject.toml")
    assert conf.get("fail-on") == "low" and conf.where("fail-on").endswith("pyproject.toml:5")
    monkeypatch.chdir(here / "sub" / "deeper")
    assert (
        invoke("check", CCAS, *AS_OF).exit_code == 1
    )  # low: the info findings do not count, the high one does


def test_pyproject_lines_of_keys_and_subtables(here):
    (here / "pyproject.toml").write_text(
        '[tool.cdap-policy]\nfail-on = "medium"\n\n[tool.ruff]\nformat ='
        ' "x"\n\n[tool.cdap-policy.skip]\ngov-browser-supported = "parc renouvelé en 2025"\n',
        encoding="utf-8",
    )
    conf = cfg.load(cfg.find())
    assert (
        conf.where("fail-on").endswith(":2")
        and conf.where("skip").endswith(":7")
        and "format" not in conf.settings
    )
    assert conf.get("skip") == {"gov-browser-supported": "parc renouvelé en 2025"}


@pytest.mark.cli
def test_values_become_defaults_and_the_command_line_wins(here):
    (here / ".cdap-policy.yaml").write_text(
        "fail-on: critical\nformat: json\nlang: en\n", encoding="utf-8"
    )
    result = invoke("check", CCAS, *AS_OF)
    assert result.exit_code == 0  # the high failure is below `critical`
    report = json.loads(result.stdout)
    assert report["findings"][0]["message"]  # JSON, from the file
    assert invoke("check", CCAS, *AS_OF, "--fail-on", "high").exit_code == 1
    table = invoke("check", CCAS, *AS_OF, "--format", "table", "--lang", "fr")
    assert "échec" in table.stdout.lower() and not table.stdout.startswith("{")


@pytest.mark.cli
def test_paths_are_relative_to_the_file_and_used(here):
    (here / "conf").mkdir()
    (here / "conf" / "caf-params.yaml").write_text("inactive_days: 1\n", encoding="utf-8")
    (here / ".cdap-policy.yaml").write_text(
        "params: conf/caf-params.yaml\nformat: json\n", encoding="utf-8"
    )
    (here / "sub" / "deeper" / "s.yaml").write_text(
        (FIXTURES / "ccas-2025.yaml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    result = CliRunner().invoke(cli, ["check", str(here / "sub" / "deeper" / "s.yaml"), *AS_OF])
    inactive = [
        f
        for f in json.loads(result.stdout)["findings"]
        if f["rule_id"] == "gov-inactive-habilitation"
    ]
    assert inactive, "inactive_days: 1 from the file's parameter override"


@pytest.mark.cli
def test_lang_from_the_environment_then_the_option(here):
    (here / ".cdap-policy.yaml").write_text("lang: fr\n", encoding="utf-8")
    assert "Fichier de configuration" in invoke("config").stdout
    assert "Configuration file" in invoke("config", env={"CDAP_POLICY_LANG": "en"}).stdout
    assert (
        "Fichier de configuration"
        in invoke("config", "--lang", "fr", env={"CDAP_POLICY_LANG": "en"}).stdout
    )


@pytest.mark.cli
def test_config_shows_where_each_value_comes_from(here):
    (here / ".cdap-policy.yaml").write_text(
        "# team defaults\nfail-on: medium\nlog-root: [logs]\nskip:\n  gov-browser-supported: parc"
        " renouvelé en 2025\n",
        encoding="utf-8",
    )
    result = invoke("config", "--format", "json", env={"CDAP_POLICY_LANG": "en"})
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    rows = {r["key"]: r for r in data["settings"]}
    assert data["file"] == str(here / ".cdap-policy.yaml")
    assert (
        rows["fail-on"]["value"] == "medium"
        and rows["fail-on"]["where"] == f"{here / '.cdap-policy.yaml'}:2"
    )
    assert (
        rows["log-root"]["value"] == [str(here / "logs")] and rows["log-root"]["source"] == "file"
    )
    assert rows["lang"] == {
        "key": "lang",
        "value": "en",
        "source": "environment",
        "where": "CDAP_POLICY_LANG",
    }
    assert rows["format"]["source"] == "default" and rows["format"]["value"] == "table"
    assert rows["skip"]["value"] == {"gov-browser-supported": "parc renouvelé en 2025"}
    text = invoke("config").stdout
    assert ".cdap-policy.yaml:2]" in text and "par défaut" in text


@pytest.mark.cli
def test_no_configuration_file(here):
    result = invoke("config")
    assert result.exit_code == 0 and "Aucun fichier de configuration" in result.stdout
    assert invoke("--no-config", "config").stdout.startswith("Aucun")


@pytest.mark.cli
@pytest.mark.parametrize(
    "text,line,words",
    [
        ("fail_on: high\n", 1, "did you mean 'fail-on'"),
        ("format: pdf\n", 1, "'pdf'"),
        ("jobs: 0\n", 1, "jobs"),
        ("skip:\n  gov-browser-supported: ''\n", 2, "skip"),
    ],
)
def test_a_bad_file_stops_with_its_line(here, text, line, words):
    (here / ".cdap-policy.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        cfg.load(here / ".cdap-policy.yaml")
    problem = caught.value.problems[0]
    assert problem.line == line and words in problem.render("en") + problem.path
    result = invoke("check", CCAS, *AS_OF, "--lang", "en")
    assert (
        result.exit_code == 2
        and f".cdap-policy.yaml:{line}:" in result.stderr
        and "Traceback" not in result.output
    )


@pytest.mark.cli
def test_a_rule_skipped_with_its_reason_is_reported_as_skipped(here):
    (here / ".cdap-policy.yaml").write_text(
        "skip:\n  elig-t1-attestation-current: l'attestation 2025 est chez la Caf\n",
        encoding="utf-8",
    )
    result = invoke("check", CCAS, *AS_OF, "--format", "json")
    assert result.exit_code == 0, result.output  # the only high failure is not run
    report = json.loads(result.stdout)
    assert report["summary"]["rules_excluded"].get("configuration") == 1
    assert "elig-t1-attestation-current" not in {f["rule_id"] for f in report["findings"]}
    notice = next(n for n in report["notices"] if n["code"] == "rule-skipped")
    assert (
        notice["rule"] == "elig-t1-attestation-current"
        and "l'attestation 2025 est chez la Caf" in notice["message"]["fr"]
    )
    assert ".cdap-policy.yaml" in notice["message"]["en"]
    table = invoke("check", CCAS, *AS_OF)
    assert "non vérifiée : écartée par la configuration" in " ".join(
        table.stdout.split()
    )  # the notices come first


@pytest.mark.cli
def test_skipping_an_unknown_rule_is_refused(here):
    (here / ".cdap-policy.yaml").write_text(
        "skip:\n  elig-t1-attestation-curent: typo\n", encoding="utf-8"
    )
    result = invoke("check", CCAS, *AS_OF, "--lang", "en")
    assert result.exit_code == 2
    assert (
        "unknown rule 'elig-t1-attestation-curent'" in result.stderr
        and "elig-t1-attestation-current" in result.stderr
    )


@pytest.mark.slow
@pytest.mark.cli
def test_quiet_and_verbose(here, tmp_path):
    snapshots = tmp_path / "lot"
    snapshots.mkdir()
    shutil.copy(FIXTURES / "ccas-2025.yaml", snapshots / "ccas.yaml")
    shutil.copy(
        FIXTURES / "annual-review" / "ccas-year2-waivers.yaml", snapshots / "old-waivers.yaml"
    )
    (here / ".cdap-policy.yaml").write_text("fail-on: critical\n", encoding="utf-8")
    plain = invoke("check", snapshots, *AS_OF)
    assert plain.exit_code == 0 and plain.stderr.startswith(
        "remarque : 1 fichier(s) du projet ignoré(s)"
    )
    quiet = invoke("check", snapshots, *AS_OF, "-q")
    assert quiet.exit_code == 0 and quiet.stderr == ""
    verbose = invoke("check", snapshots, *AS_OF, "--verbose", "--lang", "en")
    lines = verbose.stderr.splitlines()
    assert f"debug: configuration: {here / '.cdap-policy.yaml'}" in lines
    assert f"debug: fail-on = critical ({here / '.cdap-policy.yaml'}:1)" in lines
    assert any(line.startswith("debug: 1 snapshot(s) checked in ") for line in lines)
    assert any(line.startswith("note: 1 file(s) of the project skipped") for line in lines)
    assert (
        invoke("check", snapshots, *AS_OF, "-q").stdout == plain.stdout
    )  # the report does not change
