"""The training service (rnnviz.service): worker processes, FIFO queue, one job per session, bounds,
deadlines, cancel, crashes; its results equal in-process training bit for bit."""
from __future__ import annotations

import threading

import numpy as np
import pytest

from rnnviz.app.playground import PlaygroundConfig, run_playground, service_run, train_run
from rnnviz.service import JobFailed, QueueFull, TrainingService, get_service, set_service

from tests.conftest import SERVICE_MAX_QUEUE as MAX_QUEUE
from tests.service_helpers import empty, same_run as _same_run, sleeper as _sleeper, until as _until


@pytest.fixture
def svc(training_service):
    return training_service


@pytest.fixture(autouse=True)
def _idle(svc):
    """Every test starts and ends with no job at all (none waiting, running or uncollected)."""
    yield
    empty(svc)


@pytest.mark.parametrize("cfg", [PlaygroundConfig(), PlaygroundConfig(text="abcabd", cell="rnn", hidden=8, seed=5),
                                 PlaygroundConfig(text="hallo welt", cell="gru", lr=0.01, steps=60, seed=7)])
def test_a_service_run_equals_training_in_process(svc, cfg):
    states = []
    run = service_run(cfg, "eq", svc, on_state=states.append)
    _same_run(run, run_playground(cfg))
    assert states[0].state == "waiting" and states[-1].state == "done"
    assert svc.status(states[-1].id) is None                 # collected: forgotten


def test_two_sessions_training_different_models_at_once_get_what_they_get_alone(svc):
    cfgs = [PlaygroundConfig(seed=s, steps=300, cell=c) for s, c in ((1, "lstm"), (2, "gru"), (3, "rnn"), (4, "lstm"))]
    out = {}
    threads = [threading.Thread(target=lambda i=i: out.__setitem__(i, service_run(cfgs[i], f"s{i}", svc)))
               for i in range(len(cfgs))]
    for th in threads:
        th.start()
    for th in threads:
        th.join(60)
    assert sorted(out) == [0, 1, 2, 3]
    for i, cfg in enumerate(cfgs):
        _same_run(out[i], run_playground(cfg))


def test_one_job_per_session_a_second_submit_attaches(svc):
    first = _sleeper(svc, "a", steps=30)
    again = _sleeper(svc, "a", steps=30)                      # a second click on Train
    assert again.id == first.id and again.attached and not first.attached
    assert svc.wait(first.id, timeout=10).state == "done"
    done = _sleeper(svc, "a", steps=30)                        # done but not collected: still that job
    assert done.id == first.id and done.state == "done"
    svc.collect(first.id)
    assert _sleeper(svc, "a", steps=1).id != first.id        # collected: the next click trains again


def test_new_settings_replace_the_sessions_job(svc):
    old = _sleeper(svc, "a", steps=500, tag="old")
    _until(lambda: svc.status(old.id).state == "running")
    new = _sleeper(svc, "a", steps=2, tag="new")
    assert new.id != old.id
    assert svc.wait(old.id, timeout=5).state == "cancelled"
    end = svc.wait(new.id, timeout=10)
    assert end.state == "done" and end.result["tag"] == "new"


def test_fifo_order_and_queue_positions(svc):
    busy = [_sleeper(svc, f"w{i}", steps=1000) for i in range(2)]
    _until(lambda: all(svc.status(b.id).state == "running" for b in busy))
    waiting = [_sleeper(svc, f"q{i}", steps=1, dt=0.001) for i in range(3)]
    assert [svc.status(j.id).position for j in waiting] == [1, 2, 3]
    assert [j.position for j in waiting] == [1, 2, 3] and all(j.state == "waiting" for j in waiting)
    assert svc.active("q1").position == 2
    assert svc.cancel("q0") and svc.status(waiting[0].id).state == "cancelled"
    assert svc.status(waiting[0].id).result is None
    assert [svc.status(j.id).position for j in waiting[1:]] == [1, 2]
    svc.cancel("w0")                                          # one worker frees up: q1 first, then q2
    ends = [svc.wait(j.id, timeout=10) for j in waiting[1:]]
    assert [e.state for e in ends] == ["done", "done"]
    assert ends[0].result["started"] <= ends[1].result["started"]
    assert svc.wait(busy[0].id, timeout=5).state == "cancelled"


