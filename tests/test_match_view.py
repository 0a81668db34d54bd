"""LSTMVis's match view (#15, part 4): rnnviz.tracing.analysis.match_spans against a brute-force reference, the
preset's training text as the corpus, and the Step page's unit explorer drawing the matches (AppTest)."""
from __future__ import annotations

import numpy as np
import pytest

from rnnviz.app.stepthrough import MAX_CORPUS, corpus_trace, prepare_view, source_from_preset, training_corpus
from rnnviz.data.preset_corpora import CORPORA
from rnnviz.tracing.analysis import match_spans
from tests.apptest import chart, open_page, plotly_array


def brute(values, units, L, thr, top):
    on = values[:, units] > thr
    cands = [(on[i:i + L].mean(), values[i:i + L, units].mean(), i) for i in range(len(values) - L + 1)]
    cands.sort(key=lambda c: (-c[0], -c[1], c[2]))
    out, used = [], set()
    for score, mean, i in cands:
        if score <= 0 or len(out) == top:
            break
        if used & set(range(i, i + L)):
            continue
        used |= set(range(i, i + L))
        out.append((i, i + L))
    return out


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_match_spans_equals_a_brute_force_search(seed):
    rng = np.random.default_rng(seed)
    v = np.tanh(rng.normal(size=(120, 9)) + np.sin(np.arange(120) / 7)[:, None])
    for units, L, thr in (([1, 4], 5, 0.5), ([0], 1, 0.0), ([2, 3, 8], 12, -0.2)):
        got = [(m["start"], m["end"]) for m in match_spans(v, units, L, thr, top=6)]
        assert got == brute(v, units, L, thr, 6)
    planted = np.full((50, 3), -1.0)
    planted[30:34, 1] = 0.9                                   # the one place where unit 1 is on
    m = match_spans(planted, [1], 4, 0.5, top=3)
    assert [(x["start"], x["end"], x["score"]) for x in m] == [(30, 34, 1.0)]
    with pytest.raises(ValueError, match="units"):
        match_spans(v, [9], 3)
    with pytest.raises(ValueError, match="span length"):
        match_spans(v, [1], 0)


def test_the_training_text_is_the_start_of_the_presets_corpus_and_bounded():
    src = source_from_preset("brackets_lstm")
    corpus = training_corpus(src)
    full = CORPORA[src.meta["corpus"]](20_000, src.meta["corpus_seed"])
    assert full.startswith(corpus) and len(corpus) <= MAX_CORPUS
    with pytest.raises(ValueError, match="limit"):
        corpus_trace(src, "a" * (MAX_CORPUS + 1))
    with pytest.raises(ValueError, match="never seen"):
        corpus_trace(src, "한글")


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_the_unit_explorer_finds_the_spans_units_in_the_training_text(lang):
    at = open_page("pages/2_Step_Through.py", timeout=120, tab="units", src="brackets_lstm", lang=lang)
    assert not at.exception
    units = sorted(at.multiselect(key="step.match_units").value)
    assert 1 <= len(units) <= 3 and at.radio(key="step.match_src").value == "train"
    src = source_from_preset("brackets_lstm")
    view = prepare_view(src, src.text)
    lo, hi = at.session_state["step.span"]
    thr = at.session_state["step.thr"]
    found = corpus_trace(src, training_corpus(src))
    expect = match_spans(found["hidden"], units, hi - lo + 1, thr, top=6)
    spec = chart(at, "step.match_fig")
    heat = [tr for tr in spec["data"] if tr["type"] == "heatmap"]
    assert len(heat) == len(expect) >= 3
    for tr, m in zip(heat, expect):
        lo_c = max(0, m["start"] - 4)
        np.testing.assert_allclose(plotly_array(tr["z"]), found["hidden"][lo_c:m["end"] + 4][:, units].T, atol=1e-6)
    # the default span is inside the first quotes: the best match is inside quotes of the training text too
    best = expect[0]
    text = training_corpus(src)
    assert text[:best["start"]].count('"') % 2 == 1, text[max(0, best["start"] - 20):best["end"]]
    assert view.chars


def test_my_own_text_as_the_corpus_with_a_bad_character():
    at = open_page("pages/2_Step_Through.py", timeout=120, tab="units", src="brackets_lstm", match_src="own",
                   match_text="한국어")
    assert not at.exception
    assert any("한" in e.value or "국" in e.value for e in at.error)
    at.text_area(key="step.match_text").set_value('say "hi" and "go home" now').run()
    assert not at.exception and [c for c in at.get("plotly_chart") if "step.match_fig" in c.proto.id]
