"""rnnviz.tracing.intervene: an edited replay equals a hand-modified forward pass written here from the raw
weights, one step at a time, in float64; no edit is `trace` itself; clamping a gate to the value it had changes
nothing; zeroing an RNN's h_t makes h_{t+1} = tanh(W_xh x + b) exactly; bad edits get clear errors."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from rnnviz.nn.model import build_model
from rnnviz.tracing.engine import trace
from rnnviz.tracing.intervene import Intervention, InterventionError, quantities, replay, step_losses


def model_and_text(cell, nl="tanh", H=6, V=5, T=9, seed=1, dtype=torch.float64):
    m = build_model(cell, vocab_size=V, hidden_size=H, seed=seed, nonlinearity=nl).to(dtype).eval()
    g = torch.Generator().manual_seed(seed + 3)
    return m, torch.randint(V, (T,), generator=g), torch.randint(V, (T,), generator=g)


def hand_forward(model, x, edit=None):
    """The cell's equations from the raw weights, step by step, with `edit` applied: (h (T, H), c (T, H) or None)."""
    cell, rnn = model.cfg.cell, model.rnn
    H = rnn.hidden_size
    Wi, Wh, bi, bh = rnn.weight_ih_l0, rnn.weight_hh_l0, rnn.bias_ih_l0, rnn.bias_hh_l0
    h, c = torch.zeros(H, dtype=Wi.dtype), torch.zeros(H, dtype=Wi.dtype)
    hs, cs = [], []
    units = list(range(H)) if edit is None or edit.units is None else list(edit.units)
    for t in range(x.shape[0]):
        xt = torch.zeros(Wi.shape[1], dtype=Wi.dtype)
        xt[x[t]] = 1.0                                            # one-hot input
        here = edit is not None and edit.step == t + 1
        if cell == "rnn":
            a = Wi @ xt + bi + Wh @ h + bh
            h = torch.tanh(a) if model.cfg.nonlinearity == "tanh" else torch.relu(a)
        elif cell == "lstm":
            a = Wi @ xt + bi + Wh @ h + bh
            gate = {"input": torch.sigmoid(a[:H]), "forget": torch.sigmoid(a[H:2 * H]),
                    "g": torch.tanh(a[2 * H:3 * H]), "output": torch.sigmoid(a[3 * H:])}
            if here and edit.quantity in gate:
                for u in units:
                    gate[edit.quantity][u] = edit.value
            c = gate["forget"] * c + gate["input"] * gate["g"]
            if here and edit.quantity == "c":
                for u in units:
                    c[u] = edit.value
            h = gate["output"] * torch.tanh(c)
        else:
            ai, ah = Wi @ xt + bi, Wh @ h + bh
            r = torch.sigmoid(ai[:H] + ah[:H])
            z = torch.sigmoid(ai[H:2 * H] + ah[H:2 * H])
            if here and edit.quantity == "reset":
                for u in units:
                    r[u] = edit.value
            if here and edit.quantity == "update":
                for u in units:
                    z[u] = edit.value
            n = torch.tanh(ai[2 * H:] + r * ah[2 * H:])
            h = (1 - z) * n + z * h
        if here and edit.quantity == "h":
            h = h.clone()
            for u in units:
                h[u] = edit.value
        hs.append(h.clone())
        cs.append(c.clone())
    return torch.stack(hs), (torch.stack(cs) if cell == "lstm" else None)


EDITS = [("rnn", Intervention(4, "h", 0.0)), ("rnn", Intervention(1, "h", 0.7, (2, 4))),
         ("lstm", Intervention(3, "forget", 0.0, (1,))), ("lstm", Intervention(5, "input", 1.0)),
         ("lstm", Intervention(9, "output", 0.25, (0, 5))), ("lstm", Intervention(2, "h", 0.0)),
         ("lstm", Intervention(6, "c", -2.5, (3,))), ("gru", Intervention(4, "reset", 0.0)),
         ("gru", Intervention(1, "update", 1.0, (2,))), ("gru", Intervention(7, "h", 0.0))]


