"""Long-range tasks: the generators and their baselines, the model, training (determinism, stopping,
NaN guard, beating the baseline), the sweep, and validation."""
from __future__ import annotations

import inspect
import math

import pytest
import torch
import torch.nn.functional as F

from rnnviz.app import longrange as lr
from rnnviz.app.longrange import TaskConfig, long_range_model, moving_average, task_model, train_task
from rnnviz.app.sweep import sweep
from rnnviz.data.synthetic import (ADDING_BASELINE, MAX_T, adding_problem, baseline, copy_baseline, copy_task,
                                   copy_vocab)
from rnnviz.nn.model import CELLS
from rnnviz.tracing.engine import forward_steps, trace
from tests.references import same, weights

# ------------------------------------------------------------------------------------ adding problem


@pytest.mark.parametrize("T", [2, 3, 7, 50, 201])
def test_adding_problem_marks_and_sums(T):
    x, y = adding_problem(500, T, seed=3)
    assert x.shape == (500, T, 2) and y.shape == (500,)
    assert x.dtype == torch.float32 and y.dtype == torch.float32
    v, m = x[..., 0], x[..., 1]
    assert float(v.min()) >= 0 and float(v.max()) < 1
    assert set(m.unique().tolist()) <= {0.0, 1.0}
    half = T // 2
    assert torch.equal(m[:, :half].sum(1), torch.ones(500))    # exactly one mark in the first half ...
    assert torch.equal(m[:, half:].sum(1), torch.ones(500))    # ... and one in the second
    torch.testing.assert_close(y, (v * m).sum(1))
    if T >= 50:  # the marks go everywhere in their half
        first = m[:, :half].argmax(1)
        second = m[:, half:].argmax(1) + half
        assert int(first.min()) == 0 and int(first.max()) == half - 1
        assert int(second.min()) == half and int(second.max()) == T - 1


def test_adding_problem_is_deterministic_per_seed():
    a, b = adding_problem(64, 30, seed=7), adding_problem(64, 30, seed=7)
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    c = adding_problem(64, 30, seed=8)
    assert not torch.equal(a[0], c[0])
    g1, g2 = torch.Generator().manual_seed(5), torch.Generator().manual_seed(5)
    s1 = [adding_problem(16, 10, generator=g1)[1] for _ in range(3)]
    s2 = [adding_problem(16, 10, generator=g2)[1] for _ in range(3)]
    assert all(torch.equal(p, q) for p, q in zip(s1, s2))
    assert not torch.equal(s1[0], s1[1])                         # a generator gives fresh batches


def test_adding_baseline_is_one_sixth_empirically():
    g = torch.Generator().manual_seed(0)
    ys = torch.cat([adding_problem(4096, 20, generator=g)[1] for _ in range(8)])   # 32768 sums
    mse_one = float(((1.0 - ys) ** 2).mean())
    assert mse_one == pytest.approx(1 / 6, abs=0.005)
    assert baseline("adding", 50) == ADDING_BASELINE == pytest.approx(0.1667, abs=1e-4)
    assert float(ys.mean()) == pytest.approx(1.0, abs=0.01)      # 1 is the best constant
    for c in (0.9, 1.1):
        assert float(((c - ys) ** 2).mean()) > mse_one


# ------------------------------------------------------------------------------------ copy task


@pytest.mark.parametrize("T", [1, 5, 50])
def test_copy_task_layout(T):
    x, y = copy_task(300, T, seed=1)
    n_sym, L = 8, 10
    assert x.shape == y.shape == (300, T + 20) and x.dtype == y.dtype == torch.long
    assert copy_vocab() == 10
    sym = x[:, :L]
    assert int(sym.min()) == 1 and int(sym.max()) == n_sym
    assert torch.all(x[:, L:L + T - 1] == 0)
    assert torch.all(x[:, L + T - 1] == n_sym + 1)                # the delimiter, T steps after the last symbol
    assert torch.all(x[:, L + T:] == 0)
    assert torch.all(y[:, :T + L] == 0)
    assert torch.equal(y[:, T + L:], sym)
    x2, y2 = copy_task(300, T, seed=1)
    assert torch.equal(x, x2) and torch.equal(y, y2)
    assert not torch.equal(x, copy_task(300, T, seed=2)[0])


