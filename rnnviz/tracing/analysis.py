"""Looking inside the cell: every number of one time step, its equations with the numbers filled in,
and a few ways to summarise many steps (gate saturation, a 2-D view of h_t, units that fire on a
chosen span, how two inputs' states differ, and the parameter count of each layer).

Pure functions of a model and/or a `Trace`; numpy out. Time steps are 1-based (t = 1 .. T) as in
the equations, except where a function says it takes row indices of a (T, H) array.

Naming: x_t is the input vector after the input layer (a one-hot column or an embedding), and every
weight is written W_{from to}: W_xh acts on x_t, W_hh on h_{t-1}, W_hy makes the output y_t. The
gated cells have one block per gate (torch's order: LSTM i, f, g, o; GRU r, z, n), e.g. W_xf and W_hf
for the LSTM's forget gate. torch keeps two bias vectors per block, b_x? and b_h?; only their sum acts,
except in the GRU's n, where b_hn sits inside r_t * (...).
"""
from __future__ import annotations

import numpy as np
import torch

from .engine import Trace, to_numpy

BLOCKS = {"rnn": ("h",), "lstm": ("i", "f", "g", "o"), "gru": ("r", "z", "n")}  # torch's gate order
SIGMOID_GATES = {"rnn": (), "lstm": ("input", "forget", "output"), "gru": ("reset", "update")}
MAX_UNITS = 8       # most units one equation shows (a column vector taller than this stops being readable)
DECIMALS = 3


# ---- one time step, recomputed from the raw weights ------------------------------------------------

def step_weights(model) -> dict[str, np.ndarray]:
    """model (a `CharRNN`) -> its weights cut into per-gate blocks, named as in the module docstring.

    "embed" (V, E) input layer (the identity for one-hot input); for each block k of BLOCKS[cell]:
    "W_xk" (H, E), "W_hk" (H, H), "b_xk" (H,), "b_hk" (H,); "W_hy" (V, H) and "b_y" (V,) output layer.
    """
    rnn, blocks = model.rnn, BLOCKS[model.cfg.cell]
    n = len(blocks)
    out = {"embed": to_numpy(model.embed.weight)}
    for name, tensor in (("W_x", rnn.weight_ih_l0), ("W_h", rnn.weight_hh_l0),
                         ("b_x", rnn.bias_ih_l0), ("b_h", rnn.bias_hh_l0)):
        for k, part in zip(blocks, tensor.chunk(n, dim=0)):
            out[name + k] = to_numpy(part)
    out["W_hy"], out["b_y"] = to_numpy(model.head.weight), to_numpy(model.head.bias)
    return out


def _previous(tr: Trace, t: int) -> tuple[np.ndarray, np.ndarray | None]:
    """(h_{t-1}, c_{t-1}) from the trace, zeros at t = 1; c is None unless LSTM."""
    H = tr.hidden.shape[1]
    zero = np.zeros(H, dtype=tr.hidden.dtype)
    h = tr.hidden[t - 2] if t > 1 else zero
    c = None if tr.cell is None else (tr.cell[t - 2] if t > 1 else zero)
    return h, c


