"""The project's own files where snapshots are: recognised by their shape (never their name
alone), skipped with one notice by `check` and `validate`, whether a folder, a glob or the file
itself is given; an unknown YAML refused in one line as « not a snapshot »."""

import json
import shutil

import pytest
from click.testing import CliRunner
from helpers import FIXTURES, POLICIES, ROOT

from cdap_policy.cli import cli
from cdap_policy.load.filekinds import is_snapshot_like, kind_of
from cdap_policy.load.yamlsource import load_file

AS_OF = ["--as-of", "2025-06-30"]
PARAMETER_NAMES = frozenset(
    {"inactive_days", "subcontractor_notice_months", "countries", "t1_2017_caf_admitted_kinds"}
)


def kind(path, **kwargs):
    return kind_of(load_file(path).data, path.name, lambda: PARAMETER_NAMES, **kwargs)


@pytest.mark.parametrize(
    "path,expected",
    [
        (POLICIES / "checklist.yaml", "checklist"),
        (POLICIES / "gov.yaml", "policy"),
        (POLICIES / "gov.tests.yaml", "policy-tests"),
        (POLICIES / "requirements.yaml", "requirements"),
        (POLICIES / "pack.yaml", "pack"),
        (POLICIES / "params" / "durations.yaml", "params"),
        (FIXTURES / "annual-review" / "ccas-year2-waivers.yaml", "waivers"),
    ],
    ids=lambda v: v if isinstance(v, str) else v.name,
)
def test_the_shipped_files_are_recognised(path, expected):
    assert not is_snapshot_like(load_file(path).data)
    assert kind(path) == expected


@pytest.mark.slow
@pytest.mark.cli
def test_reports_and_overrides_are_recognised(tmp_path):
    runner = CliRunner()
    for fmt, expected in (
        ("json", "report"),
        ("sarif", "sarif"),
        ("codequality", "codequality"),
        ("oscal", "oscal"),
    ):
        out = tmp_path / f"report.{fmt}.json"
        runner.invoke(
            cli,
            ["check", str(FIXTURES / "ccas-2025.yaml"), *AS_OF, "--format", fmt, "-o", str(out)],
        )
        assert kind(out) == expected, fmt
    out = tmp_path / "two.json"  # a list of reports (several snapshots)
    runner.invoke(
        cli,
        [
            "check",
            str(FIXTURES / "ccas-2025.yaml"),
            str(FIXTURES / "commune-t2-cafpro.yaml"),
            *AS_OF,
            "--format",
            "json",
            "-o",
            str(out),
            "--summary",
            str(tmp_path / "summary.json"),
        ],
    )
    assert kind(out) == "report" and kind(tmp_path / "summary.json") == "summary"
    runner.invoke(
        cli,
        [
            "check",
            str(FIXTURES / "annual-review" / "ccas-year1.yaml"),
            *AS_OF,
            "--format",
            "json",
            "-o",
            str(tmp_path / "y1.json"),
        ],
    )
    runner.invoke(
        cli,
        [
            "diff",
            str(tmp_path / "y1.json"),
            str(tmp_path / "y1.json"),
            "--format",
            "json",
            "-o",
            str(tmp_path / "d.json"),
        ],
    )
    assert kind(tmp_path / "d.json") == "diff"
    override = tmp_path / "my-caf-params.yaml"
    override.write_text(
        "inactive_days: 120\nt1_2017_caf_admitted_kinds: [ccas, cias]\n", encoding="utf-8"
    )
    assert kind(override) == "params"
    config = tmp_path / ".cdap-policy.yaml"
    config.write_text("fail-on: medium\n", encoding="utf-8")
    assert kind(config) == "config"
    unknown = tmp_path / "compose.yaml"
    unknown.write_text("services:\n  web: {image: nginx}\n", encoding="utf-8")
    assert kind(unknown) is None
    assert is_snapshot_like(load_file(POLICIES / "tests" / "base-2025.yaml").data)
    # a misspelt override is not a file of the project: it is refused, not skipped
    override.write_text("inactiv_days: 120\n", encoding="utf-8")
    assert kind(override) is None


@pytest.fixture
def folder(tmp_path):
    """A partner repository as CI sees it: snapshots, each with its waivers, last run's reports,
    the Caf's parameter override and the partner's checklist."""
    snapshots = tmp_path / "snapshots"
    snapshots.mkdir()
    shutil.copy(FIXTURES / "annual-review" / "ccas-year2.yaml", snapshots / "ccas.yaml")
    shutil.copy(
        FIXTURES / "annual-review" / "ccas-year2-waivers.yaml", snapshots / "ccas.waivers.yaml"
    )
    shutil.copy(FIXTURES / "hopital-2025-hebergeur.yaml", snapshots / "hopital.yaml")
    shutil.copy(
        FIXTURES / "annual-review" / "ccas-year2-waivers.yaml",
        snapshots / "anciennes-derogations.yaml",
    )
    shutil.copy(POLICIES / "checklist.yaml", snapshots / "pieces.yaml")
    (snapshots / "parametres-caf.yaml").write_text("inactive_days: 120\n", encoding="utf-8")
    report = CliRunner().invoke(
        cli, ["check", str(FIXTURES / "ccas-2025.yaml"), *AS_OF, "--format", "json"]
    )
    (snapshots / "rapport-2025.json").write_text(report.output, encoding="utf-8")
    return tmp_path