def test_copy_task_other_sizes():
    x, y = copy_task(10, 4, seed=0, n_symbols=3, length=2)
    assert x.shape == (10, 8)
    assert torch.all(x[:, 5] == 4) and torch.equal(y[:, -2:], x[:, :2])
    assert int(x[:, :2].max()) <= 3


@pytest.mark.parametrize("T", [1, 10, 50, 200])
def test_copy_baseline_is_blanks_perfect_and_uniform_recall(T):
    x, y = copy_task(64, T, seed=0)
    V, L, S = 10, 10, 8
    logp = torch.full((64, T + 20, V), -math.inf)
    logp[:, :T + L, 0] = 0.0                                      # blank, certain
    logp[:, T + L:, 1:S + 1] = -math.log(S)                       # uniform over the 8 symbols
    ce = float(F.nll_loss(logp.reshape(-1, V), y.reshape(-1)))
    assert ce == pytest.approx(10 * math.log(8) / (T + 20), rel=1e-6)
    assert copy_baseline(T) == baseline("copy", T) == pytest.approx(ce, rel=1e-6)


def test_copy_baseline_is_the_best_memoryless_predictor_empirically():
    T = 30
    g = torch.Generator().manual_seed(0)
    _, y_fit = copy_task(4096, T, generator=g)
    _, y_test = copy_task(4096, T, generator=g)
    V = copy_vocab()
    freq = torch.stack([torch.bincount(y_fit[:, t], minlength=V) for t in range(T + 20)]).float() + 1e-3
    logp = (freq / freq.sum(1, keepdim=True)).log()              # per-position marginal: no memory at all
    ce = float(F.nll_loss(logp.expand(4096, -1, -1).reshape(-1, V), y_test.reshape(-1)))
    assert ce == pytest.approx(copy_baseline(T), rel=0.01)


# ------------------------------------------------------------------------------------ the model


@pytest.mark.parametrize("cell", CELLS)
def test_model_shapes_and_layout(cell):
    m = task_model("adding", cell, hidden=12, seed=1)
    x, _ = adding_problem(5, 9)
    assert m(x).shape == (5, 9, 1) and m(x[0]).shape == (9, 1)
    torch.testing.assert_close(m(x[0]), m(x)[0])
    assert m.cfg.cell == m.cell == cell and m.cfg.nonlinearity == "tanh" and not m.cfg.tokens
    assert isinstance(m.embed, torch.nn.Identity) and m.cfg.in_features == 2    # the two channels read as they are
    assert m.rnn.batch_first and m.rnn.hidden_size == 12 and m.head.out_features == 1

    c = task_model("copy", cell, hidden=12, seed=1)
    xc, _ = copy_task(4, 6)
    assert c(xc).shape == (4, 26, 10) and c(xc[0]).shape == (26, 10)
    assert isinstance(c.embed, torch.nn.Embedding) and torch.equal(c.embed.weight, torch.eye(10))
    assert not c.embed.weight.requires_grad and c.cfg.tokens and c.cfg.vocab_size == 10


def test_model_seed_fixes_weights_and_leaves_global_rng_alone():
    torch.manual_seed(123)
    state = torch.get_rng_state()
    a, b = task_model("adding", "gru", seed=4), task_model("adding", "gru", seed=4)
    assert torch.equal(torch.get_rng_state(), state)
    assert same(weights(a), weights(b))
    assert not same(weights(a), weights(task_model("adding", "gru", seed=5)))


def test_forget_bias():
    H = 8
    m = long_range_model("lstm", 2, H, 1, seed=0, forget_bias=2.5)
    total = m.rnn.bias_ih_l0 + m.rnn.bias_hh_l0
    assert torch.allclose(total[H:2 * H], torch.full((H,), 2.5))
    d = long_range_model("lstm", 2, H, 1, seed=0)
    torch.testing.assert_close(m.rnn.bias_ih_l0[:H], d.rnn.bias_ih_l0[:H])   # other gates untouched
    assert m.cfg.forget_bias == 2.5
    g = long_range_model("gru", 2, H, 1, seed=0, forget_bias=-1.0)
    assert torch.allclose((g.rnn.bias_ih_l0 + g.rnn.bias_hh_l0)[H:2 * H], torch.full((H,), -1.0))
    r = long_range_model("rnn", 2, H, 1, seed=0, forget_bias=3.0)                # no gate: ignored
    assert r.cfg.forget_bias is None
    assert same(weights(r), weights(long_range_model("rnn", 2, H, 1, seed=0)))


