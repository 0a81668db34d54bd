"""The training service on Ray (rnnviz.service.ray_backend) against a local Ray instance started here
(`ray.init(num_cpus=2)`): the local pool's rules (FIFO, one job per session, bounds, deadlines, cancel,
failures, crashes), results equal to in-process training bit for bit, the selection by $RNNVIZ_RAY_ADDRESS
and the fallback to the local pool."""
from __future__ import annotations

import sys
import time

import numpy as np
import pytest
import torch

ray = pytest.importorskip("ray", reason="ray is not installed (pip install -r requirements-ray.txt; CI has it)")

from rnnviz import service as service_mod                                    # noqa: E402
from rnnviz.app.playground import PlaygroundConfig, run_playground, service_run   # noqa: E402
from rnnviz.service import JobFailed, QueueFull, TrainingService, get_service, set_service   # noqa: E402
from rnnviz.service import ray_backend                                         # noqa: E402
from rnnviz.service.ray_backend import RayTrainingService, runtime_env         # noqa: E402
from tests.service_helpers import TEST_KINDS, empty, same_run as _same_run, sleeper as _sleeper, until   # noqa: E402

pytestmark = pytest.mark.slow
MAX_QUEUE = 3
KINDS_FOR_TESTS = TEST_KINDS


@pytest.fixture(scope="module")
def svc():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level="ERROR",
             runtime_env=runtime_env())
    try:
        s = RayTrainingService(workers=2, max_queue=MAX_QUEUE, kinds=KINDS_FOR_TESTS, grace_s=1.0)
        assert s.warm(60), "the Ray training workers did not start"
        yield s
        s.shutdown()
    finally:
        ray.shutdown()


@pytest.fixture(autouse=True)
def _idle(svc):
    """Every test starts and ends with no job at all (none waiting, running or uncollected)."""
    yield
    empty(svc, timeout=15.0)


def _until(pred, timeout=15.0):
    until(pred, timeout)


def test_the_service_runs_on_the_ray_cluster(svc):
    st = svc.stats()
    assert st["backend"] == "ray" and st["workers"] == 2 and st["ready"] == 2 and st["cluster_cpus"] == 2
    assert len(set(st["pids"])) == 2 and all(p > 0 for p in st["pids"])
    assert svc.ready_workers == 2 and not svc.closed and not svc.broken
    with pytest.raises(ValueError, match="workers"):
        RayTrainingService(workers=0)


@pytest.mark.parametrize("cfg", [PlaygroundConfig(text="abcabd", cell="rnn", hidden=8, seed=5, steps=60),
                                 PlaygroundConfig(steps=80),
                                 PlaygroundConfig(text="hallo welt", cell="gru", lr=0.01, steps=60, seed=7)])
def test_a_ray_run_equals_training_in_process(svc, cfg):
    states = []
    run = service_run(cfg, "eq", svc, on_state=states.append)
    _same_run(run, run_playground(cfg))
    assert states[0].state == "waiting" and states[-1].state == "done" and run.device == "cpu"
    assert svc.status(states[-1].id) is None                 # collected: forgotten


def test_a_cuda_job_trains_on_cuda_where_the_worker_has_it_else_on_its_cpu(svc):
    cfg = PlaygroundConfig(steps=30, seed=3)
    run = service_run(cfg, "dev", svc, device="cuda")
    if torch.cuda.is_available():
        assert run.device == "cuda"
        np.testing.assert_allclose(run.result.losses, run_playground(cfg).result.losses, rtol=1e-3, atol=1e-4)
    else:
        assert run.device == "cpu"
        _same_run(run, run_playground(cfg))
    with pytest.raises(ValueError, match="unknown device"):
        service_run(cfg, "dev", svc, device="tpu")


def test_one_job_per_session_a_second_submit_attaches(svc):
    first = _sleeper(svc, "a", steps=30)
    again = _sleeper(svc, "a", steps=30)
    assert again.id == first.id and again.attached and not first.attached
    assert svc.wait(first.id, timeout=15).state == "done"
    assert _sleeper(svc, "a", steps=30).id == first.id       # done, not collected: still that job
    svc.collect(first.id)
    assert _sleeper(svc, "a", steps=1).id != first.id