def test_the_queue_is_bounded(svc):
    busy = [_sleeper(svc, f"w{i}", steps=1000) for i in range(2)]
    _until(lambda: all(svc.status(b.id).state == "running" for b in busy))
    waiting = [_sleeper(svc, f"q{i}", steps=1) for i in range(MAX_QUEUE)]
    with pytest.raises(QueueFull, match="queue is full"):
        _sleeper(svc, "one too many")
    assert svc.active("one too many") is None
    assert _sleeper(svc, "q0", steps=1).id == waiting[0].id   # attaching needs no room


def test_cancel_a_running_job_keeps_what_it_did(svc):
    job = _sleeper(svc, "c", steps=1000)
    _until(lambda: (svc.status(job.id).progress or {}).get("step", 0) >= 3)
    assert svc.cancel("c") and not svc.cancel("nobody")
    end = svc.wait(job.id, timeout=5)
    assert end.state == "cancelled" and 3 <= end.result["done"] < 1000
    assert svc.active("c") is None


def test_cancelling_a_running_hello_training_returns_the_partial_model(svc):
    cfg = PlaygroundConfig(text="the quick brown fox jumps over the lazy dog" * 4, hidden=128, steps=2000)
    states = []

    def on_state(s):
        states.append(s)
        if s.state == "running" and (s.progress or {}).get("step", 0) >= 2:
            svc.cancel("h")
    run = service_run(cfg, "h", svc, on_state=on_state)
    assert run.result.status == "stopped" and 2 <= run.result.steps < 2000
    assert states[-1].state == "cancelled"


def test_a_job_stops_at_its_deadline_and_keeps_what_it_learnt(svc):
    cfg = PlaygroundConfig(text="the quick brown fox jumps over the lazy dog" * 4, hidden=128, steps=2000)
    run = service_run(cfg, "d", svc, deadline_s=0.3)
    assert run.result.status == "deadline" and 1 <= run.result.steps < 2000
    assert "time limit" in run.result.message and run.trace.loss == run.trace.loss   # a traced model


def test_a_crashed_worker_is_replaced_and_the_next_job_runs(svc):
    restarts, pids = svc.restarts, svc.stats()["pids"]
    job = svc.submit("x", "crash", {}, deadline_s=5)
    end = svc.wait(job.id, timeout=20)
    assert end.state == "failed" and end.error_code == "crashed" and "exit code 3" in end.error
    assert svc.restarts == restarts + 1
    cfg = PlaygroundConfig(seed=11)
    _same_run(service_run(cfg, "x", svc), run_playground(cfg))
    _until(lambda: svc.stats()["ready"] == 2)
    assert svc.stats()["pids"] != pids


def test_a_hung_worker_is_killed_after_deadline_and_grace(svc):
    job = svc.submit("y", "hang", {}, deadline_s=0.2)
    end = svc.wait(job.id, timeout=20)
    assert end.state == "failed" and end.error_code == "hung" and "deadline" in end.error
    assert 1.2 <= end.ran_s < 5
    assert svc.wait(_sleeper(svc, "y", steps=2).id, timeout=20).state == "done"


def test_failures_reach_the_caller_as_job_failed(svc):
    with pytest.raises(JobFailed) as e:
        service_run(PlaygroundConfig(), "z", _CrashingHello(svc))
    assert e.value.status.error_code == "crashed"


class _CrashingHello:
    """The service, with the hello kind swapped for one that crashes its worker."""

    def __init__(self, svc):
        self.svc = svc

    def submit(self, session, kind, payload, deadline_s):
        return self.svc.submit(session, "crash", {}, deadline_s=deadline_s)

    def __getattr__(self, name):
        return getattr(self.svc, name)


def test_unknown_kinds_and_bad_deadlines_are_refused(svc):
    with pytest.raises(ValueError, match="unknown job kind"):
        svc.submit("k", "os.system", {})
    with pytest.raises(ValueError, match="deadline"):
        svc.submit("k", "sleep", {}, deadline_s=0)
    assert "crash" not in TrainingService().kinds             # the app's service runs no test kinds


def test_finished_jobs_are_forgotten_after_their_ttl(svc, monkeypatch):
    job = _sleeper(svc, "t", steps=1)
    assert svc.wait(job.id, timeout=10).state == "done"
    monkeypatch.setattr(svc, "ttl_s", 0.0)
    _sleeper(svc, "other", steps=1)                           # any call sweeps
    assert svc.status(job.id) is None and svc.active("t") is None