@pytest.mark.parametrize("cell", CELLS)
def test_trace_internals_replay_the_model(cell):
    c = task_model("copy", cell, hidden=10, seed=2)
    x, y = copy_task(1, 5, seed=0)
    tr = trace(c, x[0], y[0])
    torch.testing.assert_close(torch.from_numpy(tr.logits), c(x[0]), atol=1e-5, rtol=1e-5)
    with torch.no_grad():
        assert tr.loss == pytest.approx(float(lr.task_loss("copy", c(x), y)), rel=1e-5)
    a = task_model("adding", cell, hidden=10, seed=2, nonlinearity="relu")
    xa, _ = adding_problem(1, 12)
    with torch.no_grad():
        fw = forward_steps(cell, a.rnn, a.embed(xa[0]), a.cfg.nonlinearity)
        torch.testing.assert_close(a.head(fw["h"]), a(xa[0]), atol=1e-5, rtol=1e-5)


# ------------------------------------------------------------------------------------ training


def test_train_task_defaults_match_task_config():
    sig = inspect.signature(train_task)
    cfg = TaskConfig()
    for name, p in sig.parameters.items():
        if name not in ("on_step", "device"):
            assert p.default == getattr(cfg, name), name


@pytest.mark.parametrize("cell", CELLS)
def test_train_task_is_deterministic(cell):
    kw = dict(task="adding", cell=cell, T=15, hidden=8, steps=25, batch=8, seed=3, deadline_s=None)
    a, b = train_task(**kw), train_task(**kw)
    assert a.status == b.status == "done" and a.steps == 25
    assert a.losses == b.losses and a.grad_norms == b.grad_norms and a.final_loss == b.final_loss
    assert same(weights(a.model), weights(b.model))
    c = train_task(**{**kw, "seed": 4})
    assert c.losses != a.losses


def test_train_task_copy_runs_and_reports_accuracy():
    res = train_task("copy", "gru", T=5, hidden=16, steps=20, batch=8, seed=0, deadline_s=None)
    assert res.status == "done" and res.steps == 20 and len(res.times) == 20
    assert res.baseline == pytest.approx(10 * math.log(8) / 25)
    assert 0.0 <= res.final_accuracy <= 1.0 and math.isfinite(res.final_loss)
    assert res.losses[-1] < res.losses[0]                        # learns the blanks at least
    assert res.ratio == pytest.approx(res.final_loss / res.baseline)


def test_same_seed_same_data_for_every_cell():
    cfg = TaskConfig(seed=9, T=12)
    a = lr.eval_batch(cfg)
    b = lr.eval_batch(TaskConfig(seed=9, T=12, cell="rnn", hidden=5))
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    assert not torch.equal(a[0], lr.eval_batch(TaskConfig(seed=10, T=12))[0])


def test_beat_step_is_first_full_window_moving_average_below_threshold():
    res = train_task(cell="gru", T=10, hidden=16, steps=200, seed=0, deadline_s=None)
    assert res.beaten
    W, level = lr.BEAT_WINDOW, lr.BEAT_FRACTION * res.baseline
    avg = moving_average(res.losses, W)
    first = next(i + 1 for i, a in enumerate(avg) if i + 1 >= W and a < level)
    assert res.beat_step == first and res.beat_seconds == res.times[first - 1]
    assert res.smoothed == avg
    assert moving_average([1.0, 3.0, 5.0, 7.0], 2) == [1.0, 2.0, 4.0, 6.0]


@pytest.mark.slow
def test_lstm_beats_the_adding_baseline_at_T50_with_the_defaults():
    # the page's default step budget; no deadline, so a loaded machine trains the same steps
    res = train_task("adding", "lstm", T=50, seed=0, deadline_s=None)
    assert res.status == "done", res.message
    assert res.steps == TaskConfig().steps
    assert res.beaten and res.beat_step <= TaskConfig().steps
    assert res.final_loss < lr.BEAT_FRACTION * 0.167 and res.ratio < 0.5


def test_tanh_rnn_stays_at_the_adding_baseline_at_long_T():
    res = train_task("adding", "rnn", T=100, steps=300, seed=0)
    assert res.status == "done" and not res.beaten
    assert 0.8 < res.ratio < 1.5 and min(res.smoothed[lr.BEAT_WINDOW:]) > 0.8 * res.baseline


