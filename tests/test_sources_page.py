"""The Vanishing Gradients page's "where it comes from" tab (?tab=sources), as a user opens it (AppTest): the
triangles draw what `gradient_sources` computes for an independently built model, the chosen loss step's row,
the shares, the input attribution, both languages, and links with a bad loss step."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from rnnviz.app.vanishing import GradConfig, make_model, task_for
from rnnviz.figures.gradients import source_shares
from rnnviz.tracing.gradients import gradient_sources, input_attribution
from tests.apptest import chart, open_page, plotly_array

PAGE = "pages/3_Vanishing_Gradients.py"
CELLS = ("rnn", "lstm", "gru")


def _open(**query):
    return open_page(PAGE, timeout=120, tab="sources", T="20", hidden="16", **query)


def _expected(cfg: GradConfig) -> dict:
    x, y = task_for(cfg)
    out = {}
    for cell in CELLS:
        model = make_model(dataclasses.replace(cfg, cell=cell)).double()
        out[cell] = (gradient_sources(model, x, y), input_attribution(model, x, y))
    return out


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_the_triangles_the_row_and_the_shares_draw_what_the_model_computes(lang):
    at = _open(lang=lang, tau="12")
    assert not at.exception
    ref = _expected(GradConfig(T=20, hidden=16))
    spec = chart(at, "vg.src_fig")
    heat = [tr for tr in spec["data"] if tr["type"] == "heatmap"]
    rows = [tr for tr in spec["data"] if tr["type"] == "scatter"]
    assert [tr["meta"] for tr in heat] == ["RNN", "LSTM", "GRU"]
    for k, cell in enumerate(CELLS):
        norms = ref[cell][0]["norms"]
        z = plotly_array(heat[k]["z"]).astype(np.float64)
        lit = norms > 0
        np.testing.assert_allclose(z[lit], np.log10(norms[lit]), rtol=1e-5)
        assert np.all(np.isnan(z[~lit]))                       # above the diagonal: nothing drawn
        np.testing.assert_allclose(plotly_array(rows[k]["y"]), norms[11, :12], rtol=1e-12)   # tau = 12, s = 1..12
    share = chart(at, "vg.share_fig")
    bars = [tr for tr in share["data"] if tr["type"] == "bar"]
    assert len(bars) == 3 * 5
    np.testing.assert_allclose(plotly_array(bars[0]["y"]), source_shares(ref["rnn"][0])[0], rtol=1e-5, atol=1e-7)
    total = sum(plotly_array(b["y"]).astype(np.float64) for b in bars[5:10])          # the LSTM's bins add up to 1
    np.testing.assert_allclose(total, 1.0, atol=1e-5)
    attr = chart(at, "vg.attr_fig")
    z = plotly_array(attr["data"][0]["z"]).astype(np.float64).ravel()[:20]
    row = ref["lstm"][1][11, :12]                              # the default cell, opened at tau = 12
    np.testing.assert_allclose(z[:12], row / row.max(), rtol=1e-5)
    assert np.all(np.isnan(z[12:]))


def test_the_attribution_cell_and_a_too_late_loss_step():
    at = _open(tau="400", attr_cell="rnn")
    assert not at.exception
    assert at.slider(key="vg.tau").value == 20                 # the link's step is past T = 20: the last step
    ref = _expected(GradConfig(T=20, hidden=16))
    z = plotly_array(chart(at, "vg.attr_fig")["data"][0]["z"]).astype(np.float64).ravel()[:20]
    row = ref["rnn"][1][19]
    np.testing.assert_allclose(z, row / row.max(), rtol=1e-5)
    at.radio(key="vg.attr_cell").set_value("gru").run()
    z2 = plotly_array(chart(at, "vg.attr_fig")["data"][0]["z"]).astype(np.float64).ravel()[:20]
    row = ref["gru"][1][19]
    np.testing.assert_allclose(z2, row / row.max(), rtol=1e-5)
    assert at.query_params["attr_cell"] == ["gru"] or at.query_params["attr_cell"] == "gru"


def test_a_bad_loss_step_in_a_link_is_named_and_the_default_used():
    at = _open(tau="abc")
    assert not at.exception
    assert at.slider(key="vg.tau").value == 20
    assert any("tau" in w.value for w in at.warning)


def test_after_training_the_view_traces_the_shipped_trained_models():
    """The page's defaults come with the "During training" run shipped, its models at 4 training steps included:
    the sources view traces them (the same numbers as the library on those weights)."""
    from rnnviz.app.vanishing import (DEFAULT_TRAIN_STEPS, ready_heatmaps, snapshot_steps, source_views)
    at = open_page(PAGE, timeout=120, tab="sources")
    assert not at.exception
    slider = at.select_slider(key="vg.src_step")
    steps = snapshot_steps(DEFAULT_TRAIN_STEPS, max(1, DEFAULT_TRAIN_STEPS // 25))
    assert list(slider.options) == ["at initialisation"] + [str(s) for s in steps] and slider.value == 0
    slider.set_value(steps[-1]).run()
    assert not at.exception and at.query_params["src_step"] in (str(steps[-1]), [str(steps[-1])])
    heat = ready_heatmaps(GradConfig(), DEFAULT_TRAIN_STEPS)
    trained = source_views(GradConfig(), states={c: heat[c]["snapshots"][steps[-1]] for c in CELLS})
    init = source_views(GradConfig())
    z = plotly_array([tr for tr in chart(at, "vg.src_fig")["data"] if tr["type"] == "heatmap"][1]["z"]).astype(float)
    lit = trained["lstm"]["sources"]["norms"] > 0
    np.testing.assert_allclose(z[lit], np.log10(trained["lstm"]["sources"]["norms"][lit]), rtol=1e-5)
    assert not np.allclose(trained["lstm"]["sources"]["norms"], init["lstm"]["sources"]["norms"])
    # a fresh session opening the link gets the same trained view
    fresh = open_page(PAGE, timeout=120, tab="sources", src_step=str(steps[-1]))
    assert not fresh.exception and fresh.select_slider(key="vg.src_step").value == steps[-1]


def test_without_a_training_record_the_view_is_at_initialisation_and_says_how_to_train():
    at = _open()                                              # T = 20, H = 16: nothing shipped for it
    assert not at.exception
    assert not [s for s in at.select_slider if s.key == "vg.src_step"]
    assert any("During training" in c.value for c in at.caption)
