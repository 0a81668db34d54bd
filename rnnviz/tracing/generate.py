"""What the model predicts: the per-step prediction table, and the one generator (`sample_steps`, with a
temperature), under `generate` (text in, text out) and the lab's one-to-many view."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn as nn

from ..checks import check_int as _check_int, check_num as _check_num
from ..data.synthetic import BOS, EOS, PAD
from ..data.text import Vocab, show_char
from ..nn.model import MAX_GENERATE
from ..nn.seq2seq import Seq2Seq
from .engine import Trace, to_numpy

TEMPERATURE_RANGE = (0.05, 5.0)


def prediction_rows(tr: Trace, vocab: Vocab, k: int = 3) -> list[dict]:
    """One dict per time step t (1-based): input char, target char (or None), the top-k predicted next
    characters with probabilities, P(target) and whether the top prediction is the target."""
    probs = tr.probs                                             # (T, V)
    k = max(1, min(k, vocab.size))
    top = np.argsort(-probs, axis=1, kind="stable")[:, :k]       # (T, k)
    rows = []
    for t in range(tr.T):
        y = None if tr.targets is None else int(tr.targets[t])
        rows.append({
            "t": t + 1,
            "input": vocab.chars[int(tr.x[t])],
            "target": None if y is None else vocab.chars[y],
            "top": [(vocab.chars[int(j)], float(probs[t, j])) for j in top[t]],
            "p_target": None if y is None else float(probs[t, y]),
            "correct": None if y is None else bool(top[t, 0] == y),
        })
    return rows


def format_top(top: list[tuple[str, float]]) -> str:
    """[('e', 0.97), ('l', 0.02)] -> 'e 97% · l 2%' (spaces and newlines made visible)."""
    return " · ".join(f"{show_char(c)} {p:.0%}" for c, p in top)


def generate(model, vocab: Vocab, prime: str, n: int, temperature: float = 1.0, seed: int = 0) -> str:
    """Feed `prime` through the model, then sample `n` characters one at a time from
    softmax(logits / temperature), feeding each back in (`sample_steps`). Returns the n new characters.
    Same arguments and weights: same text."""
    if not prime:
        raise ValueError("the prime must contain at least one character")
    missing = sorted({c for c in prime if c not in vocab.chars})
    if missing:
        raise ValueError(f"the prime uses characters the model has never seen: {''.join(missing)!r}")
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= MAX_GENERATE:
        raise ValueError(f"the number of characters must be between 1 and {MAX_GENERATE}, not {n!r}")
    lo, hi = TEMPERATURE_RANGE
    if not isinstance(temperature, (int, float)) or not math.isfinite(temperature) or not lo <= temperature <= hi:
        raise ValueError(f"temperature must be between {lo} and {hi}, not {temperature!r}")
    return vocab.decode(sample_steps(model, vocab.encode(prime).tolist(), n, temperature, seed).ids.tolist())


@dataclass
class Generation:
    """`sample_steps`: what was fed, what came out, and every step's distribution."""
    start: list[int]            # the start symbol(s) fed first
    ids: np.ndarray             # (n,) generated ids
    probs: np.ndarray           # (n, V) distribution each generated id was drawn from (after temperature)
    hidden: np.ndarray          # (n, H) the hidden state each distribution was read from

    @property
    def chosen_probs(self) -> np.ndarray:
        return self.probs[np.arange(len(self.ids)), self.ids]


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))          # = 1 / (1 + e^-x), no overflow for large |x|


