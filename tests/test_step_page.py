"""AppTest of the step-through page (pages/2_Step_Through.py): the script runs headless, as a browser
session would drive it; every number shown is checked against the library."""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

import rnnviz
import rnnviz.app.playground as playground
import rnnviz.app.stepthrough as stepthrough
from rnnviz.app.presets import SAMPLE_TEXTS
from rnnviz.app.stepthrough import prepare_view, source_from_preset
from rnnviz.tracing import analysis as A
from tests.apptest import chart as _chart, markdown_table, open_page, plotly_array as _array

ROOT = Path(__file__).resolve().parents[1]
HOME = str(ROOT / "app.py")
STEP = "pages/2_Step_Through.py"
HELLO = "pages/1_Hello_Playground.py"


def _html(at) -> list:
    """The page's st.html elements, without stylesheets (the top bar's, every page has it)."""
    return [h for h in at.get("html") if not h.proto.body.lstrip().startswith("<style>")]


def _app(path: str = STEP, **query) -> AppTest:
    return open_page(path, **query)


def _lhs(e: str) -> str:
    """An equation's left-hand side (the long ones are KaTeX aligned, one step per line)."""
    return e.strip("$\n").replace(r"\begin{aligned}", "").split("=")[0].replace("&", "").strip()


def _latex(at) -> list[str]:
    return [el.proto.body for el in at.get("latex")]


def _vectors(latex: str) -> list[np.ndarray]:
    r"""The column vectors of one rendered equation, left to right (\begin{bmatrix}a\\b\end{bmatrix})."""
    return [np.array([float(x) for x in m.split(r"\\")])
            for m in re.findall(r"\\begin\{bmatrix\}(.*?)\\end\{bmatrix\}", latex)]


def _text(at) -> str:
    return "\n".join([m.value for m in at.markdown] + [m.value for m in at.caption] + [m.value for m in at.info]
                     + [m.value for m in at.error] + [m.value for m in at.title])


def _step(at) -> int:
    (m,) = [int(x) for x in re.findall(r"equations at step t = (\d+) ", _text(at))]
    return m


def _r3(values) -> np.ndarray:
    """Values as the page prints them: 3 decimals (f"{v:.3f}"), read back."""
    return np.array([float(f"{float(v):.3f}") for v in np.asarray(values).reshape(-1)])


def _html_titles(html: str) -> list[float]:
    return [float(x) for x in re.findall(r'<span title="([^"]+)"', html)]


def _table(at, column: str):
    hits = [df.value for df in at.dataframe if column in df.value.columns]
    assert len(hits) == 1, [list(df.value.columns) for df in at.dataframe]
    return hits[0]


@pytest.fixture(scope="module")
def brackets_view():
    src = source_from_preset("brackets_lstm")
    return prepare_view(src, src.text)


@pytest.fixture(scope="module")
def korean_view():
    src = source_from_preset("korean_gru")
    return prepare_view(src, src.text)


# ---- opening the page --------------------------------------------------------------------------------------