def test_fifo_order_queue_positions_and_cancel_of_waiting_and_running_jobs(svc):
    busy = [_sleeper(svc, f"w{i}", steps=1000) for i in range(2)]
    _until(lambda: all(svc.status(b.id).state == "running" for b in busy))
    waiting = [_sleeper(svc, f"q{i}", steps=1, dt=0.001) for i in range(3)]
    assert [svc.status(j.id).position for j in waiting] == [1, 2, 3]
    assert svc.active("q1").position == 2
    assert svc.cancel("q0") and svc.status(waiting[0].id).state == "cancelled"
    assert svc.status(waiting[0].id).result is None
    assert [svc.status(j.id).position for j in waiting[1:]] == [1, 2]
    _until(lambda: (svc.status(busy[0].id).progress or {}).get("step", 0) >= 3)     # progress is relayed
    svc.cancel("w0")                                          # a running job: it stops, keeping what it did
    end = svc.wait(busy[0].id, timeout=10)
    assert end.state == "cancelled" and 3 <= end.result["done"] < 1000
    ends = [svc.wait(j.id, timeout=15) for j in waiting[1:]]
    assert [e.state for e in ends] == ["done", "done"]
    assert ends[0].result["started"] <= ends[1].result["started"]


def test_the_queue_is_bounded(svc):
    busy = [_sleeper(svc, f"w{i}", steps=1000) for i in range(2)]
    _until(lambda: all(svc.status(b.id).state == "running" for b in busy))
    waiting = [_sleeper(svc, f"q{i}", steps=1) for i in range(MAX_QUEUE)]
    with pytest.raises(QueueFull, match="queue is full"):
        _sleeper(svc, "one too many")
    assert svc.active("one too many") is None
    assert _sleeper(svc, "q0", steps=1).id == waiting[0].id   # attaching needs no room


def test_a_job_stops_at_its_deadline_and_keeps_what_it_learnt(svc):
    cfg = PlaygroundConfig(text="the quick brown fox jumps over the lazy dog" * 4, hidden=128, steps=2000)
    run = service_run(cfg, "d", svc, deadline_s=0.3)
    assert run.result.status == "deadline" and 1 <= run.result.steps < 2000


def test_a_failing_job_is_failed_with_its_reason(svc):
    job = svc.submit("f", "fail", {"why": "bad data"}, deadline_s=5)
    end = svc.wait(job.id, timeout=15)
    assert end.state == "failed" and end.error_code == "error"
    assert "ValueError" in end.error and "bad data" in end.error
    with pytest.raises(JobFailed) as e:                       # through the page's path: JobFailed
        service_run(PlaygroundConfig(), "f", _Swapped(svc, "fail"))
    assert e.value.status.error_code == "error" and "fails on purpose" in str(e.value)


def test_a_crashed_worker_is_replaced_and_the_next_job_runs(svc):
    restarts, pids = svc.restarts, svc.stats()["pids"]
    job = svc.submit("x", "crash", {}, deadline_s=5)
    end = svc.wait(job.id, timeout=20)
    assert end.state == "failed" and end.error_code == "crashed" and "stopped unexpectedly" in end.error
    assert svc.restarts == restarts + 1
    cfg = PlaygroundConfig(seed=11, steps=40)
    _same_run(service_run(cfg, "x", svc), run_playground(cfg))
    _until(lambda: svc.stats()["ready"] == 2, timeout=30)
    assert svc.stats()["pids"] != pids


def test_a_hung_worker_is_killed_after_deadline_and_grace(svc):
    job = svc.submit("y", "hang", {}, deadline_s=0.2)
    end = svc.wait(job.id, timeout=20)
    assert end.state == "failed" and end.error_code == "hung" and "deadline" in end.error
    assert 1.2 <= end.ran_s < 5
    assert svc.wait(_sleeper(svc, "y", steps=2).id, timeout=30).state == "done"


def test_a_server_finding_no_room_on_the_cluster_waits_for_it_and_is_not_broken(svc, caplog):
    """Another server's service on the same (full) cluster: its actor waits for a CPU; jobs wait in its queue."""
    assert svc.warm(60)                                       # a worker an earlier test replaced is up again
    pids = svc.stats()["pids"]
    other = RayTrainingService(workers=1, kinds=KINDS_FOR_TESTS, start_timeout_s=0.3)
    try:
        assert not other.warm(1.0) and other.ready_workers == 0
        job = _sleeper(other, "elsewhere", steps=1)
        time.sleep(0.3)
        assert other.status(job.id).state == "waiting" and not other.broken
        assert any("waiting for room on the cluster" in r.getMessage() for r in caplog.records)
    finally:
        other.shutdown()
    assert other.status(job.id).state == "cancelled"
    assert svc.stats()["ready"] == 2 and svc.stats()["pids"] == pids   # the first server's actors are untouched


class _Swapped:
    """The service, with the hello kind swapped for another kind."""

    def __init__(self, svc, kind):
        self.svc, self.kind = svc, kind

    def submit(self, session, kind, payload, deadline_s):
        return self.svc.submit(session, self.kind, {}, deadline_s=deadline_s)

    def __getattr__(self, name):
        return getattr(self.svc, name)


