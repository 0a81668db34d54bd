"""The training loop: convergence, determinism, stopping rules, divergence guard, validation."""
from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

import rnnviz
from rnnviz import TrainConfig
from tests.references import same, weights as params


def hello():
    return rnnviz.next_char_task("hello")


@pytest.mark.parametrize("cell", rnnviz.CELLS)
def test_default_config_learns_hello(cell):
    vocab, x, y = hello()
    model = rnnviz.build_model(cell, vocab_size=vocab.size, hidden_size=16, seed=0)
    assert rnnviz.trace(model, x, y).accuracy < 1.0
    res = rnnviz.train(model, x, y)
    assert res.status == "done" and res.steps == TrainConfig().steps and not res.diverged
    assert len(res.accuracies) == res.steps
    assert res.losses[-1] < 0.5 * res.losses[0]
    tr = rnnviz.trace(model, x, y)
    assert tr.accuracy == 1.0
    assert tr.loss < res.losses[0]
    assert vocab.decode(tr.predictions) == "ello"


@pytest.mark.parametrize("cell", rnnviz.CELLS)
def test_sgd_learns_hello(cell):
    vocab, x, y = hello()
    model = rnnviz.build_model(cell, vocab_size=vocab.size, hidden_size=16, seed=0)
    res = rnnviz.train(model, x, y, TrainConfig(optimizer="sgd", lr=1.0, deadline_s=None))
    assert res.status == "done" and res.losses[-1] < res.losses[0]
    assert rnnviz.trace(model, x, y).accuracy == 1.0


def test_first_loss_is_before_any_update_and_sgd_step_is_plain():
    vocab, x, y = hello()
    model = rnnviz.build_model("gru", vocab_size=vocab.size, hidden_size=8, seed=4)
    w0 = {n: p.detach().clone() for n, p in model.named_parameters()}
    loss0 = F.cross_entropy(model(x), y)
    grads = dict(zip([n for n, p in model.named_parameters() if p.requires_grad],
                     torch.autograd.grad(loss0, [p for p in model.parameters() if p.requires_grad])))
    res = rnnviz.train(model, x, y, TrainConfig(optimizer="sgd", lr=0.5, steps=1, clip=None, deadline_s=None))
    assert res.losses == [pytest.approx(float(loss0.detach()), rel=1e-6)]
    for n, p in model.named_parameters():
        expected = w0[n] - 0.5 * grads[n] if n in grads else w0[n]
        assert torch.allclose(p.detach(), expected, atol=1e-6), n


def test_first_adam_step_moves_each_weight_by_lr():
    vocab, x, y = hello()
    model = rnnviz.build_model("lstm", vocab_size=vocab.size, hidden_size=8, seed=4)
    w0 = [p.detach().clone() for p in model.rnn.parameters()]
    loss0 = F.cross_entropy(model(x), y)
    g = torch.autograd.grad(loss0, list(model.rnn.parameters()))
    rnnviz.train(model, x, y, TrainConfig(lr=0.01, steps=1, clip=None, deadline_s=None))
    for p, p0, gp in zip(model.rnn.parameters(), w0, g):
        big = gp.abs() > 1e-4                 # Adam's first step is lr * sign(g) (up to eps)
        assert big.any()
        assert torch.allclose((p.detach() - p0)[big], -0.01 * gp.sign()[big], rtol=1e-3, atol=1e-6)


@pytest.mark.parametrize("cell", rnnviz.CELLS)
def test_same_seed_bit_identical(cell):
    vocab, x, y = hello()
    runs = []
    for _ in range(2):
        model = rnnviz.build_model(cell, vocab_size=vocab.size, hidden_size=8, seed=3)
        res = rnnviz.train(model, x, y, TrainConfig(steps=40, deadline_s=None))
        runs.append((res.losses, res.accuracies, params(model)))
    assert runs[0][0] == runs[1][0] and runs[0][1] == runs[1][1]
    assert same(runs[0][2], runs[1][2])
    # and the model seed matters
    other = rnnviz.build_model(cell, vocab_size=vocab.size, hidden_size=8, seed=4)
    assert rnnviz.train(other, x, y, TrainConfig(steps=40, deadline_s=None)).losses != runs[0][0]


