"""Lectures: the TOML files, their validation, and scenes opening pages with their settings (AppTest)."""
from __future__ import annotations

import pytest

from rnnviz.app import lab, playground, vanishing
from rnnviz.app.lectures import PAGE_PARAMS, LectureError, lectures, parse_lecture
from rnnviz.app.presets import PRESETS
from rnnviz.i18n import LANGS
from tests.apptest import open_page

GOOD = '''
id = "t1"
title = { en = "A", ko = "가" }
[[scenes]]
page = "hello"
params = { text = "hello", cell = "gru", hidden = 8 }
title = { en = "One", ko = "하나" }
points = { en = ["p"], ko = ["ㅍ"] }
[[scenes]]
page = "grad"
params = { tab = "exploding" }
title = { en = "Two", ko = "둘" }
points = { en = ["q", "r"], ko = ["ㅋ", "ㄹ"] }
question = { text = { en = "Q?", ko = "질문?" }, choices = { en = ["a", "b"], ko = ["ㄱ", "ㄴ"] }, answer = 1, explain = { en = "E", ko = "ㅇ" } }
'''


def test_the_shipped_lecture_follows_the_notes_and_every_scene_is_valid():
    lec = lectures()["rnn-intro"]
    assert len(lec.scenes) == 15 and set(lec.title) == set(LANGS)
    assert [s.page for s in lec.scenes][:3] == ["lab", "hello", "hello"]
    assert sum(s.question is not None for s in lec.scenes) >= 4
    assert lec.scene(3).params == {"text": "hello", "cell": "lstm", "t": "3"}
    with pytest.raises(LectureError, match="scenes 1 to 15"):
        lec.scene(16)


def test_a_lecture_parses_into_scenes_with_string_params():
    lec = parse_lecture(GOOD)
    assert lec.id == "t1" and lec.scene(1).params == {"text": "hello", "cell": "gru", "hidden": "8"}
    q = lec.scene(2).question
    assert q.answer == 1 and q.choices["ko"] == ("ㄱ", "ㄴ") and lec.scene(2).points["en"] == ("q", "r")


@pytest.mark.parametrize("old, new, where", [
    ('page = "grad"', 'page = "nope"', "scene 2, page"),                          # unknown page
    ('tab = "exploding"', 'tabb = "exploding"', "scene 2, params.tabb"),          # unknown parameter
    ('hidden = 8', 'hidden = 999', "scene 1, params.hidden"),                     # out of range
    ('cell = "gru"', 'cell = "transformer"', "scene 1, params.cell"),             # not a choice
    ('title = { en = "Two", ko = "둘" }', 'title = { en = "Two" }', "scene 2, title"),   # a translation missing
    ('answer = 1', 'answer = 2', "scene 2, question.answer"),                     # no such choice
    ('points = { en = ["q", "r"], ko = ["ㅋ", "ㄹ"] }', 'points = { en = ["q", "r"], ko = ["ㅋ"] }', "scene 2, points"),
    ('id = "t1"', 'id = "t 1!"', "id"),
])
def test_a_broken_lecture_says_which_scene_and_field(old, new, where):
    assert old in GOOD
    with pytest.raises(LectureError) as info:
        parse_lecture(GOOD.replace(old, new), "x.toml")
    assert f"x.toml, {where}" in str(info.value) and info.value.code == "invalid"


def test_not_toml_and_too_large_are_clear_errors():
    with pytest.raises(LectureError, match="not valid TOML"):
        parse_lecture("id = ", "x.toml")
    with pytest.raises(LectureError, match="at most"):
        parse_lecture("#" * 300_000, "x.toml")


def test_the_lecture_parameters_are_the_pages_own():
    """PAGE_PARAMS (what a scene may set) names the pages' URL settings with the pages' own bounds."""
    hello = PAGE_PARAMS["hello"]
    assert hello["hidden"][1:] == playground.HIDDEN_CHOICES and hello["steps"][1:] == playground.STEPS_RANGE
    assert hello["seed"][1:] == playground.SEED_RANGE and set(hello["lr"][1]) == {str(v) for v in playground.LR_CHOICES}
    grad = PAGE_PARAMS["grad"]
    for name, (default, allowed) in vanishing.KNOBS.items():
        assert (grad[name][1:] == tuple(allowed)) if isinstance(default, int) else (grad[name][1] == tuple(allowed))
    assert set(PAGE_PARAMS["lab"]["task"][1]) == set(lab.TASKS)
    assert set(PRESETS) < set(PAGE_PARAMS["step"]["src"][1])


