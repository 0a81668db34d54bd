"""rnnviz.app.stepthrough: the data behind the step-through page (no Streamlit)."""
from __future__ import annotations

import numpy as np
import pytest

import rnnviz
from rnnviz.app.playground import PlaygroundConfig, run_playground
from rnnviz.app.presets import PRESETS, SAMPLE_TEXTS, load_preset
from rnnviz.app.stepthrough import (MAX_STEP_TEXT, PAIRS, StepSource, StepView, UnknownCharsError, compare_inputs,
                                    prepare_view, source_from_preset)
from rnnviz.data import preset_corpora as corpus
from rnnviz.tracing import analysis as A
from tests.apptest import plotly_array

KO_A, KO_B = PAIRS["ko"]


@pytest.fixture(scope="module")
def hello_run():
    return run_playground(PlaygroundConfig())          # "hello", LSTM, 16 units, 150 steps (~0.3 s)


@pytest.fixture(scope="module")
def sources(hello_run) -> dict[str, StepSource]:
    out = {name: source_from_preset(name) for name in PRESETS}
    out["hello"] = StepSource("hello", hello_run.model, hello_run.vocab, hello_run.cfg.text, {}, [])
    return out


SOURCE_NAMES = ["brackets_lstm", "korean_gru", "hello"]


# ---- prepare_view: the trace is the model's own -------------------------------------------------------

@pytest.mark.parametrize("name", SOURCE_NAMES)
def test_view_trace_is_a_direct_trace_of_the_text(sources, name):
    src = sources[name]
    view = prepare_view(src, src.text)
    assert isinstance(view, StepView)
    ids = src.vocab.encode(src.text)
    direct = rnnviz.trace(src.model, ids[:-1], ids[1:])
    tr = view.trace
    assert tr.cell_type == src.model.cfg.cell and tr.T == len(src.text) - 1
    np.testing.assert_array_equal(tr.x, ids[:-1].numpy())
    np.testing.assert_array_equal(tr.targets, ids[1:].numpy())
    np.testing.assert_allclose(tr.hidden, direct.hidden, atol=1e-6)
    np.testing.assert_allclose(tr.logits, direct.logits, atol=1e-5)
    for g in rnnviz.GATES[tr.cell_type]:
        np.testing.assert_allclose(tr.gates[g], direct.gates[g], atol=1e-6)
    if tr.cell is not None:
        np.testing.assert_allclose(tr.cell, direct.cell, atol=1e-6)
    np.testing.assert_allclose(tr.grad_hidden, direct.grad_hidden, rtol=1e-5, atol=1e-9)
    assert tr.loss == pytest.approx(direct.loss, rel=1e-6)
    assert view.chars == list(src.text[:-1])
    assert view.vocab_chars == src.vocab.chars
    assert view.model is src.model
    coords, explained = view.pca
    assert coords.shape == (tr.T, 2) and explained.shape == (2,)


def test_hello_view_matches_the_playground_trace(sources, hello_run):
    """The session's own model stepped through its own training text: the numbers of the Hello page."""
    view = prepare_view(sources["hello"], "hello")
    np.testing.assert_allclose(view.trace.hidden, hello_run.trace.hidden, atol=1e-6)
    np.testing.assert_allclose(view.trace.gates["forget"], hello_run.trace.gates["forget"], atol=1e-6)
    assert view.chars == hello_run.input_chars == ["h", "e", "l", "l"]


@pytest.mark.parametrize("name, text, missing", [
    ("hello", "hello world!", " !drw"),
    ("korean_gru", "오늘 주가가 어때? ok", "ko"),
    ("brackets_lstm", "set x (가) ~", "~가"),
])
def test_unknown_characters_are_listed(sources, name, text, missing):
    with pytest.raises(UnknownCharsError) as e:
        prepare_view(sources[name], text)
    assert e.value.missing == missing                     # sorted, each once
    assert isinstance(e.value, ValueError)
    assert repr(missing) in str(e.value)


@pytest.mark.parametrize("text", ["", "h", "\x00h\x01", "\r"], ids=["empty", "one", "control", "cr"])
def test_too_short_texts_are_refused(sources, text):
    with pytest.raises(ValueError, match="at least 2 characters"):
        prepare_view(sources["hello"], text)


