"""The training service: training runs in a bounded pool of worker processes instead of the server's
script threads (one GIL), with a FIFO queue, one job per session, a bounded queue and a deadline per job
(see `pool`). The library never imports streamlit; pages reach the service through the library's
facades, which all go through `rnnviz.service.run.run_job` (a job kind of `jobs`, on the service or
in-process: the same function) and show it with `ui.training`.

`get_service()` is the process-wide service, started at the first call and shut down at interpreter
exit. $RNNVIZ_WORKERS sets the number of worker processes (default: one per CPU core; 0: no service,
everything trains in-process, as does a server whose workers cannot start); $RNNVIZ_QUEUE the most
jobs that may wait (default 100).
"""
from __future__ import annotations

import atexit
import os
import threading

from .pool import FAIL_CODES, FINAL, STATES, JobStatus, QueueFull, ServiceError, TrainingService

__all__ = ["FAIL_CODES", "FINAL", "STATES", "JobCancelled", "JobFailed", "JobStatus", "QueueFull", "ServiceError",
           "TrainingService", "current_service", "get_service", "set_service", "shutdown_service",
           "start_service_soon", "workers_from_env"]

MAX_WORKERS = 64
_lock = threading.Lock()
_service: TrainingService | None = None
_failed = ""                       # why the service could not start (then everything trains in-process)


class JobFailed(ServiceError):
    """A job ended "failed": `status.error_code` says why (crashed, hung, error, ...)."""

    def __init__(self, status: JobStatus):
        super().__init__(status.error or status.error_code)
        self.status = status


class JobCancelled(ServiceError):
    """A job was cancelled before it learnt anything (it was still waiting)."""

    def __init__(self, status: JobStatus):
        super().__init__("the training was cancelled before it started")
        self.status = status


def _env_int(name: str, default: int, lo: int, hi: int) -> int:
    raw = os.environ.get(name, "").strip()
    try:
        return min(hi, max(lo, int(raw))) if raw else default
    except ValueError:
        return default


def workers_from_env() -> int:
    """$RNNVIZ_WORKERS clamped to 0..64; unset or not a number: one per CPU core."""
    return _env_int("RNNVIZ_WORKERS", os.cpu_count() or 1, 0, MAX_WORKERS)


def get_service() -> TrainingService | None:
    """The process-wide service (started on the first call), or None: $RNNVIZ_WORKERS=0, or it cannot run."""
    global _service, _failed
    if workers_from_env() == 0:
        return None
    with _lock:
        if _service is not None and not _service.closed and not _service.broken:
            return _service
        if _failed or (_service is not None and _service.broken):
            return None
        try:
            _service = TrainingService(workers=workers_from_env(),
                                       max_queue=_env_int("RNNVIZ_QUEUE", 100, 0, 10_000)).start()
        except Exception as e:  # noqa: BLE001 - no service: the caller trains in-process
            _failed = f"{type(e).__name__}: {e}"
            return None
        atexit.register(_service.shutdown)
        return _service


def current_service() -> TrainingService | None:
    """The process-wide service if one is running (or installed), without starting one."""
    if workers_from_env() == 0:
        return None
    with _lock:
        ok = _service is not None and not _service.closed and not _service.broken
        return _service if ok else None


_starting = threading.Event()
START_DELAY_S = 4.0      # after the first in-process training: its page draws first (2 cores: browser, server)


def start_service_soon(delay_s: float = START_DELAY_S) -> None:
    """Start the process-wide service in the background after `delay_s` (its workers import torch for ~2 s,
    which would otherwise compete with the first page's drawing for the CPU), unless there is none to start;
    returns at once. Until it is ready, trainings run in-process."""
    if workers_from_env() > 0 and current_service() is None and not _failed and not _starting.is_set():
        _starting.set()

        def start():
            try:
                get_service()
            finally:
                _starting.clear()
        timer = threading.Timer(delay_s, start)
        timer.daemon = True
        timer.start()


def set_service(service: TrainingService | None) -> TrainingService | None:
    """Make `service` the process-wide one (tests install their own); returns the one it replaces."""
    global _service, _failed
    with _lock:
        old, _service, _failed = _service, service, ""
        return old


def shutdown_service() -> None:
    global _service
    with _lock:
        svc, _service = _service, None
    if svc is not None:
        svc.shutdown()
