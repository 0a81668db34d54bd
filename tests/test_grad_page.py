"""AppTest for the vanishing-gradients page and unit tests of its figure builders."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from streamlit.testing.v1 import AppTest

from rnnviz.app.vanishing import GradConfig, gradient_views
from rnnviz.figures import gradients as FG
from tests.apptest import chart as _chart, open_page

ROOT = Path(__file__).resolve().parents[1]
PAGE = "pages/3_Vanishing_Gradients.py"


def _app(**query) -> AppTest:
    return open_page(PAGE, timeout=120, **query)


def _ys(spec) -> list[np.ndarray]:
    out = []
    for d in spec["data"]:
        y = d["y"]
        if isinstance(y, dict):
            import base64
            y = np.frombuffer(base64.b64decode(y["bdata"]), dtype=np.dtype(y["dtype"]))
        out.append(np.asarray(y, dtype=np.float64))
    return out


def test_page_shows_three_cells_across_time_with_the_knobs_from_the_url():
    at = _app(T="60", hidden="32", fb="3", loss="last", seed="2")
    assert not at.exception
    spec = _chart(at, "vg.grad_fig")
    assert [d["name"] for d in spec["data"]] == ["RNN", "LSTM", "GRU"]
    want = gradient_views(GradConfig(T=60, hidden=32, forget_bias=3.0, loss_on="last", seed=2))
    for y, cell in zip(_ys(spec), ("rnn", "lstm", "gru")):
        np.testing.assert_allclose(y, want[cell]["grad"].astype(np.float32), rtol=1e-6)
    rnn, lstm, gru = want["rnn"]["grad"], want["lstm"]["grad"], want["gru"]["grad"]
    assert rnn[-1] / rnn[0] > 1e6 and lstm[-1] / lstm[0] < 1e2       # vanishing vs kept alive by the forget bias
    assert gru[-1] / gru[0] < 1e3                                     # the GRU's update gate gets the same bias
    jac = _ys(_chart(at, "vg.jac_fig"))
    np.testing.assert_allclose(jac[0], want["rnn"]["jac"].astype(np.float32), rtol=1e-6)


def test_truncated_bptt_cuts_the_gradient_and_says_where():
    at = _app(T="50", hidden="16", k="10", loss="last")
    assert not at.exception
    spec = _chart(at, "vg.grad_fig")
    rnn = _ys(spec)[0]
    assert np.isnan(rnn[:40]).all() and np.isfinite(rnn[40:]).all()  # exact zeros are drawn as gaps
    texts = [a["text"] for a in spec["layout"]["annotations"]]
    assert any("t = 41" in s for s in texts) and any("k = 10" in s for s in texts)


def test_moving_a_knob_changes_the_figure_and_the_url():
    at = _app(T="40", hidden="16")
    before = _ys(_chart(at, "vg.grad_fig"))[0]
    at.slider(key="vg.scale").set_value(200).run()
    assert not at.exception
    after = _ys(_chart(at, "vg.grad_fig"))[0]
    assert after[0] > before[0] * 100                                # a larger spectral radius: less vanishing
    assert at.query_params["scale"] == "200"


def test_exploding_without_clipping_diverges_and_clipping_trains():
    at = _app(T="20", hidden="16", tab="exploding")
    at.button(key="vg.explode_go").click().run()
    assert not at.exception
    assert any("diverged" in e.value for e in at.warning)
    assert any(s.value.startswith("With clipping at 1: 100 steps") for s in at.success)
    runs = at.session_state["vg.explode"]
    assert runs["no_clip"]["status"] == "diverged" and all(math.isfinite(v) for v in runs["no_clip"]["losses"])
    assert runs["clip"]["status"] == "done" and runs["clip"]["losses"][-1] < math.log(8)


def test_training_heatmaps_record_gradients_for_the_three_cells():
    at = _app(T="30", hidden="16", tab="training")
    at.select_slider(key="vg.train_steps").set_value(50)
    at.button(key="vg.train_go").click().run()
    assert not at.exception
    heat = at.session_state["vg.heat"]
    for cell in ("rnn", "lstm", "gru"):
        rec = heat["cells"][cell]
        assert rec["steps"][0] == 0 and rec["steps"][-1] == 50 and np.stack(rec["rows"]).shape[1] == 30
        spec = _chart(at, f"vg.heat_fig.{cell}")
        assert spec["data"][0]["type"] == "heatmap"


def test_a_stopped_run_keeps_what_was_recorded(monkeypatch):
    from rnnviz.app import vanishing as G
    real = G.grad_heatmap_during_training

    def stop_after_two(cfg, **kw):                   # as if Stop were pressed after the second recording
        seen, cb = [], kw["on_progress"]

        def on_progress(*a):
            seen.append(1)
            cb(*a)
            return False if len(seen) >= 2 else None
        return real(cfg, **dict(kw, on_progress=on_progress))

    at = _app(T="30", hidden="16", tab="training")
    at.select_slider(key="vg.train_steps").set_value(100)
    monkeypatch.setattr(G, "grad_heatmap_during_training", stop_after_two)
    at.button(key="vg.train_go").click().run()
    assert not at.exception
    rec = at.session_state["vg.heat"]["cells"]["lstm"]
    assert rec["status"] == "stopped" and rec["steps"] == [0, 4, 8]
    assert sum("Stopped at step 8" in c.value for c in at.caption) == 3


def test_scalar_toy_is_b_to_the_k():
    at = _app(tab="toy")
    at.slider(key="vg.toy_b").set_value(0.5)
    at.slider(key="vg.toy_T").set_value(11).run()
    assert not at.exception
    spec = _chart(at, "vg.toy_fig")
    factor = _ys(spec)[1]
    np.testing.assert_allclose(factor, [0.5 ** (11 - t) for t in range(1, 12)], rtol=1e-6)
    assert any("9.766e-04" in l.value for l in at.latex)             # 0.5^10


def test_korean_and_absurd_query_parameters():
    at = _app(lang="ko", T="99999", hidden="7", scale="-3", fb="9", k="x", loss="nope")
    assert not at.exception
    assert at.title[0].value == "기울기 소실과 폭발"
    assert (at.session_state["vg.T"], at.session_state["vg.hidden"]) == (400, "64")


def test_figure_builders():
    fig = FG.grad_time_figure({"rnn": np.array([0.0, 1e-3, 1.0]), "lstm": np.array([0.5, 0.5, 0.5])}, window=2)
    assert fig.layout.yaxis.type == "log" and np.isnan(fig.data[0].y[0])
    assert [s.x0 for s in fig.layout.shapes] == [2.5]
    heat = FG.training_heatmap_figure([0, 10], np.array([[1.0, 10.0], [0.0, 100.0]]))
    np.testing.assert_allclose(heat.data[0].z, [[0, 1], [np.nan, 2]])
    toy = FG.scalar_toy_figure(np.array([1.0, 0.5]), np.array([0.5, 1.0]))
    assert len(toy.data) == 2
    loss = FG.task_loss_figure({"lstm": [0.2, 0.1]}, 1 / 6)
    assert any(abs(s.y0 - 1 / 6) < 1e-9 for s in loss.layout.shapes)
    sw = FG.sweep_figure([10, 20], {"rnn": [0.1, 1.0]})
    assert list(sw.data[0].x) == [10, 20]


def test_long_range_task_trains_three_cells_against_the_baseline():
    at = _app(T="20", hidden="16", tab="tasks")
    at.select_slider(key="vg.task_T").set_value(10)
    at.select_slider(key="vg.task_steps").set_value(200)
    at.button(key="vg.task_go").click().run()
    assert not at.exception
    held = at.session_state["vg.tasks"]
    cfg, results = held["key"], held["results"]
    assert held["source"] == "trained" and all(r.status in ("done", "target") for r in results.values())
    assert (cfg.task, cfg.T, cfg.steps) == ("adding", 10, 200) and abs(cfg.baseline - 1 / 6) < 1e-12
    assert list(results) == ["rnn", "lstm", "gru"] and all(len(r.losses) > 0 for r in results.values())
    assert all(r.config.T == 10 and r.config.cell == c for c, r in results.items())
    spec = _chart(at, "vg.task_fig")
    assert [d["name"] for d in spec["data"]] == ["RNN", "LSTM", "GRU"]
    assert any(abs(s["y0"] - 1 / 6) < 1e-9 for s in spec["layout"]["shapes"])


def test_above_128_units_the_jacobian_is_estimated_and_says_so():
    at = _app(T="20", hidden="256")
    assert not at.exception
    texts = [a["text"] for a in _chart(at, "vg.jac_fig")["layout"]["annotations"]]
    assert any("estimated with 64 random probes" in s for s in texts)


def test_sweep_shows_the_rows_finished_so_far(monkeypatch):
    import rnnviz.app.sweep as SW

    def two_rows(task, cells, lengths, on_run=None, **kw):          # as if stopped after two runs
        rows = [SW.SweepRow(cell=cell, T=10, status="done", ratio=ratio) for cell, ratio in (("rnn", 1.0), ("lstm", 0.1))]
        for row in rows:
            on_run(row)
        return SW.SweepResult(task, cells, lengths, rows=rows, status="stopped")

    at = _app(T="20", hidden="16", tab="tasks")
    at.select_slider(key="vg.task_T").set_value(10)
    at.select_slider(key="vg.task_steps").set_value(200)
    at.button(key="vg.task_go").click().run()
    monkeypatch.setattr(SW, "sweep", two_rows)
    at.button(key="vg.sweep_go").click().run()
    assert not at.exception
    assert [(r.cell, r.T) for r in at.session_state["vg.sweep"]] == [("rnn", 10), ("lstm", 10)]
    ys = _ys(_chart(at, "vg.sweep_fig"))
    assert ys[0][0] == 1.0 and ys[1][0] == np.float32(0.1) and np.isnan(ys[2]).all()


def test_the_open_tab_is_in_the_url_and_survives_a_language_switch():
    at = _app(tab="toy")
    assert at.session_state["grad.tab_id"] == "toy" and at.query_params["tab"] in ("toy", ["toy"])
    assert at.slider(key="vg.toy_b")                                   # only the open tab ran
    assert not [b for b in at.button if b.key == "vg.explode_go"]
    at.radio(key="lang_widget").set_value("ko").run()
    assert not at.exception
    assert at.session_state["grad.tab_id"] == "toy" and at.slider(key="vg.toy_b")
    assert at.title[0].value == "기울기 소실과 폭발"


def test_reference_lines_on_log_axes_are_labelled_where_they_are():
    """Plotly places an annotation on a log axis at log10 of its y: the label of the baseline line must be
    given log10(baseline), or it is drawn decades away from its line (and stretches the axis)."""
    import math
    fig = FG.task_loss_figure({"lstm": [0.2, 0.1]}, 1 / 6)
    label = [a for a in fig.layout.annotations if "Baseline" in a.text or "1/6" in a.text or "0.167" in a.text]
    assert label and math.isclose(label[0].y, math.log10(1 / 6))
    assert any(math.isclose(s.y0, 1 / 6) for s in fig.layout.shapes)
