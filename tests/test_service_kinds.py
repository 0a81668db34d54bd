"""Every page's training as a job of the training service: the service's result equals the in-process one
(the same function, the same seed: bit for bit, as both run with one intra-op thread on the CPU), and
the facade (rnnviz.service.run.run_job) stops a job whose script was stopped, rerun or whose tab closed."""
from __future__ import annotations

import dataclasses
import time

import numpy as np
import pytest

from rnnviz import data as D
from rnnviz.app.lab_runs import LabSetting, build, train_lab
from rnnviz.app.lab import build_task
from rnnviz.app.longrange import TaskConfig, train_comparison
from rnnviz.app.playground import PlaygroundConfig, train_run
from rnnviz.app.sweep import train_sweep
from rnnviz.app.vanishing import GradConfig, train_exploding, train_heatmaps
from rnnviz.service.pool import same_payload
from rnnviz.service.run import run_job
from streamlit.runtime.scriptrunner_utils.exceptions import RerunException as Rerun, StopException
from streamlit.runtime.scriptrunner_utils.script_requests import RerunData


LONG = PlaygroundConfig(text="the quick brown fox jumps over the lazy dog", hidden=128, steps=2000)   # ~10 s


@pytest.fixture
def svc(training_service):
    yield training_service
    from rnnviz.app.lab_runs import clear_shared_lab_runs
    clear_shared_lab_runs()                                  # the lab's finished runs are kept for every session
    for job in list(training_service._jobs.values()):
        training_service.cancel(job.session)
        training_service.wait(job.id, timeout=10)
        training_service.collect(job.id)


def _same_weights(a, b):
    sa, sb = a.state_dict(), b.state_dict()
    assert sa.keys() == sb.keys()
    for k in sa:
        assert np.array_equal(sa[k].cpu().numpy(), sb[k].cpu().numpy()), k


def test_heatmaps_on_the_service_equal_the_in_process_ones(svc):
    cfg = GradConfig(hidden=8, T=12, seed=3)
    seen = []
    remote = train_heatmaps(cfg, 50, session="vg", service=svc, on_state=seen.append)
    local = train_heatmaps(cfg, 50)
    assert set(remote) == set(local) == {"rnn", "lstm", "gru"}
    for cell in local:
        assert remote[cell]["steps"] == local[cell]["steps"] and remote[cell]["status"] == local[cell]["status"]
        np.testing.assert_array_equal(np.stack(remote[cell]["rows"]), np.stack(local[cell]["rows"]))
    assert seen[0].id > 0 and seen[-1].state == "done"
    assert {s.progress["cell"] for s in seen if s.state == "running" and s.progress} <= {"rnn", "lstm", "gru"}
    assert svc.stats()["jobs"] == 0                                   # collected


def test_the_exploding_demo_on_the_service_equals_the_in_process_one(svc):
    remote, local = train_exploding(session="ex", service=svc), train_exploding()
    for name in ("no_clip", "clip"):
        assert remote[name]["losses"] == local[name]["losses"] and remote[name]["status"] == local[name]["status"]
        np.testing.assert_array_equal(remote[name]["grad"], local[name]["grad"])
    assert remote["no_clip"]["status"] == "diverged" and "model" not in remote["clip"]


def test_the_long_range_comparison_on_the_service_equals_the_in_process_one(svc):
    cfg = TaskConfig(task="adding", T=10, steps=30, hidden=8, deadline_s=30.0)
    into = {}
    remote = train_comparison(cfg, into=into, session="lr", service=svc)
    local = train_comparison(cfg)
    assert remote is into and set(remote) == set(local) == {"rnn", "lstm", "gru"}
    for cell in local:
        r, s = remote[cell], local[cell]
        assert r.losses == s.losses and r.grad_norms == s.grad_norms and r.status == s.status == "done"
        assert r.final_loss == s.final_loss and r.beat_step == s.beat_step
        _same_weights(r.model, s.model)


def test_the_length_sweep_on_the_service_equals_the_in_process_one(svc):
    args = ("adding", ("rnn", "lstm"), (5, 10), 20, 60.0, 8)
    rows = []
    remote = train_sweep(*args, into=rows, session="sw", service=svc)
    local = train_sweep(*args)
    key = lambda r: (r.cell, r.T, r.status, r.steps, r.final_loss, r.ratio, r.beat_step)   # noqa: E731
    assert [key(r) for r in remote.rows] == [key(r) for r in local.rows] and len(remote.rows) == 4
    assert [key(r) for r in rows] == [key(r) for r in local.rows]       # the page's list got the rows
    assert remote.status == local.status == "done"


