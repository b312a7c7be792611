"""`check` over many snapshots: folders, globs, shards, a pool of processes, reports streamed as
JSON Lines, a summary by family, rule and partner, subsets of rules, and memory that does not
grow with the number of snapshots (issue 16, items 3 and 5)."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from helpers import FIXTURES, ROOT, pack, through_a_terminal

sys.path.insert(0, str(ROOT / "benchmarks"))
import generate  # noqa: E402

AS_OF = ["--as-of", generate.AS_OF]


def run(*args, env=None, timeout=300):
    proc = subprocess.run(
        [sys.executable, "-m", "cdap_policy", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=timeout,
        env={**os.environ, "COLUMNS": "100", **(env or {})},
    )
    assert "Traceback" not in proc.stdout + proc.stderr, proc.stderr[-3000:]
    assert "internal error" not in proc.stderr and "erreur interne" not in proc.stderr, proc.stderr[
        -3000:
    ]
    return proc


def lines_of(text: str) -> list[dict]:
    from cdap_policy.report.reportfile import parse

    assert text.endswith("\n") and text.count("\n") == len(text.splitlines())
    return [parse(line, f"line {n}")[0] for n, line in enumerate(text.splitlines(), 1)]


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """24 generated partners in nested folders, a fifth with defects, and 3 files
    that do not load.
    """
    out = tmp_path_factory.mktemp("batch")
    manifest = generate.generate(
        out, 24, seed=11, violations=0.2, broken_count=3, max_users=12, validate=False
    )
    snapshots = out / manifest["snapshots"]
    nested = snapshots / "caf-44" / "2025"
    nested.mkdir(parents=True)
    for entry in manifest["partners"][-6:]:  # a tree, as a Caf would store its partners
        (snapshots / entry["file"]).rename(nested / entry["file"])
        entry["file"] = f"caf-44/2025/{entry['file']}"
    return snapshots, manifest


# -- which snapshots
# -------------------------------------------------------------------------------------------------


def test_folders_are_walked_recursively_in_a_stable_order_without_hidden_folders(tmp_path):
    """A snapshot's waiver file stands for its snapshot (checked once); any other YAML or JSON file
    is handed on, to be recognised by its content (tests/test_project_files.py)."""
    from cdap_policy.pipeline.batch.discover import discover

    for name in (
        "b/2.yaml",
        "b/10.yml",
        "a.json",
        "b/2.waivers.yaml",
        "b/x.waivers.yaml",
        ".git/c.yaml",
        "b/log.csv",
        "b/.hidden.yaml",
    ):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("{}\n")
    paths, problems = discover([tmp_path])
    assert problems == []
    assert [p.relative_to(tmp_path).as_posix() for p in paths] == [
        "a.json",
        "b/10.yml",
        "b/2.yaml",
        "b/x.waivers.yaml",
    ]
    paths, _ = discover(
        [tmp_path / "b" / "2.waivers.yaml", tmp_path / "b" / "2.yaml"]
    )  # what a pre-commit hook passes
    assert [p.relative_to(tmp_path).as_posix() for p in paths] == ["b/2.yaml"]


def test_quoted_globs_are_expanded_and_a_file_reached_twice_is_checked_once(tmp_path):
    from cdap_policy.pipeline.batch.discover import discover

    for name in ("x/1.yaml", "x/2.yaml", "y/3.yaml"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("{}\n")
    paths, problems = discover([tmp_path / "y" / "3.yaml", f"{tmp_path}/**/*.yaml", tmp_path / "x"])
    assert [p.relative_to(tmp_path).as_posix() for p in paths] == [
        "y/3.yaml",
        "x/1.yaml",
        "x/2.yaml",
    ]
    assert problems == []
    _, problems = discover([f"{tmp_path}/*.nothing", tmp_path / "empty-does-not-exist"])
    assert (
        len(problems) == 1 and "*.nothing" in problems[0].file
    )  # a missing file is reported when checked


@pytest.mark.cli
def test_an_empty_folder_or_a_glob_matching_nothing_is_exit_2_with_one_line(tmp_path):
    (tmp_path / "empty").mkdir()
    proc = run("check", tmp_path / "empty", f"{tmp_path}/*.yaml", *AS_OF, "--lang", "en")
    assert proc.returncode == 2 and proc.stdout == ""
    assert (
        "no snapshot in this folder" in proc.stderr
        and "no snapshot matches this pattern" in proc.stderr
    )


# -- shards
# -------------------------------------------------------------------------------------------------


@pytest.mark.cli
@pytest.mark.parametrize("text", ["0/3", "4/3", "1/0", "a/b", "2", "1/2/3"])
def test_a_bad_shard_is_refused(text):
    from cdap_policy.pipeline.batch import shard

    with pytest.raises(ValueError):
        shard.parse(text)
    proc = run("check", FIXTURES / "ccas-2025.yaml", "--shard", text)
    assert proc.returncode == 2 and "--shard" in proc.stderr


@pytest.mark.parametrize("size", [0, 1, 7, 100])
@pytest.mark.parametrize("n", [1, 2, 3, 8])
def test_shards_are_disjoint_cover_everything_and_differ_by_one_at_most(size, n):
    from cdap_policy.pipeline.batch import shard

    items = list(range(size))
    parts = [shard.select(items, k, n) for k in range(1, n + 1)]
    assert sorted(x for part in parts for x in part) == items
    assert max(map(len, parts)) - min(map(len, parts)) <= 1


@pytest.mark.slow
@pytest.mark.cli
def test_shards_of_a_batch_make_up_the_whole_batch_and_their_summaries_its_summary(
    folder, tmp_path
):
    from cdap_policy.pipeline.batch.summary import Summary

    snapshots, _ = folder
    run(
        "check",
        snapshots,
        *AS_OF,
        "--format",
        "jsonl",
        "-o",
        tmp_path / "whole.jsonl",
        "--summary",
        tmp_path / "whole.json",
    )
    for k in (1, 2, 3):
        run(
            "check",
            snapshots,
            *AS_OF,
            "--format",
            "jsonl",
            "-o",
            tmp_path / f"{k}.jsonl",
            "--summary",
            tmp_path / f"{k}.json",
            "--shard",
            f"{k}/3",
        )
    files = [
        [
            r["snapshot"]["file"]
            for r in lines_of((tmp_path / f"{k}.jsonl").read_text(encoding="utf-8"))
        ]
        for k in (1, 2, 3)
    ]
    assert all(files) and sum(map(len, files)) == len(set().union(*files))  # disjoint
    whole = lines_of((tmp_path / "whole.jsonl").read_text(encoding="utf-8"))
    assert sorted(f for part in files for f in part) == sorted(
        r["snapshot"]["file"] for r in whole
    )  # and complete

    parts = [
        Summary.from_dict(json.loads((tmp_path / f"{k}.json").read_text(encoding="utf-8")))
        for k in (1, 2, 3)
    ]
    merged = parts[0].merge(parts[1]).merge(parts[2]).to_dict()
    expected = json.loads((tmp_path / "whole.json").read_text(encoding="utf-8"))
    expected["partners"].sort(key=lambda p: p["file"])
    expected["unreadable"].sort(key=lambda u: u["file"])
    assert merged == expected and merged["unreadable_count"] == 3


@pytest.mark.cli
def test_a_shard_with_nothing_to_check_says_so_and_passes(tmp_path):
    proc = run(
        "check",
        FIXTURES / "ccas-2025.yaml",
        *AS_OF,
        "--shard",
        "2/2",
        "--lang",
        "en",
        "-o",
        tmp_path / "r.jsonl",
    )
    assert (
        proc.returncode == 0
        and "shard 2/2: no snapshot to check" in proc.stderr
        and not (tmp_path / "r.jsonl").exists()
    )


# -- the batch
# -------------------------------------------------------------------------------------------------


@pytest.mark.cli
def test_a_batch_with_broken_snapshots_checks_the_others_reports_each_error_and_exits_2(
    folder, tmp_path
):
    snapshots, manifest = folder
    out, summary_file = tmp_path / "reports.jsonl", tmp_path / "summary.json"
    proc = run(
        "check",
        snapshots,
        *AS_OF,
        "--format",
        "jsonl",
        "-o",
        out,
        "--summary",
        summary_file,
        "--jobs",
        "2",
        "--lang",
        "en",
    )
    assert proc.returncode == 2
    for entry in manifest["broken"]:
        assert f"cannot check {snapshots / entry['file']}" in proc.stderr
    reports = lines_of(out.read_text(encoding="utf-8"))
    expected = sorted(str(snapshots / e["file"]) for e in manifest["partners"])
    assert [
        r["snapshot"]["file"] for r in reports
    ] == expected  # input order, whatever the pool did
    for entry, report in zip(
        sorted(manifest["partners"], key=lambda e: str(snapshots / e["file"])), reports, strict=True
    ):
        failing = {f["rule_id"] for f in report["findings"] if f["status"] in ("fail", "error")}
        assert {d["rule"] for d in entry["defects"]} <= failing
        assert bool(entry["defects"]) == bool(failing), entry
    summary = json.loads(summary_file.read_text(encoding="utf-8"))
    assert (
        summary["snapshots"] == 27 and summary["checked"] == 24 and summary["unreadable_count"] == 3
    )
    assert summary["exit_code"] == 2
    assert sorted(u["file"] for u in summary["unreadable"]) == sorted(
        str(snapshots / b["file"]) for b in manifest["broken"]
    )
    for entry in manifest["partners"]:
        for defect in entry["defects"]:
            assert summary["by_rule"][defect["rule"]]["fail"] >= 1


@pytest.mark.cli
def test_the_pool_and_a_single_process_write_the_same_bytes(folder):
    snapshots, _ = folder
    one = run("check", snapshots, *AS_OF, "--format", "jsonl", "--jobs", "1")
    two = run("check", snapshots, *AS_OF, "--format", "jsonl", "--jobs", "2")
    assert one.returncode == two.returncode == 2 and one.stdout == two.stdout and one.stdout


@pytest.mark.slow
@pytest.mark.cli
def test_the_table_ends_with_a_summary_by_family_rule_and_partner(folder):
    snapshots, manifest = folder
    proc = run("check", snapshots, *AS_OF, "--lang", "en")
    assert proc.returncode == 2
    tail = proc.stdout[proc.stdout.rindex("Batch summary") :]
    assert "27 snapshot(s): 24 checked, 3 unreadable; exit code 2" in tail
    for heading in ("By family", "By rule", "By partner", "Unreadable snapshots (3)"):
        assert heading in tail
    rules = {d["rule"] for e in manifest["partners"] for d in e["defects"]}
    assert rules and all(rule in tail for rule in rules)
    french = run("check", snapshots, *AS_OF).stdout
    assert (
        "Synthèse du lot" in french
        and "Par famille" in french
        and "Instantanés illisibles (3)" in french
    )


@pytest.mark.slow
@pytest.mark.cli
@pytest.mark.parametrize(
    "fmt, marker", [("markdown", "## Batch summary"), ("html", 'id="batch-summary"')]
)
def test_markdown_and_html_carry_the_summary_too(folder, fmt, marker):
    snapshots, _ = folder
    proc = run("check", snapshots, *AS_OF, "--format", fmt, "--lang", "en")
    assert proc.returncode == 2 and marker in proc.stdout and "3 unreadable" in proc.stdout


def test_summary_values_from_the_input_are_text_in_every_format():
    import dataclasses

    from test_format_html import assert_self_contained

    from cdap_policy.formatters import FormatOptions, render
    from cdap_policy.pipeline.batch.summary import Summary, digest
    from cdap_policy.pipeline.check import CheckOptions, check_snapshot
    from cdap_policy.support.errors import Problem

    hostile = "<script>alert(1)</script> | **CCAS** [x](javascript:1)\x1b[31m"
    report = check_snapshot(pack(), FIXTURES / "ccas-2025.yaml", CheckOptions(as_of=generate.AS_OF))
    report = dataclasses.replace(report, partner=hostile)
    summary = Summary()
    summary.add(digest(report, 1))
    summary.add_unreadable(
        f"{hostile}.yaml", [Problem(f"{hostile}.yaml", 3, "/partner", "bad <b>value</b>")]
    )
    options = FormatOptions(lang="en", width=160, summary=summary)
    page = render("html", [report], options)
    assert_self_contained(page)
    assert (
        "<script>alert(1)" not in page
        and "&lt;script&gt;alert(1)" in page
        and 'id="batch-summary"' in page
    )
    markdown = render("markdown", [report], options)
    assert "<script>" not in markdown and "\\*\\*CCAS\\*\\*" in markdown and "\x1b" not in markdown
    from cdap_policy.formatters.batch_summary import table

    for width in (80, 160):
        text = table(summary, dataclasses.replace(options, width=width))
        assert "\x1b" not in text and "<script>alert(1)</script>" in text and "1 unreadable" in text


def test_json_and_table_written_one_report_at_a_time_are_the_bytes_of_the_whole_list():
    from cdap_policy import formatters
    from cdap_policy.formatters import FormatOptions, render
    from cdap_policy.pipeline.check import CheckOptions, check_snapshot

    options = FormatOptions(lang="en", width=100)
    reports = [
        check_snapshot(pack(), FIXTURES / name, CheckOptions(as_of=generate.AS_OF))
        for name in ("ccas-2025.yaml", "hopital-2025-hebergeur.yaml", "commune-t2-cafpro.yaml")
    ]
    streamed = [fmt for fmt in formatters.REPORT_FORMATS if formatters.streams(fmt)]
    assert streamed == ["table", "json", "jsonl"]
    for fmt in streamed:
        for count in (1, 2, 3):
            joiner = formatters.joiner(fmt)
            text = (
                "".join(joiner.add(formatters.item(fmt, r, options)) for r in reports[:count])
                + joiner.end()
            )
            assert text == render(fmt, reports[:count], options), (fmt, count)


def test_jsonl_lines_never_break_inside_a_report():
    from cdap_policy.formatters import FormatOptions, jsonl
    from cdap_policy.pipeline.check import CheckOptions, check_snapshot

    report = check_snapshot(pack(), FIXTURES / "ccas-2025.yaml", CheckOptions(as_of=generate.AS_OF))
    report.partner = "CCAS\u2028de\u2029Saint\nAubin"
    line = jsonl.line(report, FormatOptions())
    assert len(line.splitlines()) == 1 and json.loads(line)["snapshot"]["partner"] == report.partner


@pytest.mark.cli
def test_the_output_may_not_be_one_of_the_snapshots_of_a_folder(folder):
    snapshots, manifest = folder
    target = snapshots / manifest["partners"][0]["file"]
    before = target.read_bytes()
    proc = run("check", snapshots, *AS_OF, "-o", target, "--lang", "en")
    assert (
        proc.returncode == 2
        and "names an input file" in proc.stderr
        and target.read_bytes() == before
    )


# -- subsets of rules
# -------------------------------------------------------------------------------------------------


@pytest.mark.cli
def test_rule_and_family_select_the_rules_that_run():
    proc = run(
        "check",
        FIXTURES / "departement-2017.yaml",
        *AS_OF,
        "--format",
        "json",
        "--rule",
        "quota-profile-max",
        "--rule",
        "gov-dpo",
        "--family",
        "coord",
    )
    report = json.loads(proc.stdout)
    coord = {r.id for r in pack().rules if r.family == "COORD"}
    assert set(report["rules"]) == {"quota-profile-max", "gov-dpo"} | coord
    assert {f["rule_id"] for f in report["findings"]} <= set(report["rules"])
    assert "quota-profile-max" in {f["rule_id"] for f in report["findings"]}
    assert report["summary"]["rules_excluded"]["selection"] == len(pack().rules) - report[
        "summary"
    ]["rules_run"] - sum(
        n for k, n in report["summary"]["rules_excluded"].items() if k != "selection"
    )


@pytest.mark.cli
def test_an_unknown_rule_or_family_is_refused_with_a_suggestion():
    proc = run(
        "check", FIXTURES / "ccas-2025.yaml", *AS_OF, "--rule", "quota-profil-max", "--lang", "en"
    )
    assert proc.returncode == 2 and proc.stdout == ""
    assert (
        "unknown rule 'quota-profil-max'" in proc.stderr
        and "did you mean: quota-profile-max" in proc.stderr
    )
    proc = run("check", FIXTURES / "ccas-2025.yaml", *AS_OF, "--family", "QUOTAS", "--lang", "en")
    assert (
        proc.returncode == 2 and "unknown family 'QUOTAS'" in proc.stderr and "QUOTA" in proc.stderr
    )


# -- interruptions
# -------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def slow_folder(tmp_path_factory):
    """Departments with long logs: a batch that takes long enough to be interrupted."""
    out = tmp_path_factory.mktemp("slow")
    manifest = generate.generate(
        out,
        4,
        seed=3,
        kind="department",
        users=150,
        edition=2017,
        violations=0,
        log_rows_count=100_000,
        validate=False,
    )
    return out / manifest["snapshots"]


def _no_worker_left(pid: int) -> bool:
    """No process left whose parent is `pid` (the workers of the pool)."""
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", encoding="ascii") as handle:
                    if int(handle.read().rsplit(")", 1)[1].split()[1]) == pid:
                        return False
            except (OSError, ValueError, IndexError):
                continue
    return True


@pytest.mark.slow
@pytest.mark.cli
@pytest.mark.skipif(not os.path.isdir("/proc"), reason="reads the process table from /proc")
def test_timeout_stops_the_workers_and_writes_nothing(slow_folder, tmp_path):
    out = tmp_path / "reports.jsonl"
    out.write_text("old\n", encoding="utf-8")
    started = time.monotonic()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "cdap_policy",
            "check",
            str(slow_folder),
            *AS_OF,
            "--format",
            "jsonl",
            "-o",
            str(out),
            "--jobs",
            "2",
            "--timeout",
            "3",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 2 and "--timeout" in stderr and "Traceback" not in stderr
    assert time.monotonic() - started < 30
    assert out.read_text(encoding="utf-8") == "old\n" and [p.name for p in tmp_path.iterdir()] == [
        "reports.jsonl"
    ]
    assert _no_worker_left(proc.pid)


@pytest.mark.slow
@pytest.mark.cli
@pytest.mark.skipif(not os.path.isdir("/proc"), reason="reads the process table from /proc")
def test_ctrl_c_exits_130_ends_the_workers_and_leaves_no_partial_output(slow_folder, tmp_path):
    out = tmp_path / "reports.jsonl"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "cdap_policy",
            "check",
            str(slow_folder),
            *AS_OF,
            "--format",
            "jsonl",
            "-o",
            str(out),
            "--jobs",
            "2",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    time.sleep(4)
    os.killpg(proc.pid, signal.SIGINT)  # as a terminal does: the whole process group
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130 and "interrompu" in stderr and "Traceback" not in stderr
    assert list(tmp_path.iterdir()) == []
    assert _no_worker_left(proc.pid)


# -- progress
# -------------------------------------------------------------------------------------------------


def _through_a_terminal(args, env):
    code, output = through_a_terminal(args, {**os.environ, **env})
    return code, output.decode("utf-8", "replace")


@pytest.mark.slow
@pytest.mark.cli
@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_a_progress_bar_on_a_terminal_none_in_ci_or_with_no_progress(folder, tmp_path):
    snapshots, _ = folder
    args = [
        "check",
        snapshots,
        *AS_OF,
        "--format",
        "jsonl",
        "-o",
        tmp_path / "r.jsonl",
        "--lang",
        "en",
        "--jobs",
        "1",
    ]
    env = {"CI": "", "TERM": "xterm"}
    code, shown = _through_a_terminal(args, env)
    assert code == 2 and "Checking" in shown and "27" in shown
    assert "Checking" not in _through_a_terminal(args, {**env, "CI": "true"})[1]
    assert "Checking" not in _through_a_terminal([*args, "--no-progress"], env)[1]
    piped = run(*args)  # standard error is not a terminal
    assert "Checking" not in piped.stderr and "cannot check" in piped.stderr


# -- memory
# -------------------------------------------------------------------------------------------------


def _peak_rss_mb(args) -> float:
    code = (
        "import resource, runpy, sys; sys.argv = ['cdap-policy'] + sys.argv[1:]\ntry:\n   "
        " runpy.run_module('cdap_policy', run_name='__main__')\nfinally:\n    print('PEAK',"
        " resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, *map(str, args)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=1800,
    )
    assert proc.returncode in (0, 1, 2), proc.stderr[-2000:]
    return int(proc.stderr.rsplit("PEAK", 1)[1].split()[0]) / 1024


@pytest.mark.slow
@pytest.mark.cli
@pytest.mark.large
def test_memory_does_not_grow_with_the_number_of_snapshots(tmp_path):
    small, large = tmp_path / "200", tmp_path / "1000"
    generate.generate(small, 200, seed=1, max_users=20, validate=False)
    generate.generate(large, 1000, seed=1, max_users=20, validate=False)
    peaks = {}
    for name, folder in (("200", small), ("1000", large)):
        for fmt in ("jsonl", "table"):
            peaks[name, fmt] = _peak_rss_mb(
                [
                    "check",
                    folder / "snapshots",
                    *AS_OF,
                    "--format",
                    fmt,
                    "-o",
                    tmp_path / f"{name}.{fmt}",
                    "--jobs",
                    "2",
                ]
            )
    for fmt in ("jsonl", "table"):
        # five times the snapshots, a few megabytes more at most (the summary keeps ~300
        # bytes per partner)
        assert peaks["1000", fmt] - peaks["200", fmt] < 15, peaks