def test_default_is_the_brackets_preset_with_lstm_equations(brackets_view):
    at = _app()
    assert not at.exception
    assert at.title[0].value == "Step through time"
    src = at.radio(key="step.src")
    assert src.value == "brackets_lstm"
    assert src.options == ["Brackets & quotes LSTM (preset)", "Korean sentences GRU (preset)"]   # no Hello model yet
    assert "Train a model in the Hello playground" in _text(at)
    assert at.text_area(key="step.text.brackets_lstm").value == SAMPLE_TEXTS["brackets_lstm"]
    assert "LSTM · 64 units · vocabulary of 33 characters · 27,489 parameters" in _text(at)
    assert [t.label for t in at.tabs] == ["Equations", "Gates and states", "Unrolled", "Unit explorer",
                                          "Two sequences", "What if?", "The cell"]
    assert not at.get("plotly_chart")[1:] and not _html(at)     # only the open tab (Equations) ran
    assert dict(at.query_params) == {"src": "brackets_lstm", "t": "1", "units": "44,0,1,2",
                                     "text": at.session_state["step.text.brackets_lstm"]}
    assert _step(at) == 1

    eqs = _latex(at)
    assert len(eqs) == 8                                   # f, i, g, o, c, h, y, p
    assert [_lhs(e) for e in eqs] == ["f_t", "i_t", "g_t", "o_t", "c_t", "h_t", "y_t", "p_t"]
    units = [0, 1, 2, 44]                                  # the noted unit first, then 0, 1, 2 (shown sorted)
    assert at.multiselect(key="step.units").value == [44, 0, 1, 2]
    tr = brackets_view.trace
    pre, f = _vectors(eqs[0])
    np.testing.assert_array_equal(f, _r3(tr.gates["forget"][0, units]))
    terms = A.step_terms(brackets_view.model, tr, 1)
    np.testing.assert_array_equal(pre, _r3(terms["a_f"][units]))
    np.testing.assert_array_equal(_vectors(eqs[4])[-1], _r3(tr.cell[0, units]))    # c_1
    np.testing.assert_array_equal(_vectors(eqs[5])[-1], _r3(tr.hidden[0, units]))  # h_1
    probs = _vectors(eqs[7])[-1]
    top = np.sort(np.argsort(-tr.probs[0], kind="stable")[:8])
    np.testing.assert_allclose(probs, _r3(tr.probs[0, top]), atol=1e-9)


def test_korean_preset_shows_gru_equations(korean_view):
    at = _app(src="korean_gru")
    assert not at.exception
    assert at.radio(key="step.src").value == "korean_gru"
    assert at.text_area(key="step.text.korean_gru").value == SAMPLE_TEXTS["korean_gru"]
    assert "GRU · 32 units" in _text(at)
    assert "PyTorch's GRU convention" in _text(at)
    eqs = _latex(at)
    assert [_lhs(e) for e in eqs] == ["r_t", "z_t", "n_t", "h_t", "y_t", "p_t"]
    tr = korean_view.trace
    units = [0, 1, 2, 3]                                    # no noted units: the first four
    np.testing.assert_array_equal(_vectors(eqs[0])[-1], _r3(tr.gates["reset"][0, units]))
    np.testing.assert_array_equal(_vectors(eqs[1])[-1], _r3(tr.gates["update"][0, units]))
    np.testing.assert_array_equal(_vectors(eqs[2])[-1], _r3(tr.gates["candidate"][0, units]))
    np.testing.assert_array_equal(_vectors(eqs[3])[-1], _r3(tr.hidden[0, units]))
    assert not at.info                                      # the Korean preset notes no unit
    assert at.query_params["src"] == "korean_gru"


def test_model_from_the_hello_playground_is_offered_and_chosen(monkeypatch):
    at = AppTest.from_file(HOME, default_timeout=60)
    at.switch_page(HELLO)
    at.run()
    assert not at.exception
    run = at.session_state["hello.run"]
    at.switch_page(STEP)
    at.run()
    assert not at.exception
    src = at.radio(key="step.src")
    assert src.value == "hello"
    assert src.options[0] == "Your model from the Hello playground" and len(src.options) == 3
    assert "Train a model in the Hello playground" not in _text(at)
    assert at.text_area(key="step.text.hello").value == "hello"
    assert "LSTM · 16 units · vocabulary of 4 characters" in _text(at)
    eqs = _latex(at)
    assert len(eqs) == 8
    np.testing.assert_array_equal(_vectors(eqs[0])[-1], _r3(run.trace.gates["forget"][0, :4]))
    assert at.query_params["src"] == "hello"

    # stepping never retrains: the Hello model stays the same object, no training runs
    calls = []
    monkeypatch.setattr(playground, "train_model", lambda *a, **k: calls.append(1))
    at.button(key="step.next").click().run()
    assert not at.exception and _step(at) == 2
    np.testing.assert_array_equal(_vectors(_latex(at)[0])[-1], _r3(run.trace.gates["forget"][1, :4]))
    at.select_slider(key="step.t").set_value(4).run()
    assert _step(at) == 4 and at.query_params["t"] == "4"
    assert not calls and at.session_state["hello.run"] is run

    # a preset can still be chosen, and back
    at.radio(key="step.src").set_value("korean_gru").run()
    assert not at.exception and len(_latex(at)) == 6
    at.radio(key="step.src").set_value("hello").run()
    assert not at.exception and len(_latex(at)) == 8 and at.session_state["hello.run"] is run


