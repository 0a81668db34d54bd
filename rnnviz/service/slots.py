"""Run slots: how many page runs of one server compute at the same time.

A Streamlit server runs every session's script in its own thread, all under one GIL. When 100 sessions
rerun at once, 100 threads are runnable, and each system call a run makes (a path's `realpath`, the
write that wakes the event loop for every element it sends) gives the GIL away and waits behind all the
others to get it back: a rerun that computes for ~10 ms takes seconds, and the event loop, which sends
every session's answer, waits in the same queue (bench/bench_load.py sliders-100, open-100).

`RunSlots(n)` lets n runs compute at once; the others wait for a slot without taking the GIL, in the
order they came (a FIFO of threads). A run gives its slot back while it waits for something that
another run or process must finish (a training job, a figure another session is building:
`released()`), so waiting never holds others up, and takes one again before it goes on.

A run that has held its slot for `quantum_s` stops counting once others wait: its slot goes to the next
run in line, and it goes on beside it, sharing the GIL as every run did without slots. So a long
computation (torch's first import, a large trace) delays the runs queued behind it by at most about
`quantum_s`, never by its whole length; the short reruns a class makes (10-40 ms each) finish well within
it. A run that waits `wait_s` in all goes ahead without a slot (a safety valve: it never stops a server).

Runs that start long work (a button that trains: `hold(work=True)`) are served by a later due time than the
runs of a slider or a toggle that came at the same moment: waiting runs take the slot in order of due time
(their arrival, plus `work_defer_s` for work), arrivals in order among equals. When 30 students press Train at once,
each of those 30 runs computes the page's upper part (~13 ms) before it hands its turn away to wait for its job;
first come, first served, a slider move sent just after them waited for all 30 (bench/bench_load.py train-30:
~0.4 s). With the deferral it goes next, and the trainings wait at most `work_defer_s` more: a user who pressed Train
expects to wait for a training anyway, one who moved a slider does not. It is a deadline, not a class: no run
waits behind an endless stream of others, as a later arrival's due time passes the deferred run's.

The library knows nothing of Streamlit: `ui_server.py` makes every script run hold a slot; the library's own
blocking points (`rnnviz.service.run`, `rnnviz.app.cache.SharedCache`) call `released()`, which does
nothing in a thread that holds no slot (tests, scripts, the workers).
"""
from __future__ import annotations

import bisect
import contextlib
import itertools
import logging
import math
import os
import threading
import time

_LOG = logging.getLogger(__name__)
WARN_EVERY_S = 60.0         # a run that gave up waiting is logged at most this often (with the count so far)

DEFAULT_SLOTS = 1          # page runs computing at once ($RNNVIZ_RUN_SLOTS; 0: no limit): measured, bench/results/load.md
MAX_SLOTS = 64
DEFAULT_QUANTUM_S = 0.25   # a run holding its slot this long while others wait stops counting (goes on beside them)
DEFAULT_WAIT_S = 5.0       # the longest a run waits for a slot before it goes ahead without one
DEFAULT_WORK_DEFER_S = 1.0  # how much later a run that starts long work (Train) is due than a slider's run


class _Turn:
    """A place in the queue: set when a slot is handed to it. Turns are served by (due, seq)."""
    __slots__ = ("event", "due", "seq")

    def __init__(self, due: float, seq: int):
        self.event = threading.Event()
        self.due, self.seq = due, seq


def _seconds(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) and v >= 0


