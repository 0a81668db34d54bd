"""The one training loop of rnnviz (`run_steps`): gradient clipping, a wall-clock deadline, progress
through one callback signature (`on_step(Progress)`; the trainer knows nothing about the UI), and a guard
that stops on a NaN/inf loss or gradient and keeps the last good weights; one result record
(`TrainResult`, which the lab's and the long-range tasks' results extend). `train` is the Hello model's
use of it: full-batch or mini-batch, Adam or SGD. Same model seed and same config: same result.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Callable

import torch
import torch.nn.functional as F

from ..checks import is_int as _is_int, is_num as _is_num
from .optim import SGD, Adam, DivergenceGuard, clip_grad_norm

MAX_STEPS = 20_000
MAX_LR = 10.0
MAX_DEADLINE_S = 600.0
OPTIMIZERS = ("adam", "sgd")


@dataclass(frozen=True)
class TrainConfig:
    optimizer: str = "adam"              # adam | sgd
    lr: float = 0.05                     # learning rate
    steps: int = 150                     # optimisation steps (each sees one batch)
    clip: float | None = 5.0             # max global gradient norm; None or 0: no clipping
    seed: int = 0                        # order of mini-batches
    batch_size: int | None = None        # None: every row of x each step (full batch)
    deadline_s: float | None = 30.0      # stop after this many seconds of wall clock (keeps the result)
    target_accuracy: float | None = None # stop as soon as training accuracy reaches this

    def validate(self) -> "TrainConfig":
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {', '.join(OPTIMIZERS)}, not {self.optimizer!r}")
        if not _is_num(self.lr) or not math.isfinite(self.lr) or not 0 < self.lr <= MAX_LR:
            raise ValueError(f"learning rate must be in (0, {MAX_LR}], not {self.lr!r}")
        if not _is_int(self.steps) or not 1 <= self.steps <= MAX_STEPS:
            raise ValueError(f"steps must be an integer between 1 and {MAX_STEPS}, not {self.steps!r}")
        if self.clip is not None and (not _is_num(self.clip) or not math.isfinite(self.clip) or not 0 <= self.clip <= 1e4):
            raise ValueError(f"clip must be between 0 and 10000 (0 or None: off), not {self.clip!r}")
        if not _is_int(self.seed) or not 0 <= self.seed < 2**31:
            raise ValueError(f"seed must be an integer between 0 and {2**31 - 1}, not {self.seed!r}")
        if self.batch_size is not None and (not _is_int(self.batch_size) or not 1 <= self.batch_size <= 1024):
            raise ValueError(f"batch_size must be between 1 and 1024, not {self.batch_size!r}")
        if self.deadline_s is not None and (not _is_num(self.deadline_s) or not 0 < self.deadline_s <= MAX_DEADLINE_S):
            raise ValueError(f"deadline must be in (0, {MAX_DEADLINE_S:g}] seconds, not {self.deadline_s!r}")
        if self.target_accuracy is not None and (not _is_num(self.target_accuracy) or not 0 < self.target_accuracy <= 1):
            raise ValueError(f"target accuracy must be in (0, 1], not {self.target_accuracy!r}")
        return self




@dataclass
class TrainResult:
    """What a training run did: the one result record of rnnviz's training loop (`run_steps`). The lab's
    `rnnviz.training.fit.FitResult` (validation) and the long-range tasks' `rnnviz.app.longrange.TaskResult` (baseline, first
    step that beat it) extend it."""
    losses: list[float] = field(default_factory=list)      # training loss at each step (before its update)
    accuracies: list[float] = field(default_factory=list)  # training accuracy at each step (classification)
    grad_norms: list[float] = field(default_factory=list)  # global gradient norm before clipping, per update
    times: list[float] = field(default_factory=list)       # seconds since the start at the end of each update
    status: str = "done"       # done | target | deadline | stopped | diverged
    message: str = ""
    seconds: float = 0.0

    @property
    def steps(self) -> int:
        return len(self.losses)

    @property
    def diverged(self) -> bool:
        return self.status == "diverged"


@dataclass(frozen=True)
class Progress:
    """What every training loop tells its `on_step` callback after each step."""
    step: int                          # counts from 1
    steps: int                         # planned steps
    loss: float                        # this step's training loss (before its update)
    accuracy: float | None = None      # this step's training accuracy (classification)
    average: float | None = None       # the moving average of the loss (long-range tasks)


OnStep = Callable[[Progress], "bool | None"]     # return False to stop ("stopped", weights kept)

Stop = "tuple[str, str] | None"                           # (status, message) to end the loop, or None


def for_each_cell(cells, run: Callable[[str, OnStep | None], object],
                  on_step: Callable[[str, Progress], "bool | None"] | None = None) -> dict:
    """The one way cells are trained side by side: `run(cell, on_step_of_that_cell)` for each cell in order
    (give every run the same seed, so the same batches). `on_step(cell, Progress)`; returning False stops
    that cell and skips the ones after it. Returns {cell: what run returned} for the cells that ran."""
    out: dict = {}
    stopped = False
    for cell in cells:
        def cb(p: Progress, _cell=cell):
            nonlocal stopped
            answer = on_step(_cell, p)
            stopped = stopped or answer is False
            return answer
        out[cell] = run(cell, None if on_step is None else cb)
        if stopped:
            break
    return out


def run_steps(model, params: list, opt, steps: int, batch: Callable[[int], tuple],
              loss_of: Callable[[tuple], tuple], *, clip: float | None = None, deadline_s: float | None = None,
              lr_at: Callable[[int], float] | None = None,
              before_update: Callable[[int, float, object], Stop] | None = None,
              after_update: Callable[[int, float, object, tuple], Stop] | None = None,
              grad_hint: str | None = None, record: TrainResult | None = None) -> TrainResult:
    """The one training loop of rnnviz (the Hello playground's `train`, the lab's `rnnviz.training.fit.fit`, the
    long-range tasks' `rnnviz.app.longrange.run_task`): for step = 1 .. `steps`,

        b = batch(step); opt.lr = lr_at(step) (if given); loss, extra = loss_of(b)
        a non-finite loss: restore the last good weights, "diverged"
        before_update(step, loss, extra) -> (status, message): record the loss and stop, no update
        backward; the global gradient norm (clipped to `clip`; None or 0: measured only)
        a non-finite gradient: restore the last good weights, "diverged"
        keep these weights as the last good ones; opt.step(); record loss, norm and time
        after_update(step, loss, extra, b) -> (status, message): stop
        past `deadline_s` seconds: "deadline"

    The model is in train mode during the loop and in eval mode after it. The caller builds the
    optimizer (so it can read its state) and owns everything task-specific: batches, loss, metrics,
    validation, progress callbacks, early stopping. Pass `record` (a fresh `TrainResult`, or a subclass
    with the task's own fields) to read it from the hooks while it grows; it is also what is returned."""
    guard = DivergenceGuard(params)
    res = TrainResult() if record is None else record
    t0 = time.perf_counter()
    model.train()
    for step in range(1, steps + 1):
        b = batch(step)
        if lr_at is not None:
            opt.lr = lr_at(step)
        loss, extra = loss_of(b)
        loss_v = loss.item()
        if msg := guard.loss(step, loss_v):
            res.status, res.message = "diverged", msg
            break
        if before_update is not None and (stop := before_update(step, loss_v, extra)):
            res.losses.append(loss_v)
            res.status, res.message = stop
            break
        opt.zero_grad()
        loss.backward()
        gnorm = float(clip_grad_norm(params, clip if clip else math.inf))   # max_norm inf: measures only
        if msg := guard.grad(step, gnorm, hint=grad_hint):
            res.status, res.message = "diverged", msg
            break
        guard.commit()                                           # these weights gave a finite loss and gradient
        opt.step()
        res.losses.append(loss_v)
        res.grad_norms.append(gnorm)
        res.times.append(time.perf_counter() - t0)
        if after_update is not None and (stop := after_update(step, loss_v, extra, b)):
            res.status, res.message = stop
            break
        if deadline_s is not None and time.perf_counter() - t0 > deadline_s:
            res.status, res.message = "deadline", f"stopped at the {deadline_s:g} s time limit after {step} steps"
            break
    model.eval()
    res.seconds = time.perf_counter() - t0
    return res


def train(model, x: torch.Tensor, y: torch.Tensor, cfg: TrainConfig = TrainConfig(),
          on_step: OnStep | None = None) -> TrainResult:
    """Train `model` in place on inputs x and targets y, LongTensors (T,) or (N, T).

    Each step (`run_steps`): forward through the fused module, mean cross-entropy over all positions,
    backward, optional clipping, optimizer step. `on_step(Progress)` is called after every step
    (step counts from 1); returning False stops training. With `target_accuracy`, training stops at the
    first step whose accuracy reaches it, with the weights that scored it. On a NaN/inf loss or gradient
    the weights of the last finite step are restored and the result says "diverged".
    """
    cfg.validate()
    if x.shape != y.shape or x.dim() not in (1, 2) or x.numel() == 0:
        raise ValueError(f"x and y must be non-empty LongTensors of equal shape (T,) or (N, T); "
                         f"got {tuple(x.shape)} and {tuple(y.shape)}")
    V = model.head.out_features
    if x.dtype != torch.long or y.dtype != torch.long or int(x.min()) < 0 or int(y.min()) < 0 \
            or int(x.max()) >= V or int(y.max()) >= V:
        raise ValueError(f"x and y must be LongTensors of ids in [0, {V})")
    dev = next(model.parameters()).device
    x, y = x.to(dev), y.to(dev)
    if x.dim() == 1:
        x, y = x.unsqueeze(0), y.unsqueeze(0)                   # (1, T)
    N = x.shape[0]
    params = [p for p in model.parameters() if p.requires_grad]
    opt = Adam(params, lr=cfg.lr) if cfg.optimizer == "adam" else SGD(params, lr=cfg.lr)
    gen = torch.Generator().manual_seed(cfg.seed)
    mini = cfg.batch_size is not None and cfg.batch_size < N
    res = TrainResult()

    def batch(step):
        if not mini:
            return x, y
        idx = torch.randint(N, (cfg.batch_size,), generator=gen).to(dev)
        return x[idx], y[idx]                                    # (B, T)

    def loss_of(b):
        xb, yb = b
        logits = model(xb)                                       # (B, T, V)
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), yb.reshape(-1))
        return loss, (logits.detach().argmax(-1) == yb).float().mean().item()    # extra: the accuracy

    def before_update(step, loss_v, acc):
        if cfg.target_accuracy is None or acc < cfg.target_accuracy:
            return None
        res.accuracies.append(acc)                               # stop with the weights that scored it
        if on_step is not None:
            on_step(Progress(step, cfg.steps, loss_v, accuracy=acc))
        return "target", f"reached {acc:.0%} training accuracy at step {step}"

    def after_update(step, loss_v, acc, b):
        res.accuracies.append(acc)
        if on_step is not None and on_step(Progress(step, cfg.steps, loss_v, accuracy=acc)) is False:
            return "stopped", f"stopped by the user after {step} steps"
        return None

    return run_steps(model, params, opt, cfg.steps, batch, loss_of, clip=cfg.clip, deadline_s=cfg.deadline_s,
                     before_update=before_update, after_update=after_update,
                     grad_hint="Try a smaller learning rate." if cfg.clip else None, record=res)
