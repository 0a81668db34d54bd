"""rnnviz.trace against torch's fused modules, the raw weights, autograd and finite differences."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import rnnviz
from tests.references import raw_gates, stepwise_states

# (cell, nonlinearity): the vanilla RNN in both flavours, LSTM, GRU
VARIANTS = [("rnn", "tanh"), ("rnn", "relu"), ("lstm", "tanh"), ("gru", "tanh")]
VARIANT_IDS = ["rnn-tanh", "rnn-relu", "lstm", "gru"]
V = 6


def make(cell, nl, H=7, embed=None, seed=0, vocab_size=V, scale=1.0):
    model = rnnviz.build_model(cell, vocab_size=vocab_size, hidden_size=H, seed=seed, embed_size=embed,
                               nonlinearity=nl)
    if scale != 1.0:  # larger recurrent weights: gradients that travel further back in time
        with torch.no_grad():
            for p in model.rnn.parameters():
                p.mul_(scale)
    return model


def ids(T, seed, vocab_size=V, shape=None):
    g = torch.Generator().manual_seed(seed)
    return torch.randint(vocab_size, shape or (T,), generator=g)


def fused_hidden(model, x):
    """(T, H) hidden states from the fused module in one call."""
    return model.rnn(model.embed(x).unsqueeze(0))[0][0]


def stepwise_loss(model, x, y, dh=None, dc=None):
    """Mean cross-entropy of the fused module run one step at a time (`references.stepwise_states`)."""
    return F.cross_entropy(model.head(stepwise_states(model, x, dh, dc)), y)


def autograd_grads(model, x, y):
    """(dL/dh_t (T, H), dL/dc_t (T, H) or None) by autograd through the fused module."""
    T, H = x.shape[0], model.cfg.hidden_size
    dtype = model.head.weight.dtype
    zh = [torch.zeros(H, dtype=dtype, requires_grad=True) for _ in range(T)]
    zc = [torch.zeros(H, dtype=dtype, requires_grad=True) for _ in range(T)] if model.cfg.cell == "lstm" else None
    loss = stepwise_loss(model, x, y, zh, zc)
    grads = torch.autograd.grad(loss, zh + (zc or []), allow_unused=True)
    grads = [torch.zeros(H, dtype=dtype) if g is None else g for g in grads]
    gh = torch.stack(grads[:T]).numpy()
    gc = torch.stack(grads[T:]).numpy() if zc is not None else None
    return float(loss.detach()), gh, gc


# ---- forward ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("embed", [None, 5], ids=["onehot", "embed5"])
@pytest.mark.parametrize("H", [1, 7])
@pytest.mark.parametrize("cell,nl", VARIANTS, ids=VARIANT_IDS)
def test_forward_matches_fused_module(cell, nl, H, embed):
    model = make(cell, nl, H=H, embed=embed, seed=3)
    x = ids(10, seed=4)
    tr = rnnviz.trace(model, x)
    with torch.no_grad():
        logits = model(x)
        hidden = fused_hidden(model, x)
    assert tr.cell_type == cell and tr.T == 10
    assert tr.hidden.shape == (10, H) and tr.logits.shape == (10, V)
    np.testing.assert_allclose(tr.logits, logits.numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(tr.hidden, hidden.numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(tr.x, x.numpy())
    assert set(tr.gates) == set(rnnviz.GATES[cell])
    for g in rnnviz.GATES[cell]:
        assert tr.gates[g].shape == (10, H)
    assert tr.targets is None and tr.loss is None and tr.grad_hidden is None and tr.accuracy is None
    if cell == "lstm":
        assert tr.cell.shape == (10, H)
        e = model.embed(x).unsqueeze(0)
        with torch.no_grad():
            for t in range(10):
                _, (_, c) = model.rnn(e[:, :t + 1])       # final c after the prefix x[:t+1]
                np.testing.assert_allclose(tr.cell[t], c[0, 0].numpy(), rtol=1e-5, atol=1e-5)
    else:
        assert tr.cell is None


@pytest.mark.parametrize("cell,nl", VARIANTS, ids=VARIANT_IDS)
def test_batched_forward_matches_trace_of_each_row(cell, nl):
    model = make(cell, nl, H=5, embed=4, seed=1)
    xb = ids(0, seed=2, shape=(3, 8))
    with torch.no_grad():
        out = model(xb)
    assert out.shape == (3, 8, V)
    for b in range(3):
        np.testing.assert_allclose(rnnviz.trace(model, xb[b]).logits, out[b].numpy(), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("embed", [None, 5], ids=["onehot", "embed5"])
@pytest.mark.parametrize("cell,nl", VARIANTS, ids=VARIANT_IDS)
def test_gates_recomputed_from_raw_weights(cell, nl, embed):
    model = make(cell, nl, H=7, embed=embed, seed=5, scale=2.0)
    x = ids(12, seed=6)
    tr = rnnviz.trace(model, x)
    with torch.no_grad():
        h = fused_hidden(model, x)
        h_prev = torch.cat([torch.zeros(1, 7), h[:-1]])
        ref = raw_gates(model, model.embed(x), h_prev)
    if cell == "rnn":
        np.testing.assert_allclose(tr.hidden, ref["h"].numpy(), rtol=1e-5, atol=1e-5)
        return
    for g in rnnviz.GATES[cell]:
        np.testing.assert_allclose(tr.gates[g], ref[g].numpy(), rtol=1e-5, atol=1e-5, err_msg=g)
    for t in (1, 12):  # Trace.at agrees with the arrays
        at = tr.at(t)
        for g in rnnviz.GATES[cell]:
            np.testing.assert_array_equal(at[g], tr.gates[g][t - 1])
        np.testing.assert_array_equal(at["h"], tr.hidden[t - 1])


@pytest.mark.parametrize("H", [1, 7])
def test_lstm_state_update_from_reported_gates(H):
    tr = rnnviz.trace(make("lstm", "tanh", H=H, seed=7, scale=2.0), ids(12, seed=8))
    i, f, g, o = (tr.gates[k] for k in ("input", "forget", "candidate", "output"))
    c_prev = np.vstack([np.zeros((1, H), np.float32), tr.cell[:-1]])
    np.testing.assert_allclose(tr.cell, f * c_prev + i * g, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(tr.hidden, o * np.tanh(tr.cell), rtol=1e-5, atol=1e-5)
    assert ((i > 0) & (i < 1) & (f > 0) & (f < 1) & (o > 0) & (o < 1)).all()
    assert (np.abs(g) < 1).all()


@pytest.mark.parametrize("H", [1, 7])
def test_gru_state_update_from_reported_gates(H):
    tr = rnnviz.trace(make("gru", "tanh", H=H, seed=9, scale=2.0), ids(12, seed=10))
    z, n = tr.gates["update"], tr.gates["candidate"]
    h_prev = np.vstack([np.zeros((1, H), np.float32), tr.hidden[:-1]])
    np.testing.assert_allclose(tr.hidden, (1 - z) * n + z * h_prev, rtol=1e-5, atol=1e-5)


def test_trace_at_rejects_bad_step():
    tr = rnnviz.trace(make("lstm", "tanh"), ids(4, seed=0))
    assert set(tr.at(4)) == {"h", "input", "forget", "candidate", "output", "c"}
    for t in (0, 5, -1):
        with pytest.raises(ValueError):
            tr.at(t)


# ---- backward through time -------------------------------------------------------------------------

@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("cell,nl", VARIANTS, ids=VARIANT_IDS)
def test_grad_hidden_matches_autograd(cell, nl, seed):
    embed = 5 if seed == 2 else None
    model = make(cell, nl, H=7, embed=embed, seed=seed, scale=1.5 + 0.5 * seed)
    x, y = ids(12, seed=100 + seed), ids(12, seed=200 + seed)
    tr = rnnviz.trace(model, x, y)
    loss, gh, gc = autograd_grads(model, x, y)
    assert tr.loss == pytest.approx(loss, rel=1e-5)
    assert tr.grad_hidden_vec.shape == (12, 7) and tr.grad_hidden.shape == (12,)
    scale = np.abs(gh).max()
    np.testing.assert_allclose(tr.grad_hidden_vec, gh, rtol=1e-4, atol=1e-6 * scale)
    np.testing.assert_allclose(tr.grad_hidden, np.linalg.norm(gh, axis=1), rtol=1e-4, atol=1e-6 * scale)
    if cell == "lstm":
        assert tr.grad_cell.shape == (12,)
        np.testing.assert_allclose(tr.grad_cell, np.linalg.norm(gc, axis=1), rtol=1e-4,
                                   atol=1e-6 * np.abs(gc).max())
    else:
        assert tr.grad_cell is None
    # guard against a vacuous comparison: the gradient must really travel back through time, i.e.
    # differ from the part that comes through the output at t alone
    with torch.no_grad():
        p = torch.softmax(model(x), dim=1)
        p[torch.arange(12), y] -= 1
        direct = (p / 12 @ model.head.weight).numpy()
    assert np.abs(gh - direct)[:-1].max() > 1e-3 * scale
    np.testing.assert_allclose(gh[-1], direct[-1], rtol=1e-4, atol=1e-7)  # nothing after the last step


@pytest.mark.parametrize("cell,nl", VARIANTS, ids=VARIANT_IDS)
def test_grad_hidden_matches_finite_differences_float64(cell, nl):
    model = make(cell, nl, H=3, seed=11, scale=2.0).double()
    x, y = ids(5, seed=12), ids(5, seed=13)
    tr = rnnviz.trace(model, x, y)
    for arr in (tr.hidden, tr.logits, tr.grad_hidden_vec, tr.grad_hidden, *tr.gates.values()):
        assert arr.dtype == np.float64
    if cell == "lstm":
        assert tr.cell.dtype == np.float64 and tr.grad_cell.dtype == np.float64
    eps = 1e-6
    T, H = 5, 3
    fd_h = np.zeros((T, H))
    fd_c = np.zeros((T, H))
    with torch.no_grad():
        for t in range(T):
            for j in range(H):
                for sign in (1, -1):
                    d = torch.zeros(T, H, dtype=torch.float64)
                    d[t, j] = sign * eps
                    fd_h[t, j] += sign * float(stepwise_loss(model, x, y, dh=d)) / (2 * eps)
                    if cell == "lstm":
                        fd_c[t, j] += sign * float(stepwise_loss(model, x, y, dc=d)) / (2 * eps)
        assert float(stepwise_loss(model, x, y)) == pytest.approx(tr.loss, rel=1e-12)
    np.testing.assert_allclose(tr.grad_hidden_vec, fd_h, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(tr.grad_hidden, np.linalg.norm(fd_h, axis=1), rtol=1e-6, atol=1e-9)
    if cell == "lstm":
        np.testing.assert_allclose(tr.grad_cell, np.linalg.norm(fd_c, axis=1), rtol=1e-6, atol=1e-9)


def test_float32_model_gives_float32_arrays():
    tr = rnnviz.trace(make("lstm", "tanh"), ids(5, seed=0), ids(5, seed=1))
    for arr in (tr.hidden, tr.cell, tr.logits, tr.grad_hidden_vec, tr.grad_hidden, tr.grad_cell,
                *tr.gates.values()):
        assert arr.dtype == np.float32


# ---- loss, probabilities, accuracy, side effects -------------------------------------------------

@pytest.mark.parametrize("cell,nl", VARIANTS, ids=VARIANT_IDS)
def test_loss_probs_accuracy(cell, nl):
    model = make(cell, nl, H=7, embed=5, seed=21)
    x, y = ids(11, seed=22), ids(11, seed=23)
    tr = rnnviz.trace(model, x, y)
    with torch.no_grad():
        logits = model(x)
    assert tr.loss == pytest.approx(float(F.cross_entropy(logits, y)), rel=1e-5, abs=1e-6)
    np.testing.assert_allclose(tr.probs.sum(axis=1), 1.0, rtol=1e-6)
    np.testing.assert_allclose(tr.probs, torch.softmax(logits, 1).numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(tr.targets, y.numpy())
    np.testing.assert_array_equal(tr.predictions, logits.argmax(1).numpy())
    assert tr.accuracy == pytest.approx(float((logits.argmax(1) == y).float().mean()))
    # targets equal to the predictions on exactly the first k steps: accuracy k / T
    pred = logits.argmax(1)
    for k in (0, 4, 11):
        yk = torch.where(torch.arange(11) < k, pred, (pred + 1) % V)
        assert rnnviz.trace(model, x, yk).accuracy == pytest.approx(k / 11)


def test_trace_leaves_parameters_and_grads_untouched():
    model = make("lstm", "tanh", H=6, embed=3, seed=31)
    x, y = ids(9, seed=32), ids(9, seed=33)
    F.cross_entropy(model(x), y).backward()               # every trainable parameter has a .grad
    model.head.bias.grad = None                           # ... but one, which must stay None
    before = {n: (p.detach().clone(), None if p.grad is None else p.grad.clone(), p.requires_grad)
              for n, p in model.named_parameters()}
    rnnviz.trace(model, x, y)
    rnnviz.trace(model, x)
    for n, p in model.named_parameters():
        w, g, rg = before[n]
        assert torch.equal(p.detach(), w), n
        assert p.requires_grad == rg, n
        if g is None:
            assert p.grad is None, n
        else:
            assert torch.equal(p.grad, g), n
    assert model.embed.weight.grad is not None and model.head.bias.grad is None


def test_korean_text_end_to_end():
    text = "오늘 주가가 어때?"
    vocab, x, y = rnnviz.next_char_task(text)
    assert vocab.decode(x) == text[:-1] and vocab.decode(y) == text[1:]
    model = rnnviz.build_model("lstm", vocab_size=vocab.size, hidden_size=16, seed=0)
    before = rnnviz.trace(model, x, y)
    res = rnnviz.train(model, x, y, rnnviz.TrainConfig(deadline_s=None))
    tr = rnnviz.trace(model, x, y)
    assert tr.T == len(text) - 1 and tr.logits.shape == (len(text) - 1, vocab.size)
    assert tr.loss < before.loss and tr.accuracy == 1.0, res
    assert vocab.decode(tr.predictions) == text[1:]
    assert np.isfinite(tr.grad_hidden).all() and np.isfinite(tr.grad_cell).all()


# ---- bad input -------------------------------------------------------------------------------------

@pytest.mark.parametrize("x,y", [
    (torch.zeros(2, 3, dtype=torch.long), None),                  # batched
    (torch.zeros(2, 3, dtype=torch.long), torch.zeros(2, 3, dtype=torch.long)),
    (torch.tensor(1), None),                                      # 0-d
    (torch.zeros(0, dtype=torch.long), None),                     # empty
    (torch.zeros(0, dtype=torch.long), torch.zeros(0, dtype=torch.long)),
    (torch.zeros(4, dtype=torch.long), torch.zeros(3, dtype=torch.long)),   # targets too short
    (torch.zeros(4, dtype=torch.long), torch.zeros(1, 4, dtype=torch.long)),  # targets 2-D
    (torch.tensor([0, 1, V]), None),                              # id out of range
    (torch.tensor([0, -1, 2]), None),
    (torch.tensor([0, 1, 2]), torch.tensor([0, V, 1])),           # target out of range
    (torch.tensor([0, 1, 2]), torch.tensor([0, -1, 1])),
], ids=["2d", "2d-targets", "0d", "empty", "empty-targets", "short-targets", "2d-targets-for-1d",
        "id-too-big", "id-negative", "target-too-big", "target-negative"])
@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_bad_input_raises_value_error(cell, x, y):
    model = make(cell, "tanh", H=4)
    with pytest.raises(ValueError):
        rnnviz.trace(model, x, y)


def test_largest_valid_id_is_accepted():
    tr = rnnviz.trace(make("gru", "tanh"), torch.tensor([0, V - 1]), torch.tensor([V - 1, 0]))
    assert tr.T == 2 and np.isfinite(tr.loss)


def test_cross_entropy_grad_is_autograds_with_ignored_positions():
    """The one output-side gradient: the mean cross-entropy over the kept positions and its gradient equal
    F.cross_entropy's and autograd's (float64), with zero rows where the target is IGNORE."""
    from rnnviz.tracing.engine import IGNORE, cross_entropy_grad
    gen = torch.Generator().manual_seed(3)
    logits = torch.randn(7, 5, generator=gen, dtype=torch.float64, requires_grad=True)
    for tgt in (torch.tensor([0, 1, 2, 3, 4, 0, 1]), torch.tensor([IGNORE, 1, IGNORE, 3, 4, IGNORE, 1]),
                torch.tensor([IGNORE] * 6 + [2])):
        loss, d = cross_entropy_grad(logits.detach(), tgt)
        ref = F.cross_entropy(logits, tgt, ignore_index=IGNORE)
        (g,) = torch.autograd.grad(ref, logits)
        assert loss == pytest.approx(ref.item(), rel=1e-12)
        torch.testing.assert_close(d, g, rtol=1e-12, atol=1e-15)
        assert (d[tgt == IGNORE] == 0).all()
    with pytest.raises(ValueError, match="every target is ignored"):
        cross_entropy_grad(logits.detach(), torch.full((7,), IGNORE))
