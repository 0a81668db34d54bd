"""The training service on a Ray cluster: the same service as the local pool (`rnnviz.service.pool`), with
its workers as Ray actors, so several app replicas (servers) share one cluster's machines, GPU nodes
included. Each server keeps its own queue and its own actors (at most $RNNVIZ_WORKERS); Ray places them
on the cluster's nodes and shares its CPUs (and GPUs) among all servers' actors: an actor that finds no
room waits for it (its server trains in-process until one of its actors is ready, as while the local
pool starts).

    svc = RayTrainingService(address="auto")       # or "local", or "10.0.0.5:6379"; ray is imported here
    job = svc.submit("session-1", "hello", payload, deadline_s=20)
    svc.wait(job.id); svc.collect(job.id)

Configuration (read by `rnnviz.service.get_service`, which builds this service instead of the local pool
when $RNNVIZ_RAY_ADDRESS is set, and falls back to the local pool, with the reason logged, when ray is not
installed or the cluster cannot be reached):
- $RNNVIZ_RAY_ADDRESS: "auto" (the Ray instance running on this machine: `ray start --head`), "local" (start
  a fresh Ray instance inside this server, stopped with it) or a cluster's GCS address "host:port" (probed
  first: an address nobody answers at fails within 3 s instead of Ray's minutes of retries). A cluster
  with Ray's token authentication (`ray start`'s default in ray 2.60) needs Ray's own RAY_AUTH_MODE=token
  (and its token) for a host:port; "auto" finds the token of the instance on this machine itself.
- $RNNVIZ_WORKERS: the most actors (trainings at once) this server keeps on the cluster; default and
  upper bound: the cluster's CPUs (each actor takes one CPU). With several servers on one cluster, give
  each its share: an actor that finds no room waits for it (the server runs with fewer workers meanwhile).
  Where the cluster has GPUs, the first 4 actors per GPU also take a quarter of one (they start on GPU
  nodes; the rest take none).
- $RNNVIZ_QUEUE: as for the local pool.
The workers import rnnviz by name: every node needs it importable (this checkout's folder is sent to the
workers' PYTHONPATH; on other machines, the same checkout at the same path, or rnnviz installed).

Everything the caller sees is the local pool's: FIFO, one job per session (attach on the same payload), the
bounded queue, deadlines with a grace after which the actor is killed ("hung"), cancel of waiting and
running jobs, progress relayed (the actor keeps a job's last progress; the service polls it every 0.1 s),
a job that raises -> "failed" ("error", the reason), an actor that dies -> "failed" ("crashed") and a fresh
actor takes the next job. Only the worker side differs (the bookkeeping is `TrainingService`'s). Jobs run
the same job kinds ("module:function" names, a `rnnviz.service.worker.JobContext`), so results are the
local pool's bit for bit. A job's payload names its device: an actor on a node with CUDA trains "cuda"
and "auto" jobs there, every other job on its CPU.
"""
from __future__ import annotations

import importlib
import logging
import os
import socket
import tempfile
import threading
import time
from pathlib import Path

from .pool import ServiceError, TrainingService, _Job, _Slot
from .worker import JobContext, _resolve

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[2]       # the folder that holds the rnnviz package
POLL_S = 0.05                                    # how often a slot's thread looks at its running job
PROGRESS_POLL_S = 0.1                            # how often it asks the actor for the job's progress
CANCEL_RESEND_S = 0.5                            # a cancel is repeated until the job ends (it may arrive first)
PROBE_S = 3.0                                    # a cluster address must answer within this
PRELOAD = ("rnnviz.service.jobs",)
ACTORS_PER_GPU = 4                               # actors (small models' trainings) sharing one GPU


def import_ray():
    """The ray module, or ServiceError saying it is not installed."""
    try:
        import ray
    except ImportError as e:
        raise ServiceError(f"ray is not installed ({e}); pip install -r requirements-ray.txt") from e
    return ray


def runtime_env() -> dict:
    """What Ray's workers need to import rnnviz (and tests' job kinds): this checkout on their PYTHONPATH."""
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH", "")]))
    return {"env_vars": {"PYTHONPATH": path}}


def _probe(address: str) -> None:
    """Raise ServiceError unless something accepts a TCP connection at "host:port" (within PROBE_S)."""
    target = address.split("://", 1)[-1]
    host, _, port = target.rpartition(":")
    if not host or not port.isdigit():
        raise ServiceError(f"RNNVIZ_RAY_ADDRESS {address!r} is not 'auto', 'local' or host:port")
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=PROBE_S).close()
    except OSError as e:
        raise ServiceError(f"no Ray cluster answers at {address} ({e})") from e


