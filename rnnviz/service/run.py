"""One way for every page to train: `run_job(kind, payload, rebuild, ...)`.

The job kind (`rnnviz.service.jobs`, a function `fn(payload, ctx) -> plain data`) runs either as the
session's job on the training service's workers or, without a ready service (RNNVIZ_WORKERS=0, the pool
still starting), right here in the caller's thread with a `LocalContext`: the same function
either way, so a service result equals the in-process one. `rebuild(result)` turns the plain result into
what the page shows (models rebuilt from their arrays) on the caller's side.

States reach `on_state(JobStatus)` as they change: waiting (with the queue position), running (with the
progress the job reports), done / cancelled (the service's final status). In-process there is only
"running" (id 0), after every progress report. `on_state` returning False stops the job (weights kept).

Stopping: `connected()` (the caller's probe: is the session's browser still there?) is asked about twice a
second; once it says False, the job is cancelled and its partial result returned. When `on_state` raises
(a Streamlit script being stopped or rerun raises from its next element), the job is stopped as well, its
partial result goes through `rebuild` (so a page's `into` keeps what was learnt) and the exception goes on;
with `cancel_on_rerun=False` a rerun (an exception named "RerunException") leaves the service's job
running for the rerun to attach to (the Hello page's Stop button, see its page).
"""
from __future__ import annotations

import importlib
import time
from typing import Callable

from .pool import KINDS, JobStatus
from .slots import released

OnState = Callable[[JobStatus], "bool | None"]
PROBE_EVERY_S = 0.5
INTERRUPT_WAIT_S = 3.0           # how long a stopped script waits for its cancelled job's partial result


class LocalContext:
    """The worker's `JobContext` for a job run in-process: progress goes straight to `on_state`."""

    def __init__(self, session: str, kind: str, on_state: OnState | None = None, deadline_s: float | None = None,
                 connected: Callable[[], bool] | None = None, on_step=None):
        self.session, self.kind, self.deadline_s = session, kind, deadline_s
        self._on_state, self._connected, self._on_step = on_state, connected, on_step
        self._stop = False
        self._probed = time.monotonic()
        self.interrupt: BaseException | None = None    # what on_state raised (re-raised once the job ended)

    def progress(self, step: int, steps: int, loss: float | None = None, **extra) -> None:
        if self._on_state is None or self.interrupt is not None:
            return
        status = JobStatus(id=0, session=self.session, kind=self.kind, state="running",
                           progress=dict(extra, step=int(step), steps=int(steps),
                                         loss=None if loss is None else float(loss)))
        try:
            if self._on_state(status) is False:
                self._stop = True
        except BaseException as e:  # noqa: BLE001 - a script stopped or rerun: end the job, keep what it learnt
            self.interrupt, self._stop = e, True

    def cancelled(self) -> bool:
        if not self._stop and self._connected is not None and time.monotonic() - self._probed >= PROBE_EVERY_S:
            self._probed = time.monotonic()
            self._stop = not self._connected()
        return self._stop

    def on_step(self, p) -> bool | None:
        answer = self._on_step(p) if self._on_step is not None else None
        self.progress(p.step, p.steps, p.loss)
        return False if answer is False or self.cancelled() else None


def resolve(kind: str, kinds: dict[str, str] | None = None):
    """The function of a job kind ("module:function" in KINDS)."""
    target = (KINDS if kinds is None else kinds).get(kind)
    if target is None:
        raise ValueError(f"unknown job kind {kind!r} (known: {', '.join(sorted(KINDS))})")
    module, _, name = target.partition(":")
    return getattr(importlib.import_module(module), name)


def pick_service(session: str | None, device: str = "cpu"):
    """The service a job of `session` goes to, or None (train in-process): no session, no running service, or one
    still starting (its workers import torch for ~2 s) while the session has no job there. A GPU job goes to the
    service too: its workers train on CUDA where they have it (`jobs.job_device`), else on their CPU."""
    from . import current_service
    if session is None:
        return None
    svc = current_service()
    if svc is None or (svc.ready_workers == 0 and svc.active(session) is None):
        return None
    return svc


def run_job(kind: str, payload: dict, rebuild: Callable[[object], object], *, session: str | None = None,
            on_state: OnState | None = None, deadline_s: float = 30.0, device: str = "cpu",
            connected: Callable[[], bool] | None = None, cancel_on_rerun: bool = True, on_step=None,
            service=None):
    """Run job `kind` on `payload` and return `rebuild(its result)`; see the module. `service`: this one instead
    of the process-wide one (`pick_service`). `on_step(Progress)`: in-process only, the training loop's hook.
    Raises what the kind raises in-process, QueueFull, JobFailed (the job failed on a worker: its status says
    why), JobCancelled (cancelled while it waited: nothing learnt)."""
    from . import JobCancelled, JobFailed, QueueFull, ServiceError, start_service_soon
    svc = service if service is not None else pick_service(session, device)
    if svc is not None:
        sent = payload if str(device) == "cpu" else dict(payload, device=str(device))   # a CPU job's payload as ever
        try:
            return _on_service(svc, kind, sent, rebuild, session, on_state, deadline_s, connected, cancel_on_rerun)
        except (QueueFull, JobFailed, JobCancelled):
            raise
        except ServiceError:
            if service is not None:
                raise
            # the process-wide service is shut down or broken: train here, as without a service
    ctx = LocalContext(session or "", kind, on_state, deadline_s, connected, on_step)
    ctx.device = str(device)
    try:
        out = rebuild(resolve(kind)(payload, ctx))
    finally:
        if session is not None and service is None:
            start_service_soon()                   # the next trainings go to the workers
    if ctx.interrupt is not None:
        raise ctx.interrupt
    return out


def _on_service(svc, kind, payload, rebuild, session, on_state, deadline_s, connected, cancel_on_rerun):
    from . import JobCancelled, JobFailed
    job = svc.submit(session, kind, payload, deadline_s=deadline_s)
    probed = [time.monotonic()]

    def cancel():
        now = svc.active(session)
        if now is not None and now.id == job.id:
            svc.cancel(session)

    def change(s: JobStatus):
        if not s.final and connected is not None and time.monotonic() - probed[0] >= PROBE_EVERY_S:
            probed[0] = time.monotonic()
            if not connected():
                cancel()                           # the tab is gone: nobody waits for this training
        if on_state is not None and on_state(s) is False and not s.final:
            cancel()

    try:
        change(job)
        with released():                          # a page run waiting for its job gives its run slot to others
            status = svc.wait(job.id, on_change=change)
    except BaseException as e:
        if not cancel_on_rerun and type(e).__name__ == "RerunException":
            raise                                  # the rerun attaches to the job (same kind and payload)
        cancel()
        try:
            with released():
                final = svc.wait(job.id, timeout=INTERRUPT_WAIT_S)
        except KeyError:
            raise e from None
        if final.final:
            svc.collect(job.id)
            if final.result is not None:
                try:
                    rebuild(final.result)          # a page's `into` keeps what was learnt
                except Exception:  # noqa: BLE001 - the original exception is what matters
                    pass
        raise
    svc.collect(job.id)
    if status.state == "failed":
        raise JobFailed(status)
    if status.result is None:
        raise JobCancelled(status)
    return rebuild(status.result)
