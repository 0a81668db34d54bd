"""Generation steps the model on numpy copies of its weights (`NumpyStepper`): every step's next-character
distribution equals the torch model's (fused module over the same ids) for every cell, stacked layers and a
learned embedding; the draws are torch.multinomial's for the same seed."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn as nn

import rnnviz
from rnnviz.nn.model import ModelConfig, RecurrentModel
from rnnviz.tracing.generate import NumpyStepper, generate, sample_steps

CASES = [("rnn", "tanh", 1, None), ("rnn", "relu", 1, None), ("lstm", "tanh", 1, None), ("gru", "tanh", 1, None),
         ("rnn", "tanh", 2, None), ("lstm", "tanh", 3, None), ("gru", "tanh", 2, None), ("lstm", "tanh", 1, 5),
         ("gru", "tanh", 2, 6)]


def make(cell, nonlin, layers, embed, V=7, H=12, seed=3):
    m = RecurrentModel(ModelConfig(cell=cell, vocab_size=V, hidden_size=H, nonlinearity=nonlin, embed_size=embed,
                                   seed=seed))
    if layers > 1:                                           # the library builds one layer; the stepper takes more
        torch.manual_seed(seed)
        kw = {"nonlinearity": nonlin} if cell == "rnn" else {}
        m.rnn = getattr(nn, cell.upper())(m.cfg.input_size, H, num_layers=layers, batch_first=True, **kw)
    with torch.no_grad():                                    # weights large enough that the steps matter
        for p in m.parameters():
            if p.requires_grad:
                p.mul_(1.0 if nonlin == "relu" else 2.5)     # (a relu RNN's state would explode)
    return m.eval()


@pytest.mark.parametrize("cell,nonlin,layers,embed", CASES)
@pytest.mark.parametrize("temperature", [1.0, 0.6, 2.0])
def test_each_steps_distribution_is_the_torch_models(cell, nonlin, layers, embed, temperature):
    m = make(cell, nonlin, layers, embed)
    start = [1, 4, 2]
    g = sample_steps(m, start, 60, temperature, seed=11)
    with torch.no_grad():
        logits = m(torch.tensor(start + g.ids[:-1].tolist()))[len(start) - 1:]     # the step before each draw
        want = torch.softmax(logits.double() / temperature, dim=-1).numpy()
        out, _ = m.rnn(m.embed(torch.tensor([start + g.ids[:-1].tolist()])))
    np.testing.assert_allclose(g.probs, want, atol=1e-5, rtol=0)
    np.testing.assert_allclose(g.hidden, out[0, len(start) - 1:].numpy(), atol=1e-5, rtol=1e-5)
    assert len(set(g.ids.tolist())) > 1                      # the test samples, it does not repeat one id


@pytest.mark.parametrize("cell,nonlin,layers,embed", CASES[:4] + CASES[5:6])
def test_draws_are_torch_multinomials_for_the_seed(cell, nonlin, layers, embed):
    """A loop of torch module calls and torch.multinomial (the old implementation) gives the same ids."""
    m = make(cell, nonlin, layers, embed)
    for seed in (0, 1, 7):
        gen, ids = torch.Generator().manual_seed(seed), []
        with torch.no_grad():
            out, state = m.rnn(m.embed(torch.tensor([[3, 0]])))
            for _ in range(40):
                p = torch.softmax(m.head(out[0, -1]).double() / 0.9, dim=0)
                ids.append(int(torch.multinomial(p, 1, generator=gen)))
                out, state = m.rnn(m.embed(torch.tensor([[ids[-1]]])), state)
        g = sample_steps(m, [3, 0], 40, 0.9, seed=seed)
        assert g.ids.tolist() == ids
        assert sample_steps(m, [3, 0], 40, 0.9, seed=seed).ids.tolist() == ids      # reproducible
    assert sample_steps(m, [3, 0], 40, 0.9, seed=1).ids.tolist() != sample_steps(m, [3, 0], 40, 0.9, seed=2).ids.tolist()


def test_greedy_and_the_stepper_state():
    m = make("lstm", "tanh", 2, None)
    g = sample_steps(m, 2, 30, greedy=True)
    assert (g.ids == g.probs.argmax(1)).all()
    net = NumpyStepper(m)
    state = net.zero_state()
    assert len(state) == 2 and all(len(s) == 2 for s in state)     # (h, c) per layer
    h, state = net.step(2, state)
    with torch.no_grad():
        out, (hh, cc) = m.rnn(m.embed(torch.tensor([[2]])))
    np.testing.assert_allclose(h, out[0, 0].numpy(), atol=1e-6)
    np.testing.assert_allclose(np.stack([c for _, c in state]), cc[:, 0].numpy(), atol=1e-6)


def test_refuses_what_it_cannot_step():
    m = make("gru", "tanh", 1, None)
    m.rnn = nn.GRU(7, 12, batch_first=True, bidirectional=True)
    with pytest.raises(ValueError, match="one-directional"):
        NumpyStepper(m)


def test_generate_keeps_its_text_for_a_trained_model():
    vocab, x, y = rnnviz.next_char_task("hello world")
    model = rnnviz.build_model("gru", vocab.size, 12, seed=2)
    rnnviz.train(model, x, y, rnnviz.TrainConfig(steps=60, deadline_s=None))
    a = generate(model, vocab, "wo", 200, 1.3, seed=9)
    assert a == generate(model, vocab, "wo", 200, 1.3, seed=9) and len(a) == 200
