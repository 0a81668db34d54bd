"""The start lane: script runs that start a training take turns for their first part, interactive reruns never wait.

A server runs every session's script in a thread of its own, under one GIL, and Python shares the GIL out
evenly among the threads that want it. When a class presses Train at once, 30 script runs each draw their
page up to the training (~25-35 ms of CPU each) side by side: every one of them, and every other session's
rerun that arrives meanwhile, finishes only when nearly all have, about a second later (bench/bench_load.py
train-30: the others' reruns sent in that second took 0.7-1.5 s instead of 40-60 ms). A run that starts a
training enters the lane first (`StartLane`, one run at a time by default): the runs that start trainings
then go one after another, in the order they came, and each leaves the lane once its job is queued (it then
waits for its job without the GIL); a rerun that starts no training does not enter it and shares the GIL
with at most one of them. Nobody's training starts later for it (the first job is queued after one run's
work instead of after thirty), and nobody waits long: a run waits at most `wait_s` for the lane and then
goes on without it (a run held up elsewhere can never stall the others).
"""
from __future__ import annotations

import threading
import time

LANE_WIDTH = 1          # script runs in the lane at once
LANE_WAIT_S = 3.0       # the longest a run waits for its turn before it goes on anyway


class StartLane:
    """A bounded FIFO-ish lane (a semaphore of `width`); `enter(wanted)` is a context manager that yields a
    `Pass`: it holds a place while it lasts, unless released earlier (`Pass.release()`, idempotent)."""

    def __init__(self, width: int = LANE_WIDTH, wait_s: float = LANE_WAIT_S):
        if not isinstance(width, int) or isinstance(width, bool) or width < 1:
            raise ValueError(f"the lane's width must be a positive integer, not {width!r}")
        if not isinstance(wait_s, (int, float)) or not 0 <= wait_s <= 60:
            raise ValueError(f"the lane's wait must be between 0 and 60 s, not {wait_s!r}")
        self.width, self.wait_s = width, float(wait_s)
        self._sem = threading.BoundedSemaphore(width)
        self._lock = threading.Lock()
        self.inside = 0               # passes held now
        self.timeouts = 0             # runs that went on without a place (waited wait_s)

    def enter(self, wanted: bool = True) -> "Pass":
        """A pass: with `wanted`, a place in the lane (waiting for one at most wait_s); without, an empty pass."""
        p = Pass(self)
        if wanted:
            t0 = time.monotonic()
            if self._sem.acquire(timeout=self.wait_s):
                with self._lock:
                    self.inside += 1
                p.held = True
            else:
                with self._lock:
                    self.timeouts += 1
            p.waited_s = time.monotonic() - t0
        return p


class Pass:
    def __init__(self, lane: StartLane):
        self._lane, self.held, self.waited_s = lane, False, 0.0

    def release(self) -> None:
        """Leave the lane (nothing when no place is held, or no more)."""
        lane = self._lane
        with lane._lock:
            if not self.held:
                return
            self.held = False
            lane.inside -= 1
        lane._sem.release()

    def __enter__(self) -> "Pass":
        return self

    def __exit__(self, *exc) -> None:
        self.release()


_lane = StartLane()


def start_lane() -> StartLane:
    """The process-wide lane of this server's script runs."""
    return _lane
