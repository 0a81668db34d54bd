"""Run slots: how many page runs of one server compute at the same time.

A Streamlit server runs every session's script in its own thread, all under one GIL. When 100 sessions
rerun at once, 100 threads are runnable, and each system call a run makes (a path's `realpath`, the
write that wakes the event loop for every element it sends) gives the GIL away and waits behind all the
others to get it back: a rerun that computes for ~10 ms takes seconds, and the event loop, which sends
every session's answer, waits in the same queue (bench/bench_load.py sliders-100, open-100).

`RunSlots(n)` lets n runs compute at once; the others wait for a slot without taking the GIL, in the
order they came (a FIFO of threads). A run gives its slot back while it waits for something that
another run or process must finish (a training job, a figure another session is building:
`released()`), so waiting never holds others up, and takes one again before it goes on. A slot that is
not free within `wait_s` is not waited for any longer: the run goes ahead without one (a run stuck
holding a slot slows the others down; it never stops them).

The library knows nothing of Streamlit: `ui.py` makes every script run hold a slot; the library's own
blocking points (`rnnviz.service.run`, `rnnviz.app.cache.SharedCache`) call `released()`, which does
nothing in a thread that holds no slot (tests, scripts, the workers).
"""
from __future__ import annotations

import collections
import contextlib
import os
import threading

DEFAULT_SLOTS = 1          # page runs computing at once ($RNNVIZ_RUN_SLOTS; 0: no limit): measured, bench/results/load.md
MAX_SLOTS = 64
DEFAULT_WAIT_S = 5.0       # the longest a run waits for a slot before it goes ahead without one


class RunSlots:
    """At most `n` holders at once, served first come, first served; see the module's docstring."""

    def __init__(self, n: int, wait_s: float = DEFAULT_WAIT_S):
        if not isinstance(n, int) or isinstance(n, bool) or not 1 <= n <= MAX_SLOTS:
            raise ValueError(f"run slots must be an integer from 1 to {MAX_SLOTS}, not {n!r}")
        if not wait_s > 0:
            raise ValueError(f"wait_s must be positive, not {wait_s!r}")
        self.n, self.wait_s = n, float(wait_s)
        self._lock = threading.Lock()
        self._free = n
        self._queue: collections.deque[threading.Event] = collections.deque()   # waiting threads, oldest first
        self._local = threading.local()
        self.waited = 0           # acquisitions that had to wait, and how many gave up waiting (for bench/tests)
        self.timeouts = 0

    # -- the slot itself --------------------------------------------------------------------------------------
    def _acquire(self) -> bool:
        with self._lock:
            if self._free > 0 and not self._queue:
                self._free -= 1
                return True
            turn = threading.Event()
            self._queue.append(turn)
            self.waited += 1
        if turn.wait(self.wait_s):
            return True                              # handed over by a release: the slot is ours
        with self._lock:
            if turn.is_set():                        # handed over just as the wait ended
                return True
            self._queue.remove(turn)
            self.timeouts += 1
        return False

    def _release(self) -> None:
        with self._lock:
            if self._queue:
                self._queue.popleft().set()          # the slot goes straight to the oldest waiter
            else:
                self._free += 1

    def holding(self) -> bool:
        """Whether the calling thread holds a slot now."""
        return getattr(self._local, "held", False)

    @property
    def busy(self) -> int:
        with self._lock:
            return self.n - self._free

    @property
    def waiting(self) -> int:
        with self._lock:
            return len(self._queue)

    # -- what callers use -------------------------------------------------------------------------------------
    @contextlib.contextmanager
    def hold(self):
        """Hold a slot for the block (a page run). Nested holds in one thread take one slot."""
        if self.holding():
            yield
            return
        got = self._acquire()
        self._local.held = got
        try:
            yield
        finally:
            if self._local.held:
                self._local.held = False
                self._release()

    @contextlib.contextmanager
    def released(self):
        """Give the calling thread's slot back for the block (it waits for others) and take one again after it;
        nothing in a thread without a slot."""
        if not self.holding():
            yield
            return
        self._local.held = False
        self._release()
        try:
            yield
        finally:
            self._local.held = self._acquire()


def slots_from_env(env=os.environ) -> RunSlots | None:
    """The server's run slots from $RNNVIZ_RUN_SLOTS (an integer; 0: none, no limit); DEFAULT_SLOTS when it is
    unset. A value that is not an integer in 0..MAX_SLOTS: ValueError naming it."""
    raw = env.get("RNNVIZ_RUN_SLOTS", "").strip()
    if not raw:
        return RunSlots(DEFAULT_SLOTS)
    try:
        n = int(raw)
    except ValueError:
        n = -1
    if not 0 <= n <= MAX_SLOTS:
        raise ValueError(f"RNNVIZ_RUN_SLOTS must be an integer from 0 (no limit) to {MAX_SLOTS}, not {raw!r}")
    return RunSlots(n) if n else None


_SLOTS: RunSlots | None = None
_SLOTS_SET = False
_SLOTS_LOCK = threading.Lock()


def server_slots() -> RunSlots | None:
    """This process's run slots (made once, from the environment), or None without a limit."""
    global _SLOTS, _SLOTS_SET
    with _SLOTS_LOCK:
        if not _SLOTS_SET:
            _SLOTS, _SLOTS_SET = slots_from_env(), True
        return _SLOTS


@contextlib.contextmanager
def released():
    """`server_slots().released()` when the server limits its runs and the calling thread holds a slot; else
    nothing. Every place where a page run waits for other runs or processes says so with it."""
    slots = _SLOTS
    if slots is None or not slots.holding():
        yield
        return
    with slots.released():
        yield
