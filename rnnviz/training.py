"""Training loop: full-batch or mini-batch, Adam or SGD, gradient clipping, a wall-clock deadline,
progress through a callback (the trainer knows nothing about the UI), and a guard that stops on a
NaN/inf loss and keeps the last good weights. Same model seed and same config: same result.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Callable

import torch
import torch.nn.functional as F

from .optim import SGD, Adam, DivergenceGuard, clip_grad_norm
from .checks import is_int as _is_int, is_num as _is_num

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
    losses: list[float] = field(default_factory=list)      # training loss at each step (before its update)
    accuracies: list[float] = field(default_factory=list)  # training accuracy at each step
    status: str = "done"       # done | target | deadline | stopped | diverged
    message: str = ""
    seconds: float = 0.0

    @property
    def steps(self) -> int:
        return len(self.losses)

    @property
    def diverged(self) -> bool:
        return self.status == "diverged"


OnStep = Callable[[int, float, float], "bool | None"]  # (step, loss, accuracy) -> False to stop


def train(model, x: torch.Tensor, y: torch.Tensor, cfg: TrainConfig = TrainConfig(),
          on_step: OnStep | None = None) -> TrainResult:
    """Train `model` in place on inputs x and targets y, LongTensors (T,) or (N, T).

    Each step: forward through the fused module, mean cross-entropy over all positions, backward,
    optional clipping, optimizer step. `on_step(step, loss, acc)` is called after every step (step
    counts from 1); returning False stops training. On a NaN/inf loss or gradient the weights of the
    last finite step are restored and the result says "diverged".
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
    guard = DivergenceGuard(params)
    gen = torch.Generator().manual_seed(cfg.seed)
    mini = cfg.batch_size is not None and cfg.batch_size < N
    res = TrainResult()
    t0 = time.perf_counter()
    model.train()
    for step in range(1, cfg.steps + 1):
        if mini:
            idx = torch.randint(N, (cfg.batch_size,), generator=gen).to(dev)
            xb, yb = x[idx], y[idx]                              # (B, T)
        else:
            xb, yb = x, y
        logits = model(xb)                                       # (B, T, V)
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), yb.reshape(-1))
        loss_v = loss.item()
        if msg := guard.loss(step, loss_v):
            res.status, res.message = "diverged", msg
            break
        acc = (logits.detach().argmax(-1) == yb).float().mean().item()
        if cfg.target_accuracy is not None and acc >= cfg.target_accuracy:   # stop with the weights that scored it
            res.losses.append(loss_v)
            res.accuracies.append(acc)
            res.status, res.message = "target", f"reached {acc:.0%} training accuracy at step {step}"
            if on_step is not None:
                on_step(step, loss_v, acc)
            break
        opt.zero_grad()
        loss.backward()
        if cfg.clip and (msg := guard.grad(step, float(clip_grad_norm(params, cfg.clip)),
                                           hint="Try a smaller learning rate.")):       # clipping is on already
            res.status, res.message = "diverged", msg
            break
        guard.commit()                                           # these weights gave a finite loss and gradient
        opt.step()
        res.losses.append(loss_v)
        res.accuracies.append(acc)
        if on_step is not None and on_step(step, loss_v, acc) is False:
            res.status, res.message = "stopped", f"stopped by the user after {step} steps"
            break
        if cfg.deadline_s is not None and time.perf_counter() - t0 > cfg.deadline_s:
            res.status, res.message = "deadline", f"stopped at the {cfg.deadline_s:g} s time limit after {step} steps"
            break
    model.eval()
    res.seconds = time.perf_counter() - t0
    return res

