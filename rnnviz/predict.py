"""What the model predicts: the per-step prediction table and sampling (generation) with a temperature."""
from __future__ import annotations

import math

import numpy as np
import torch

from .text import Vocab, show_char
from .tracing import Trace

MAX_GENERATE = 500          # characters per generation (bounded: the server is shared)
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
    softmax(logits / temperature), feeding each back in. Returns the n new characters.
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
    dev = next(model.parameters()).device
    gen = torch.Generator().manual_seed(int(seed))
    out = []
    with torch.no_grad():
        ids = vocab.encode(prime).to(dev).unsqueeze(0)           # (1, P)
        h, state = model.rnn(model.embed(ids))                   # (1, P, H)
        logits = model.head(h[0, -1])                            # (V,)
        for _ in range(n):
            p = torch.softmax(logits.double().cpu() / temperature, dim=0)
            nxt = int(torch.multinomial(p, 1, generator=gen))
            out.append(nxt)
            h, state = model.rnn(model.embed(torch.tensor([[nxt]], device=dev)), state)
            logits = model.head(h[0, -1])
    return vocab.decode(out)
