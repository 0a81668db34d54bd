"""Mini-batch training of every lab model on tensors: `fit`, `evaluate` and `compare_cells`.

`fit` trains a `seq_model` (many-to-one classes, many-to-many symbols, regression values), a
`MemorylessModel`, a `Seq2Seq` or a `build_model` model through the one loop
(`rnnviz.training.loop.run_steps`): seeded shuffled mini-batches, Adam (`rnnviz.training.optim`), a
constant or cosine learning rate, clipping, a deadline, a stop callback, the NaN guard that keeps the last
good weights, and periodic validation. `compare_cells` trains rnn / lstm / gru (and the MLP) on the same
data and seed.

Targets: class ids (LongTensor) with ``IGNORE`` (-100) where a position has no target (padding in
many-to-many data, the first `delay` steps of `memory_demo_task`); a `Seq2Seq` ignores ``PAD``. This module
takes tensors only: loaders and generators of real data live in `rnnviz.data`.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Callable

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..checks import check_int as _check_int, check_num as _check_num
from ..nn.model import CELLS, Readout
from ..nn.seq2seq import PAD
from ..tracing.engine import IGNORE
from .loop import MAX_DEADLINE_S, MAX_LR, MAX_STEPS, OnStep, Progress, TrainResult, for_each_cell, run_steps
from .optim import Adam

MAX_EPOCHS = 500
MAX_BATCH = 4096
MAX_ELEMENTS = 50_000_000          # numbers in a training or validation set: bounded memory on a shared server
LR_SCHEDULES = ("constant", "cosine")


@dataclass(frozen=True)
class FitConfig:
    lr: float = 1e-2                     # Adam learning rate
    steps: int = 500                     # optimisation steps (ignored when epochs is given)
    epochs: int | None = None            # passes over the training set (steps = epochs × batches per epoch)
    batch_size: int = 64                 # sequences per step; each epoch is a fresh seeded shuffle
    clip: float | None = 1.0             # max global gradient norm; None or 0: no clipping
    seed: int = 0                        # order of the mini-batches
    deadline_s: float | None = 60.0      # stop after this many seconds of wall clock (keeps the result)
    eval_every: int = 100                # validate every this many steps (and after the last step)
    eval_batch: int = 1024               # sequences per validation forward pass
    lr_schedule: str = "constant"        # constant | cosine (to 0 over the planned steps)

    def validate(self) -> "FitConfig":
        _check_num("learning rate", self.lr, 0, MAX_LR)
        _check_int("steps", self.steps, 1, MAX_STEPS)
        if self.epochs is not None:
            _check_int("epochs", self.epochs, 1, MAX_EPOCHS)
        _check_int("batch_size", self.batch_size, 1, MAX_BATCH)
        if self.clip is not None:
            _check_num("clip", self.clip, 0, 1e4, lo_open=False)
        _check_int("seed", self.seed, 0, 2**31 - 1)
        if self.deadline_s is not None:
            _check_num("deadline", self.deadline_s, 0, MAX_DEADLINE_S)
        _check_int("eval_every", self.eval_every, 1, MAX_STEPS)
        _check_int("eval_batch", self.eval_batch, 1, MAX_BATCH)
        if self.lr_schedule not in LR_SCHEDULES:
            raise ValueError(f"lr_schedule must be one of {', '.join(LR_SCHEDULES)}, not {self.lr_schedule!r}")
        return self

    def total_steps(self, n_train: int) -> int:
        if self.epochs is None:
            return self.steps
        total = self.epochs * math.ceil(n_train / self.batch_size)
        if total > MAX_STEPS:
            raise ValueError(f"{self.epochs} epochs of {math.ceil(n_train / self.batch_size)} batches is more than "
                             f"{MAX_STEPS} steps; use fewer epochs or a larger batch")
        return total


@dataclass
class FitResult(TrainResult):
    """`rnnviz.training.loop.TrainResult` (losses, accuracies, gradient norms, status, ...) plus validation. `seconds`
    is the wall clock of the whole fit, validation included."""
    val_steps: list[int] = field(default_factory=list)         # steps after which validation ran
    val_losses: list[float] = field(default_factory=list)
    val_accuracies: list[float] = field(default_factory=list)  # classification kinds only
    planned_steps: int = 0
    samples: int = 0           # training sequences seen

    @property
    def val_loss(self) -> float | None:
        return self.val_losses[-1] if self.val_losses else None

    @property
    def val_accuracy(self) -> float | None:
        return self.val_accuracies[-1] if self.val_accuracies else None

    @property
    def accuracy(self) -> float | None:
        """Validation accuracy at the end, else the last training batch's accuracy."""
        if self.val_accuracies:
            return self.val_accuracies[-1]
        return self.accuracies[-1] if self.accuracies else None


OnEval = Callable[[int, float, "float | None"], None]    # (step, val loss, val accuracy)
Data = tuple[torch.Tensor, torch.Tensor]