def test_without_workers_training_runs_in_process(monkeypatch):
    monkeypatch.setenv("RNNVIZ_WORKERS", "0")
    assert get_service() is None
    states = []
    run = train_run(PlaygroundConfig(steps=20), session="p", on_state=states.append)
    assert run.result.steps == 20 and [s.progress["step"] for s in states] == list(range(1, 21))


def test_the_process_wide_service_is_the_installed_one(svc, monkeypatch):
    monkeypatch.setenv("RNNVIZ_WORKERS", "2")
    old = set_service(svc)
    try:
        assert get_service() is svc
        cfg = PlaygroundConfig(seed=21)
        seen = []
        _same_run(train_run(cfg, session="g", on_state=seen.append), run_playground(cfg))
        assert seen and seen[-1].state == "done" and seen[-1].id > 0      # trained as a job of the service
    finally:
        set_service(old)


def test_while_the_pool_starts_the_first_trainings_run_in_process_and_the_pool_warms(monkeypatch):
    """A fresh server's first visitor must not wait ~2 s for torch to import in the workers: until one worker is
    ready the training runs in-process (the same result), and the pool goes on starting meanwhile."""
    monkeypatch.setenv("RNNVIZ_WORKERS", "1")
    fresh = TrainingService(workers=1)
    old = set_service(fresh)
    try:
        assert get_service() is fresh and fresh.ready_workers == 0
        cfg = PlaygroundConfig(seed=4, steps=30)
        seen = []
        _same_run(train_run(cfg, session="first", on_state=seen.append), run_playground(cfg))
        assert seen and all(s.id == 0 for s in seen)                     # in-process: no job of the service
        assert fresh.warm(timeout=60) and fresh.ready_workers == 1
        seen.clear()
        _same_run(train_run(cfg, session="later", on_state=seen.append), run_playground(cfg))
        assert seen[-1].state == "done" and seen[-1].id > 0              # now a job of the warm pool
    finally:
        set_service(old)
        fresh.shutdown()


