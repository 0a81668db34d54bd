"""rnnviz.tracing.analysis against the trace, hand-built cases and independent computations."""
from __future__ import annotations

import glob
import json
import os
import re
import shutil
import subprocess
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch

import rnnviz
from rnnviz.tracing import analysis as A
from rnnviz.tracing.engine import Trace

VARIANTS = [("rnn", "tanh"), ("rnn", "relu"), ("lstm", "tanh"), ("gru", "tanh")]
VARIANT_IDS = ["rnn-tanh", "rnn-relu", "lstm", "gru"]
V, H = 6, 7
sigmoid = lambda a: 1 / (1 + np.exp(-a))


def make(cell, nl="tanh", embed=None, seed=0, scale=1.0, vocab_size=V, hidden_size=H):
    model = rnnviz.build_model(cell, vocab_size=vocab_size, hidden_size=hidden_size, seed=seed,
                               embed_size=embed, nonlinearity=nl)
    if scale != 1.0:  # larger weights: gates that reach saturation, states far from zero
        with torch.no_grad():
            for p in model.rnn.parameters():
                p.mul_(scale)
    return model


def ids(T, seed=0, vocab_size=V):
    return torch.randint(vocab_size, (T,), generator=torch.Generator().manual_seed(seed))


# ---- step_weights, step_terms ----------------------------------------------------------------------

@pytest.mark.parametrize("cell", rnnviz.CELLS)
def test_step_weights_are_torch_blocks_in_gate_order(cell):
    model = make(cell, embed=4)
    w = A.step_weights(model)
    rnn, blocks = model.rnn, A.BLOCKS[cell]
    for prefix, tensor in (("W_x", rnn.weight_ih_l0), ("W_h", rnn.weight_hh_l0), ("b_x", rnn.bias_ih_l0),
                           ("b_h", rnn.bias_hh_l0)):
        np.testing.assert_array_equal(np.concatenate([w[prefix + k] for k in blocks]), tensor.detach().numpy())
    for k in blocks:
        assert w["W_x" + k].shape == (H, 4) and w["W_h" + k].shape == (H, H) and w["b_x" + k].shape == (H,)
    assert w["embed"].shape == (V, 4) and w["W_hy"].shape == (V, H) and w["b_y"].shape == (V,)