def test_target_accuracy_stops_early():
    vocab, x, y = hello()
    model = rnnviz.build_model("lstm", vocab_size=vocab.size, hidden_size=16, seed=0)
    res = rnnviz.train(model, x, y, TrainConfig(target_accuracy=1.0, deadline_s=None))
    assert res.status == "target" and "100%" in res.message
    assert 1 < res.steps < TrainConfig().steps
    assert res.accuracies[-1] == 1.0 and all(a < 1.0 for a in res.accuracies[:-1])
    half = rnnviz.train(rnnviz.build_model("lstm", vocab_size=vocab.size, hidden_size=16, seed=0), x, y,
                        TrainConfig(target_accuracy=0.5, deadline_s=None))
    assert half.status == "target" and half.accuracies[-1] >= 0.5
    assert all(a < 0.5 for a in half.accuracies[:-1]) and half.steps <= res.steps


def test_on_step_called_every_step():
    vocab, x, y = hello()
    model = rnnviz.build_model("gru", vocab_size=vocab.size, hidden_size=8, seed=0)
    calls = []
    res = rnnviz.train(model, x, y, TrainConfig(steps=12, deadline_s=None),
                       on_step=lambda p: calls.append((p.step, p.loss, p.accuracy)))
    assert res.status == "done"
    assert [c[0] for c in calls] == list(range(1, 13))
    assert [c[1] for c in calls] == res.losses and [c[2] for c in calls] == res.accuracies
    assert all(isinstance(c[1], float) and isinstance(c[2], float) for c in calls)


def test_on_step_false_stops_and_keeps_model():
    vocab, x, y = hello()
    model = rnnviz.build_model("lstm", vocab_size=vocab.size, hidden_size=8, seed=0)
    w0 = params(model)
    seen = {}

    def on_step(p):

        step = p.step
        seen[step] = params(model)
        return False if step == 3 else None             # None (and True) mean "go on"

    res = rnnviz.train(model, x, y, TrainConfig(steps=50, deadline_s=None), on_step=on_step)
    assert res.status == "stopped" and res.steps == 3 and sorted(seen) == [1, 2, 3]
    assert "3" in res.message
    assert same(params(model), seen[3]) and not same(params(model), w0)


def test_deadline_stops():
    vocab, x, y = hello()
    model = rnnviz.build_model("rnn", vocab_size=vocab.size, hidden_size=8, seed=0)
    w0 = params(model)
    res = rnnviz.train(model, x, y, TrainConfig(steps=1000, deadline_s=1e-9))
    assert res.status == "deadline" and res.steps == 1
    assert not same(params(model), w0)                  # the step it made is kept
    assert res.seconds > 0


def test_natural_divergence_keeps_last_good_weights():
    """relu RNN with scaled-up weights, SGD lr=10, no clipping: the loss overflows to NaN after a few steps
    (with "hello" numbered e, h, l, o: these weights overflow with that numbering)."""
    x, y = torch.tensor([1, 0, 2, 2]), torch.tensor([0, 2, 2, 3])
    vocab = rnnviz.Vocab(("e", "h", "l", "o"))
    model = rnnviz.build_model("rnn", vocab_size=vocab.size, hidden_size=16, seed=0, nonlinearity="relu")
    with torch.no_grad():
        for p in model.rnn.parameters():
            p.mul_(5.0)
    snaps = {0: params(model)}
    res = rnnviz.train(model, x, y, TrainConfig(optimizer="sgd", lr=10.0, clip=None, deadline_s=None),
                       on_step=lambda p: snaps.__setitem__(p.step, params(model)))
    assert res.status == "diverged" and res.diverged and "diverged" in res.message
    assert 1 <= res.steps < 20
    assert all(math.isfinite(v) for v in res.losses)
    assert all(torch.isfinite(p).all() for p in model.parameters())
    # the weights that gave the last finite loss: those in place after the update of step steps-1
    assert same(params(model), snaps[res.steps - 1])
    with torch.no_grad():
        assert float(F.cross_entropy(model(x), y)) == pytest.approx(res.losses[-1], rel=1e-5)


def _sabotaged_run(at_step: int, sabotage, cfg: TrainConfig):
    """Train on "hello" with `sabotage(model)` done to the weights from on_step at `at_step`; returns the
    model, the data, the result and the weights seen by on_step at each step."""
    vocab, x, y = hello()
    model = rnnviz.build_model("lstm", vocab_size=vocab.size, hidden_size=8, seed=0)
    snaps = {}

    def on_step(p):
        snaps[p.step] = params(model)
        if p.step == at_step:
            with torch.no_grad():
                sabotage(model)

    return model, x, y, rnnviz.train(model, x, y, cfg, on_step=on_step), snaps


