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
