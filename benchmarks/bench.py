"""Benchmark cdap-policy on this machine and print a Markdown table for the README.

    python benchmarks/bench.py                 # 400-user department + 100,000-row log
    python benchmarks/bench.py --rows 1000000  # a larger log
    python benchmarks/bench.py --repeat 7

Figures: a cold `check` (new process: imports, pack compilation, snapshot, evaluation), the
same work warm in one process, each phase, the engine's evaluations per second, and the
consultation log checked by `check` in a new process (rows per second, peak memory).
Timings stay out of the test suite; this script is the place for them.
"""
from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DEPARTMENT = ROOT / "fixtures" / "departement-2017.yaml"
AS_OF = "2025-06-30"


def median_time(fn, repeat):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), min(times), max(times)


def child(args):
    """Run the CLI in a new process; return (wall seconds, peak RSS MB of that process)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "report.json"
        code = ("import resource, runpy, sys; sys.argv = ['cdap-policy'] + sys.argv[1:];\n"
                "try:\n    runpy.run_module('cdap_policy', run_name='__main__')\n"
                "finally:\n    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)")
        start = time.perf_counter()
        proc = subprocess.run([sys.executable, "-c", code, *map(str, args), "--format", "json", "--output", str(out)],
                              capture_output=True, text=True, cwd=ROOT)
        wall = time.perf_counter() - start
        if proc.returncode not in (0, 1):
            raise SystemExit(f"check failed ({proc.returncode}): {proc.stderr[-2000:]}")
        peak_kb = int(proc.stderr.strip().splitlines()[-1])
        return wall, peak_kb / 1024


def main(argv=None):
    parser = argparse.ArgumentParser(description="Benchmark cdap-policy")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args(argv)

    from cdap_policy.policy import load_pack
    from cdap_policy.engine import Program
    from cdap_policy.runner import evaluate
    from cdap_policy.snapshot import load_snapshot

    rows = []
    colds = [child(["check", DEPARTMENT, "--as-of", AS_OF]) for _ in range(args.repeat)]
    walls = [c[0] for c in colds]
    rows.append(("cold `check` of the 403-user department (new process, full pack)",
                 f"{statistics.median(walls):.2f} s (min {min(walls):.2f}, max {max(walls):.2f}), peak {statistics.median(c[1] for c in colds):.0f} MB"))

    t_pack, _, _ = median_time(lambda: load_pack(), args.repeat)
    pack = load_pack()
    t_snap, _, _ = median_time(lambda: load_snapshot(DEPARTMENT), args.repeat)
    snapshot = load_snapshot(DEPARTMENT)
    t_eval, lo, hi = median_time(lambda: evaluate(pack, snapshot, AS_OF), args.repeat)
    counter = {"n": 0}
    original = Program.evaluate

    def counting(self, activation, timeout=None):
        counter["n"] += 1
        return original(self, activation, timeout)

    Program.evaluate = counting
    evaluate(pack, snapshot, AS_OF)
    Program.evaluate = original
    evaluations = counter["n"]
    t_warm, lo_w, hi_w = median_time(lambda: evaluate(pack, load_snapshot(DEPARTMENT), AS_OF), args.repeat)
    rows.append(("warm `check` in one process (snapshot load + evaluation)", f"{t_warm:.2f} s (min {lo_w:.2f}, max {hi_w:.2f})"))
    rows.append(("  pack load and compilation of every expression", f"{t_pack:.2f} s ({len(pack.rules)} rules)"))
    rows.append(("  snapshot load and schema validation (6,700 lines)", f"{t_snap:.3f} s"))
    report = evaluate(pack, snapshot, AS_OF)
    judged = sum(report.counts.values())
    rows.append(("  evaluation", f"{t_eval:.2f} s: {judged:,} rule × entity outcomes from {evaluations:,} CEL evaluations "
                                 f"(results shared between entities that read the same values), {judged / t_eval:,.0f} outcomes/s"))

    sys.path.insert(0, str(ROOT / "benchmarks"))
    import generate_log

    with tempfile.TemporaryDirectory() as tmp:
        snap = generate_log.main(["--rows", str(args.rows), "--out", tmp])
        wall, peak = child(["check", snap, "--as-of", AS_OF])
        base_wall, base_peak = statistics.median(walls), statistics.median(c[1] for c in colds)
        log_time = max(wall - base_wall, 1e-9)
        rows.append((f"`check` of the department with a {args.rows:,}-row consultation log (CSV)",
                     f"{wall:.2f} s wall, {args.rows / log_time:,.0f} rows/s for the log part, peak {peak:.0f} MB (without log: {base_peak:.0f} MB)"))

    print(f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()}")
    print()
    print("| work | measured |")
    print("|---|---|")
    for work, figure in rows:
        print(f"| {work} | {figure} |")


if __name__ == "__main__":
    main()