@pytest.mark.parametrize("cells_of", ["builtin", "upload"])
def test_the_lab_on_the_service_equals_the_in_process_training(svc, cells_of):
    if cells_of == "builtin":
        setting, source = LabSetting("memory", "delayed_recall", 20), None
        task = build(setting)
    else:                                            # the user's data travels as plain data (arrays inside)
        setting, source = None, D.sentiment_texts("en", 60, 0)
        task = build_task("textclf", steps=10, source=source)
    seen = []
    remote = train_lab(task, setting, source, session="lab", service=svc, on_state=seen.append)
    local = train_lab(task, setting, source)
    assert remote["results"].keys() == local["results"].keys() and len(local["results"]) >= 3
    for cell, r in local["results"].items():
        o = remote["results"][cell]
        assert o.result.losses == r.result.losses and o.result.val_losses == r.result.val_losses
        assert o.result.status == r.result.status
        _same_weights(o.model, r.model)
    assert seen[-1].state == "done" and seen[-1].id > 0


def test_payloads_with_arrays_compare_by_value():
    a = {"source": {"labels": np.arange(3)}}
    assert same_payload(a, {"source": {"labels": np.arange(3)}})
    assert not same_payload(a, {"source": {"labels": np.arange(4)}})


# ---- stopping: a stopped or rerun script, a closed tab -------------------------------------------------------
def _rerun() -> Rerun:
    """What an element raises in a script that is to be rerun (a click, a Stop button)."""
    return Rerun(RerunData())


def _raise_when_running(exc, after_step=2):
    def on_state(s):
        if s.state == "running" and (s.progress or {}).get("step", 0) >= after_step:
            raise exc()
    return on_state


def test_a_rerun_stops_the_job_and_keeps_what_it_recorded(svc):
    into = {}
    with pytest.raises(Rerun):
        train_heatmaps(GradConfig(hidden=64, T=200), 400, into=into, session="rr", service=svc,
                       on_state=_raise_when_running(_rerun, 20))
    assert svc.active("rr") is None and svc.stats()["jobs"] == 0     # cancelled and collected
    assert into["rnn"]["status"] == "stopped" and 20 <= into["rnn"]["steps"][-1] < 400
    assert "gru" not in into


def test_a_rerun_in_process_stops_the_training_and_keeps_what_it_recorded():
    into = {}
    with pytest.raises(Rerun):
        train_heatmaps(GradConfig(hidden=8, T=20), 400, into=into, on_state=_raise_when_running(_rerun, 16))
    assert into["rnn"]["status"] == "stopped" and into["rnn"]["steps"][-1] < 400 and "lstm" not in into


def test_the_hello_pages_rerun_leaves_its_job_for_the_rerun_but_a_stopped_script_cancels_it(svc):
    cfg = LONG
    with pytest.raises(Rerun):
        run_job("hello", {"cfg": dataclasses.asdict(cfg)}, lambda r: r, session="hr", service=svc,
                on_state=_raise_when_running(_rerun), cancel_on_rerun=False, deadline_s=20.0)
    job = svc.active("hr")
    assert job is not None and job.state == "running"              # the rerun attaches to it
    with pytest.raises(StopException):
        run_job("hello", {"cfg": dataclasses.asdict(cfg)}, lambda r: r, session="hr", service=svc,
                on_state=_raise_when_running(StopException), cancel_on_rerun=False, deadline_s=20.0)
    assert svc.active("hr") is None and svc.status(job.id) is None  # the same job: cancelled, collected


def test_a_closed_tab_cancels_the_sessions_job(svc):
    """The probe says the browser is gone: the running job is cancelled within about a second and its partial
    result comes back ("stopped"), whatever the page draws."""
    gone_at = time.monotonic() + 0.8
    seen = []
    t0 = time.monotonic()
    run = run_job("hello", {"cfg": dataclasses.asdict(LONG)}, lambda r: r, session="closed", service=svc,
                  on_state=seen.append, connected=lambda: time.monotonic() < gone_at, deadline_s=20.0)
    assert time.monotonic() - t0 < 5
    assert seen[-1].state == "cancelled" and run["result"]["status"] == "stopped"
    assert 0 < len(run["result"]["losses"]) < 2000 and svc.active("closed") is None


def test_a_closed_tab_stops_an_in_process_training():
    gone_at = time.monotonic() + 0.6
    run = train_run(LONG, session=None, connected=lambda: time.monotonic() < gone_at)
    assert run.result.status == "stopped" and run.result.steps < 2000