def test_next_previous_and_slider_move_the_step_without_reloading(monkeypatch, brackets_view):
    at = _app(tab="states")
    loads = []
    real = stepthrough.source_from_preset
    monkeypatch.setattr(stepthrough, "source_from_preset", lambda name: loads.append(name) or real(name))
    trains = []
    monkeypatch.setattr(playground, "train_model", lambda *a, **k: trains.append(1))
    timeline = _chart(at, "step.timeline_fig")
    at.session_state["step.tab"] = "Equations"                # the user clicks the Equations tab
    at.run()
    first = _latex(at)[0]

    at.button(key="step.next").click().run()
    assert not at.exception
    assert _step(at) == 2 and at.query_params["t"] == "2"
    assert at.select_slider(key="step.t").value == 2
    assert "equations at step t = 2 (input **e**)" in _text(at)
    eq = _latex(at)[0]
    assert eq != first
    np.testing.assert_array_equal(_vectors(eq)[-1], _r3(brackets_view.trace.gates["forget"][1, [0, 1, 2, 44]]))

    at.button(key="step.next").click().run()
    assert _step(at) == 3 and at.query_params["t"] == "3"
    at.button(key="step.prev").click().run()
    assert _step(at) == 2 and at.query_params["t"] == "2"
    at.button(key="step.prev").click().run()
    at.button(key="step.prev").click().run()                # already at the first step: stays
    assert _step(at) == 1 and at.query_params["t"] == "1"

    T = brackets_view.trace.T
    at.select_slider(key="step.t").set_value(T).run()
    assert _step(at) == T and at.query_params["t"] == str(T)
    at.button(key="step.next").click().run()                # already at the last step: stays
    assert _step(at) == T
    at.select_slider(key="step.t").set_value(27).run()
    assert "equations at step t = 27 (input **\"**)" in _text(at)
    assert not at.exception
    assert not loads and not trains                          # the preset stays loaded in the session
    at.session_state["step.tab"] = "Gates and states"
    at.run()
    assert _chart(at, "step.timeline_fig") == timeline       # the in-browser timeline does not follow the server step
    at.radio(key="step.src").set_value("korean_gru").run()   # (the spy works: a new preset is loaded once)
    assert at.query_params["tab"] == "states" and _chart(at, "step.timeline_fig")    # the open tab stays open
    at.radio(key="step.src").set_value("brackets_lstm").run()
    at.radio(key="step.src").set_value("korean_gru").run()
    assert not at.exception and loads == ["korean_gru"] and not trains


def test_units_chosen_for_the_equations(brackets_view):
    at = _app(t="5")
    assert _step(at) == 5
    at.multiselect(key="step.units").set_value([38, 5]).run()
    assert not at.exception
    assert "units 5, 38" in _text(at)
    tr = brackets_view.trace
    for eq, gate in zip(_latex(at)[:2], ("forget", "input")):
        np.testing.assert_array_equal(_vectors(eq)[-1], _r3(tr.gates[gate][4, [5, 38]]))
    at.multiselect(key="step.units").set_value([]).run()     # none chosen: the default units come back
    assert not at.exception
    assert at.multiselect(key="step.units").value == [44, 0, 1, 2]
    np.testing.assert_array_equal(_vectors(_latex(at)[0])[-1], _r3(tr.gates["forget"][4, [0, 1, 2, 44]]))


