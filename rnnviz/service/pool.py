"""The training service: a bounded pool of worker processes, a FIFO queue, one job per session.

    svc = TrainingService(workers=2)
    job = svc.submit("session-1", "hello", payload, deadline_s=20)    # a JobStatus
    job = svc.wait(job.id, on_change=show)                            # waiting -> running -> done
    svc.collect(job.id)                                               # the result; the job is forgotten

Rules:
- Jobs run in FIFO order on `workers` processes (multiprocessing "forkserver" where there is one, else
  "spawn": never a fork of a server whose torch threads have started). Each worker is started when the
  service starts and kept warm; one that crashes or hangs is killed and replaced, its job reported failed.
- One job per session: a second `submit` from a session whose job is still uncollected with the same
  kind and payload returns that job (rapid repeated clicks run one training); with another payload the
  old job is cancelled and the new one queued.
- At most `max_queue` jobs wait; past that `submit` raises QueueFull.
- Every job has a deadline (`deadline_s`): the job itself stops there and keeps what it learnt (the
  training loop's deadline); a worker still busy `grace_s` later is killed and the job fails.
- `cancel(session)` drops a waiting job, or asks a running one to stop (it keeps what it learnt: its
  result is the partial one, its state "cancelled").
- Finished jobs are forgotten once collected, or `ttl_s` seconds after they finished.
Thread-safe: every page's script thread may call it.
"""
from __future__ import annotations

import contextlib
import itertools
import multiprocessing as mp
import os
import sys
import threading
import time
import types
from collections import deque
from dataclasses import dataclass, field, replace

from .worker import worker_main

STATES = ("waiting", "running", "done", "cancelled", "failed")
FINAL = ("done", "cancelled", "failed")
# Why a job failed (`JobStatus.error_code`); `error` adds the details (English, for logs)
FAIL_CODES = ("crashed", "hung", "error", "shutdown", "unavailable")

KINDS = {"hello": "rnnviz.service.jobs:hello", "vg_heatmaps": "rnnviz.service.jobs:vg_heatmaps",
         "vg_exploding": "rnnviz.service.jobs:vg_exploding", "vg_tasks": "rnnviz.service.jobs:vg_tasks",
         "vg_sweep": "rnnviz.service.jobs:vg_sweep", "lab": "rnnviz.service.jobs:lab"}


# payload keys that ask a job for more of the same result, not for another training (the languages a Hello job
# builds its figures in): a rerun that differs in them only (a language switch while training) attaches to the job
RESULT_EXTRAS = ("figures",)


def same_training(a: dict, b: dict) -> bool:
    """Whether two payloads ask for the same training (`same_payload` but for RESULT_EXTRAS)."""
    strip = lambda p: {k: v for k, v in p.items() if k not in RESULT_EXTRAS} if isinstance(p, dict) else p  # noqa: E731
    return same_payload(strip(a), strip(b))


def same_payload(a, b) -> bool:
    """Whether two payloads are equal; numpy arrays inside compare by their bytes (`==` on them is no bool)."""
    try:
        return bool(a == b)
    except (ValueError, TypeError):
        import pickle
        return pickle.dumps(a, protocol=4) == pickle.dumps(b, protocol=4)


class ServiceError(RuntimeError):
    """The service cannot take the job (it is shut down, or its workers cannot start)."""


class QueueFull(ServiceError):
    """Too many jobs are waiting; try again later."""

    def __init__(self, waiting: int):
        super().__init__(f"the training queue is full ({waiting} jobs waiting); try again in a moment")
        self.waiting = waiting


@dataclass(frozen=True)
class JobStatus:
    """What a caller sees of a job at one moment (a copy: it never changes)."""
    id: int
    session: str
    kind: str
    state: str                         # waiting | running | done | cancelled | failed
    position: int = 0                  # waiting: 1 = next to run; otherwise 0
    progress: dict | None = None       # running: the last progress the worker sent ({"step", "steps", "loss", ...})
    result: object = None              # done (and cancelled while running): what the job returned
    error_code: str = ""               # failed: one of FAIL_CODES
    error: str = ""                    # failed: the reason, in words
    waited_s: float = 0.0              # in the queue
    ran_s: float = 0.0                 # on a worker
    attached: bool = False             # returned by a submit that found this job already there

    @property
    def final(self) -> bool:
        return self.state in FINAL