def test_forced_divergence_via_on_step():
    model, x, y, res, snaps = _sabotaged_run(5, lambda m: m.head.weight.__setitem__((0, 0), float("inf")),
                                             TrainConfig(steps=50, deadline_s=None))
    assert res.status == "diverged" and "diverged" in res.message
    assert res.steps == 5 and all(math.isfinite(v) for v in res.losses)
    assert all(torch.isfinite(p).all() for p in model.parameters())
    assert same(params(model), snaps[4])                # the weights whose loss is res.losses[-1]
    with torch.no_grad():
        assert float(F.cross_entropy(model(x), y)) == pytest.approx(res.losses[-1], rel=1e-5)


def test_gradient_divergence_with_clipping_keeps_last_good_weights():
    """Head weights scaled by 1e25 after step 3: the loss at step 4 is finite (~1e24) but the gradient
    norm is not, so the clipping guard stops. The result must be as for a non-finite loss: the weights
    whose loss is res.losses[-1] ("the weights of step 3"), not the blown-up ones of step 4."""
    model, x, y, res, snaps = _sabotaged_run(3, lambda m: m.head.weight.mul_(1e25),
                                             TrainConfig(steps=20, clip=5.0, deadline_s=None))
    assert res.status == "diverged" and "diverged" in res.message and "gradient" in res.message
    assert res.steps == 3 and all(math.isfinite(v) for v in res.losses)
    assert "weights of step 3" in res.message
    with torch.no_grad():
        assert float(F.cross_entropy(model(x), y)) == pytest.approx(res.losses[-1], rel=1e-5)
    assert same(params(model), snaps[2])                # the weights in place for step 3


def minibatch_data():
    g = torch.Generator().manual_seed(0)
    x = torch.randint(5, (8, 6), generator=g)
    y = torch.roll(x, -1, dims=1)
    return x, y


def test_minibatch_runs_and_is_deterministic():
    x, y = minibatch_data()

    def run(seed, batch_size=3):
        model = rnnviz.build_model("gru", vocab_size=5, hidden_size=8, seed=1)
        res = rnnviz.train(model, x, y, TrainConfig(steps=30, batch_size=batch_size, seed=seed, deadline_s=None))
        return res, params(model)

    r1, w1 = run(0)
    r2, w2 = run(0)
    assert r1.status == "done" and r1.steps == 30
    assert r1.losses == r2.losses and same(w1, w2)
    r3, w3 = run(1)
    assert r3.losses != r1.losses                       # the batch order depends on the seed
    full, _ = run(0, batch_size=None)
    assert full.losses[0] != r1.losses[0]               # a 3-row batch is not the full batch
    same_as_full, _ = run(0, batch_size=8)              # batch_size == N: full batch
    assert same_as_full.losses == full.losses
    assert full.losses[-1] < full.losses[0]


def test_1d_and_single_row_2d_agree():
    vocab, x, y = hello()
    a = rnnviz.build_model("rnn", vocab_size=vocab.size, hidden_size=8, seed=2)
    b = rnnviz.build_model("rnn", vocab_size=vocab.size, hidden_size=8, seed=2)
    cfg = TrainConfig(steps=10, deadline_s=None)
    ra = rnnviz.train(a, x, y, cfg)
    rb = rnnviz.train(b, x[None], y[None], cfg)
    assert ra.losses == pytest.approx(rb.losses, rel=1e-6)


@pytest.mark.parametrize("kwargs", [
    {"lr": 0}, {"lr": 0.0}, {"lr": -0.1}, {"lr": 100}, {"lr": float("nan")}, {"lr": float("inf")},
    {"steps": 0}, {"steps": 10**9}, {"steps": 1.5}, {"steps": True},
    {"optimizer": "rmsprop"}, {"optimizer": "Adam"},
    {"clip": -1}, {"clip": float("nan")},
    {"deadline_s": 0}, {"deadline_s": -1}, {"deadline_s": 10**6},
    {"seed": -1}, {"batch_size": 0},
    {"target_accuracy": 0}, {"target_accuracy": 1.5},
])
def test_train_config_validate_rejects(kwargs):
    cfg = TrainConfig(**kwargs)
    with pytest.raises(ValueError):
        cfg.validate()
    vocab, x, y = hello()
    model = rnnviz.build_model("rnn", vocab_size=vocab.size, hidden_size=4)
    w0 = params(model)
    with pytest.raises(ValueError):
        rnnviz.train(model, x, y, cfg)
    assert same(params(model), w0)


def test_train_config_validate_accepts_defaults_and_limits():
    assert TrainConfig().validate() == TrainConfig()
    TrainConfig(lr=10.0, steps=1, clip=None, deadline_s=None, target_accuracy=1.0, batch_size=1).validate()
    TrainConfig(optimizer="sgd", clip=0, steps=20_000).validate()