@pytest.mark.parametrize("text, message", [
    ("set x (a) ~ ü 가", "the model has never seen ~ü가"),
    ("x", "type at least 2 characters"),
    ("", "type at least 2 characters"),
], ids=["unknown", "one", "empty"])
def test_bad_text_gets_a_message(text, message):
    at = _app()
    at.text_area(key="step.text.brackets_lstm").set_value(text).run()
    assert not at.exception
    assert [e.value for e in at.error] == [f"Cannot run this text: {message}"]
    assert not _latex(at) and not at.get("plotly_chart")
    at.text_area(key="step.text.brackets_lstm").set_value("if (we) ok").run()   # and it recovers
    assert not at.exception and not at.error and len(_latex(at)) == 8


def test_bad_text_message_in_korean():
    at = _app(lang="ko", src="korean_gru")
    at.text_area(key="step.text.korean_gru").set_value("오늘 날씨 xyz").run()
    assert not at.exception
    assert [e.value for e in at.error] == ["이 텍스트는 실행할 수 없습니다: 모델이 본 적 없는 글자: xyz"]


def test_shorter_text_clamps_the_step():
    at = _app(t="50")
    assert _step(at) == 50
    at.text_area(key="step.text.brackets_lstm").set_value("(a [b])").run()   # T = 6
    assert not at.exception
    assert _step(at) == 6 and at.query_params["t"] == "6"
    at.session_state["step.tab"] = "Gates and states"
    at.run()
    assert len(_chart(at, "step.timeline_fig")["frames"]) == 6


def test_unit_explorer_colours_the_chosen_unit(brackets_view):
    at = _app(tab="units")
    info = at.info[0].value
    assert "unit **44**" in info and "bracket depth" in info and "cell state c" in info
    tr = brackets_view.trace
    assert at.selectbox(key="step.unit").value == 44 and at.radio(key="step.state").value == "c"   # the note
    html = _html(at)[0].proto.body
    assert html.count("<span") == tr.T
    np.testing.assert_allclose(_html_titles(html), _r3(tr.cell[:, 44]), atol=1e-9)
    assert "rgba(" in html and "&quot;" in html               # coloured, the quote characters escaped

    at.selectbox(key="step.unit").set_value(7).run()
    at.radio(key="step.state").set_value("h").run()
    assert not at.exception
    html = _html(at)[0].proto.body
    np.testing.assert_allclose(_html_titles(html), _r3(tr.hidden[:, 7]), atol=1e-9)
    assert at.radio(key="step.state").options == ["hidden state h", "cell state c"]


def test_unit_explorer_on_a_gru_has_no_cell_state(korean_view):
    at = _app(src="korean_gru", tab="units")
    assert at.radio(key="step.state").options == ["hidden state h"]
    html = _html(at)[0].proto.body
    np.testing.assert_allclose(_html_titles(html), _r3(korean_view.trace.hidden[:, 0]), atol=1e-9)


def test_pattern_search_ranks_units(brackets_view):
    at = _app(tab="units")
    tr = brackets_view.trace
    lo, hi = at.select_slider(key="step.span").value
    assert (lo, hi) == brackets_view.default_span
    table = _table(at, "score")
    assert list(table.columns) == ["unit", "score", "on inside", "on outside"]
    expect = A.find_units(tr.hidden, lo - 1, hi, threshold=0.5)[:8]
    assert list(table["unit"]) == [r["unit"] for r in expect]
    np.testing.assert_allclose(table["score"], [round(r["score"], 3) for r in expect])
    assert list(table["score"]) == sorted(table["score"], reverse=True)
    best_html = _html(at)[1].proto.body
    assert f"Unit {expect[0]['unit']}" in best_html
    np.testing.assert_allclose(_html_titles(best_html), _r3(tr.hidden[:, expect[0]["unit"]]), atol=1e-9)

    at.select_slider(key="step.span").set_value((44, 76)).run()       # inside the brackets of the 2nd line
    at.slider(key="step.thr").set_value(-0.5).run()
    assert not at.exception
    table = _table(at, "score")
    expect = A.find_units(tr.hidden, 43, 76, threshold=-0.5)[:8]
    assert list(table["unit"]) == [r["unit"] for r in expect]
    assert table["on inside"].iloc[0] == f"{expect[0]['inside']:.0%}"


