"""The one recurrent model of rnnviz: input layer -> one recurrent layer (nn.RNN / nn.LSTM / nn.GRU) -> output
layer, for every task (the Hello playground's next character, the lab's task shapes, the long-range tasks,
seq2seq's encoder and decoder, the gradient views).

One code path for every cell, chosen by name (as in PyTorch's word_language_model). Inputs are token ids
(one-hot through a frozen identity embedding, or a learned embedding) or float features; the output layer
reads every step (many_to_many) or the last one (many_to_one, regression). Training uses torch's fused
modules; `rnnviz.trace` replays a sequence step by step with the same weights.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass

import torch
import torch.nn as nn

from ..checks import check_int as _check_int, check_num as _check_num

CELLS = ("rnn", "lstm", "gru")
KINDS = ("many_to_one", "many_to_many", "regression")
MAX_HIDDEN = 512        # bounded: one session must not exhaust a shared server
MAX_GENERATE = 500          # symbols per generation or greedy decoding (bounded: the server is shared)
MAX_VOCAB_SIZE = 50_000 # token vocabulary (a learned embedding above MAX_ONE_HOT)
MAX_ONE_HOT = 512       # largest vocabulary fed as one-hot vectors
MAX_FEATURES = 1024     # float input features per step
MAX_OUT = 4096          # classes / regression outputs
MAX_EMBED = 512
MAX_FORGET_BIAS = 10.0


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
    """What a `RecurrentModel` is. The defaults are the character model's (ids in, next-id logits out at
    every step); `rnnviz.trace` and the checkpoints read `cell` and `nonlinearity`."""
    cell: str = "lstm"                 # rnn | lstm | gru (MemorylessModel: "mlp")
    vocab_size: int | None = 4         # token inputs: ids in [0, vocab_size) ...
    hidden_size: int = 16              # units in the recurrent layer
    embed_size: int | None = None      # None: one-hot tokens / floats read as they are; else a learned layer to this size
    nonlinearity: str = "tanh"         # vanilla RNN only: tanh | relu
    seed: int = 0                      # initial weights depend on this alone
    kind: str = "many_to_many"         # many_to_many: an output at every step | many_to_one | regression: at the last
    in_features: int | None = None     # ... or float inputs (B, T, in_features) (then vocab_size is None)
    out_features: int | None = None    # classes / outputs; None: vocab_size (a next-symbol model)
    pad_id: int | None = None          # token inputs: right padding; the last state is taken at the last non-pad token
    forget_bias: float | None = None   # LSTM forget / GRU update gate total bias (set_memory_gate_bias); rnn: None

    @property
    def tokens(self) -> bool:
        return self.vocab_size is not None

    @property
    def outputs(self) -> int:
        return self.vocab_size if self.out_features is None else self.out_features

    @property
    def input_size(self) -> int:
        """What the recurrent layer reads per step."""
        if self.embed_size is not None:
            return self.embed_size
        return self.vocab_size if self.tokens else self.in_features

    def validate(self, memoryless: bool = False) -> "ModelConfig":
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}, not {self.kind!r}")
        if not memoryless and self.cell not in CELLS:
            raise ValueError(f"cell must be one of {', '.join(CELLS)}, not {self.cell!r}")
        if (self.in_features is None) == (self.vocab_size is None):
            raise ValueError("give exactly one of in_features (float inputs) and vocab_size (token inputs)")
        if self.in_features is not None:
            _check_int("in_features", self.in_features, 1, MAX_FEATURES)
            if self.pad_id is not None:
                raise ValueError("pad_id applies to token inputs only")
            if self.out_features is None:
                raise ValueError("a model of float inputs needs out_features")
        else:
            _check_int("vocab_size", self.vocab_size, 1, MAX_VOCAB_SIZE)
            if self.embed_size is None and self.vocab_size > MAX_ONE_HOT:
                raise ValueError(f"a vocabulary of more than {MAX_ONE_HOT} tokens needs a learned embedding: "
                                 "give embed_size")
            if self.pad_id is not None:
                _check_int("pad_id", self.pad_id, 0, self.vocab_size - 1)
        _check_int("hidden_size", self.hidden_size, 1, MAX_HIDDEN)
        _check_int("out_features", self.outputs, 1, MAX_OUT)
        if self.kind == "many_to_one" and self.outputs < 2:
            raise ValueError("a classifier needs at least 2 classes")
        if self.embed_size is not None:
            _check_int("embed_size", self.embed_size, 1, MAX_EMBED)
        if self.nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"nonlinearity must be 'tanh' or 'relu', not {self.nonlinearity!r}")
        _check_int("seed", self.seed, 0, 2**31 - 1)
        if self.forget_bias is not None:
            _check_num("forget bias", self.forget_bias, -MAX_FORGET_BIAS, MAX_FORGET_BIAS, lo_open=False)
        return self


def make_input_layer(cfg: ModelConfig) -> nn.Module:
    """Tokens: one-hot (a frozen identity embedding, so W_ih's columns are per token) or a learned
    embedding; floats: read as they are, or through a learned nn.Linear to embed_size."""
    if cfg.tokens:
        if cfg.embed_size is None:
            emb = nn.Embedding(cfg.vocab_size, cfg.vocab_size)
            with torch.no_grad():
                emb.weight.copy_(torch.eye(cfg.vocab_size))
            emb.weight.requires_grad_(False)
            return emb
        return nn.Embedding(cfg.vocab_size, cfg.embed_size)
    return nn.Identity() if cfg.embed_size is None else nn.Linear(cfg.in_features, cfg.embed_size)


def make_recurrent_layer(cfg: ModelConfig) -> nn.RNNBase:
    """torch's fused nn.RNN / nn.LSTM / nn.GRU (batch_first), with the memory gate's bias set if asked."""
    if cfg.cell == "rnn":
        return nn.RNN(cfg.input_size, cfg.hidden_size, batch_first=True, nonlinearity=cfg.nonlinearity)
    rnn = getattr(nn, cfg.cell.upper())(cfg.input_size, cfg.hidden_size, batch_first=True)
    if cfg.forget_bias is not None:
        set_memory_gate_bias(rnn, cfg.forget_bias)
    return rnn


class Readout(nn.Module):
    """Input checks and the choice of the output position(s): the one recurrent model and the memoryless
    baseline share them."""
    cfg: ModelConfig

    @property
    def kind(self) -> str:
        return self.cfg.kind

    @property
    def cell(self) -> str:
        return self.cfg.cell

    @property
    def loss_kind(self) -> str:
        return "mse" if self.cfg.kind == "regression" else "ce"

    def check_input(self, x: torch.Tensor) -> tuple[torch.Tensor, bool]:
        """x -> (a batch (B, T) / (B, T, F), whether x was one unbatched sequence); ValueError if x does
        not fit the model."""
        if self.cfg.tokens:
            if x.dtype != torch.long:
                raise ValueError(f"token inputs must be a LongTensor of ids, not {x.dtype}")
            if x.dim() not in (1, 2):
                raise ValueError(f"token inputs must have shape (T,) or (B, T), not {tuple(x.shape)}")
            unbatched = x.dim() == 1
        else:
            if not x.is_floating_point():
                raise ValueError(f"float inputs must be a floating-point tensor, not {x.dtype}")
            if x.dim() not in (2, 3) or x.shape[-1] != self.cfg.in_features:
                raise ValueError(f"float inputs must have shape (T, {self.cfg.in_features}) or "
                                 f"(B, T, {self.cfg.in_features}), not {tuple(x.shape)}")
            unbatched = x.dim() == 2
        if x.shape[-1 if self.cfg.tokens else -2] == 0:
            raise ValueError("sequences must have at least one step")
        return (x.unsqueeze(0) if unbatched else x), unbatched

    def _last(self, x: torch.Tensor, out: torch.Tensor) -> torch.Tensor:
        """(B, T, H) -> (B, H): the state after the last input (the last non-pad token with pad_id)."""
        if self.cfg.pad_id is None:
            return out[:, -1]
        last = ((x != self.cfg.pad_id).sum(1) - 1).clamp(min=0)   # right padding
        return out[torch.arange(out.shape[0], device=out.device), last]

    def _read(self, x, out, unbatched):
        y = self.head(out) if self.cfg.kind == "many_to_many" else self.head(self._last(x, out))
        return y[0] if unbatched else y


# Seeded initialisation draws from torch's one global generator: two threads building models at once (two
# sessions of a server training in-process) would interleave their draws and both get weights their seed does
# not give. Every seeded build holds this lock (re-entrant: seq2seq builds its two models inside its own).
SEEDED_INIT = threading.RLock()


class RecurrentModel(Readout):
    """input layer (`embed`) -> one recurrent layer (`rnn`) -> output layer (`head`), for every task.

    x: token ids (B, T) or floats (B, T, F), or one unbatched sequence -> many_to_many: (B, T, out) at
    every step; many_to_one: (B, out) class logits from the last state; regression: (B, out) values.
    Same config: same weights (the caller's global RNG is left untouched). head=False builds no output
    layer (seq2seq's encoder)."""

    def __init__(self, cfg: ModelConfig, head: bool = True):
        super().__init__()
        self.cfg = cfg.validate()
        with SEEDED_INIT, torch.random.fork_rng(devices=[]):
            torch.manual_seed(cfg.seed)
            self.embed = make_input_layer(cfg)
            self.rnn = make_recurrent_layer(cfg)
            self.head = nn.Linear(cfg.hidden_size, cfg.outputs) if head else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x, unbatched = self.check_input(x)
        out, _ = self.rnn(self.embed(x))            # (B, T, H)
        return self._read(x, out, unbatched)


CharRNN = RecurrentModel        # the name the library's first users know: the character model is this model


def build_model(cell: str = "lstm", vocab_size: int = 4, hidden_size: int = 16, seed: int = 0,
                embed_size: int | None = None, nonlinearity: str = "tanh",
                device: str | torch.device = "cpu") -> RecurrentModel:
    """A freshly initialised character model (ids in, next-id logits at every step); the same arguments
    always give the same weights."""
    cfg = ModelConfig(cell=cell, vocab_size=vocab_size, hidden_size=hidden_size, embed_size=embed_size,
                      nonlinearity=nonlinearity, seed=seed).validate()
    return RecurrentModel(cfg).to(device)


def count_parameters(model: nn.Module) -> dict[str, int]:
    """Trainable parameter count per named tensor (the frozen one-hot input layer is not counted)."""
    return {n: p.numel() for n, p in model.named_parameters() if p.requires_grad}


def seq_model(kind: str = "many_to_one", cell: str = "gru", in_features: int | None = None,
              vocab: int | None = None, hidden: int = 64, out: int = 10, seed: int = 0,
              embed_size: int | None = None, nonlinearity: str = "tanh", pad_id: int | None = None,
              forget_bias: float | None = None) -> RecurrentModel:
    """The one recurrent model (`rnnviz.nn.model.RecurrentModel`) for a task shape: float inputs
    (in_features) or token ids (vocab), `out` classes or outputs.

    forget_bias b: the LSTM forget gate's total bias (bias_ih + bias_hh) is set to b (1.0 is the usual
    choice and what `RECIPES` use: an LSTM starts by keeping its cell state), for a GRU the update gate's;
    a plain RNN has no gate and ignores it. Same arguments: same weights."""
    return RecurrentModel(ModelConfig(kind=kind, cell=cell, in_features=in_features, vocab_size=vocab,
                                      hidden_size=hidden, out_features=out, seed=seed, embed_size=embed_size,
                                      nonlinearity=nonlinearity, pad_id=pad_id,
                                      forget_bias=None if cell == "rnn" else forget_bias))
