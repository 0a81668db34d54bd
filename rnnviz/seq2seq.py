"""Sequence to sequence: an encoder-decoder of two recurrent layers (the one recurrent model's input and
recurrent layers, `rnnviz.model`), the reverse / copy task, and greedy decoding replayed step by step.

`Seq2Seq`: the encoder's final state is the decoder's initial state; training uses teacher forcing
(`rnnviz.seqtasks.fit` trains it), inference greedy decoding (`Seq2Seq.greedy`, `decode_steps`). Token
ids: ``PAD = 0`` (padding, ignored by the loss), ``BOS = 1`` (the decoder's first input), ``EOS = 2`` (end
of the output), symbols from ``N_SPECIAL = 3`` on. `seq2seq_task` makes reverse / copy pairs.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn as nn

from .checks import check_int as _check_int
from .model import MAX_VOCAB_SIZE, ModelConfig, make_input_layer, make_recurrent_layer
from .predict import MAX_GENERATE
from .tracing import to_numpy

PAD, BOS, EOS = 0, 1, 2            # special ids; symbols are N_SPECIAL .. vocab - 1
N_SPECIAL = 3


def _block(cfg: ModelConfig, head: bool) -> nn.Module:
    """The encoder (head=False) or the decoder: embed -> rnn (-> head) of the one recurrent model, built
    with the RNG as it stands (Seq2Seq seeds once for both)."""
    block = nn.Module()
    block.cfg = cfg
    block.embed = make_input_layer(cfg)
    block.rnn = make_recurrent_layer(cfg)
    block.head = nn.Linear(cfg.hidden_size, cfg.outputs) if head else None
    return block


class Seq2Seq(nn.Module):
    """Encoder-decoder. The encoder reads src (B, S) (PAD-padded on the right); its final state (h, and c
    for LSTM) is the decoder's initial state. `forward(src, tgt)` uses teacher forcing: tgt (B, L) is the
    wanted output followed by EOS (then PAD), the decoder reads BOS, tgt_1 .. tgt_{L-1} and the result is
    (B, L, vocab) logits for tgt. `greedy(src)` decodes without targets. Vocabulary: PAD 0, BOS 1, EOS 2,
    symbols N_SPECIAL .. vocab - 1. `encoder` / `decoder` each have embed / rnn (/ head) and a cfg."""
    kind = "seq2seq"
    loss_kind = "ce"
    ignore_index = PAD

    def __init__(self, cell: str = "gru", vocab: int = 7, hidden: int = 64, seed: int = 0,
                 embed_size: int | None = None, nonlinearity: str = "tanh", forget_bias: float | None = None):
        super().__init__()
        _check_int("vocab", vocab, N_SPECIAL + 1, MAX_VOCAB_SIZE)
        cfg = ModelConfig(kind="many_to_many", cell=cell, vocab_size=vocab, hidden_size=hidden, out_features=vocab,
                          seed=seed, embed_size=embed_size, nonlinearity=nonlinearity,
                          forget_bias=None if cell == "rnn" else forget_bias).validate()
        self.cfg = cfg
        with torch.random.fork_rng(devices=[]):     # the encoder, then the decoder, from one seed
            torch.manual_seed(seed)
            self.encoder = _block(cfg, head=False)
            self.decoder = _block(cfg, head=True)

    @property
    def cell(self) -> str:
        return self.cfg.cell

    @property
    def head(self) -> nn.Linear:
        return self.decoder.head

    def _check_src(self, src: torch.Tensor) -> torch.Tensor:
        if src.dtype != torch.long or src.dim() != 2 or src.shape[1] == 0:
            raise ValueError(f"src must be a LongTensor (B, S) of token ids, not {src.dtype} {tuple(src.shape)}")
        lengths = (src != PAD).sum(1)
        if int(lengths.min()) == 0:
            raise ValueError("every source sequence needs at least one non-PAD token")
        return lengths

    def encode(self, src: torch.Tensor):
        """src (B, S) -> the encoder's final state, as the decoder takes it: h (1, B, H) or (h, c)."""
        lengths = self._check_src(src)
        e = self.encoder.embed(src)
        if int(lengths.min()) == src.shape[1]:                  # no padding: the last step is the last token
            _, state = self.encoder.rnn(e)
        else:
            packed = nn.utils.rnn.pack_padded_sequence(e, lengths.cpu(), batch_first=True, enforce_sorted=False)
            _, state = self.encoder.rnn(packed)
        return state

    def forward(self, src: torch.Tensor, tgt: torch.Tensor) -> torch.Tensor:
        if tgt.dtype != torch.long or tgt.dim() != 2 or tgt.shape[0] != src.shape[0] or tgt.shape[1] == 0:
            raise ValueError(f"tgt must be a LongTensor (B, L) with the batch size of src, not {tuple(tgt.shape)}")
        state = self.encode(src)
        dec_in = torch.cat([torch.full_like(tgt[:, :1], BOS), tgt[:, :-1]], dim=1)   # teacher forcing
        out, _ = self.decoder.rnn(self.decoder.embed(dec_in), state)
        return self.decoder.head(out)                            # (B, L, V)

    @torch.no_grad()
    def greedy(self, src: torch.Tensor, max_len: int | None = None) -> torch.Tensor:
        """Greedy decoding: (B, S) -> (B, L) ids, each row ending at its EOS (PAD after it)."""
        max_len = 2 * src.shape[1] + 2 if max_len is None else max_len
        _check_int("max_len", max_len, 1, MAX_GENERATE)
        state = self.encode(src)
        inp = torch.full((src.shape[0], 1), BOS, dtype=torch.long, device=src.device)
        done = torch.zeros(src.shape[0], dtype=torch.bool, device=src.device)
        outs = []
        for _ in range(max_len):
            out, state = self.decoder.rnn(self.decoder.embed(inp), state)
            nxt = self.decoder.head(out[:, 0]).argmax(-1)
            outs.append(torch.where(done, torch.full_like(nxt, PAD), nxt))
            done |= nxt == EOS
            if bool(done.all()):
                break
            inp = nxt[:, None]
        return torch.stack(outs, 1)