def test_two_sequences_chart_shows_the_state_difference():
    at = _app(src="korean_gru", tab="compare")
    src = source_from_preset("korean_gru")
    a, b = at.text_input(key="step.a.korean_gru").value, at.text_input(key="step.b.korean_gru").value
    assert (a, b) == ("오늘 주가가 어때?", "어제 주가가 어때?")
    d = A.state_difference(rnnviz.trace(src.model, src.vocab.encode(a)), rnnviz.trace(src.model, src.vocab.encode(b)))
    fig = _chart(at, "step.diff_fig")
    bars = [x for x in fig["data"] if x["type"] == "bar"]
    assert len(bars) == 2
    np.testing.assert_allclose(_array(bars[0]["y"]), d["start"], rtol=1e-6)
    np.testing.assert_allclose(_array(bars[1]["y"]), d["end"], rtol=1e-6)
    assert (_array(bars[0]["y"]) > 0).all()
    assert fig["layout"]["xaxis"]["ticktext"][0] == "오<br>어"

    at.text_input(key="step.b.korean_gru").set_value("오늘 날씨가 어때?").run()
    assert not at.exception
    y = _array([x for x in _chart(at, "step.diff_fig")["data"] if x["type"] == "bar"][0]["y"])
    np.testing.assert_array_equal(y[:3], 0.0)                  # same first three characters: same states
    assert (y[3:] > 0).all()

    at.text_input(key="step.b.korean_gru").set_value("hello").run()
    assert not at.exception
    assert any("never seen" in e.value and "ehlo" in e.value for e in at.error)
    with pytest.raises(AssertionError):
        _chart(at, "step.diff_fig")
    assert at.text_input(key="step.a.korean_gru").value == a   # the rest of the page is still there
    assert "GRU · 32 units" in _text(at)


def test_two_sequences_default_pair_on_the_brackets_preset():
    at = _app(tab="compare")
    assert at.text_input(key="step.a.brackets_lstm").value == "hello"
    assert at.text_input(key="step.b.brackets_lstm").value == "ohell"
    bars = [x for x in _chart(at, "step.diff_fig")["data"] if x["type"] == "bar"]
    assert len(_array(bars[0]["y"])) == 5


def test_gates_and_states_tab_carries_the_trace(brackets_view):
    at = _app(tab="states")
    tr = brackets_view.trace
    fig = _chart(at, "step.timeline_fig")
    z = [_array(d["z"]) for d in fig["data"] if d["type"] == "heatmap"]
    assert len(z) == 6                                         # h, i, f, g, o, c (softmax and gradients: Hello page)
    np.testing.assert_allclose(z[0], tr.hidden.T, atol=1e-6)
    np.testing.assert_allclose(z[2], tr.gates["forget"].T, atol=1e-6)
    assert len(fig["frames"]) == tr.T
    assert fig["layout"]["title"]["text"].startswith("t = 1: read <b>s</b>")
    assert fig["layout"]["updatemenus"][0]["buttons"][0]["label"] == "▶ Play"
    head, left, right = markdown_table(at, "gate")
    assert head == ["gate", "**i**", "**f**", "**o**"]
    shares = brackets_view.saturation.values()
    assert left == ["share < 0.1"] + [f"{s['left_share']:.0%}" for s in shares]
    assert right == ["share > 0.9"] + [f"{s['right_share']:.0%}" for s in shares]
    at = _app(tab="unrolled")
    params = _table(at, "parameters")
    assert params["parameters"].iloc[-1] == "27,489"


