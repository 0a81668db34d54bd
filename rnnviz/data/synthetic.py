"""Synthetic tasks of the lecture notes, made of tensors, with their memoryless baselines.

Every task is deterministic in its arguments (a seeded `torch.Generator`; the global RNG is untouched)
and bounded, so a shared server never builds a huge batch.

- `memory_demo_task`: delayed recall, "say the symbol seen `delay` steps ago" (the lab's memory vs
  memoryless task; a memoryless model stays at chance).
- `memory_task`: remember the FIRST symbol at every step (the Vanishing Gradients page's task).
- `adding_problem` and `copy_task`: the long-range benchmarks (Hochreiter & Schmidhuber 1997; Arjovsky
  et al. 2016), with `baseline`, the loss of the best memoryless answer.
- `seq2seq_task`: reverse (or copy) a string, for the encoder-decoder.

Special ids: ``IGNORE`` marks a target without a loss (F.cross_entropy's default ignore_index); the
seq2seq vocabulary starts with ``PAD``, ``BOS``, ``EOS`` (``N_SPECIAL`` ids), then the symbols.
"""
from __future__ import annotations

import math

import torch

from ..checks import check_int as _check_int, is_int as _is_int

IGNORE = -100                      # a target id without a loss
PAD, BOS, EOS = 0, 1, 2            # seq2seq special ids; symbols are N_SPECIAL .. vocab - 1
N_SPECIAL = 3

MIN_MEMORY_T, MAX_MEMORY_T = 2, 400       # memory_task: the gradient views' lengths
MIN_MEMORY_VOCAB, MAX_MEMORY_VOCAB = 2, 64
MAX_DEMO_ELEMENTS = 50_000_000            # memory_demo_task: n · T


def memory_demo_task(n: int, T: int = 10, seed: int = 0, delay: int = 2, n_symbols: int = 4
                     ) -> tuple[torch.Tensor, torch.Tensor]:
    """Delayed recall: x is n sequences of T random symbols in [0, n_symbols); the target at step t is
    the symbol seen `delay` steps before, x_{t-delay} (IGNORE for the first `delay` steps).

    The output at step t needs x_{t-delay}, which a memoryless model never sees: the best it can do is
    chance, 1 / n_symbols accuracy and ln(n_symbols) cross-entropy. A model with memory (LSTM / GRU)
    can reach 100%. Use `seq_model("many_to_many", vocab=n_symbols, out=n_symbols)`."""
    _check_int("n", n, 1, 1_000_000)
    _check_int("n_symbols", n_symbols, 2, 64)
    _check_int("delay", delay, 1, 100)
    _check_int("T", T, delay + 1, 1000)
    _check_int("seed", seed, 0, 2**31 - 1)
    if n * T > MAX_DEMO_ELEMENTS:
        raise ValueError(f"n × T must be at most {MAX_DEMO_ELEMENTS}")
    gen = torch.Generator().manual_seed(seed)
    x = torch.randint(n_symbols, (n, T), generator=gen)
    y = torch.full_like(x, IGNORE)
    y[:, delay:] = x[:, :-delay]
    return x, y


