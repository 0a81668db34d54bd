"""Sequence tasks lab, models and training: shapes of every kind, the step-by-step replay against the
fused modules (outputs and dL/dh_t), fit (determinism, NaN guard, deadline, stop, validation curves,
epochs, bounds), memoryless vs memory, seq2seq (reversal learnt, decode steps), one-to-many sampling."""
from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from rnnviz.app.lab import RECIPES, recipe
from rnnviz.data.synthetic import memory_demo_task, seq2seq_task
from rnnviz.nn.memoryless import MemorylessModel
from rnnviz.nn.model import CELLS, KINDS, build_model, seq_model
from rnnviz.nn.seq2seq import BOS, EOS, N_SPECIAL, PAD, Seq2Seq, sequence_accuracy
from rnnviz.tracing.engine import IGNORE, Trace, forward_steps
from rnnviz.tracing.generate import decode_steps, sample_steps
from rnnviz.tracing.outputs import per_step_outputs
from rnnviz.training.fit import FitConfig, compare_cells, evaluate, fit
from tests.references import same, weights

TOL = 1e-5


def float_task(n=64, T=6, F_=3, C=3, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, T, F_, generator=g)
    return x, (x[:, :, 0].sum(1) > 0).long() + (x[:, -1, 1] > 1).long()   # classes 0..2


# ------------------------------------------------------------------------------------------ shapes


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("kind", KINDS)
def test_shapes_float_and_token_inputs(kind, cell):
    out = 5
    m = seq_model(kind, cell, in_features=3, hidden=8, out=out, seed=1)
    x = torch.randn(4, 7, 3)
    want = (4, 7, out) if kind == "many_to_many" else (4, out)
    assert tuple(m(x).shape) == want
    assert tuple(m(x[0]).shape) == want[1:]                     # one unbatched sequence
    assert torch.allclose(m(x[:1])[0], m(x[0]))
    mt = seq_model(kind, cell, vocab=6, hidden=8, out=out, seed=1)
    xt = torch.randint(6, (4, 7))
    assert tuple(mt(xt).shape) == want
    me = seq_model(kind, cell, vocab=6, hidden=8, out=out, seed=1, embed_size=5)
    assert tuple(me(xt).shape) == want and me.embed.weight.requires_grad
    ml = seq_model(kind, cell, in_features=3, hidden=8, out=out, seed=1, embed_size=4)
    assert isinstance(ml.embed, torch.nn.Linear) and tuple(ml(x).shape) == want
    mm = MemorylessModel(kind, in_features=3, hidden=8, out=out, seed=1)
    assert tuple(mm(x).shape) == want
    assert m.cfg.cell == cell and m.cfg.nonlinearity == "tanh" and m.kind == kind
    assert m.loss_kind == ("mse" if kind == "regression" else "ce")


def test_same_seed_same_weights_and_global_rng_untouched():
    torch.manual_seed(123)
    before = torch.random.get_rng_state()
    a = seq_model("many_to_one", "lstm", in_features=2, seed=4)
    b = seq_model("many_to_one", "lstm", in_features=2, seed=4)
    assert torch.equal(torch.random.get_rng_state(), before)
    assert same(weights(a), weights(b))
    assert not same(weights(a), weights(seq_model("many_to_one", "lstm", in_features=2, seed=5)))


def test_forget_bias_and_recipes():
    for cell in ("lstm", "gru"):
        m = seq_model("many_to_one", cell, in_features=2, hidden=4, out=3, forget_bias=1.0)
        total = (m.rnn.bias_ih_l0 + m.rnn.bias_hh_l0)[4:8]             # LSTM forget gate / GRU update gate
        assert torch.equal(total, torch.ones(4)) and m.cfg.forget_bias == 1.0
    r = seq_model("many_to_one", "rnn", in_features=2, hidden=4, out=3, forget_bias=1.0)
    assert r.cfg.forget_bias is None and same(weights(r), weights(seq_model("many_to_one", "rnn", in_features=2,
                                                                           hidden=4, out=3)))
    with pytest.raises(ValueError):
        seq_model("many_to_one", "lstm", in_features=2, forget_bias=50.0)
    assert Seq2Seq("lstm", vocab=5, hidden=4, forget_bias=2.0).encoder.rnn.bias_ih_l0[4:8].eq(2).all()
    for name in RECIPES:
        for cell in CELLS:
            kw, cfg = recipe(name, cell)
            assert cfg.validate() is cfg and kw["hidden"] >= 1
            seq_model("many_to_one", cell, in_features=3, out=10, **kw)
    assert recipe("mnist1d", "lstm")[0]["forget_bias"] == 1.0 and "forget_bias" not in recipe("mnist1d", "gru")[0]
    with pytest.raises(ValueError):
        recipe("imagenet", "gru")