def test_korean_ui():
    at = _app(lang="ko")
    assert not at.exception
    assert at.title[0].value == "시간 따라 한 걸음씩"
    assert [b.label for b in at.button] == ["◀ 이전", "다음 ▶", "재생"]
    assert [t.label for t in at.tabs] == ["수식", "게이트와 상태", "펼친 모습", "유닛 탐색", "두 문장 비교", "만약에?", "셀 그림"]
    assert at.radio(key="step.src").options == ["괄호·따옴표 LSTM (프리셋)", "한국어 문장 GRU (프리셋)"]
    assert "시점 t = 1 (입력 **s**)" in _text(at)
    assert at.select_slider(key="step.t").label == "시점"
    assert at.query_params["lang"] == "ko"
    at = _app(lang="ko", tab="units")
    assert "유닛 **44**" in at.info[0].value and "괄호 깊이" in at.info[0].value
    at = _app(lang="ko", tab="states")
    assert _chart(at, "step.timeline_fig")["layout"]["annotations"][0]["text"] == "은닉 상태 h"


@pytest.mark.parametrize("query, step, src", [
    ({"t": "99999", "src": "nope"}, 90, "brackets_lstm"),
    ({"t": "-4", "src": "hello"}, 1, "brackets_lstm"),       # no Hello model in this session
    ({"t": "x", "src": "korean_gru", "lang": "xx"}, 1, "korean_gru"),
    ({"t": "1e9", "text": "\x00"}, 1, "brackets_lstm"),
])
def test_absurd_query_parameters_are_clamped(query, step, src):
    at = _app(**query)
    assert not at.exception
    assert at.radio(key="step.src").value == src
    assert _step(at) == step
    assert at.query_params["t"] == str(step) and at.query_params["src"] == src


def test_query_parameters_reproduce_the_view():
    at = _app(src="korean_gru", text="어제 주가가 어때?", t="3")
    assert not at.exception
    assert at.text_area(key="step.text.korean_gru").value == "어제 주가가 어때?"
    assert "equations at step t = 3 (input **␣**)" in _text(at)


def test_text_from_the_url_is_cut_to_the_limit():
    at = _app(src="brackets_lstm", text="(a) " * 200, tab="states")
    assert not at.exception
    assert len(at.text_area(key="step.text.brackets_lstm").value) == stepthrough.MAX_STEP_TEXT
    assert len(_chart(at, "step.timeline_fig")["frames"]) == stepthrough.MAX_STEP_TEXT - 1


def test_url_text_applies_only_with_its_source():
    """?text= belongs to the model named by ?src= (the Hello page's ?text=hello must not leak into a preset)."""
    at = _app(text="(a) ok")
    assert at.text_area(key="step.text.brackets_lstm").value == SAMPLE_TEXTS["brackets_lstm"]
    at = _app(src="brackets_lstm", text="(a) ok")
    assert at.text_area(key="step.text.brackets_lstm").value == "(a) ok"


def test_typed_text_goes_into_the_url():
    at = _app()
    at.text_area(key="step.text.brackets_lstm").set_value("(a [b]) ok").run()
    assert not at.exception
    assert at.query_params.get("text") == "(a [b]) ok"


