"""Hostile inputs: every case of tests/hostile/cases.yaml, through the real command line.

Each case runs `python -m cdap_policy check` in a subprocess (two at a time), under an address-space
limit (prlimit) and a timeout, and checks the outcome the manifest gives: exit code, one problem
line naming file, line and field, or the findings expected; no traceback; peak memory (ru_maxrss
of the child, from wait4); and every input byte for byte unchanged.
"""
from __future__ import annotations

import concurrent.futures
import filecmp
import gzip
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from cdap_policy.yamlsource import load_file

HERE = Path(__file__).resolve().parent
HOSTILE = HERE / "hostile"
AS_OF = "2025-06-30"
DEFAULT_TIMEOUT = 60.0
DEFAULT_MAX_RSS_MB = 300
PRLIMIT = shutil.which("prlimit")

CASES = load_file(HOSTILE / "cases.yaml").data["cases"]


def case_id(case: dict) -> str:
    name = case.get("file") or case["make"]
    for arg in case.get("args", []):
        if arg.endswith(".yaml"):
            name += "+" + arg
    return name


@dataclass
class Run:
    code: int | None
    stdout: str
    stderr: str
    seconds: float
    max_rss_mb: float
    timed_out: bool
    changed: list[str]


def sha256(path: Path) -> str | None:
    if not path.is_file():
        return None
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# The peak RSS of a process counts what it inherited at fork: a child forked from this pytest
# process (hundreds of MB once pyarrow and Hypothesis are loaded) would report pytest's size, not
# the checker's. A small fresh interpreter forks the command instead and reports its peak.
MEASURE = """
import os, sys
pid = os.fork()
if pid == 0:
    os.execvp(sys.argv[2], sys.argv[2:])
_, status, usage = os.wait4(pid, 0)
with open(sys.argv[1], "w") as out:
    out.write(str(usage.ru_maxrss))
code = os.waitstatus_to_exitcode(status)
os._exit(code if code >= 0 else 128 - code)
"""


def run_cli(args: list[str], cwd: Path, timeout: float, max_rss_mb: float, inputs: list[Path]) -> Run:
    """Run the CLI in a subprocess: exit code, output, wall time, peak RSS, inputs changed."""
    before = {str(p): sha256(p) for p in inputs}
    command = [sys.executable, "-m", "cdap_policy", *args]
    if PRLIMIT:  # an address-space ceiling: a runaway allocation ends in MemoryError, not in swap
        limit = int(max(2048, 3 * max_rss_mb) * 1024 * 1024)
        command = [PRLIMIT, f"--as={limit}", "--", *command]
    rss_path = cwd / f".rss-{threading.get_ident()}"
    command = [sys.executable, "-c", MEASURE, str(rss_path), *command]
    out_path, err_path = cwd / f".out-{threading.get_ident()}", cwd / f".err-{threading.get_ident()}"
    env = {**os.environ, "COLUMNS": "160", "PYTHONUNBUFFERED": "1"}
    start = time.monotonic()
    with out_path.open("wb") as out, err_path.open("wb") as err:
        process = subprocess.Popen(command, cwd=cwd, stdin=subprocess.DEVNULL, stdout=out, stderr=err, env=env, start_new_session=True)
        timed_out = threading.Event()

        def kill():
            timed_out.set()
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

        timer = threading.Timer(timeout, kill)
        timer.start()
        try:
            _, status, usage = os.wait4(process.pid, 0)
        finally:
            timer.cancel()
        process.returncode = os.waitstatus_to_exitcode(status)  # reaped here: Popen must not wait again
    seconds = time.monotonic() - start
    stdout = out_path.read_text(encoding="utf-8", errors="replace")
    stderr = err_path.read_text(encoding="utf-8", errors="replace")
    out_path.unlink()
    err_path.unlink()
    try:  # absent when the run was killed on its timeout
        peak_kb = int(rss_path.read_text(encoding="ascii"))
        rss_path.unlink()
    except (OSError, ValueError):
        peak_kb = usage.ru_maxrss
    changed = [name for name, digest in before.items() if sha256(Path(name)) != digest]
    return Run(process.returncode, stdout, stderr, seconds, peak_kb / 1024, timed_out.is_set(), changed)


# -- inputs built at test time -------------------------------------------------------------------

def _base_text(workdir: Path) -> str:
    return (workdir / "base.yaml").read_text(encoding="utf-8")


def make_directory(workdir: Path) -> str:
    (workdir / "a-directory.yaml").mkdir(exist_ok=True)
    return "a-directory.yaml"


