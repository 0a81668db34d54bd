"""Links that reproduce the view (issue #13): on every page, in both languages, settings chosen with the
widgets go into the URL, and a fresh session opened with exactly that URL shows the same widget values and
the same numbers (figure data, tables, equations, text). A crafted value out of its bounds falls back with a
notice naming it, never an error."""
from __future__ import annotations

import json

import pytest

from rnnviz.app.lab import CELLS_OF, DEFAULT_STEPS, TASKS
from rnnviz.app.lab_runs import BUILTIN, DATA_CHOICES
from rnnviz.i18n import LANGS, t
from tests.apptest import open_page

HOME, HELLO, STEP, GRAD, LAB, LECTURE = (None, "pages/1_Hello_Playground.py", "pages/2_Step_Through.py",
                                         "pages/3_Vanishing_Gradients.py", "pages/4_Sequence_Tasks.py",
                                         "pages/5_Lecture.py")
WIDGETS = ("radio", "slider", "select_slider", "selectbox", "multiselect", "text_input", "text_area", "number_input",
           "toggle", "checkbox")
# What says where a result came from (trained now, shipped, another session's) or how long it took: it differs
# between the session that trained and the one that opened its link, the view does not.
SOURCE_TEXT = {t(k, lang) for k in ("grad.ready", "grad.train.stale", "lab.source.ready", "lab.source.shared",
                                    "lab.source.stale") for lang in LANGS}
TIMED = {t("grad.col.seconds", lang) for lang in LANGS}
REUSED = {" " + t("hello.reused", lang) for lang in LANGS}     # the run (and its time) is the same one


def _without(text: str, parts) -> str:
    for p in parts:
        text = text.replace(p, "")
    return text


def _open(page, **query):
    return open_page(page, timeout=120, **query)


def _view(at) -> dict:
    """What identifies the view: every keyed widget's value, every figure's data and layout, every table,
    equation, code block, HTML block and message (without the words about where a result came from)."""
    widgets = {}
    for kind in WIDGETS:
        for w in at.get(kind):
            if getattr(w, "key", None):
                widgets[w.key] = w.value
    charts = {}
    for el in at.get("plotly_chart"):
        spec = json.loads(el.proto.spec)
        charts[el.proto.id.split("-")[-1] if "-" in el.proto.id else el.proto.id] = (spec["data"], spec["layout"])
    frames = [df.value.drop(columns=[c for c in df.value.columns if c in TIMED]).to_dict("list") for df in at.dataframe]
    texts = {kind: [el.value for el in getattr(at, kind) if el.value not in SOURCE_TEXT]
             for kind in ("title", "markdown", "caption", "info", "warning", "error", "code")}
    texts["success"] = [_without(s.value, REUSED) for s in at.success]
    return {"widgets": widgets, "charts": charts, "frames": frames, "texts": texts,
            "latex": [el.proto.body for el in at.get("latex")], "html": [el.proto.body for el in at.get("html")],
            "tabs": [tb.label for tb in at.tabs]}


def _round_trip(at, page, expect: dict):
    """The URL `at` ended with, opened in a fresh session: the same view. `expect`: URL parameters it must hold
    (so the settings changed really went through the URL, not through a default)."""
    assert not at.exception, at.exception
    assert not [w for w in at.warning if _notice_word(w.value)], "settings chosen on the page got a notice"
    query = dict(at.query_params)
    for k, v in expect.items():
        assert query.get(k) == v, (k, query)
    fresh = _open(page, **query)
    assert not fresh.exception, fresh.exception
    assert not [w for w in fresh.warning if _notice_word(w.value)], "a good link got a notice"
    a, b = _view(at), _view(fresh)
    for part in a:
        assert a[part] == b[part], part
    assert dict(fresh.query_params) == query                  # and the fresh session's URL is the same link
    return fresh


def _notice_word(text: str) -> bool:
    return any(t("ui.bad_params", lang, items="").split(":")[0] in text for lang in LANGS)


def _switch_tab(at, key: str, tab: str, lang: str):
    at.session_state[key] = t(f"{key}.{tab}", lang)          # what a click on the tab sends
    return at.run()


LANG = pytest.mark.parametrize("lang", LANGS)


# ---- pages with no settings of their own: the language and the presenter view ---------------------------

@LANG
@pytest.mark.parametrize("page", [HOME, LECTURE], ids=["home", "lecture"])
def test_home_and_lecture_keep_the_language_and_the_presenter_view(page, lang):
    at = _open(page)
    at.radio(key="lang_widget").set_value(lang).run()
    at.toggle(key="present_toggle").set_value(True).run()
    fresh = _round_trip(at, page, {"present": "1", **({"lang": lang} if lang != "en" else {})})
    assert fresh.radio(key="lang_widget").value == lang and fresh.toggle(key="present_toggle").value