def check_terms(model, tr, t, te):
    """Every term of step t against the trace and against the cell's own equations (numpy, float64)."""
    f = lambda k: te[k].astype(np.float64)
    np.testing.assert_allclose(te["h"], tr.hidden[t - 1], atol=1e-5)
    np.testing.assert_allclose(te["h_prev"], tr.hidden[t - 2] if t > 1 else 0.0, atol=0)
    np.testing.assert_allclose(te["logits"], tr.logits[t - 1], atol=1e-5)
    np.testing.assert_allclose(te["probs"], tr.probs[t - 1], atol=1e-5)
    np.testing.assert_allclose(te["x"], model.embed.weight[int(tr.x[t - 1])].detach().numpy(), atol=0)
    if tr.cell_type == "rnn":
        w = A.step_weights(model)
        np.testing.assert_allclose(f("Wx"), w["W_xh"] @ f("x"), atol=1e-5)
        np.testing.assert_allclose(f("Wh"), w["W_hh"] @ f("h_prev"), atol=1e-5)
        np.testing.assert_allclose(f("b"), w["b_xh"] + w["b_hh"], atol=1e-6)
        np.testing.assert_allclose(f("a"), f("Wx") + f("Wh") + f("b"), atol=1e-5)
        act = np.tanh if model.cfg.nonlinearity == "tanh" else (lambda a: np.maximum(a, 0))
        np.testing.assert_allclose(act(f("a")), tr.hidden[t - 1], atol=1e-5)
    elif tr.cell_type == "lstm":
        for k, name, act in (("i", "input", sigmoid), ("f", "forget", sigmoid), ("g", "candidate", np.tanh),
                             ("o", "output", sigmoid)):
            np.testing.assert_allclose(te[k], tr.gates[name][t - 1], atol=1e-5)
            np.testing.assert_allclose(act(f("a_" + k)), tr.gates[name][t - 1], atol=1e-5)
        np.testing.assert_allclose(te["c"], tr.cell[t - 1], atol=1e-5)
        np.testing.assert_allclose(te["c_prev"], tr.cell[t - 2] if t > 1 else 0.0, atol=0)
        np.testing.assert_allclose(f("f*c_prev") + f("i*g"), tr.cell[t - 1], atol=1e-5)
        np.testing.assert_allclose(f("f*c_prev"), f("f") * f("c_prev"), atol=1e-6)
        np.testing.assert_allclose(f("i*g"), f("i") * f("g"), atol=1e-6)
        np.testing.assert_allclose(f("tanh_c"), np.tanh(tr.cell[t - 1]), atol=1e-5)
        np.testing.assert_allclose(f("o") * f("tanh_c"), tr.hidden[t - 1], atol=1e-5)
    else:
        w = A.step_weights(model)
        for k, name in (("r", "reset"), ("z", "update")):
            np.testing.assert_allclose(te[k], tr.gates[name][t - 1], atol=1e-5)
            np.testing.assert_allclose(sigmoid(f("a_" + k)), tr.gates[name][t - 1], atol=1e-5)
        np.testing.assert_allclose(f("Wn_x"), w["W_xn"] @ f("x") + w["b_xn"], atol=1e-5)
        np.testing.assert_allclose(f("Wn_h"), w["W_hn"] @ f("h_prev") + w["b_hn"], atol=1e-5)
        np.testing.assert_allclose(f("a_n"), f("Wn_x") + f("r") * f("Wn_h"), atol=1e-5)
        np.testing.assert_allclose(np.tanh(f("a_n")), tr.gates["candidate"][t - 1], atol=1e-5)
        np.testing.assert_allclose(te["n"], tr.gates["candidate"][t - 1], atol=1e-5)
        z, n, hp = tr.gates["update"][t - 1], tr.gates["candidate"][t - 1], f("h_prev")
        np.testing.assert_allclose((1 - z) * n + z * hp, tr.hidden[t - 1], atol=1e-5)
        np.testing.assert_allclose(f("(1-z)*n") + f("z*h_prev"), tr.hidden[t - 1], atol=1e-5)
        np.testing.assert_allclose(f("1-z"), 1 - z, atol=1e-6)


@pytest.mark.parametrize("embed", [None, 5])
@pytest.mark.parametrize("cell,nl", VARIANTS, ids=VARIANT_IDS)
def test_step_terms_agree_with_trace_at_every_step(cell, nl, embed):
    model = make(cell, nl, embed=embed, seed=3, scale=2.0)
    x = ids(9, seed=1)
    tr = rnnviz.trace(model, x)
    for t in range(1, tr.T + 1):
        te = A.step_terms(model, tr, t)
        assert all(v.ndim == 1 and np.isfinite(v).all() for v in te.values())
        check_terms(model, tr, t, te)


def test_step_terms_keys_and_shapes():
    expect = {"rnn": {"Wx", "Wh", "b", "a"},
              "lstm": {"a_i", "a_f", "a_g", "a_o", "i", "f", "g", "o", "c_prev", "f*c_prev", "i*g", "c", "tanh_c"},
              "gru": {"a_r", "a_z", "r", "z", "Wn_x", "Wn_h", "r*Wn_h", "a_n", "n", "1-z", "(1-z)*n", "z*h_prev"}}
    for cell in rnnviz.CELLS:
        model = make(cell, embed=4)
        te = A.step_terms(model, rnnviz.trace(model, ids(3)), 1)
        assert set(te) == expect[cell] | {"x", "h_prev", "h", "logits", "probs"}
        assert te["x"].shape == (4,) and te["logits"].shape == (V,) and te["probs"].shape == (V,)
        assert all(v.shape == (H,) for k, v in te.items() if k not in ("x", "logits", "probs"))
        np.testing.assert_array_equal(te["h_prev"], 0)
        if cell == "lstm":
            np.testing.assert_array_equal(te["c_prev"], 0)


def test_step_terms_rejects_bad_steps_and_mismatched_model():
    model = make("lstm")
    tr = rnnviz.trace(model, ids(4))
    for t in (0, 5, -1):
        with pytest.raises(ValueError):
            A.step_terms(model, tr, t)
    with pytest.raises(ValueError):
        A.step_terms(make("gru"), tr, 1)


def test_step_terms_float64_model():
    model = make("gru").double()
    tr = rnnviz.trace(model, ids(5))
    te = A.step_terms(model, tr, 4)
    assert te["h"].dtype == np.float64
    np.testing.assert_allclose(te["h"], tr.hidden[3], atol=1e-12)


