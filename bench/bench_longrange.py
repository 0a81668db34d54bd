"""Long-range task benchmark (CPU, one torch thread).

    python bench/bench_longrange.py                 # adding problem T = 50, seeds 0..2, plus the default sweep
    python bench/bench_longrange.py --seeds 1 --no-sweep

1. Adding problem at T = 50 with `train_task`'s defaults (the page's default budget: hidden 32,
   batch 32, Adam 1e-2, clip 1, 1500 steps, 30 s deadline) for rnn / lstm / gru: steps and wall
   seconds until the 50-step moving average of the training MSE is below 0.8 × the 0.167 baseline,
   the held-out MSE at the end, ms per step, and the whole run's seconds.
2. `sweep`'s defaults on the adding problem (T = 10, 25, 50, 100; 600 steps per run, 60 s in all):
   held-out MSE / baseline per cell and length.

Prints markdown and writes it, with the date, torch version and CPU, to bench/results/longrange.md.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402
from benchlib import load1, write_report  # noqa: E402

from rnnviz.app.longrange import BEAT_FRACTION, BEAT_WINDOW, TaskConfig, train_task  # noqa: E402
from rnnviz.app.sweep import sweep  # noqa: E402
from rnnviz.data.synthetic import ADDING_BASELINE

CELLS = ("rnn", "lstm", "gru")


def fmt(v, spec=".2f", none="not beaten") -> str:
    return none if v is None else format(v, spec)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", type=int, default=3, help="seeds 0..N-1 per cell (default 3)")
    ap.add_argument("--T", type=int, default=50)
    ap.add_argument("--no-sweep", action="store_true")
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "longrange.md"))
    args = ap.parse_args()
    torch.set_num_threads(1)
    d = TaskConfig()
    load0, t_all = load1(), time.perf_counter()
    train_task(cell="lstm", T=10, hidden=8, steps=5, deadline_s=None)    # warm-up (first-call overheads)

    lines = [f"## Adding problem, T = {args.T}, `train_task` defaults",
             "",
             f"hidden {d.hidden}, batch {d.batch}, Adam {d.lr:g}, clip {d.clip:g}, {d.steps} steps, "
             f"{d.deadline_s:g} s deadline; fresh seeded batches every step. Beaten = the mean training MSE of the "
             f"last {BEAT_WINDOW} steps < {BEAT_FRACTION:g} × {ADDING_BASELINE:.3f} = {BEAT_FRACTION * ADDING_BASELINE:.3f}. "
             f"Final MSE on {d.eval_size} held-out sequences.",
             "",
             "| cell | seed | steps to beat | seconds to beat | final MSE | final / baseline | status | steps run | run seconds | ms/step | run CPU seconds |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    summary = []
    for cell in CELLS:
        beats, secs, finals = [], [], []
        for seed in range(args.seeds):
            c0 = time.process_time()
            r = train_task("adding", cell, T=args.T, seed=seed)
            cpu = time.process_time() - c0
            ms = 1000 * r.seconds / max(r.steps, 1)
            row = (f"| {cell} | {seed} | {fmt(r.beat_step, 'd')} | {fmt(r.beat_seconds)} | {r.final_loss:.4f} | "
                   f"{r.ratio:.3f} | {r.status} | {r.steps} | {r.seconds:.1f} | {ms:.1f} | {cpu:.1f} |")
            print(row, flush=True)
            lines.append(row)
            if r.beaten:
                beats.append(r.beat_step)
                secs.append(r.beat_seconds)
            finals.append(r.final_loss)
        summary.append(f"| {cell} | {len(beats)}/{args.seeds} | "
                       f"{fmt(statistics.median(beats) if beats else None, '.0f')} | "
                       f"{fmt(statistics.median(secs) if secs else None)} | "
                       f"{fmt(max(secs) if secs else None)} | {statistics.median(finals):.4f} |")
    lines += ["", "Summary (medians over the seeds that beat the baseline):", "",
              "| cell | seeds beaten | median steps to beat | median seconds to beat | max seconds to beat | median final MSE |",
              "|---|---|---|---|---|---|", *summary]
    print("\n".join(lines[-(len(summary) + 2):]), flush=True)

    if not args.no_sweep:
        t0 = time.perf_counter()
        s = sweep("adding", on_run=lambda r: print(f"  sweep {r.cell} T={r.T}: ratio {r.ratio:.3f} "
                                                   f"({r.status}, {r.steps} steps, {r.seconds:.1f} s)", flush=True))
        lines += ["", "## Sweep: adding problem, `sweep` defaults",
                  "",
                  "Held-out MSE / baseline (about 1: learnt nothing long-range; near 0: solved) after at most 600 steps "
                  "per run (a run stops once its moving average is below 0.05 × baseline), 60 s for the whole sweep, "
                  f"seed 0. Sweep took {time.perf_counter() - t0:.1f} s, status {s.status}.",
                  "", s.markdown(), "",
                  "Longest length learnt (ratio < 0.8): " + ", ".join(
                      f"{c} {s.longest_learnt(c) if s.longest_learnt(c) is not None else 'none'}" for c in s.cells)]
        print("\n".join(lines[-6:]), flush=True)

    total = time.perf_counter() - t_all
    write_report(args.out, "rnnviz long-range tasks benchmark", "bench_longrange.py", None, load0, "\n".join(lines), [
        f"total benchmark time {total:.0f} s; times are wall clock unless marked CPU (this process's CPU time, which other processes do not inflate)"])


if __name__ == "__main__":
    main()
