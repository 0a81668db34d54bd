"""rnnviz.app.ready: the Vanishing Gradients page's training views shipped for its defaults, kept once computed."""
from __future__ import annotations

import dataclasses
import json
import math

import numpy as np
import pytest

from rnnviz.app import ready
from rnnviz.app.longrange import PAGE_DEFAULT, keep_comparison, page_config, ready_comparison, run_task
from rnnviz.app.vanishing import (DEFAULT_TRAIN_STEPS, GradConfig, grad_heatmap_during_training, keep_heatmaps,
                                  ready_heatmaps, shared_exploding_runs)
from tests.apptest import open_page


@pytest.fixture(autouse=True)
def _fresh():
    ready.clear()
    yield
    ready.clear()


def test_the_defaults_are_shipped():
    heat = ready_heatmaps(GradConfig(), DEFAULT_TRAIN_STEPS)
    assert list(heat) == ["rnn", "lstm", "gru"]
    for rec in heat.values():
        assert rec["status"] == "done" and rec["steps"][0] == 0 and rec["steps"][-1] == DEFAULT_TRAIN_STEPS
        assert np.stack(rec["rows"]).shape == (len(rec["steps"]), GradConfig().T)
    results = ready_comparison(page_config(*PAGE_DEFAULT))
    assert list(results) == ["rnn", "lstm", "gru"]
    assert all(r.status in ("done", "target") and r.losses and math.isfinite(r.final_loss) for r in results.values())
    assert results["lstm"].beaten and results["gru"].beaten          # the lesson: the gated cells remember
    assert ready_heatmaps(dataclasses.replace(GradConfig(), T=50), DEFAULT_TRAIN_STEPS) is None
    assert ready_comparison(page_config("copy", 50, 1500)) is None