# ---- equation_latex -----------------------------------------------------------------------------------

# the vectors each numeric line shows, in order; "*" = an output-layer vector (vocabulary entries)
LINES = {
    "rnn": [["Wh", "Wx", "b", "a", "h"]],
    "lstm": [["a_f", "f"], ["a_i", "i"], ["a_g", "g"], ["a_o", "o"],
             ["f", "c_prev", "i", "g", "f*c_prev", "i*g", "c"], ["o", "c", "o", "tanh_c", "h"]],
    "gru": [["a_r", "r"], ["a_z", "z"], ["Wn_x", "r", "Wn_h", "Wn_x", "r*Wn_h", "a_n", "n"],
            ["1-z", "n", "z", "h_prev", "(1-z)*n", "z*h_prev", "h"]],
}
OUTPUT_LINES = [["h", "logits*"], ["logits*", "probs*"]]
BMATRIX = re.compile(r"\\begin\{bmatrix\}(.*?)\\end\{bmatrix\}")


def balanced(s: str) -> bool:
    depth = 0
    for c in s:
        depth += {"{": 1, "}": -1}.get(c, 0)
        if depth < 0:
            return False
    return depth == 0


def vectors(latex: str) -> list[list[float]]:
    return [[float(a) for a in m.split(r"\\")] for m in BMATRIX.findall(latex)]


@pytest.mark.parametrize("cell,nl", VARIANTS, ids=VARIANT_IDS)
def test_equation_numbers_are_the_terms_rounded(cell, nl):
    model = make(cell, nl, seed=2, scale=2.0, hidden_size=12)
    tr = rnnviz.trace(model, ids(6, seed=4))
    t, units, outputs = 4, [0, 3, 11, 5], [5, 1, 2]
    te = A.step_terms(model, tr, t)
    lines = A.equation_latex(te, cell, units, outputs=outputs, nonlinearity=nl)
    assert len(lines) == len(LINES[cell]) + 2
    for (sym, num), keys in zip(lines, LINES[cell] + OUTPUT_LINES):
        assert balanced(sym) and balanced(num), num
        assert num.count(r"\left(") == num.count(r"\right)") and num.count("(") == num.count(")")
        assert num.count(r"\begin{bmatrix}") == num.count(r"\end{bmatrix}") == len(keys)
        assert "-0.000" not in num
        lhs = num.replace(r"\begin{aligned}", "").split("=")[0].replace("&", "").strip()
        assert sym.split("=")[0].strip() == lhs                       # the same left-hand side
        if num.startswith(r"\begin{aligned}"):                         # long ones: one step per line
            assert num.endswith(r"\end{aligned}") and num.count(r"&=") >= 3
        for vec, key in zip(vectors(num), keys):
            full = te[key.rstrip("*")]
            want = full[outputs] if key.endswith("*") else full[units]
            assert vec == [float(f"{v:.3f}") for v in want], key
            assert all(len(a.split(".")[1]) == 3 for a in re.findall(r"-?\d+\.\d+", num))
    # the last vector of the cell's last line is h_t itself, straight from the trace
    last = vectors(lines[len(LINES[cell]) - 1][1])[-1]
    np.testing.assert_allclose(last, tr.hidden[t - 1][units], atol=5e-4 + 1e-6)
    np.testing.assert_allclose(vectors(lines[-1][1])[-1], tr.probs[t - 1][outputs], atol=5e-4 + 1e-6)
    if cell == "rnn":
        assert (r"\tanh" in lines[0][0]) == (nl == "tanh") and (r"\mathrm{relu}" in lines[0][0]) == (nl == "relu")


def test_equation_symbolic_lines():
    model = make("lstm")
    te = A.step_terms(model, rnnviz.trace(model, ids(3)), 2)
    sym = [s for s, _ in A.equation_latex(te, "lstm", [0])]
    assert sym[4] == r"c_t = f_t \odot c_{t-1} + i_t \odot g_t" and sym[5] == r"h_t = o_t \odot \tanh(c_t)"
    assert [s[0] for s in sym[:4]] == ["f", "i", "g", "o"]
    model = make("gru")
    te = A.step_terms(model, rnnviz.trace(model, ids(3)), 2)
    sym = [s for s, _ in A.equation_latex(te, "gru", [0])]
    assert sym[3] == r"h_t = (1 - z_t) \odot n_t + z_t \odot h_{t-1}"
    assert sym[-2:] == [r"y_t = W_{hy} h_t + b_y", r"p_t = \mathrm{softmax}(y_t)"]