class NumpyStepper:
    """One step of a model's recurrent layer(s) and output layer on plain numpy arrays of its weights
    (float64), for generation: a torch module call per generated character costs ~10x the arithmetic at
    these sizes. Layer 0's input projection is a table per token (embedding @ W_ih^T + b_ih), so a step
    is one small matrix product per layer plus the gates. The same equations as torch's fused nn.RNN (tanh
    or relu) / nn.LSTM (gates i, f, g, o) / nn.GRU (r, z, n; n = tanh(W_in x + b_in + r * (W_hn h + b_hn))),
    any number of stacked layers; tests check every step's distribution against the torch model."""

    def __init__(self, model):
        rnn = model.rnn
        mode = getattr(rnn, "mode", None)
        self.cell = {"RNN_TANH": "tanh", "RNN_RELU": "relu", "LSTM": "lstm", "GRU": "gru"}.get(mode)
        if self.cell is None or rnn.bidirectional or getattr(rnn, "proj_size", 0):
            raise ValueError("generation steps a one-directional nn.RNN, nn.LSTM or nn.GRU without projections")
        f64 = lambda t: t.detach().to("cpu", torch.float64).numpy()            # noqa: E731
        self.H, self.L = rnn.hidden_size, rnn.num_layers
        G = {"tanh": 1, "relu": 1, "lstm": 4, "gru": 3}[self.cell] * self.H
        zero = np.zeros(G)
        self.w_ih, self.b_ih, self.w_hh, self.b_hh = [], [], [], []
        for k in range(self.L):
            self.w_ih.append(f64(getattr(rnn, f"weight_ih_l{k}")))
            self.w_hh.append(f64(getattr(rnn, f"weight_hh_l{k}")).T.copy())   # h @ w_hh: (H,) @ (H, G)
            self.b_ih.append(f64(getattr(rnn, f"bias_ih_l{k}")) if rnn.bias else zero)
            self.b_hh.append(f64(getattr(rnn, f"bias_hh_l{k}")) if rnn.bias else zero)
        self.table = f64(model.embed.weight) @ self.w_ih[0].T + self.b_ih[0]  # (V, G): token -> layer 0 input
        self.w_ih = [None] + [w.T.copy() for w in self.w_ih[1:]]
        self.w_out = f64(model.head.weight).T.copy()                           # (H, V)
        self.b_out = f64(model.head.bias) if model.head.bias is not None else np.zeros(self.w_out.shape[1])

    def zero_state(self) -> list:
        z = lambda: np.zeros(self.H)                                            # noqa: E731
        return [(z(), z()) if self.cell == "lstm" else z() for _ in range(self.L)]

    def step(self, token: int, state: list) -> tuple[np.ndarray, list]:
        """Feed one token id: (the top layer's new h, the new state of every layer)."""
        H, new, x = self.H, [], None                  # x: the layer below's new h (layer 0 reads the table)
        for k, s in enumerate(state):
            gi = self.table[token] if k == 0 else x @ self.w_ih[k] + self.b_ih[k]
            if self.cell == "lstm":
                h, c = s
                g = gi + h @ self.w_hh[k] + self.b_hh[k]
                c = _sigmoid(g[H:2 * H]) * c + _sigmoid(g[:H]) * np.tanh(g[2 * H:3 * H])
                x = _sigmoid(g[3 * H:]) * np.tanh(c)
                new.append((x, c))
            elif self.cell == "gru":
                gh = s @ self.w_hh[k] + self.b_hh[k]
                rz = _sigmoid(gi[:2 * H] + gh[:2 * H])
                n = np.tanh(gi[2 * H:] + rz[:H] * gh[2 * H:])
                x = n + rz[H:] * (s - n)                                          # (1 - z) * n + z * h
                new.append(x)
            else:
                a = gi + s @ self.w_hh[k] + self.b_hh[k]
                x = np.tanh(a) if self.cell == "tanh" else np.maximum(a, 0.0)
                new.append(x)
        return x, new

    def logits(self, h: np.ndarray) -> np.ndarray:
        return h @ self.w_out + self.b_out


def sample_steps(model, start: int | list[int], n: int, temperature: float = 1.0, seed: int = 0,
                 greedy: bool = False) -> Generation:
    """One-to-many generation from a CharRNN-like model (token embed -> rnn -> head at every step, e.g.
    `rnnviz.build_model` or a token `seq_model("many_to_many")`): feed the start symbol (or a list of
    ids, a prime), then n times read p = softmax(logits / temperature), draw the next id (argmax when
    greedy) and feed it back. Same arguments and weights: same ids.

    The steps run on numpy copies of the weights (`NumpyStepper`, float64). The draw is torch.multinomial's
    own (for one sample it takes argmax(p / q), q ~ Exp(1) from the seeded generator): all n draws' noise
    comes from torch.Generator().manual_seed(seed) in one call up front, the same numbers as one multinomial
    call per step (tested against such a loop)."""
    if not all(hasattr(model, a) for a in ("embed", "rnn", "head")) or not isinstance(model.embed, nn.Embedding):
        raise ValueError("sample_steps takes a model with a token embedding, a recurrent layer and a head")
    V = model.embed.num_embeddings
    start = [start] if isinstance(start, int) and not isinstance(start, bool) else list(start)
    if not start or any(isinstance(s, bool) or not isinstance(s, int) or not 0 <= s < V for s in start):
        raise ValueError(f"start must be a token id (or a non-empty list of ids) in [0, {V})")
    _check_int("n", n, 1, MAX_GENERATE)
    _check_num("temperature", temperature, *TEMPERATURE_RANGE, lo_open=False)
    if model.head.out_features != V:
        raise ValueError("sample_steps needs a model whose outputs are its own input symbols")
    net = NumpyStepper(model)
    noise = None if greedy else \
        torch.empty(n, V, dtype=torch.float64).exponential_(1, generator=torch.Generator().manual_seed(int(seed))).numpy()
    state = net.zero_state()
    for s in start:
        h, state = net.step(s, state)
    ids, probs, hs = np.empty(n, dtype=np.int64), np.empty((n, V)), np.empty((n, net.H))
    for i in range(n):
        z = net.logits(h) / temperature
        e = np.exp(z - z.max())
        p = e / e.sum()
        nxt = int(p.argmax() if greedy else (p / noise[i]).argmax())
        ids[i], probs[i], hs[i] = nxt, p, h
        if i + 1 < n:
            h, state = net.step(nxt, state)
    return Generation(start=start, ids=ids, probs=probs.astype(np.float32), hidden=hs.astype(np.float32))


