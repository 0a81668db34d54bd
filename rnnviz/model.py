"""The character model: input layer -> one recurrent layer (nn.RNN / nn.LSTM / nn.GRU) -> output layer.

One code path for every cell, chosen by name (as in PyTorch's word_language_model). Training uses
torch's fused modules; `rnnviz.trace` replays a sequence step by step with the same weights.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn as nn
from .checks import check_int as _check_int

CELLS = ("rnn", "lstm", "gru")
MAX_HIDDEN = 512        # bounded: one session must not exhaust a shared server
MAX_VOCAB_SIZE = 4096
MAX_EMBED = 512


# The gate that keeps the past, which a "forget bias" sets: the LSTM's forget gate f (c_t = f*c_(t-1) + ...) and
# the GRU's update gate z (h_t = (1 - z)*n + z*h_(t-1)). Both are the second H-row block of torch's biases
# (LSTM gate order i, f, g, o; GRU r, z, n). A plain RNN has no gate.
MEMORY_GATE = {"lstm": "forget", "gru": "update"}


def set_memory_gate_bias(rnn: nn.RNNBase, bias: float) -> None:
    """Set the total bias (bias_ih + bias_hh) of every unit's memory gate (`MEMORY_GATE`) to `bias`:
    bias_ih = bias and bias_hh = 0 on that block; every other weight is left as it is. The one definition
    of the forget-bias knob for every model and page. ValueError for a plain RNN (it has no gate)."""
    cell = {"LSTM": "lstm", "GRU": "gru"}.get(getattr(rnn, "mode", None))
    if cell is None:
        raise ValueError(f"only an LSTM or a GRU has a memory gate, not {type(rnn).__name__}")
    H = rnn.hidden_size
    with torch.no_grad():
        for layer in range(rnn.num_layers):
            getattr(rnn, f"bias_ih_l{layer}")[H:2 * H] = float(bias)
            getattr(rnn, f"bias_hh_l{layer}")[H:2 * H] = 0.0


@dataclass(frozen=True)
class ModelConfig:
    cell: str = "lstm"              # rnn | lstm | gru
    vocab_size: int = 4             # number of distinct input/output symbols
    hidden_size: int = 16           # units in the recurrent layer
    embed_size: int | None = None   # None: one-hot input (x_t is a unit vector); else a learned embedding
    nonlinearity: str = "tanh"      # vanilla RNN only: tanh | relu
    seed: int = 0                   # initial weights depend on this alone

    def validate(self) -> "ModelConfig":
        if self.cell not in CELLS:
            raise ValueError(f"cell must be one of {', '.join(CELLS)}, not {self.cell!r}")
        _check_int("vocab_size", self.vocab_size, 1, MAX_VOCAB_SIZE)
        _check_int("hidden_size", self.hidden_size, 1, MAX_HIDDEN)
        if self.embed_size is not None:
            _check_int("embed_size", self.embed_size, 1, MAX_EMBED)
        if self.nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"nonlinearity must be 'tanh' or 'relu', not {self.nonlinearity!r}")
        _check_int("seed", self.seed, 0, 2**31 - 1)
        return self



class CharRNN(nn.Module):
    """x: LongTensor (T,) or (B, T) -> logits (T, V) or (B, T, V)."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        V, H = cfg.vocab_size, cfg.hidden_size
        if cfg.embed_size is None:  # one-hot: a frozen identity embedding, so W_ih's columns are per-character
            self.embed = nn.Embedding(V, V)
            with torch.no_grad():
                self.embed.weight.copy_(torch.eye(V))
            self.embed.weight.requires_grad_(False)
        else:
            self.embed = nn.Embedding(V, cfg.embed_size)
        E = self.embed.embedding_dim
        if cfg.cell == "rnn":
            self.rnn = nn.RNN(E, H, batch_first=True, nonlinearity=cfg.nonlinearity)
        else:
            self.rnn = getattr(nn, cfg.cell.upper())(E, H, batch_first=True)
        self.head = nn.Linear(H, V)

    @property
    def cell(self) -> str:
        return self.cfg.cell

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        unbatched = x.dim() == 1
        if unbatched:
            x = x.unsqueeze(0)       # (1, T)
        e = self.embed(x)            # (B, T, E)
        out, _ = self.rnn(e)         # (B, T, H)
        logits = self.head(out)      # (B, T, V)
        return logits[0] if unbatched else logits


def build_model(cell: str = "lstm", vocab_size: int = 4, hidden_size: int = 16, seed: int = 0,
                embed_size: int | None = None, nonlinearity: str = "tanh",
                device: str | torch.device = "cpu") -> CharRNN:
    """A freshly initialised model; the same arguments always give the same weights."""
    cfg = ModelConfig(cell=cell, vocab_size=vocab_size, hidden_size=hidden_size, embed_size=embed_size,
                      nonlinearity=nonlinearity, seed=seed).validate()
    with torch.random.fork_rng(devices=[]):  # leave the caller's global RNG untouched
        torch.manual_seed(seed)
        model = CharRNN(cfg)
    return model.to(device)


def count_parameters(model: nn.Module) -> dict[str, int]:
    """Trainable parameter count per named tensor (the frozen one-hot input layer is not counted)."""
    return {n: p.numel() for n, p in model.named_parameters() if p.requires_grad}
