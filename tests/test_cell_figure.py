"""The cell, animated (rnnviz.figures.cell): every box of every frame carries the numbers `step_terms` computes
for the chosen units, the hover equations are filled with them, one frame per step; the Step page's tab
(?tab=cell) and the Hello page's trained cell, as a user opens them (AppTest), in both languages."""
from __future__ import annotations

import numpy as np
import pytest

from rnnviz.app.stepthrough import prepare_view, source_from_preset
from rnnviz.figures.cell import EQUATIONS, NODES, cell_figure
from rnnviz.nn.model import build_model
from rnnviz.tracing.analysis import step_terms
from rnnviz.tracing.engine import trace
from tests.apptest import chart, open_page


def _steps(cell, T=6, H=5, nl="tanh"):
    import torch
    m = build_model(cell, vocab_size=4, hidden_size=H, seed=2, nonlinearity=nl)
    x = torch.randint(4, (T,), generator=torch.Generator().manual_seed(5))
    tr = trace(m, x, x)
    return m, tr, [step_terms(m, tr, t) for t in range(1, T + 1)]



@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_every_frame_writes_the_numbers_the_cell_computes(cell):
    m, tr, steps = _steps(cell)
    units = [3, 1]
    chars = list("abcdef")
    fig = cell_figure(steps, cell, chars, units, "en")
    assert len(fig.frames) == 6
    names = list(NODES[cell])
    for t, frame in enumerate(fig.frames, start=1):
        text = list(frame.data[2].text)                         # the numbers under the boxes, node order
        for n, shown in zip(names, text):
            term, kind = NODES[cell][n][3], NODES[cell][n][4]
            if kind == "junction":
                assert shown == ""
            elif term is None:
                assert chars[t - 1] in shown
            else:
                vals = [float(steps[t - 1][term][u]) for u in units]          # in the order asked for
                assert shown == " · ".join(f"{v:.2f}" if kind == "gate" else f"{v:+.2f}" for v in vals), (t, n)
        gates = [n for n in names if NODES[cell][n][4] == "gate"]
        means = [float(np.mean([steps[t - 1][NODES[cell][n][3]][u] for u in units])) for n in gates]
        np.testing.assert_allclose(list(frame.data[0].marker.color), means, rtol=1e-6)
    # the hover of h_t: its own equation, filled with the first unit's (3) numbers at the opening step
    hov = fig.data[1].hovertext
    value_nodes = [n for n in names if NODES[cell][n][4] in ("signed", "state")]
    h_node = {"rnn": "h", "lstm": "h", "gru": "sum"}[cell]
    line = hov[value_nodes.index(h_node)].split("<br>")[0]
    assert line.startswith("unit 3: ") and line.endswith(f"= {float(steps[0]['h'][3]):.3f}")
    assert EQUATIONS[cell][h_node].split("=")[0].strip() in line


def test_the_rnn_with_relu_is_drawn_as_relu_and_bad_requests_are_refused():
    _, _, steps = _steps("rnn", nl="relu")
    fig = cell_figure(steps, "rnn", list("abcdef"), [0], "en", nonlinearity="relu")
    assert "relu" in list(fig.data[4].text)
    with pytest.raises(ValueError, match="units"):
        cell_figure(steps, "rnn", list("abcdef"), [9], "en")
    with pytest.raises(ValueError, match="characters"):
        cell_figure(steps, "rnn", list("abc"), [0], "en")
    with pytest.raises(ValueError, match="no diagram"):
        cell_figure(steps, "mlp", list("abcdef"), [0], "en")


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_the_step_pages_cell_tab_plays_the_presets_numbers(lang):
    at = open_page("pages/2_Step_Through.py", timeout=120, tab="cell", src="korean_gru", cell_units="4,9", lang=lang)
    assert not at.exception
    assert at.multiselect(key="cell.units").value == [4, 9]
    spec = chart(at, "step.cell_fig")
    src = source_from_preset("korean_gru")
    view = prepare_view(src, src.text)
    assert len(spec["frames"]) == view.trace.T
    k = list(NODES["gru"]).index("z")
    z = [float(view.step_terms()[9][ "z"][u]) for u in (4, 9)]           # step 10
    assert spec["frames"][9]["data"][2]["text"][k] == " · ".join(f"{v:.2f}" for v in z)


def test_the_hello_page_shows_its_trained_cell_when_asked():
    at = open_page("pages/1_Hello_Playground.py", timeout=120, show_cell="1")
    assert not at.exception and at.toggle(key="hello.show_cell").value
    spec = chart(at, "hello.cell_fig")
    run = at.session_state["hello.run"]
    assert len(spec["frames"]) == run.trace.T == 4
    k = list(NODES[run.cfg.cell]).index("h_out")
    h = [float(run.trace.hidden[2, u]) for u in range(min(2, run.cfg.hidden))]   # step 3
    assert spec["frames"][2]["data"][2]["text"][k] == " · ".join(f"{v:+.2f}" for v in h)
    at.toggle(key="hello.show_cell").set_value(False).run()
    assert not [c for c in at.get("plotly_chart") if "hello.cell_fig" in c.proto.id]