@dataclass
class DecodeSteps:
    """`decode_steps`: the encoder's reading of the source and every greedy decoder step."""
    src: np.ndarray                         # (S,) source ids (padding removed)
    encoder_hidden: np.ndarray              # (S, H) encoder h_1 .. h_S
    encoder_final: np.ndarray               # (H,) the encoder's final h: the decoder's h_0
    encoder_final_cell: np.ndarray | None   # (H,) LSTM: the final c, the decoder's c_0
    inputs: np.ndarray                      # (L,) the decoder's input at each step (BOS, then its own outputs)
    hidden: np.ndarray                      # (L, H) decoder h_t
    cell_state: np.ndarray | None           # (L, H) LSTM decoder c_t
    probs: np.ndarray                       # (L, V) output distribution at each step
    outputs: np.ndarray                     # (L,) greedy choice at each step (ends with EOS unless cut at max_len)

    @property
    def L(self) -> int:
        return int(self.outputs.shape[0])


@torch.no_grad()
def decode_steps(model: Seq2Seq, src: torch.Tensor, max_len: int | None = None) -> DecodeSteps:
    """Greedy decoding of one source (S,) step by step, keeping the encoder's states and final state,
    and each decoder step's input, hidden state and output distribution (the same numbers as
    `Seq2Seq.greedy`)."""
    if src.dim() != 1:
        raise ValueError(f"decode_steps takes one source sequence (S,), not {tuple(src.shape)}")
    src = src[src != PAD]
    if src.numel() == 0:
        raise ValueError("the source holds padding only")
    V = model.cfg.vocab_size
    if int(src.min()) < 0 or int(src.max()) >= V:
        raise ValueError(f"token ids must be in [0, {V})")
    max_len = 2 * src.numel() + 2 if max_len is None else max_len
    _check_int("max_len", max_len, 1, MAX_GENERATE)
    dev = model.head.weight.device
    src = src.to(dev)
    enc, dec = model.encoder, model.decoder
    enc_out, state = enc.rnn(enc.embed(src[None]))               # (1, S, H)
    lstm = model.cfg.cell == "lstm"
    h0 = state[0] if lstm else state
    res_enc = (to_numpy(enc_out[0]), to_numpy(h0[0, 0]), to_numpy(state[1][0, 0]) if lstm else None)
    inp, inputs, hs, cs, ps, outs = BOS, [], [], [], [], []
    for _ in range(max_len):
        out, state = dec.rnn(dec.embed(torch.tensor([[inp]], device=dev)), state)
        p = torch.softmax(dec.head(out[0, 0]), dim=0)
        nxt = int(p.argmax())
        inputs.append(inp); hs.append(out[0, 0]); ps.append(p); outs.append(nxt)
        if lstm:
            cs.append(state[1][0, 0])
        if nxt == EOS:
            break
        inp = nxt
    return DecodeSteps(src=src.cpu().numpy(), encoder_hidden=res_enc[0], encoder_final=res_enc[1],
                       encoder_final_cell=res_enc[2], inputs=np.array(inputs), hidden=to_numpy(torch.stack(hs)),
                       cell_state=to_numpy(torch.stack(cs)) if lstm else None, probs=to_numpy(torch.stack(ps)),
                       outputs=np.array(outs))
