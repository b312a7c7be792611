"""Check snapshots one after the other or in a pool of processes, and hand back one outcome
per snapshot, in input order.

Processes, not threads: cel-python is not thread-safe, and the GIL would serialise them anyway.
Workers are started with `spawn` (a fresh interpreter: no lock or watchdog thread inherited
half-way through, the same on every OS); each loads the pack once, in its initializer, and
keeps it for every snapshot it is given. Outcomes come back in input order — the output is the
same bytes whatever `--jobs` is — with at most `WINDOW_PER_WORKER` snapshots per worker in
flight, so memory does not grow with the number of snapshots: a slow snapshot holds back what
is written, never what is held.

Interruptions: workers ignore Ctrl-C from birth (the terminal sends it to the whole process
group; the parent decides), and every wait of the parent is short, so Ctrl-C, SIGTERM (turned
into an exception by the command line) or the `--timeout` watchdog reach it within a tick; it
then ends the workers before the exception goes on. A worker also carries the run's deadline,
and stops by itself should the parent be gone.
"""

from __future__ import annotations

import collections
import concurrent.futures
import contextlib
import multiprocessing
import os
import signal
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from cdap_policy.support.errors import InputError, NotASnapshot, PolicyError

if TYPE_CHECKING:  # imported by the workers when they check, not when the pool module loads
    from cdap_policy.formatters import FormatOptions
    from cdap_policy.pipeline.check import CheckOptions

EXIT_INPUT, EXIT_INTERNAL = 2, 3  # as cli.common: unreadable snapshot; internal error
WINDOW_PER_WORKER = 4
TICK_S = 0.1  # longest wait of the parent between two chances to be interrupted
STOP_MARGIN_S = 2.0  # a worker's own deadline runs this much past the parent's


MAX_JOBS = 64  # each worker holds the pack and one snapshot: some 70 MB


def max_jobs() -> int:
    """The most workers a batch starts, whatever --jobs asks: two a core available (checking is
    computation: more workers than cores only share them), and MAX_JOBS (`--jobs 100000` would
    otherwise fork until memory or the process table runs out)."""
    return max(1, min(MAX_JOBS, 2 * default_jobs()))


