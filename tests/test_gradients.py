"""rnnviz.tracing.gradients and rnnviz.app.vanishing: gradients across time against autograd on torch's fused modules and finite
differences, truncated BPTT, Jacobian norms, vanishing/exploding regimes, clipping, init knobs."""
from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import rnnviz
from rnnviz.app.vanishing import (EXPLODING, EXPLODING_CLIP, GradConfig, exploding_runs, grad_heatmap_during_training,
                                  make_model, scalar_toy, task_for, training_heatmaps)
from rnnviz.data.synthetic import memory_task
from rnnviz.tracing.gradients import grad_across_time, jacobian_norms, spectral_radius, truncation_start
from tests.references import stepwise_states

VARIANTS = [("rnn", "tanh"), ("rnn", "relu"), ("lstm", "tanh"), ("gru", "tanh")]
VARIANT_IDS = ["rnn-tanh", "rnn-relu", "lstm", "gru"]


def small(cell, nl="tanh", H=5, T=9, seed=0, scale=1.5, dtype=torch.float64, **kw):
    """A small model (scaled W_hh so gradients reach far back) and its memory-task sequence."""
    cfg = GradConfig(cell=cell, hidden=H, T=T, vocab=4, seed=seed, weight_scale=scale, nonlinearity=nl, **kw)
    x, y = task_for(cfg)
    x = torch.randint(4, (T,), generator=torch.Generator().manual_seed(seed + 100))  # varied inputs
    return make_model(cfg).to(dtype), x, y


def stepwise(model, x, dh=None, dc=None, window=None):
    """The fused module one step at a time -> hidden states (T, H) (`references.stepwise_states`)."""
    return stepwise_states(model, x, dh, dc, window)


def loss_of(model, hs, y, loss_on):
    logits = model.head(hs)                                    # (T, V)
    if loss_on == "all":
        return F.cross_entropy(logits, y)
    return F.cross_entropy(logits[-1:], y[-1:])


def autograd_dh(model, x, y, loss_on, window=None):
    """dL/dh_t (T, H) by autograd through the fused module with zero tensors added to every h_t."""
    T, H = x.shape[0], model.cfg.hidden_size
    z = [torch.zeros(H, dtype=torch.float64, requires_grad=True) for _ in range(T)]
    loss = loss_of(model, stepwise(model, x, dh=z, window=window), y, loss_on)
    grads = torch.autograd.grad(loss, z, allow_unused=True)
    return torch.stack([torch.zeros(H, dtype=torch.float64) if g is None else g for g in grads])


# ---- config, model, task -----------------------------------------------------------------------------

@pytest.mark.parametrize("field,value,words", [
    ("cell", "transformer", "cell"), ("hidden", 0, "hidden"), ("hidden", 257, "hidden"), ("hidden", 3.0, "hidden"),
    ("T", 1, "sequence length"), ("T", 401, "sequence length"), ("vocab", 1, "vocab"), ("seed", -1, "seed"),
    ("weight_scale", 0.05, "weight scale"), ("weight_scale", 5.5, "weight scale"),
    ("weight_scale", float("nan"), "weight scale"), ("weight_scale", True, "weight scale"),
    ("init", "xavier", "init"), ("nonlinearity", "sigmoid", "nonlinearity"),
    ("forget_bias", 11.0, "forget bias"), ("forget_bias", float("inf"), "forget bias"), ("forget_bias", "3", "forget bias"),
    ("loss_on", "first", "loss_on"), ("window", 0, "window"), ("window", 401, "window"), ("window", 2.5, "window"),
])
def test_config_validation(field, value, words):
    cfg = dataclasses.replace(GradConfig(), **{field: value})
    with pytest.raises(ValueError, match=words):
        cfg.validate()
    with pytest.raises(ValueError):
        make_model(cfg)


def test_config_bounds_accepted():
    for kw in ({}, {"hidden": 1, "T": 2, "weight_scale": 0.1, "window": 1}, {"hidden": 256, "T": 400, "weight_scale": 5.0},
               {"cell": "lstm", "forget_bias": -10.0}, {"cell": "gru", "init": "orthogonal", "loss_on": "all"}):
        assert GradConfig(**kw).validate() is not None


def test_make_model_deterministic_and_leaves_global_rng():
    torch.manual_seed(123)
    before = torch.rand(3)
    torch.manual_seed(123)
    cfg = GradConfig(cell="lstm", hidden=8, init="orthogonal", weight_scale=1.3, forget_bias=2.0, seed=4)
    a, b = make_model(cfg), make_model(cfg)
    assert torch.equal(torch.rand(3), before)
    for p, q in zip(a.parameters(), b.parameters()):
        assert torch.equal(p, q)
    c = make_model(dataclasses.replace(cfg, seed=5))
    assert not torch.equal(a.rnn.weight_hh_l0, c.rnn.weight_hh_l0)


