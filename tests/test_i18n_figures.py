"""The translation table is complete, and the figure builders draw exactly the traced numbers."""
from __future__ import annotations

import ast
import re
import string
from pathlib import Path

import numpy as np
import pytest

import rnnviz
from rnnviz import figures as F
from rnnviz.i18n import LANGS, TEXT, t

ROOT = Path(__file__).resolve().parents[1]


def _fields(s: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(s) if f}


@pytest.mark.parametrize("key", sorted(TEXT))
def test_every_key_has_every_language_with_the_same_placeholders(key):
    entry = TEXT[key]
    assert set(entry) == set(LANGS)
    assert all(entry[lang].strip() for lang in LANGS)
    assert _fields(entry["en"]) == _fields(entry["ko"])


def test_every_key_used_by_the_app_exists():
    """Every t("...") literal in pages, ui and the library names a real key (f-string keys are checked by AppTest)."""
    files = [ROOT / "app.py", ROOT / "ui.py", *sorted((ROOT / "pages").glob("*.py")), *sorted((ROOT / "rnnviz").glob("*.py"))]
    used = set()
    for f in files:
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and getattr(node.func, "id", None) in ("t", "tr_") and node.args
                    and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
                used.add(node.args[0].value)
    assert used, "no translation calls found"
    assert not used - set(TEXT), f"missing keys: {sorted(used - set(TEXT))}"


def test_t_fills_placeholders_and_rejects_unknown_keys():
    assert t("err.text.long", "en", n=3, limit=2) == "the text has 3 characters; the limit is 2."
    assert "3자" in t("err.text.long", "ko", n=3, limit=2)
    with pytest.raises(KeyError):
        t("no.such.key", "en")


def _trained(cell: str, text: str = "hello"):
    vocab, x, y = rnnviz.next_char_task(text)
    m = rnnviz.build_model(cell, vocab.size, 6, seed=1)
    rnnviz.train(m, x, y, rnnviz.TrainConfig(steps=30))
    return vocab, x, rnnviz.trace(m, x, y)


@pytest.mark.parametrize("cell, n_panels", [("rnn", 1), ("lstm", 6), ("gru", 4)])
def test_states_figure_panels_hold_the_trace(cell, n_panels):
    vocab, x, tr = _trained(cell)
    chars = list(vocab.decode(x))
    fig = F.states_figure(tr, chars, "en")
    assert len(fig.data) == n_panels
    np.testing.assert_array_equal(fig.data[0].z, tr.hidden.T.astype(np.float32))
    assert fig.data[0].z.dtype == np.float32
    names = ["hidden"] + list(rnnviz.GATES[cell]) + (["cell"] if cell == "lstm" else [])
    for trace_, name in zip(fig.data, names):
        want = {"hidden": tr.hidden, "cell": tr.cell}.get(name, tr.gates.get(name))
        np.testing.assert_array_equal(trace_.z, want.T.astype(np.float32))
    assert list(fig.layout.xaxis.ticktext) == chars


def test_set_cursor_moves_one_shape_in_place():
    vocab, x, tr = _trained("lstm")
    fig = F.states_figure(tr, list(vocab.decode(x)), "ko")
    assert F.set_cursor(fig, 2, "ko") is fig
    assert len(fig.layout.shapes) == 1 and (fig.layout.shapes[0].x0, fig.layout.shapes[0].x1) == (1.5, 2.5)
    F.set_cursor(fig, 4)
    assert len(fig.layout.shapes) == 1 and fig.layout.shapes[0].x0 == 3.5
    F.set_cursor(fig, None)
    assert len(fig.layout.shapes) == 0


def test_probs_grad_and_loss_figures():
    vocab, x, tr = _trained("gru")
    chars = list(vocab.decode(x))
    pf = F.probs_figure(tr, chars, list(vocab.chars), "en")
    np.testing.assert_allclose(pf.data[0].z, tr.probs.T, atol=1e-6)
    np.testing.assert_array_equal(pf.data[1].y, tr.targets.astype(np.float32))
    gf = F.grad_figure(tr, chars, "en")
    np.testing.assert_allclose(gf.data[0].y, tr.grad_hidden, rtol=1e-6)
    assert gf.layout.yaxis.type == "log"
    lf = F.loss_figure([1.0, 0.5, 0.25], [0.25, 0.5, 1.0], 4, "en")
    np.testing.assert_array_equal(lf.data[0].y, np.float32([1.0, 0.5, 0.25]))
    assert any(abs(s.y0 - np.log(4)) < 1e-9 for s in lf.layout.shapes)


def test_grad_figure_needs_gradients():
    vocab, x, y = rnnviz.next_char_task("hello")
    tr = rnnviz.trace(rnnviz.build_model("rnn", vocab.size, 3), x)
    with pytest.raises(ValueError, match="targets"):
        F.grad_figure(tr, list("hell"))


def test_long_sequences_drop_per_character_ticks():
    vocab, x, tr = _trained("rnn", "abcdefghij" * 10)
    fig = F.states_figure(tr, list(vocab.decode(x)), "en")
    assert fig.layout.xaxis.ticktext is None
    assert re.match(r"^\d+$", str(int(fig.layout.height)))