@pytest.mark.slow
def test_the_shipped_heatmaps_are_what_the_code_computes():
    """Recompute the LSTM's heatmap: the same gradients for the first 10 recordings (training steps 0-36). Later
    ones are compared loosely: 100 steps of Adam amplify the last bits in which two CPUs' kernels differ (an AMD
    and an Intel machine agree to 0.01 in log10 up to step 36, then drift apart by orders of magnitude where the
    gradient has vanished), while a change of the code changes the very first steps."""
    shipped = ready_heatmaps(GradConfig(), DEFAULT_TRAIN_STEPS)["lstm"]
    fresh = grad_heatmap_during_training(dataclasses.replace(GradConfig(), cell="lstm"), steps=DEFAULT_TRAIN_STEPS,
                                         every=max(1, DEFAULT_TRAIN_STEPS // 25), deadline_s=60)
    assert list(fresh["train_steps"]) == shipped["steps"]
    a, b = np.log10(fresh["grad"]), np.log10(np.stack(shipped["rows"]))
    np.testing.assert_allclose(a[:10], b[:10], atol=0.05)
    assert np.isfinite(a).all() and np.isfinite(b).all()


@pytest.mark.slow
def test_the_shipped_long_range_run_is_what_the_code_computes():
    cfg = page_config(*PAGE_DEFAULT)
    shipped = ready_comparison(cfg)["gru"]
    fresh = run_task(dataclasses.replace(cfg, cell="gru", deadline_s=120))
    assert fresh.status == shipped.status == "target"
    assert abs(fresh.beat_step - shipped.beat_step) <= 25 and abs(fresh.steps - shipped.steps) <= 50
    assert abs(math.log(fresh.final_loss / shipped.final_loss)) < 0.5


def test_a_finished_run_is_kept_for_everyone_and_each_gets_a_copy():
    cfg = dataclasses.replace(GradConfig(), T=20, hidden=8)
    heat = {c: {"steps": [0, 5], "rows": [np.ones(20), np.ones(20)], "status": "done", "message": ""}
            for c in ("rnn", "lstm", "gru")}
    keep_heatmaps(cfg, 5, {**heat, "gru": dict(heat["gru"], status="stopped")})   # stopped: not kept
    assert ready_heatmaps(cfg, 5) is None
    keep_heatmaps(cfg, 5, heat)
    a, b = ready_heatmaps(cfg, 5), ready_heatmaps(cfg, 5)
    a["rnn"]["rows"][0][0] = 99.0
    assert b["rnn"]["rows"][0][0] == 1.0 and ready_heatmaps(cfg, 5)["rnn"]["rows"][0][0] == 1.0
    heat["rnn"]["rows"][0][0] = 42.0                                    # nor does the caller's own object
    assert ready_heatmaps(cfg, 5)["rnn"]["rows"][0][0] == 1.0
    runs = shared_exploding_runs()
    again = shared_exploding_runs()
    assert runs["no_clip"]["status"] == "diverged" and again is not runs
    assert again["clip"]["losses"] == runs["clip"]["losses"]


def test_only_finished_comparisons_are_kept():
    cfg = page_config("adding", 10, 200)
    results = {c: run_task(dataclasses.replace(cfg, cell=c, steps=20)) for c in ("rnn", "lstm", "gru")}
    keep_comparison(cfg, {"rnn": results["rnn"]})                         # not every cell: not kept
    assert ready_comparison(cfg) is None
    keep_comparison(cfg, results)
    again = ready_comparison(cfg)
    assert [again[c].losses for c in again] == [results[c].losses for c in results]
    assert again["lstm"].config.cell == "lstm" and again["lstm"].baseline == cfg.baseline


def test_shipped_files_are_checked(tmp_path):
    path = tmp_path / "x.json"
    ready.save_shipped("x", {"a": 1}, {"v": np.array([1.0, np.nan])}, path=path)
    assert ready.shipped("x", {"a": 1}, path=path) == {"v": [1.0, None]}        # NaN is not JSON: None
    assert ready.shipped("x", {"a": 2}, path=path) is None                       # other settings: nothing
    path.write_text("not json")
    with pytest.raises(ready.ReadyError, match="not JSON"):
        ready.shipped("x", {"a": 1}, path=path)
    path.write_text(json.dumps([1, 2]))
    with pytest.raises(ready.ReadyError, match="key and a value"):
        ready.shipped("x", {"a": 1}, path=path)
    assert ready.shipped("x", {"a": 1}, path=tmp_path / "missing.json") is None


def test_the_page_opens_every_training_view_with_its_result():
    page = "pages/3_Vanishing_Gradients.py"
    at = open_page(page, timeout=120, tab="training")
    assert not at.exception and any(c.value.startswith("Ready:") for c in at.caption)
    assert sum("vg.heat_fig" in el.proto.id for el in at.get("plotly_chart")) == 3
    assert any("One colour scale" in c.value for c in at.caption)
    at = open_page(page, timeout=120, tab="tasks")
    assert not at.exception and any(c.value.startswith("Ready:") for c in at.caption)
    assert any("vg.task_fig" in el.proto.id for el in at.get("plotly_chart"))
    at = open_page(page, timeout=120, tab="exploding")
    assert not at.exception and any("diverged" in e.value for e in at.warning)
    assert any("vg.explode_fig" in el.proto.id for el in at.get("plotly_chart"))


def test_a_shipped_file_is_read_once_per_version(tmp_path, monkeypatch):
    path = tmp_path / "y.json"
    ready.save_shipped("y", {"a": 1}, [1, 2], path=path)
    reads = []
    real = ready.Path.read_text
    monkeypatch.setattr(ready.Path, "read_text", lambda self, *a, **k: reads.append(self) or real(self, *a, **k))
    assert ready.shipped("y", {"a": 1}, path=path) == [1, 2] and ready.shipped("y", {"a": 2}, path=path) is None
    assert len([p for p in reads if p.name == "y.json"]) == 1
    v = ready.shipped("y", {"a": 1}, path=path)
    v.append(3)                                                          # a caller's copy: the cache is untouched
    assert ready.shipped("y", {"a": 1}, path=path) == [1, 2]