def test_equation_default_outputs_are_the_most_probable():
    model = make("rnn", vocab_size=20)
    te = A.step_terms(model, rnnviz.trace(model, ids(3, vocab_size=20)), 3)
    lines = A.equation_latex(te, "rnn", [1, 2])
    top = np.sort(np.argsort(-te["probs"])[:A.MAX_UNITS])
    assert vectors(lines[-1][1])[-1] == [float(f"{v:.3f}") for v in te["probs"][top]]


def test_equation_rejects_bad_units():
    model = make("gru")
    te = A.step_terms(model, rnnviz.trace(model, ids(3)), 1)
    for units in ([], [H], [-1], list(range(A.MAX_UNITS + 1))):
        with pytest.raises(ValueError):
            A.equation_latex(te, "gru", units)
    with pytest.raises(ValueError):
        A.equation_latex(te, "transformer", [0])


def _katex_bundle():
    """The KaTeX that Streamlit's st.latex renders with (a self-contained ES module in its static files)."""
    try:
        import streamlit
    except ImportError:
        return None
    found = glob.glob(os.path.join(os.path.dirname(streamlit.__file__), "static", "static", "js", "katex.*.js"))
    return found[0] if found and shutil.which("node") else None


def _copy_es_module(path: Path, dest: Path) -> str:
    """Copy an ES module and the chunks it imports (`from"./x.js"`, recursively) into `dest`, marked as ES
    modules by a package.json; returns the module's file name. Streamlit releases split KaTeX into different
    chunks, so copying one file is not enough."""
    (dest / "package.json").write_text('{"type": "module"}')
    todo, done = [path.name], set()
    while todo:
        name = todo.pop()
        if name in done:
            continue
        done.add(name)
        text = (path.parent / name).read_text(encoding="utf-8")
        (dest / name).write_text(text, encoding="utf-8")
        todo += re.findall(r"""(?:from|import)\s*\(?\s*["']\./([\w.-]+\.js)["']""", text)
    return path.name