@pytest.mark.parametrize("cell", rnnviz.CELLS)
@pytest.mark.parametrize("scale", [1.0, 0.7, 2.5])
def test_orthogonal_init_gives_orthogonal_blocks(cell, scale):
    H = 16
    model = make_model(GradConfig(cell=cell, hidden=H, init="orthogonal", weight_scale=scale, seed=2))
    W = model.rnn.weight_hh_l0.detach().double()
    blocks = W.view(-1, H, H)
    assert blocks.shape[0] == max(1, len(rnnviz.GATES[cell]))
    for Q in blocks:
        torch.testing.assert_close(Q.T @ Q, scale ** 2 * torch.eye(H, dtype=torch.float64), rtol=0, atol=1e-5)
        torch.testing.assert_close(Q @ Q.T, scale ** 2 * torch.eye(H, dtype=torch.float64), rtol=0, atol=1e-5)
    assert not torch.allclose(blocks[0], blocks[-1]) or blocks.shape[0] == 1   # independent blocks
    sr = spectral_radius(model.rnn.weight_hh_l0)
    for r in ([sr] if cell == "rnn" else sr.values()):
        assert r == pytest.approx(scale, rel=1e-5)               # every eigenvalue of an orthogonal matrix has |.| = 1
    # the input weights and biases are torch's defaults, untouched
    ref = rnnviz.build_model(cell, vocab_size=8, hidden_size=H, seed=2)
    assert torch.equal(model.rnn.weight_ih_l0, ref.rnn.weight_ih_l0)
    assert torch.equal(model.rnn.bias_hh_l0, ref.rnn.bias_hh_l0)


@pytest.mark.parametrize("cell", rnnviz.CELLS)
def test_weight_scale_multiplies_default_w_hh(cell):
    ref = rnnviz.build_model(cell, vocab_size=8, hidden_size=12, seed=3)
    model = make_model(GradConfig(cell=cell, hidden=12, seed=3, weight_scale=2.5))
    torch.testing.assert_close(model.rnn.weight_hh_l0, 2.5 * ref.rnn.weight_hh_l0, rtol=0, atol=0)
    assert torch.equal(model.rnn.weight_ih_l0, ref.rnn.weight_ih_l0)
    sr_ref, sr = spectral_radius(ref.rnn.weight_hh_l0), spectral_radius(model.rnn.weight_hh_l0)
    if cell == "rnn":
        assert sr == pytest.approx(2.5 * sr_ref, rel=1e-6)
    else:
        assert all(sr[g] == pytest.approx(2.5 * sr_ref[g], rel=1e-6) for g in sr)


@pytest.mark.parametrize("cell, gate", [("lstm", "forget"), ("gru", "update")])
def test_forget_bias_sets_the_memory_gates_total_bias(cell, gate):
    """The knob means one thing for every gated cell: the total bias b_ih + b_hh of the gate that keeps the
    past (LSTM f, GRU z; the second H-row block for both) is exactly fb, nothing else changes."""
    H = 10
    ref = rnnviz.build_model(cell, vocab_size=8, hidden_size=H, seed=1)
    G_ = 4 if cell == "lstm" else 3
    for fb in (3.0, 1.0, -2.0, 0.0):
        m = make_model(GradConfig(cell=cell, hidden=H, seed=1, forget_bias=fb))
        assert torch.equal(m.rnn.bias_ih_l0[H:2 * H], torch.full((H,), fb))
        assert torch.equal(m.rnn.bias_hh_l0[H:2 * H], torch.zeros(H))
        for sl in (slice(0, H), slice(2 * H, G_ * H)):                         # other gates untouched
            assert torch.equal(m.rnn.bias_ih_l0[sl], ref.rnn.bias_ih_l0[sl])
            assert torch.equal(m.rnn.bias_hh_l0[sl], ref.rnn.bias_hh_l0[sl])
        for name in ("weight_ih_l0", "weight_hh_l0"):
            assert torch.equal(getattr(m.rnn, name), getattr(ref.rnn, name))
        # the gate is sigmoid(fb + ...) with small input terms at this init
        tr = rnnviz.trace(m, torch.randint(8, (20,), generator=torch.Generator().manual_seed(0)))
        assert abs(float(np.median(tr.gates[gate])) - 1 / (1 + math.exp(-fb))) < 0.1


