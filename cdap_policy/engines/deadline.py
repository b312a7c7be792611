"""Deadlines that work in any thread and cost almost nothing per evaluation.

One watchdog thread per process watches the evaluations in flight. Arming a deadline is a
counter increment and a clock read under a lock (no signal, no system call), so the runner can
give every CEL evaluation its own deadline; when one runs over, the watchdog raises
`EvaluationTimeout` in the evaluating thread (CPython's asynchronous exceptions), which works
outside the main thread too, unlike SIGALRM. The whole-run deadline (`--timeout`) uses the same
thread to interrupt the run.
"""

from __future__ import annotations

import ctypes
import threading
import time
from collections.abc import Callable


class EvaluationTimeout(BaseException):
    # BaseException so that cel-python's `except Exception` cannot swallow it.
    pass


class RunTimeout(BaseException):
    """The whole run went past --timeout."""


_set_async_exc = ctypes.pythonapi.PyThreadState_SetAsyncExc
_set_async_exc.argtypes = (ctypes.c_ulong, ctypes.py_object)
# the same C function, called with NULL to clear an exception not yet delivered
_clear_async_exc = type(_set_async_exc)(("PyThreadState_SetAsyncExc", ctypes.pythonapi))
_clear_async_exc.argtypes = (ctypes.c_ulong, ctypes.c_void_p)


class _Slot:
    __slots__ = ("armed", "started", "seconds", "fired")

    def __init__(self):
        self.armed, self.started, self.seconds, self.fired = False, 0.0, 0.0, False


class Watchdog:
    TICK = 0.05  # seconds between two looks; a deadline fires at most this late

    def __init__(self):
        self._lock = threading.Lock()
        self._slots: dict[int, _Slot] = {}
        self._run: tuple[int, float] | None = None  # (thread, monotonic deadline) of --timeout
        self._stuck: tuple[float, Callable[[], object] | None] | None = (
            None  # (monotonic time, callback) once RunTimeout was sent
        )
        self._on_stuck: Callable[[], object] | None = None
        self._thread: threading.Thread | None = None

    def _ensure_thread(self):
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(
                target=self._loop, name="cdap-policy-watchdog", daemon=True
            )
            self._thread.start()

    def arm(self, seconds: float) -> _Slot:
        tid = threading.get_ident()
        slot = self._slots.get(tid)
        if slot is None:
            with self._lock:
                slot = self._slots.setdefault(tid, _Slot())
            self._ensure_thread()
        with self._lock:
            slot.started, slot.seconds, slot.fired, slot.armed = (
                time.monotonic(),
                seconds,
                False,
                True,
            )
        return slot

    def disarm(self, slot: _Slot):
        with self._lock:
            slot.armed = False
            if slot.fired:
                # the evaluation ended just as the watchdog fired: drop the
                # exception not yet delivered
                _clear_async_exc(threading.get_ident(), None)
                slot.fired = False

    GRACE = 5.0  # seconds a run may take to stop once interrupted (a long call in C delays it)

    def run_deadline(self, seconds: float | None, on_stuck: Callable[[], object] | None = None):
        """Interrupt the calling thread with RunTimeout after `seconds` (None: no deadline). If the
        thread has not stopped GRACE seconds later (stuck in C code), call `on_stuck`, which is
        expected to end the process."""
        with self._lock:
            self._run = None if not seconds else (threading.get_ident(), time.monotonic() + seconds)
            self._on_stuck = on_stuck
            self._stuck = None
        if seconds:
            self._ensure_thread()

    def cancel_run_deadline(self):
        with self._lock:
            self._run, self._stuck = None, None

    def _loop(self):
        while True:
            time.sleep(self.TICK)
            now = time.monotonic()
            with self._lock:
                for tid, slot in list(self._slots.items()):
                    if slot.armed and not slot.fired and now - slot.started > slot.seconds:
                        slot.fired = True
                        _set_async_exc(tid, EvaluationTimeout)
                if self._run is not None and now > self._run[1]:
                    _set_async_exc(self._run[0], RunTimeout)
                    self._run = None
                    self._stuck = (now + self.GRACE, self._on_stuck)
                stuck = self._stuck if self._stuck is not None and now > self._stuck[0] else None
            if stuck is not None and stuck[1] is not None:
                stuck[1]()


WATCHDOG = Watchdog()


class deadline:
    """`with deadline(5.0): ...` raises EvaluationTimeout in this thread after 5 s."""

    __slots__ = ("seconds", "slot")

    def __init__(self, seconds: float):
        self.seconds = seconds

    def __enter__(self):
        self.slot = WATCHDOG.arm(self.seconds)

    def __exit__(self, *exc):
        WATCHDOG.disarm(self.slot)
        return False
