"""The translation table is complete, and the figure builders draw exactly the traced numbers."""
from __future__ import annotations

import ast
import base64
import re
import string
from pathlib import Path

import numpy as np
import pytest

import rnnviz
from rnnviz.figures import timeline as F
from rnnviz.figures.style import STYLE
from rnnviz.i18n import LANGS, TEXT, t
from tests.apptest import table_numbers
from tests.korean import english_words

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
    library = sorted((ROOT / "rnnviz").rglob("*.py"))          # every subpackage too
    files = [*sorted(ROOT.glob("*.py")), *sorted((ROOT / "pages").rglob("*.py")), *library]
    assert {f.name for f in library} >= {"__init__.py", "i18n.py"} and len(library) > 10
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


@pytest.mark.parametrize("cell, n_states", [("rnn", 1), ("lstm", 6), ("gru", 4)])
def test_timeline_panels_hold_the_trace(cell, n_states):
    vocab, x, tr = _trained(cell)
    chars = list(vocab.decode(x))
    fig = F.timeline_figure(tr, chars, list(vocab.chars), "en")
    heat = [d for d in fig.data if d.type == "heatmap"]
    assert len(heat) == n_states + 1                                   # states, then the softmax panel
    names = ["hidden"] + list(rnnviz.GATES[cell]) + (["cell"] if cell == "lstm" else [])
    for trace_, name in zip(heat, names):
        want = {"hidden": tr.hidden, "cell": tr.cell}.get(name, tr.gates.get(name))
        np.testing.assert_array_equal(trace_.z, want.T.astype(np.float32))
        assert trace_.z.dtype == np.float32
    np.testing.assert_allclose(heat[-1].z, tr.probs.T, atol=1e-6)
    circles = [d for d in fig.data if d.type == "scatter" and d.mode == "markers"]
    np.testing.assert_array_equal(circles[0].y, tr.targets.astype(np.float32))
    lines = [d for d in fig.data if d.type == "scatter" and d.mode == "lines+markers"]
    np.testing.assert_allclose(lines[0].y, tr.grad_hidden, rtol=1e-6)
    assert (len(lines) == 2) == (cell == "lstm")                       # ||dL/dc_t|| for LSTM only
    assert list(fig.layout.xaxis.ticktext) == chars


def test_values_table_picture_checks_its_shape_and_escapes_its_header():
    src = F.table_source(["<unit>", "h_t"], ["0.5000", "-1.0000"], 2)
    assert table_numbers(src) == (["&lt;unit&gt;", "h_t"], [0, 1], ["0.5000", "-1.0000"])
    with pytest.raises(ValueError, match="do not fill"):
        F.table_source(["unit", "h_t"], ["0.5000"], 2)


