"""Our fused Adam/SGD/clipping equal torch.optim's; prediction rows and generation; the playground call."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import rnnviz
import rnnviz.app.playground as playground
from rnnviz.app.playground import PlaygroundConfig, run_playground, shared_run
from rnnviz.tracing.generate import MAX_GENERATE, format_top, generate, prediction_rows
from rnnviz.training.optim import SGD, Adam, DivergenceGuard, clip_grad_norm


def test_divergence_guard_keeps_the_last_committed_weights():
    w = torch.nn.Parameter(torch.tensor([1.0, 2.0]))
    guard = DivergenceGuard([w], hint="Try X.")
    assert guard.loss(1, 0.5) is None and guard.grad(1, 3.0) is None
    with torch.no_grad():
        w.add_(1.0)
    guard.commit()                                             # step 1's weights: [2, 3]
    with torch.no_grad():
        w.fill_(float("nan"))                                  # step 2 blows up
    msg = guard.loss(2, float("nan"))
    assert msg == "training diverged at step 2 (loss is nan); the weights of step 1 were kept. Try X."
    assert w.tolist() == [2.0, 3.0]
    with torch.no_grad():
        w.mul_(1e30)
    msg = guard.grad(3, float("inf"))
    assert "step 3 (the gradient overflowed)" in msg and "step 2 were kept" in msg and w.tolist() == [2.0, 3.0]
    assert guard.loss(4, float("inf")) and guard.grad(4, float("-inf")) and guard.grad(4, float("nan"))


def _twin_models():
    vocab, x, y = rnnviz.next_char_task("hello world")
    return x, y, rnnviz.build_model("lstm", vocab.size, 8, seed=2), rnnviz.build_model("lstm", vocab.size, 8, seed=2)


@pytest.mark.parametrize("ours, theirs", [(lambda p: Adam(p, lr=0.03), lambda p: torch.optim.Adam(p, lr=0.03)),
                                          (lambda p: SGD(p, lr=0.3), lambda p: torch.optim.SGD(p, lr=0.3))],
                         ids=["adam", "sgd"])
def test_optimizers_match_torch_optim(ours, theirs):
    x, y, m1, m2 = _twin_models()
    p1 = [p for p in m1.parameters() if p.requires_grad]
    p2 = [p for p in m2.parameters() if p.requires_grad]
    o1, o2 = ours(p1), theirs(p2)
    for _ in range(25):
        for m, o, p, clip in [(m1, o1, p1, clip_grad_norm), (m2, o2, p2, torch.nn.utils.clip_grad_norm_)]:
            o.zero_grad()
            F.cross_entropy(m(x), y).backward()
            clip(p, 0.3)
            o.step()
    for a, b in zip(p1, p2):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)
    assert not torch.equal(p1[0], rnnviz.build_model("lstm", m1.cfg.vocab_size, 8, seed=2).rnn.weight_ih_l0)


def test_clip_grad_norm_bounds_the_global_norm_and_reports_the_original():
    p = [torch.nn.Parameter(torch.zeros(3)), torch.nn.Parameter(torch.zeros(4))]
    p[0].grad, p[1].grad = torch.full((3,), 3.0), torch.full((4,), 4.0)
    before = float(torch.sqrt(torch.tensor(9.0 * 3 + 16.0 * 4)))
    assert float(clip_grad_norm(p, 1.0)) == pytest.approx(before)
    after = float(torch.sqrt(sum((q.grad ** 2).sum() for q in p)))
    assert after == pytest.approx(1.0, rel=1e-5)
    assert float(clip_grad_norm(p, 10.0)) == pytest.approx(1.0, rel=1e-5)     # under the bound: unchanged
    assert float(torch.sqrt(sum((q.grad ** 2).sum() for q in p))) == pytest.approx(1.0, rel=1e-5)


def test_prediction_rows_match_the_trace():
    run = run_playground(PlaygroundConfig(text="hello", cell="gru", steps=60))
    rows = prediction_rows(run.trace, run.vocab, k=2)
    assert [r["input"] for r in rows] == list("hell") and [r["target"] for r in rows] == list("ello")
    probs = run.trace.probs
    for t, r in enumerate(rows):
        assert r["t"] == t + 1 and len(r["top"]) == 2
        assert r["top"][0][1] >= r["top"][1][1]
        assert r["top"][0][0] == run.vocab.chars[int(probs[t].argmax())]
        assert r["p_target"] == pytest.approx(float(probs[t, run.vocab.chars.index(r["target"])]))
        assert r["correct"] == (r["top"][0][0] == r["target"])
    assert format_top([("e", 0.97), (" ", 0.02)]) == "e 97% · ␣ 2%"


def test_generate_is_seeded_bounded_and_checks_the_prime():
    run = run_playground(PlaygroundConfig(text="hello hello", cell="lstm", steps=100))
    a = generate(run.model, run.vocab, "h", 30, temperature=1.0, seed=4)
    assert a == generate(run.model, run.vocab, "h", 30, temperature=1.0, seed=4)
    assert len(a) == 30 and set(a) <= set(run.vocab.chars)
    assert generate(run.model, run.vocab, "h", 4, temperature=0.05, seed=1) == "ello"  # near-greedy follows the text
    for bad in [dict(prime=""), dict(prime="z"), dict(n=0), dict(n=MAX_GENERATE + 1), dict(temperature=0.0),
                dict(temperature=float("nan"))]:
        kw = dict(prime="h", n=5, temperature=1.0) | bad
        with pytest.raises(ValueError):
            generate(run.model, run.vocab, kw["prime"], kw["n"], kw["temperature"])


def test_run_playground_defaults_learn_hello_for_every_cell():
    for cell in rnnviz.CELLS:
        run = run_playground(PlaygroundConfig(cell=cell))
        assert run.trace.accuracy == 1.0, cell
        assert run.result.status == "done" and run.result.steps == 150
        assert run.input_chars == list("hell")


@pytest.mark.parametrize("bad", [dict(hidden=0), dict(hidden=129), dict(steps=5), dict(steps=5000), dict(seed=-1),
                                 dict(cell="transformer"), dict(lr=0.0), dict(text="")])
def test_run_playground_rejects_out_of_bounds_settings(bad):
    with pytest.raises(ValueError):
        run_playground(PlaygroundConfig(**bad))


# ---- one training per setting per server ------------------------------------------------------------------

def _counting(monkeypatch):
    calls = []
    real = playground.train_model
    monkeypatch.setattr(playground, "train_model", lambda *a, **k: calls.append(a[0]) or real(*a, **k))
    return calls


def test_shared_run_trains_once_per_setting_and_hands_out_private_copies(monkeypatch):
    calls = _counting(monkeypatch)
    cfg = PlaygroundConfig(text="hello", cell="gru", hidden=8, steps=40)
    a, reused_a = shared_run(cfg)
    b, reused_b = shared_run(cfg)
    assert (reused_a, reused_b) == (False, True) and calls == [cfg]
    assert a.shared_id == b.shared_id > 0                        # the same kept run: its figures may be shared
    assert a is not b and a.model is not b.model and a.trace is not b.trace
    for p, q in zip(a.model.parameters(), b.model.parameters()):
        assert torch.equal(p, q) and p.data_ptr() != q.data_ptr()
    np.testing.assert_array_equal(a.trace.hidden, b.trace.hidden)
    assert a.result.losses == b.result.losses
    fresh = run_playground(cfg)                                  # the same as training again: deterministic
    np.testing.assert_array_equal(fresh.trace.hidden, b.trace.hidden)
    a.extras["x"] = 1                                            # a user's copy changes ...
    with torch.no_grad():
        a.model.head.weight.fill_(0.0)
    c, _ = shared_run(cfg)                                       # ... the next user's does not
    assert "x" not in c.extras and not torch.equal(c.model.head.weight, a.model.head.weight)
    other, _ = shared_run(PlaygroundConfig(text="hello", cell="gru", hidden=8, steps=40, seed=1))   # another setting trains
    assert len(calls) == 3 and other.shared_id not in (0, a.shared_id)   # cfg, `fresh` above, and this one


def test_shared_runs_are_bounded_and_skip_long_texts_and_deadline_runs(monkeypatch):
    calls = _counting(monkeypatch)
    from rnnviz.app.cache import SharedCache
    monkeypatch.setattr(playground, "_shared", SharedCache(2))     # a server that keeps 2 runs
    cfgs = [PlaygroundConfig(text="abcab", hidden=4, steps=10, seed=s) for s in range(3)]
    for cfg in cfgs:
        shared_run(cfg)
    assert len(playground._shared) == 2
    shared_run(cfgs[0])                                           # the oldest was dropped: trains again
    assert len(calls) == 4
    long_cfg = PlaygroundConfig(text="ab" * 150, hidden=4, steps=10)
    shared_run(long_cfg)
    shared_run(long_cfg)
    assert calls.count(long_cfg) == 2                             # long texts are not kept
    assert shared_run(long_cfg)[0].shared_id == 0                 # ... so nothing computed from them is shared
    quick = PlaygroundConfig(text="abcab", hidden=4, steps=2000, seed=7)
    run, _ = shared_run(quick, deadline_s=1e-6)                    # cut by the clock: machine-dependent
    assert run.result.status == "deadline" and run.shared_id == 0
    assert (quick, "cpu") not in playground._shared


def test_sessions_asking_at_once_wait_for_one_training(monkeypatch):
    import threading
    import time
    calls = []
    real = playground.train_model

    def slow(*a, **k):
        calls.append(1)
        time.sleep(0.3)                                           # still training when the others ask
        return real(*a, **k)
    monkeypatch.setattr(playground, "train_model", slow)
    cfg = PlaygroundConfig(text="hello", hidden=4, steps=20)
    out = []
    threads = [threading.Thread(target=lambda: out.append(shared_run(cfg))) for _ in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert calls == [1] and sorted(r for _, r in out) == [False, True, True, True]
    runs = [run for run, _ in out]
    assert len({id(r) for r in runs}) == 4
    for r in runs[1:]:
        np.testing.assert_array_equal(r.trace.hidden, runs[0].trace.hidden)
    assert not playground._shared._building                       # nobody left waiting


def test_the_one_generator_samples_like_a_hand_written_loop():
    """generate (Hello) and the lab's one-to-many view are one generator, predict.sample_steps: its text
    equals a sampling loop written here independently (prime through the fused layer, then softmax of
    logits / temperature in float64 on the CPU, torch.multinomial with a seeded generator, fed back)."""
    from rnnviz.tracing.generate import sample_steps
    vocab, x, y = rnnviz.next_char_task("hello world")
    model = rnnviz.build_model("gru", vocab.size, 12, seed=2)
    rnnviz.train(model, x, y, rnnviz.TrainConfig(steps=60, deadline_s=None))
    gen, out = torch.Generator().manual_seed(5), []
    with torch.no_grad():
        h, state = model.rnn(model.embed(vocab.encode("wo").unsqueeze(0)))
        logits = model.head(h[0, -1])
        for _ in range(25):
            nxt = int(torch.multinomial(torch.softmax(logits.double() / 0.8, dim=0), 1, generator=gen))
            out.append(nxt)
            h, state = model.rnn(model.embed(torch.tensor([[nxt]])), state)
            logits = model.head(h[0, -1])
    assert generate(model, vocab, "wo", 25, 0.8, seed=5) == vocab.decode(out)
    g = sample_steps(model, vocab.encode("wo").tolist(), 25, 0.8, seed=5)
    assert g.ids.tolist() == out and g.probs.shape == (25, vocab.size)