def test_a_full_rerun_does_not_rebuild_the_timeline(monkeypatch):
    builds = []
    real = stepthrough.timeline_figure
    monkeypatch.setattr(stepthrough, "timeline_figure", lambda *a, **k: builds.append(1) or real(*a, **k))
    at = _app(tab="states")
    assert not at.exception and _chart(at, "step.timeline_fig") and len(builds) == 1
    at.session_state["step.tab"] = "Unit explorer"
    at.run()
    at.selectbox(key="step.unit").set_value(3).run()          # Unit explorer: not the cursor fragment
    at.session_state["step.tab"] = "Gates and states"
    at.run()
    assert not at.exception and _chart(at, "step.timeline_fig")
    assert len(builds) == 1                                    # the view keeps its figure across reruns
    at.text_area(key="step.text.brackets_lstm").set_value("(a [b]) ok").run()
    assert not at.exception and len(builds) == 2               # a new text: a new view, a new figure
    at.radio(key="step.src").set_value("korean_gru").run()
    at.radio(key="step.src").set_value("brackets_lstm").run()   # back to an earlier preset and text:
    at.text_area(key="step.text.brackets_lstm").set_value(SAMPLE_TEXTS["brackets_lstm"]).run()
    assert not at.exception and _chart(at, "step.timeline_fig") and len(builds) == 3   # only the GRU's was new
    for text in ["(a) ok", "(b) no", "[c] it", "(d) we", "(e) go", "[f] me"]:   # a few views are kept, not all
        at.text_area(key="step.text.brackets_lstm").set_value(text).run()
    assert not at.exception and len(at.session_state["step.views"]) == 4


def test_a_class_opening_a_preset_link_builds_its_timeline_once(monkeypatch):
    builds = []
    real = stepthrough.timeline_figure
    monkeypatch.setattr(stepthrough, "timeline_figure", lambda *a, **k: builds.append(1) or real(*a, **k))
    charts = [_chart(_app(tab="states"), "step.timeline_fig") for _ in range(3)]    # three students, one link
    assert len(builds) == 1 and charts[0] == charts[1] == charts[2]


# ---- tabs: only the open one runs; it lives in the URL ----------------------------------------------------

CHART_OF_TAB = {"equations": "step.traj_fig", "states": "step.timeline_fig", "unrolled": "step.unrolled_fig",
                "compare": "step.diff_fig"}


@pytest.mark.parametrize("tab", ["equations", "states", "unrolled", "units", "compare"])
def test_only_the_open_tab_runs(tab):
    at = _app(tab=tab)
    assert not at.exception
    keys = [el.proto.id for el in at.get("plotly_chart")]
    for other, chart in CHART_OF_TAB.items():
        assert any(chart in k for k in keys) == (other == tab), (tab, keys)
    assert bool(_latex(at)) == (tab == "equations")
    assert bool(_html(at)) == (tab == "units")
    assert at.session_state["step.tab"] == {"equations": "Equations", "states": "Gates and states",
                                            "unrolled": "Unrolled", "units": "Unit explorer",
                                            "compare": "Two sequences"}[tab]
    assert at.query_params["tab"] == tab


def test_clicking_a_tab_puts_it_in_the_url_and_survives_a_language_switch():
    at = _app()
    at.session_state["step.tab"] = "Unit explorer"             # what a click on the tab sends
    at.run()
    assert not at.exception and at.query_params["tab"] == "units" and at.info
    at.radio(key="lang_widget").set_value("ko").run()  # the label changes language, the tab stays
    assert not at.exception
    assert at.session_state["step.tab"] == "유닛 탐색" and at.query_params["tab"] == "units"
    assert "유닛 **44**" in at.info[0].value
    at.session_state["step.tab"] = "수식"
    at.run()
    assert _latex(at) and at.query_params["tab"] == "equations"


@pytest.mark.parametrize("bad", ["nope", "", "Equations", "수식"])
def test_a_bad_tab_in_the_url_opens_the_equations(bad):
    at = _app(tab=bad)
    assert not at.exception and len(_latex(at)) == 8


def test_a_link_to_a_hello_model_in_a_fresh_session_says_why_it_shows_a_preset():
    at = _app(src="hello")
    assert not at.exception and at.radio(key="step.src").value == "brackets_lstm"
    assert any("asks for the model trained in the Hello playground" in i.value for i in at.info)


def test_a_too_short_text_is_said_in_korean():
    at = _app(lang="ko")
    at.text_area(key="step.text.brackets_lstm").set_value("x").run()
    assert not at.exception
    assert any("두 글자 이상 입력하세요" in e.value for e in at.error), [e.value for e in at.error]