def task_kind(model: nn.Module) -> str:
    """many_to_one | many_to_many | regression | seq2seq (a CharRNN is many_to_many)."""
    return getattr(model, "kind", "many_to_many")


def _n_out(model: nn.Module) -> int:
    return model.head.out_features


def _check_data(model, data, name: str) -> Data:
    if not isinstance(data, (tuple, list)) or len(data) != 2 or not all(isinstance(t, torch.Tensor) for t in data):
        raise ValueError(f"{name} must be a pair of tensors (inputs, targets)")
    x, y = data
    kind = task_kind(model)
    if x.dim() == 0 or x.shape[0] == 0 or x.shape[0] != y.shape[0]:
        raise ValueError(f"{name}: inputs and targets need the same, non-zero number of rows; "
                         f"got {tuple(x.shape)} and {tuple(y.shape)}")
    if x.numel() > MAX_ELEMENTS or y.numel() > MAX_ELEMENTS:
        raise ValueError(f"{name} is too large: at most {MAX_ELEMENTS:,} numbers")
    if kind == "seq2seq":
        model._check_src(x)
        if y.dtype != torch.long or y.dim() != 2:
            raise ValueError(f"{name}: seq2seq targets are a LongTensor (N, L)")
    elif isinstance(model, Readout):
        model.check_input(x[:1])                               # dtype / feature checks
        if x.dim() != (2 if model.cfg.tokens else 3):
            raise ValueError(f"{name}: inputs must be batched, not {tuple(x.shape)}")
    elif x.dtype != torch.long or x.dim() != 2:
        raise ValueError(f"{name}: inputs must be a LongTensor (N, T) of token ids")
    C = _n_out(model)
    if getattr(model, "loss_kind", "ce") == "mse":
        if not y.is_floating_point() or tuple(y.shape[1:]) not in ((), (C,)):
            raise ValueError(f"{name}: regression targets are floats of shape (N,) or (N, {C})")
        return x, y
    want = {"many_to_one": (x.shape[0],), "many_to_many": tuple(x.shape[:2])}.get(kind)
    if y.dtype != torch.long or (want is not None and tuple(y.shape) != want):
        raise ValueError(f"{name}: targets must be a LongTensor of class ids of shape {want or '(N, L)'}, "
                         f"not {y.dtype} {tuple(y.shape)}")
    ign = getattr(model, "ignore_index", IGNORE)
    keep = y != ign
    if not bool(keep.any()):
        raise ValueError(f"{name}: every target is ignored")
    if int(y[keep].min()) < 0 or int(y[keep].max()) >= C:
        raise ValueError(f"{name}: class ids must be in [0, {C})" + ("" if ign == PAD else f" (or {IGNORE})"))
    return x, y


def _forward(model, xb, yb):
    return model(xb, yb) if task_kind(model) == "seq2seq" else model(xb)


def _loss_terms(model, out, yb) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
    """(sum of losses, number of terms, number correct or None) for one batch."""
    if getattr(model, "loss_kind", "ce") == "mse":
        yb = yb.reshape(out.shape)
        return F.mse_loss(out, yb, reduction="sum"), torch.tensor(float(out.numel())), None
    ign = getattr(model, "ignore_index", IGNORE)
    flat, yf = out.reshape(-1, out.shape[-1]), yb.reshape(-1)
    keep = yf != ign
    loss = F.cross_entropy(flat, yf, ignore_index=ign, reduction="sum")
    correct = ((flat.detach().argmax(-1) == yf) & keep).sum()
    return loss, keep.sum(), correct


@torch.no_grad()
def evaluate(model, data: Data, batch: int = 1024) -> tuple[float, float | None]:
    """(mean loss, accuracy or None for regression) of `model` on data = (inputs, targets), in eval mode.
    Seq2seq: teacher-forced per-token figures (see `seq2seq.sequence_accuracy` for whole strings)."""
    x, y = _check_data(model, data, "data")
    dev = next(model.parameters()).device
    was = model.training
    model.eval()
    tot, n, cor = 0.0, 0.0, 0.0
    for i in range(0, x.shape[0], batch):
        xb, yb = x[i:i + batch].to(dev), y[i:i + batch].to(dev)
        loss, cnt, c = _loss_terms(model, _forward(model, xb, yb), yb)
        tot += float(loss); n += float(cnt)
        cor += 0.0 if c is None else float(c)
    model.train(was)
    mse = getattr(model, "loss_kind", "ce") == "mse"
    return tot / n, None if mse else cor / n


