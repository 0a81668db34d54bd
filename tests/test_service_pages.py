"""The Hello page trains through the real training service: the result, the Stop button's rerun."""
from __future__ import annotations

import dataclasses
import time

import numpy as np
import pytest

import ui
from rnnviz.app.playground import PlaygroundConfig, run_playground
from rnnviz.service import set_service
from streamlit.testing.v1 import AppTest

from tests.apptest import HOME, open_page

HELLO = "pages/1_Hello_Playground.py"


@pytest.fixture
def service(training_service, monkeypatch):
    """The page's process-wide service is the tests' real one; every submit is recorded."""
    monkeypatch.setenv("RNNVIZ_WORKERS", "2")
    submits = []
    real = training_service.submit
    monkeypatch.setattr(training_service, "submit", lambda *a, **k: submits.append((a, k)) or real(*a, **k))
    old = set_service(training_service)
    yield training_service, submits
    set_service(old)
    from rnnviz.app import ready
    from rnnviz.app.lab_runs import clear_shared_lab_runs
    ready.clear()                                         # what these trainings kept for every session
    clear_shared_lab_runs()
    for job in list(training_service._jobs.values()):
        training_service.cancel(job.session)
        training_service.wait(job.id, timeout=10)
        training_service.collect(job.id)


def test_the_hello_page_trains_through_the_service(service):
    svc, submits = service
    at = open_page(HELLO, seed="3", cell="gru")
    assert not at.exception
    assert "accuracy 100%" in at.success[0].value
    assert [(a[1], k["deadline_s"]) for a, k in submits] == [("hello", 20.0)]
    run = at.session_state["hello.run"]
    ref = run_playground(PlaygroundConfig(seed=3, cell="gru"))
    assert run.result.losses == ref.result.losses
    np.testing.assert_array_equal(run.trace.hidden, ref.trace.hidden)
    assert svc.stats()["jobs"] == 0                       # collected: the service keeps nothing


def test_the_hello_page_in_korean_trains_through_the_service(service):
    at = open_page(HELLO, lang="ko", text="안녕하세요")
    assert not at.exception and "정확도" in at.success[0].value
    assert len(service[1]) == 1


def test_stop_stops_the_sessions_running_job_and_keeps_its_model(service, monkeypatch):
    """A click on Stop reruns the page while its job runs: the rerun cancels the job and shows the partial model."""
    svc, _ = service
    monkeypatch.setattr(ui, "session_id", lambda: "stopper")
    query = {"text": "the quick brown fox jumps over the lazy dog", "hidden": "128", "steps": "2000"}
    cfg = PlaygroundConfig(text=query["text"], hidden=128, steps=2000)
    job = svc.submit("stopper", "hello", {"cfg": dataclasses.asdict(cfg)}, deadline_s=20.0)   # the page's job
    end = time.monotonic() + 20
    while (svc.status(job.id).progress or {}).get("step", 0) < 2:
        assert time.monotonic() < end
        time.sleep(0.02)
    at = AppTest.from_file(HOME, default_timeout=60)
    at.switch_page(HELLO)
    for k, v in query.items():
        at.query_params[k] = v
    at.session_state["hello.stop"] = True                # the rerun that a click on Stop makes
    at.run()
    assert not at.exception
    run = at.session_state["hello.run"]
    assert run.result.status == "stopped" and 2 <= run.result.steps < 2000
    assert any("Stopped: stopped by the user" in w.value for w in at.warning)
    assert svc.active("stopper") is None


# ---- every page's training goes through the service: waiting (its place in the queue), then done ------------
GRAD = "pages/3_Vanishing_Gradients.py"
LAB = "pages/4_Sequence_Tasks.py"
WAITING = {"en": "number 1 in the queue (0 ahead of you)", "ko": "대기 순서 1번 (앞에 0개)"}


@pytest.fixture
def busy(service, monkeypatch):
    """Both workers busy for about a second (test-only "sleep" jobs of other sessions), and every waiting text
    the pages show recorded (the element itself is gone once the job runs)."""
    svc, submits = service
    shown = []
    real = ui.job_state_text
    monkeypatch.setattr(ui, "job_state_text", lambda s, lang: shown.append(real(s, lang)) or shown[-1])

    def occupy():
        for i in range(svc.workers):
            svc.submit(f"busy{i}", "sleep", {"steps": 20, "dt": 0.05}, deadline_s=10)
        end = time.monotonic() + 10
        while svc.stats()["running"] < svc.workers:            # both taken: the page's job must wait
            assert time.monotonic() < end
            time.sleep(0.01)
    return svc, submits, shown, occupy


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_the_gradient_pages_training_waits_in_the_queue_then_shows_its_result(busy, lang):
    svc, submits, shown, occupy = busy
    at = open_page(GRAD, timeout=120, lang=lang, T="20", hidden="16", tab="training")
    at.select_slider(key="vg.train_steps").set_value(50).run()
    occupy()
    at.button(key="vg.train_go").click().run()
    assert not at.exception
    assert [a[1] for a, _ in submits if a[1] != "sleep"] == ["vg_heatmaps"]
    assert shown and all(WAITING[lang] in s for s in shown)
    heat = at.session_state["vg.heat"]
    assert heat["source"] == "trained" and set(heat["cells"]) == {"rnn", "lstm", "gru"}
    assert all(rec["status"] == "done" and rec["steps"][-1] == 50 for rec in heat["cells"].values())
    assert [el for el in at.get("plotly_chart") if "vg.heat_fig.gru" in el.proto.id]


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_the_labs_training_waits_in_the_queue_then_shows_its_result(busy, lang):
    svc, submits, shown, occupy = busy
    at = open_page(LAB, timeout=120, lang=lang, task="memory", steps="100")
    occupy()
    at.button(key="lab.go").click().run()
    assert not at.exception
    assert [a[1] for a, _ in submits if a[1] != "sleep"] == ["lab"]
    assert shown and all(WAITING[lang] in s for s in shown)
    run = at.session_state["lab.run"]
    assert run["source"] == "trained" and set(run["results"]) == {"mlp", "rnn", "lstm", "gru"}
    assert all(r.result.steps == 100 for r in run["results"].values())
    assert at.get("plotly_chart")                                  # the curves and the inspected example


def test_the_long_range_comparison_trains_through_the_service(service):
    svc, submits = service
    at = open_page(GRAD, timeout=120, tab="tasks")
    at.select_slider(key="vg.task_T").set_value(10)
    at.select_slider(key="vg.task_steps").set_value(200)
    at.button(key="vg.task_go").click().run()
    assert not at.exception
    assert [a[1] for a, _ in submits] == ["vg_tasks"]
    results = at.session_state["vg.tasks"]["results"]
    assert set(results) == {"rnn", "lstm", "gru"} and all(r.model is not None for r in results.values())
    assert svc.stats()["jobs"] == 0
