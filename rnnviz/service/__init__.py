"""The training service: training runs in a bounded pool of worker processes instead of the server's
script threads (one GIL), with a FIFO queue, one job per session, a bounded queue and a deadline per job
(see `pool`). The library never imports streamlit; pages reach the service through the library's
facades, which all go through `rnnviz.service.run.run_job` (a job kind of `jobs`, on the service or
in-process: the same function) and show it with `ui.training`.

`get_service()` is the process-wide service, started at the first call and shut down at interpreter
exit. $RNNVIZ_WORKERS sets the number of worker processes (default: one per CPU core; 0: no service,
everything trains in-process, as does a server whose workers cannot start); $RNNVIZ_QUEUE the most
jobs that may wait (default 100).

$RNNVIZ_RAY_ADDRESS (unset: the local pool, nothing to install or start) runs the same service on Ray
instead (`ray_backend.RayTrainingService`; `pip install -r requirements-ray.txt`): "auto" joins the Ray
instance running on this machine (`ray start --head`), "local" starts a fresh one inside this server, a
"host:port" joins that cluster, so several app replicas share one pool of training workers (GPU nodes
included). $RNNVIZ_WORKERS then bounds the trainings this server runs at once on the cluster (default: the
cluster's CPUs). When ray is not installed or the cluster cannot be reached, the reason is logged (and kept
in `backend_note()`) and the local pool runs instead; the app never fails for it.
"""
from __future__ import annotations

import atexit
import logging
import os
import threading

from .pool import FAIL_CODES, FINAL, STATES, JobStatus, QueueFull, ServiceError, TrainingService

__all__ = ["FAIL_CODES", "FINAL", "STATES", "JobCancelled", "JobFailed", "JobStatus", "QueueFull", "ServiceError",
           "TrainingService", "backend_note", "current_service", "get_service", "set_service", "shutdown_service",
           "start_service_soon", "workers_from_env"]

MAX_WORKERS = 64
_lock = threading.Lock()
_ray_lock = threading.Lock()       # one thread at a time joins Ray ($RNNVIZ_RAY_ADDRESS)
_service: TrainingService | None = None
_failed = ""                       # why the service could not start (then everything trains in-process)
_note = ""                         # why $RNNVIZ_RAY_ADDRESS was not used (then the local pool runs)
log = logging.getLogger(__name__)


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
    max_queue = _env_int("RNNVIZ_QUEUE", 100, 0, 10_000)
    ray_svc = None
    if os.environ.get("RNNVIZ_RAY_ADDRESS", "").strip() and not _note:
        # joining Ray takes seconds (a probe, ray.init): done outside _lock, one thread at a time, so that
        # current_service() answers meanwhile (None: trainings run in-process until the service is there)
        with _ray_lock:
            with _lock:
                if _service is not None and not _service.closed and not _service.broken:
                    return _service
                if _failed or (_service is not None and _service.broken):
                    return None
            ray_svc = _ray_service(max_queue)
    with _lock:
        if _service is not None and not _service.closed and not _service.broken:
            if ray_svc is not None and ray_svc is not _service:
                ray_svc.shutdown()                 # another one was installed meanwhile (set_service)
            return _service
        if _failed or (_service is not None and _service.broken):
            return None
        try:
            _service = ray_svc if ray_svc is not None else TrainingService(workers=workers_from_env(),
                                                                           max_queue=max_queue).start()
        except Exception as e:  # noqa: BLE001 - no service: the caller trains in-process
            _failed = f"{type(e).__name__}: {e}"
            return None
        atexit.register(_service.shutdown)
        return _service


def _ray_service(max_queue: int):
    """The Ray-backed service when $RNNVIZ_RAY_ADDRESS is set and Ray answers, else None (reason logged)."""
    global _note
    address = os.environ.get("RNNVIZ_RAY_ADDRESS", "").strip()
    if not address or _note:
        return None
    workers = workers_from_env() if os.environ.get("RNNVIZ_WORKERS", "").strip() else None
    try:
        from .ray_backend import RayTrainingService
        return RayTrainingService(address=address, workers=workers, max_queue=max_queue).start()
    except Exception as e:  # noqa: BLE001 - never crash the app for it: the local pool runs instead
        _note = f"RNNVIZ_RAY_ADDRESS={address!r} not used ({type(e).__name__}: {e}); using the local process pool"
        log.warning("%s", _note)
        return None


def backend_note() -> str:
    """Why $RNNVIZ_RAY_ADDRESS is not used ("" when it is, or is not set)."""
    return _note


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
    global _service, _failed, _note
    with _lock:
        old, _service, _failed, _note = _service, service, "", ""
        return old


def shutdown_service() -> None:
    global _service
    with _lock:
        svc, _service = _service, None
    if svc is not None:
        svc.shutdown()