def test_forget_bias_is_ignored_by_the_plain_rnn_and_defined_once():
    a = make_model(GradConfig(cell="rnn", hidden=10, seed=1, forget_bias=3.0))
    b = make_model(GradConfig(cell="rnn", hidden=10, seed=1))
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))
    from rnnviz.nn.model import MEMORY_GATE, set_memory_gate_bias
    assert MEMORY_GATE == {"lstm": "forget", "gru": "update"}
    with pytest.raises(ValueError, match="memory gate"):
        set_memory_gate_bias(torch.nn.RNN(2, 3), 1.0)
    # the lab, the long-range tasks and this page build their gated cells with the same bias
    from rnnviz.app.longrange import long_range_model
    from rnnviz.nn.model import seq_model
    for cell in ("lstm", "gru"):
        for rnn in (long_range_model(cell, 2, 6, 1, seed=0, forget_bias=2.0).rnn,
                    seq_model("many_to_one", cell, in_features=2, hidden=6, out=3, forget_bias=2.0).rnn,
                    make_model(GradConfig(cell=cell, hidden=6, forget_bias=2.0)).rnn):
            assert torch.equal(rnn.bias_ih_l0[6:12], torch.full((6,), 2.0))
            assert torch.equal(rnn.bias_hh_l0[6:12], torch.zeros(6))


def test_gru_update_bias_keeps_the_gradient_like_the_lstm_forget_bias():
    """Measured on the page's defaults (T = 100, H = 64, loss on the last step): a GRU update-gate bias of 3
    keeps ||dL/dh_1|| within 10^3 of ||dL/dh_T||, torch's default init loses more than 10^15."""
    r3, _ = ratio_last_first(GradConfig(cell="gru", seed=0, forget_bias=3.0, T=100, hidden=64))
    r0, _ = ratio_last_first(GradConfig(cell="gru", seed=0, T=100, hidden=64))
    assert r3 < 1e3 and r0 > 1e15