def test_pad_id_reads_the_last_real_token():
    m = seq_model("many_to_one", "gru", vocab=6, hidden=8, out=3, seed=0, pad_id=0)
    seq = torch.tensor([3, 1, 4, 5])
    padded = torch.tensor([[3, 1, 4, 5, 0, 0], [3, 1, 4, 5, 2, 2]])
    y = m(padded)
    assert torch.allclose(y[0], m(seq), atol=TOL)
    assert not torch.allclose(y[1], m(seq), atol=TOL)


@pytest.mark.parametrize("bad", [
    dict(kind="one_to_one", in_features=2), dict(cell="transformer", in_features=2), dict(),
    dict(in_features=2, vocab=4), dict(in_features=0), dict(in_features=2, hidden=0),
    dict(in_features=2, hidden=10_000),
    dict(in_features=2, out=1), dict(vocab=100_000), dict(vocab=2000), dict(in_features=2, nonlinearity="sigmoid"),
    dict(in_features=2, pad_id=0), dict(vocab=4, pad_id=4), dict(in_features=2, seed=-1), dict(in_features=2.0),
])
def test_model_arguments_are_bounded(bad):
    with pytest.raises(ValueError):
        seq_model(**bad)


def test_bad_inputs_are_refused():
    m = seq_model("many_to_one", "gru", in_features=3, hidden=4, out=2)
    for x in (torch.randn(2, 5, 4), torch.randint(3, (2, 5)), torch.randn(2, 0, 3)):
        with pytest.raises(ValueError):
            m(x)
    with pytest.raises(ValueError):
        seq_model("many_to_one", "gru", vocab=4, hidden=4, out=2)(torch.randn(2, 5))


# ------------------------------------------------------------------------- step-by-step replay


def _target(kind, T, out):
    if kind == "many_to_one":
        return 1
    if kind == "many_to_many":
        return torch.tensor([IGNORE] + [t % out for t in range(1, T)])
    return torch.linspace(-1, 1, out)