def test_on_step_stop_keeps_weights_and_deadline():
    seen = []

    def on_step(p):
        step, loss, avg = p.step, p.loss, p.average
        seen.append((step, loss, avg))
        return step < 3

    res = train_task(T=10, hidden=8, steps=50, on_step=on_step)
    assert res.status == "stopped" and res.steps == 3 and [s for s, _, _ in seen] == [1, 2, 3]
    assert seen[2][2] == pytest.approx(sum(res.losses) / 3)
    ref = train_task(T=10, hidden=8, steps=3)
    assert same(weights(res.model), weights(ref.model))       # a stop keeps what was learnt
    d = train_task(T=10, hidden=8, steps=1000, deadline_s=1e-6)
    assert d.status == "deadline" and d.steps == 1 and math.isfinite(d.final_loss)
    t = train_task(cell="gru", T=10, hidden=16, steps=1000, target_ratio=0.5, deadline_s=None)
    assert t.status == "target" and t.steps < 1000 and t.smoothed[-1] < 0.5 * t.baseline


def test_nan_guard_real_explosion_keeps_initial_weights():
    res = train_task(cell="rnn", nonlinearity="relu", T=50, lr=10.0, clip=None, steps=50, deadline_s=None)
    assert res.diverged and "diverged at step 2" in res.message and res.steps == 1
    init = task_model("adding", "rnn", 32, 0, nonlinearity="relu")
    assert same(weights(res.model), weights(init))              # the weights of step 1 (before its update)
    assert math.isfinite(res.final_loss)


def test_nan_guard_injected_loss_and_gradient(monkeypatch):
    kw = dict(T=10, hidden=8, steps=20, deadline_s=None)
    ref = train_task(**kw)
    after1 = weights(train_task(**{**kw, "steps": 1}).model)
    real = lr.make_batch
    calls = {"n": 0}

    def poisoned(cfg, n, generator):
        x, y = real(cfg, n, generator)
        calls["n"] += 1
        if calls["n"] == 3:
            x = x.clone()
            x[0, 0, 0] = math.nan
        return x, y

    monkeypatch.setattr(lr, "make_batch", poisoned)
    res = train_task(**kw)
    assert res.status == "diverged" and "step 3" in res.message and "step 2 were kept" in res.message
    assert res.losses == ref.losses[:2]
    assert same(weights(res.model), after1)
    monkeypatch.setattr(lr, "make_batch", real)

    import rnnviz.training.loop as training  # the one training loop clips there
    real_clip = training.clip_grad_norm
    calls["n"] = 0

    def overflow(params, max_norm):
        calls["n"] += 1
        return torch.tensor(math.inf) if calls["n"] == 3 else real_clip(params, max_norm)

    monkeypatch.setattr(training, "clip_grad_norm", overflow)
    res = train_task(**kw)
    assert res.status == "diverged" and "gradient overflowed" in res.message
    assert res.losses == ref.losses[:2] and same(weights(res.model), after1)


def test_clipping_bounds_what_adam_sees_and_is_recorded():
    res = train_task(cell="rnn", T=20, hidden=8, steps=5, clip=1e-3, deadline_s=None)
    assert all(g > 1e-3 for g in res.grad_norms)                # recorded before clipping
    free = train_task(cell="rnn", T=20, hidden=8, steps=5, clip=None, deadline_s=None)
    assert free.grad_norms[0] == res.grad_norms[0] and free.losses[0] == res.losses[0]


# ------------------------------------------------------------------------------------ the sweep


def test_sweep_table():
    rows = []
    s = sweep("adding", cells=("rnn", "gru"), lengths=(4, 8), steps=15, hidden=8, deadline_s=60,
              on_run=rows.append)
    assert [(r.cell, r.T) for r in s.rows] == [("rnn", 4), ("gru", 4), ("rnn", 8), ("gru", 8)]
    assert rows == s.rows and s.status == "done"
    assert all(r.steps == 15 and r.baseline == ADDING_BASELINE for r in s.rows)
    ratios = s.ratios()
    assert set(ratios) == {"rnn", "gru"} and all(len(v) == 2 for v in ratios.values())
    assert ratios["gru"][1] == s.row("gru", 8).ratio == pytest.approx(s.row("gru", 8).final_loss / (1 / 6))
    md = s.markdown()
    assert md.splitlines()[0] == "| cell | T = 4 | T = 8 |" and md.count("\n") == 3


