"""The length sweep of the long-range tasks: every cell trained at several dependency lengths within one
time budget, final loss / baseline tabulated. Where a cell's ratio climbs back to about 1 is where it
stops learning the long-range dependency (`rnnviz.app.longrange` has the tasks and one run)."""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field, fields
from typing import Callable

import torch

from ..checks import is_num as _is_num
from ..nn.model import CELLS
from ..training.loop import MAX_DEADLINE_S, Progress
from .longrange import BEAT_FRACTION, MAX_SWEEP_RUNS, TaskConfig, run_task


@dataclass
class SweepRow:
    cell: str
    T: int
    status: str              # a TaskResult status, or "skipped" when the budget ran out first
    steps: int = 0
    seconds: float = 0.0
    baseline: float = math.nan
    final_loss: float = math.nan
    ratio: float = math.nan  # final_loss / baseline
    beat_step: int | None = None
    final_accuracy: float | None = None

    @property
    def learnt(self) -> bool:
        """Learnt something long-range: the held-out loss is below BEAT_FRACTION × the baseline."""
        return math.isfinite(self.ratio) and self.ratio < BEAT_FRACTION


@dataclass
class SweepResult:
    task: str
    cells: tuple[str, ...]
    lengths: tuple[int, ...]
    rows: list[SweepRow] = field(default_factory=list)
    seconds: float = 0.0
    status: str = "done"     # done | stopped | deadline

    def row(self, cell: str, T: int) -> SweepRow | None:
        return next((r for r in self.rows if r.cell == cell and r.T == T), None)

    def ratios(self) -> dict[str, list[float]]:
        """cell -> final_loss / baseline for each length (nan where not run)."""
        return {c: [(r.ratio if (r := self.row(c, T)) else math.nan) for T in self.lengths] for c in self.cells}

    def longest_learnt(self, cell: str) -> int | None:
        """The longest dependency length at which `cell` learnt (ratio < BEAT_FRACTION), or None."""
        ok = [r.T for r in self.rows if r.cell == cell and r.learnt]
        return max(ok) if ok else None

    def markdown(self) -> str:
        head = "| cell | " + " | ".join(f"T = {T}" for T in self.lengths) + " |"
        lines = [head, "|---" * (len(self.lengths) + 1) + "|"]
        for c in self.cells:
            cells = []
            for T in self.lengths:
                r = self.row(c, T)
                cells.append("—" if r is None or r.status == "skipped" else f"{r.ratio:.2f}")
            lines.append(f"| {c} | " + " | ".join(cells) + " |")
        return "\n".join(lines)


OnRun = Callable[[SweepRow], "bool | None"]   # called after each run; False stops the sweep