def test_text_length_limit(sources):
    src = sources["hello"]
    view = prepare_view(src, "hel" * (MAX_STEP_TEXT // 3))     # exactly the limit
    assert view.trace.T == MAX_STEP_TEXT - 1
    with pytest.raises(ValueError, match=f"limit here is {MAX_STEP_TEXT}"):
        prepare_view(src, "h" * (MAX_STEP_TEXT + 1))


def test_text_is_cleaned_before_tracing(sources):
    """Windows newlines fold and NFD Hangul (jamo) becomes syllables, so it is not reported as unknown."""
    import unicodedata
    src = sources["korean_gru"]
    view = prepare_view(src, unicodedata.normalize("NFD", KO_A) + "\r\n" + KO_B)
    assert "".join(view.chars) == (KO_A + "\n" + KO_B)[:-1]


# ---- two inputs side by side ------------------------------------------------------------------------------

def test_korean_pair_differs_from_the_first_character(sources):
    src = sources["korean_gru"]
    assert src.pair == (KO_A, KO_B)
    cmp = compare_inputs(src, KO_A, KO_B)
    n = len(KO_A)
    assert cmp["from_start"].shape == cmp["from_end"].shape == (n,)
    assert (cmp["from_start"] > 0).all()                  # they differ at the first character: apart at every step
    assert (cmp["from_end"] > 0).all()
    assert cmp["from_start"][0] > cmp["from_start"][-1]   # ... and the difference fades as the same words follow
    d = A.state_difference(rnnviz.trace(src.model, src.vocab.encode(KO_A)), rnnviz.trace(src.model, src.vocab.encode(KO_B)))
    np.testing.assert_allclose(cmp["from_start"], d["start"])
    np.testing.assert_allclose(cmp["from_end"], d["end"])
    assert cmp["trace_a"].T == cmp["trace_b"].T == n      # the whole input is read (no target shift)


def test_difference_is_zero_until_the_first_differing_character(sources):
    src = sources["korean_gru"]
    a, b = "오늘 주가가 어때?", "오늘 날씨가 어때?"        # the same first 3 characters
    cmp = compare_inputs(src, a, b)
    np.testing.assert_array_equal(cmp["from_start"][:3], 0.0)
    assert (cmp["from_start"][3:] > 0).all()


@pytest.mark.parametrize("name", SOURCE_NAMES)
def test_identical_inputs_do_not_differ(sources, name):
    src = sources[name]
    a = src.text[:20]
    cmp = compare_inputs(src, a, a)
    np.testing.assert_array_equal(cmp["from_start"], 0.0)
    np.testing.assert_array_equal(cmp["from_end"], 0.0)


def test_hello_vs_ohell_on_the_hello_model(sources):
    src = sources["hello"]
    assert src.pair == ("hello", "ohell")
    cmp = compare_inputs(src, "hello", "ohell")
    assert cmp["from_start"].shape == (5,) and (cmp["from_start"] > 0).all()
    assert (cmp["from_end"] > 0).all()


def test_inputs_of_different_lengths_align_at_both_ends(sources):
    src = sources["korean_gru"]
    a, b = "오늘 주가가 어때?", "주가가 어때?"
    cmp = compare_inputs(src, a, b)
    assert len(cmp["from_start"]) == len(cmp["from_end"]) == len(b)
    assert cmp["from_end"][-1] < cmp["from_start"][-1]    # the same ending read last: closer from the end


def test_compare_checks_both_inputs(sources):
    src = sources["hello"]
    with pytest.raises(UnknownCharsError) as e:
        compare_inputs(src, "hello", "help!")
    assert e.value.missing == "!p"
    with pytest.raises(ValueError, match="at least 2"):
        compare_inputs(src, "h", "hello")


# ---- defaults: the pair, the search span, the noted units ----------------------------------------------

def test_pair_falls_back_to_the_source_text():
    run = run_playground(PlaygroundConfig(text="abcabd", hidden=4, steps=10))
    src = StepSource("hello", run.model, run.vocab, "abcabd", {}, [])
    assert src.pair == ("abcabd", "dbacba")                # neither lecture pair fits the vocabulary
    long = StepSource("hello", run.model, run.vocab, "abcabdabcabdabc", {}, [])
    assert long.pair == ("abcabdabcabd", "dbacbadbacba")   # the first 12 characters, and reversed
    cmp = compare_inputs(long, *long.pair)                 # the fallback is always usable
    assert (cmp["from_start"] > 0).any()


@pytest.mark.parametrize("name", SOURCE_NAMES)
def test_pair_is_in_the_vocabulary(sources, name):
    src = sources[name]
    a, b = src.pair
    assert set(a + b) <= set(src.vocab.chars)
    compare_inputs(src, a, b)


def test_brackets_pair_is_the_english_lecture_pair(sources):
    assert sources["brackets_lstm"].pair == PAIRS["en"]     # h, e, l, o are in its vocabulary


def test_default_span_is_in_range_and_middle_third_without_quotes(sources):
    view = prepare_view(sources["hello"], "hellohello")    # T = 9: steps 3 .. 6
    assert view.default_span == (3, 6)
    view = prepare_view(sources["hello"], "hello")
    lo, hi = view.default_span
    assert 1 <= lo <= hi <= view.trace.T


def test_default_span_is_the_first_quoted_span(sources):
    """The brackets sample 'set x (a [big (cat)] dog) "go home" now ...': the span covers the states inside
    the first quotes, by the same convention as the preset's ground truth (corpus.inside_quotes: the state
    after reading the opening quote is inside, after the closing quote is outside)."""
    src = sources["brackets_lstm"]
    view = prepare_view(src, src.text)
    lo, hi = view.default_span
    inside = corpus.inside_quotes(src.text[:-1])            # per step t = 1 .. T (the state after reading char t)
    quoted = "".join(view.chars[lo - 1:hi])
    assert "go home" in quoted                             # the first quoted phrase ...
    assert inside[lo - 1:hi].all(), f"span {lo}..{hi} reads {quoted!r}"   # ... and no step outside the quotes


def test_default_span_covers_the_first_quoted_phrase(sources):
    """The first quoted phrase (not the second one, not the middle third)."""
    src = sources["brackets_lstm"]
    view = prepare_view(src, src.text)
    lo, hi = view.default_span
    quoted = "".join(view.chars[lo - 1:hi])
    assert quoted == "\"go home"
    assert "hi there" not in quoted and "come back" not in quoted


def test_preset_notes_are_one_per_signal_strongest_first():
    for name in PRESETS:
        src = source_from_preset(name)
        raw = load_preset(name).unit_notes
        tracks = [n.tracks for n in src.unit_notes]
        assert len(tracks) == len(set(tracks)) == len({n.tracks for n in raw})
        for note in src.unit_notes:                        # the strongest |r| of its signal
            assert abs(note.r) == max(abs(n.r) for n in raw if n.tracks == note.tracks)
        rs = [abs(n.r) for n in src.unit_notes]
        assert rs == sorted(rs, reverse=True)
    brackets = source_from_preset("brackets_lstm")
    assert [(n.unit, n.state, n.tracks) for n in brackets.unit_notes] == [(44, "c", "bracket_depth"),
                                                                          (38, "h", "inside_quotes")]
    view = prepare_view(brackets, brackets.text)
    assert view.noted_units == [44, 38]
    assert source_from_preset("korean_gru").unit_notes == []


def test_preset_sources_are_fresh_and_bounded():
    a, b = source_from_preset("korean_gru"), source_from_preset("korean_gru")
    assert a.model is not b.model                          # a page may change one freely
    assert a.text == SAMPLE_TEXTS["korean_gru"] and a.name == "korean_gru"
    with pytest.raises(ValueError, match="unknown preset"):
        source_from_preset("nope")


# ---- the view's figures ---------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["brackets_lstm", "korean_gru"])
def test_figures_build_and_are_memoised_per_language(sources, name):
    src = sources[name]
    view = prepare_view(src, src.text)
    tr = view.trace
    for fig_name in ("timeline", "sat", "unrolled"):
        en = view.figure(fig_name, "en")
        assert view.figure(fig_name, "en") is en           # built once
        ko = view.figure(fig_name, "ko")
        assert ko is not en and view.figure(fig_name, "ko") is ko
    timeline = view.figure("timeline", "en")
    assert len(timeline.frames) == tr.T
    np.testing.assert_allclose(plotly_array(timeline.data[0].z), tr.hidden.T, atol=1e-6)   # a preset's figure is a
    # copy of the server's: its arrays are the typed arrays the browser gets ({"dtype": "f4", "bdata": …})
    assert timeline.layout.title.text.startswith(f"t = 1: read <b>{view.chars[0]}</b>")
    assert view.figure("timeline", "ko").layout.annotations[0].text == "은닉 상태 h"
    assert not [d for d in timeline.data if d.type == "bar"]      # the vectors at a step live in the equations tab
    assert len(timeline.layout.images) == 1 and not timeline.layout.shapes    # the cursor: one image, moved by x
    sat = view.figure("sat", "en")
    symbol = {"input": "i", "forget": "f", "output": "o", "reset": "r", "update": "z"}
    assert [d.name for d in sat.data] == [f"{g} gate {symbol[g]}" for g in view.saturation]
    for d, s in zip(sat.data, view.saturation.values()):
        np.testing.assert_allclose(plotly_array(d.x), s["left"], atol=1e-6)
        np.testing.assert_allclose(plotly_array(d.y), s["right"], atol=1e-6)
    unrolled = view.figure("unrolled", "en")
    texts = " ".join(a.text for a in unrolled.layout.annotations)
    assert {"lstm": "LSTM", "gru": "GRU"}[tr.cell_type] in texts
    with pytest.raises(KeyError):
        view.figure("nope", "en")


def test_preset_figures_are_built_once_per_server_and_each_caller_gets_a_copy(sources, monkeypatch):
    from rnnviz.app import stepthrough as stepthrough
    builds = []
    real = stepthrough.timeline_figure
    monkeypatch.setattr(stepthrough, "timeline_figure", lambda *a, **k: builds.append(a[3]) or real(*a, **k))
    text = SAMPLE_TEXTS["korean_gru"]
    mine = prepare_view(source_from_preset("korean_gru"), text)
    theirs = prepare_view(source_from_preset("korean_gru"), text)          # another session, the same preset
    assert mine.shared_key == theirs.shared_key == ("korean_gru", text)
    a, b = mine.figure("timeline", "en"), theirs.figure("timeline", "en")
    assert builds == ["en"] and a is not b and a.to_json() == b.to_json()
    a.update_layout(title_text="changed by one session")                 # one session's copy changes ...
    later = prepare_view(source_from_preset("korean_gru"), text).figure("timeline", "en")
    assert later.layout.title.text == b.layout.title.text != "changed by one session"   # ... no one else's
    theirs.figure("timeline", "ko")                                        # another language: built once more
    prepare_view(source_from_preset("korean_gru"), "오늘 주가가 어때?").figure("timeline", "en")   # another text
    assert builds == ["en", "ko", "en"]
    hello = prepare_view(sources["hello"], "hello")                        # a session's own model: never shared
    assert hello.shared_key is None
    hello.figure("timeline", "en")
    prepare_view(sources["hello"], "hello").figure("timeline", "en")
    assert len(builds) == 5


def test_shared_preset_figures_are_bounded(monkeypatch):
    from rnnviz.app import cache
    from rnnviz.app.cache import SharedCache
    monkeypatch.setattr(cache, "_shared_figs", SharedCache(2))   # a server that keeps 2 figures
    for text in ["오늘 주가", "어제 주가", "오늘 어때"]:
        prepare_view(source_from_preset("korean_gru"), text).figure("sat", "en")
    assert len(cache._shared_figs) == 2
    assert ("korean_gru", "오늘 주가", "sat", "en") not in cache._shared_figs   # the oldest was dropped


def test_rnn_view_has_no_saturation():
    run = run_playground(PlaygroundConfig(cell="rnn", hidden=8, steps=30))
    view = prepare_view(StepSource("hello", run.model, run.vocab, "hello", {}, []), "hello")
    assert view.saturation == {}
    assert len(view.figure("sat", "en").data) == 0
    assert len(view.figure("timeline", "en").frames) == 4


def test_saturation_shares_are_fractions(sources):
    view = prepare_view(sources["brackets_lstm"], sources["brackets_lstm"].text)
    assert list(view.saturation) == ["input", "forget", "output"]
    for s in view.saturation.values():
        assert s["left"].shape == s["right"].shape == (64,)
        assert 0.0 <= s["left_share"] <= 1.0 and 0.0 <= s["right_share"] <= 1.0
        assert s["left_share"] == pytest.approx(s["left"].mean())
        assert ((s["left"] + s["right"]) <= 1.0 + 1e-9).all()


def test_trajectory_labels_do_not_pile_up():
    """Points that fall on top of each other keep one label; the cursor step is always labelled and every
    point names its character on hover."""
    import numpy as np

    from rnnviz.figures.step import trajectory_figure
    coords = np.array([[0.0, 0.0], [0.001, 0.0], [0.0, 0.001], [1.0, 1.0], [0.5, 0.5]])
    fig = trajectory_figure(coords, list("abcde"), t=2)
    text = list(fig.data[0].text)
    assert text[1] == "b" and text[0] == text[2] == ""            # a and c sit on the cursor's b
    assert text[3] == "d" and text[4] == "e"
    assert list(fig.data[0].hovertext) == list("abcde")