def test_the_lecture_page_lists_every_scene_with_its_link():
    at = open_page("pages/5_Lecture.py")
    assert not at.exception
    links = {p.label: p for p in (e.proto for e in at.get("page_link"))}
    third = links["3. Hello, trained and stepped through — Hello playground · question"]
    assert (third.page, third.query_string) == ("Hello_Playground", "text=hello&cell=lstm&t=3&lecture=rnn-intro&scene=3")
    assert sum(label[:1].isdigit() for label in links) == 15
    present = links["Present (projector view, with talking points)"]
    assert present.page == "Sequence_Tasks" and present.query_string.endswith("scene=1&present=1")


def test_a_scene_link_opens_its_page_with_its_settings_and_next_moves_on():
    at = open_page(None, timeout=120, lecture="rnn-intro", scene="7")   # from the home page
    assert not at.exception
    assert at.session_state["vg.k"] == "20" and at.session_state["grad.tab_id"] == "across"
    assert "scene 7 of 15" in " ".join(m.value for m in at.markdown)
    at.button(key="scene.next").click().run()                          # scene 8: the same page, other settings
    assert not at.exception
    assert at.query_params["scene"] in ("8", ["8"]) and "scene 8 of 15" in " ".join(m.value for m in at.markdown)
    assert not at.get("plotly_chart")                                   # predict before you look ...
    at.radio(key="_answer.rnn-intro:8").set_value(1).run()
    assert any("✓ Right" in m.value for m in at.markdown) and at.get("plotly_chart")   # ... then the figures
    assert at.session_state["vg.k"] == "off"                           # the scene's own settings, not scene 7's


def test_a_bad_lecture_or_scene_in_a_link_is_a_notice_not_an_error():
    at = open_page("pages/1_Hello_Playground.py", lecture="nope", scene="2")
    assert not at.exception and "There is no lecture" in at.warning[0].value
    at = open_page("pages/5_Lecture.py", timeout=120, lecture="rnn-intro", scene="99")
    assert not at.exception and any("scenes 1 to 15" in w.value for w in at.warning)


def test_a_question_holds_the_page_back_and_the_scene_trains_its_settings_when_shown():
    at = open_page("pages/1_Hello_Playground.py", text="abcabd", cell="rnn")
    run = at.session_state["hello.run"]
    at.query_params.update(lecture="rnn-intro", scene="3")             # the same session enters scene 3
    at.run()
    assert not at.exception and not at.get("plotly_chart")             # predict first: no figure yet
    assert at.session_state["hello.run"] is run
    at.radio(key="_answer.rnn-intro:3").set_value(0).run()
    run = at.session_state["hello.run"]
    assert not at.exception and (run.cfg.text, run.cfg.cell) == ("hello", "lstm") and at.get("plotly_chart")


def test_a_class_answers_live_and_the_presenter_reveals(tmp_path, monkeypatch):
    """The presenter starts a class session (its code goes into the URL and the student link), a student's
    answer reaches the presenter's tally, and the reveal reaches the student."""
    monkeypatch.setenv("RNNVIZ_CLASS_DB", str(tmp_path / "class.sqlite3"))
    hello = "pages/1_Hello_Playground.py"
    scene = dict(text="hello", cell="lstm", t="3", lecture="rnn-intro", scene="3")
    presenter = open_page(hello, timeout=120, present="1", **scene)
    presenter.button(key="scene.start_class").click().run()
    assert not presenter.exception
    code = presenter.query_params["class"]
    code = code[0] if isinstance(code, list) else code
    assert any(f"class={code}" in c.value for c in presenter.code)                 # the student link carries it
    student = open_page(hello, timeout=120, **{**scene, "class": code})
    student.radio(key="_class_answer.rnn-intro:3").set_value(0).run()
    assert not student.exception and any("Answer sent" in c.value for c in student.caption)
    assert not any("Right" in m.value for m in student.markdown)                    # not revealed yet
    assert not student.get("plotly_chart")                                          # held back until the reveal
    presenter.run()
    bars = [p.proto.text for p in presenter.get("progress")]
    assert "l: 1" in bars and "o: 0" in bars and not presenter.get("plotly_chart")
    presenter.button(key="_reveal.rnn-intro:3").click().run()
    assert presenter.get("plotly_chart")                                            # the figure, for everyone
    student.run()
    assert any("✓ Right: l." in m.value for m in student.markdown) and student.get("plotly_chart")


def test_a_foreign_class_code_is_a_notice_and_the_question_still_works(tmp_path, monkeypatch):
    monkeypatch.setenv("RNNVIZ_CLASS_DB", str(tmp_path / "class.sqlite3"))
    at = open_page("pages/1_Hello_Playground.py", timeout=120, lecture="rnn-intro", scene="3", **{"class": "ZZZZZZ"})
    assert not at.exception and any("no class session ZZZZZZ" in w.value for w in at.warning)
    at.radio(key="_answer.rnn-intro:3").set_value(1).run()
    assert any("✗ Not quite" in m.value for m in at.markdown)
    at = open_page("pages/1_Hello_Playground.py", timeout=120, lecture="rnn-intro", scene="3", **{"class": "<b>x"})
    assert not at.exception and any("6 letters and digits" in w.value for w in at.warning)