def make_missing(workdir: Path) -> str:
    return "does-not-exist.yaml"


def make_fifo(workdir: Path) -> str:
    path = workdir / "pipe.yaml"
    if not path.exists():
        os.mkfifo(path)
    return "pipe.yaml"


def make_device(workdir: Path) -> str:
    return "/dev/zero"


def make_long_line_log(workdir: Path) -> str:
    (workdir / "logs" / "long-line.csv").write_text("at,user,profile\n" + "9" * (4 << 20), encoding="utf-8")
    (workdir / "log-long-line.yaml").write_text(_base_text(workdir) + "consultations: {file: logs/long-line.csv}\n", encoding="utf-8")
    return "log-long-line.yaml"


def make_identical_users(workdir: Path, count: int = 1000) -> str:
    base = _base_text(workdir)
    users = "".join(
        f"  - {{id: x-{i}, first_name: Jean, last_name: Dupont, email: accueil@villebrume.example, profiles: [T1],"
        f" status: active, granted_on: \"2025-04-01\"}}\n" for i in range(count))
    (workdir / "identical-users.yaml").write_text(base.replace("users:\n", "users:\n" + users, 1), encoding="utf-8")
    return "identical-users.yaml"


def make_snapshot_50mb(workdir: Path) -> str:
    """About 100,000 users in block style: 50 MB."""
    base = _base_text(workdir)
    head, tail = base.split("reviews:\n", 1)
    path = workdir / "snapshot-50mb.yaml"
    with path.open("w", encoding="utf-8") as out:
        out.write(head)
        size, index = len(head), 3
        while size < 50_000_000:
            user = (f"  - id: u-{index}\n    first_name: Prénom{index}\n    last_name: Nom{index}\n"
                    f"    email: agent{index}@villebrume.example\n    function: Agent d'accueil\n    contract: {{type: permanent}}\n"
                    f"    profiles: [T1]\n    status: revoked\n    granted_on: \"2025-04-01\"\n    revoked_on: \"2025-04-02\"\n"
                    f"    commitment_signed_on: \"2025-03-28\"\n    security_briefed_on: \"2025-03-28\"\n")
            out.write(user)
            size += len(user.encode("utf-8"))
            index += 1
        out.write("reviews:\n" + tail)
    return path.name


def make_dense_nodes(workdir: Path) -> str:
    path = workdir / "dense-nodes.yaml"
    path.write_text("[" + "1," * 2_250_000 + "1]\n", encoding="utf-8")
    return path.name


LOG_ROWS = 10_000_000