def step_terms(model, tr: Trace, t: int) -> dict[str, np.ndarray]:
    """Every intermediate vector of the cell at time step t (1-based), from the model's raw weights and
    the trace's previous state. All (H,) except "x" (E,) and "logits", "probs" (V,).

    all cells: "x" input vector, "h_prev" h_{t-1}, "h" h_t, "logits" y_t = W_hy h_t + b_y, "probs" softmax(y_t)
    RNN:  "Wx" W_xh x_t, "Wh" W_hh h_{t-1}, "b" b_xh + b_hh, "a" their sum (pre-activation); h = tanh(a) (or relu)
    LSTM: "a_i", "a_f", "a_g", "a_o" pre-activations (W_xk x_t + b_xk + W_hk h_{t-1} + b_hk), gates "i", "f",
          "o" (sigmoid) and "g" (tanh), "c_prev", "f*c_prev", "i*g", "c" (their sum), "tanh_c", h = o * tanh_c
    GRU:  "a_r", "a_z", "r", "z", "Wn_x" (W_xn x_t + b_xn), "Wn_h" (W_hn h_{t-1} + b_hn), "r*Wn_h",
          "a_n" (Wn_x + r*Wn_h), "n" = tanh(a_n), "1-z", "(1-z)*n", "z*h_prev", h = (1-z)*n + z*h_prev
    """
    if tr.cell_type != model.cfg.cell:
        raise ValueError(f"the trace is of a {tr.cell_type} but the model is a {model.cfg.cell}")
    if not 1 <= t <= tr.T:
        raise ValueError(f"time step must be between 1 and {tr.T}, not {t}")
    rnn = model.rnn
    W = rnn.weight_hh_l0
    h_np, c_np = _previous(tr, t)
    with torch.no_grad():
        x = model.embed(torch.as_tensor(tr.x[t - 1:t], device=W.device))[0]
        h_prev = torch.as_tensor(h_np, device=W.device, dtype=W.dtype)
        xs = (rnn.weight_ih_l0 @ x).chunk(len(BLOCKS[tr.cell_type]))    # W_xk x_t per block
        hs = (W @ h_prev).chunk(len(BLOCKS[tr.cell_type]))              # W_hk h_{t-1} per block
        bx, bh = rnn.bias_ih_l0.chunk(len(xs)), rnn.bias_hh_l0.chunk(len(xs))
        terms = {"x": x, "h_prev": h_prev}
        if tr.cell_type == "rnn":
            act = torch.tanh if model.cfg.nonlinearity == "tanh" else torch.relu
            terms.update(Wx=xs[0], Wh=hs[0], b=bx[0] + bh[0])
            terms["a"] = terms["Wx"] + terms["Wh"] + terms["b"]
            terms["h"] = act(terms["a"])
        elif tr.cell_type == "lstm":
            for k, a, u, v, w in zip("ifgo", xs, bx, hs, bh):
                terms["a_" + k] = a + u + v + w
                terms[k] = torch.tanh(terms["a_" + k]) if k == "g" else torch.sigmoid(terms["a_" + k])
            terms["c_prev"] = torch.as_tensor(c_np, device=W.device, dtype=W.dtype)
            terms["f*c_prev"] = terms["f"] * terms["c_prev"]
            terms["i*g"] = terms["i"] * terms["g"]
            terms["c"] = terms["f*c_prev"] + terms["i*g"]
            terms["tanh_c"] = torch.tanh(terms["c"])
            terms["h"] = terms["o"] * terms["tanh_c"]
        else:
            for k, j in (("r", 0), ("z", 1)):
                terms["a_" + k] = xs[j] + bx[j] + hs[j] + bh[j]
                terms[k] = torch.sigmoid(terms["a_" + k])
            terms["Wn_x"], terms["Wn_h"] = xs[2] + bx[2], hs[2] + bh[2]
            terms["r*Wn_h"] = terms["r"] * terms["Wn_h"]
            terms["a_n"] = terms["Wn_x"] + terms["r*Wn_h"]
            terms["n"] = torch.tanh(terms["a_n"])
            terms["1-z"] = 1 - terms["z"]
            terms["(1-z)*n"] = terms["1-z"] * terms["n"]
            terms["z*h_prev"] = terms["z"] * h_prev
            terms["h"] = terms["(1-z)*n"] + terms["z*h_prev"]
        terms["logits"] = model.head(terms["h"])
        terms["probs"] = torch.softmax(terms["logits"], dim=0)
    return {k: to_numpy(v) for k, v in terms.items()}


# ---- the cell's equations with the numbers filled in (KaTeX) ----------------------------------------

def _num(v: float) -> str:
    s = f"{v:.{DECIMALS}f}"
    return s[1:] if s.startswith("-") and float(s) == 0 else s   # no "-0.000"


def vec_latex(v: np.ndarray) -> str:
    """(n,) -> a KaTeX column vector with DECIMALS decimals."""
    return r"\begin{bmatrix}" + r"\\".join(_num(float(a)) for a in v) + r"\end{bmatrix}"


def _eq(lhs: str, *parts: str) -> str:
    """lhs = part = part ...; with more than two parts, one part per line (KaTeX aligned), so that the widest
    equation (the GRU's n_t with 8 units) fits a page column instead of running 1,000 px wide."""
    if len(parts) <= 2:
        return " = ".join((lhs,) + parts)
    return r"\begin{aligned}" + lhs + r" &= " + r" \\ &= ".join(parts) + r"\end{aligned}"