# ---- Hello playground -------------------------------------------------------------------------------------

@LANG
def test_hello_keeps_the_training_and_the_generated_sample(lang):
    at = _open(HELLO, lang=lang)
    at.text_input(key="hello.text").set_value("hallo")
    at.radio(key="hello.cell").set_value("gru")
    at.slider(key="hello.hidden").set_value(8)
    at.slider(key="hello.steps").set_value(150)
    at.number_input(key="hello.seed").set_value(3)
    at.button(key="hello.train").click().run()
    at.text_input(key="hello.prime").set_value("ha")
    at.slider(key="hello.gen_n").set_value(30)
    at.slider(key="hello.temp").set_value(0.7)
    at.number_input(key="hello.gen_seed").set_value(5)
    at.button(key="FormSubmitter:hello.gen_form-" + t("hello.generate.button", lang)).click().run()
    assert at.code and at.code[0].value.startswith("ha") and len(at.code[0].value) == 32
    fresh = _round_trip(at, HELLO, {"text": "hallo", "cell": "gru", "hidden": "8", "steps": "150", "seed": "3",
                                    "prime": "ha", "gen": "30", "temp": "0.7", "gen_seed": "5"})
    assert fresh.session_state["hello.run"].cfg == at.session_state["hello.run"].cfg


def test_hello_a_new_model_drops_the_last_sample_from_the_url():
    at = _open(HELLO)
    at.button(key="FormSubmitter:hello.gen_form-Generate").click().run()
    assert at.query_params["gen"] == "20"
    at.text_input(key="hello.text").set_value("hallo")
    at.button(key="hello.train").click().run()
    assert not at.exception and not at.code and "gen" not in at.query_params and "prime" not in at.query_params
    assert at.text_input(key="hello.prime").value == "h"


# ---- Step through: every tab ------------------------------------------------------------------------------

def _step_equations(at):
    at.radio(key="step.src").set_value("korean_gru").run()
    at.text_area(key="step.text.korean_gru").set_value("오늘 날씨 어때?").run()
    at.select_slider(key="step.t").set_value(4).run()
    at.multiselect(key="step.units").set_value([3, 7, 12]).run()
    return {"src": "korean_gru", "t": "4", "units": "3,7,12", "text": "오늘 날씨 어때?"}


def _step_states(at):
    at.text_area(key="step.text.brackets_lstm").set_value("(a [b] c) ok").run()
    return {"text": "(a [b] c) ok"}


def _step_unrolled(at):
    at.radio(key="step.src").set_value("korean_gru").run()
    return {"src": "korean_gru"}


def _step_units(at):
    at.selectbox(key="step.unit").set_value(7).run()
    at.radio(key="step.state").set_value("h").run()
    at.select_slider(key="step.span").set_value((2, 9)).run()
    at.slider(key="step.thr").set_value(0.3).run()
    at.multiselect(key="step.match_units").set_value([3, 12]).run()
    at.radio(key="step.match_src").set_value("own").run()
    at.text_area(key="step.match_text").set_value('a (b) "c d" e').run()
    return {"unit": "7", "state": "h", "span": "2,9", "thr": "0.3", "match_units": "3,12", "match_src": "own",
            "match_text": 'a (b) "c d" e'}


def _step_compare(at):
    at.text_input(key="step.a.brackets_lstm").set_value("(a) ok").run()
    at.text_input(key="step.b.brackets_lstm").set_value("[a] ok").run()
    return {"a": "(a) ok", "b": "[a] ok"}


def _step_intervene(at):
    at.select_slider(key="iv.t").set_value(12).run()
    at.radio(key="iv.q").set_value("output").run()
    at.selectbox(key="iv.u").set_value("7").run()
    at.slider(key="iv.v").set_value(0.35).run()
    return {"iv_t": "12", "iv_q": "output", "iv_u": "7", "iv_v": "0.35"}


def _step_cell(at):
    at.multiselect(key="cell.units").set_value([5, 20, 44]).run()
    return {"cell_units": "5,20,44"}


STEP_TABS = {"equations": _step_equations, "states": _step_states, "unrolled": _step_unrolled, "units": _step_units,
             "compare": _step_compare, "intervene": _step_intervene, "cell": _step_cell}


@LANG
@pytest.mark.parametrize("tab", list(STEP_TABS))
def test_step_page_every_tab(tab, lang):
    at = _open(STEP, lang=lang)
    if tab != "equations":
        _switch_tab(at, "step.tab", tab, lang)
    expect = STEP_TABS[tab](at)
    fresh = _round_trip(at, STEP, {"tab": tab, **expect} if tab != "equations" else expect)
    assert fresh.session_state["step.tab_id"] == tab


