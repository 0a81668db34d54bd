"""rnnviz.tracing.gradients.gradient_sources and input_attribution (issue #15, "where the gradient comes from")
against independent references: autograd through torch's fused module run one step at a time
(tests/references.py), one graph per loss step, in float64, and finite differences."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from rnnviz.app.vanishing import GradConfig, make_model, task_for
from rnnviz.tracing import gradients as G
from rnnviz.tracing.engine import trace
from rnnviz.tracing.gradients import grad_across_time, gradient_sources, input_attribution
from tests.references import stepwise_states

VARIANTS = [("rnn", "tanh"), ("rnn", "relu"), ("lstm", "tanh"), ("gru", "tanh")]
IDS = ["rnn-tanh", "rnn-relu", "lstm", "gru"]


def small(cell, nl="tanh", H=5, T=8, seed=0, scale=1.5):
    cfg = GradConfig(cell=cell, hidden=H, T=T, vocab=4, seed=seed, weight_scale=scale, nonlinearity=nl)
    _, y = task_for(cfg)
    x = torch.randint(4, (T,), generator=torch.Generator().manual_seed(seed + 7))
    return make_model(cfg).double(), x, y


def reference_sources(model, x, y, window=None):
    """dL_tau/dh_s (and dL_tau/dc_s) by autograd, ONE graph per loss step tau: L_tau = CE_tau / T."""
    T, H = x.shape[0], model.rnn.hidden_size
    dh_rows, dc_rows = [], []
    for tau in range(T):
        dh = torch.zeros(T, H, dtype=torch.float64, requires_grad=True)
        dc = torch.zeros(T, H, dtype=torch.float64, requires_grad=True) if model.cfg.cell == "lstm" else None
        hs = stepwise_states(model, x, dh, dc, window)
        loss = F.cross_entropy(model.head(hs[tau:tau + 1]), y[tau:tau + 1]) / T
        grads = torch.autograd.grad(loss, [dh] + ([dc] if dc is not None else []), allow_unused=True)
        dh_rows.append(grads[0])
        if dc is not None:
            dc_rows.append(grads[1])
    return torch.stack(dh_rows), (torch.stack(dc_rows) if dc_rows else None)   # (tau, s, H)


@pytest.mark.parametrize("cell,nl", VARIANTS, ids=IDS)
def test_every_source_equals_autograd_one_graph_per_loss_step(cell, nl):
    model, x, y = small(cell, nl)
    got = gradient_sources(model, x, y)
    ref_h, ref_c = reference_sources(model, x, y)
    np.testing.assert_allclose(got["norms"], ref_h.norm(dim=2).numpy(), rtol=1e-9, atol=1e-14)
    if cell == "lstm":
        np.testing.assert_allclose(got["norms_c"], ref_c.norm(dim=2).numpy(), rtol=1e-9, atol=1e-14)
    else:
        assert got["norms_c"] is None
    # the decomposition: shares are projections of the reference's vectors on the total's direction
    total = ref_h.sum(dim=0)                                               # (s, H) = dL/dh_s
    unit = total / total.norm(dim=1, keepdim=True)
    np.testing.assert_allclose(got["share"], (ref_h * unit[None]).sum(dim=2).numpy(), rtol=1e-8, atol=1e-14)


@pytest.mark.parametrize("cell,nl", VARIANTS, ids=IDS)
def test_the_sources_add_up_to_the_total_gradient_of_every_page(cell, nl):
    model, x, y = small(cell, nl, T=11, seed=3)
    got = gradient_sources(model, x, y)
    total = grad_across_time(model, x, y, "all")
    np.testing.assert_allclose(got["total"], total, rtol=1e-12)
    np.testing.assert_allclose(got["share"].sum(axis=0), total, rtol=1e-9)          # sum over tau, every s
    np.testing.assert_allclose(got["total"], trace(model, x, y).grad_hidden, rtol=1e-9)
    # a state never changes an earlier loss: exactly 0 above the diagonal, and every loss reaches its own state
    T = x.shape[0]
    upper = np.triu_indices(T, k=1)
    assert np.all(got["norms"][upper] == 0) and np.all(got["share"][upper] == 0)
    assert np.all(np.diag(got["norms"]) > 0)
    # the triangle can be drawn only if it is not a copy of one row: the losses differ per step
    assert len({round(v, 12) for v in np.diag(got["norms"])}) > 1


@pytest.mark.parametrize("window", [2, 3])
@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_truncated_sources_equal_autograd_with_the_state_detached(cell, window):
    model, x, y = small(cell, T=8)
    got = gradient_sources(model, x, y, window=window)
    ref_h, _ = reference_sources(model, x, y, window=window)
    np.testing.assert_allclose(got["norms"], ref_h.norm(dim=2).numpy(), rtol=1e-9, atol=1e-14)
    # nothing crosses a chunk border: a loss at tau reaches only the states of its own chunk
    for tau in range(8):
        start = tau // window * window
        assert np.all(got["norms"][tau, :start] == 0) and got["norms"][tau, start] > 0


def test_blocks_of_loss_steps_give_the_same_numbers(monkeypatch):
    model, x, y = small("lstm", T=9, H=4)
    whole = gradient_sources(model, x, y)
    monkeypatch.setattr(G, "MAX_SOURCE_CELLS", 9 * 4 * 2)                    # blocks of 2 loss steps
    blocked = gradient_sources(model, x, y)
    for k in ("norms", "norms_c", "share", "total"):
        np.testing.assert_allclose(blocked[k], whole[k], rtol=1e-12, atol=0)


def test_vanishing_shows_as_a_triangle_fading_from_its_diagonal_and_the_lstm_keeps_it_lit():
    """The view's lesson at the page's defaults: 64 units, T = 100, seed 0, float32 as drawn."""
    far = {}
    for cell in ("rnn", "lstm"):
        cfg = GradConfig(cell=cell, forget_bias=3.0 if cell == "lstm" else None)
        x, y = task_for(cfg)
        src = gradient_sources(make_model(cfg), x, y)
        n = src["norms"]
        far[cell] = np.median([n[tau, tau - 30] / n[tau, tau] for tau in range(40, 100)])
    # 30 steps back: the RNN's gradient is ~1e-8 of its diagonal, the LSTM's (forget bias 3) ~5e-2
    assert far["rnn"] < 1e-6 and far["lstm"] > 1e-2 and far["lstm"] > 1e4 * far["rnn"], far


def reference_attribution(model, x, y):
    """||dCE_tau/de_s|| by autograd, one graph per loss step, through the fused module on the whole sequence."""
    e = model.embed(x).detach()
    rows = []
    for tau in range(x.shape[0]):
        ee = e.clone().requires_grad_(True)
        out, _ = model.rnn(ee.unsqueeze(0))
        loss = F.cross_entropy(model.head(out[0, tau:tau + 1]), y[tau:tau + 1])
        g, = torch.autograd.grad(loss, ee)
        rows.append(g.norm(dim=1))
    return torch.stack(rows).numpy()


@pytest.mark.parametrize("cell,nl", VARIANTS, ids=IDS)
def test_input_attribution_equals_autograd_and_finite_differences(cell, nl):
    model, x, y = small(cell, nl, T=7)
    got = input_attribution(model, x, y)
    np.testing.assert_allclose(got, reference_attribution(model, x, y), rtol=1e-9, atol=1e-14)
    assert np.all(got[np.triu_indices(7, k=1)] == 0)
    # finite differences on one input vector's entries: loss step 5, input step 2
    e = model.embed(x).detach()
    tau, s, eps = 5, 2, 1e-6

    @torch.no_grad()
    def loss_at(ee):
        out, _ = model.rnn(ee.unsqueeze(0))
        return float(F.cross_entropy(model.head(out[0, tau:tau + 1]), y[tau:tau + 1]))
    fd = []
    for k in range(e.shape[1]):
        up, dn = e.clone(), e.clone()
        up[s, k] += eps
        dn[s, k] -= eps
        fd.append((loss_at(up) - loss_at(dn)) / (2 * eps))
    assert got[tau, s] == pytest.approx(float(np.linalg.norm(fd)), rel=1e-6)


def test_attribution_of_the_prediction_and_the_models_grad_untouched():
    model, x, y = small("gru", T=6)
    for p in model.parameters():
        p.grad = None
    pred = input_attribution(model, x, target="prediction")
    assert all(p.grad is None for p in model.parameters())
    e = model.embed(x).detach().requires_grad_(True)
    out, _ = model.rnn(e.unsqueeze(0))
    logp = torch.log_softmax(model.head(out[0]), dim=1)
    tau = 4
    g, = torch.autograd.grad(logp[tau, logp[tau].argmax()], e)
    np.testing.assert_allclose(pred[tau], g.norm(dim=1).numpy(), rtol=1e-9, atol=1e-14)


def test_bad_requests_get_clear_messages():
    model, x, y = small("rnn")
    with pytest.raises(ValueError, match="truncation window"):
        gradient_sources(model, x, y, window=0)
    with pytest.raises(ValueError, match="shape"):
        gradient_sources(model, x, y[:-1])
    with pytest.raises(ValueError, match="ids must be"):
        gradient_sources(model, x + 10, y)
    with pytest.raises(ValueError, match="needs the targets"):
        input_attribution(model, x)
    with pytest.raises(ValueError, match="target must be"):
        input_attribution(model, x, y, target="logit")
    long_x = torch.zeros(G.MAX_ATTRIBUTION_STEPS + 1, dtype=torch.long)
    with pytest.raises(ValueError, match="at most"):
        input_attribution(model, long_x, long_x)


def test_the_hover_text_carries_the_attribution_of_every_step():
    import json
    import re

    from rnnviz.figures.gradients import attribution_html
    model, x, y = small("lstm", T=7)
    attr = input_attribution(model, x, y)
    page = attribution_html(attr, list("ab<c&de"), 7, "en")
    rows = json.loads(re.search(r"const rows = (\[.*?\]\]),", page).group(1))
    assert len(rows) == 7 and all(len(r) == t for t, r in enumerate(rows, start=1))
    for t, r in enumerate(rows, start=1):
        np.testing.assert_allclose(r, attr[t - 1, :t] / attr[t - 1, :t].max(), atol=5e-4)
    assert "&lt;" in page and "&amp;" in page and "<c&" not in page          # characters escaped
    with pytest.raises(ValueError, match="characters"):
        attribution_html(attr, list("abc"), 1, "en")