@pytest.mark.parametrize("x,y", [
    (torch.zeros(4, dtype=torch.long), torch.zeros(5, dtype=torch.long)),
    (torch.zeros(2, 4, dtype=torch.long), torch.zeros(4, dtype=torch.long)),
    (torch.zeros(4, dtype=torch.long), torch.zeros(1, 4, dtype=torch.long)),
    (torch.zeros(1, 2, 4, dtype=torch.long), torch.zeros(1, 2, 4, dtype=torch.long)),
    (torch.zeros(0, dtype=torch.long), torch.zeros(0, dtype=torch.long)),
])
def test_bad_shapes_raise(x, y):
    model = rnnviz.build_model("lstm", vocab_size=4, hidden_size=4)
    with pytest.raises(ValueError):
        rnnviz.train(model, x, y, TrainConfig(steps=2, deadline_s=None))


@pytest.mark.parametrize("clip", [None, 5.0])
def test_an_overflowing_gradient_is_caught_with_or_without_clipping(clip, monkeypatch):
    """The NaN guard checks the gradient on every step, clipping on or off (it used to check only with
    clipping on, unlike the lab's and the long-range tasks' loops: now all three are one loop)."""
    import rnnviz.training.loop as training
    vocab, x, y = hello()
    cfg = TrainConfig(steps=10, clip=clip, deadline_s=None)
    ref_model = rnnviz.build_model("lstm", vocab.size, 8, seed=0)
    rnnviz.train(ref_model, x, y, TrainConfig(steps=1, clip=clip, deadline_s=None))
    kept = params(ref_model)                 # the weights step 2 ran with: its loss and gradient were finite
    real, calls = training.clip_grad_norm, {"n": 0}

    def overflow(ps, max_norm):
        calls["n"] += 1
        return torch.tensor(math.inf) if calls["n"] == 3 else real(ps, max_norm)

    monkeypatch.setattr(training, "clip_grad_norm", overflow)
    model = rnnviz.build_model("lstm", vocab.size, 8, seed=0)
    res = rnnviz.train(model, x, y, cfg)
    assert res.status == "diverged" and "step 3" in res.message and "gradient overflowed" in res.message
    assert res.steps == 2 and same(params(model), kept)


def test_one_training_loop_in_the_library():
    """Every training in rnnviz (Hello, lab, long-range tasks, Vanishing Gradients) goes through
    training.run_steps: no other module of the package calls .backward() or an optimizer's step()."""
    import ast
    from pathlib import Path
    root = Path(rnnviz.__file__).resolve().parent
    calls = {}
    for f in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                    and node.func.attr in ("backward", "step") and not node.args:
                calls.setdefault(f.relative_to(root).as_posix(), []).append(node.func.attr)
    assert calls == {"training/loop.py": ["backward", "step"]}, calls


def test_every_training_loop_reports_progress_and_results_alike():
    """One on_step signature (a training.Progress) and one result family (training.TrainResult) for the
    Hello model's train, the lab's fit and the long-range tasks' run_task."""
    from rnnviz.app.longrange import TaskConfig, TaskResult, run_task
    from rnnviz.nn.model import seq_model
    from rnnviz.training.fit import FitConfig, FitResult, fit
    from rnnviz.training.loop import Progress, TrainResult
    seen = {"train": [], "fit": [], "task": []}
    vocab, x, y = hello()
    r1 = rnnviz.train(rnnviz.build_model("gru", vocab.size, 6), x, y, TrainConfig(steps=4, deadline_s=None),
                      on_step=seen["train"].append)
    xs = torch.randn(16, 5, 2, generator=torch.Generator().manual_seed(0))
    r2 = fit(seq_model("many_to_one", "gru", in_features=2, hidden=4, out=3), (xs, torch.arange(16) % 3), None,
             FitConfig(steps=4, batch_size=8, deadline_s=None), on_step=seen["fit"].append)
    r3 = run_task(TaskConfig(T=6, hidden=4, steps=4, deadline_s=None), on_step=seen["task"].append)
    for (name, ps), r, kind in zip(seen.items(), (r1, r2, r3), (TrainResult, FitResult, TaskResult)):
        assert isinstance(r, TrainResult) and type(r) is kind and r.steps == 4 and len(r.grad_norms) == 4
        assert all(isinstance(p, Progress) for p in ps), name
        assert [(p.step, p.steps) for p in ps] == [(s, 4) for s in range(1, 5)], name
        assert [p.loss for p in ps] == r.losses, name
    assert all(p.accuracy is not None for p in seen["train"] + seen["fit"])
    assert all(p.average is not None and p.accuracy is None for p in seen["task"])