def default_jobs() -> int:
    """The cores this process may run on (a CI container's CPU set), else the machine's."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


@dataclass(frozen=True)
class Setup:
    """Everything a worker needs, sent once per worker (not once per snapshot)."""

    policies: Path | None
    params_file: Path | None
    engine: str
    options: CheckOptions
    fail_on: str
    fmt: str
    format_options: FormatOptions
    deadline_s: float | None = None  # seconds left of --timeout when the pool starts


@dataclass
class Outcome:
    index: int
    path: str
    exit_code: int
    problems: list = field(default_factory=list)  # why the snapshot could not be checked
    internal: str | None = None  # an internal error, in one line
    text: str | None = None  # streamed formats: the report, rendered by the worker
    report: object = None  # held formats: the report itself
    digest: dict | None = None  # what the batch summary needs of the report
    inputs: tuple = ()  # other files read for this snapshot (log, waivers)
    pack_files: tuple = ()  # the files the pack was read from, sent once per worker
    skipped: str | None = (
        None  # one of the project's own files (filekinds.KIND_NAMES), not a snapshot
    )

    @property
    def checked(self) -> bool:
        return self.digest is not None


class PackUnusable(Exception):
    """The pack or the parameter file could not be loaded in a worker: the run stops."""

    def __init__(self, error: InputError):
        super().__init__(str(error))
        self.error = error


class Checker:
    """Checks one snapshot at a time with one pack; never raises for a bad snapshot."""

    def __init__(self, setup: Setup, pack_loader=None):
        self.setup = setup
        self._pack = None
        self._loader = pack_loader or (lambda: load_pack(setup))
        self._pack_files_sent = False

    def pack(self):
        if self._pack is None:  # only once a snapshot is readable: bad input costs no pack
            self._pack = self._loader()
        return self._pack

    def parameter_names(self) -> frozenset:
        """What tells a parameter override from an unknown file (asked for a rare shape only)."""
        return frozenset(self.pack().parameters)

    def __call__(self, index: int, path) -> Outcome:
        from cdap_policy.load.snapshot import load_snapshot
        from cdap_policy.pipeline.check import check_loaded

        setup = self.setup
        snapshot = None
        try:
            snapshot = load_snapshot(
                path, log_roots=setup.options.log_roots, parameter_names=self.parameter_names
            )
            report = check_loaded(self.pack(), snapshot, setup.options)
        except PolicyError:
            raise  # the pack, not the snapshot: the whole run stops
        except NotASnapshot as exc:
            if exc.kind is not None:
                return Outcome(index, str(path), 0, skipped=exc.kind)
            return Outcome(index, str(path), EXIT_INPUT, problems=exc.problems)
        except InputError as exc:
            return Outcome(
                index,
                str(path),
                EXIT_INPUT,
                problems=_redacted(exc.problems, snapshot, setup.options),
            )
        except Exception as exc:  # a bug on one snapshot is reported; the batch goes on
            return Outcome(index, str(path), EXIT_INTERNAL, internal=f"{type(exc).__name__}: {exc}")
        from cdap_policy import formatters
        from cdap_policy.pipeline.batch.summary import digest

        code = report.exit_code(setup.fail_on)
        streamed = formatters.streams(setup.fmt)
        inputs = tuple(str(p) for p in (snapshot.log_path, (report.waivers or {}).get("file")) if p)
        pack_files = () if self._pack_files_sent else tuple(str(f) for f in self.pack().files)
        self._pack_files_sent = True
        return Outcome(
            index,
            str(path),
            code,
            digest=digest(report, code),
            inputs=inputs,
            pack_files=pack_files,
            text=formatters.item(setup.fmt, report, setup.format_options) if streamed else None,
            report=None if streamed else report,
        )


def _redacted(problems: list, snapshot, options) -> list:
    """The problems as the batch summary and standard error show them: a personal field's value
    masked (whatever --redact); with --redact, the errors of a file read beside a readable
    snapshot (its log, its waiver file) also lose the names that snapshot holds."""
    from cdap_policy.report.redact import (
        Pseudonymiser,
        Redactor,
        key_from_environment,
        mask_problem,
    )

    key = options.redact_key or key_from_environment()
    if options.redact and snapshot is not None:
        redactor = Redactor(snapshot.data, key)
        return [redactor.problem(p) for p in problems]
    pseudo = Pseudonymiser(key)
    return [mask_problem(p, pseudo) for p in problems]


def load_pack(setup: Setup):
    from cdap_policy.load.pack import load_pack as load

    return load(setup.policies, setup.params_file, runner=setup.engine)


# -- in the worker processes
# ------------------------------------------------------------------------

_CHECKER: Checker | None = None
_PACK_ERROR: tuple | None = None  # (kind, problems) when the pack did not load in this worker


def _start_worker(setup: Setup) -> None:
    global _CHECKER, _PACK_ERROR
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if setup.deadline_s:
        from cdap_policy.engines.deadline import WATCHDOG

        WATCHDOG.run_deadline(
            setup.deadline_s + STOP_MARGIN_S, on_stuck=lambda: os._exit(EXIT_INPUT)
        )
    _CHECKER = Checker(setup)
    try:
        _CHECKER.pack()  # once per worker, before its first snapshot
    except (
        InputError
    ) as exc:  # an exception here would only say "broken pool": keep it for the parent
        _PACK_ERROR = ("policy" if isinstance(exc, PolicyError) else "input", list(exc.problems))


def _check_in_worker(index: int, path: str) -> Outcome | tuple:
    if _PACK_ERROR is not None:
        return _PACK_ERROR
    if _CHECKER is None:  # _start_worker, the pool's initializer, sets it
        raise RuntimeError("worker not initialised")
    return _CHECKER(index, path)


# -- in the parent
# -----------------------------------------------------------------------------------


def run(paths: list, setup: Setup, jobs: int, pack_loader=None, on_done=None):
    """Yield one Outcome per path, in order. `on_done()` is called as each snapshot completes
    (from another thread with a pool): progress, not output."""
    if jobs <= 1 or len(paths) <= 1:
        checker = Checker(setup, pack_loader)
        for index, path in enumerate(paths):
            outcome = checker(index, path)
            if on_done is not None:
                on_done()
            yield outcome
        return
    yield from _pooled(paths, setup, min(jobs, len(paths)), on_done)


def _pooled(paths, setup: Setup, workers: int, on_done):
    executor = concurrent.futures.ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_start_worker,
        initargs=(setup,),
    )
    pending: collections.deque = collections.deque()
    source = iter(enumerate(paths))
    window = workers * WINDOW_PER_WORKER
    finished = False

    def fill():
        for index, path in source:
            with _starting_a_worker():  # a worker may be started by this submit
                future = executor.submit(_check_in_worker, index, str(path))
            if on_done is not None:
                future.add_done_callback(lambda _f: on_done())
            pending.append(future)
            if len(pending) >= window:
                return

    try:
        fill()
        while pending:
            head = pending[0]
            while not head.done():
                # short waits: Ctrl-C and the --timeout watchdog's exception land between two
                concurrent.futures.wait([head], timeout=TICK_S)
            pending.popleft()
            outcome = head.result()  # a worker's RunTimeout is raised here
            if isinstance(outcome, tuple):
                kind, problems = outcome
                raise PackUnusable(
                    PolicyError(problems) if kind == "policy" else InputError(problems)
                )
            fill()
            yield outcome
        finished = True
    finally:
        if finished:
            executor.shutdown(wait=True)
        else:
            stop(executor)


@contextlib.contextmanager
def _starting_a_worker():
    """Around a submit, which may start a worker process.

    The worker is born with Ctrl-C blocked (a blocked signal stays blocked across fork and exec;
    `_start_worker` then ignores it): Ctrl-C reaches the whole process group, and a worker still
    importing would print a traceback (the parent decides, and stops the workers). And Ctrl-C or
    SIGTERM reaching the parent half-way through starting one would leave it without its
    instructions (another traceback): they are held until the worker is started, then acted on as
    usual, never lost. multiprocessing's resource tracker, which unblocks Ctrl-C once started, is
    started first."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(
        signal, "pthread_sigmask"
    ):
        yield
        return
    from multiprocessing import resource_tracker

    resource_tracker.ensure_running()
    held: list[int] = []
    previous = {
        sig: signal.signal(sig, lambda number, frame: held.append(number))
        for sig in (signal.SIGINT, signal.SIGTERM)
    }
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(
            signal.SIG_SETMASK, mask
        )  # a Ctrl-C held by the kernel is delivered now
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        for sig in map(signal.Signals, dict.fromkeys(held)):
            handler = previous[sig]
            if callable(handler):
                handler(sig, None)  # KeyboardInterrupt, or the command line's SIGTERM exception
            elif handler == signal.SIG_DFL:
                os.kill(os.getpid(), sig)


def stop(executor) -> None:
    """End the workers now: interrupted, timed out, or the consumer gave up."""
    terminate = getattr(executor, "terminate_workers", None)  # Python 3.14
    if terminate is not None:
        terminate()
        return
    processes = list((getattr(executor, "_processes", None) or {}).values())
    executor.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        if process.is_alive():
            process.terminate()
    deadline = time.monotonic() + 5
    for process in processes:
        process.join(max(0.0, deadline - time.monotonic()))
        if process.is_alive():
            process.kill()
