"""Every engine gives the same findings as the reference, cel-python.

- cel-python's compiled runner (the default, fast) and its interpreter (the reference) on every
  fixture, each in its own process: cel-python keeps its parser in module globals.
- The native engine (`pip install '.[fast]'`) and the compiled runner, the whole pack,
  on every fixture, on every rule's own test cases, on the partners of the benchmark's generator
  (with deliberate defects) and on snapshots drawn from the schema (rarely compliant: they reach
  the error paths). Skipped, with the reason, where the extra is not installed.

"The same findings" is every field of every finding (passes and not-applicable outcomes
included) and the summary: the report as JSON, byte for byte. Where the native runtime fails on
an expression, cel-python gives the result and its words, so even an `error` finding is the same.
Between cel-python's two runners, the words of an error may differ (tests do not depend on a
library's wording).
"""

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from helpers import FIXTURES, POLICIES, ROOT

from cdap_policy.engines import available

NAMES = sorted(p.name for p in FIXTURES.glob("*.yaml") if p.name != "expected-findings.yaml")
AS_OF = "2025-06-30"
NATIVE_MISSING = available("native")
needs_native = pytest.mark.skipif(
    NATIVE_MISSING is not None, reason=f"native engine not installed: {NATIVE_MISSING}"
)


def report(name, engine):
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "cdap_policy",
            "check",
            str(FIXTURES / name),
            "--as-of",
            AS_OF,
            "--format",
            "json",
            "--include-passed",
            "--engine",
            engine,
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert proc.returncode in (0, 1), proc.stderr
    data = json.loads(proc.stdout)
    return data["summary"], [
        (f["rule_id"], f["entity"]["key"], f["status"], f["message"]["fr"])
        for f in data["findings"]
    ]


@pytest.mark.slow
@pytest.mark.cli
@pytest.mark.parametrize("name", NAMES)
def test_compiled_and_interpreted_runners_agree(name):
    assert report(name, "compiled") == report(name, "interpreted")


# -- the native engine against the compiled runner ------------------------------------------------


@pytest.fixture(scope="module")
def packs():
    from cdap_policy.load.pack import load_pack

    return load_pack(POLICIES, runner="compiled"), load_pack(POLICIES, runner="native")


def comparable(report, strict: bool = True) -> dict:
    """The report as data (with `strict` False, an error's own words left out)."""
    out = report.to_dict()
    out.pop("duration_s", None)
    for finding in [] if strict else out["findings"]:
        if finding["status"] == "error":
            for part in ("message", "remediation"):
                finding[part] = None
            finding["evidence"] = {k: v for k, v in finding["evidence"].items() if k != "error"}
    return out


def same_findings(packs, snapshot):
    from cdap_policy.evaluate.runner import evaluate

    compiled, native = (
        comparable(evaluate(pack, snapshot, AS_OF, include_passed=True)) for pack in packs
    )
    if compiled != native:
        expected = {(f["rule_id"], f["entity"]["key"]): f for f in compiled["findings"]}
        got = {(f["rule_id"], f["entity"]["key"]): f for f in native["findings"]}
        differing = sorted(k for k in expected.keys() | got.keys() if expected.get(k) != got.get(k))
        first = differing[0] if differing else None
        pytest.fail(
            f"{snapshot.file}: {len(differing)} finding(s) differ, e.g. {first}:\n"
            f"  compiled: {expected.get(first)}\n  native:   {got.get(first)}\n"
            f"  summaries equal: {compiled['summary'] == native['summary']}"
        )
    # the same bytes: maps in the same order too (the runtime's own maps have none)
    assert json.dumps(compiled, ensure_ascii=False) == json.dumps(native, ensure_ascii=False), (
        f"{snapshot.file}: same values, another order"
    )
    return compiled


def fixture_paths() -> list[Path]:
    found = [
        *FIXTURES.glob("*.yaml"),
        *FIXTURES.glob("annual-review/*.yaml"),
        *(POLICIES / "tests").glob("base-*.yaml"),
    ]
    return sorted(
        p for p in found if "waivers" not in p.name and p.name != "expected-findings.yaml"
    )  # snapshots only


@pytest.mark.cli
@needs_native
@pytest.mark.parametrize("path", fixture_paths(), ids=lambda p: p.name)
def test_native_and_compiled_agree_on_every_fixture(packs, path):
    from cdap_policy.load.snapshot import load_snapshot

    data = same_findings(packs, load_snapshot(path))
    assert sum(data["summary"]["by_status"].values()) > 0  # the comparison judged something


@pytest.mark.slow
@needs_native
def test_native_and_compiled_agree_on_every_rule_test_case(packs):
    """The rules' own cases (a failing and a passing one per rule at least) reach every rule's
    paths: each must end the same way with both engines."""
    from cdap_policy.authoring.rulecases import run_cases

    compiled, native = (run_cases(pack) for pack in packs)
    assert len(compiled) == len(native) > 100
    differing = [
        (c.case.rule, c.case.name, c.detail, n.detail)
        for c, n in zip(compiled, native, strict=True)
        if (c.ok, c.detail, c.statuses) != (n.ok, n.detail, n.statuses)
    ]
    assert differing == []


def _generator():
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import generate
    except ImportError as exc:  # the generator is optional in a source tree
        return None, str(exc)
    finally:
        sys.path.pop(0)
    return generate, None


