"""AppTest for every page: the scripts run headless, as a browser session would drive them."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

import rnnviz.app.playground as playground
import rnnviz.training.loop as training
from rnnviz.figures import timeline as F
from tests.apptest import chart as _chart, markdown_table, open_page, plotly_array as _array

ROOT = Path(__file__).resolve().parents[1]
HELLO = str(ROOT / "pages" / "1_Hello_Playground.py")
HOME = str(ROOT / "app.py")


def _app(path: str, **query) -> AppTest:
    """Open `path` (HOME or an absolute page path) with URL query parameters."""
    return open_page(None if path == HOME else str(Path(path).relative_to(ROOT)), **query)


def _button(at, label: str):
    (b,) = [b for b in at.button if b.label == label]
    return b


def _text(at) -> str:
    return "\n".join([m.value for m in at.markdown] + [m.value for m in at.success] + [m.value for m in at.error]
                     + [m.value for m in at.warning] + [m.value for m in at.info] + [m.value for m in at.title])


def test_home_page_runs_and_links_to_the_playground():
    at = _app(HOME)
    assert not at.exception
    assert "rnnviz" in at.title[0].value
    links = [el.proto.page for el in at.get("page_link")]
    assert any("Hello_Playground" in p for p in links)


def test_home_page_in_korean():
    at = _app(HOME, lang="ko")
    assert not at.exception
    assert "순환 신경망" in at.title[0].value


def test_hello_trains_on_load_and_figures_carry_the_trace():
    at = _app(HELLO)
    assert not at.exception
    assert "accuracy 100%" in at.success[0].value
    run = at.session_state["hello.run"]
    tr = run.trace
    assert tr.accuracy == 1.0 and run.vocab.chars == ("h", "e", "l", "o")
    fig = _chart(at, "hello.timeline_fig")
    z = [_array(d["z"]) for d in fig["data"] if d["type"] == "heatmap"]
    assert len(z) == 7                                   # h, i, f, g, o, c, softmax
    np.testing.assert_allclose(z[0], tr.hidden.T, atol=1e-6)
    np.testing.assert_allclose(z[2], tr.gates["forget"].T, atol=1e-6)
    np.testing.assert_allclose(z[5], tr.cell.T, atol=1e-6)
    np.testing.assert_allclose(z[6], tr.probs.T, atol=1e-6)
    assert z[0].dtype == np.float32                      # compact typed arrays on the wire
    assert fig["layout"]["xaxis"]["ticktext"] == ["h", "e", "l", "l"]
    grad = [d for d in fig["data"] if d.get("mode") == "lines+markers"]
    np.testing.assert_allclose(_array(grad[0]["y"]), tr.grad_hidden, rtol=1e-6)
    assert len(fig["frames"]) == 4 and [im["x"] for im in fig["frames"][2]["layout"]["images"]] == [2.5]
    loss = _chart(at, "hello.loss_fig")
    assert len(_array(loss["data"][0]["y"])) == run.result.steps
    task = [a["text"] for a in _chart(at, "hello.task_fig")["layout"]["annotations"]]   # the task, unrolled
    assert [a for a in task if a.startswith("x<sub>")] == [f"x<sub>{i}</sub> = <b>{c}</b>" for i, c in enumerate("hell", 1)]
    assert [a for a in task if "next:" in a] == [f"y<sub>{i}</sub> → next: <b>{c}</b>" for i, c in enumerate("ello", 1)]
    assert [a for a in task if a.startswith("[")] == ["[1 0 0 0]", "[0 1 0 0]", "[0 0 1 0]", "[0 0 1 0]"]  # one-hot over h e l o
    assert any("next character: h→e, e→l, l→l, l→o." in c.value for c in at.caption)
    assert "Step t = 1: input **h**, target **e**, predicted **e**" in _text(at)
    head, *rows = markdown_table(at, "t")                # the predictions, one row per step
    assert head == ["t", "input", "target", "top predictions", "P(target)", "right?"]
    assert [r[0] for r in rows] == ["1", "2", "3", "4"]
    assert [r[1] for r in rows] == ["**h**", "**e**", "**l**", "**l**"]
    assert [r[2] for r in rows] == ["**e**", "**l**", "**l**", "**o**"]
    assert [r[3].split(" ")[0] for r in rows] == ["e", "l", "l", "o"]       # top guess first: "e 100% · h 0% · l 0%"
    np.testing.assert_allclose([float(r[4]) for r in rows], tr.probs[np.arange(4), tr.targets], atol=5e-4)
    assert [r[5] for r in rows] == [":green[**✓**]"] * 4


def test_a_second_session_reuses_the_run_and_its_figures(monkeypatch):
    first = _app(HELLO)
    built = []
    real = F.timeline_figure
    monkeypatch.setattr(F, "timeline_figure", lambda *a, **k: built.append(1) or real(*a, **k))
    second = _app(HELLO)                                  # another student, the same settings
    assert not second.exception and not built
    assert "trained earlier on this server" in second.success[0].value
    assert second.session_state["hello.run"] is not first.session_state["hello.run"]
    assert _chart(second, "hello.timeline_fig") == _chart(first, "hello.timeline_fig")
    korean = _app(HELLO, lang="ko")                       # another language: its own figures, built once
    assert not korean.exception and len(built) == 1
    _app(HELLO, lang="ko")
    assert len(built) == 1


def test_choosing_a_step_never_retrains_or_redraws_the_timeline(monkeypatch):
    at = _app(HELLO)
    run = at.session_state["hello.run"]
    before = _chart(at, "hello.timeline_fig")
    calls = []
    monkeypatch.setattr(playground, "run_playground", lambda *a, **k: calls.append(1))
    at.select_slider(key="hello.t").set_value(3).run()
    assert not at.exception and not calls
    assert at.session_state["hello.run"] is run
    assert "Step t = 3: input **l**, target **l**, predicted **l**" in _text(at)
    assert _chart(at, "hello.timeline_fig") == before
    head, *rows = markdown_table(at, "unit")            # one row per unit, one column per vector at t = 3
    assert head == ["unit", "**h_t**", "**i_t**", "**f_t**", "**g_t**", "**o_t**", "**c_t**"]
    assert [r[0] for r in rows] == [str(j) for j in range(16)]
    values = np.array([[float(v) for v in r[1:]] for r in rows])
    np.testing.assert_allclose(values[:, 0], run.trace.hidden[2], atol=1e-4)
    np.testing.assert_allclose(values[:, 2], run.trace.gates["forget"][2], atol=1e-4)
    np.testing.assert_allclose(values[:, 5], run.trace.cell[2], atol=1e-4)
    assert at.query_params["t"] == "3"


@pytest.mark.parametrize("cell, panels", [("gru", ["reset gate r", "update gate z", "candidate n"]),
                                          ("rnn", [])])
def test_switching_cell_type_retrains(cell, panels):
    at = _app(HELLO)
    at.radio(key="hello.cell").set_value(cell)
    _button(at, "Train").click().run()
    assert not at.exception
    assert at.success[0].value.startswith(f"Trained {cell.upper()}")
    run = at.session_state["hello.run"]
    assert run.cfg.cell == cell and run.trace.cell_type == cell
    states = _chart(at, "hello.timeline_fig")
    titles = [a["text"] for a in states["layout"]["annotations"]]
    assert titles == ["hidden state h"] + panels + ["Predicted next character", "‖∂L/∂h_t‖ through time"]
    np.testing.assert_allclose(_array(states["data"][0]["z"]), run.trace.hidden.T, atol=1e-6)
    assert at.query_params["cell"] == cell


@pytest.mark.parametrize("text, message", [("", "training text is empty"),
                                           ("a", "one character is not enough"),
                                           ("\x00\x01\x02", "training text is empty")], ids=["empty", "one", "binary"])
def test_bad_text_gets_a_message_and_keeps_the_model(text, message):
    at = _app(HELLO)
    before = at.session_state["hello.run"]
    at.text_input(key="hello.text").set_value(text)
    _button(at, "Train").click().run()
    assert not at.exception
    assert any(message in e.value for e in at.error), [e.value for e in at.error]
    assert at.session_state["hello.run"] is before          # the trained model is not lost
    assert len(at.get("plotly_chart")) == 2
    assert any('the model trained before, on "hello" (LSTM)' in i.value for i in at.info)   # and said to be old


def test_diverged_run_is_reported_and_keeps_finite_weights(monkeypatch):
    real_train = training.train

    def poisoned(model, x, y, cfg, on_step=None):
        def hook(p):
            if p.step == 5:                                  # blow the weights up mid-training
                model.head.weight.data.fill_(float("inf"))
            return on_step(p) if on_step else None
        return real_train(model, x, y, cfg, on_step=hook)

    monkeypatch.setattr(training, "train", poisoned)   # run_playground imports it when it runs
    at = _app(HELLO)
    assert not at.exception
    assert any("diverged" in e.value for e in at.error)
    run = at.session_state["hello.run"]
    assert run.result.status == "diverged" and run.result.steps == 5
    assert all(np.isfinite(p.detach().numpy()).all() for p in run.model.parameters())
    assert len(at.get("plotly_chart")) == 3


def test_query_parameters_reproduce_the_view():
    at = _app(HELLO, text="abcabd", cell="gru", hidden="8", lr="0.1", steps="200", seed="3", t="3")
    assert not at.exception
    run = at.session_state["hello.run"]
    assert run.cfg == playground.PlaygroundConfig(text="abcabd", cell="gru", hidden=8, lr=0.1, steps=200, seed=3)
    assert at.success[0].value.startswith("Trained GRU · 8 units · 200 steps")
    assert "Step t = 3: input **c**" in _text(at)
    # the same link gives the same numbers (seeded)
    again = _app(HELLO, text="abcabd", cell="gru", hidden="8", lr="0.1", steps="200", seed="3", t="3")
    np.testing.assert_array_equal(again.session_state["hello.run"].trace.hidden, run.trace.hidden)


def test_text_over_the_limit_is_cut_to_the_limit():
    at = _app(HELLO, text="ab" * 1500, steps="10", hidden="4")
    assert not at.exception
    assert len(at.session_state["hello.run"].cfg.text) == 2000


def test_absurd_query_parameters_are_clamped():
    at = _app(HELLO, hidden="100000", steps="-5", lr="nan", cell="transformer", seed="x", t="999")
    assert not at.exception
    cfg = at.session_state["hello.run"].cfg
    assert (cfg.hidden, cfg.steps, cfg.lr, cfg.cell, cfg.seed) == (128, 10, 0.05, "lstm", 0)
    assert at.select_slider(key="hello.t").value == 4


def test_korean_page():
    at = _app(HELLO, lang="ko", text="오늘 주가가 어때?")
    assert not at.exception
    assert at.title[0].value == "Hello 놀이터"
    assert "정확도 100%" in at.success[0].value
    assert "시점 t = 1: 입력 **오**, 정답 **늘**" in _text(at)
    states = _chart(at, "hello.timeline_fig")
    assert states["layout"]["annotations"][0]["text"] == "은닉 상태 h"
    assert states["layout"]["xaxis"]["ticktext"][:3] == ["오", "늘", "␣"]


def test_generation_is_seeded_and_checks_the_prime():
    at = _app(HELLO)
    _button(at, "Generate").click().run()
    assert not at.exception
    first = at.code[0].value
    assert first.startswith("h") and len(first) == 21 and set(first) <= set("helo")
    _button(at, "Generate").click().run()
    assert at.code[0].value == first
    prime = [ti for ti in at.text_input if ti.label == "Prime"][0]
    prime.set_value("z")
    _button(at, "Generate").click().run()
    assert not at.exception
    assert any("never seen" in e.value for e in at.error)


@pytest.mark.slow
def test_the_hello_page_draws_its_first_part_before_torch_loads():
    """The page's light first part (form, task picture) needs no torch: on a first visit it reaches the
    browser while the server still imports torch (see the page's docstring)."""
    import subprocess
    import sys
    code = ("import sys; import ui, rnnviz, rnnviz.figures.timeline, rnnviz.figures.step, rnnviz.app.playground, rnnviz.data.text; "
            "from rnnviz.figures.step import unrolled_figure; unrolled_figure('lstm', list('hell'), targets=list('ello')); "
            "print('torch' in sys.modules); import rnnviz; rnnviz.build_model('gru', 3, 4); print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "True"]


def test_a_second_session_with_the_same_settings_reuses_the_training(monkeypatch):
    """A class opening the page trains "hello" once: the next session gets its own copy of that run."""
    calls = []
    real = playground.run_playground
    monkeypatch.setattr(playground, "run_playground", lambda *a, **k: calls.append(1) or real(*a, **k))
    first = _app(HELLO)
    second = _app(HELLO)
    assert not first.exception and not second.exception and calls == [1]
    assert "trained earlier on this server" not in first.success[0].value
    assert "trained earlier on this server" in second.success[0].value
    a, b = first.session_state["hello.run"], second.session_state["hello.run"]
    assert a is not b and a.model is not b.model
    np.testing.assert_array_equal(a.trace.hidden, b.trace.hidden)
    assert _chart(first, "hello.timeline_fig") == _chart(second, "hello.timeline_fig")
    second.text_input(key="hello.text").set_value("hallo")        # new settings train for real
    _button(second, "Train").click().run()
    assert calls == [1, 1] and "trained earlier" not in second.success[0].value


def test_markdown_tables_show_user_text_literally():
    import html
    import string

    import ui
    assert ui.md_literal("h") == "h" and ui.md_literal("한글 ␣") == "한글 ␣"
    escaped = ui.md_literal(string.punctuation)
    assert not set(escaped) & (set(string.punctuation) - set("&#;"))    # only character references are left
    assert html.unescape(escaped) == string.punctuation
    table = ui.markdown_table(["a", "b"], [["1", ui.md_literal("|")]], align="rc")
    assert table.splitlines() == ["| a | b |", "| --: | :-: |", "| 1 | &#124; |"]


@pytest.mark.parametrize("text", ["a|b*c$d_e<f>", "오늘 주가가 어때?"])
def test_predictions_table_keeps_one_row_per_step_for_any_text(text):
    at = _app(HELLO, text=text)
    assert not at.exception
    head, *rows = markdown_table(at, "t")
    assert len(rows) == len(text) - 1 and {len(r) for r in rows} == {len(head)}
    show = {" ": "␣"}
    assert [r[1] for r in rows] == [f"**{show.get(c, c)}**" for c in text[:-1]]