def _autograd(model, x, target):
    """Loss, total dL/dh_t and head(h_t) by autograd on a step loop of torch's own cells (nn.RNNCell /
    LSTMCell / GRUCell with the model's weights): each h_t's .grad includes every later step."""
    kind = model.kind
    e = model.embed(x)
    if isinstance(model, MemorylessModel):
        hs = list(torch.tanh(model.mlp(e)).split(1))
    else:
        rnn, cell = model.rnn, model.cfg.cell
        E, H = rnn.input_size, rnn.hidden_size
        step = (torch.nn.RNNCell(E, H, nonlinearity=model.cfg.nonlinearity) if cell == "rnn"
                else getattr(torch.nn, cell.upper() + "Cell")(E, H))
        step.load_state_dict({k: getattr(rnn, k + "_l0") for k in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")})
        h, c, hs = torch.zeros(1, H), torch.zeros(1, H), []
        for t in range(e.shape[0]):
            if cell == "lstm":
                h, c = step(e[t:t + 1], (h, c))
            else:
                h = step(e[t:t + 1], h)
            hs.append(h)                                            # (1, H), the tensor the next step reads
    for h in hs:
        h.retain_grad()
    y = model.head(torch.cat(hs))
    if kind == "many_to_one":
        loss = F.cross_entropy(y[-1:], torch.tensor([target]))
    elif kind == "many_to_many":
        loss = F.cross_entropy(y, target)
    else:
        loss = F.mse_loss(y[-1], target)
    loss.backward()
    return loss.item(), torch.cat([h.grad for h in hs]), y.detach()


@pytest.mark.parametrize("cell", CELLS + ("mlp",))
@pytest.mark.parametrize("kind", KINDS)
def test_per_step_outputs_equal_the_fused_module(kind, cell):
    T, out = 9, 4
    for tokens in (False, True):
        args = dict(vocab=5) if tokens else dict(in_features=3)
        if cell == "mlp":
            m = MemorylessModel(kind, hidden=6, out=out, seed=2, **args)
        else:
            m = seq_model(kind, cell, hidden=6, out=out, seed=2, **args)
        x = torch.randint(5, (T,)) if tokens else torch.randn(T, 3)
        tgt = _target(kind, T, out)
        w0 = weights(m)
        so = per_step_outputs(m, x, tgt)
        assert isinstance(so, Trace) and so.kind == kind and so.cell_type == cell   # the one per-step record
        assert same(weights(m), w0) and all(p.grad is None for p in m.parameters())   # weights untouched
        loss, dh, y = _autograd(m, x, tgt)
        fused = m(x).detach()
        assert so.hidden.shape == (T, 6) and so.logits.shape == (T, out)
        if kind == "many_to_many":
            assert torch.allclose(torch.from_numpy(so.logits), fused, atol=TOL)
        else:
            assert torch.allclose(torch.from_numpy(so.logits[-1]), fused, atol=TOL)   # last step = the model's answer
        assert torch.allclose(torch.from_numpy(so.logits), y, atol=TOL)                # every h_t through the head
        if kind == "regression":
            assert so.probs is None
        else:
            assert torch.allclose(torch.from_numpy(so.probs), torch.softmax(y, 1), atol=TOL)
            assert so.probs.shape == (T, out)
        assert math.isclose(so.loss, loss, rel_tol=1e-5, abs_tol=1e-6)
        assert torch.allclose(torch.from_numpy(so.grad_hidden_vec), dh, atol=TOL)
        assert set(so.gates) == set({"rnn": (), "mlp": (), "lstm": ("input", "forget", "candidate", "output"),
                                     "gru": ("reset", "update", "candidate")}[cell])
        assert (so.cell is not None) == (cell == "lstm")
        if cell == "mlp" and kind != "many_to_many":
            assert (so.grad_hidden[:-1] == 0).all()                 # no memory: no gradient reaches earlier steps


def test_per_step_outputs_relu_rnn_and_padding_and_errors():
    m = seq_model("many_to_one", "rnn", vocab=6, hidden=5, out=3, seed=0, nonlinearity="relu", pad_id=0)
    so = per_step_outputs(m, torch.tensor([4, 2, 5, 0, 0]), 2)
    assert so.T == 3
    assert torch.allclose(torch.from_numpy(so.logits[-1]), m(torch.tensor([4, 2, 5])).detach(), atol=TOL)
    with pytest.raises(ValueError):
        per_step_outputs(m, torch.tensor([0, 0]))
    with pytest.raises(ValueError):
        per_step_outputs(m, torch.tensor([[1, 2], [3, 4]]))
    with pytest.raises(ValueError):
        per_step_outputs(m, torch.tensor([1, 2]), 3)                # class out of range


# ------------------------------------------------------------------------------------------ fit


def small_fit(model_seed=0, cell="gru", **kw):
    x, y = float_task(seed=0)
    xv, yv = float_task(n=40, seed=1)
    m = seq_model("many_to_one", cell, in_features=3, hidden=8, out=3, seed=model_seed)
    cfg = FitConfig(**{"steps": 30, "batch_size": 16, "lr": 1e-2, "eval_every": 10, "deadline_s": None, **kw})
    return m, fit(m, (x, y), (xv, yv), cfg)


def test_fit_is_deterministic_and_records_curves():
    m1, r1 = small_fit()
    m2, r2 = small_fit()
    assert r1.losses == r2.losses and r1.val_losses == r2.val_losses and same(weights(m1), weights(m2))
    _, r3 = small_fit(seed=1)                                        # another batch order
    assert r3.losses != r1.losses
    assert r1.status == "done" and r1.steps == 30 and r1.planned_steps == 30 and r1.samples == 30 * 16
    assert r1.val_steps == [10, 20, 30] and len(r1.val_losses) == len(r1.val_accuracies) == 3
    assert len(r1.accuracies) == 30 and all(0 <= a <= 1 for a in r1.accuracies)
    assert r1.val_losses[-1] < r1.val_losses[0] and r1.accuracy == r1.val_accuracy
    assert evaluate(m1, float_task(n=40, seed=1)) == (r1.val_loss, r1.val_accuracy)
    assert not m1.training


def test_fit_final_validation_and_epochs():
    _, r = small_fit(steps=25)
    assert r.val_steps == [10, 20, 25]
    _, r = small_fit(epochs=2, batch_size=30)                        # 64 rows: 3 batches per epoch
    assert r.steps == 6 and r.samples == 2 * 64
    x, y = float_task()
    m = seq_model("many_to_one", "rnn", in_features=3, hidden=4, out=3)
    r = fit(m, (x, y), None, FitConfig(steps=3, deadline_s=None))
    assert r.val_losses == [] and r.accuracy == r.accuracies[-1]


def test_fit_stop_and_deadline_keep_the_result():
    seen = []
    m_stop = seq_model("many_to_one", "gru", in_features=3, hidden=8, out=3, seed=0)
    x, y = float_task()
    r = fit(m_stop, (x, y), float_task(n=40, seed=1),
            FitConfig(steps=50, batch_size=16, eval_every=10, deadline_s=None),
            on_step=lambda p: seen.append((p.step, p.loss)) or p.step < 5)
    assert r.status == "stopped" and r.steps == 5 and [s for s, _ in seen] == [1, 2, 3, 4, 5]
    assert r.val_steps == [5]                                        # validated where it stopped
    m_dl = seq_model("many_to_one", "gru", in_features=3, hidden=8, out=3, seed=0)
    r = fit(m_dl, (x, y), float_task(n=40, seed=1), FitConfig(steps=50, batch_size=16, deadline_s=1e-6))
    assert r.status == "deadline" and r.steps == 1 and r.val_steps == [1] and "time limit" in r.message


def test_nan_guard_keeps_the_last_good_weights():
    x, y = float_task()
    m2, _ = small_fit(steps=2)
    m = seq_model("many_to_one", "gru", in_features=3, hidden=8, out=3, seed=0)

    def poison(p):
        if p.step == 3:
            with torch.no_grad():
                m.head.weight.fill_(float("nan"))
    xv, yv = float_task(n=40, seed=1)
    r = fit(m, (x, y), (xv, yv), FitConfig(steps=30, batch_size=16, lr=1e-2, eval_every=10, deadline_s=None),
            on_step=poison)
    assert r.diverged and r.steps == 3 and "step 3" in r.message
    assert same(weights(m), weights(m2))                             # the weights step 3 started from
    assert all(math.isfinite(v) for v in r.val_losses)
    bad = x.clone()
    bad[0, 0, 0] = float("inf")
    m = seq_model("many_to_one", "lstm", in_features=3, hidden=8, out=3, seed=0)
    w0 = weights(m)
    r = fit(m, (bad, y), None, FitConfig(steps=5, batch_size=64, deadline_s=None))
    assert r.diverged and r.steps == 0 and same(weights(m), w0)


@pytest.mark.parametrize("bad", [dict(lr=0), dict(lr=11.0), dict(lr=float("nan")), dict(steps=0), dict(steps=10**6),
                                 dict(batch_size=0), dict(batch_size=10**5), dict(clip=-1), dict(deadline_s=0),
                                 dict(deadline_s=10_000), dict(eval_every=0), dict(lr_schedule="step"),
                                 dict(epochs=0), dict(seed=-3), dict(steps=True)])
def test_fit_config_is_bounded(bad):
    with pytest.raises(ValueError):
        FitConfig(**bad).validate()


def test_fit_refuses_bad_data():
    m = seq_model("many_to_one", "gru", in_features=3, hidden=4, out=3)
    x, y = float_task()
    cfg = FitConfig(steps=1)
    for data in [(x, y[:10]), (x, y.float()), (x, y + 5), (x[:, :, :2], y), (x[0], y[:1]), (x, ), x]:
        with pytest.raises(ValueError):
            fit(m, data, None, cfg)
    with pytest.raises(ValueError):
        fit(m, (x, y), (x, y + 5), cfg)
    with pytest.raises(ValueError):
        fit(m, (x, y), None, FitConfig(epochs=500, batch_size=1))       # more than MAX_STEPS
    mm = seq_model("many_to_many", "gru", vocab=4, hidden=4, out=4)
    xt = torch.randint(4, (8, 5))
    with pytest.raises(ValueError):
        fit(mm, (xt, torch.full((8, 5), IGNORE)), None, cfg)            # nothing to learn
    with pytest.raises(ValueError):
        fit(mm, (xt, xt[:, :4]), None, cfg)
    reg = seq_model("regression", "gru", in_features=3, hidden=4, out=1)
    with pytest.raises(ValueError):
        fit(reg, (x, y), None, cfg)                                      # MSE wants float targets


def test_regression_and_char_model_train():
    g = torch.Generator().manual_seed(0)
    t = torch.arange(12.0)
    phase = torch.rand(128, 1, generator=g) * 6
    series = torch.sin(0.5 * t + phase)                                  # (128, 12)
    x, y = series[:, :-1, None], series[:, -1]
    m = seq_model("regression", "lstm", in_features=1, hidden=16, out=1, seed=0)
    r = fit(m, (x, y), (x, y), FitConfig(steps=150, batch_size=32, lr=2e-2, eval_every=50, deadline_s=None))
    last_value = float(((y - x[:, -1, 0]) ** 2).mean())                 # the naive baseline, ~0.11
    assert r.val_accuracies == [] and r.accuracy is None
    assert r.val_loss < last_value / 10 and r.val_loss < r.val_losses[0]
    cm = build_model("gru", vocab_size=4, hidden_size=8)
    seq = torch.tensor([[0, 1, 2, 3] * 4])
    r = fit(cm, (seq[:, :-1].repeat(8, 1), seq[:, 1:].repeat(8, 1)), None,
            FitConfig(steps=60, lr=5e-2, deadline_s=None))
    assert r.accuracies[-1] == 1.0


def test_compare_cells_same_data_and_seed():
    x, y = float_task()
    calls = []
    runs = compare_cells(lambda c: seq_model("many_to_one", c, in_features=3, hidden=6, out=3, seed=0),
                         ((x, y), float_task(n=40, seed=1)), FitConfig(steps=8, batch_size=16, eval_every=4),
                         on_step=lambda c, p: calls.append(c))
    assert list(runs) == list(CELLS) and calls == [c for c in CELLS for _ in range(8)]
    for c, run in runs.items():
        assert run.model.cell == c and run.result.steps == 8 and run.result.val_steps == [4, 8]
    with pytest.raises(ValueError):
        compare_cells(lambda c: None, (x, y), FitConfig(), cells=("rnn", "cnn"))
    runs = compare_cells(lambda c: seq_model("many_to_one", c, in_features=3, hidden=6, out=3, seed=0), (x, y),
                         FitConfig(steps=8), cells=("lstm",))
    assert list(runs) == ["lstm"] and runs["lstm"].result.val_losses == []


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")
def test_fit_on_cuda():
    x, y = memory_demo_task(256, 8, seed=0)
    m = seq_model("many_to_many", "lstm", vocab=4, hidden=16, out=4, seed=0).cuda()
    r = fit(m, (x, y), (x, y), FitConfig(steps=20, eval_every=10))
    assert r.status == "done" and next(m.parameters()).is_cuda
    so = per_step_outputs(m, x[0].cuda(), y[0])
    assert torch.allclose(torch.from_numpy(so.logits).cuda(), m(x[0].cuda()).detach(), atol=1e-4)


# ------------------------------------------------------------------------ memoryless vs memory


def test_memory_demo_task():
    x, y = memory_demo_task(50, T=7, seed=3, delay=3, n_symbols=5)
    assert x.shape == y.shape == (50, 7) and x.dtype == y.dtype == torch.long
    assert (y[:, :3] == IGNORE).all() and torch.equal(y[:, 3:], x[:, :4])
    assert torch.equal(memory_demo_task(50, T=7, seed=3, delay=3, n_symbols=5)[0], x)
    with pytest.raises(ValueError):
        memory_demo_task(10, T=2, delay=2)


def test_memoryless_stays_at_chance_while_lstm_and_gru_remember():
    train, val = memory_demo_task(2000, 10, seed=0), memory_demo_task(500, 10, seed=1)
    cfg = FitConfig(steps=250, batch_size=32, lr=1e-2, eval_every=250, deadline_s=None)
    ff = MemorylessModel("many_to_many", vocab=4, hidden=16, out=4, seed=0)
    r_ff = fit(ff, train, val, cfg)
    assert abs(r_ff.val_accuracy - 0.25) < 0.04 and r_ff.val_loss > math.log(4) - 0.02
    for cell in ("lstm", "gru"):
        r = fit(seq_model("many_to_many", cell, vocab=4, hidden=16, out=4, seed=0), train, val, cfg)
        assert r.val_accuracy > 0.97, (cell, r.val_accuracy)


# ------------------------------------------------------------------------------------- seq2seq


def test_seq2seq_task_ids():
    src, tgt = seq2seq_task(200, 1, 5, 4, mode="reverse", seed=0)
    assert src.shape == (200, 5) and tgt.shape == (200, 6)
    for s, t in zip(src, tgt):
        real = s[s != PAD]
        n = len(real)
        assert ((real >= N_SPECIAL) & (real < N_SPECIAL + 4)).all() and (s[n:] == PAD).all()
        assert torch.equal(t[:n], real.flip(0)) and t[n] == EOS and (t[n + 1:] == PAD).all()
    src, tgt = seq2seq_task(20, 3, 3, 2, mode="copy", seed=1)
    assert torch.equal(tgt[:, :3], src) and (tgt[:, 3] == EOS).all()
    with pytest.raises(ValueError):
        seq2seq_task(5, 3, 2)


def test_seq2seq_teacher_forcing_padding_and_decode_steps():
    for cell in CELLS:
        m = Seq2Seq(cell, vocab=7, hidden=8, seed=0)
        src, tgt = seq2seq_task(6, 1, 5, 4, seed=2)
        assert tuple(m(src, tgt).shape) == (6, 6, 7)
        row = src[0][src[0] != PAD]
        st_pad, st_one = m.encode(src[:1]), m.encode(row[None])      # padding does not change the final state
        for a, b in zip(*(s if isinstance(s, tuple) else (s,) for s in (st_pad, st_one))):
            assert torch.allclose(a, b, atol=TOL)
        d = decode_steps(m, src[0])
        with torch.no_grad():                                        # rnnviz.trace's step functions replay the encoder
            enc = forward_steps(cell, m.encoder.rnn, m.encoder.embed(row), m.cfg.nonlinearity)
        assert torch.allclose(torch.from_numpy(d.encoder_hidden), enc["h"], atol=TOL)
        assert torch.allclose(torch.from_numpy(d.encoder_final), enc["h"][-1], atol=TOL)
        assert (d.encoder_final_cell is not None) == (cell == "lstm")
        assert d.inputs[0] == BOS and list(d.inputs[1:]) == list(d.outputs[:-1])
        assert d.probs.shape == (d.L, 7) and d.hidden.shape == (d.L, 8)
        g = m.greedy(src[:1], max_len=d.L)[0]
        assert list(g[:d.L]) == list(d.outputs)
        tf = torch.softmax(m(src[:1], torch.from_numpy(d.outputs)[None].long()), -1)[0]   # same numbers, teacher-forced
        assert torch.allclose(torch.from_numpy(d.probs), tf, atol=TOL)
    with pytest.raises(ValueError):
        m(torch.tensor([[PAD, PAD]]), torch.tensor([[EOS]]))
    with pytest.raises(ValueError):
        decode_steps(m, torch.tensor([9]))


def test_seq2seq_learns_to_reverse_short_strings():
    train, val = seq2seq_task(3000, 1, 5, 4, seed=0), seq2seq_task(300, 1, 5, 4, seed=1)
    m = Seq2Seq("gru", vocab=N_SPECIAL + 4, hidden=32, seed=0)
    r = fit(m, train, val, FitConfig(steps=300, batch_size=64, lr=1e-2, eval_every=100, deadline_s=None))
    assert r.status == "done" and r.val_losses[-1] < r.val_losses[0] and r.val_accuracy > 0.98
    assert sequence_accuracy(m, *val) > 0.95
    d = decode_steps(m, torch.tensor([3, 4, 4, 6]))
    assert list(d.outputs) == [6, 4, 4, 3, EOS]


# ---------------------------------------------------------------------------------- one-to-many


def test_sample_steps_gives_each_steps_distribution():
    m = build_model("lstm", vocab_size=5, hidden_size=8, seed=1)
    g = sample_steps(m, 2, 12, temperature=1.0, seed=3)
    assert g.ids.shape == (12,) and g.probs.shape == (12, 5) and g.hidden.shape == (12, 8)
    assert torch.allclose(torch.from_numpy(g.probs).sum(1), torch.ones(12), atol=1e-5)
    seq = torch.tensor([2] + list(g.ids[:-1]))
    assert torch.allclose(torch.softmax(m(seq), -1), torch.from_numpy(g.probs), atol=1e-5)  # = the fused module
    assert (sample_steps(m, 2, 12, seed=3).ids == g.ids).all()
    gr = sample_steps(m, [2, 3], 6, greedy=True)
    assert (gr.ids == gr.probs.argmax(1)).all() and gr.start == [2, 3]
    sm = seq_model("many_to_many", "gru", vocab=5, hidden=8, out=5)
    assert sample_steps(sm, 0, 4).ids.shape == (4,)
    for bad in (dict(start=5), dict(start=[]), dict(n=0), dict(n=10_000), dict(temperature=0)):
        with pytest.raises(ValueError):
            sample_steps(m, **{"start": 0, "n": 3, **bad})