def memory_task(T: int, vocab: int = 8, seed: int = 0, n: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """The long-range memory task: remember the FIRST symbol.

    x: uniformly random symbols in [0, vocab) (one-hot inputs to the model). y_t = x_1 for EVERY t:
    the target at the last step is the first input, T - 1 steps back (long-range credit assignment;
    what `loss_on="last"` measures). The same target at every step makes `loss_on="all"` (and training,
    whose loss is the mean over all steps) the same task with dependencies of every length 0 .. T - 1,
    so a model can learn it step by step. A memoryless model scores ln(vocab) per step after step 1.

    Returns LongTensors (T,), (T,), or (n, T), (n, T) with `n` sequences; row 0 of the batch is the
    single sequence of the same seed. Deterministic in (T, vocab, seed); the global RNG is untouched.
    """
    if not _is_int(T) or not MIN_MEMORY_T <= T <= MAX_MEMORY_T:
        raise ValueError(f"sequence length T must be an integer between {MIN_MEMORY_T} and {MAX_MEMORY_T}, not {T!r}")
    if not _is_int(vocab) or not MIN_MEMORY_VOCAB <= vocab <= MAX_MEMORY_VOCAB:
        raise ValueError(f"vocab must be an integer between {MIN_MEMORY_VOCAB} and {MAX_MEMORY_VOCAB}, not {vocab!r}")
    if n is not None and (not _is_int(n) or not 1 <= n <= 1024):
        raise ValueError(f"n must be an integer between 1 and 1024 (or None), not {n!r}")
    gen = torch.Generator().manual_seed(int(seed))
    x = torch.randint(vocab, (n or 1, T), generator=gen)       # (N, T)
    y = x[:, :1].expand(-1, T).clone()                          # (N, T): y_t = x_1
    return (x, y) if n is not None else (x[0], y[0])


TASKS = ("adding", "copy")   # the long-range tasks
MAX_T = 1000                  # dependency length
MAX_BATCH = 4096              # sequences per generated batch / call
MAX_ELEMENTS = 4_000_000      # n · (sequence length) per generated batch: bounded memory on a shared server
MAX_SYMBOLS = 64
MAX_LENGTH = 100


def _generator(seed, generator: torch.Generator | None) -> torch.Generator:
    if generator is not None:
        return generator
    _check_int("seed", seed, 0, 2 ** 63 - 1)
    return torch.Generator().manual_seed(seed)


def adding_problem(n: int, T: int, seed: int = 0, *, generator: torch.Generator | None = None
                   ) -> tuple[torch.Tensor, torch.Tensor]:
    """n adding-problem sequences of length T -> (x (n, T, 2) float32, y (n,) float32).

    x[..., 0] ~ U[0, 1]; x[..., 1] is 1 at exactly two steps, one uniform in [0, T//2) and one
    uniform in [T//2, T), else 0; y = the sum of the two marked values. The same (n, T, seed) always
    gives the same data; with `generator` the draws come from it instead (seed is then ignored).
    """
    _check_int("n", n, 1, MAX_BATCH)
    _check_int("T", T, 2, MAX_T)
    if n * T > MAX_ELEMENTS:
        raise ValueError(f"n·T must be at most {MAX_ELEMENTS}, not {n * T}")
    g = _generator(seed, generator)
    values = torch.rand(n, T, generator=g)
    half = T // 2
    first = torch.randint(0, half, (n,), generator=g)
    second = torch.randint(half, T, (n,), generator=g)
    rows = torch.arange(n)
    marks = torch.zeros(n, T)
    marks[rows, first] = 1.0
    marks[rows, second] = 1.0
    return torch.stack([values, marks], dim=-1), values[rows, first] + values[rows, second]


ADDING_BASELINE = 1.0 / 6.0   # MSE of always predicting 1 = Var(U1 + U2)


def copy_vocab(n_symbols: int = 8) -> int:
    """Ids of the copy task: 0 blank, 1..n_symbols the symbols, n_symbols + 1 the delimiter."""
    return n_symbols + 2


def copy_task(n: int, T: int, seed: int = 0, n_symbols: int = 8, length: int = 10, *,
              generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """n copy-task sequences -> (x (n, T + 2·length) long, y (n, T + 2·length) long).

    Inputs: `length` symbols in 1..n_symbols, T - 1 blanks (0), the delimiter (n_symbols + 1), then
    `length` blanks. Targets: blank (0) for the first T + length steps, then the `length` symbols in
    their original order. Deterministic for (n, T, seed, n_symbols, length) unless `generator` is given.
    """
    _check_int("n", n, 1, MAX_BATCH)
    _check_int("T", T, 1, MAX_T)
    _check_int("n_symbols", n_symbols, 2, MAX_SYMBOLS)
    _check_int("length", length, 1, MAX_LENGTH)
    L = T + 2 * length
    if n * L > MAX_ELEMENTS:
        raise ValueError(f"n·(T + 2·length) must be at most {MAX_ELEMENTS}, not {n * L}")
    g = _generator(seed, generator)
    symbols = torch.randint(1, n_symbols + 1, (n, length), generator=g)
    x = torch.zeros(n, L, dtype=torch.long)
    y = torch.zeros(n, L, dtype=torch.long)
    x[:, :length] = symbols
    x[:, length + T - 1] = n_symbols + 1
    y[:, T + length:] = symbols
    return x, y


def copy_baseline(T: int, n_symbols: int = 8, length: int = 10) -> float:
    """Memoryless cross-entropy of the copy task: blanks predicted perfectly, the `length` recall steps
    uniform over the symbols, averaged over all T + 2·length steps: length·ln(n_symbols)/(T + 2·length)."""
    return length * math.log(n_symbols) / (T + 2 * length)


def baseline(task: str, T: int, n_symbols: int = 8, length: int = 10) -> float:
    """The memoryless baseline loss of `task` at dependency length T (see the module docstring)."""
    if task == "adding":
        return ADDING_BASELINE
    if task == "copy":
        return copy_baseline(T, n_symbols, length)
    raise ValueError(f"task must be one of {', '.join(TASKS)}, not {task!r}")


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
