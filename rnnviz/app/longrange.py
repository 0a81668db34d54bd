"""Long-range tasks where the choice of cell decides: the adding problem and the copy task, trained.

The tasks and their memoryless baselines are in `rnnviz.data.synthetic` (`adding_problem`,
`copy_task`, `baseline`): a model whose loss goes clearly below the baseline has learnt to remember;
one that sits on it has not.

`long_range_model` is the one recurrent model (`rnnviz.nn.model.RecurrentModel`), so `rnnviz.trace`'s
step functions replay it. `train_task` trains one cell on fresh seeded batches every step through the
one loop (`rnnviz.training.loop.run_steps`: Adam, gradient clipping, a deadline, a stop callback, the
NaN guard) and reports when the loss first beat the baseline (`BEAT_FRACTION` over `BEAT_WINDOW` steps).
`rnnviz.app.sweep.sweep` trains every cell at several dependency lengths within one time budget.

Seeds: one integer `seed` fixes the initial weights (as in `rnnviz.build_model`), the training
batches (a generator seeded with seed + 2**32) and the held-out evaluation batch (seed + 2**33).
Cells trained with the same seed therefore see exactly the same data.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field, replace
from typing import Callable

import torch
import torch.nn.functional as F

from ..checks import check_int as _check_int, is_num as _is_num
from ..data.synthetic import (MAX_ELEMENTS, MAX_LENGTH, MAX_SYMBOLS, MAX_T, TASKS, adding_problem, baseline,
                              copy_task, copy_vocab)
from ..nn.model import CELLS, MAX_HIDDEN, ModelConfig, RecurrentModel
from ..training.loop import MAX_DEADLINE_S, MAX_LR, MAX_STEPS, OnStep, Progress, TrainResult, for_each_cell, run_steps
from ..training.optim import Adam
from . import ready

MAX_SWEEP_RUNS = 30           # cells × lengths in one sweep
BEAT_FRACTION = 0.8           # "beats the baseline": moving average below this fraction of the baseline ...
BEAT_WINDOW = 50              # ... over the last this many steps (and at least this many steps taken)
EVAL_SIZE = 256               # held-out sequences for the final loss

_DATA_SEED_OFFSET = 2 ** 32   # training batches: torch.Generator seeded with seed + this
_EVAL_SEED_OFFSET = 2 ** 33   # evaluation batch: seed + this


def _check_forget_bias(fb) -> None:
    if fb is not None and (not _is_num(fb) or not math.isfinite(fb) or not -10 <= fb <= 10):
        raise ValueError(f"forget bias must be between -10 and 10 (or None: torch's default), not {fb!r}")


def long_range_model(cell: str, in_features: int, hidden: int, out_features: int, seed: int = 0,
                     forget_bias: float | None = None, *, symbols: bool = False,
                     nonlinearity: str = "tanh") -> RecurrentModel:
    """The one recurrent model (`rnnviz.nn.model.RecurrentModel`) with an output at every step: float inputs
    (B, T, in_features) read as they are, or (symbols=True) ids in [0, in_features) one-hot ->
    (B, T, out_features); unbatched (T, C) / (T,) -> (T, out_features).

    forget_bias b: for an LSTM the forget gate's total bias (bias_ih + bias_hh) is set to b; for a GRU
    the update gate z's (h_t = (1 - z)·n + z·h_{t-1}, so a large z also keeps the past); a plain RNN
    has no gate and ignores it (its cfg records None). The same arguments always give the same weights.
    """
    _check_forget_bias(forget_bias)
    return RecurrentModel(ModelConfig(kind="many_to_many", cell=cell, vocab_size=in_features if symbols else None,
                                      in_features=None if symbols else in_features, hidden_size=hidden,
                                      out_features=out_features, seed=seed, nonlinearity=nonlinearity,
                                      forget_bias=None if cell == "rnn" else forget_bias))


def task_model(task: str = "adding", cell: str = "lstm", hidden: int = 32, seed: int = 0,
               forget_bias: float | None = None, nonlinearity: str = "tanh", n_symbols: int = 8) -> RecurrentModel:
    """The model for `task`: 2 float channels -> 1 output (adding), or copy_vocab(n_symbols) one-hot -> logits."""
    if task == "adding":
        return long_range_model(cell, 2, hidden, 1, seed, forget_bias, nonlinearity=nonlinearity)
    if task == "copy":
        _check_int("n_symbols", n_symbols, 2, MAX_SYMBOLS)
        V = copy_vocab(n_symbols)
        return long_range_model(cell, V, hidden, V, seed, forget_bias, symbols=True, nonlinearity=nonlinearity)
    raise ValueError(f"task must be one of {', '.join(TASKS)}, not {task!r}")


def task_loss(task: str, out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Adding: MSE of the last step's output against y (n,). Copy: cross-entropy averaged over every step."""
    if task == "adding":
        return F.mse_loss(out[:, -1, 0], y)
    return F.cross_entropy(out.reshape(-1, out.shape[-1]), y.reshape(-1))