def _labelled(vec: str, label: str) -> str:
    """A vector with what it is written under it (W_hh h_{t-1}, W_xh x_t, b): the sum can be read term by term."""
    return rf"\underbrace{{{vec}}}_{{{label}}}"


def equation_latex(terms: dict[str, np.ndarray], kind: str, units, outputs=None,
                   nonlinearity: str = "tanh") -> list[tuple[str, str]]:
    """terms from `step_terms`, kind (rnn | lstm | gru), units: a list of up to MAX_UNITS hidden-unit
    indices -> one (symbolic, numeric) pair of KaTeX strings per line of the cell's equations.

    The numeric line shows the selected units' entries of each vector as a column, 3 decimals, in the
    order the symbols appear, so each product and sum can be checked by hand. The last two lines are the
    output layer y_t = W_hy h_t + b_y and p_t = softmax(y_t), showing the vocabulary entries `outputs`
    (default: the up to MAX_UNITS most probable, in vocabulary order).
    """
    units = _check_indices(units, len(terms["h"]), "unit")
    if outputs is None:
        outputs = np.sort(np.argsort(-terms["probs"], kind="stable")[:MAX_UNITS])
    outputs = _check_indices(outputs, len(terms["probs"]), "output")
    v = lambda k: vec_latex(terms[k][units])
    sig = lambda g: (rf"{g}_t = \sigma(W_{{x{g}}} x_t + b_{{x{g}}} + W_{{h{g}}} h_{{t-1}} + b_{{h{g}}})",
                        _eq(f"{g}_t", rf"\sigma\left({v('a_' + g)}\right)", v(g)))
    if kind == "rnn":
        f = r"\tanh" if nonlinearity == "tanh" else r"\mathrm{relu}"
        lines = [(rf"h_t = {f}(W_{{hh}} h_{{t-1}} + W_{{xh}} x_t + b)",
                  _eq("h_t", rf"{f}\left({_labelled(v('Wh'), 'W_{hh} h_{t-1}')} + {_labelled(v('Wx'), 'W_{xh} x_t')} + "
                             rf"{_labelled(v('b'), 'b')}\right)", rf"{f}\left({v('a')}\right)", v("h")))]
    elif kind == "lstm":
        lines = [sig("f"), sig("i"),
                 (r"g_t = \tanh(W_{xg} x_t + b_{xg} + W_{hg} h_{t-1} + b_{hg})",
                  _eq("g_t", rf"\tanh\left({v('a_g')}\right)", v("g"))),
                 sig("o"),
                 (r"c_t = f_t \odot c_{t-1} + i_t \odot g_t",
                  _eq("c_t", rf"{v('f')} \odot {v('c_prev')} + {v('i')} \odot {v('g')}",
                      rf"{v('f*c_prev')} + {v('i*g')}", v("c"))),
                 (r"h_t = o_t \odot \tanh(c_t)",
                  _eq("h_t", rf"{v('o')} \odot \tanh\left({v('c')}\right)", rf"{v('o')} \odot {v('tanh_c')}",
                      v("h")))]
    elif kind == "gru":
        lines = [sig("r"), sig("z"),
                 (r"n_t = \tanh(W_{xn} x_t + b_{xn} + r_t \odot (W_{hn} h_{t-1} + b_{hn}))",
                  _eq("n_t", rf"\tanh\left({_labelled(v('Wn_x'), 'W_{xn} x_t + b_{xn}')} + {v('r')} \odot "
                             rf"{_labelled(v('Wn_h'), 'W_{hn} h_{t-1} + b_{hn}')}\right)",
                      rf"\tanh\left({v('Wn_x')} + {v('r*Wn_h')}\right)", rf"\tanh\left({v('a_n')}\right)",
                      v("n"))),
                 (r"h_t = (1 - z_t) \odot n_t + z_t \odot h_{t-1}",
                  _eq("h_t", rf"{v('1-z')} \odot {v('n')} + {v('z')} \odot {v('h_prev')}",
                      rf"{v('(1-z)*n')} + {v('z*h_prev')}", v("h")))]
    else:
        raise ValueError(f"kind must be rnn, lstm or gru, not {kind!r}")
    y, p = vec_latex(terms["logits"][outputs]), vec_latex(terms["probs"][outputs])
    lines += [(r"y_t = W_{hy} h_t + b_y", _eq("y_t", rf"W_{{hy}} {v('h')} + b_y", y)),
              (r"p_t = \mathrm{softmax}(y_t)", _eq("p_t", rf"\mathrm{{softmax}}\left({y}\right)", p))]
    return lines