def test_spectral_radius_against_numpy():
    for cell in rnnviz.CELLS:
        m = make_model(GradConfig(cell=cell, hidden=9, seed=6, weight_scale=1.7))
        W = m.rnn.weight_hh_l0.detach().double().numpy()
        sr = spectral_radius(m.rnn.weight_hh_l0)
        ref = [float(np.abs(np.linalg.eigvals(W[k * 9:(k + 1) * 9])).max()) for k in range(W.shape[0] // 9)]
        if cell == "rnn":
            assert isinstance(sr, float) and sr == pytest.approx(ref[0], rel=1e-9)
        else:
            assert list(sr) == list(rnnviz.GATES[cell])
            assert list(sr.values()) == pytest.approx(ref, rel=1e-9)
    assert spectral_radius(torch.eye(4) * 0.5) == pytest.approx(0.5)
    with pytest.raises(ValueError):
        spectral_radius(torch.zeros(10, 4))          # 2.5 blocks
    with pytest.raises(ValueError):
        spectral_radius(torch.zeros(8, 4))           # 2 blocks: no such cell


def test_memory_task():
    x, y = memory_task(30, vocab=8, seed=3)
    assert x.shape == y.shape == (30,) and x.dtype == y.dtype == torch.long
    assert int(y[-1]) == int(x[0]) and bool((y == x[0]).all())     # recall the first symbol, at every step
    assert 0 <= int(x.min()) and int(x.max()) < 8 and len(set(x.tolist())) > 3
    xb, yb = memory_task(30, vocab=8, seed=3, n=5)
    assert xb.shape == yb.shape == (5, 30)
    assert torch.equal(xb[0], x) and torch.equal(yb[0], y)
    assert torch.equal(yb, xb[:, :1].expand(-1, 30))
    x2, _ = memory_task(30, vocab=8, seed=3)
    assert torch.equal(x, x2)
    assert not torch.equal(x, memory_task(30, vocab=8, seed=4)[0])
    for bad in ({"T": 1}, {"T": 401}, {"T": 10, "vocab": 1}, {"T": 10, "n": 0}, {"T": 10, "n": 2000}):
        with pytest.raises(ValueError):
            memory_task(**bad)


# ---- gradients across time: autograd, finite differences ---------------------------------------------

@pytest.mark.parametrize("loss_on", ["last", "all"])
@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("cell,nl", VARIANTS, ids=VARIANT_IDS)
def test_grad_across_time_matches_autograd(cell, nl, seed, loss_on):
    model, x, y = small(cell, nl, H=6, T=12, seed=seed)
    got = grad_across_time(model, x, y, loss_on)
    ref = autograd_dh(model, x, y, loss_on).norm(dim=1).numpy()
    assert got.shape == (12,)
    np.testing.assert_allclose(got, ref, rtol=1e-9, atol=1e-14)
    assert (got > 0).all()
    if loss_on == "last":   # the loss at step T reaches h_t only through h_T
        np.testing.assert_allclose(got[-1], autograd_dh(model, x, y, "last")[-1].norm().item(), rtol=1e-12)


@pytest.mark.parametrize("loss_on", ["last", "all"])
@pytest.mark.parametrize("cell,nl", VARIANTS, ids=VARIANT_IDS)
def test_grad_across_time_float32_matches_autograd(cell, nl, loss_on):
    model, x, y = small(cell, nl, H=16, T=40, seed=2, scale=1.2, dtype=torch.float32)
    got = grad_across_time(model, x, y, loss_on)
    ref = autograd_dh(model.double(), x, y, loss_on).norm(dim=1).numpy()
    np.testing.assert_allclose(got, ref, rtol=2e-4, atol=1e-7 * ref.max())


@pytest.mark.parametrize("loss_on", ["last", "all"])
@pytest.mark.parametrize("cell,nl", VARIANTS, ids=VARIANT_IDS)
def test_grad_across_time_matches_finite_differences(cell, nl, loss_on):
    """Central differences of L w.r.t. a perturbation added to h_t (float64), every t and unit."""
    model, x, y = small(cell, nl, H=3, T=6, seed=5)
    T, H, eps = 6, 3, 1e-6
    fd = np.zeros((T, H))
    with torch.no_grad():
        for t in range(T):
            for j in range(H):
                d = torch.zeros(T, H, dtype=torch.float64)
                d[t, j] = eps
                lp = loss_of(model, stepwise(model, x, dh=d), y, loss_on).item()
                lm = loss_of(model, stepwise(model, x, dh=-d), y, loss_on).item()
                fd[t, j] = (lp - lm) / (2 * eps)
    got = grad_across_time(model, x, y, loss_on)
    np.testing.assert_allclose(got, np.linalg.norm(fd, axis=1), rtol=1e-6, atol=1e-10)
    assert got.max() > 1e-3


def test_grad_across_time_leaves_model_alone():
    model, x, y = small("lstm", H=6, T=10)
    before = [p.detach().clone() for p in model.parameters()]
    a = grad_across_time(model, x, y, "all")
    b = grad_across_time(model, x, y, "all")
    np.testing.assert_array_equal(a, b)
    assert all(p.grad is None for p in model.parameters())
    assert all(torch.equal(p, q) for p, q in zip(model.parameters(), before))


def test_grad_across_time_validation():
    model, x, y = small("rnn", H=4, T=6)
    with pytest.raises(ValueError, match="loss_on"):
        grad_across_time(model, x, y, "first")
    with pytest.raises(ValueError, match="window"):
        grad_across_time(model, x, y, "last", window=0)
    with pytest.raises(ValueError):
        grad_across_time(model, x, y[:-1])
    with pytest.raises(ValueError):
        grad_across_time(model, x.unsqueeze(0), y.unsqueeze(0))
    with pytest.raises(ValueError):
        grad_across_time(model, x, y + 10)


# ---- truncated BPTT ----------------------------------------------------------------------------------

def test_truncation_start_rule():
    # chunks aligned from t = 1: 1..k, k+1..2k, ...; the loss at step T reaches back to its chunk's start
    assert truncation_start(100, None) == 1
    assert truncation_start(100, 10) == 91
    assert truncation_start(100, 7) == 99      # chunks ..., 92..98, 99..105
    assert truncation_start(100, 1) == 100
    assert truncation_start(100, 100) == 1
    assert truncation_start(100, 150) == 1
    assert truncation_start(101, 10) == 101


@pytest.mark.parametrize("window", [1, 3, 7, 25, 40, 64])
@pytest.mark.parametrize("cell,nl", VARIANTS, ids=VARIANT_IDS)
def test_truncated_bptt_cuts_exactly_at_the_chunk_start(cell, nl, window):
    T = 50
    model, x, y = small(cell, nl, H=8, T=T, seed=1, scale=2.0, dtype=torch.float32)
    full = grad_across_time(model, x, y, "last")
    cut = grad_across_time(model, x, y, "last", window=window)
    s = truncation_start(T, window)                 # 1-based
    assert (cut[:s - 1] == 0).all()                   # EXACTLY zero before the start of step T's chunk
    np.testing.assert_array_equal(cut[s - 1:], full[s - 1:])   # identical arithmetic inside the window
    assert (full[:s - 1] > 0).all()                   # full BPTT does reach those steps
    assert (cut[s - 1:] > 0).all()


@pytest.mark.parametrize("window", [1, 4, 5, 12])
@pytest.mark.parametrize("loss_on", ["last", "all"])
@pytest.mark.parametrize("cell,nl", VARIANTS, ids=VARIANT_IDS)
def test_truncated_bptt_matches_detached_autograd(cell, nl, loss_on, window):
    """Truncated BPTT = autograd through the fused module with the state detached at chunk starts."""
    model, x, y = small(cell, nl, H=5, T=12, seed=3)
    got = grad_across_time(model, x, y, loss_on, window=window)
    ref = autograd_dh(model, x, y, loss_on, window=window).norm(dim=1).numpy()
    np.testing.assert_allclose(got, ref, rtol=1e-9, atol=1e-14)


# ---- Jacobian norms ----------------------------------------------------------------------------------

@pytest.mark.parametrize("cell,nl", VARIANTS, ids=VARIANT_IDS)
def test_jacobian_norms_exact_match_autograd_jacobian(cell, nl):
    model, x, _ = small(cell, nl, H=5, T=7, seed=4)
    T, H = 7, 5
    res = jacobian_norms(model, x)
    assert res["exact"] and res["probes"] == 0 and res["norms"].shape == (T,)
    ref, ref_c = [], []
    for t in range(T):
        def f(d, t=t):
            z = torch.zeros(T, H, dtype=torch.float64)
            z[t] = d
            return stepwise(model, x, dh=z)[-1]
        J = torch.autograd.functional.jacobian(f, torch.zeros(H, dtype=torch.float64))   # (H, H) dh_T/dh_t
        ref.append(float(torch.linalg.matrix_norm(J)))
        if cell == "lstm":
            def fc(d, t=t):
                z = torch.zeros(T, H, dtype=torch.float64)
                z[t] = d
                return stepwise(model, x, dc=z)[-1]
            ref_c.append(float(torch.linalg.matrix_norm(torch.autograd.functional.jacobian(fc, torch.zeros(H, dtype=torch.float64)))))
    np.testing.assert_allclose(res["norms"], ref, rtol=1e-9, atol=1e-14)
    assert res["norms"][-1] == pytest.approx(math.sqrt(H))           # dh_T/dh_T = I
    if cell == "lstm":
        np.testing.assert_allclose(res["norms_c"], ref_c, rtol=1e-9, atol=1e-14)
    else:
        assert res["norms_c"] is None


def rnn_jacobians_by_chain(model, x):
    """Exact dh_T/dh_t for a tanh RNN by multiplying the per-step Jacobians diag(1 - h_s^2) W_hh (float64)."""
    with torch.no_grad():
        h = stepwise(model, x).double()                      # (T, H)
        W = model.rnn.weight_hh_l0.double()
        T, H = h.shape
        J = torch.eye(H, dtype=torch.float64)
        out = [None] * T
        out[-1] = J.clone()
        for s in range(T - 1, 0, -1):                        # dh_T/dh_{s-1} = dh_T/dh_s @ diag(1 - h_s^2) W
            J = (J * (1 - h[s] ** 2)) @ W
            out[s - 1] = J.clone()
        return np.array([float(torch.linalg.matrix_norm(j)) for j in out])


@pytest.mark.parametrize("cell", rnnviz.CELLS)
def test_jacobian_norm_probes_within_20_percent_at_H160(cell):
    H, T = 160, 30
    model = make_model(GradConfig(cell=cell, hidden=H, T=T, seed=0, weight_scale=1.5 if cell == "rnn" else 2.0))
    x, _ = task_for(GradConfig(cell=cell, hidden=H, T=T, seed=0))
    est = jacobian_norms(model, x, probes=64, seed=0)
    assert not est["exact"] and est["probes"] == 64
    exact = jacobian_norms(model, x, exact_max_hidden=256)
    assert exact["exact"]
    if cell == "rnn":                                   # an independent exact computation
        np.testing.assert_allclose(exact["norms"], rnn_jacobians_by_chain(model.double(), x), rtol=1e-4)
    rel = np.abs(est["norms"] / exact["norms"] - 1)
    assert rel.max() < 0.2, rel
    assert exact["norms"][-1] == pytest.approx(math.sqrt(H), rel=1e-6)


def test_jacobian_norms_validation():
    model, x, _ = small("gru", H=4, T=5)
    for kw in ({"probes": 0}, {"probes": 5000}, {"exact_max_hidden": -1}):
        with pytest.raises(ValueError):
            jacobian_norms(model, x, **kw)
    a = jacobian_norms(model, x, exact_max_hidden=0, probes=8, seed=1)
    b = jacobian_norms(model, x, exact_max_hidden=0, probes=8, seed=1)
    assert not a["exact"]
    np.testing.assert_array_equal(a["norms"], b["norms"])


# ---- vanishing and exploding -------------------------------------------------------------------------

T100 = dict(hidden=64, T=100, loss_on="last")


def ratio_last_first(cfg, dtype=torch.float64):
    """||dL/dh_T|| / ||dL/dh_1|| with the loss on the last step (float64: no underflow to 0)."""
    model = make_model(cfg).to(dtype)
    g = grad_across_time(model, *task_for(cfg), loss_on="last")
    return g[-1] / g[0], g


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_rnn_default_init_vanishes_lstm_forget_bias_3_does_not(seed):
    # measured (seeds 0..3, float64): RNN 2.4e24, 2.9e23, 9.0e23, 8.6e23; LSTM fb 3: 6.2, 9.1, 8.8, 11.1;
    # LSTM at torch's default init: 6e20, 4e19, 2e20, 4e19; LSTM fb 1: 2.4e8, 4.4e7, 5.8e7, 1.4e8; fb 2: 237, 87,
    # 323, 640. With fb 3 the curve dips after the last step and then stays level (max/min 20, 41, 35, 38).
    r_rnn, g = ratio_last_first(GradConfig(cell="rnn", seed=seed, **T100))
    assert r_rnn >= 1e3 and r_rnn > 1e20
    assert g[0] < g[49] < g[-1]
    r_lstm3, g3 = ratio_last_first(GradConfig(cell="lstm", seed=seed, forget_bias=3.0, **T100))
    assert r_lstm3 < 30
    assert g3.max() / g3.min() < 100                   # nowhere orders of magnitude below the last step
    r_lstm, _ = ratio_last_first(GradConfig(cell="lstm", seed=seed, **T100))
    assert r_lstm > 1e15                               # torch's default LSTM init vanishes almost like the RNN
    # in float32 (what the page runs) the RNN's gradient at t = 1 underflows: <= 1e-3 of the last step's
    g32 = grad_across_time(make_model(GradConfig(cell="rnn", seed=seed, **T100)),
                             *task_for(GradConfig(seed=seed, **T100)), loss_on="last")
    assert g32[0] <= 1e-3 * g32[-1]


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_large_spectral_radius_gradients_grow(seed):
    # tanh RNN with W_hh x 3 (spectral radius ~1.8): ||dL/dh_1|| / ||dL/dh_T|| measured 2.5e4, 5.4e3, 6.9e4, 6.0e4
    cfg = GradConfig(cell="rnn", seed=seed, weight_scale=3.0, **T100)
    assert spectral_radius(make_model(cfg).rnn.weight_hh_l0) > 1.5
    r, g = ratio_last_first(cfg)
    assert 1 / r > 1e3
    assert np.isfinite(g).all()
    # orthogonal W_hh x 1.5 (all eigenvalues |.| = 1.5): grows too (measured 1.5e3, 1.3e2, 71, 2.2e2)
    r_o, _ = ratio_last_first(dataclasses.replace(cfg, init="orthogonal", weight_scale=1.5))
    assert 1 / r_o > 10


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_relu_with_large_spectral_radius_grows(seed):
    # ReLU RNN, orthogonal W_hh x 2: measured growth 7.8e20, 1.9e15, 1.1e16. (Seed 0 is degenerate: the
    # forward pass explodes too, the last logits saturate on the right answer and dL/dh_T is exactly 0.)
    cfg = GradConfig(cell="rnn", seed=seed, nonlinearity="relu", init="orthogonal", weight_scale=2.0, **T100)
    r, g = ratio_last_first(cfg)
    assert g[-1] > 0 and 1 / r > 1e6


def test_small_scale_vanishes_faster():
    g = {s: ratio_last_first(GradConfig(cell="rnn", seed=0, init="orthogonal", weight_scale=s, **T100))[0]
         for s in (0.5, 1.0, 1.5)}
    assert g[0.5] > g[1.0] > g[1.5]


# ---- clipping ----------------------------------------------------------------------------------------

def global_grad_norm(params):
    return float(torch.linalg.vector_norm(torch.stack([p.grad.detach().norm() for p in params])))


@pytest.mark.parametrize("clip", [0.5, 1.0])
def test_clipping_bounds_the_global_norm(clip):
    cfg = GradConfig(cell="rnn", seed=0, hidden=32, T=60, weight_scale=3.0)
    x, y = memory_task(cfg.T, cfg.vocab, cfg.seed, n=8)
    # the raw gradient of the exploding model, by autograd
    raw_model = make_model(cfg)
    loss = F.cross_entropy(raw_model(x).reshape(-1, cfg.vocab), y.reshape(-1))
    loss.backward()
    params_raw = [p for p in raw_model.parameters() if p.requires_grad]
    raw = global_grad_norm(params_raw)
    assert raw > 10 * clip
    # one step of rnnviz.train with clipping: the gradient left in .grad is the clipped one
    model = make_model(cfg)
    res = rnnviz.train(model, x, y, rnnviz.TrainConfig(optimizer="sgd", lr=1e-3, steps=1, clip=clip))
    assert res.steps == 1
    params = [p for p in model.parameters() if p.requires_grad]
    clipped = global_grad_norm(params)
    assert clipped <= clip * (1 + 1e-5)
    assert clipped == pytest.approx(clip, rel=1e-4)
    for p, q in zip(params, params_raw):                         # same direction, scaled by clip / raw
        torch.testing.assert_close(p.grad, q.grad * (clip / raw), rtol=1e-4, atol=1e-7)
    # without clipping the same step keeps the raw norm
    model2 = make_model(cfg)
    rnnviz.train(model2, x, y, rnnviz.TrainConfig(optimizer="sgd", lr=1e-3, steps=1, clip=None))
    assert global_grad_norm([p for p in model2.parameters() if p.requires_grad]) == pytest.approx(raw, rel=1e-4)


def test_clipping_bounds_every_step_of_training():
    cfg = GradConfig(cell="rnn", seed=1, hidden=32, T=60, weight_scale=3.0)
    x, y = memory_task(cfg.T, cfg.vocab, cfg.seed, n=8)
    model = make_model(cfg)
    params = [p for p in model.parameters() if p.requires_grad]
    norms = []
    rnnviz.train(model, x, y, rnnviz.TrainConfig(optimizer="adam", lr=0.01, steps=15, clip=1.0),
                 on_step=lambda *_: norms.append(global_grad_norm(params)))
    assert len(norms) == 15 and max(norms) <= 1.0 + 1e-5


# ---- during training ---------------------------------------------------------------------------------

def test_grad_heatmap_during_training_shapes_and_learning():
    cfg = GradConfig(cell="lstm", hidden=16, T=12, seed=0, forget_bias=1.0, loss_on="last")
    seen = []
    res = grad_heatmap_during_training(cfg, steps=60, every=20, lr=0.02, on_progress=lambda *a: seen.append(a))
    assert res["status"] == "done"
    np.testing.assert_array_equal(res["train_steps"], [0, 20, 40, 60])
    assert res["grad"].shape == (4, 12) and np.isfinite(res["grad"]).all()
    assert len(res["losses"]) == 60 and res["losses"][-1] < res["losses"][0]
    assert [s[0] for s in seen] == [20, 40, 60] and all(s[1] == 60 for s in seen)
    np.testing.assert_array_equal(seen[-1][3], res["grad"][-1])
    # row 0 is the untrained model; the last row is the returned model's gradient
    x0, y0 = res["x"][0], res["y"][0]
    np.testing.assert_array_equal(res["grad"][0], grad_across_time(make_model(cfg), x0, y0, "last"))
    np.testing.assert_array_equal(res["grad"][-1], grad_across_time(res["model"], x0, y0, "last"))


def test_grad_heatmap_stop_keeps_what_was_learnt():
    cfg = GradConfig(cell="gru", hidden=16, T=10, seed=1, loss_on="all", window=4)
    res = grad_heatmap_during_training(cfg, steps=100, every=7, on_progress=lambda step, *_: step < 14)
    assert res["status"] == "stopped"
    np.testing.assert_array_equal(res["train_steps"], [0, 7, 14])
    assert len(res["losses"]) == 14
    init = make_model(cfg)
    assert not torch.equal(init.rnn.weight_hh_l0, res["model"].rnn.weight_hh_l0)
    # continuing from the returned model: a second run trains that model further (learnt weights kept)
    res2 = grad_heatmap_during_training(cfg, steps=5, every=5, model=res["model"])
    assert res2["losses"][0] == pytest.approx(res["losses"][-1], rel=0.2)
    assert res2["losses"][0] < res["losses"][0]


def test_grad_heatmap_records_the_last_step_when_stopped_between_recordings():
    cfg = GradConfig(cell="rnn", hidden=8, T=6, seed=0)
    res = grad_heatmap_during_training(cfg, steps=50, every=20, deadline_s=1e-9)   # deadline after step 1
    assert res["status"] == "deadline"
    np.testing.assert_array_equal(res["train_steps"], [0, 1])
    assert res["grad"].shape == (2, 6)


def test_grad_heatmap_without_clipping_diverges_cleanly_with_clipping_trains():
    # ReLU RNN with W_hh x 3 (spectral radius ~1.8): the forward pass explodes too (initial loss 2.2e4).
    # Plain SGD, lr 1: without clipping the first update overflows and the NaN guard stops at step 2
    # with the step-1 weights; clipped to norm 1 it trains below the memoryless ln 8 (measured 1.97).
    # (A tanh RNN never produces NaN here: its activations are bounded.)
    cfg = GradConfig(cell="rnn", nonlinearity="relu", hidden=32, T=50, seed=0, weight_scale=3.0)
    bad = grad_heatmap_during_training(cfg, steps=60, every=20, lr=1.0, clip=None, optimizer="sgd")
    good = grad_heatmap_during_training(cfg, steps=60, every=20, lr=1.0, clip=1.0, optimizer="sgd")
    assert bad["status"] == "diverged" and "diverged" in bad["message"] and len(bad["losses"]) < 60
    assert all(math.isfinite(v) for v in bad["losses"])
    assert all(torch.isfinite(p).all() for p in bad["model"].parameters())     # the last good weights
    assert np.isfinite(bad["grad"]).all() and bad["train_steps"][-1] == len(bad["losses"])
    assert good["status"] == "done" and len(good["losses"]) == 60
    assert all(math.isfinite(v) for v in good["losses"])
    assert good["losses"][-1] < math.log(8) < good["losses"][0]


def test_grad_heatmap_validation():
    cfg = GradConfig(hidden=4, T=5)
    for kw in ({"every": 0}, {"every": 11, "steps": 10}, {"steps": 0}, {"lr": -1.0}, {"deadline_s": 0.0}):
        with pytest.raises(ValueError):
            grad_heatmap_during_training(cfg, **{"steps": 10, "every": 5, **kw})
    with pytest.raises(ValueError):
        grad_heatmap_during_training(GradConfig(T=1), steps=5, every=5)


# ---- scalar toy --------------------------------------------------------------------------------------

@pytest.mark.parametrize("b", [0.9, 1.0, 1.1, -0.8, 0.0])
def test_scalar_toy_linear_is_b_to_the_k(b):
    xs = np.linspace(-1, 1, 30)
    res = scalar_toy(0.5, b, 0.1, xs, h0=0.3)
    k = np.arange(29, -1, -1)
    # b^k by numpy's vectorised power and by Python's ** may differ in the last bit (numpy releases differ):
    # equal to a few units in the last place, not bit for bit
    np.testing.assert_allclose(res["dhT_dh"], [b ** int(i) for i in k], rtol=1e-14, atol=0)
    assert res["dhT_dh"][-1] == 1.0                                  # dh_T/dh_T: the empty product
    assert res["dhT_dh0"] == pytest.approx(b ** 30, rel=1e-14, abs=0)
    np.testing.assert_array_equal(res["factor"], np.full(30, b))
    h, prev = [], 0.3
    for xv in xs:
        prev = 0.5 * xv + b * prev + 0.1
        h.append(prev)
    np.testing.assert_allclose(res["h"], h, rtol=1e-14, atol=1e-15)


@pytest.mark.parametrize("tanh", [False, True])
@pytest.mark.parametrize("b", [0.7, 1.3, -1.2])
def test_scalar_toy_matches_autograd(b, tanh):
    xs = np.sin(np.arange(25.0))
    res = scalar_toy(0.8, b, -0.2, xs, h0=0.5, tanh=tanh)
    hs = [torch.tensor(0.5, dtype=torch.float64, requires_grad=True)]
    for xv in xs:
        a = 0.8 * float(xv) + b * hs[-1] - 0.2
        hs.append(torch.tanh(a) if tanh else a)
    grads = torch.autograd.grad(hs[-1], hs[:-1], retain_graph=True)    # dh_T/dh_0 .. dh_T/dh_{T-1}
    np.testing.assert_allclose(res["h"], [float(v.detach()) for v in hs[1:]], rtol=1e-12)
    np.testing.assert_allclose(res["dhT_dh"][:-1], [float(g) for g in grads[1:]], rtol=1e-10, atol=1e-300)
    assert res["dhT_dh"][-1] == 1.0
    assert res["dhT_dh0"] == pytest.approx(float(grads[0]), rel=1e-10)
    if tanh:   # saturation only shrinks the factor: |dh_T/dh_t| <= |b|^(T-t)
        assert (np.abs(res["dhT_dh"]) <= np.abs(b) ** np.arange(24, -1, -1) * (1 + 1e-12)).all()


def test_scalar_toy_validation():
    for kw in ({"b": 6.0}, {"a": float("nan")}, {"c": 1e3}, {"h0": float("inf")}, {"x": []}, {"x": [0.0] * 401},
               {"x": [float("nan")]}):
        args = {"a": 1.0, "b": 0.5, "c": 0.0, "x": [1.0, 2.0], **kw}
        with pytest.raises(ValueError):
            scalar_toy(**args)


def test_training_heatmaps_and_the_exploding_demo_live_in_the_library():
    seen = []
    cfg = GradConfig(hidden=8, T=12, seed=3)
    out = training_heatmaps(cfg, steps=20, on_progress=lambda cell, step, total, loss, row: seen.append((cell, step)))
    assert list(out) == list(rnnviz.CELLS) and all(r["status"] == "done" for r in out.values())
    for cell, rec in out.items():
        one = grad_heatmap_during_training(dataclasses.replace(cfg, cell=cell), steps=20, every=1)
        assert rec["steps"] == list(one["train_steps"]) and np.array_equal(np.stack(rec["rows"]), one["grad"])
    assert [s for c, s in seen if c == "gru"] == list(range(1, 21))
    runs = exploding_runs()
    assert runs["no_clip"]["status"] == "diverged" and runs["clip"]["status"] == "done"
    assert EXPLODING.nonlinearity == "relu" and EXPLODING_CLIP == 1.0
