"""AppTest for every page: the scripts run headless, as a browser session would drive them."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

import rnnviz.app.playground as playground
from rnnviz.figures import timeline as F
from tests.apptest import table_numbers
from tests.apptest import chart as _chart, markdown_table, markdown_tables, open_page, plotly_array as _array

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
    assert len(fig["frames"]) == 4 and [im.get("x") for im in fig["frames"][2]["layout"]["images"]] == [2.5, None]
    loss = _chart(at, "hello.loss_fig")
    assert len(_array(loss["data"][0]["y"])) == run.result.steps
    task = [a["text"] for a in _chart(at, "hello.task_fig")["layout"]["annotations"]]   # the task, unrolled
    assert [a for a in task if a.startswith("x<sub>")] == [f"x<sub>{i}</sub> = <b>{c}</b>" for i, c in enumerate("hell", 1)]
    assert [a for a in task if "next:" in a] == [f"y<sub>{i}</sub> → next: <b>{c}</b>" for i, c in enumerate("ello", 1)]
    assert [a for a in task if a.startswith("[")] == ["[1 0 0 0]", "[0 1 0 0]", "[0 0 1 0]", "[0 0 1 0]"]  # one-hot over h e l o
    assert any("next character: h→e, e→l, l→l, l→o." in c.value for c in at.caption)
    assert fig["layout"]["title"]["text"].startswith("t = 1: read <b>h</b>")     # the cursor's step, in the figure
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


def test_one_cursor_moves_the_timeline_and_its_values_table_and_a_link_opens_at_its_step():
    at = _app(HELLO, t="3")
    assert not at.exception
    tr = at.session_state["hello.run"].trace
    spec = _chart(at, "hello.timeline_fig")
    assert not [d for d in spec["data"] if d["type"] == "table"]
    header, units, numbers = table_numbers(spec["layout"]["images"][1]["source"])
    assert header == ["unit", "h_t", "i_t", "f_t", "g_t", "o_t", "c_t"] and units == list(range(16))
    vecs = [tr.hidden, tr.gates["input"], tr.gates["forget"], tr.gates["candidate"], tr.gates["output"], tr.cell]

    def expected(t):
        return [f"{x:.4f}" for x in np.stack([np.float32(v[t - 1]) for v in vecs], axis=1).ravel().tolist()]
    assert spec["layout"]["sliders"][0]["active"] == 2 and spec["layout"]["images"][0]["x"] == 2.5   # opens at t = 3
    assert spec["layout"]["title"]["text"].startswith("t = 3: read <b>l</b>")
    assert numbers == expected(3)
    for t, step in enumerate(spec["layout"]["sliders"][0]["steps"], start=1):   # the one slider moves the table too
        (lay,) = step["args"]
        assert table_numbers(lay["images[1].source"])[2] == expected(t) and lay["images[0].x"] == t - 0.5
    for t, frame in enumerate(spec["frames"], start=1):                          # and so does ▶
        assert table_numbers(frame["layout"]["images"][1]["source"])[2] == expected(t)
    assert all(s.key != "hello.t" for s in [*at.select_slider, *at.slider])    # no second cursor
    assert len(markdown_tables(at)) == 1                                         # the predictions table only


@pytest.mark.slow
def test_text_over_the_limit_is_cut_to_the_limit():
    at = _app(HELLO, text="ab" * 1500, steps="10", hidden="4")
    assert not at.exception
    assert len(at.session_state["hello.run"].cfg.text) == 2000


def test_absurd_query_parameters_are_clamped():
    at = _app(HELLO, hidden="100000", steps="-5", lr="nan", cell="transformer", seed="x", t="999")
    assert not at.exception
    cfg = at.session_state["hello.run"].cfg
    assert (cfg.hidden, cfg.steps, cfg.lr, cfg.cell, cfg.seed) == (128, 10, 0.05, "lstm", 0)
    assert _chart(at, "hello.timeline_fig")["layout"]["sliders"][0]["active"] == 3    # t = 999: the last step, 4
    (notice,) = [w.value for w in at.warning if "could not be used" in w.value]       # named, with what is used
    for shown in ("hidden = 100000 → 128", "steps = &#45;5 → 10", "lr = nan → 0&#46;05", "cell = transformer → lstm",
                  "seed = x → 0", "t = 999 → 4"):
        assert shown in notice, (shown, notice)


def test_a_good_link_has_no_notice_and_a_bad_one_on_every_page_names_its_settings():
    assert not [w for w in _app(HELLO, hidden="8", cell="gru").warning if "could not be used" in w.value]
    for page, query, shown in (("pages/3_Vanishing_Gradients.py", {"T": "5000", "tab": "nope"}, ("T = 5000 → 400", "tab = nope")),
                               ("pages/4_Sequence_Tasks.py", {"task": "chess"}, ("task = chess → mnist1d",)),
                               ("pages/2_Step_Through.py", {"src": "nope"}, ("src = nope → brackets&#95;lstm",))):
        at = open_page(page, timeout=120, **query)
        assert not at.exception
        (notice,) = [w.value for w in at.warning if "could not be used" in w.value]
        assert all(s in notice for s in shown), (shown, notice)


def test_korean_page():
    at = _app(HELLO, lang="ko", text="오늘 주가가 어때?")
    assert not at.exception
    assert at.title[0].value == "Hello 놀이터"
    assert "정확도 100%" in at.success[0].value
    states = _chart(at, "hello.timeline_fig")
    assert states["layout"]["title"]["text"].startswith("t = 1: <b>오</b> 읽음")
    assert table_numbers(states["layout"]["images"][1]["source"])[0][0] == "유닛"   # the values table's header
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
    real = playground.train_model                    # what the training (job kind "hello") runs, in-process too
    monkeypatch.setattr(playground, "train_model", lambda *a, **k: calls.append(1) or real(*a, **k))
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
