"""The package as it is published: metadata, one version, the licence, types, and no placeholder
address in what is shipped. (`.ci/run` builds the sdist and the wheel, runs `twine check` and
checks a fixture with the wheel installed alone.)"""

import importlib.metadata
import re
import shutil
import subprocess
import sys

import pytest
from helpers import ROOT

from cdap_policy import __version__
from cdap_policy.formatters.common import INFORMATION_URI

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
# what the wheel and the README carry to users (tests are not installed)
SHIPPED = [
    "README.md",
    "SECURITY.md",
    "pyproject.toml",
    ".pre-commit-hooks.yaml",
    "cdap_policy",
    "policies",
    "schemas",
    "examples",
    "docs",
    "fixtures",
]
PLACEHOLDER_URL = re.compile(
    r"https?://[^\s\"'<>)]*(\.invalid|\.example|\.test|\.localhost|example\.(com|org|net)|your-[a-z-]+)"
    r"(?=[/\s\"'<>):]|$)"
)


@pytest.mark.cli
def test_one_version_from_one_place():
    project = PYPROJECT["project"]
    assert "version" not in project and "version" in project["dynamic"]
    assert PYPROJECT["tool"]["hatch"]["version"]["path"] == "cdap_policy/__init__.py"
    assert re.fullmatch(r"\d+\.\d+\.\d+", __version__)
    assert (
        importlib.metadata.version("cdap-policy") == __version__
    )  # what pip installed says the same
    if shutil.which("git") and (ROOT / ".git").exists():  # a release tag names that version
        tag = subprocess.run(
            ["git", "describe", "--exact-match", "--tags", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        if tag.returncode == 0:
            assert tag.stdout.strip() == f"v{__version__}"


def test_metadata_a_package_index_shows():
    project = PYPROJECT["project"]
    assert project["license"] == "EUPL-1.2" and project["license-files"] == ["LICENSE"]
    assert (
        (ROOT / "LICENSE")
        .read_text(encoding="utf-8")
        .startswith("EUROPEAN UNION PUBLIC LICENCE v. 1.2")
    )
    assert not any(
        c.startswith("License ::") for c in project["classifiers"]
    )  # the SPDX expression says it (PEP 639)
    assert (
        "Typing :: Typed" in project["classifiers"]
        and (ROOT / "cdap_policy" / "py.typed").is_file()
    )
    assert {"Natural Language :: French", "Natural Language :: English"} <= set(
        project["classifiers"]
    )
    assert (
        project["urls"]["Homepage"] == project["urls"]["Source"] == INFORMATION_URI
    )  # SARIF names the same address
    assert all(url.startswith(INFORMATION_URI) for url in project["urls"].values())
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "EUPL-1.2" in readme and "## Installing it elsewhere" in readme
    # the name is not on PyPI: installed from a clone, a wheel or the repository at a commit
    # (PEP 508 `name @ url`)
    assert not re.search(r"pip install ['\"]?cdap-policy(?!\S* @ git\+)", readme)


def test_no_placeholder_address_in_what_is_shipped():
    found = []
    for entry in SHIPPED:
        paths = [ROOT / entry] if (ROOT / entry).is_file() else sorted((ROOT / entry).rglob("*"))
        for path in paths:
            if not path.is_file() or path.suffix in (".xlsx", ".pyc", ".gz", ".parquet"):
                continue
            text = path.read_text(encoding="utf-8", errors="replace")
            found += [
                f"{path.relative_to(ROOT)}: {m.group(0)}" for m in PLACEHOLDER_URL.finditer(text)
            ]
            if "PINNED_COMMIT" in text:
                found.append(f"{path.relative_to(ROOT)}: PINNED_COMMIT")
    assert not found, found


def test_schema_ids_are_the_files_in_the_repository():
    import json

    for path in sorted((ROOT / "schemas").glob("*.json")):
        schema_id = json.loads(path.read_text(encoding="utf-8")).get("$id")
        assert (
            schema_id
            == f"https://raw.githubusercontent.com/{INFORMATION_URI.split('github.com/')[1]}/main/schemas/{path.name}"
        )


def test_the_configuration_schema_knows_every_format_and_severity():
    import json

    from cdap_policy.evaluate.findings import SEVERITY_RANK
    from cdap_policy.formatters import REPORT_FORMATS

    schema = json.loads((ROOT / "schemas" / "config.schema.json").read_text(encoding="utf-8"))
    assert schema["properties"]["format"]["enum"] == list(REPORT_FORMATS)
    assert schema["properties"]["fail-on"]["enum"] == list(SEVERITY_RANK)