@pytest.mark.slow
@pytest.mark.cli
@needs_native
def test_native_and_compiled_agree_on_generated_partners(packs):
    """Partners of every organisation kind from the benchmark's generator, half of them with one to
    three deliberate defects, so that failing findings are compared too."""
    from cdap_policy.load.snapshot import load_snapshot
    from cdap_policy.support.errors import InputError

    generate, why = _generator()
    if generate is None:
        pytest.skip(f"benchmarks/generate.py not importable: {why}")
    with tempfile.TemporaryDirectory() as tmp:
        manifest = generate.generate(
            Path(tmp), count=48, seed=16, violations=0.5, max_users=40, validate=False
        )
        folder = Path(tmp) / manifest["snapshots"]
        compared = failing = 0
        for entry in manifest["partners"]:
            try:
                snapshot = load_snapshot(folder / entry["file"])
            except InputError:  # a generator out of step with the schema is its own test's business
                continue
            data = same_findings(packs, snapshot)
            compared += 1
            failing += data["summary"]["by_status"].get("fail", 0)
    assert compared >= 40 and failing > 0


@pytest.mark.slow
@pytest.mark.cli
@needs_native
def test_native_and_compiled_agree_on_snapshots_drawn_from_the_schema(packs):
    """Schema-valid snapshots with generated users, providers and sections (the property tests'
    strategy): dates, statuses and shapes no fixture has, and many `error` outcomes."""
    from hypothesis import HealthCheck, given, settings
    from test_properties import snapshots, write

    from cdap_policy.load.snapshot import load_snapshot

    @settings(
        max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), database=None
    )
    @given(snapshots())
    def agree(data):
        same_findings(packs, load_snapshot(write(data), "snapshot.json"))

    agree()


@pytest.mark.slow
@pytest.mark.cli
@needs_native
def test_native_reads_a_consultation_log_like_the_compiled_runner(packs, tmp_path):
    """Consultation rules run per log row (values handed over per call, not per entity)."""
    from cdap_policy.load.snapshot import load_snapshot

    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import generate_log
    finally:
        sys.path.pop(0)
    snapshot = generate_log.main(["--rows", "3000", "--out", str(tmp_path)])
    data = same_findings(packs, load_snapshot(snapshot))
    assert data["summary"]["by_status"].get("fail", 0) > 0


@needs_native
def test_native_engine_errors_are_findings_not_crashes(packs):
    """What the runtime refuses (missing field, wrong type, a custom function's ValueError, an
    unknown variable at run time) is an EvalError, never another exception, and never printed."""
    from cdap_policy.engines import EvalError

    engine = packs[1].engine
    for source, activation in [
        ("entity.missing > 1", {"entity": {}}),
        ('"a" + entity.n == "b"', {"entity": {"n": 1}}),
        ('days_between(entity.d, "soon") > 1', {"entity": {"d": "2025-01-01"}}),
        ("entity.n / 0 > 1", {"entity": {"n": 2}}),
        ("entity.x", {}),
    ]:
        with pytest.raises(EvalError):
            engine.compile(source).evaluate(activation)
    # CEL's && and || absorb an error that the other side decides
    assert (
        engine.compile('days_between(entity.d, "soon") > 1 || true').evaluate(
            {"entity": {"d": "2025-01-01"}}
        )
        is True
    )


@pytest.mark.cli
def test_native_without_its_package_is_refused_in_one_line(monkeypatch):
    """`--engine native` where the extra is missing: exit 2 and how to install it."""
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            (
                "import sys; sys.modules['cel'] = None; sys.argv = ['cdap-policy', 'check', "
                f"{str(FIXTURES / 'ccas-2025.yaml')!r}, '--engine', 'native'];"
                "from cdap_policy.cli import main; main()"
            ),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert proc.returncode == 2, proc.stderr
    assert "pip install '.[fast]'" in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.parametrize(
    "source,paths",
    [
        ("users.filter(u, u.active).map(u, u.id)", [("users",)]),
        ("[1, 2].map(x, x + 1)", []),
        ("(has(a.b) ? a.b : []).filter(x, x > 1)", [("a", "b")]),
        ("users.map(u, u.profiles.filter(p, p != 'T1'))", [("users",), ("users", "*", "profiles")]),
        # an indexed value: whichever item or value the index picks is looked at
        ("params.m[entity.k].map(x, x)", [("params", "m", "[]")]),
        ("users[facts.i].h.filter(x, x > 1)", [("users", "[]", "h")]),
        ("(c ? [users[i]] : []).map(u, u.h.map(x, x))", [("users", "[]", "h")]),
        ("params.m[entity.k].x.y.map(x, x)", [("params", "m", "[]", "x", "y")]),
        ("[[1], [2]].map(v, v.filter(x, x > 1))", []),
    ],
)
def test_what_a_list_building_macro_iterates_is_known_before_evaluating(source, paths):
    """The native engine hands evidence to cel-python where a `map` or `filter` could iterate a
    map (no fixed order in the runtime): known from the parse tree, looked at on the values."""
    from cdap_policy.engines import analysis

    variables = {"users", "a", "params", "entity"}
    assert analysis.iterated_paths(analysis.parse(source), variables) == paths


def test_maps_an_expression_returns_come_in_its_literal_s_order():
    from cdap_policy.engines import analysis

    variables = {"entity"}
    tree = analysis.parse('has(entity.r) ? entity.r : {"fr": "jamais", "en": "never"}')
    assert analysis.result_maps(tree, variables) == ([["fr", "en"]], [("entity", "r")])
    assert analysis.result_maps(analysis.parse("entity.x.map(v, {'a': v})"), variables) is None
    src = "!agg.p.exists(c, c in params.profiles[string(e)]) && has(params.x) && has(params.y.z)"
    assert (
        analysis.hoisted_source(analysis.parse(src), src)
        == "!agg.p.exists(c, c in __cdap_params_profiles[string(e)]) && has(params.x) &&"
        " has(__cdap_params_y.z)"
    )