@dataclass(eq=False)
class _Job:
    id: int
    session: str
    kind: str
    payload: dict
    deadline_s: float
    state: str = "waiting"
    progress: dict | None = None
    result: object = None
    error_code: str = ""
    error: str = ""
    submitted: float = field(default_factory=time.monotonic)
    started: float | None = None
    finished: float | None = None
    cancel_at: float | None = None
    slot: "_Slot | None" = None


class _Slot:
    """One worker process and the parent thread that feeds it."""

    def __init__(self, index: int):
        self.index = index
        self.proc = None
        self.conn = None
        self.cancel = None
        self.ready = threading.Event()
        self.pid = 0
        self.thread: threading.Thread | None = None


_MAIN_LOCK = threading.Lock()


@contextlib.contextmanager
def _plain_main():
    """Start a worker process without running the app's page in it.

    multiprocessing's "spawn" and "forkserver" children import the parent's `__main__` again before they run
    their target (`multiprocessing.spawn.prepare`: by its module name, or by `runpy.run_path` of its file). While
    Streamlit runs a page, that page's script *is* `sys.modules["__main__"]` (a module with a `__file__` and no
    spec), so a worker started from a page run ran the whole page as `__mp_main__`, top to bottom, before it
    trained anything (found when a worker wrote the server's run-slot counters: `ui_server.tune` had run in it).
    For the moment of `start()`, `__main__` is a bare module (no file, no spec: the child imports nothing for it);
    the parent's own module comes back after, unless another run has put its module there meanwhile. A worker
    never needs the parent's main: its target and every job's function are imported by module name."""
    main = sys.modules.get("__main__")
    bare = types.ModuleType("__main__")
    with _MAIN_LOCK:
        sys.modules["__main__"] = bare
        try:
            yield
        finally:
            if sys.modules.get("__main__") is bare and main is not None:
                sys.modules["__main__"] = main


def _context():
    methods = mp.get_all_start_methods()
    return mp.get_context("forkserver" if "forkserver" in methods else "spawn")


