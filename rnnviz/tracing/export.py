"""A `Trace` as a CSV table: one row per time step, every number the model computed at that step.

Columns, in this order (H hidden units, V symbols in the vocabulary):
    step                      1 .. T
    input_char, target_char   the character read at the step and the one it should predict ("" without targets)
    predicted_char            the most likely next character
    h_0 .. h_{H-1}            the hidden state h_t
    c_0 .. c_{H-1}            the LSTM cell state c_t (LSTM only)
    gate_<name>_<u>           every gate of the cell (`engine.GATES`), unit by unit
    p(<char>)                 the predicted probability of each vocabulary entry (space, newline and tab written
                              as ␣ ↵ ⇥; a name two characters would share is written p(U+XXXX) instead)
    loss                      -ln p(target) at the step (only with targets)
    grad_h_norm, grad_c_norm  ||dL/dh_t||, ||dL/dc_t|| (only where the trace has them)

Numbers are written with 9 significant digits, so a float32 value reads back exactly. Pure: no Streamlit.
"""
from __future__ import annotations

import csv
import io
from typing import Sequence

import numpy as np

from ..data.text import show_char
from .engine import GATES, Trace


def prob_columns(vocab_chars: Sequence[str]) -> list[str]:
    """The header of the probability columns: p(<char>) per vocabulary entry, unambiguous (the visible label of
    a character, or its code point where two labels would be the same)."""
    shown = [show_char(c) for c in vocab_chars]
    clash = {s for s in shown if shown.count(s) > 1}          # " " and "␣" in one vocabulary: both would be p(␣)
    return [f"p(U+{ord(c):04X})" if s in clash else f"p({s})" for c, s in zip(vocab_chars, shown)]


def trace_columns(tr: Trace, vocab_chars: Sequence[str]) -> list[str]:
    H = tr.hidden.shape[1]
    cols = ["step", "input_char", "target_char", "predicted_char"] + [f"h_{u}" for u in range(H)]
    if tr.cell is not None:
        cols += [f"c_{u}" for u in range(H)]
    for g in GATES.get(tr.cell_type, ()):
        cols += [f"gate_{g}_{u}" for u in range(H)]
    cols += prob_columns(vocab_chars)
    if tr.targets is not None:
        cols.append("loss")
    if tr.grad_hidden is not None:
        cols.append("grad_h_norm")
    if tr.grad_cell is not None:
        cols.append("grad_c_norm")
    return cols


def trace_table(tr: Trace, vocab_chars: Sequence[str]) -> tuple[list[str], np.ndarray]:
    """(the numeric columns' names, a (T, n) float array of their values) in `trace_columns` order, from `step` on
    without the three character columns."""
    if tr.probs is None:
        raise ValueError("a trace CSV is for character models (a trace with probabilities)")
    V = tr.logits.shape[1]
    if len(vocab_chars) != V:
        raise ValueError(f"the vocabulary has {len(vocab_chars)} characters, the trace's output layer {V}")
    probs = tr.probs
    blocks = [np.arange(1, tr.T + 1, dtype=np.float64)[:, None], tr.hidden]
    if tr.cell is not None:
        blocks.append(tr.cell)
    blocks += [tr.gates[g] for g in GATES.get(tr.cell_type, ())]
    blocks.append(probs)
    if tr.targets is not None:
        p_target = probs[np.arange(tr.T), tr.targets.astype(np.int64)]
        with np.errstate(divide="ignore"):
            blocks.append(-np.log(p_target.astype(np.float64))[:, None])
    for g in (tr.grad_hidden, tr.grad_cell):
        if g is not None:
            blocks.append(np.asarray(g)[:, None])
    names = [c for c in trace_columns(tr, vocab_chars) if not c.endswith("_char")]
    return names, np.hstack([np.asarray(b, dtype=np.float64) for b in blocks])


def trace_csv(tr: Trace, vocab_chars: Sequence[str], input_chars: Sequence[str] | None = None) -> bytes:
    """The trace as UTF-8 CSV bytes (with a BOM, so spreadsheet programs read Korean characters right); see the
    module docstring for the columns. `input_chars` default to the vocabulary entries of tr.x."""
    vocab_chars = list(vocab_chars)
    names, values = trace_table(tr, vocab_chars)
    x = np.asarray(tr.x).astype(np.int64)
    inputs = list(input_chars) if input_chars is not None else [vocab_chars[i] for i in x]
    if len(inputs) != tr.T:
        raise ValueError(f"{len(inputs)} input characters for a trace of {tr.T} steps")
    targets = [vocab_chars[int(i)] for i in tr.targets] if tr.targets is not None else [""] * tr.T
    predicted = [vocab_chars[int(i)] for i in tr.predictions]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(trace_columns(tr, vocab_chars))
    for t in range(tr.T):
        nums = [f"{v:.9g}" for v in values[t]]
        w.writerow([nums[0], inputs[t], targets[t], predicted[t], *nums[1:]])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")