def make_log_10m_rows(workdir: Path) -> str:
    """Ten million consultations by the two active users of base.yaml, in a 1,000-row block repeated."""
    block = "".join(
        f"2025-{4 + i % 3:02d}-{1 + i % 28:02d}T{8 + i % 10:02d}:{i % 60:02d}:00,u-{1 + i % 2},T1,F{i:07d},known_number,true\n"
        for i in range(1000)).encode()
    with (workdir / "logs" / "ten-million.csv").open("wb") as out:
        out.write(b"at,user,profile,file,entry,non_opposition\n")
        for _ in range(LOG_ROWS // 1000):
            out.write(block)
    (workdir / "log-10m-rows.yaml").write_text(_base_text(workdir) + "consultations: {file: logs/ten-million.csv}\n", encoding="utf-8")
    return "log-10m-rows.yaml"


MAKERS = {
    "directory": make_directory, "missing": make_missing, "fifo": make_fifo, "device": make_device,
    "long-line-log": make_long_line_log, "identical-users": make_identical_users, "snapshot-50mb": make_snapshot_50mb,
    "dense-nodes": make_dense_nodes, "log-10m-rows": make_log_10m_rows,
}


# -- running the cases --------------------------------------------------------------------------

def _touched(case: dict, workdir: Path, snapshot: str) -> list[Path]:
    names = [snapshot, *(a for a in case.get("args", []) if a.endswith(".yaml"))]
    if case.get("where"):
        names.append(case["where"])
    paths = [workdir / n for n in names if not n.startswith("/dev/")]
    text = (workdir / snapshot).read_text(encoding="utf-8", errors="replace") if (workdir / snapshot).is_file() and (workdir / snapshot).stat().st_size < 1 << 20 else ""
    if "consultations: {file: " in text:
        paths.append(workdir / text.split("consultations: {file: ")[1].split("}")[0].split(",")[0])
    return [p for p in paths if p.is_file()]


def execute(case: dict, workdir: Path) -> tuple[str, Run]:
    snapshot = MAKERS[case["make"]](workdir) if "make" in case else case["file"]
    # messages are pinned in English; French is the default, checked in test_safety.py and test_cli.py
    args = ["check", "--as-of", AS_OF, "--lang", "en", "--format", "json", *case.get("args", []), snapshot]
    if "--format" in case.get("args", []):
        args = ["check", "--as-of", AS_OF, "--lang", "en", *case["args"], snapshot]
    run = run_cli(args, workdir, float(case.get("timeout", DEFAULT_TIMEOUT)), float(case.get("max_rss_mb", DEFAULT_MAX_RSS_MB)),
                  _touched(case, workdir, snapshot))
    return snapshot, run


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("hostile") / "inputs"
    shutil.copytree(HOSTILE / "inputs", target)
    return target


@pytest.fixture(scope="module")
def results(request, workdir) -> dict:
    """The selected small cases, run two at a time (the machine has 2 cores)."""
    wanted = {item.callspec.id for item in request.session.items
              if getattr(item, "originalname", None) == "test_hostile_input" and hasattr(item, "callspec")}
    todo = [c for c in CASES if not c.get("large") and case_id(c) in wanted]
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        futures = {case_id(c): pool.submit(execute, c, workdir) for c in todo}
        return {name: future.result() for name, future in futures.items()}


def check_outcome(case: dict, snapshot: str, run: Run, workdir: Path, reference: dict | None = None):
    where = f"{case_id(case)}: exit {run.code}, {run.seconds:.1f} s, {run.max_rss_mb:.0f} MB\nstderr: {run.stderr[-3000:]}"
    assert not run.timed_out, f"timed out after {case.get('timeout', DEFAULT_TIMEOUT)} s: {where}"
    for stream in (run.stdout, run.stderr):
        assert "Traceback" not in stream, where
        assert "internal error" not in stream and "erreur interne" not in stream, where
    assert run.code != 3, where
    assert run.max_rss_mb <= float(case.get("max_rss_mb", DEFAULT_MAX_RSS_MB)), f"peak memory {run.max_rss_mb:.0f} MB: {where}"
    assert run.changed == [], f"inputs modified: {run.changed}"

    if "same_as" in case:
        assert reference is not None
        assert run.code == reference["code"], where
        mine = json.loads(run.stdout)
        mine["snapshot"]["file"] = reference["report"]["snapshot"]["file"]
        for finding in mine["findings"]:
            finding["location"]["file"] = case["same_as"]
        assert mine == reference["report"], where
        return

    expected = case["exit"]
    assert run.code in (expected if isinstance(expected, list) else [expected]), where
    if run.code == 2:
        problems = [line for line in run.stderr.splitlines() if line.startswith("  ")]
        assert len(problems) == 1, f"expected one problem line: {where}"
        assert run.stderr.splitlines()[0].startswith(("erreur : ", "error: ")), where
        problem = problems[0].strip()
        prefix = case.get("where", snapshot)
        prefix += f":{case['line']}:" if "line" in case else ":"
        assert problem.startswith(prefix), f"expected {prefix!r} at the start of {problem!r}"
        if "field" in case:
            assert f"[{case['field']}" in problem, f"expected field {case['field']!r} in {problem!r}"
        assert case["message"] in problem, f"expected {case['message']!r} in {problem!r}"
        assert run.stdout.strip() in ("", "[]"), where
    elif "--format" not in case.get("args", []):
        report = json.loads(run.stdout)
        assert [f for f in report["findings"] if f["status"] == "error"] == [], where
        got = {(f["rule_id"], f["entity"]["key"]): f["location"]["line"] for f in report["findings"]}
        for finding in case.get("findings", []):
            key = (finding["rule"], finding["entity"])
            assert key in got, f"missing finding {key}: {sorted(got)[:20]}"
            assert got[key] == finding["line"], f"{key}: line {got[key]}, expected {finding['line']}"
    if "stdout" in case:
        assert case["stdout"] in run.stdout, where


@pytest.fixture(scope="module")
def reference(workdir) -> dict:
    _, run = execute({"file": "base.yaml"}, workdir)
    assert run.code in (0, 1), run.stderr
    return {"code": run.code, "report": json.loads(run.stdout)}


SMALL = [c for c in CASES if not c.get("large")]
LARGE = [c for c in CASES if c.get("large")]


def test_manifest_has_at_least_40_cases():
    assert len(CASES) >= 40
    ids = [case_id(c) for c in CASES]
    assert len(ids) == len(set(ids)), "duplicate case"
    committed = {p.name for p in (HOSTILE / "inputs").iterdir() if p.is_file()}
    used = {c["file"] for c in CASES if "file" in c} | {a for c in CASES for a in c.get("args", []) if a.endswith(".yaml")}
    used |= {c["file"] for c in CASES if "same_as" in c} | {"base.yaml"}
    assert committed - used == set(), "inputs without a case"
    assert used - committed == set(), "cases without an input"


def test_corpus_is_what_the_generator_writes(tmp_path):
    sys.path.insert(0, str(HOSTILE))
    try:
        import make_corpus
    finally:
        sys.path.remove(str(HOSTILE))
    make_corpus.write(tmp_path)
    written = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file())
    committed = sorted(str(p.relative_to(HOSTILE / "inputs")) for p in (HOSTILE / "inputs").rglob("*") if p.is_file() and p.name != "base.yaml")
    assert written == committed, "run python tests/hostile/make_corpus.py"
    mismatched = [name for name in written if not filecmp.cmp(tmp_path / name, HOSTILE / "inputs" / name, shallow=False)]
    assert mismatched == [], "run python tests/hostile/make_corpus.py"