def _check_indices(idx, n: int, what: str) -> np.ndarray:
    idx = np.asarray(idx, dtype=np.int64).reshape(-1)
    if not 1 <= len(idx) <= MAX_UNITS:
        raise ValueError(f"choose between 1 and {MAX_UNITS} {what}s, not {len(idx)}")
    if idx.min() < 0 or idx.max() >= n:
        raise ValueError(f"{what} indices must be in [0, {n})")
    return idx


# ---- summaries over time ----------------------------------------------------------------------------

def saturation(tr: Trace, lo: float = 0.1, hi: float = 0.9) -> dict[str, dict]:
    """How often each sigmoid gate is saturated (Karpathy, Johnson & Fei-Fei 2015, Fig. 4).

    tr: an LSTM or GRU trace (an RNN has no gates: {}) -> {gate: {"left": (H,) fraction of the T steps
    with value < lo, "right": (H,) fraction with value > hi, "left_share", "right_share": the same over
    all T*H values (floats)}}, gates in trace order: LSTM input, forget, output; GRU reset, update.
    """
    out = {}
    for g in SIGMOID_GATES[tr.cell_type]:
        v = np.asarray(tr.gates[g], dtype=np.float64)      # (T, H)
        left, right = (v < lo).mean(axis=0), (v > hi).mean(axis=0)
        out[g] = {"left": left, "right": right, "left_share": float(left.mean()),
                  "right_share": float(right.mean())}
    return out