class RunSlots:
    """At most `n` counted holders at once; waiters served by due time, first come first served among equals (see
    the module's docstring)."""

    def __init__(self, n: int, quantum_s: float = DEFAULT_QUANTUM_S, wait_s: float = DEFAULT_WAIT_S,
                 work_defer_s: float = DEFAULT_WORK_DEFER_S):
        if not isinstance(n, int) or isinstance(n, bool) or not 1 <= n <= MAX_SLOTS:
            raise ValueError(f"run slots must be an integer from 1 to {MAX_SLOTS}, not {n!r}")
        for name, v, zero_ok in (("quantum_s", quantum_s, False), ("wait_s", wait_s, False),
                                 ("work_defer_s", work_defer_s, True)):
            if not (_seconds(v) and (zero_ok or v > 0)):
                kind = "a number of seconds, 0 or more" if zero_ok else "a positive number of seconds"
                raise ValueError(f"{name} must be {kind}, not {v!r}")
        self.n, self.quantum_s, self.wait_s = n, float(quantum_s), float(wait_s)
        self.work_defer_s = float(work_defer_s)
        self._lock = threading.Lock()
        self._holders: dict[object, float] = {}      # each counted holder's token -> when it got its slot
        self._queue: list[_Turn] = []                # waiting runs, by (due, seq): the next one first
        self._seq = itertools.count()
        self._local = threading.local()
        self.runs = 0             # acquisitions; those that waited; work runs among them; runs that stopped counting;
        self.waited = 0           # waits given up; the longest queue (stats(): bench, monitoring, tests)
        self.work_waited = 0
        self.demoted = 0
        self.timeouts = 0
        self.max_waiting = 0
        self._warned_at = -math.inf

    # -- the slot itself (under self._lock) -------------------------------------------------------------------
    def _hand_over(self, now: float) -> None:
        """Give every free slot to the waiters due first (they count from now)."""
        while self._queue and len(self._holders) < self.n:
            turn = self._queue.pop(0)
            self._holders[turn] = now
            turn.event.set()

    def _demote(self, now: float) -> None:
        """While runs wait, the holders past their quantum stop counting."""
        if self._queue:
            for token, since in list(self._holders.items()):
                if now - since >= self.quantum_s:
                    del self._holders[token]
                    self.demoted += 1
            self._hand_over(now)

    def _acquire(self, defer_s: float = 0.0):
        """The token of a counted slot, or None after `wait_s` without one. `defer_s`: due that much later than
        an arrival at the same moment (only while there is a queue: a free slot is taken at once)."""
        now = time.monotonic()
        with self._lock:
            self.runs += 1
            if len(self._holders) < self.n and not self._queue:
                token = object()
                self._holders[token] = now
                return token
            turn = _Turn(now + defer_s, next(self._seq))
            bisect.insort(self._queue, turn, key=lambda t: (t.due, t.seq))
            self.waited += 1
            self.work_waited += defer_s > 0
            self.max_waiting = max(self.max_waiting, len(self._queue))
            self._demote(now)
        deadline = now + self.wait_s
        while True:
            with self._lock:
                now = time.monotonic()
                if not turn.event.is_set():
                    self._demote(now)
                if turn.event.is_set():
                    return turn
                if now >= deadline:
                    self._queue.remove(turn)
                    self.timeouts += 1
                    if now - self._warned_at >= WARN_EVERY_S:
                        self._warned_at = now
                        _LOG.warning("a page run waited %.0f s for a run slot and went ahead without one (%d so far, "
                                     "%d runs waiting now): this server has more to compute than its interpreter "
                                     "can; docs/deploying.md section 2 says what to add", self.wait_s,
                                     self.timeouts, len(self._queue))
                    return None
                due = min([since + self.quantum_s for since in self._holders.values()] + [deadline])
            turn.event.wait(max(0.001, due - now))

    def _release(self, token) -> None:
        with self._lock:
            if self._holders.pop(token, None) is not None:     # a demoted holder no longer counts: nothing to give
                self._hand_over(time.monotonic())

    def stats(self) -> dict:
        """The counters since this object was made, and the holders and waiters now (plain ints)."""
        with self._lock:
            return {"runs": self.runs, "waited": self.waited, "work_waited": self.work_waited,
                    "demoted": self.demoted, "timeouts": self.timeouts, "max_waiting": self.max_waiting,
                    "busy": len(self._holders), "waiting": len(self._queue)}

    def holding(self) -> bool:
        """Whether the calling thread holds a slot now (counted or demoted)."""
        return getattr(self._local, "token", None) is not None

    @property
    def busy(self) -> int:
        """Counted holders now."""
        with self._lock:
            return len(self._holders)

    @property
    def waiting(self) -> int:
        with self._lock:
            return len(self._queue)

    # -- what callers use -------------------------------------------------------------------------------------
    @contextlib.contextmanager
    def hold(self, work: bool = False):
        """Hold a slot for the block (a page run). Nested holds in one thread take one slot. `work`: the run
        starts long work (a training), due `work_defer_s` later than the others that came with it."""
        if self.holding():
            yield
            return
        self._local.token = self._acquire(self.work_defer_s if work else 0.0)
        try:
            yield
        finally:
            token, self._local.token = self._local.token, None
            if token is not None:
                self._release(token)

    @contextlib.contextmanager
    def released(self):
        """Give the calling thread's slot back for the block (it waits for others) and take one again after it;
        nothing in a thread without a slot."""
        if not self.holding():
            yield
            return
        token, self._local.token = self._local.token, None
        self._release(token)
        try:
            yield
        finally:
            self._local.token = self._acquire()


def _env_number(env, name: str, parse, default, lo, hi, what: str):
    """$name parsed with `parse` (`default` when unset or blank); ValueError naming it when it does not parse or
    is outside lo..hi."""
    raw = env.get(name, "").strip()
    try:
        v = parse(raw) if raw else default
    except ValueError:
        v = None
    if v is None or not (math.isfinite(v) and lo <= v <= hi):
        raise ValueError(f"{name} must be {what}, not {raw!r}")
    return v


def slots_from_env(env=os.environ) -> RunSlots | None:
    """The server's run slots from $RNNVIZ_RUN_SLOTS (an integer; 0: none, no limit; DEFAULT_SLOTS when unset) and
    $RNNVIZ_WORK_DEFER_S (seconds a Train run is due after a slider's; 0: first come, first served; at most 60).
    A value out of its range: ValueError naming it."""
    n = _env_number(env, "RNNVIZ_RUN_SLOTS", int, DEFAULT_SLOTS, 0, MAX_SLOTS,
                    f"an integer from 0 (no limit) to {MAX_SLOTS}")
    defer = _env_number(env, "RNNVIZ_WORK_DEFER_S", float, DEFAULT_WORK_DEFER_S, 0, 60,
                        "a number of seconds from 0 to 60")
    return RunSlots(n, work_defer_s=defer) if n else None


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