TASK_HIDDEN = {"adding": 32, "copy": 128}   # units the page trains with: the copy task holds 10 symbols at once


@dataclass(frozen=True)
class TaskConfig:
    task: str = "adding"               # adding | copy
    cell: str = "lstm"                 # rnn | lstm | gru
    T: int = 50                        # dependency length
    hidden: int = 32
    steps: int = 1500                  # optimisation steps, each on a fresh batch
    batch: int = 32
    lr: float = 1e-2                   # Adam
    seed: int = 0                      # weights, batches and evaluation set
    clip: float | None = 1.0           # max global gradient norm; None or 0: off
    deadline_s: float | None = 30.0    # wall-clock limit (the weights learnt so far are kept)
    forget_bias: float | None = None   # see long_range_model
    nonlinearity: str = "tanh"         # vanilla RNN only
    n_symbols: int = 8                 # copy task
    length: int = 10                   # copy task
    target_ratio: float | None = None  # stop early once the moving average is below target_ratio × baseline
    beat_fraction: float = BEAT_FRACTION
    window: int = BEAT_WINDOW
    eval_size: int = EVAL_SIZE

    @property
    def baseline(self) -> float:
        return baseline(self.task, self.T, self.n_symbols, self.length)

    @property
    def sequence_length(self) -> int:
        return self.T if self.task == "adding" else self.T + 2 * self.length

    def validate(self) -> "TaskConfig":
        if self.task not in TASKS:
            raise ValueError(f"task must be one of {', '.join(TASKS)}, not {self.task!r}")
        if self.cell not in CELLS:
            raise ValueError(f"cell must be one of {', '.join(CELLS)}, not {self.cell!r}")
        _check_int("T", self.T, 2 if self.task == "adding" else 1, MAX_T)
        _check_int("hidden", self.hidden, 1, MAX_HIDDEN)
        _check_int("steps", self.steps, 1, MAX_STEPS)
        _check_int("batch", self.batch, 1, 1024)
        if not _is_num(self.lr) or not math.isfinite(self.lr) or not 0 < self.lr <= MAX_LR:
            raise ValueError(f"learning rate must be in (0, {MAX_LR}], not {self.lr!r}")
        _check_int("seed", self.seed, 0, 2 ** 31 - 1)
        if self.clip is not None and (not _is_num(self.clip) or not math.isfinite(self.clip)
                                      or not 0 <= self.clip <= 1e4):
            raise ValueError(f"clip must be between 0 and 10000 (0 or None: off), not {self.clip!r}")
        if self.deadline_s is not None and (not _is_num(self.deadline_s)
                                            or not 0 < self.deadline_s <= MAX_DEADLINE_S):
            raise ValueError(f"deadline must be in (0, {MAX_DEADLINE_S:g}] seconds, not {self.deadline_s!r}")
        _check_forget_bias(self.forget_bias)
        if self.nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"nonlinearity must be 'tanh' or 'relu', not {self.nonlinearity!r}")
        _check_int("n_symbols", self.n_symbols, 2, MAX_SYMBOLS)
        _check_int("length", self.length, 1, MAX_LENGTH)
        if self.target_ratio is not None and (not _is_num(self.target_ratio) or not 0 < self.target_ratio <= 1):
            raise ValueError(f"target ratio must be in (0, 1], not {self.target_ratio!r}")
        if not _is_num(self.beat_fraction) or not 0 < self.beat_fraction <= 1:
            raise ValueError(f"beat fraction must be in (0, 1], not {self.beat_fraction!r}")
        _check_int("window", self.window, 1, 1000)
        _check_int("eval_size", self.eval_size, 1, 1024)
        if max(self.batch, self.eval_size) * self.sequence_length > MAX_ELEMENTS:
            raise ValueError(f"batch × sequence length must be at most {MAX_ELEMENTS}")
        return self