def pca_2d(hidden: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """hidden (T, H) -> (coords (T, 2), explained (2,)): the centred states projected on their first two
    principal directions, and the share of the total variance each explains (0 where there is none).

    Each direction's sign is fixed so that its largest-magnitude loading is positive. Fewer than two
    directions (T = 1, H = 1, or constant states) leave zero columns instead of noise.
    """
    X = np.asarray(hidden, dtype=np.float64)
    scale = max(float(np.abs(X).max(initial=0.0)), 1e-30)
    X = X - X.mean(axis=0, keepdims=True)
    coords, explained = np.zeros((X.shape[0], 2)), np.zeros(2)
    _, S, Vt = np.linalg.svd(X, full_matrices=False)
    keep = S > 1e-9 * scale * np.sqrt(X.size)           # directions above rounding noise
    total = float((S[keep] ** 2).sum())
    for k in range(min(2, int(keep.sum()))):
        d = Vt[k] * np.sign(Vt[k][np.argmax(np.abs(Vt[k]))])
        coords[:, k] = X @ d
        explained[k] = S[k] ** 2 / total
    return coords, explained


_MODES = {"above": lambda v, th: v > th, "below": lambda v, th: v < th, "abs": lambda v, th: np.abs(v) > th}


def find_units(values: np.ndarray, start: int, end: int, threshold: float = 0.5, mode: str = "above",
               top: int | None = None) -> list[dict]:
    """Units that are on during the span of rows [start, end) of values (T, H) and off elsewhere.

    A unit is "on" at a step when value > threshold (mode "above"), value < threshold ("below", e.g.
    threshold -0.5 for a negative tanh unit) or |value| > threshold ("abs"). start, end are row indices
    (0-based, end exclusive: 1-based steps start+1 .. end). Returns dicts {"unit", "score", "inside",
    "outside"}: inside/outside = fraction of steps on inside/outside the span (outside 0 when the span is
    everything), score = inside - outside; best first, ties by unit index; at most `top` of them.
    """
    v = np.asarray(values, dtype=np.float64)
    if v.ndim != 2:
        raise ValueError(f"values must be (T, H), got shape {v.shape}")
    T = v.shape[0]
    if not 0 <= start < end <= T:
        raise ValueError(f"need 0 <= start < end <= {T}, got [{start}, {end})")
    if mode not in _MODES:
        raise ValueError(f"mode must be one of {', '.join(_MODES)}, not {mode!r}")
    on = _MODES[mode](v, threshold)                      # (T, H) bool
    inside = on[start:end].mean(axis=0)
    rest = np.concatenate([on[:start], on[end:]])
    outside = rest.mean(axis=0) if len(rest) else np.zeros(v.shape[1])
    score = inside - outside
    order = sorted(range(v.shape[1]), key=lambda u: (-score[u], u))[:top]
    return [{"unit": u, "score": float(score[u]), "inside": float(inside[u]), "outside": float(outside[u])}
            for u in order]


MAX_MATCHES = 12


def match_spans(values: np.ndarray, units, length: int, threshold: float = 0.5, mode: str = "above",
                top: int = 8) -> list[dict]:
    """LSTMVis's match view: the places in a text where the selected `units` are on, as they were over a span
    of `length` steps. values (N, H): the units' values over the corpus; a unit is on as in `find_units`.

    Every window of `length` steps is scored by the fraction of (selected unit, step) pairs that are on; the
    best windows that do not overlap a better one are returned, best first (ties: the higher mean value of the
    selected units, then the earlier window): dicts {"start", "end" (0-based, end exclusive), "score", "mean"}.
    Windows with no unit on at all are left out."""
    v = np.asarray(values, dtype=np.float64)
    if v.ndim != 2 or v.shape[0] < 1:
        raise ValueError(f"values must be (N, H), got shape {v.shape}")
    N, H = v.shape
    units = list(dict.fromkeys(int(u) for u in units))
    if not units or any(not 0 <= u < H for u in units):
        raise ValueError(f"units must be between 0 and {H - 1}, not {units}")
    if not isinstance(length, (int, np.integer)) or not 1 <= length <= N:
        raise ValueError(f"the span length must be between 1 and {N}, not {length!r}")
    if mode not in _MODES:
        raise ValueError(f"mode must be one of {', '.join(_MODES)}, not {mode!r}")
    if not isinstance(top, (int, np.integer)) or not 1 <= top <= MAX_MATCHES:
        raise ValueError(f"top must be between 1 and {MAX_MATCHES}, not {top!r}")
    on = _MODES[mode](v[:, units], threshold).sum(axis=1)                # (N,) units on per step (integers: exact)
    cs = np.concatenate([[0], np.cumsum(on)])
    score = (cs[length:] - cs[:-length]) / (length * len(units))         # (N - length + 1,) per window start
    windows = np.lib.stride_tricks.sliding_window_view(v[:, units].mean(axis=1), length)
    mean = windows.mean(axis=1)
    order = sorted(range(len(score)), key=lambda i: (-score[i], -mean[i], i))
    taken = np.zeros(N, dtype=bool)
    out = []
    for i in order:
        if score[i] <= 0 or len(out) >= top:
            break
        if taken[i:i + length].any():
            continue
        taken[i:i + length] = True
        out.append({"start": int(i), "end": int(i + length), "score": float(score[i]), "mean": float(mean[i])})
    return out


def correlate_units(values: np.ndarray, signal: np.ndarray) -> np.ndarray:
    """values (T, H), signal (T,) -> (H,) Pearson correlation of each unit with the signal; 0 for a
    constant unit or a constant signal (no NaN, no warnings)."""
    v, s = np.asarray(values, dtype=np.float64), np.asarray(signal, dtype=np.float64).reshape(-1)
    if v.ndim != 2 or v.shape[0] != len(s):
        raise ValueError(f"values must be (T, H) and signal (T,), got {v.shape} and {s.shape}")
    vc, sc = v - v.mean(axis=0), s - s.mean()
    varying = (np.ptp(v, axis=0) > 0) & (np.ptp(s) > 0)
    den = np.sqrt((vc ** 2).sum(axis=0) * (sc ** 2).sum())
    r = np.zeros(v.shape[1])
    np.divide(sc @ vc, den, out=r, where=varying & (den > 0))
    return np.clip(r, -1.0, 1.0)


def state_difference(tr_a: Trace, tr_b: Trace) -> dict:
    """Two traces of the same model -> how far apart their states are, step by step.

    n = min(T_a, T_b). "start": (n,) ||h^A_t - h^B_t|| for t = 1 .. n (aligned at the first step);
    "end": (n,) the same for the last n steps of each (aligned at the last step); "cell_start",
    "cell_end": the same for the LSTM cell state c (None for other cells).
    """
    if tr_a.cell_type != tr_b.cell_type or tr_a.hidden.shape[1] != tr_b.hidden.shape[1]:
        raise ValueError("the two traces must come from the same model")
    n = min(tr_a.T, tr_b.T)
    dist = lambda a, b: np.linalg.norm(np.asarray(a, np.float64) - np.asarray(b, np.float64), axis=1)
    out = {"start": dist(tr_a.hidden[:n], tr_b.hidden[:n]), "end": dist(tr_a.hidden[-n:], tr_b.hidden[-n:]),
           "cell_start": None, "cell_end": None}
    if tr_a.cell is not None:
        out["cell_start"] = dist(tr_a.cell[:n], tr_b.cell[:n])
        out["cell_end"] = dist(tr_a.cell[-n:], tr_b.cell[-n:])
    return out


# ---- parameters ---------------------------------------------------------------------------------------

def _blocks(n: int, expr: str) -> str:
    return expr if n == 1 else f"{n}×{expr}" if "+" not in expr else f"{n}×({expr})"


def parameter_table(model) -> list[dict]:
    """model (a `CharRNN`) -> one row per trainable tensor, then one total row per layer and a grand total.

    Row: {"name", "layer" (input | recurrent | output | all), "param" (torch name or None), "shape"
    (torch's (out, in) or None), "count", "formula" (arithmetic giving count, "×" and "+"), "total"}.
    The recurrent total row also has "one_bias_count": the count with a single bias per block, as in
    Keras' SimpleRNN/LSTM/GRU(reset_after=False): (E + H)×H per block + H, e.g. (28+128)×128 + 128 = 20,096
    for SimpleRNN(128) on 28-wide rows; torch keeps two bias vectors (b_x and b_h), H more per block.
    A frozen one-hot input layer has no trainable parameters and no row.
    """
    cell, rnn = model.cfg.cell, model.rnn
    n, H, E, V = len(BLOCKS[cell]), rnn.hidden_size, rnn.input_size, model.head.out_features
    gates = "" if n == 1 else "(" + ",".join(BLOCKS[cell]) + ")"
    suffix = "h" if n == 1 else gates
    spec = [("input", "embed.weight", "E", f"{V}×{E}"),
            ("recurrent", "rnn.weight_ih_l0", "W_x" + suffix, _blocks(n, f"{E}×{H}")),
            ("recurrent", "rnn.weight_hh_l0", "W_h" + suffix, _blocks(n, f"{H}×{H}")),
            ("recurrent", "rnn.bias_ih_l0", "b_x" + suffix, _blocks(n, f"{H}")),
            ("recurrent", "rnn.bias_hh_l0", "b_h" + suffix, _blocks(n, f"{H}")),
            ("output", "head.weight", "W_hy", f"{H}×{V}"),
            ("output", "head.bias", "b_y", f"{V}")]
    params = dict(model.named_parameters())
    rows = [{"name": name, "layer": layer, "param": p, "shape": tuple(params[p].shape),
             "count": params[p].numel(), "formula": formula, "total": False}
            for layer, p, name, formula in spec if params[p].requires_grad]
    totals = {"input": f"{V}×{E}", "recurrent": _blocks(n, f"({E}+{H})×{H} + 2×{H}"), "output": f"({H}+1)×{V}"}
    for layer in ("input", "recurrent", "output"):
        count = sum(r["count"] for r in rows if r["layer"] == layer)
        if count:
            rows.append({"name": layer, "layer": layer, "param": None, "shape": None, "count": count,
                         "formula": totals[layer], "total": True})
    next(r for r in rows if r["total"] and r["layer"] == "recurrent")["one_bias_count"] = n * ((E + H) * H + H)
    layer_totals = [r for r in rows if r["total"]]
    rows.append({"name": "total", "layer": "all", "param": None, "shape": None,
                 "count": sum(r["count"] for r in layer_totals),
                 "formula": " + ".join(f"{r['count']}" for r in layer_totals), "total": True})
    return rows