@pytest.mark.slow
@pytest.mark.cli
@pytest.mark.parametrize("lang", ["fr", "en"])
def test_a_folder_with_snapshots_waivers_and_reports_is_checked(folder, lang):
    result = CliRunner().invoke(
        cli,
        [
            "check",
            str(folder / "snapshots"),
            "--as-of",
            "2026-06-30",
            "--format",
            "json",
            "--lang",
            lang,
        ],
    )
    assert result.exit_code == 1, result.output  # findings; never 2
    reports = json.loads(result.stdout)
    assert sorted(r["snapshot"]["file"].rsplit("/", 1)[1] for r in reports) == [
        "ccas.yaml",
        "hopital.yaml",
    ]
    ccas = next(r for r in reports if r["snapshot"]["file"].endswith("ccas.yaml"))
    assert ccas["waivers"]["file"].endswith(
        "ccas.waivers.yaml"
    )  # its waivers applied, not checked as a snapshot
    notes = [line for line in result.stderr.splitlines() if line.startswith(("remarque", "note"))]
    assert len(notes) == 1, result.stderr  # one notice for all of them
    words = {
        "fr": (
            "4 fichier(s) du projet ignoré(s)",
            "dérogations",
            "rapport",
            "paramètres",
            "liste des pièces",
        ),
        "en": ("4 file(s) of the project skipped", "waivers", "report", "parameters", "checklist"),
    }[lang]
    assert all(word in notes[0] for word in words), notes[0]
    assert "ccas.waivers.yaml" not in notes[0]


@pytest.mark.slow
@pytest.mark.cli
def test_a_folder_of_compliant_snapshots_exits_0_and_validate_takes_folders(folder):
    for name in ("ccas.yaml", "ccas.waivers.yaml", "hopital.yaml"):
        (folder / "snapshots" / name).unlink()
    shutil.copy(POLICIES / "tests" / "base-2025.yaml", folder / "snapshots" / "villebrume.yaml")
    runner = CliRunner()
    result = runner.invoke(cli, ["check", str(folder / "snapshots"), *AS_OF])
    assert result.exit_code == 0, result.output
    result = runner.invoke(
        cli, ["validate", str(folder / "snapshots"), f"{folder}/snapshots/*.json"]
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [f"{folder / 'snapshots' / 'villebrume.yaml'}: valide"]
    assert "4 fichier(s) du projet ignoré(s)" in result.stderr


@pytest.mark.slow
@pytest.mark.cli
def test_an_unknown_yaml_is_refused_in_one_line(folder):
    (folder / "snapshots" / "docker-compose.yml").write_text(
        "services:\n  web: {image: nginx}\n", encoding="utf-8"
    )
    for command in ("check", "validate"):
        result = CliRunner().invoke(
            cli,
            [
                command,
                str(folder / "snapshots"),
                *(AS_OF if command == "check" else []),
                "--lang",
                "en",
            ],
        )
        assert result.exit_code == 2, result.output
        problems = [
            line
            for line in result.stderr.splitlines()
            if "docker-compose.yml" in line and line.startswith("  ")
        ]
        assert problems == [
            f"  {folder / 'snapshots' / 'docker-compose.yml'}:1: not a snapshot: a snapshot must be"
            " a mapping with sections partner, convention, users..."
        ], result.stderr


@pytest.mark.cli
def test_a_missing_section_is_reported_once(tmp_path):
    text = (POLICIES / "tests" / "base-2025.yaml").read_text(encoding="utf-8")
    head, users = text.split("users:\n", 1)
    (tmp_path / "s.yaml").write_text(
        head.replace("convention:", "old_convention:"), encoding="utf-8"
    )
    result = CliRunner().invoke(cli, ["validate", str(tmp_path / "s.yaml"), "--lang", "en"])
    assert result.exit_code == 2
    missing = [line for line in result.stderr.splitlines() if "missing required field" in line]
    assert len(missing) == 1 and "'convention', 'users'" in missing[0], result.stderr


@pytest.mark.cli
def test_a_pre_commit_hook_given_only_a_waiver_file_checks_its_snapshot(folder):
    result = CliRunner().invoke(
        cli,
        [
            "check",
            str(folder / "snapshots" / "ccas.waivers.yaml"),
            "--as-of",
            "2026-06-30",
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 1, result.output
    report = json.loads(result.stdout)
    assert report["snapshot"]["file"].endswith("ccas.yaml") and report["waivers"]["file"].endswith(
        "ccas.waivers.yaml"
    )


@pytest.mark.slow
@pytest.mark.cli
def test_the_shipped_fixtures_folder_is_checked(tmp_path):
    result = CliRunner().invoke(
        cli,
        [
            "check",
            str(ROOT / "fixtures"),
            *AS_OF,
            "--format",
            "json",
            "-o",
            str(tmp_path / "r.json"),
        ],
    )
    assert result.exit_code == 1, result.output
    assert "ccas-year2-waivers.yaml" in result.stderr and result.stderr.count("\n") == 1