def seq2seq_task(n: int, min_len: int = 1, max_len: int = 5, n_symbols: int = 4, mode: str = "reverse",
                 seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """n random strings of min_len..max_len symbols (ids N_SPECIAL .. N_SPECIAL + n_symbols - 1).
    Returns src (n, max_len), PAD-padded, and tgt (n, max_len + 1): the reversed (or copied) string,
    EOS, PAD. Vocabulary size for `Seq2Seq`: N_SPECIAL + n_symbols."""
    if mode not in ("reverse", "copy"):
        raise ValueError(f"mode must be 'reverse' or 'copy', not {mode!r}")
    _check_int("n", n, 1, 1_000_000)
    _check_int("max_len", max_len, 1, 200)
    _check_int("min_len", min_len, 1, max_len)
    _check_int("n_symbols", n_symbols, 1, 1000)
    _check_int("seed", seed, 0, 2**31 - 1)
    gen = torch.Generator().manual_seed(seed)
    lengths = torch.randint(min_len, max_len + 1, (n,), generator=gen)
    sym = torch.randint(n_symbols, (n, max_len), generator=gen) + N_SPECIAL
    pos = torch.arange(max_len)
    real = pos[None, :] < lengths[:, None]
    src = torch.where(real, sym, torch.full_like(sym, PAD))
    if mode == "reverse":
        idx = (lengths[:, None] - 1 - pos[None, :]).clamp(min=0)
        out = torch.where(real, src.gather(1, idx), torch.full_like(sym, PAD))
    else:
        out = src.clone()
    tgt = torch.cat([out, torch.full((n, 1), PAD, dtype=torch.long)], dim=1)
    tgt[torch.arange(n), lengths] = EOS
    return src, tgt


@torch.no_grad()
def sequence_accuracy(model: Seq2Seq, src: torch.Tensor, tgt: torch.Tensor, batch: int = 1024) -> float:
    """Fraction of sources whose greedy decoding equals the target exactly (up to and including EOS)."""
    dev = model.head.weight.device
    hits = 0
    for i in range(0, src.shape[0], batch):
        s, t = src[i:i + batch].to(dev), tgt[i:i + batch].to(dev)
        g = model.greedy(s, max_len=t.shape[1])
        L = min(g.shape[1], t.shape[1])
        g = torch.cat([g[:, :L], torch.full((g.shape[0], t.shape[1] - L), PAD, dtype=torch.long, device=dev)], 1)
        hits += int((g == t).all(1).sum())
    return hits / src.shape[0]


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
