"""build_model, CharRNN and count_parameters."""
from __future__ import annotations

import pytest
import torch

import rnnviz
from rnnviz.nn.model import MAX_HIDDEN


def state(model):
    return {k: v.clone() for k, v in model.state_dict().items()}


@pytest.mark.parametrize("embed", [None, 5])
@pytest.mark.parametrize("cell", rnnviz.CELLS)
def test_same_seed_same_weights(cell, embed):
    a = rnnviz.build_model(cell, vocab_size=5, hidden_size=8, seed=7, embed_size=embed)
    b = rnnviz.build_model(cell, vocab_size=5, hidden_size=8, seed=7, embed_size=embed)
    sa, sb = state(a), state(b)
    assert sa.keys() == sb.keys()
    for k in sa:
        assert torch.equal(sa[k], sb[k]), k


@pytest.mark.parametrize("cell", rnnviz.CELLS)
def test_different_seeds_differ(cell):
    a = state(rnnviz.build_model(cell, vocab_size=5, hidden_size=8, seed=0))
    b = state(rnnviz.build_model(cell, vocab_size=5, hidden_size=8, seed=1))
    for k in a:
        if k == "embed.weight":           # the frozen one-hot layer is the identity for every seed
            assert torch.equal(a[k], b[k])
        else:
            assert not torch.equal(a[k], b[k]), k


def test_build_model_leaves_global_rng_alone():
    torch.manual_seed(123)
    expected = torch.rand(8)
    torch.manual_seed(123)
    rnnviz.build_model("lstm", vocab_size=6, hidden_size=32, seed=5)
    rnnviz.build_model("gru", vocab_size=6, hidden_size=4, seed=9, embed_size=3)
    assert torch.equal(torch.rand(8), expected)


def test_weights_do_not_depend_on_global_rng():
    torch.manual_seed(1)
    a = state(rnnviz.build_model("rnn", vocab_size=4, hidden_size=6, seed=3))
    torch.manual_seed(2)
    torch.rand(100)
    b = state(rnnviz.build_model("rnn", vocab_size=4, hidden_size=6, seed=3))
    assert all(torch.equal(a[k], b[k]) for k in a)


@pytest.mark.parametrize("cell", rnnviz.CELLS)
def test_one_hot_input_layer_is_frozen_identity(cell):
    model = rnnviz.build_model(cell, vocab_size=5, hidden_size=4, seed=0)
    w = model.embed.weight
    assert torch.equal(w, torch.eye(5)) and not w.requires_grad
    assert model.rnn.input_size == 5
    # x_t is the unit vector of its id
    x = torch.tensor([3, 0, 4])
    assert torch.equal(model.embed(x), torch.eye(5)[x])
    # and training does not move it
    rnnviz.train(model, x, torch.tensor([0, 4, 1]), rnnviz.TrainConfig(steps=5, deadline_s=None))
    assert torch.equal(model.embed.weight, torch.eye(5))


def test_learned_embedding_is_trainable():
    model = rnnviz.build_model("gru", vocab_size=5, hidden_size=4, embed_size=3, seed=0)
    assert model.embed.weight.shape == (5, 3) and model.embed.weight.requires_grad
    assert model.rnn.input_size == 3


@pytest.mark.parametrize("kwargs,match", [
    ({"cell": "transformer"}, "cell must be one of"),
    ({"cell": "LSTM"}, "cell must be one of"),
    ({"hidden_size": 0}, "hidden_size"),
    ({"hidden_size": 100000}, "hidden_size"),
    ({"hidden_size": MAX_HIDDEN + 1}, "hidden_size"),
    ({"hidden_size": -3}, "hidden_size"),
    ({"hidden_size": True}, "hidden_size must be an integer"),
    ({"hidden_size": 8.0}, "hidden_size must be an integer"),
    ({"hidden_size": "8"}, "hidden_size must be an integer"),
    ({"vocab_size": 0}, "vocab_size"),
    ({"vocab_size": False}, "vocab_size must be an integer"),
    ({"vocab_size": 4.5}, "vocab_size must be an integer"),
    ({"embed_size": 0}, "embed_size"),
    ({"embed_size": 2.0}, "embed_size must be an integer"),
    ({"embed_size": True}, "embed_size must be an integer"),
    ({"nonlinearity": "sigmoid"}, "nonlinearity must be"),
    ({"nonlinearity": "Tanh"}, "nonlinearity must be"),
    ({"seed": -1}, "seed"),
    ({"seed": 2**31}, "seed"),
    ({"seed": 1.0}, "seed must be an integer"),
])
def test_bad_config_raises_clear_value_error(kwargs, match):
    args = {"cell": "lstm", "vocab_size": 4, "hidden_size": 8, "seed": 0, **kwargs}
    with pytest.raises(ValueError, match=match):
        rnnviz.build_model(**args)