@pytest.mark.parametrize("cell,edit", EDITS, ids=[f"{c}-{e.quantity}-t{e.step}" for c, e in EDITS])
def test_an_edited_replay_equals_a_hand_modified_forward_pass(cell, edit):
    model, x, y = model_and_text(cell)
    got = replay(model, x, y, edit)
    h, c = hand_forward(model, x, edit)
    np.testing.assert_allclose(got.hidden, h.detach().numpy(), rtol=0, atol=1e-12)
    if cell == "lstm":
        np.testing.assert_allclose(got.cell, c.detach().numpy(), rtol=0, atol=1e-12)
    np.testing.assert_allclose(got.logits, model.head(h).detach().numpy(), rtol=0, atol=1e-12)
    # the edit changed something after its step, nothing before it
    base = trace(model, x, y)
    k = edit.step - 1
    assert np.array_equal(got.hidden[:k], base.hidden[:k])
    assert np.abs(got.hidden[k:] - base.hidden[k:]).max() > 1e-6
    if edit.quantity in got.gates:
        units = list(edit.units) if edit.units else slice(None)
        assert np.all(got.gates[edit.quantity][k, units] == edit.value)
    losses = step_losses(got)
    np.testing.assert_allclose(losses, torch.nn.functional.cross_entropy(
        model.head(h), y, reduction="none").detach().numpy(), rtol=1e-12)
    assert got.loss == pytest.approx(float(losses.mean()), rel=1e-12) and got.grad_hidden is None


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_the_hand_pass_without_an_edit_is_torchs_and_no_edit_is_trace_itself(cell):
    model, x, y = model_and_text(cell)
    h, _ = hand_forward(model, x)
    np.testing.assert_allclose(trace(model, x, y).hidden, h.detach().numpy(), atol=1e-12)   # the reference is sound
    a, b = replay(model, x, y), trace(model, x, y)
    assert np.array_equal(a.hidden, b.hidden) and np.array_equal(a.logits, b.logits) and a.loss == b.loss
    assert np.array_equal(a.grad_hidden, b.grad_hidden)
    for g in a.gates:
        assert np.array_equal(a.gates[g], b.gates[g])


@pytest.mark.parametrize("cell,gate", [("lstm", "forget"), ("lstm", "input"), ("lstm", "output"), ("gru", "reset"),
                                       ("gru", "update")])
def test_clamping_a_gate_to_the_value_it_had_changes_nothing(cell, gate):
    model, x, y = model_and_text(cell, dtype=torch.float32)
    base = trace(model, x, y)
    for t, u in ((1, 0), (4, 3), (9, 5)):
        edit = Intervention(t, gate, float(base.gates[gate][t - 1, u]), (u,))
        got = replay(model, x, y, edit)
        assert np.abs(got.hidden - base.hidden).max() <= 1e-6
        assert np.abs(got.logits - base.logits).max() <= 1e-5
        if cell == "lstm":
            assert np.abs(got.cell - base.cell).max() <= 1e-6


def test_zeroing_h_of_an_rnn_makes_the_next_state_tanh_of_the_input_alone():
    model, x, y = model_and_text("rnn", dtype=torch.float32)
    rnn = model.rnn
    for t in (1, 4, 8):
        got = replay(model, x, y, Intervention(t, "h", 0.0))
        assert np.all(got.hidden[t - 1] == 0)
        expect = torch.tanh((rnn.bias_ih_l0 + rnn.bias_hh_l0) + rnn.weight_ih_l0[:, x[t]])   # b + W_xh one-hot x
        assert np.array_equal(got.hidden[t], expect.detach().numpy()), np.abs(got.hidden[t] - expect.detach().numpy()).max()


def test_bad_edits_get_clear_errors_with_codes():
    model, x, y = model_and_text("lstm")
    cases = [(Intervention(0, "forget", 0.5), "step"), (Intervention(10, "forget", 0.5), "step"),
             (Intervention(2, "reset", 0.5), "quantity"), (Intervention(2, "forget", 1.5), "gate_value"),
             (Intervention(2, "forget", float("nan")), "value"), (Intervention(2, "c", 1e6), "state_value"),
             (Intervention(2, "h", 0.0, (6,)), "units"), (Intervention(2, "h", 0.0, ()), "units"),
             (Intervention(2, "h", 0.0, (1, 1)), "units"), (Intervention(True, "h", 0.0), "step")]
    for edit, code in cases:
        with pytest.raises(InterventionError) as e:
            replay(model, x, y, edit)
        assert e.value.code == code and str(e.value), (edit, code)
    assert quantities("rnn") == ("h",) and quantities("gru") == ("reset", "update", "h")
    with pytest.raises(InterventionError, match="no interventions"):
        quantities("mlp")