def test_step_texts_of_one_model_do_not_follow_to_another():
    at = _open(STEP, tab="compare")
    _step_compare(at)
    at.radio(key="step.src").set_value("korean_gru").run()
    assert not at.exception and not [w for w in at.warning if _notice_word(w.value)]
    assert at.query_params["a"] == at.text_input(key="step.a.korean_gru").value != "(a) ok"   # the GRU's own pair


# ---- Vanishing gradients: the knobs and every tab ---------------------------------------------------------

def _knobs(at):
    at.slider(key="vg.T").set_value(60).run()
    at.select_slider(key="vg.hidden").set_value("32").run()
    at.radio(key="vg.act").set_value("relu").run()
    at.select_slider(key="vg.k").set_value("10").run()
    return {"T": "60", "hidden": "32", "act": "relu", "k": "10"}


def _grad_across(at):
    at.slider(key="vg.scale").set_value(150).run()
    at.number_input(key="vg.seed").set_value(2).run()
    return {"scale": "150", "seed": "2"}


def _grad_training(at):
    at.select_slider(key="vg.train_steps").set_value(50).run()
    at.button(key="vg.train_go").click().run()               # recorded now; the link's session gets it ready
    assert at.session_state["vg.heat"]["source"] == "trained"
    return {"train_steps": "50"}


def _grad_exploding(at):
    return {}                                                # the demo has no setting of its own


def _grad_toy(at):
    at.slider(key="vg.toy_a").set_value(0.5).run()
    at.slider(key="vg.toy_b").set_value(1.05).run()
    at.slider(key="vg.toy_c").set_value(-0.3).run()
    at.slider(key="vg.toy_T").set_value(44).run()
    at.toggle(key="vg.toy_tanh").set_value(True).run()
    return {"toy_a": "0.5", "toy_b": "1.05", "toy_c": "-0.3", "toy_T": "44", "toy_tanh": "1"}


def _grad_tasks(at):
    at.radio(key="vg.task").set_value("copy").run()
    at.select_slider(key="vg.task_T").set_value(20).run()
    at.select_slider(key="vg.task_steps").set_value(500).run()
    return {"task": "copy", "task_T": "20", "task_steps": "500"}


def _grad_sources(at):
    at.slider(key="vg.tau").set_value(17).run()
    at.radio(key="vg.attr_cell").set_value("gru").run()
    return {"tau": "17", "attr_cell": "gru"}


GRAD_TABS = {"across": _grad_across, "training": _grad_training, "exploding": _grad_exploding, "toy": _grad_toy,
             "tasks": _grad_tasks, "sources": _grad_sources}


@LANG
@pytest.mark.parametrize("tab", list(GRAD_TABS))
def test_vanishing_gradients_page_every_tab(tab, lang):
    at = _open(GRAD, lang=lang)
    if tab != "across":
        _switch_tab(at, "grad.tab", tab, lang)
    expect = _knobs(at) if tab != "training" else {}
    if tab == "training":                                    # small, so that training three cells is quick
        at.slider(key="vg.T").set_value(30).run()
        at.select_slider(key="vg.hidden").set_value("16").run()
        expect = {"T": "30", "hidden": "16"}
    expect.update(GRAD_TABS[tab](at))
    fresh = _round_trip(at, GRAD, {"tab": tab, **expect} if tab != "across" else expect)
    assert fresh.session_state["grad.tab_id"] == tab
    assert bool(fresh.get("plotly_chart")) == (tab != "tasks")     # no comparison ready for the tasks' new settings


def test_vanishing_gradients_default_tasks_show_the_ready_comparison_and_keep_it():
    """The long-range tasks at their defaults come with a ready comparison: its numbers survive the link."""
    at = _open(GRAD, tab="tasks")
    at.select_slider(key="vg.task_T").set_value(20).run()
    at.select_slider(key="vg.task_T").set_value(50).run()    # away and back: the shipped setting again
    assert at.dataframe and [c for c in at.get("plotly_chart") if "vg.task_fig" in c.proto.id]
    _round_trip(at, GRAD, {"tab": "tasks", "task_T": "50"})


# ---- Sequence-tasks lab: every task with every data choice ------------------------------------------------

LAB_CASES = [(task, data) for task in TASKS
             for data in (["upload"] if task == "mnist_rows" else DATA_CHOICES[task].choices(task))]


