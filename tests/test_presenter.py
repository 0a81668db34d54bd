"""AppTest of issue #13's presenter keys and view: the Step page's cursor has keyboard shortcuts (J / L a step
back / on, K play / pause) named on screen in the user's language; playing moves the cursor on once a second to
the last step; ?present=1 folds every page's settings into one closed expander, so the figure comes first."""
from __future__ import annotations

import re
import time

import pytest

from rnnviz.i18n import t
from tests.apptest import open_page

STEP = "pages/2_Step_Through.py"


def _step(at) -> int:
    """The step the Equations tab shows now (its line "… equations at step t = N (input …)")."""
    (m,) = [int(x) for md in at.markdown for x in re.findall(r"equations at step t = (\d+) ", md.value)]
    return m


def _captions(at) -> list[str]:
    return [c.value for c in at.caption]


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_the_step_buttons_have_keys_named_on_screen(lang):
    at = open_page(STEP, timeout=120, **({"lang": lang} if lang != "en" else {}))
    assert not at.exception
    keys = {b.key: b.proto.shortcut for b in at.button if b.key in ("step.prev", "step.next", "step.play")}
    assert keys == {"step.prev": "j", "step.next": "l", "step.play": "k"}       # Streamlit's own shortcut field
    assert t("step.keys", lang) in _captions(at)
    assert "**J**" in t("step.keys", lang) and "**K**" in t("step.keys", lang) and "**L**" in t("step.keys", lang)


def test_next_and_previous_move_the_step_and_the_url():
    at = open_page(STEP, timeout=120, t="4")
    assert at.session_state["step.t"] == 4 and _step(at) == 4
    at.button(key="step.next").click().run()
    assert at.session_state["step.t"] == 5 and _step(at) == 5 and at.query_params["t"] == "5"
    at.button(key="step.prev").click().run()
    at.button(key="step.prev").click().run()
    assert at.session_state["step.t"] == 3 and _step(at) == 3 and at.query_params["t"] == "3"


def test_play_moves_on_once_a_second_and_pause_stops():
    at = open_page(STEP, timeout=120)
    assert _step(at) == 1 and at.button(key="step.play").label == t("step.play", "en")
    at.button(key="step.play").click().run()
    assert not at.exception and at.session_state["step.playing"]
    assert _step(at) == 2                                    # the first step at once
    assert at.button(key="step.play").label == t("step.pause", "en")
    at.run()                                                 # a run sooner than a second later: no step
    assert _step(at) == 2
    time.sleep(0.85)
    at.run()                                                 # as the fragment's timer runs it
    assert _step(at) == 3 and at.query_params["t"] == "3"
    at.button(key="step.play").click().run()                 # pause
    assert not at.session_state["step.playing"] and _step(at) == 3
    time.sleep(0.85)
    at.run()
    assert _step(at) == 3 and at.button(key="step.play").label == t("step.play", "en")


def test_play_stops_at_the_last_step_and_plays_again_from_the_first():
    at = open_page(STEP, timeout=120)
    T = len(at.select_slider(key="step.t").options)
    at.select_slider(key="step.t").set_value(T - 1).run()
    at.button(key="step.play").click().run()
    assert not at.exception and _step(at) == T and not at.session_state["step.playing"]   # the end: stopped
    at.button(key="step.play").click().run()                 # at the end, play starts over
    assert at.session_state["step.playing"] and _step(at) == 1
    at.button(key="step.play").click().run()
    assert not at.session_state["step.playing"]


PAGES = {  # page: (widget kind, key) of one of its settings
    "pages/1_Hello_Playground.py": ("text_input", "hello.text"),
    STEP: ("radio", "step.src"),
    "pages/3_Vanishing_Gradients.py": ("slider", "vg.T"),
    "pages/4_Sequence_Tasks.py": ("radio", "lab.task"),
}


def _settings(at, lang: str) -> list:
    return [e for e in at.expander if e.label == t("ui.controls", lang)]


@pytest.mark.parametrize("page", list(PAGES))
@pytest.mark.parametrize("lang", ["en", "ko"])
def test_the_presenter_view_folds_the_settings_away(page, lang):
    kind, key = PAGES[page]
    query = {"lang": lang} if lang != "en" else {}
    at = open_page(page, timeout=120, present="1", **query)
    assert not at.exception
    (box,) = _settings(at, lang)
    assert box.proto.expanded is False                                    # closed: the figure comes first
    assert key in [w.key for w in box.get(kind)]                           # the page's settings are inside
    assert at.get(kind) and any(w.key == key for w in at.get(kind))        # and found by key as before

    plain = open_page(page, timeout=120, **query)
    assert not plain.exception and not _settings(plain, lang)              # no fold outside the presenter view
    assert any(w.key == key for w in plain.get(kind))


def test_the_step_pages_file_upload_is_no_expander_inside_the_folded_settings():
    at = open_page(STEP, timeout=120, present="1")
    assert not at.exception and [e.label for e in at.expander] == [t("ui.controls", "en")]
    (box,) = _settings(at, "en")
    assert any(w.proto.id.endswith("step.upload") or "step.upload" in w.proto.id for w in box.get("file_uploader"))
    assert t("step.load", "en") in " ".join(c.value for c in box.get("caption"))
    plain = open_page(STEP, timeout=120)
    assert [e.label for e in plain.expander] == [t("step.load", "en")]
