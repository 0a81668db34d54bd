"""Compute the Vanishing Gradients page's training views at its default settings: assets/ready/*.json (and the
trained models' snapshots, assets/ready/vanishing_snapshots.safetensors).

    python scripts/train_ready.py        # about 25 seconds

The page shows these at once for its defaults (`rnnviz.app.ready`): the gradient heatmaps recorded while
RNN, LSTM and GRU train, and the long-range task comparison. Everything is seeded and runs on one CPU
thread. `tests/test_ready.py` recomputes them and fails when the code no longer gives what was shipped,
which is the signal to run this script again. The lab's models are made by `scripts/train_lab.py`.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from rnnviz.app import ready  # noqa: E402
from rnnviz.app.longrange import PAGE_DEFAULT, compare_cells, page_config, results_json  # noqa: E402
from rnnviz.app.vanishing import DEFAULT_TRAIN_STEPS, GradConfig, save_snapshots, training_heatmaps  # noqa: E402


def main() -> None:
    torch.set_num_threads(1)
    t0 = time.perf_counter()
    cfg = GradConfig()
    heat = training_heatmaps(cfg, DEFAULT_TRAIN_STEPS)
    if any(rec["status"] != "done" for rec in heat.values()):
        raise SystemExit(f"the heatmaps did not finish: {[(c, r['status']) for c, r in heat.items()]}")
    ready.save_shipped("vanishing_training", (cfg, DEFAULT_TRAIN_STEPS),
                       {c: {k: v for k, v in r.items() if k != "snapshots"} for c, r in heat.items()})
    save_snapshots(cfg, DEFAULT_TRAIN_STEPS, heat)             # the trained models, for the sources view
    rows = ", ".join(f"{c} {len(r['rows'])} rows" for c, r in heat.items())
    print(f"vanishing_training: {rows}; {time.perf_counter() - t0:.1f} s", flush=True)
    t0 = time.perf_counter()
    tcfg = page_config(*PAGE_DEFAULT)
    results = compare_cells(tcfg)
    if any(r.status not in ("done", "target") for r in results.values()):
        raise SystemExit(f"the long-range runs did not finish: {[(c, r.status) for c, r in results.items()]}")
    ready.save_shipped("longrange", tcfg, results_json(results))
    print(f"longrange: {', '.join(f'{c} {r.status} {r.final_loss:.4f}' for c, r in results.items())}; "
          f"{time.perf_counter() - t0:.1f} s", flush=True)


if __name__ == "__main__":
    main()
