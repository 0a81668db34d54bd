"""The training service's worker process: receives jobs over a pipe, runs them, sends progress and results back.

Everything that crosses the pipe is plain data (dicts, lists, numbers, numpy arrays). Parent -> worker:
("job", job_id, "module:function", payload, deadline_s) or None (exit). Worker -> parent: ("ready", pid),
("progress", job_id, {...}), ("done", job_id, result) or ("error", job_id, "Type: message").

A job kind is a function `fn(payload: dict, ctx: JobContext) -> dict`, looked up by its "module:function"
name (the parent only sends the names it was configured with). It calls `ctx.progress(...)` as it goes
(sent at most every PROGRESS_EVERY_S) and stops early, keeping what it learnt, when `ctx.cancelled()`.
"""
from __future__ import annotations

import importlib
import os
import time
import traceback

PROGRESS_EVERY_S = 0.1
# Workers run at a lower CPU priority than the server: with as many workers as cores, 30 queued trainings
# otherwise take every core and the server's page runs (other sessions' reruns, the trained views) wait
# in the run queue (bench/bench_load.py train-30). Linux's SCHED_IDLE policy where there is one: a server
# thread that wakes up preempts an idle-policy worker at once (a nice worker under the EEVDF scheduler can
# keep its core to the end of its time slice, on every one of the event loop's many wakeups); a lower
# nice elsewhere. Either way a worker still gets every core the server leaves idle.
WORKER_NICE = 10


def lower_priority() -> str:
    """This process below the server: SCHED_IDLE (Linux), else nice WORKER_NICE. Returns which ("idle", "nice",
    or "" where neither could be set)."""
    if hasattr(os, "sched_setscheduler") and hasattr(os, "SCHED_IDLE"):
        try:
            os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
            return "idle"
        except OSError:
            pass
    try:
        os.nice(WORKER_NICE)
        return "nice"
    except (OSError, AttributeError):
        return ""


class JobContext:
    """What a job kind gets besides its payload: its deadline, a throttled progress channel, the cancel flag."""

    def __init__(self, conn, job_id: int, cancel_event, deadline_s: float | None):
        self._conn, self._id, self._cancel = conn, job_id, cancel_event
        self.deadline_s = deadline_s
        self._last = 0.0

    def progress(self, step: int, steps: int, loss: float | None = None, **extra) -> None:
        """Tell the parent how far the job is: at most every PROGRESS_EVERY_S, and always at the last step."""
        now = time.perf_counter()
        if step < steps and now - self._last < PROGRESS_EVERY_S:
            return
        self._last = now
        self._conn.send(("progress", self._id, dict(extra, step=int(step), steps=int(steps),
                                                     loss=None if loss is None else float(loss))))

    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def on_step(self, p) -> bool | None:
        """A training loop's `on_step(Progress)`: reports progress; False (stop, weights kept) once cancelled."""
        self.progress(p.step, p.steps, p.loss)
        return False if self.cancelled() else None


def _resolve(target: str, cache: dict):
    fn = cache.get(target)
    if fn is None:
        module, _, name = target.partition(":")
        fn = cache[target] = getattr(importlib.import_module(module), name)
    return fn


def worker_main(conn, cancel_event, preload: tuple[str, ...] = ()) -> None:
    """The worker's loop. One intra-op thread: small models run fastest so, and results are bit-identical
    to the server's in-process training (which also uses one)."""
    lower_priority()                # the server's page runs win the CPU over queued trainings (bench_load)
    import torch
    torch.set_num_threads(1)
    for module in preload:
        importlib.import_module(module)
    conn.send(("ready", os.getpid()))
    cache: dict = {}
    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError, KeyboardInterrupt):
            return
        if msg is None:
            return
        _, job_id, target, payload, deadline_s = msg
        try:
            ctx = JobContext(conn, job_id, cancel_event, deadline_s)
            result = _resolve(target, cache)(payload, ctx)
            conn.send(("done", job_id, result))
        except (EOFError, OSError, BrokenPipeError):
            return
        except BaseException as e:  # noqa: BLE001 - every failure of a job goes back to the parent as its reason
            if isinstance(e, KeyboardInterrupt):
                return
            try:
                conn.send(("error", job_id, f"{type(e).__name__}: {e}",
                           "".join(traceback.format_exception(e))[-2000:]))
            except (EOFError, OSError):
                return