# ---- selection by $RNNVIZ_RAY_ADDRESS, and the fallback ---------------------------------------------------
@pytest.fixture
def no_service(monkeypatch):
    """No process-wide service before the test; the one it makes is shut down after it."""
    old = set_service(None)
    yield monkeypatch
    service_mod.shutdown_service()
    set_service(old)


def test_rnnviz_ray_address_selects_the_ray_service(no_service):
    no_service.setenv("RNNVIZ_RAY_ADDRESS", "auto")
    no_service.setenv("RNNVIZ_WORKERS", "1")
    got = get_service()
    assert isinstance(got, RayTrainingService) and got.workers == 1 and got.stats()["backend"] == "ray"
    assert got is not None and service_mod.backend_note() == ""


@pytest.mark.parametrize("address, why", [("127.0.0.1:9", "no Ray cluster answers at 127.0.0.1:9"),
                                          ("not an address", "is not 'auto', 'local' or host:port"),
                                          ("auto", "ray is not installed")])
def test_without_a_reachable_cluster_the_local_pool_runs(no_service, caplog, address, why):
    no_service.setenv("RNNVIZ_RAY_ADDRESS", address)
    no_service.setenv("RNNVIZ_WORKERS", "1")
    no_service.setattr(ray_backend, "_joined", lambda ray: False)  # as in a server that has not joined Ray
    no_service.setattr(TrainingService, "start", lambda self: self)   # the local pool is built, not started
    if why.startswith("ray is not"):
        no_service.setitem(sys.modules, "ray", None)              # `import ray` raises ImportError
    t0 = time.monotonic()
    got = get_service()
    assert time.monotonic() - t0 < 10
    assert type(got) is TrainingService and got.workers == 1
    assert why in service_mod.backend_note() and "using the local process pool" in service_mod.backend_note()
    assert any(why in r.getMessage() for r in caplog.records)


LOCAL = r"""
import threading
from rnnviz.app.playground import PlaygroundConfig, run_playground, train_run
from rnnviz.service import backend_note, get_service, shutdown_service
import ray
out = {}
th = threading.Thread(target=lambda: out.setdefault("svc", get_service()))   # as a page's or timer's thread
th.start(); th.join()
svc = out["svc"]
print("backend", svc.stats().get("backend"), "note", repr(backend_note()), "warm", svc.warm(60))
seen, cfg = [], PlaygroundConfig(seed=3, steps=30)
run = train_run(cfg, session="s", on_state=seen.append)
print("job", seen[-1].id > 0, seen[-1].state, "same", run.result.losses == run_playground(cfg).result.losses)
shutdown_service()
print("ray after shutdown", ray.is_initialized())
"""


def test_local_starts_ray_inside_the_server_and_stops_it_with_the_service(tmp_path):
    """RNNVIZ_RAY_ADDRESS=local in a fresh server process: get_service, called from a thread that then ends
    (Ray's processes must outlive it), starts Ray, trains through it, and the shutdown stops Ray."""
    import os
    import subprocess
    from pathlib import Path
    root = Path(__file__).resolve().parents[1]
    env = dict(os.environ, RNNVIZ_RAY_ADDRESS="local", RNNVIZ_WORKERS="1", PYTHONPATH=str(root))
    p = subprocess.run([sys.executable, "-c", LOCAL], cwd=root, env=env, capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr[-2000:]
    assert "backend ray note '' warm True" in p.stdout, p.stdout + p.stderr[-2000:]
    assert "job True done same True" in p.stdout and "ray after shutdown False" in p.stdout


def test_auto_with_a_stale_record_of_a_stopped_ray_instance_falls_back_at_once(no_service, tmp_path):
    """`ray start` leaves <tmp>/ray/ray_current_cluster behind; "auto" would retry its address for minutes."""
    (tmp_path / "ray").mkdir()
    (tmp_path / "ray" / "ray_current_cluster").write_text("127.0.0.1:9")
    no_service.setenv("RAY_TMPDIR", str(tmp_path))
    no_service.delenv("RAY_ADDRESS", raising=False)
    no_service.setenv("RNNVIZ_RAY_ADDRESS", "auto")
    no_service.setenv("RNNVIZ_WORKERS", "1")
    no_service.setattr(ray_backend, "_joined", lambda ray: False)
    no_service.setattr(TrainingService, "start", lambda self: self)
    t0 = time.monotonic()
    assert type(get_service()) is TrainingService and time.monotonic() - t0 < 10
    assert "no Ray cluster answers at 127.0.0.1:9" in service_mod.backend_note()