def _joined(ray) -> bool:
    return ray.is_initialized()


def connect(address: str, **init_kwargs) -> bool:
    """Connect this process to Ray: "local" starts an instance here, "auto" joins the one on this machine,
    "host:port" a cluster. Returns whether this call started/joined it (False: ray was already initialised,
    e.g. by a test, and this service leaves it running). Raises ServiceError with the reason."""
    ray = import_ray()
    if _joined(ray):
        return False
    address = (address or "").strip()
    kwargs = dict(include_dashboard=False, log_to_driver=False, logging_level="ERROR", runtime_env=runtime_env(),
                  ignore_reinit_error=True)
    kwargs.update(init_kwargs)
    if address == "local":
        kwargs.setdefault("num_cpus", os.cpu_count() or 1)
    elif address != "auto":
        _probe(address)
        kwargs["address"] = address
    else:
        kwargs["address"] = "auto"
        current = Path(os.environ.get("RAY_TMPDIR") or tempfile.gettempdir()) / "ray" / "ray_current_cluster"
        try:
            known = current.read_text().strip() if not os.environ.get("RAY_ADDRESS") else ""
        except OSError:
            known = ""                            # none: ray.init says so at once
        if known:
            _probe(known)                         # a stale record of a stopped instance: fail fast, not in minutes
    if "address" in kwargs:                       # a running cluster has its own resources and dashboard
        kwargs.pop("include_dashboard")
    try:
        _init_in_keeper(ray, kwargs)
    except Exception as e:  # noqa: BLE001 - whatever Ray raises, the caller gets the reason
        raise ServiceError(f"cannot connect to Ray at {address!r}: {type(e).__name__}: {e}") from e
    return True


_keeper_stop = threading.Event()


def _init_in_keeper(ray, kwargs: dict) -> None:
    """`ray.init(**kwargs)` in a thread that lives until `disconnect()`. Ray ties the processes a local
    instance starts (GCS, raylet) to the thread that started them (they die when it ends: Linux's
    parent-death signal is per thread), and the server calls this from a page's script thread or a timer
    thread, which end soon after."""
    done, box = threading.Event(), {}

    def keep():
        try:
            ray.init(**kwargs)
        except BaseException as e:  # noqa: BLE001 - handed to the caller
            box["error"] = e
            return
        finally:
            done.set()
        _keeper_stop.wait()

    _keeper_stop.clear()
    threading.Thread(target=keep, name="rnnviz-ray-keeper", daemon=True).start()
    done.wait()
    if "error" in box:
        raise box["error"]


def disconnect() -> None:
    """Leave Ray (stopping the local instance `connect("local")` started) and end the keeper thread."""
    ray = import_ray()
    try:
        if ray.is_initialized():
            ray.shutdown()
    finally:
        _keeper_stop.set()


# ---- the worker: a Ray actor ------------------------------------------------------------------------------
class _Outbox:
    """A JobContext's connection inside an actor: keeps the job's last progress (the service polls it)."""

    def __init__(self):
        self.last = None

    def send(self, msg) -> None:
        if msg[0] == "progress":
            self.last = msg[2]


class _Flag:
    """A JobContext's cancel event inside an actor: set once the service cancelled this job."""

    def __init__(self, cancelled: set, job_id: int):
        self._cancelled, self._id = cancelled, job_id

    def is_set(self) -> bool:
        return self._id in self._cancelled


class RayWorker:
    """One training worker (made a Ray actor by the service, threaded: `run` trains while `progress` and
    `cancel` answer). One intra-op thread, as in the local pool's workers (the same results)."""

    def __init__(self, preload: tuple[str, ...] = PRELOAD):
        import torch
        torch.set_num_threads(1)
        for module in preload:
            importlib.import_module(module)
        self._cache: dict = {}
        self._boxes: dict[int, _Outbox] = {}
        self._cancelled: set[int] = set()

    def ready(self) -> dict:
        import torch
        return {"pid": os.getpid(), "host": socket.gethostname(), "cuda": bool(torch.cuda.is_available())}

    def run(self, job_id: int, target: str, payload: dict, deadline_s: float) -> tuple:
        """("done", result, last progress) or ("error", "Type: message", last progress)."""
        box = self._boxes[job_id] = _Outbox()
        try:
            ctx = JobContext(box, job_id, _Flag(self._cancelled, job_id), deadline_s)
            return ("done", _resolve(target, self._cache)(payload, ctx), box.last)
        except Exception as e:  # noqa: BLE001 - every failure of a job goes back to the service as its reason
            return ("error", f"{type(e).__name__}: {e}", box.last)
        finally:
            self._boxes.pop(job_id, None)
            self._cancelled.discard(job_id)

    def progress(self, job_id: int):
        box = self._boxes.get(job_id)
        return None if box is None else box.last

    def cancel(self, job_id: int) -> bool:
        """Ask the job to stop (only while it runs here: the service repeats it until the job ends)."""
        if job_id in self._boxes:
            self._cancelled.add(job_id)
            return True
        return False