def test_timeline_cursor_moves_in_the_browser_one_frame_per_step():
    vocab, x, tr = _trained("lstm")
    chars = list(vocab.decode(x))
    T = tr.T
    fig = F.timeline_figure(tr, chars, list(vocab.chars), "en", start=2, panels=("states", "probs", "grad", "values"))
    # the cursor: one layout image over step 2, from above the values table to the top; no shapes
    cur, table = fig.layout.images                       # the cursor, the values table's picture
    assert (table.name, table.sizing, table.yref) == ("values", "contain", "y9")
    assert (cur.x, cur.sizex, cur.xref, cur.xanchor, cur.sizing) == (1.5, 1.0, "x", "left", "stretch")
    assert cur.yref == "paper" and cur.y == 1.0 and 0.05 < 1 - cur.sizey < 0.5 and not fig.layout.shapes
    svg = base64.b64decode(cur.source.split(",", 1)[1]).decode()
    assert "<rect" in svg and STYLE["cursor"] in svg and "non-scaling-stroke" in svg
    assert len(fig.frames) == T and [f.name for f in fig.frames] == [str(t) for t in range(1, T + 1)]
    assert not [d for d in fig.data if d.type == "table"]     # the values table: a picture, swapped by relayout
    H = tr.hidden.shape[1]
    vecs = [tr.hidden, tr.gates["input"], tr.gates["forget"], tr.gates["candidate"], tr.gates["output"], tr.cell]

    def expected(t):
        return [f"{x:.4f}" for x in np.stack([np.float32(v[t - 1]) for v in vecs], axis=1).ravel().tolist()]
    header, units, numbers = table_numbers(fig.layout.images[1].source)
    assert header == ["unit", "h_t", "i_t", "f_t", "g_t", "o_t", "c_t"] and units == list(range(H))
    assert numbers == expected(2)                                             # opens at step 2
    for t, frame in enumerate(fig.frames, start=1):                           # play: the frames
        assert [im.x for im in frame.layout.images][:1] == [t - 0.5]
        assert frame.layout.title.text.startswith(f"t = {t}: read <b>{chars[t - 1]}</b>")
        assert frame.layout.sliders[0].active == t - 1
        assert not frame.data and table_numbers(frame.layout.images[1].source)[2] == expected(t)
    assert fig.layout.sliders[0].active == 1
    assert fig.layout.updatemenus[0].buttons[0].method == "animate"
    for t, step in enumerate(fig.layout.sliders[0].steps, start=1):            # scrubbing: cursor, caption, table
        assert step.method == "relayout"                                       # no trace restyled: no heatmap redrawn
        (lay,) = step.args
        assert set(lay) == {"images[0].x", "title.text", "images[1].source"} and lay["images[0].x"] == t - 0.5
        assert lay["title.text"] == fig.frames[t - 1].layout.title.text
        assert table_numbers(lay["images[1].source"])[2] == expected(t)
    moved = F.open_at(fig, 3)                                                  # a link's step
    assert moved.layout.sliders[0].active == 2 and moved.layout.images[0].x == 2.5
    assert table_numbers(moved.layout.images[1].source)[2] == expected(3)
    assert F.open_at(fig, 3) is fig and fig.layout.sliders[0].active == 2      # again at 3: nothing to do
    F.open_at(fig, 1)                                                          # back to 1, then 3 again
    assert fig.layout.sliders[0].active == 0 and fig.layout.images[0].x == 0.5
    assert fig.layout.title.text == fig.frames[0].layout.title.text
    F.open_at(fig, 3)
    assert fig.layout.sliders[0].active == 2 and table_numbers(fig.layout.images[1].source)[2] == expected(3)
    with pytest.raises(ValueError, match="between 1 and"):
        F.open_at(fig, T + 1)
    no_bars = F.timeline_figure(tr, chars, list(vocab.chars), "en", panels=("states",))
    assert no_bars.layout.sliders[0].steps[0].method == "relayout"


def test_long_timelines_move_the_same_one_cursor():
    vocab, x, tr = _trained("rnn", "abcdefghij" * 12)
    fig = F.timeline_figure(tr, list(vocab.decode(x)), list(vocab.chars), "en", start=3)
    assert tr.T > 100 and len(fig.layout.images) == 1 and fig.layout.images[0].x == 2.5
    (lay,) = fig.layout.sliders[0].steps[9].args
    assert lay == {"images[0].x": 9.5, "title.text": fig.frames[9].layout.title.text}
    assert fig.frames[9].layout.images[0].x == 9.5


def test_step_caption_says_right_or_wrong():
    vocab, x, tr = _trained("gru")
    chars = list(vocab.decode(x))
    cap = F.step_caption(tr, chars, list(vocab.chars), 1, "ko")
    assert cap.startswith("t = 1: <b>h</b> 읽음") and ("✓" in cap) == (tr.predictions[0] == tr.targets[0])


def test_loss_figure():
    lf = F.loss_figure([1.0, 0.5, 0.25], [0.25, 0.5, 1.0], 4, "en")
    np.testing.assert_array_equal(lf.data[0].y, np.float32([1.0, 0.5, 0.25]))
    np.testing.assert_array_equal(lf.data[1].y, np.float32([0.25, 0.5, 1.0]))
    assert any(abs(s.y0 - np.log(4)) < 1e-9 for s in lf.layout.shapes)


def test_timeline_needs_gradients_for_the_gradient_panel():
    vocab, x, y = rnnviz.next_char_task("hello")
    tr = rnnviz.trace(rnnviz.build_model("rnn", vocab.size, 3), x)
    with pytest.raises(ValueError, match="targets"):
        F.timeline_figure(tr, list("hell"), list(vocab.chars))
    assert len(F.timeline_figure(tr, list("hell"), list(vocab.chars), panels=("states",)).frames) == 4