def test_the_student_link_names_an_address_the_hall_can_reach():
    from rnnviz.app.lectures import student_base
    lan = lambda: "10.1.2.3"                                                      # noqa: E731
    assert student_base("http://10.0.0.5:8501/Hello_Playground?x=1", lan_ip=lan) == ("http://10.0.0.5:8501", True)
    assert student_base("https://rnnviz.example.org/Lecture", lan_ip=lan) == ("https://rnnviz.example.org", True)
    # the presenter opened it as localhost: the machine's network address, when the server listens on it
    assert student_base("http://localhost:8501/", lan_ip=lan) == ("http://10.1.2.3:8501", True)
    assert student_base("http://127.0.0.1:8501/", lan_ip=lan) == ("http://10.1.2.3:8501", True)
    assert student_base("http://[::1]:8501/", lan_ip=lan) == ("http://10.1.2.3:8501", True)
    # a server bound to loopback only, or no network: the link is kept and marked unreachable
    assert student_base("http://localhost:8501/", listens_on_all=False, lan_ip=lan) == ("http://localhost:8501", False)
    assert student_base("http://localhost:8501/", lan_ip=lambda: None) == ("http://localhost:8501", False)
    # RNNVIZ_PUBLIC_URL wins (a proxy, a name), trailing slash dropped; a malformed one is ignored
    assert student_base("http://localhost:8501/", "https://class.example.org/rnn/", lan_ip=lan) == \
        ("https://class.example.org/rnn", True)
    assert student_base("http://10.0.0.5:8501/", "javascript:alert(1)", lan_ip=lan) == ("http://10.0.0.5:8501", True)
    assert student_base("", lan_ip=lan) == ("", False)


def test_lan_address_is_an_address_or_none():
    from rnnviz.app.lectures import lan_address
    ip = lan_address()
    assert ip is None or (ip.count(".") == 3 and not ip.startswith("127."))


# What a scene cleared on entry before its keys were registered by the pages themselves (a hand-kept list):
# every one of them must be registered once its page (tab, task) has run, or a scene would keep a stale setting.
_KEPT_BY_HAND = {
    "hello": ("hello.show_cell", "hello.text", "hello.cell", "hello.hidden", "hello.lr", "hello.steps", "hello.seed",
              "hello.prime", "hello.gen_n", "hello.temp", "hello.gen_seed"),
    "step": ("step.src", "step.t", "step.tab", "step.tab_id", "step.text.brackets_lstm", "step.units", "step.unit",
             "step.state", "step.span", "step.thr", "step.a.brackets_lstm", "step.b.brackets_lstm", "iv.t", "iv.q", "iv.u",
             "iv.v", "cell.units", "step.match_units", "step.match_src", "step.match_text"),
    "grad": ("vg.T", "vg.hidden", "vg.seed", "vg.loss", "vg.scale", "vg.init", "vg.act", "vg.fb", "vg.k", "grad.tab",
             "grad.tab_id", "vg.train_steps", "vg.toy_a", "vg.toy_b", "vg.toy_c", "vg.toy_T", "vg.toy_tanh", "vg.task",
             "vg.task_T", "vg.task_steps", "vg.tau", "vg.attr_cell", "vg.src_step"),
    "lab": ("lab.task", "lab.steps.mnist1d", "lab.data.timeseries", "lab.cell", "lab.example", "lab.start", "lab.gen_n",
            "lab.temp", "lab.gen_steps"),
}


@pytest.mark.slow
def test_a_scene_clears_every_setting_its_page_binds_to_the_url():
    import lecture_ui
    import ui
    ui.URL_KEYS.clear()
    visits = [("pages/1_Hello_Playground.py", {"gen": "5"}),
              *[("pages/2_Step_Through.py", {"tab": tab}) for tab in ("equations", "states", "unrolled", "units",
                                                                     "compare", "intervene", "cell")],
              *[("pages/3_Vanishing_Gradients.py", {"tab": tab}) for tab in ("across", "training", "exploding", "toy", "tasks", "sources")],
              ("pages/4_Sequence_Tasks.py", {"task": "mnist1d"}), ("pages/4_Sequence_Tasks.py", {"task": "charlm"}),
              ("pages/4_Sequence_Tasks.py", {"task": "timeseries"})]
    for page, query in visits:
        assert not open_page(page, timeout=180, **query).exception, (page, query)
    for page, keys in _KEPT_BY_HAND.items():
        missing = set(keys) - lecture_ui.scene_keys(page)
        assert not missing, f"{page}: a scene would not clear {sorted(missing)}"
    assert "step.playing" in lecture_ui.scene_keys("step")
    assert not lecture_ui.scene_keys("hello") & lecture_ui.scene_keys("step")     # each page its own keys