# ---- the service ------------------------------------------------------------------------------------------
class RayTrainingService(TrainingService):
    """`TrainingService` whose workers are Ray actors (see the module's docstring)."""

    def __init__(self, address: str = "auto", workers: int | None = None, max_queue: int = 100,
                 kinds: dict[str, str] | None = None, grace_s: float = 10.0, ttl_s: float = 300.0,
                 start_timeout_s: float = 60.0, max_deadline_s: float = 600.0, **init_kwargs):
        if workers is not None and (not isinstance(workers, int) or not 1 <= workers <= 64):
            raise ValueError(f"workers must be between 1 and 64, not {workers!r}")
        self._ray = import_ray()
        self.address = address
        self._owns_ray = connect(address, **init_kwargs)
        try:
            res = self._ray.cluster_resources()
        except Exception as e:  # noqa: BLE001
            self._disconnect()
            raise ServiceError(f"the Ray cluster does not answer: {type(e).__name__}: {e}") from e
        self.cluster_cpus, self.cluster_gpus = int(res.get("CPU", 0)), float(res.get("GPU", 0))
        if self.cluster_cpus < 1:
            self._disconnect()
            raise ServiceError("the Ray cluster has no CPUs for training workers")
        n = min(64, self.cluster_cpus if workers is None else min(workers, self.cluster_cpus))
        super().__init__(workers=n, max_queue=max_queue, kinds=kinds, grace_s=grace_s, ttl_s=ttl_s,
                         start_timeout_s=start_timeout_s, max_deadline_s=max_deadline_s)
        self.gpu_slots = 0                        # set when the workers start (`_prepare_workers`)

    def _disconnect(self) -> None:
        if self._owns_ray:
            disconnect()
        self._owns_ray = False

    def shutdown(self, timeout: float = 5.0) -> None:
        """The local pool's shutdown (the actors are killed), then Ray's if this service started/joined it."""
        was_closed = self.closed
        if not was_closed:
            for slot in self._slots:              # actors still starting (e.g. waiting for room on the cluster)
                if slot.proc is not None and not slot.ready.is_set():
                    self._kill(slot.proc)
        super().shutdown(timeout)
        if not was_closed:
            self._disconnect()

    def stats(self) -> dict:
        out = super().stats()
        cuda = sum(bool(getattr(s, "cuda", False)) for s in self._slots if s.ready.is_set())
        out.update(backend="ray", address=self.address, cluster_cpus=self.cluster_cpus,
                   cluster_gpus=self.cluster_gpus, gpu_slots=self.gpu_slots, cuda_workers=cuda)
        return out

    # ---- the worker side ----------------------------------------------------------------------------------
    def _prepare_workers(self) -> None:
        opts = {"num_cpus": 1, "max_restarts": 0, "max_concurrency": 4}
        cls = self._ray.remote(RayWorker)
        self._actor_cls = cls.options(**opts)
        # where the cluster has GPUs, the first actors each take a share of one (ACTORS_PER_GPU per GPU), the
        # others none: actors asking for GPU shares can only start on GPU nodes, which may have few CPUs
        self.gpu_slots = min(self.workers, int(self.cluster_gpus * ACTORS_PER_GPU))
        self._gpu_actor_cls = cls.options(num_gpus=1.0 / ACTORS_PER_GPU, **opts) if self.gpu_slots else None

    def _start_worker(self, slot: _Slot) -> bool:
        actor = None
        try:
            # kept in the slot while it starts, so that a shutdown kills it (a cluster with no room: it waits)
            cls = self._gpu_actor_cls if slot.index < self.gpu_slots else self._actor_cls
            actor = slot.proc = cls.remote()
            ref, end = actor.ready.remote(), time.monotonic() + self.start_timeout_s
            while not self._ray.wait([ref], timeout=0.2)[0]:
                if self._closed:
                    raise ServiceError("the service is shut down")
                if end is not None and time.monotonic() > end:
                    # no room on the cluster yet (other servers' actors hold its CPUs), or a slow start: it
                    # keeps waiting (not a failure: this server has fewer workers meanwhile)
                    log.warning("a Ray training worker is not ready after %g s: waiting for room on the cluster",
                                self.start_timeout_s)
                    end = None
            info = self._ray.get(ref)
        except Exception as e:  # noqa: BLE001 - not started (no room on the cluster, the import failed, ...)
            if not self._closed:
                log.warning("a Ray training worker could not start: %s: %s", type(e).__name__, e)
            slot.proc = None
            if actor is not None:
                self._kill(actor)
            return False
        slot.cancel, slot.pid, slot.cuda = threading.Event(), info["pid"], info["cuda"]
        slot.ready.set()
        return True

    def _kill(self, actor) -> None:
        try:
            self._ray.kill(actor, no_restart=True)
        except Exception:  # noqa: BLE001 - already gone
            pass

    def _stop_worker(self, slot: _Slot, kill: bool = False) -> None:
        slot.ready.clear()
        actor, slot.proc = slot.proc, None
        if actor is not None:
            self._kill(actor)

    def _alive(self, slot: _Slot) -> bool:
        try:
            self._ray.get(slot.proc.ready.remote(), timeout=min(5.0, self.start_timeout_s))
            return True
        except Exception:  # noqa: BLE001
            return False

    _stop_at_end_kill = True                           # an actor has no stop message: it is killed

    def _dispatch(self, slot: _Slot, job: _Job) -> None:
        try:
            ref = slot.proc.run.remote(job.id, self.kinds[job.kind], job.payload, job.deadline_s)
        except Exception as e:  # noqa: BLE001
            self._lost(slot, job, "crashed", f"the training worker could not take the job ({e})")
            return
        self._watch_ray(slot, job, ref)

    def _watch_ray(self, slot: _Slot, job: _Job, ref) -> None:
        """Relay the actor's progress for `job` until it is final; kill and replace an actor that dies, hangs
        past the deadline + grace, or does not stop within the grace after a cancel."""
        ray = self._ray
        hard = job.started + job.deadline_s + self.grace_s
        poll, next_poll, next_cancel = None, 0.0, 0.0
        while True:
            done, _ = ray.wait([ref], timeout=POLL_S)
            if done:
                try:
                    out = ray.get(ref)
                except ray.exceptions.RayActorError as e:
                    why = str(e).strip().splitlines()
                    self._lost(slot, job, "crashed", "the training worker stopped unexpectedly"
                               + (f" ({why[-1].strip()})" if why else ""))
                    return
                except Exception as e:  # noqa: BLE001 - e.g. a result Ray could not move
                    with self._lock:
                        self._finish(job, "failed", code="error", error=f"{type(e).__name__}: {e}"[:2000])
                    return
                with self._lock:
                    if out[2] is not None:
                        job.progress = out[2]
                    if out[0] == "done":
                        self._finish(job, "cancelled" if job.cancel_at is not None else "done", result=out[1])
                    else:
                        self._finish(job, "failed", code="error", error=out[1])
                return
            now = time.monotonic()
            if poll is not None and ray.wait([poll], timeout=0)[0]:
                try:
                    p = ray.get(poll)
                except Exception:  # noqa: BLE001 - the actor died: `ref` says so next
                    p = None
                poll = None
                if p is not None:
                    with self._lock:
                        if job.state == "running":
                            job.progress = p
                            self._lock.notify_all()
            if poll is None and now >= next_poll:
                poll, next_poll = slot.proc.progress.remote(job.id), now + PROGRESS_POLL_S
            if slot.cancel.is_set() and now >= next_cancel:
                slot.proc.cancel.remote(job.id)
                next_cancel = now + CANCEL_RESEND_S
            if now > hard:
                self._lost(slot, job, "hung", f"the training did not end within its {job.deadline_s:g} s deadline "
                                               f"and {self.grace_s:g} s of grace; its worker was replaced")
                return
            if job.cancel_at is not None and now > job.cancel_at + self.grace_s:
                self._lost(slot, job, "", "", state="cancelled")
                return