def test_extreme_valid_sizes_build():
    assert rnnviz.build_model("rnn", vocab_size=1, hidden_size=1).rnn.hidden_size == 1
    assert rnnviz.build_model("rnn", vocab_size=2, hidden_size=MAX_HIDDEN).rnn.hidden_size == MAX_HIDDEN


@pytest.mark.parametrize("embed", [None, 3])
@pytest.mark.parametrize("cell", rnnviz.CELLS)
def test_shapes(cell, embed):
    model = rnnviz.build_model(cell, vocab_size=7, hidden_size=5, seed=0, embed_size=embed)
    x = torch.tensor([0, 6, 2, 2])
    assert model(x).shape == (4, 7)
    xb = torch.randint(7, (3, 4), generator=torch.Generator().manual_seed(0))
    out = model(xb)
    assert out.shape == (3, 4, 7)
    assert torch.allclose(out[1], model(xb[1]), atol=1e-6)   # batching does not mix rows
    assert model.cell == cell and model.cfg.cell == cell


def test_relu_nonlinearity_reaches_the_module():
    assert rnnviz.build_model("rnn", nonlinearity="relu").rnn.nonlinearity == "relu"
    assert rnnviz.build_model("rnn").rnn.nonlinearity == "tanh"


def test_count_parameters_lstm():
    counts = rnnviz.count_parameters(rnnviz.build_model("lstm", vocab_size=4, hidden_size=16))
    assert counts == {
        "rnn.weight_ih_l0": 64 * 4,
        "rnn.weight_hh_l0": 64 * 16,
        "rnn.bias_ih_l0": 64,
        "rnn.bias_hh_l0": 64,
        "head.weight": 4 * 16,
        "head.bias": 4,
    }
    assert "embed.weight" not in counts    # frozen one-hot layer


@pytest.mark.parametrize("cell,gates", [("rnn", 1), ("gru", 3), ("lstm", 4)])
def test_count_parameters_other_cells_and_embedding(cell, gates):
    V, H, E = 5, 6, 3
    counts = rnnviz.count_parameters(rnnviz.build_model(cell, vocab_size=V, hidden_size=H, embed_size=E))
    assert counts["embed.weight"] == V * E                      # a learned embedding is counted
    assert counts["rnn.weight_ih_l0"] == gates * H * E
    assert counts["rnn.weight_hh_l0"] == gates * H * H
    assert sum(counts.values()) == V * E + gates * H * (E + H + 2) + V * H + V


def test_the_library_never_imports_streamlit():
    """Import every module of the rnnviz package (subpackages included) in a fresh interpreter; streamlit
    must not be among the modules loaded."""
    import subprocess
    import sys
    from pathlib import Path
    root = Path(__file__).resolve().parents[1]
    code = ("import importlib, pkgutil, sys, rnnviz\n"
            "names = [m.name for m in pkgutil.walk_packages(rnnviz.__path__, 'rnnviz.')]\n"
            "for n in names: importlib.import_module(n)\n"
            "print(len(names), sorted(m for m in sys.modules if m == 'streamlit' or m.startswith('streamlit.')))\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    count, loaded = out.stdout.strip().split(" ", 1)
    assert int(count) >= 20, out.stdout                        # it did walk the package
    assert loaded == "[]", f"the library imported streamlit: {loaded}"