@pytest.mark.skipif(_katex_bundle() is None, reason="needs node and Streamlit's KaTeX bundle")
def test_equations_render_with_katex(tmp_path):
    strings = []
    for cell, nl in VARIANTS:
        model = make(cell, nl, scale=2.0, hidden_size=10)
        tr = rnnviz.trace(model, ids(5))
        strings += [s for line in A.equation_latex(A.step_terms(model, tr, 5), cell, list(range(8)),
                                                   nonlinearity=nl) for s in line]
    bundle = _copy_es_module(Path(_katex_bundle()), tmp_path)
    (tmp_path / "check.mjs").write_text(
        f'import * as mod from "./{bundle}";\nimport fs from "fs";\n'
        # the bundler decides what the KaTeX object is exported as (default, or a minified name)
        'const katex = [mod.default, ...Object.values(mod)].find(v => v && typeof v.renderToString === "function");\n'
        'if (!katex) { console.error("no KaTeX object among the exports: " + Object.keys(mod)); process.exit(2); }\n'
        'for (const s of JSON.parse(fs.readFileSync(0, "utf8"))) {\n'
        '  try { katex.renderToString(s, {throwOnError: true, displayMode: true}); }\n'
        '  catch (e) { console.log(e.message); }\n}\n')
    out = subprocess.run(["node", str(tmp_path / "check.mjs")], input=json.dumps(strings), capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout == "", out.stdout


# ---- saturation ----------------------------------------------------------------------------------------

def hand_trace(kind, gates, T, H):
    z = np.zeros((T, H), np.float32)
    return Trace(cell_type=kind, x=np.zeros(T, np.int64), hidden=z, cell=z if kind == "lstm" else None,
                 gates={k: np.asarray(v, np.float32) for k, v in gates.items()}, logits=np.zeros((T, 2), np.float32))


def test_saturation_by_hand():
    mid = np.full((4, 2), 0.5)
    tr = hand_trace("lstm", {"input": [[0.05, 0.5], [0.95, 0.5], [0.05, 0.99], [0.5, 0.01]],
                             "forget": [[0.1, 0.9], [0.1, 0.9], [0.09, 0.91], [0.5, 0.5]],   # 0.1 / 0.9 themselves: not saturated
                             "candidate": [[-1, 1]] * 4, "output": mid}, T=4, H=2)
    sat = A.saturation(tr)
    assert list(sat) == ["input", "forget", "output"]                      # sigmoid gates only
    np.testing.assert_allclose(sat["input"]["left"], [0.5, 0.25])
    np.testing.assert_allclose(sat["input"]["right"], [0.25, 0.25])
    np.testing.assert_allclose(sat["forget"]["left"], [0.25, 0.0])
    np.testing.assert_allclose(sat["forget"]["right"], [0.0, 0.25])
    assert sat["input"]["left_share"] == pytest.approx(3 / 8) and sat["input"]["right_share"] == pytest.approx(2 / 8)
    assert sat["output"]["left_share"] == sat["output"]["right_share"] == 0.0
    sat = A.saturation(tr, lo=0.2, hi=0.6)
    np.testing.assert_allclose(sat["forget"]["left"], [0.75, 0.0])
    np.testing.assert_allclose(sat["forget"]["right"], [0.0, 0.75])
    gru = hand_trace("gru", {"reset": [[0.0], [1.0]], "update": [[0.5], [0.95]], "candidate": [[0.0], [0.0]]}, 2, 1)
    sat = A.saturation(gru)
    assert list(sat) == ["reset", "update"]
    assert sat["reset"]["left"].tolist() == [0.5] and sat["update"]["right"].tolist() == [0.5]
    assert A.saturation(hand_trace("rnn", {}, 3, 2)) == {}


def test_saturation_matches_trace_counts():
    model = make("lstm", scale=4.0)
    tr = rnnviz.trace(model, ids(30))
    for g, s in A.saturation(tr).items():
        v = tr.gates[g]
        for u in range(H):
            assert s["left"][u] == sum(v[t, u] < 0.1 for t in range(tr.T)) / tr.T
            assert s["right"][u] == sum(v[t, u] > 0.9 for t in range(tr.T)) / tr.T


# ---- pca_2d --------------------------------------------------------------------------------------------

def planted(T=40, H=6, noise=0.0, seed=0):
    rng = np.random.default_rng(seed)
    Q, _ = np.linalg.qr(rng.normal(size=(H, H)))
    B = Q[:, :2].T                                           # (2, H) orthonormal directions
    A_ = rng.normal(size=(T, 2)) * [3.0, 1.0]
    A_ -= A_.mean(0)
    X = A_ @ B + 0.7                                         # a 2-D structure, shifted off the origin
    if noise:
        E = rng.normal(size=(T, H)) * noise
        E -= E.mean(0)
        E -= (E @ B.T) @ B                                   # keep the noise out of the plane
        X = X + E
    return X, A_, B


def test_pca_recovers_planted_plane():
    X, A_, B = planted()
    coords, ex = A.pca_2d(X)
    Xc = X - X.mean(0)
    np.testing.assert_allclose(coords @ np.linalg.lstsq(coords, Xc, rcond=None)[0], Xc, atol=1e-9)  # exact in 2-D
    var = np.linalg.eigvalsh(np.cov(Xc.T))[::-1]
    np.testing.assert_allclose(ex, var[:2] / var.sum(), atol=1e-9)
    assert ex.sum() == pytest.approx(1.0)
    # the coordinates are the projections on the leading eigenvectors of the covariance, sign-fixed
    _, vecs = np.linalg.eigh(np.cov(Xc.T))
    for k in range(2):
        d = vecs[:, -1 - k]
        d = d * np.sign(d[np.argmax(np.abs(d))])
        np.testing.assert_allclose(coords[:, k], Xc @ d, atol=1e-9)
    # the plane itself: both directions lie in span(B), and PC1 carries the larger spread
    np.testing.assert_allclose(np.linalg.norm(coords, axis=0), np.linalg.svd(A_, compute_uv=False), rtol=1e-9)


def test_pca_explained_below_one_with_a_third_direction():
    X, _, _ = planted(noise=0.3)
    _, ex = A.pca_2d(X)
    var = np.linalg.eigvalsh(np.cov((X - X.mean(0)).T))[::-1]
    np.testing.assert_allclose(ex, var[:2] / var.sum(), atol=1e-9)
    assert ex.sum() < 1 and ex[0] >= ex[1] > 0


def test_pca_known_case_and_sign():
    # points on a line y = 2x: one direction, all the variance, loading (1, 2)/sqrt(5) with positive sign
    X = np.array([[0.0, 0.0], [1.0, 2.0], [2.0, 4.0], [-3.0, -6.0]])
    coords, ex = A.pca_2d(X)
    np.testing.assert_allclose(ex, [1.0, 0.0], atol=1e-12)
    np.testing.assert_allclose(coords[:, 0], (X - X.mean(0)) @ np.array([1, 2]) / np.sqrt(5), atol=1e-12)
    np.testing.assert_allclose(coords[:, 1], 0, atol=1e-12)
    c2, _ = A.pca_2d(-X)                                    # sign is fixed by the loadings, not the data
    np.testing.assert_allclose(c2, -coords, atol=1e-12)


@pytest.mark.parametrize("X", [np.ones((1, 5)), np.full((6, 3), 0.1), np.zeros((4, 4)), np.array([[0.3]])],
                         ids=["T=1", "constant", "zeros", "1x1"])
def test_pca_degenerate_inputs_are_zero_not_nan(X):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        coords, ex = A.pca_2d(X.astype(np.float32))
    assert coords.shape == (X.shape[0], 2) and ex.shape == (2,)
    np.testing.assert_array_equal(coords, 0)
    np.testing.assert_array_equal(ex, 0)


def test_pca_single_unit():
    coords, ex = A.pca_2d(np.array([[1.0], [3.0], [2.0]]))
    np.testing.assert_allclose(coords[:, 0], [-1, 1, 0])
    np.testing.assert_array_equal(coords[:, 1], 0)
    np.testing.assert_allclose(ex, [1, 0])


def test_pca_of_a_trace():
    model = make("lstm", hidden_size=16)
    tr = rnnviz.trace(model, ids(20))
    coords, ex = A.pca_2d(tr.hidden)
    assert coords.shape == (20, 2) and 0 < ex.sum() <= 1 + 1e-12 and ex[0] >= ex[1]
    np.testing.assert_allclose(coords.mean(0), 0, atol=1e-7)


# ---- find_units, correlate_units -------------------------------------------------------------------------

def brute_force(values, start, end, on):
    rows = []
    for u in range(values.shape[1]):
        inside = [on(values[t, u]) for t in range(start, end)]
        outside = [on(values[t, u]) for t in range(values.shape[0]) if not start <= t < end]
        fi = sum(inside) / len(inside)
        fo = sum(outside) / len(outside) if outside else 0.0
        rows.append((-(fi - fo), u, fi, fo))
    return [{"unit": u, "score": -s, "inside": fi, "outside": fo} for s, u, fi, fo in sorted(rows)]


def test_find_units_ranks_planted_unit_first():
    rng = np.random.default_rng(0)
    T, H_, u0 = 30, 12, 7
    X = rng.uniform(-1, 1, size=(T, H_))
    X[:, u0] = rng.uniform(-1, -0.01, size=T)
    X[5:9, u0] = rng.uniform(0.81, 1.0, size=4)
    found = A.find_units(X, 5, 9, threshold=0.5)
    assert found[0] == {"unit": u0, "score": 1.0, "inside": 1.0, "outside": 0.0}
    assert found[1]["score"] < 1.0
    assert [r["unit"] for r in found] == [r["unit"] for r in brute_force(X, 5, 9, lambda v: v > 0.5)]
    for a, b in zip(found, brute_force(X, 5, 9, lambda v: v > 0.5)):
        assert a["unit"] == b["unit"] and a["score"] == pytest.approx(b["score"])
    assert len(A.find_units(X, 5, 9, top=3)) == 3


def test_find_units_modes():
    rng = np.random.default_rng(1)
    X = rng.uniform(-0.3, 0.3, size=(10, 5))
    X[2:4, 1] = -0.9                                         # a negative unit on the span
    X[2:4, 3] = [0.9, -0.9]                                  # a large-magnitude unit of either sign
    assert A.find_units(X, 2, 4, threshold=-0.5, mode="below")[0]["unit"] == 1
    found = A.find_units(X, 2, 4, threshold=0.5, mode="abs")
    assert [r["unit"] for r in found[:2]] == [1, 3] and found[0]["score"] == found[1]["score"] == 1.0
    for mode, on in (("below", lambda v: v < -0.5), ("abs", lambda v: abs(v) > 0.5)):
        th = -0.5 if mode == "below" else 0.5
        found, expected = A.find_units(X, 2, 4, th, mode), brute_force(X, 2, 4, on)
        assert len(found) == len(expected)
        for a, b in zip(found, expected):                    # record by record, field by field
            assert set(a) == set(b) and a["unit"] == b["unit"], (a, b)
            for key in set(a) - {"unit"}:
                assert a[key] == pytest.approx(b[key], rel=1e-12, abs=1e-12), (key, a, b)


def test_find_units_ties_by_index_and_whole_span():
    X = np.zeros((4, 3))
    assert [r["unit"] for r in A.find_units(X, 1, 3)] == [0, 1, 2]
    X[:, 2] = 1.0
    found = A.find_units(X, 0, 4)                            # no outside steps: outside 0
    assert found[0] == {"unit": 2, "score": 1.0, "inside": 1.0, "outside": 0.0}


@pytest.mark.parametrize("args", [(0, 0), (3, 2), (-1, 2), (0, 5)])
def test_find_units_rejects_bad_spans(args):
    with pytest.raises(ValueError):
        A.find_units(np.zeros((4, 2)), *args)
    with pytest.raises(ValueError):
        A.find_units(np.zeros((4, 2)), 0, 2, mode="on")


def test_correlate_units_matches_corrcoef():
    rng = np.random.default_rng(2)
    s = rng.normal(size=25)
    X = rng.normal(size=(25, 4))
    X[:, 1] = 2 * s + 1                                      # perfectly correlated
    X[:, 2] = -s                                             # perfectly anti-correlated
    r = A.correlate_units(X, s)
    want = [np.corrcoef(X[:, u], s)[0, 1] for u in range(4)]
    np.testing.assert_allclose(r, want, atol=1e-12)
    assert r[1] == pytest.approx(1) and r[2] == pytest.approx(-1)


def test_correlate_units_constant_columns_are_zero_without_warnings():
    X = np.column_stack([np.full(5, 0.1), np.arange(5.0)]).astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = A.correlate_units(X, np.array([0, 1, 0, 1, 1]))
        assert r[0] == 0 and np.isfinite(r).all()
        np.testing.assert_array_equal(A.correlate_units(X, np.ones(5)), 0)
    with pytest.raises(ValueError):
        A.correlate_units(X, np.ones(4))


# ---- state_difference ------------------------------------------------------------------------------------

def traces(cell, a, b, H_=H):
    vocab = rnnviz.Vocab.from_text(a + b)
    model = make(cell, vocab_size=vocab.size, hidden_size=H_, seed=5, scale=1.5)
    return rnnviz.trace(model, vocab.encode(a)), rnnviz.trace(model, vocab.encode(b))


@pytest.mark.parametrize("cell", rnnviz.CELLS)
def test_state_difference_zero_for_identical_input(cell):
    ta, tb = traces(cell, "hello", "hello")
    d = A.state_difference(ta, tb)
    for k in ("start", "end"):
        np.testing.assert_array_equal(d[k], 0)
    assert (d["cell_start"] is None) == (cell != "lstm")
    if cell == "lstm":
        np.testing.assert_array_equal(d["cell_start"], 0)


@pytest.mark.parametrize("cell", rnnviz.CELLS)
def test_state_difference_starts_at_the_first_differing_character(cell):
    ta, tb = traces(cell, "abcabab", "abdabab")
    d = A.state_difference(ta, tb)
    np.testing.assert_array_equal(d["start"][:2], 0)
    assert (d["start"][2:] > 0).all()                        # the difference persists after the 'c'/'d'
    np.testing.assert_allclose(d["start"], np.linalg.norm(ta.hidden - tb.hidden, axis=1), rtol=1e-6)
    np.testing.assert_array_equal(d["start"], d["end"])      # same length: both alignments agree
    if cell == "lstm":
        np.testing.assert_array_equal(d["cell_start"][:2], 0)
        assert (d["cell_start"][2:] > 0).all()


def test_state_difference_korean_prefix_persists():
    ta, tb = traces("lstm", "오늘 주가가 어때?", "어제 주가가 어때?", H_=16)
    d = A.state_difference(ta, tb)
    assert len(d["start"]) == ta.T == 10
    assert (d["start"] > 0).all() and (d["cell_start"] > 0).all()   # the shared suffix does not erase it


def test_state_difference_order_matters_and_end_alignment():
    ta, tb = traces("gru", "hello", "ohell")                 # the same characters in another order
    d = A.state_difference(ta, tb)
    assert (d["start"] > 0).all() and d["end"][-1] > 0
    ta, tb = traces("lstm", "xyhello", "hello")              # different lengths: last steps matched
    d = A.state_difference(ta, tb)
    assert len(d["start"]) == len(d["end"]) == 5
    for k in range(5):
        assert d["end"][k] == pytest.approx(np.linalg.norm(ta.hidden[2 + k].astype(np.float64) - tb.hidden[k]))
        assert d["start"][k] == pytest.approx(np.linalg.norm(ta.hidden[k].astype(np.float64) - tb.hidden[k]))
        assert d["cell_end"][k] == pytest.approx(np.linalg.norm(ta.cell[2 + k].astype(np.float64) - tb.cell[k]))


def test_state_difference_rejects_different_models():
    a, _ = traces("lstm", "ab", "ab")
    b, _ = traces("gru", "ab", "ab")
    with pytest.raises(ValueError):
        A.state_difference(a, b)


# ---- parameter_table -------------------------------------------------------------------------------------

def evaluate(formula: str) -> int:
    assert re.fullmatch(r"[0-9+×() ]+", formula), formula
    return eval(formula.replace("×", "*"))


def check_table(model, rows):
    trainable = {n: p for n, p in model.named_parameters() if p.requires_grad}
    tensors = [r for r in rows if not r["total"]]
    assert sorted(r["param"] for r in tensors) == sorted(trainable)
    for r in tensors:
        assert r["count"] == trainable[r["param"]].numel() and r["shape"] == tuple(trainable[r["param"]].shape)
    for r in rows:
        assert evaluate(r["formula"]) == r["count"], r
    for r in rows:
        if r["total"] and r["layer"] != "all":
            assert r["count"] == sum(x["count"] for x in tensors if x["layer"] == r["layer"])
    assert rows[-1]["layer"] == "all" and rows[-1]["count"] == sum(p.numel() for p in trainable.values())
    return {r["name"]: r for r in rows}


def test_parameter_table_simple_rnn_on_mnist_rows():
    # SimpleRNN(128) on 28-pixel rows: (28+128)×128 + 128 = 20,096 with one bias; torch keeps two.
    for model in (make("rnn", embed=28, vocab_size=10, hidden_size=128), make("rnn", vocab_size=28, hidden_size=128)):
        rows = check_table(model, A.parameter_table(model))
        rec = rows["recurrent"]
        assert rec["one_bias_count"] == 20_096
        assert rec["count"] == 20_096 + 128
        assert rec["formula"].startswith("(28+128)×128")
        assert rows["W_xh"]["formula"] == "28×128" and rows["W_hh"]["count"] == 128 * 128
        V_ = model.head.out_features
        assert rows["output"]["count"] == 128 * V_ + V_
        assert rows["total"]["count"] == 20_224 + 129 * V_ + (10 * 28 if model.cfg.embed_size else 0)
        assert ("E" in rows) == (model.cfg.embed_size is not None)   # a frozen one-hot layer has no row


@pytest.mark.parametrize("embed", [None, 28])
@pytest.mark.parametrize("cell", rnnviz.CELLS)
def test_parameter_table_totals_match_numel(cell, embed):
    model = make(cell, embed=embed, vocab_size=10 if embed else 28, hidden_size=128)   # 28-wide x_t either way
    rows = check_table(model, A.parameter_table(model))
    # Keras on 28 inputs: LSTM(128) 80,384 (one bias); GRU(128) 60,288 with reset_after=False, and
    # 60,672 with the default reset_after=True (two biases, as torch)
    one_bias = {"rnn": 20_096, "lstm": 80_384, "gru": 60_288}[cell]
    torch_count = {"rnn": 20_224, "lstm": 80_896, "gru": 60_672}[cell]
    assert rows["recurrent"]["one_bias_count"] == one_bias and rows["recurrent"]["count"] == torch_count


def test_analysis_never_imports_streamlit():
    assert "streamlit" not in Path(A.__file__).read_text(encoding="utf-8")