def test_sweep_stops_and_budget():
    s = sweep("copy", cells=("lstm",), lengths=(2, 3, 4), steps=10, hidden=8, on_run=lambda r: False)
    assert s.status == "stopped" and [r.status for r in s.rows] == ["done", "skipped", "skipped"]
    stopped = sweep("adding", cells=("rnn", "lstm"), lengths=(5,), steps=50, hidden=8,
                    on_step=lambda cell, T, p: p.step < 4)
    assert stopped.status == "stopped" and stopped.rows[0].steps == 4 and stopped.rows[1].status == "skipped"
    tiny = sweep("adding", cells=("rnn",), lengths=(5, 6), steps=20_000, hidden=8, deadline_s=0.3)
    assert tiny.status == "deadline" and tiny.seconds >= 0.3      # cut by the clock, never before it
    assert tiny.rows[0].status == "deadline" and tiny.rows[0].steps < 20_000
    assert all(r.status in ("deadline", "skipped") for r in tiny.rows)


# ------------------------------------------------------------------------------------ validation


@pytest.mark.parametrize("kw", [
    dict(task="sum"), dict(cell="transformer"), dict(T=1), dict(T=0), dict(T=MAX_T + 1), dict(T=5.0),
    dict(hidden=0), dict(hidden=10_000), dict(steps=0), dict(steps=True), dict(batch=0), dict(batch=5000),
    dict(lr=0), dict(lr=math.nan), dict(lr=11), dict(seed=-1), dict(clip=-1), dict(clip=math.inf),
    dict(deadline_s=0), dict(deadline_s=601), dict(forget_bias=math.nan), dict(forget_bias=11),
    dict(nonlinearity="sigmoid"), dict(task="copy", n_symbols=1), dict(task="copy", length=0),
    dict(task="copy", T=0), dict(target_ratio=0), dict(target_ratio=1.5),
])
def test_train_task_rejects_bad_config(kw):
    with pytest.raises(ValueError):
        train_task(**kw)


def test_copy_task_T1_and_adding_T2_are_allowed():
    assert TaskConfig(task="copy", T=1).validate().sequence_length == 21
    assert TaskConfig(task="adding", T=2).validate().sequence_length == 2


@pytest.mark.parametrize("call", [
    lambda: adding_problem(0, 10), lambda: adding_problem(10, 1), lambda: adding_problem(4096, 1000),
    lambda: adding_problem(10, 10, seed=-1), lambda: copy_task(10, 0), lambda: copy_task(10, 5, n_symbols=1),
    lambda: copy_task(10, 5, length=101), lambda: baseline("sum", 5),
    lambda: long_range_model("transformer", 2, 8, 1), lambda: long_range_model("lstm", 2, 0, 1),
    lambda: long_range_model("lstm", 2, 8, 1, forget_bias=math.inf), lambda: task_model("sum"),
    lambda: sweep(cells=()), lambda: sweep(cells=("rnn", "rnn")), lambda: sweep(cells=("cnn",)),
    lambda: sweep(lengths=()), lambda: sweep(lengths=tuple(range(2, 13))), lambda: sweep(deadline_s=0),
    lambda: sweep(lengths=(10, 2000)),
])
def test_bounds_raise_value_error(call):
    with pytest.raises(ValueError):
        call()


def test_a_comparison_grows_in_the_callers_dict_and_an_interrupted_run_keeps_its_losses():
    cfg = TaskConfig(task="adding", T=10, steps=12, hidden=8, seed=0)
    into: dict = {}
    out = lr.compare_cells(cfg, ("rnn", "lstm"), into=into)
    assert out.keys() == into.keys() == {"rnn", "lstm"} and all(into[c] is out[c] for c in out)
    assert [r.status for r in out.values()] == ["done", "done"] and all(len(r.losses) == 12 for r in out.values())

    class Rerun(Exception):           # what a Streamlit rerun does to the script thread mid-run
        pass

    def on_step(cell, p):
        if cell == "lstm" and p.step == 5:
            raise Rerun
    into = {}
    with pytest.raises(Rerun):
        lr.compare_cells(cfg, ("rnn", "lstm"), on_step, into=into)
    assert into["rnn"].status == "done" and len(into["rnn"].losses) == 12
    assert into["lstm"].status == "stopped" and len(into["lstm"].losses) == 5   # kept, and said to be cut short
    assert into["rnn"].losses == out["rnn"].losses                              # same seed, same batches