class TrainingService:
    def __init__(self, workers: int | None = None, max_queue: int = 100, kinds: dict[str, str] | None = None,
                 grace_s: float = 10.0, ttl_s: float = 300.0, start_timeout_s: float = 60.0,
                 max_deadline_s: float = 600.0):
        workers = (os.cpu_count() or 1) if workers is None else workers
        if not isinstance(workers, int) or not 1 <= workers <= 64:
            raise ValueError(f"workers must be between 1 and 64, not {workers!r}")
        if not isinstance(max_queue, int) or max_queue < 0:
            raise ValueError(f"max_queue must be a non-negative integer, not {max_queue!r}")
        self.workers, self.max_queue = workers, max_queue
        self.kinds = dict(KINDS if kinds is None else kinds)
        self.grace_s, self.ttl_s, self.start_timeout_s, self.max_deadline_s = grace_s, ttl_s, start_timeout_s, max_deadline_s
        self.restarts = 0                 # workers replaced after a crash, a hang or a cancel that did not stop
        self._lock = threading.Condition()
        self._queue: deque[_Job] = deque()
        self._jobs: dict[int, _Job] = {}
        self._by_session: dict[str, _Job] = {}
        self._ids = itertools.count(1)
        self._slots: list[_Slot] = []
        self._started = self._closed = False
        self.broken = ""                  # why the workers could not start (then every submit raises)
        self._start_failures = 0

    # ---- life cycle ------------------------------------------------------------------------------------
    def start(self) -> "TrainingService":
        """Start the worker processes (done by the first submit anyway); returns at once."""
        with self._lock:
            if self._closed:
                raise ServiceError("the training service is shut down")
            if self._started:
                return self
            self._started = True
            self._prepare_workers()
            for i in range(self.workers):
                slot = _Slot(i)
                slot.thread = threading.Thread(target=self._serve, args=(slot,), name=f"rnnviz-service-{i}", daemon=True)
                self._slots.append(slot)
        for slot in self._slots:
            slot.thread.start()
        return self

    def _prepare_workers(self) -> None:
        """What the worker side needs before the slots' threads start (here: the process context). The queue,
        sessions and statuses above are the same for every backend; a backend (rnnviz.service.ray_backend)
        replaces this and the worker side below (`_start_worker`, `_stop_worker`, `_serve`, `_watch`)."""
        self._ctx = _context()
        if self._ctx.get_start_method() == "forkserver":
            # the fork server imports torch once, and what a Hello job builds its figures with (plotly: ~0.5 s
            # to import); each worker forks from it (fast) before any torch thread runs
            self._ctx.set_forkserver_preload(["rnnviz.service.worker", "torch", "rnnviz.app.playground",
                                              "rnnviz.figures.timeline"])

    def warm(self, timeout: float = 60.0) -> bool:
        """Start the workers and wait until each has imported torch; whether all are ready."""
        self.start()
        end = time.monotonic() + timeout
        return all(s.ready.wait(max(0.0, end - time.monotonic())) for s in self._slots)

    def shutdown(self, timeout: float = 5.0) -> None:
        """Cancel what waits, stop the workers (killed if they do not exit within `timeout`)."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            while self._queue:
                self._finish(self._queue.popleft(), "cancelled")
            for job in list(self._jobs.values()):
                if job.state == "running" and job.slot is not None and job.slot.cancel is not None:
                    job.slot.cancel.set()
            self._lock.notify_all()
        end = time.monotonic() + timeout
        for slot in self._slots:
            if slot.thread is not None and slot.thread.is_alive():
                slot.thread.join(max(0.1, end - time.monotonic()))
        for slot in self._slots:
            self._stop_worker(slot, kill=True)

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def ready_workers(self) -> int:
        """Workers started and ready for a job (0 while the pool is still starting: torch imports for ~2 s)."""
        return sum(s.ready.is_set() for s in self._slots)

    def stats(self) -> dict:
        with self._lock:
            return {"workers": self.workers, "ready": sum(s.ready.is_set() for s in self._slots),
                    "waiting": len(self._queue), "running": sum(j.state == "running" for j in self._jobs.values()),
                    "jobs": len(self._jobs), "restarts": self.restarts, "pids": [s.pid for s in self._slots]}

    # ---- the caller's side -------------------------------------------------------------------------------
    def submit(self, session: str, kind: str, payload: dict, deadline_s: float = 30.0) -> JobStatus:
        """Queue a job for `session` (see the module's rules), or return the session's job when it has one
        with this kind and payload. Raises ValueError (unknown kind, bad deadline), QueueFull, ServiceError."""
        if kind not in self.kinds:
            raise ValueError(f"unknown job kind {kind!r} (known: {', '.join(sorted(self.kinds))})")
        if not isinstance(deadline_s, (int, float)) or not 0 < deadline_s <= self.max_deadline_s:
            raise ValueError(f"deadline must be in (0, {self.max_deadline_s:g}] seconds, not {deadline_s!r}")
        self.start()
        with self._lock:
            self._sweep()
            if self._closed:
                raise ServiceError("the training service is shut down")
            if self.broken:
                raise ServiceError(self.broken)
            old = self._by_session.get(session)
            if old is not None and old.kind == kind and same_training(old.payload, payload):
                return replace(self._status(old), attached=True)
            if len(self._queue) >= self.max_queue:
                raise QueueFull(len(self._queue))
            if old is not None and old.state not in FINAL:
                self._cancel(old)
            job = _Job(next(self._ids), session, kind, payload, float(deadline_s))
            self._jobs[job.id] = job
            self._by_session[session] = job
            self._queue.append(job)
            self._lock.notify_all()
            return self._status(job)

    def status(self, job_id: int) -> JobStatus | None:
        """The job now; None once it is forgotten (collected, expired)."""
        with self._lock:
            job = self._jobs.get(job_id)
            return None if job is None else self._status(job)

    def active(self, session: str) -> JobStatus | None:
        """The session's job that is waiting or running, or None."""
        with self._lock:
            job = self._by_session.get(session)
            return None if job is None or job.state in FINAL else self._status(job)

    def wait(self, job_id: int, timeout: float | None = None, on_change=None, poll_s: float = 0.05,
             heartbeat_s: float = 0.5) -> JobStatus:
        """Wait until the job is final (or `timeout` passed): its last status. `on_change(status)` is called
        when it changes (state, position, progress) and at least every `heartbeat_s`. Raises KeyError for an
        unknown (forgotten) job."""
        end = None if timeout is None else time.monotonic() + timeout
        last, told = None, 0.0
        while True:
            with self._lock:
                job = self._jobs.get(job_id)
                if job is None:
                    raise KeyError(f"no job {job_id}")
                if job.state not in FINAL:
                    self._lock.wait(poll_s)
                s = self._status(job)
            now = time.monotonic()
            key = (s.state, s.position, None if s.progress is None else s.progress.get("step"))
            if on_change is not None and (key != last or now - told >= heartbeat_s):
                on_change(s)
                last, told = key, now
            if s.final or (end is not None and now >= end):
                return s

    def collect(self, job_id: int) -> JobStatus | None:
        """The final job, now forgotten by the service (None: unknown, or not final yet: then it is kept)."""
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None or job.state not in FINAL:
                return None if job is None else self._status(job)
            self._forget(job)
            return self._status(job)

    def cancel(self, session: str) -> bool:
        """Cancel the session's waiting or running job; whether there was one."""
        with self._lock:
            job = self._by_session.get(session)
            if job is None or job.state in FINAL:
                return False
            self._cancel(job)
            return True

    # ---- inside (call with the lock held) --------------------------------------------------------------------
    def _status(self, job: _Job) -> JobStatus:
        now = time.monotonic()
        position = 0
        if job.state == "waiting":
            position = next((i for i, j in enumerate(self._queue, 1) if j is job), 0)
        started = job.started or job.finished or now
        return JobStatus(id=job.id, session=job.session, kind=job.kind, state=job.state, position=position,
                         progress=None if job.progress is None else dict(job.progress), result=job.result,
                         error_code=job.error_code, error=job.error, waited_s=started - job.submitted,
                         ran_s=0.0 if job.started is None else (job.finished or now) - job.started)

    def _cancel(self, job: _Job) -> None:
        if job.state == "waiting":
            self._queue.remove(job)
            self._finish(job, "cancelled")
        elif job.state == "running" and job.cancel_at is None:
            job.cancel_at = time.monotonic()
            if job.slot is not None and job.slot.cancel is not None:
                job.slot.cancel.set()

    def _finish(self, job: _Job, state: str, result=None, code: str = "", error: str = "") -> None:
        job.state, job.result, job.error_code, job.error = state, result, code, error
        job.finished = time.monotonic()
        job.slot = None
        self._lock.notify_all()

    def _forget(self, job: _Job) -> None:
        self._jobs.pop(job.id, None)
        if self._by_session.get(job.session) is job:
            del self._by_session[job.session]

    def _sweep(self) -> None:
        now = time.monotonic()
        for job in [j for j in self._jobs.values() if j.finished is not None and now - j.finished > self.ttl_s]:
            self._forget(job)

    # ---- the worker side: one thread per slot ------------------------------------------------------------------
    def _start_worker(self, slot: _Slot) -> bool:
        parent, child = self._ctx.Pipe(duplex=True)
        cancel = self._ctx.Event()
        proc = self._ctx.Process(target=worker_main, args=(child, cancel), name=f"rnnviz-worker-{slot.index}",
                                 daemon=True)
        with _plain_main():
            proc.start()
        child.close()
        slot.proc, slot.conn, slot.cancel = proc, parent, cancel
        try:
            if parent.poll(self.start_timeout_s):
                msg = parent.recv()
                if msg[0] == "ready":
                    slot.pid = msg[1]
                    slot.ready.set()
                    return True
        except (EOFError, OSError):
            pass
        self._stop_worker(slot, kill=True)
        return False

    def _stop_worker(self, slot: _Slot, kill: bool = False) -> None:
        slot.ready.clear()
        proc, conn = slot.proc, slot.conn
        slot.proc = slot.conn = None
        if proc is None:
            return
        if not kill:
            try:
                conn.send(None)
            except (OSError, ValueError):
                pass
            proc.join(2.0)
        if proc.is_alive():
            proc.kill()
        proc.join(2.0)
        try:
            conn.close()
        except OSError:
            pass

    def _next_job(self, slot: _Slot) -> _Job | None:
        """The first waiting job, now running on `slot` (None: the service is shutting down)."""
        with self._lock:
            while not self._queue and not self._closed:
                self._lock.wait(1.0)
                self._sweep()
            if self._closed:
                return None
            job = self._queue.popleft()
            slot.cancel.clear()
            job.state, job.started, job.slot = "running", time.monotonic(), slot
            return job

    def _serve(self, slot: _Slot) -> None:
        """A slot's loop: take the next job, make sure its worker lives (a fresh one takes the job of one that
        died while idle), run the job on it. The backends differ only in `_alive`, `_dispatch` and how a
        worker stops at the end (`_stop_at_end_kill`)."""
        while not self._closed:
            if slot.proc is None and not self._restart(slot):
                if self.broken:
                    return
                time.sleep(0.5)
                continue
            job = self._next_job(slot)
            if job is None:
                break
            if not self._alive(slot):                 # died while idle: a fresh one takes the job
                self._stop_worker(slot, kill=True)
                with self._lock:
                    self.restarts += 1
                if not self._restart(slot):
                    with self._lock:
                        self._finish(job, "failed", code="unavailable", error="the training worker could not start")
                    continue
                with self._lock:
                    job.slot = slot
                    if job.cancel_at is not None:
                        slot.cancel.set()
            self._dispatch(slot, job)
        self._stop_worker(slot, kill=self._stop_at_end_kill)

    _stop_at_end_kill = False                          # a process worker is asked to stop, then joined

    def _alive(self, slot: _Slot) -> bool:
        return slot.proc.is_alive()

    def _dispatch(self, slot: _Slot, job: _Job) -> None:
        """Run `job` on the slot's worker and relay its messages until the job is final."""
        try:
            slot.conn.send(("job", job.id, self.kinds[job.kind], job.payload, job.deadline_s))
        except (OSError, ValueError) as e:
            self._lost(slot, job, "crashed", f"the training worker could not take the job ({e})")
            return
        self._watch(slot, job)

    def _restart(self, slot: _Slot) -> bool:
        """Start the slot's worker; after repeated failures the service is marked broken."""
        if self._start_worker(slot):
            with self._lock:
                self._start_failures = 0
            return True
        with self._lock:
            self._start_failures += 1
            if self._start_failures >= 3 * self.workers:
                self.broken = "the training workers could not start"
                while self._queue:
                    self._finish(self._queue.popleft(), "failed", code="unavailable", error=self.broken)
        return False

    def _watch(self, slot: _Slot, job: _Job) -> None:
        """Relay the worker's messages for `job` until it is final; kill and replace a worker that dies,
        hangs past the deadline + grace, or does not stop within the grace after a cancel."""
        hard = job.started + job.deadline_s + self.grace_s
        while True:
            try:
                msg = slot.conn.recv() if slot.conn.poll(0.05) else None
            except (EOFError, OSError):
                slot.proc.join(1.0)
                self._lost(slot, job, "crashed",
                           f"the training worker stopped unexpectedly (exit code {slot.proc.exitcode})")
                return
            if msg is not None and msg[1] == job.id:
                with self._lock:
                    if msg[0] == "progress":
                        job.progress = msg[2]
                        self._lock.notify_all()
                        continue
                    if msg[0] == "done":
                        self._finish(job, "cancelled" if job.cancel_at is not None else "done", result=msg[2])
                    else:
                        self._finish(job, "failed", code="error", error=msg[2])
                return
            now = time.monotonic()
            if not slot.proc.is_alive():
                slot.proc.join(1.0)
                self._lost(slot, job, "crashed", f"the training worker stopped unexpectedly (exit code {slot.proc.exitcode})")
                return
            if now > hard:
                self._lost(slot, job, "hung", f"the training did not end within its {job.deadline_s:g} s deadline "
                                               f"and {self.grace_s:g} s of grace; its worker was replaced")
                return
            if job.cancel_at is not None and now > job.cancel_at + self.grace_s:
                self._lost(slot, job, "", "", state="cancelled")
                return

    def _lost(self, slot: _Slot, job: _Job, code: str, error: str, state: str = "failed") -> None:
        self._stop_worker(slot, kill=True)
        with self._lock:
            self.restarts += 1
            self._finish(job, state, code=code, error=error)