@LANG
@pytest.mark.parametrize("task, data", LAB_CASES, ids=[f"{a}-{b}" for a, b in LAB_CASES])
def test_lab_every_task_and_data_choice(task, data, lang):
    at = _open(LAB, lang=lang)
    if task != "mnist1d":
        at.radio(key="lab.task").set_value(task).run()       # the last task's ?data= is no bad link of this one
        assert not [w for w in at.warning if _notice_word(w.value)]
    multi = task in DATA_CHOICES and DATA_CHOICES[task].label is not None
    if multi and data != DATA_CHOICES[task].choices(task)[0]:
        at.radio(key=f"lab.data.{task}").set_value(data).run()
    expect = {"task": task}
    if task != "mnist_rows":
        expect["data"] = data
    shipped = data == BUILTIN[task][0] if task in BUILTIN else False
    if data != "upload" and not shipped:                      # another budget (nothing shipped to show)
        at.select_slider(key=f"lab.steps.{task}").set_value(300).run()
        expect["steps"] = "300"
    if shipped:                                               # a ready run (at the task's own budget): inspect it
        at.select_slider(key=f"lab.steps.{task}").set_value(DEFAULT_STEPS[task]).run()
        expect["steps"] = str(DEFAULT_STEPS[task])
        other = next(c for c in CELLS_OF[task] if c != at.radio(key="lab.cell").value)   # not the best cell
        at.radio(key="lab.cell").set_value(other).run()
        at.slider(key="lab.example").set_value(3).run()
        expect.update(cell=other, example="3")
        if task == "charlm":
            at.selectbox(key="lab.start").set_value("t").run()
            at.slider(key="lab.gen_n").set_value(40).run()
            at.slider(key="lab.temp").set_value(0.5).run()
            expect.update(start="t", gen_n="40", temp="0.5")
        assert at.get("plotly_chart") and at.dataframe
    _round_trip(at, LAB, expect)


def test_lab_a_run_trained_in_one_session_is_the_link_of_the_next():
    at = _open(LAB, task="memory")
    at.select_slider(key="lab.steps.memory").set_value(100).run()
    assert not at.get("plotly_chart")                        # nothing shipped for 100 steps
    at.button(key="lab.go").click().run()
    at.slider(key="lab.example").set_value(5).run()
    fresh = _round_trip(at, LAB, {"task": "memory", "steps": "100", "example": "5"})
    assert fresh.session_state["lab.run.ready"]["source"] == "shared"          # not trained again


# ---- crafted links: the notice names each unusable setting, never an error --------------------------------

HOSTILE = [
    (HOME, {"lang": "xx"}, ["lang = xx"]),
    (LECTURE, {"lang": "xx", "present": "maybe"}, ["lang = xx", "present = maybe"]),
    (HELLO, {"hidden": "100000", "t": "999", "gen": "0", "temp": "nan", "gen_seed": "x", "device": "tpu"},
     ["hidden = 100000", "t = 999", "gen = 0", "temp = nan", "gen&#95;seed = x", "device = tpu"]),
    (STEP, {"t": "999", "units": "1,999", "tab": "nope"}, ["t = 999", "units = 1&#44;999", "tab = nope"]),
    (STEP, {"tab": "units", "unit": "-1", "state": "q", "span": "9,2", "thr": "x"},
     ["unit = &#45;1", "state = q", "span = 9&#44;2", "thr = x"]),
    (STEP, {"tab": "compare", "src": "../../etc"}, ["src = &#46;&#46;&#47;&#46;&#46;&#47;etc"]),
    (GRAD, {"tab": "toy", "toy_a": "abc", "toy_T": "1000", "toy_tanh": "maybe", "hidden": "100000"},
     ["toy&#95;a = abc", "toy&#95;T = 1000", "toy&#95;tanh = maybe", "hidden = 100000"]),
    (GRAD, {"tab": "tasks", "task": "../../etc", "task_T": "7", "task_steps": "1e9"},
     ["task = &#46;&#46;&#47;&#46;&#46;&#47;etc", "task&#95;T = 7", "task&#95;steps = 1e9"]),
    (GRAD, {"tab": "training", "train_steps": "3"}, ["train&#95;steps = 3"]),
    (LAB, {"task": "../../etc"}, ["task = &#46;&#46;&#47;&#46;&#46;&#47;etc"]),
    (LAB, {"task": "seq2seq", "data": "zzz", "cell": "transformer", "example": "99999"},
     ["data = zzz", "cell = transformer", "example = 99999"]),
    (LAB, {"task": "charlm", "start": "€€", "gen_n": "-3", "temp": "inf"}, ["start = €€", "gen&#95;n = &#45;3",
                                                                              "temp = inf"]),
]


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("page, query, shown", HOSTILE, ids=[f"{p or 'home'}:{','.join(q)}" for p, q, _ in HOSTILE])
def test_a_crafted_link_gets_one_notice_naming_its_settings(page, query, shown, lang):
    query = {"lang": lang, **query}
    at = _open(page, **query)
    assert not at.exception, at.exception
    notices = [w.value for w in at.warning if _notice_word(w.value)]
    assert len(notices) == 1, [w.value for w in at.warning]
    for s in shown:
        assert s in notices[0], (s, notices[0])
    at.run()                                                  # the page rewrote the URL: the next run is clean
    assert not at.exception and not [w for w in at.warning if _notice_word(w.value)]