def fit(model: nn.Module, train_data: Data, val_data: Data | None = None, cfg: FitConfig = FitConfig(),
        on_step: OnStep | None = None, on_eval: OnEval | None = None) -> FitResult:
    """Train `model` in place on train_data = (inputs, targets); any model of this module or a CharRNN.

    Loss by kind: cross-entropy (many_to_one, many_to_many, seq2seq; IGNORE / PAD targets skipped) or
    MSE (regression). Each step: one mini-batch of a seeded per-epoch shuffle, forward through the
    fused module, backward, clipping, an Adam step (`rnnviz.training.optim`). `on_step(Progress)` after every
    step; returning False stops ("stopped"). Past `cfg.deadline_s` it stops ("deadline").
    A NaN/inf loss or gradient restores the weights of the last finite step ("diverged"). With
    val_data, validation runs every `eval_every` steps and after the last step (`on_eval(step, loss,
    acc)`). Trains where the model is (CUDA if it is there). Same model seed and config: same result.
    """
    cfg.validate()
    x, y = _check_data(model, train_data, "training data")
    if val_data is not None:
        val_data = _check_data(model, val_data, "validation data")
    N = x.shape[0]
    total = cfg.total_steps(N)
    dev = next(model.parameters()).device
    x, y = x.to(dev), y.to(dev)
    params = [p for p in model.parameters() if p.requires_grad]
    opt = Adam(params, lr=cfg.lr)
    gen = torch.Generator().manual_seed(cfg.seed)
    B = min(cfg.batch_size, N)
    per_epoch = math.ceil(N / B)
    res = FitResult(planned_steps=total)
    last_eval = 0
    perm = None

    def validate(step: int) -> None:
        nonlocal last_eval
        last_eval = step
        if val_data is None:
            return
        vl, va = evaluate(model, val_data, cfg.eval_batch)
        res.val_steps.append(step)
        res.val_losses.append(vl)
        if va is not None:
            res.val_accuracies.append(va)
        if on_eval is not None:
            on_eval(step, vl, va)
        model.train()

    def batch(step):                                             # a seeded shuffle per epoch
        nonlocal perm
        k = (step - 1) % per_epoch
        if k == 0:
            perm = torch.randperm(N, generator=gen).to(dev) if N > B else None
        if perm is None:
            return x, y
        idx = perm[k * B:(k + 1) * B]
        return x[idx], y[idx]

    def loss_of(b):
        xb, yb = b
        loss_sum, cnt, correct = _loss_terms(model, _forward(model, xb, yb), yb)
        return loss_sum / cnt.clamp(min=1), (cnt, correct)

    def after_update(step, loss_v, extra, b):
        cnt, correct = extra
        res.samples += b[0].shape[0]
        acc = None if correct is None else float(correct) / max(float(cnt), 1.0)
        if acc is not None:
            res.accuracies.append(acc)
        if step % cfg.eval_every == 0:
            validate(step)
        if on_step is not None and on_step(Progress(step, total, loss_v, accuracy=acc)) is False:
            return "stopped", f"stopped by the user after {step} steps"
        return None

    cosine = cfg.lr_schedule == "cosine"
    t0 = time.perf_counter()
    run_steps(model, params, opt, total, batch, loss_of, clip=cfg.clip, deadline_s=cfg.deadline_s,
              lr_at=(lambda step: cfg.lr * 0.5 * (1 + math.cos(math.pi * (step - 1) / total))) if cosine else None,
              after_update=after_update, record=res)
    if res.steps and last_eval != res.steps or (val_data is not None and not res.val_steps):
        validate(res.steps)
    model.eval()
    res.seconds = time.perf_counter() - t0                      # validation included
    if res.status == "done":
        res.message = f"{res.steps} steps in {res.seconds:.1f} s"
    return res


@dataclass
class CellRun:
    model: nn.Module
    result: FitResult


def compare_cells(make_model_fn: Callable[[str], nn.Module], data,
                  cfg: FitConfig | Callable[[str], FitConfig] = FitConfig(), cells: tuple[str, ...] = CELLS,
                  on_step: Callable[[str, Progress], "bool | None"] | None = None) -> dict[str, CellRun]:
    """Train one model per cell, `make_model_fn(cell)` (give it the same seed for each), on the same data
    (so the same batches in the same order): the lab's and the benchmarks' one way to put cells side by
    side. cfg: one FitConfig for every cell, or `cfg(cell)` -> that cell's FitConfig. data: (train, val)
    pairs of (inputs, targets), or one (inputs, targets) pair without validation. cells: distinct names
    `make_model_fn` knows (rnn / lstm / gru, and mlp for a memoryless baseline). `on_step(cell,
    Progress)`; returning False stops that cell and the ones after it. Returns {cell: CellRun(model, result)}."""
    if not cells or len(set(cells)) != len(cells) or any(c not in (*CELLS, "mlp") for c in cells):
        raise ValueError(f"cells must be distinct names from {', '.join(CELLS)} (or mlp)")
    if isinstance(data, (tuple, list)) and len(data) == 2 and isinstance(data[0], (tuple, list)):
        train_data, val_data = data
    else:
        train_data, val_data = data, None
    cfg_for = cfg if callable(cfg) else (lambda cell: cfg)

    def run(cell, cb):
        model = make_model_fn(cell)
        return CellRun(model, fit(model, train_data, val_data, cfg_for(cell), on_step=cb))
    return for_each_cell(cells, run, on_step)