def test_long_sequences_drop_per_character_ticks():
    vocab, x, tr = _trained("rnn", "abcdefghij" * 10)
    fig = F.timeline_figure(tr, list(vocab.decode(x)), list(vocab.chars), "en")
    assert fig.layout.xaxis.ticktext is None
    assert re.match(r"^\d+$", str(int(fig.layout.height)))


def _code_strings():
    """String constants and f-string patterns of the app, the pages and the library (not the table)."""
    files = [*sorted(ROOT.glob("*.py")), *sorted((ROOT / "pages").rglob("*.py")),
             *[f for f in sorted((ROOT / "rnnviz").rglob("*.py")) if f.name != "i18n.py"]]
    consts, patterns = set(), []
    for f in files:
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                consts.add(node.value)
            elif isinstance(node, ast.JoinedStr):
                parts = [re.escape(v.value) if isinstance(v, ast.Constant) else ".+" for v in node.values]
                literal = "".join(v.value for v in node.values if isinstance(v, ast.Constant))
                if sum(c.isalpha() for c in literal) >= 3:      # f"{key}.{i}" would match anything
                    patterns.append(re.compile("".join(parts)))
    return consts, patterns


def test_every_key_of_the_table_is_used():
    """No dead entries: every key appears in the code as a literal, matches an f-string such as
    f"lab.baseline.{key}" or f"{key}.desc", or sits under a prefix passed as a literal ("step.tab")."""
    consts, patterns = _code_strings()
    prefixes = {c + "." for c in consts if "." in c and not c.endswith(".")}
    unused = [k for k in TEXT if k not in consts and not any(p.fullmatch(k) for p in patterns)
              and not any(k.startswith(p) for p in prefixes)]
    assert not unused, f"translation keys nothing uses: {unused}"


def test_english_words_finds_what_it_should():
    assert english_words("학습 상태: done, 손실 0.12") == ["done"]
    assert english_words("LSTM 망각 게이트 (forget gate), h_t, W_hh, 3.2 ms, rnnviz/app.py") == []
    assert english_words("chance accuracy 10%") == ["accuracy", "chance"]
    assert english_words("forget 게이트가 닫힙니다") == ["forget"]


def test_no_english_in_the_korean_translations():
    """Every Korean text of the table: no English word except names, symbols, units and a term's English name
    in brackets after its Korean one (the pages themselves are read by tests/e2e/test_screens.py)."""
    from rnnviz.i18n import TEXT
    found = {k: english_words(v["ko"]) for k, v in TEXT.items()}
    assert not {k: w for k, w in found.items() if w}


def test_every_library_error_has_a_translation_filled_by_its_own_parameters():
    """Every `raise SomeError(code=..., message=..., **params)` of an RnnvizError in the package: its key
    "err.<domain>.<code>" exists, and its translations use only parameters that every raise of that code
    passes, so a page shows the whole message in the user's language with nothing appended in English."""
    import importlib
    import pkgutil

    import rnnviz as pkg
    from rnnviz.errors import RnnvizError
    for m in pkgutil.walk_packages(pkg.__path__, "rnnviz."):
        importlib.import_module(m.name)

    def subclasses(c):
        return {c.__name__: c, **{k: v for s in c.__subclasses__() for k, v in subclasses(s).items()}}
    classes = subclasses(RnnvizError)
    sites: dict[str, list[set]] = {}
    for path in Path(pkg.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) in classes:
                kw = {k.arg: k.value for k in node.keywords}
                if isinstance(kw.get("code"), ast.Constant):
                    key = f"err.{classes[node.func.id].domain}.{kw['code'].value}"
                    sites.setdefault(key, []).append(set(kw) - {"code", "message"})
    assert len(sites) > 40
    missing = sorted(k for k in sites if k not in TEXT)
    assert not missing, f"errors a page cannot translate: {missing}"
    for key, params in sites.items():
        common = set.intersection(*params)
        for lang in LANGS:
            used = set(re.findall(r"\{(\w+)", TEXT[key][lang]))
            assert used <= common, f"{key} ({lang}) uses {sorted(used - common)}, which some raise does not pass"