def sweep(task: str = "adding", cells: tuple[str, ...] = CELLS, lengths: tuple[int, ...] = (10, 25, 50, 100),
          steps: int = 600, deadline_s: float = 60.0, hidden: int = 32, batch: int = 32, lr: float = 1e-2,
          seed: int = 0, clip: float | None = 1.0, *, forget_bias: float | None = None,
          nonlinearity: str = "tanh", n_symbols: int = 8, length: int = 10, target_ratio: float | None = 0.05,
          on_run: OnRun | None = None, on_step: Callable[[str, int, Progress], "bool | None"] | None = None,
          device: str | torch.device = "cpu") -> SweepResult:
    """Train every cell at every dependency length (same seed, so the same data) and tabulate
    final loss / baseline: where a cell's ratio climbs back to about 1 is where it stops learning.

    Bounded: at most MAX_SWEEP_RUNS runs, each at most `steps` steps, all within `deadline_s` seconds
    in total (each run gets the time left divided by the runs left; runs the budget cannot reach are
    "skipped"). A run stops early once its moving average is below target_ratio × baseline (solved).
    Runs go length by length, cells in order. on_run(row) after each run and on_step(cell, T,
    Progress) after each step may return False to stop the whole sweep (status "stopped").
    """
    cells, lengths = tuple(cells), tuple(lengths)
    if not cells or any(c not in CELLS for c in cells) or len(set(cells)) != len(cells):
        raise ValueError(f"cells must be distinct names from {', '.join(CELLS)}, not {cells!r}")
    if not lengths or len(set(lengths)) != len(lengths):
        raise ValueError(f"lengths must be distinct dependency lengths, not {lengths!r}")
    if len(cells) * len(lengths) > MAX_SWEEP_RUNS:
        raise ValueError(f"a sweep is at most {MAX_SWEEP_RUNS} runs (cells × lengths), not {len(cells) * len(lengths)}")
    if not _is_num(deadline_s) or not 0 < deadline_s <= MAX_DEADLINE_S:
        raise ValueError(f"deadline must be in (0, {MAX_DEADLINE_S:g}] seconds, not {deadline_s!r}")
    configs = [TaskConfig(task=task, cell=c, T=T, hidden=hidden, steps=steps, batch=batch, lr=lr, seed=seed,
                          clip=clip, deadline_s=deadline_s, forget_bias=forget_bias, nonlinearity=nonlinearity,
                          n_symbols=n_symbols, length=length, target_ratio=target_ratio).validate()
               for T in lengths for c in cells]       # validate everything before training anything
    out = SweepResult(task=task, cells=cells, lengths=lengths)
    t0 = time.perf_counter()
    stop = False
    for i, cfg in enumerate(configs):
        left = deadline_s - (time.perf_counter() - t0)
        if stop or left < 0.05:
            out.rows.append(SweepRow(cfg.cell, cfg.T, "skipped", baseline=cfg.baseline))
            continue
        share = min(MAX_DEADLINE_S, left / (len(configs) - i))

        def step_cb(p, _c=cfg):
            if on_step is not None and on_step(_c.cell, _c.T, p) is False:
                return False
            return None

        cfg = TaskConfig(**{f.name: getattr(cfg, f.name) for f in fields(TaskConfig)} | {"deadline_s": share})
        res = run_task(cfg, step_cb, device)
        row = SweepRow(cfg.cell, cfg.T, res.status, res.steps, res.seconds, res.baseline, res.final_loss,
                       res.ratio, res.beat_step, res.final_accuracy)
        out.rows.append(row)
        if res.status == "stopped" or (on_run is not None and on_run(row) is False):
            stop, out.status = True, "stopped"
    out.seconds = time.perf_counter() - t0
    if out.status != "stopped" and any(r.status in ("skipped", "deadline") for r in out.rows):
        out.status = "deadline"
    return out


def train_sweep(task: str, cells: tuple[str, ...], lengths: tuple[int, ...], steps: int, deadline_s: float,
                hidden: int, into: list | None = None, **job) -> SweepResult:
    """`sweep(...)` as job kind "vg_sweep" (on the training service when there is one, else in-process; `job`:
    `run_job`'s keywords). Progress after each run (its cell and T). The rows of the runs done go into `into`
    when the job ends, also when it is stopped or the script is rerun. Returns the SweepResult."""
    from ..service.run import run_job
    if not _is_num(deadline_s) or not 0 < deadline_s <= MAX_DEADLINE_S:
        raise ValueError(f"deadline must be in (0, {MAX_DEADLINE_S:g}] seconds, not {deadline_s!r}")
    rows = [] if into is None else into
    kw = {"task": task, "cells": list(cells), "lengths": list(lengths), "steps": int(steps),
          "deadline_s": float(deadline_s), "hidden": int(hidden)}

    def rebuild(res: dict) -> SweepResult:
        rows.extend(SweepRow(**r) for r in res["rows"] if r["status"] != "skipped")
        return SweepResult(task, tuple(cells), tuple(lengths), rows=[SweepRow(**r) for r in res["rows"]],
                           seconds=res["seconds"], status=res["status"])
    return run_job("vg_sweep", kw, rebuild, deadline_s=min(MAX_DEADLINE_S, float(deadline_s) + 30), **job)