def make_batch(cfg: TaskConfig, n: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """n fresh sequences of cfg's task drawn from `generator`."""
    if cfg.task == "adding":
        return adding_problem(n, cfg.T, generator=generator)
    return copy_task(n, cfg.T, n_symbols=cfg.n_symbols, length=cfg.length, generator=generator)


def eval_batch(cfg: TaskConfig) -> tuple[torch.Tensor, torch.Tensor]:
    """The held-out batch (cfg.eval_size sequences) that `final_loss` is measured on; depends on cfg.seed only."""
    return make_batch(cfg, cfg.eval_size, torch.Generator().manual_seed(cfg.seed + _EVAL_SEED_OFFSET))


def moving_average(values: list[float], window: int = BEAT_WINDOW) -> list[float]:
    """Trailing mean: entry i is the mean of values[max(0, i - window + 1) .. i]."""
    out, acc = [], 0.0
    for i, v in enumerate(values):
        acc += v
        if i >= window:
            acc -= values[i - window]
        out.append(acc / min(i + 1, window))
    return out


@dataclass
class TaskResult(TrainResult):
    """`rnnviz.training.loop.TrainResult` (losses, gradient norms, times, status, ...) plus the task: its config, the
    memoryless baseline, the first step that beat it, and the held-out loss at the end."""
    config: TaskConfig | None = None
    baseline: float = math.nan                              # the memoryless baseline loss
    beat_step: int | None = None       # first step whose moving average < beat_fraction × baseline
    beat_seconds: float | None = None  # wall-clock seconds from the start to the end of that step
    final_loss: float = math.nan       # loss on the held-out batch with the final (kept) weights
    final_accuracy: float | None = None  # copy: fraction of the recalled symbols right; adding: None
    model: RecurrentModel | None = field(default=None, repr=False)

    @property
    def smoothed(self) -> list[float]:
        return moving_average(self.losses, self.config.window)

    @property
    def ratio(self) -> float:
        """final_loss / baseline: about 1 or more = learnt nothing long-range; near 0 = solved."""
        return self.final_loss / self.baseline

    @property
    def beaten(self) -> bool:
        return self.beat_step is not None


def run_task(cfg: TaskConfig = TaskConfig(), on_step: OnStep | None = None,
             device: str | torch.device = "cpu", into: dict | None = None) -> TaskResult:
    """Train a fresh `task_model` on cfg's task; see `train_task`. With `into` (a session's dict) the result
    is put at into[cfg.cell] before the first step and grows there, "stopped" until the loop ends, so a run
    cut short by a rerun keeps the losses it recorded."""
    cfg.validate()
    model = task_model(cfg.task, cfg.cell, cfg.hidden, cfg.seed, cfg.forget_bias, cfg.nonlinearity,
                       cfg.n_symbols).to(device)
    dev = next(model.parameters()).device
    params = [p for p in model.parameters() if p.requires_grad]
    opt = Adam(params, lr=cfg.lr)
    gen = torch.Generator().manual_seed(cfg.seed + _DATA_SEED_OFFSET)
    base = cfg.baseline
    beat_level = cfg.beat_fraction * base
    res = TaskResult(config=cfg, baseline=base, model=model, status="stopped")
    if into is not None:
        into[cfg.cell] = res
    W, run_sum, recent = cfg.window, 0.0, []

    def batch(step):                                             # a fresh batch every step
        x, y = make_batch(cfg, cfg.batch, gen)
        return x.to(dev), y.to(dev)

    def loss_of(b):
        return task_loss(cfg.task, model(b[0]), b[1]), None

    def after_update(step, loss_v, extra, b):
        nonlocal run_sum
        recent.append(loss_v)
        run_sum += loss_v
        if step > W:
            run_sum -= recent[step - 1 - W]
        avg = run_sum / min(step, W)
        if res.beat_step is None and step >= W and avg < beat_level:
            res.beat_step, res.beat_seconds = step, res.times[-1]
        if on_step is not None and on_step(Progress(step, cfg.steps, loss_v, average=avg)) is False:
            return "stopped", f"stopped by the user after {step} steps"
        if cfg.target_ratio is not None and step >= W and avg < cfg.target_ratio * base:
            return "target", f"the moving average reached {avg / base:.2f} × the baseline at step {step}"
        return None

    run_steps(model, params, opt, cfg.steps, batch, loss_of, clip=cfg.clip, deadline_s=cfg.deadline_s,
              after_update=after_update, record=res)
    if res.status == "stopped" and not res.message:             # every other ending comes with its message
        res.status = "done"
    res.final_loss, res.final_accuracy = evaluate(model, cfg)
    return res


def compare_cells(cfg: TaskConfig, cells: tuple[str, ...] = CELLS,
                  on_step: Callable[[str, Progress], "bool | None"] | None = None,
                  device: str | torch.device = "cpu", into: dict | None = None) -> dict[str, TaskResult]:
    """cfg's task trained once per cell with cfg's seed, so on the same batches (`for_each_cell`):
    {cell: TaskResult}. `on_step(cell, Progress)`; returning False stops that cell and the ones after it.
    With `into`, each cell's result grows there as it trains (see `run_task`)."""
    return for_each_cell(cells, lambda cell, cb: run_task(replace(cfg, cell=cell), cb, device, into), on_step)


def comparison_rows(results: dict[str, TaskResult]) -> list[dict]:
    """The table under a comparison: per cell the held-out loss, the step (and second) its moving average
    beat the baseline, the seconds it trained and its status."""
    return [{"cell": c, "final": f"{r.final_loss:.4f}", "seconds": f"{r.seconds:.1f}", "status": r.status,
             "beat": "—" if r.beat_step is None else f"{r.beat_step} ({r.beat_seconds:.1f} s)"}
            for c, r in results.items()]


@torch.no_grad()
def evaluate(model: RecurrentModel, cfg: TaskConfig) -> tuple[float, float | None]:
    """(loss on the held-out batch, copy: accuracy on the recall steps / adding: None)."""
    dev = next(model.parameters()).device
    x, y = eval_batch(cfg)
    x, y = x.to(dev), y.to(dev)
    out = model(x)
    loss = float(task_loss(cfg.task, out, y))
    if cfg.task == "copy":
        acc = float((out[:, -cfg.length:].argmax(-1) == y[:, -cfg.length:]).float().mean())
        return loss, acc
    return loss, None


def train_task(task: str = "adding", cell: str = "lstm", T: int = 50, hidden: int = 32, steps: int = 1500,
               batch: int = 32, lr: float = 1e-2, seed: int = 0, clip: float | None = 1.0,
               on_step: OnStep | None = None, deadline_s: float | None = 30.0, *,
               forget_bias: float | None = None, nonlinearity: str = "tanh", n_symbols: int = 8,
               length: int = 10, target_ratio: float | None = None, device: str | torch.device = "cpu",
               ) -> TaskResult:
    """Train a fresh model for `task` ("adding" | "copy") with `cell` at dependency length T.

    Every step draws a fresh batch from a seeded generator, computes the task loss (adding: MSE at the
    last step; copy: cross-entropy over every step), backpropagates through all T steps, clips the
    global gradient norm to `clip` (None/0: off), and takes an `rnnviz.training.optim.Adam` step. After each
    step `on_step(Progress)` is called (with the moving average of the loss); returning False stops
    training ("stopped", weights kept). Past `deadline_s` seconds: "deadline", weights kept. A NaN/inf
    loss or gradient restores the weights of the last finite step: "diverged" (as `rnnviz.train`).

    Beating the baseline: `beat_step` is the first step at which the mean training loss over the last
    `BEAT_WINDOW` (50) steps is below `BEAT_FRACTION` (0.8) × the memoryless baseline, i.e. at least
    20 % better than any model that does not remember across the gap; a window this long keeps batch
    noise from faking it (at the baseline, the 50-step mean of batch-32 adding MSEs has a standard
    deviation of about 0.005, against a margin of 0.033). `beat_seconds` is the wall time to that step.
    `final_loss` is measured on a held-out batch of `EVAL_SIZE` sequences after training.

    Deterministic for a seed (up to where a deadline or stop falls). Defaults: adding problem,
    LSTM, T = 50, hidden 32, batch 32, Adam 1e-2, clip 1, 1500 steps within 30 s.
    """
    cfg = TaskConfig(task=task, cell=cell, T=T, hidden=hidden, steps=steps, batch=batch, lr=lr, seed=seed,
                     clip=clip, deadline_s=deadline_s, forget_bias=forget_bias, nonlinearity=nonlinearity,
                     n_symbols=n_symbols, length=length, target_ratio=target_ratio)
    return run_task(cfg, on_step, device)


# ---- the page's comparison, ready for a lecture -------------------------------------------------------------
PAGE_LENGTHS = (10, 20, 50, 100, 200)          # the page's dependency lengths and step budgets
PAGE_STEPS = (200, 500, 1000, 1500, 3000)
PAGE_DEFAULT = ("adding", 50, 1500)            # (task, T, steps) the page opens with


def page_config(task: str, T: int, steps: int) -> TaskConfig:
    """The page's task settings: the task's hidden size, seed 0, 20 s per cell, stop at 5 % of the baseline."""
    return TaskConfig(task=task, T=T, steps=steps, deadline_s=20.0, seed=0, target_ratio=0.05, hidden=TASK_HIDDEN[task])


_RESULT_FIELDS = ("losses", "grad_norms", "times", "status", "message", "seconds", "beat_step", "beat_seconds",
                  "final_loss", "final_accuracy")


def _results_from_json(cfg: TaskConfig, value: dict) -> dict[str, TaskResult]:
    return {cell: TaskResult(config=replace(cfg, cell=cell), baseline=cfg.baseline,
                             **{k: (math.nan if v is None and k == "final_loss" else v) for k, v in rec.items()})
            for cell, rec in value.items()}


def results_json(results: dict[str, TaskResult]) -> dict:
    return {cell: {k: getattr(r, k) for k in _RESULT_FIELDS} for cell, r in results.items()}


def ready_comparison(cfg: TaskConfig) -> dict[str, TaskResult] | None:
    """`compare_cells(cfg)` if it is ready: shipped for the page's default (scripts/train_ready.py) or computed
    by a session of this server (a run that finished, not one stopped or cut by its deadline). None otherwise."""
    value = ready.get("longrange", cfg)
    return None if value is None else _results_from_json(cfg, value)


def keep_comparison(cfg: TaskConfig, results: dict[str, TaskResult]) -> None:
    if set(results) == set(CELLS) and all(r.status in ("done", "target", "diverged") for r in results.values()):
        ready.keep("longrange", cfg, results_json(results))


# ---- through the training service (`rnnviz.service.run.run_job`) ---------------------------------------------
def train_comparison(cfg: TaskConfig, into: dict | None = None, **job) -> dict[str, TaskResult]:
    """`compare_cells(cfg)` as job kind "vg_tasks" (on the training service when there is one, else in-process;
    `job`: `run_job`'s keywords). Progress carries the cell. The results (models rebuilt from their arrays) go
    into `into` when the job ends, also when it is stopped or the script is rerun. Returns them."""
    from ..service.jobs import load_arrays
    from ..service.run import run_job
    cfg.validate()
    out = {} if into is None else into

    def rebuild(res: dict) -> dict[str, TaskResult]:
        results = _results_from_json(cfg, res["results"])
        for cell, r in results.items():
            c = r.config
            r.model = load_arrays(task_model(c.task, cell, c.hidden, c.seed, c.forget_bias, c.nonlinearity,
                                             c.n_symbols), res["states"][cell])
        out.update(results)
        return out
    per_cell = cfg.deadline_s if cfg.deadline_s else MAX_DEADLINE_S
    return run_job("vg_tasks", {"cfg": dataclasses.asdict(cfg)}, rebuild,
                   deadline_s=min(600.0, len(CELLS) * (per_cell + 5) + 10), **job)
