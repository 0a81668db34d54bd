"""The encoder-decoder (sequence to sequence) of the lecture notes, built from the one model's parts.

The encoder reads the source and hands its final state (h, and c for the LSTM) to the decoder as h_0;
the decoder is trained with teacher forcing and decodes greedily (`Seq2Seq.greedy`;
`rnnviz.tracing.generate.decode_steps` keeps every step). The vocabulary starts with PAD, BOS and EOS
(`rnnviz.data.synthetic`); `sequence_accuracy` counts exact matches.
"""
from __future__ import annotations

import torch
import torch.nn as nn

from ..checks import check_int as _check_int
from ..data.synthetic import BOS, EOS, N_SPECIAL, PAD  # noqa: F401 (the seq2seq vocabulary)
from .model import MAX_GENERATE, MAX_VOCAB_SIZE, SEEDED_INIT, ModelConfig, make_input_layer, make_recurrent_layer


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
        with SEEDED_INIT, torch.random.fork_rng(devices=[]):     # the encoder, then the decoder, from one seed
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
