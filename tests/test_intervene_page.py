"""The Step page's "What if?" tab (?tab=intervene) as a user opens it (AppTest): the three examples of the
lecture in both languages, the figure drawing what an independent replay computes, a too-late step or a value
out of range from a link, and the Hello model's example."""
from __future__ import annotations

import html

import numpy as np
import pytest
import torch

from rnnviz.app.stepthrough import prepare_view, source_from_preset
from rnnviz.tracing.intervene import Intervention, replay
from tests.apptest import chart, open_page, plotly_array

PAGE = "pages/2_Step_Through.py"


def _open(**query):
    return open_page(PAGE, timeout=120, tab="intervene", **query)


def _view(name):
    src = source_from_preset(name)
    return src, prepare_view(src, src.text)


def _summary(at) -> str:
    """The line that says what was edited and what it cost ("**Edit:** …" / "**바꾼 것:** …")."""
    return next(html.unescape(m.value) for m in at.markdown if m.value.startswith(("**Edit:**", "**바꾼 것:**")))


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_the_brackets_example_forgets_the_depth_and_the_figure_is_the_replay(lang):
    at = _open(src="brackets_lstm", lang=lang)
    assert not at.exception
    src, view = _view("brackets_lstm")
    depth_unit = next(n.unit for n in src.unit_notes if n.tracks == "bracket_depth")
    t = at.select_slider(key="iv.t").value
    assert view.chars[t - 1] in "([" and at.radio(key="iv.q").value == "forget"
    assert at.selectbox(key="iv.u").value == str(depth_unit) and at.slider(key="iv.v").value == 0.0
    x, y = (torch.as_tensor(view.trace.x), torch.as_tensor(view.trace.targets))
    edited = replay(view.model, x, y, Intervention(t, "forget", 0.0, (depth_unit,)))
    spec = chart(at, "step.iv_fig")
    heat = [tr for tr in spec["data"] if tr["type"] == "heatmap"]
    np.testing.assert_allclose(plotly_array(heat[0]["z"]), (edited.hidden - view.trace.hidden).T, atol=1e-6)
    np.testing.assert_allclose(plotly_array(heat[1]["z"]), (edited.cell - view.trace.cell).T, atol=1e-6)
    # the lesson: the depth is forgotten, so closing brackets the model predicted are no longer predicted
    closing = [k for k in range(t, view.trace.T) if view.chars and view.trace.predictions[k] in
               [view.vocab_chars.index(c) for c in ")]"] and edited.predictions[k] != view.trace.predictions[k]]
    assert len(closing) >= 2 and edited.loss > view.trace.loss + 0.1
    assert "1.248" in _summary(at) and f"{edited.loss:.3f}" in _summary(at)


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_the_gru_reset_at_juga_and_the_two_lines_become_the_same(lang):
    at = _open(src="korean_gru", lang=lang)
    assert not at.exception
    _, view = _view("korean_gru")
    t = at.select_slider(key="iv.t").value
    assert view.chars[t - 1] == "주" and at.radio(key="iv.q").value == "h" and at.selectbox(key="iv.u").value == "all"
    info = html.unescape(at.info[0].value)
    assert "오늘 주가가 어때?" in info and "어제 주가가 어때?" in info
    assert " 0:" in info or " 0: " in info or "차이는 0:" in info        # exactly the same states after the reset


def test_the_hello_example_gives_the_second_l_another_next_character():
    at = open_page("pages/1_Hello_Playground.py", timeout=120)          # trains the default hello model
    at.switch_page(PAGE)
    at.query_params["tab"] = "intervene"
    at.query_params["src"] = "hello"
    at.run()
    assert not at.exception
    at.button(key="iv.preset.hello_zero").click().run()
    assert at.select_slider(key="iv.t").value == 3 and at.radio(key="iv.q").value == "h"
    run = at.session_state["hello.run"]
    pred = [tr for tr in chart(at, "step.iv_fig")["data"] if tr.get("mode") == "text"]
    original, edited = pred[0]["text"], pred[1]["text"]
    assert original[3] == "o" and edited[3] != "o", (original, edited)   # step 4 reads the second l
    assert original[:2] == edited[:2]                                 # before the edited step: the same
    assert run.vocab.size == 4


def test_a_link_with_a_step_past_the_text_or_a_value_out_of_range_is_brought_into_range():
    at = _open(src="korean_gru", iv_t="250", iv_q="update", iv_u="99", iv_v="7.5")
    assert not at.exception
    T = at.session_state["iv.t"]
    assert 1 <= T <= 300 and at.selectbox(key="iv.u").value == "all"
    assert 0.0 <= at.slider(key="iv.v").value <= 1.0                  # a gate is between 0 and 1
