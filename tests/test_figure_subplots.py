"""`figures.style.subplots`: make_subplots made once per arguments. Each call must give what make_subplots gives (the
same dict, the same grid), a figure of its own, and every figure built on it must equal the one built on
make_subplots itself."""
from __future__ import annotations

import json

import numpy as np
import pytest
from plotly.subplots import make_subplots

from rnnviz.figures import style, timeline

ARGS = [dict(rows=9, cols=1, row_heights=[104] * 6 + [94, 170, 400], vertical_spacing=0.033,
             subplot_titles=[f"panel {i}" for i in range(9)]),
        dict(rows=2, cols=1, shared_xaxes=True, row_heights=[0.68, 0.32], vertical_spacing=0.06),
        dict(rows=2, cols=3, row_heights=[0.64, 0.36], vertical_spacing=0.16, subplot_titles=["a", "b", "c"]),
        dict(rows=1, cols=3, shared_yaxes=True, horizontal_spacing=0.04)]


def _json(fig) -> str:
    return json.dumps(fig.to_dict(), sort_keys=True, default=lambda o: np.asarray(o).tolist())


@pytest.mark.parametrize("kw", ARGS, ids=lambda kw: f"{kw['rows']}x{kw['cols']}")
def test_subplots_is_make_subplots(kw):
    plain = make_subplots(**kw)
    for _ in range(2):                                            # built, then from the kept layout
        fig = style.subplots(**kw)
        assert _json(fig) == _json(plain)
        assert fig._grid_ref == plain._grid_ref and fig._grid_str == plain._grid_str
        assert fig._validate                                     # what a builder adds is validated
    a, b = style.subplots(**kw), style.subplots(**kw)
    a.update_layout(title_text="changed")
    a.update_xaxes(title_text="x changed", row=1, col=1)
    a.add_scatter(x=[1, 2], y=[3, 4], row=kw["rows"], col=kw["cols"])
    assert _json(b) == _json(plain) and _json(style.subplots(**kw)) == _json(plain)     # each its own


def _trace(cell: str, hidden: int, text: str):
    from rnnviz.app.playground import PlaygroundConfig, run_playground
    run = run_playground(PlaygroundConfig(text=text, cell=cell, hidden=hidden, steps=10, seed=3))
    return run


@pytest.mark.parametrize("cell, hidden, text, lang", [("lstm", 16, "hello", "en"), ("gru", 3, "hello world", "ko"),
                                                     ("rnn", 32, "abcabcabcabc", "en"), ("lstm", 1, "ab", "ko")])
def test_the_timeline_and_loss_figures_are_those_of_make_subplots(monkeypatch, cell, hidden, text, lang):
    run = _trace(cell, hidden, text)
    vocab = list(run.vocab.chars)
    builds = [lambda: timeline.timeline_figure(run.trace, run.input_chars, vocab, lang,
                                               panels=("states", "probs", "grad", "values")),
              lambda: timeline.timeline_figure(run.trace, run.input_chars, vocab, lang, start=len(run.input_chars)),
              lambda: timeline.loss_figure(run.result.losses, run.result.accuracies, run.vocab.size, lang)]
    memo = [_json(b()) for b in builds] + [_json(b()) for b in builds]          # built, then from the kept layouts
    monkeypatch.setattr(timeline, "subplots", make_subplots)
    plain = [_json(b()) for b in builds]
    assert memo == plain + plain


def test_a_built_timeline_validates_what_is_changed_later_and_its_dict_names_its_opening_step():
    """timeline_figure skips plotly's validation for its own slider steps and frames only: a page that changes
    the figure afterwards (its layout, a slider, a trace) gets plotly's error for a bad value, as on any figure.
    `opens_at` reads the opening step back from the figure's dict (what a training job sends)."""
    run = _trace("lstm", 4, "hello")
    for start in (1, 3):
        fig = timeline.timeline_figure(run.trace, run.input_chars, list(run.vocab.chars), "en", start=start)
        assert timeline.opens_at(fig.to_dict()) == start == fig.__dict__["_rnnviz_open_at"]
        with pytest.raises(ValueError):
            fig.update_layout(height="tall")
        with pytest.raises(ValueError):
            fig.layout.sliders[0].active = "first"
        with pytest.raises(ValueError):
            fig.data[0].update(opacity=7)
        timeline.open_at(fig, 2)
        assert timeline.opens_at(fig.to_dict()) == 2