def test_in_process_trainings_at_once_get_what_they_get_alone():
    """Without the service, sessions train in the server's threads: seeded model builds must not share torch's
    global generator mid-draw (they did: four threads with one seed got four different models)."""
    cfg = PlaygroundConfig(steps=40, seed=1)
    out = {}
    threads = [threading.Thread(target=lambda i=i: out.__setitem__(i, run_playground(cfg))) for i in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(60)
    alone = run_playground(cfg)
    for i in range(4):
        _same_run(out[i], alone)


def test_workers_run_at_a_lower_cpu_priority_than_the_server(svc):
    """Queued trainings must not take the cores from the server's page runs (bench/bench_load.py train-30:
    first trained view 3.2-5.7 s and other sessions' reruns p95 3.6-7.2 s with un-niced workers, 1.1 s and 1.5 s niced).
    On Linux the workers take the SCHED_IDLE policy (a waking server thread preempts them at once); elsewhere a
    higher nice value."""
    import os

    from rnnviz.service.worker import WORKER_NICE
    _until(lambda: svc.stats()["ready"] == 2)
    pids = svc.stats()["pids"]
    if hasattr(os, "SCHED_IDLE") and hasattr(os, "sched_getscheduler"):
        assert [os.sched_getscheduler(pid) for pid in pids] == [os.SCHED_IDLE] * 2
        assert os.sched_getscheduler(0) != os.SCHED_IDLE            # the server itself is left as it was
    else:
        want = min(19, os.getpriority(os.PRIO_PROCESS, 0) + WORKER_NICE)
        assert WORKER_NICE > 0
        assert [os.getpriority(os.PRIO_PROCESS, pid) for pid in pids] == [want] * 2


def test_lower_priority_falls_back_to_nice_where_sched_idle_is_refused(monkeypatch):
    import os

    import rnnviz.service.worker as W
    calls = []

    def refuse(*a):
        raise PermissionError("not allowed here")
    monkeypatch.setattr(os, "sched_setscheduler", refuse, raising=False)
    monkeypatch.setattr(os, "nice", lambda n: calls.append(n) or n)
    assert W.lower_priority() == "nice" and calls == [W.WORKER_NICE]
    monkeypatch.setattr(os, "nice", refuse)
    assert W.lower_priority() == ""                               # neither: the worker runs as it is


def test_the_worker_builds_the_runs_figures_and_they_are_the_ones_the_server_would_build(svc, monkeypatch):
    """A Hello job asked for figures returns them as dicts (built on the worker, from the very CPU model and
    trace the page rebuilds); the page's figures then come from those dicts, equal to the ones built here."""
    import dataclasses
    import rnnviz.app.playground as P
    from rnnviz.service.run import run_job
    cfg = PlaygroundConfig(text="hallo welt", cell="gru", steps=80, seed=4)
    run = run_job("hello", {"cfg": dataclasses.asdict(cfg), "figures": ["ko", "xx"]},
                  lambda r: P.run_from_result(cfg, r), session="figs", service=svc)
    assert set(run.specs) == {"ko"} and set(run.specs["ko"]) == {"timeline", "loss"}   # an unknown language: none
    from rnnviz.service.jobs import state_arrays
    alone = P.run_playground(cfg)                              # the same training here: its figures
    assert all(np.array_equal(a, b) for a, b in zip(state_arrays(alone.model).values(),
                                                     state_arrays(run.model).values()))
    here = {k: f.to_dict() for k, f in P._build_figures(alone, "ko").items()}

    def no_build(*a, **k):
        raise AssertionError("the figures were built again on the server")
    monkeypatch.setattr(P, "_build_figures", no_build)
    figs = P.run_figures(run, "ko")
    from rnnviz.figures.style import kept_spec
    for name, fig in figs.items():
        assert fig.to_dict() == here[name], name
        assert kept_spec(fig, 1 if name == "timeline" else None) == here[name], name   # the job's dict, kept
    assert P.run_figures(run, "ko") is figs                     # kept for the reruns
    assert figs["timeline"].__dict__["_rnnviz_open_at"] == 1     # where the worker opened it, read from its dict


def test_a_rerun_asking_for_figures_in_another_language_attaches_to_the_running_training(svc):
    """The Hello page's job names the language its figures are built in; a rerun in another language (a switch
    while it trains) is the same training: it attaches, it does not start again."""
    import dataclasses
    cfg = dataclasses.asdict(PlaygroundConfig(steps=2000, hidden=128, text="the quick brown fox"))
    first = svc.submit("lang", "hello", {"cfg": cfg, "figures": ["en"]}, deadline_s=20)
    again = svc.submit("lang", "hello", {"cfg": cfg, "figures": ["ko"]}, deadline_s=20)
    assert again.attached and again.id == first.id
    other = svc.submit("lang", "hello", {"cfg": dict(cfg, seed=9), "figures": ["ko"]}, deadline_s=20)
    assert not other.attached and other.id != first.id       # another training: the first one is cancelled
    svc.cancel("lang")


def test_a_worker_started_during_a_page_run_does_not_run_the_page(tmp_path, monkeypatch):
    """While Streamlit runs a page, the page's script is `sys.modules["__main__"]` (a file, no spec), and
    multiprocessing's spawn/forkserver children run the parent's main again before their target: a worker started
    then ran the whole page (ui.setup_page, the server's tuning, a default training) as `__mp_main__`. Started the
    same way here, the worker trains, and the "page" never ran in it; the page's module is `__main__` again after."""
    import sys
    import types
    marker = tmp_path / "page_ran"
    page = tmp_path / "page.py"
    page.write_text(f"open({str(marker)!r}, 'w').write('ran')\n")
    module = types.ModuleType("__main__")
    module.__file__ = str(page)                          # as Streamlit's script module: a file and no __spec__
    monkeypatch.setitem(sys.modules, "__main__", module)
    monkeypatch.setenv("RNNVIZ_WORKERS", "1")
    svc = TrainingService(workers=1)
    old = set_service(svc)
    try:
        assert svc.warm(timeout=60) and svc.ready_workers == 1
        assert sys.modules["__main__"] is module
        cfg, seen = PlaygroundConfig(seed=2, steps=20), []
        _same_run(train_run(cfg, session="page", on_state=seen.append), run_playground(cfg))
        assert seen and all(s.id > 0 for s in seen)                      # a job of the pool: trained in the worker
    finally:
        set_service(old)
        svc.shutdown()
    assert not marker.exists(), "the worker ran the parent's page script"
