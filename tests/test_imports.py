"""Each command imports only what it needs (measured with `python -X importtime`; asserted here on
the modules, not on times, which depend on the machine).

- `--help` and `rules` import no CEL engine;
- a `check` with the native engine imports no cel-python, Lark or pendulum, and no jsonschema for a
  valid snapshot (the compiled schema validator accepts it), once the pack is in the disk cache;
- a `check` with cel-python does not import the native runtime.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from helpers import FIXTURES, ROOT

from cdap_policy.engines import available

ENGINES = {
    "celpy",
    "lark",
    "pendulum",
    "cel",
    "cdap_policy.engines.celpy",
    "cdap_policy.engines.native",
}
PRINT_MODULES = (
    "import json, sys\n"
    "sys.argv = ['cdap-policy'] + sys.argv[1:]\n"
    "from cdap_policy.cli import main\n"
    "try:\n    main()\n"
    "except SystemExit:\n    pass\n"
    "finally:\n    print(json.dumps(sorted(sys.modules)), file=sys.stderr)\n"
)


def imported(*args) -> set:
    proc = subprocess.run(
        [sys.executable, "-c", PRINT_MODULES, *map(str, args)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    return set(json.loads(proc.stderr.strip().splitlines()[-1]))


@pytest.mark.cli
def test_help_and_rules_import_no_engine():
    subprocess.run(
        [sys.executable, "-m", "cdap_policy", "rules"], capture_output=True, cwd=ROOT, timeout=300
    )  # the pack cached
    assert imported("--help") & ENGINES == set()
    rules = imported("rules")
    assert rules & ENGINES == set() and "cdap_policy.load.pack" in rules


@pytest.mark.slow
@pytest.mark.cli
@pytest.mark.skipif(available("native") is not None, reason="native engine not installed")
def test_a_native_check_imports_no_cel_python():
    args = [
        "check",
        FIXTURES / "departement-2017.yaml",
        "--as-of",
        "2025-06-30",
        "--format",
        "json",
        "--output",
        "-",
        "--engine",
    ]
    subprocess.run(
        [sys.executable, "-m", "cdap_policy", *map(str, args), "native"],
        capture_output=True,
        cwd=ROOT,
        timeout=300,
    )
    native = imported(*args, "native")
    assert {
        "cdap_policy.evaluate.runner",
        "cdap_policy.engines.native",
    } <= native  # it did check, natively
    assert native & {"celpy", "lark", "pendulum", "jsonschema"} == set()
    compiled = imported(*args, "compiled")
    assert "celpy" in compiled and "cdap_policy.engines.native" not in compiled


@pytest.mark.slow
@pytest.mark.cli
@pytest.mark.skipif(available("native") is not None, reason="native engine not installed")
def test_a_batch_runs_on_the_native_engine_unless_another_is_named(tmp_path):
    """The fastest engine installed, which tests/test_engines.py proves gives the same reports."""
    for name in ("ccas-2025.yaml", "departement-2017.yaml"):
        (tmp_path / name).write_bytes((FIXTURES / name).read_bytes())
    args = [
        "check",
        tmp_path,
        "--as-of",
        "2025-06-30",
        "--format",
        "jsonl",
        "--output",
        tmp_path / "out.jsonl",
        "--jobs",
        "1",
        "--no-progress",
    ]
    assert "cdap_policy.engines.native" in imported(*args)
    assert "cdap_policy.engines.native" not in imported(*args, "--engine", "compiled")
    assert "cdap_policy.engines.native" not in imported(
        "check",
        tmp_path / "ccas-2025.yaml",
        "--as-of",
        "2025-06-30",
        "--format",
        "json",
        "--output",
        tmp_path / "one.json",
    )


def test_the_batch_default_is_the_reference_where_the_native_engine_is_missing(monkeypatch):
    from cdap_policy import engines

    monkeypatch.setattr(engines, "available", lambda name: "not installed")
    assert engines.batch_default() == "compiled"