def test_base_of_the_corpus_is_valid(workdir):
    run = run_cli(["validate", "base.yaml"], workdir, DEFAULT_TIMEOUT, DEFAULT_MAX_RSS_MB, [workdir / "base.yaml"])
    assert run.code == 0, run.stderr


@pytest.mark.parametrize("case", SMALL, ids=[case_id(c) for c in SMALL])
def test_hostile_input(case, results, workdir, request):
    snapshot, run = results[case_id(case)]
    ref = request.getfixturevalue("reference") if "same_as" in case else None
    check_outcome(case, snapshot, run, workdir, ref)


@pytest.mark.large
@pytest.mark.parametrize("case", LARGE, ids=[case_id(c) for c in LARGE])
def test_very_large_input(case, workdir, record_property):
    snapshot, run = execute(case, workdir)
    record_property("seconds", round(run.seconds, 1))
    record_property("max_rss_mb", round(run.max_rss_mb))
    print(f"\n{case_id(case)}: exit {run.code}, {run.seconds:.1f} s, peak {run.max_rss_mb:.0f} MB")
    try:
        check_outcome(case, snapshot, run, workdir)
    finally:
        for name in ("snapshot-50mb.yaml", "dense-nodes.yaml", "logs/ten-million.csv"):
            (workdir / name).unlink(missing_ok=True)


def test_no_file_is_left_behind_by_the_checker(workdir, results):
    """The checker writes nothing next to its inputs (no cache, no temporary file)."""
    expected = {str(p.relative_to(HOSTILE / "inputs")) for p in (HOSTILE / "inputs").rglob("*")}
    made = {"a-directory.yaml", "pipe.yaml", "log-long-line.yaml", "logs/long-line.csv", "identical-users.yaml",
            "snapshot-50mb.yaml", "dense-nodes.yaml", "log-10m-rows.yaml", "logs/ten-million.csv"}
    extra = {str(p.relative_to(workdir)) for p in workdir.rglob("*")} - expected - made
    assert extra == set()


def test_gzip_log_and_plain_log_give_the_same_report(tmp_path):
    """A well-formed gzip log is read like the plain one (so the truncated-gzip case tests truncation only)."""
    base = (HOSTILE / "inputs" / "base.yaml").read_text(encoding="utf-8")
    rows = "at,user,profile,file,entry,non_opposition\n" + "2025-06-02T09:15:00,u-1,T1,F0000001,known_number,true\n" * 50
    (tmp_path / "log.csv").write_text(rows, encoding="utf-8")
    (tmp_path / "log.csv.gz").write_bytes(gzip.compress(rows.encode(), mtime=0))
    reports = []
    for name in ("log.csv", "log.csv.gz"):
        (tmp_path / f"s-{name}.yaml").write_text(base + f"consultations: {{file: {name}}}\n", encoding="utf-8")
        run = run_cli(["check", "--as-of", AS_OF, "--format", "json", f"s-{name}.yaml"], tmp_path, DEFAULT_TIMEOUT, DEFAULT_MAX_RSS_MB, [])
        assert run.code in (0, 1), run.stderr
        report = json.loads(run.stdout)
        report["snapshot"]["file"] = ""
        for finding in report["findings"]:
            finding["location"]["file"] = ""
        reports.append(report)
    assert reports[0] == reports[1]
