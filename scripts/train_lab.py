"""Train the Sequence Tasks lab's tasks at the page's default settings and write assets/lab/<task>.safetensors.

    python scripts/train_lab.py                # every task with built-in data (about 3 minutes)
    python scripts/train_lab.py memory charlm  # some of them

The page opens each task with these models ready (`rnnviz.app.lab_runs`), so a lecture's scene shows its
result at once; pressing Train still trains live. Everything is seeded (data, initial weights, batch order)
and runs on one CPU thread, so a rerun on the same torch version writes the same weights. Each file
stores a fingerprint of the data, recipe and initial weights; `tests/test_lab_runs.py` fails when the code
no longer matches it, which is the signal to run this script again.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from rnnviz.app.lab import CELLS_OF, train_cells  # noqa: E402
from rnnviz.app.lab_runs import BUILTIN, READY_DIR, LabSetting, build, save_ready  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("tasks", nargs="*", choices=[[], *BUILTIN], help="tasks to train (default: all)")
    args = ap.parse_args()
    torch.set_num_threads(1)
    READY_DIR.mkdir(parents=True, exist_ok=True)
    for name in args.tasks or list(BUILTIN):
        setting = LabSetting.default(name)
        t0 = time.perf_counter()
        task = build(setting)
        runs = train_cells(task, CELLS_OF[name])
        data = save_ready(setting, task, runs)
        summary = ", ".join(f"{c} {r.result.status} val loss {r.result.val_loss:.4f}"
                            + ("" if r.result.val_accuracy is None else f" acc {r.result.val_accuracy:.1%}")
                            for c, r in runs.items())
        print(f"{name}: {summary}; {len(data) / 1e6:.2f} MB in {time.perf_counter() - t0:.0f} s", flush=True)


if __name__ == "__main__":
    main()
