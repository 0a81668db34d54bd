"""The memoryless baseline of the lecture notes (무기억 시스템: the output at step t depends on x_t alone).

`MemorylessModel` has the input and output layers of the one recurrent model around a one-hidden-layer
MLP applied to each step independently, so it fits in every place a `RecurrentModel` does (training,
replay, the lab's figures). `rnnviz.data.synthetic.memory_demo_task` is a task it cannot do and an
LSTM / GRU can: say the symbol seen `delay` steps ago.
"""
from __future__ import annotations

import torch
import torch.nn as nn

from .model import SEEDED_INIT, ModelConfig, Readout, make_input_layer


class MemorylessModel(Readout):
    """The feed-forward baseline (a memoryless system): h_t = tanh(W x_t + b) at every step on its own,
    then the same output head as the recurrent model. For many_to_one / regression it answers from the
    last input alone; for many_to_many the output at t sees x_t only."""

    def __init__(self, kind: str = "many_to_one", in_features: int | None = None, vocab: int | None = None,
                 hidden: int = 64, out: int = 10, seed: int = 0, embed_size: int | None = None,
                 pad_id: int | None = None):
        super().__init__()
        self.cfg = ModelConfig(kind=kind, cell="mlp", in_features=in_features, vocab_size=vocab, hidden_size=hidden,
                               out_features=out, seed=seed, embed_size=embed_size,
                               pad_id=pad_id).validate(memoryless=True)
        with SEEDED_INIT, torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            self.embed = make_input_layer(self.cfg)
            self.mlp = nn.Linear(self.cfg.input_size, hidden)
            self.head = nn.Linear(hidden, out)

    def hidden_states(self, x: torch.Tensor) -> torch.Tensor:
        return torch.tanh(self.mlp(self.embed(x)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x, unbatched = self.check_input(x)
        return self._read(x, self.hidden_states(x), unbatched)
