"""The GPU check: the same trainings on CUDA and on the CPU agree, and how fast each is.

    python bench/bench_gpu.py                 # Hello (rnn, lstm, gru) and a lab-sized training
    python bench/bench_gpu.py --steps 100

Each workload trains twice from the same seed, once on "cpu" and once on "cuda" (TF32 off, so both are
float32 arithmetic): the max abs difference of the per-step losses and of the final weights, and the
steps per second of both (after one warm-up run per device, so CUDA's start-up is not counted; the fastest
of 3 runs, each from the same seed).
Workloads: the Hello playground's training (`rnnviz.app.playground.train_model`, the function the training
service's workers run; a 172-character text, 64 hidden units) per cell, and the Sequence Tasks lab's memory
task (`rnnviz.app.lab`, LSTM, mini-batches of 64).

Where no CUDA device is available the results say so, with the CPU's numbers alone. Prints markdown and
writes it to bench/results/gpu.md.
"""
from __future__ import annotations

import argparse
import socket
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402
from benchlib import load1, markdown_table, write_report  # noqa: E402

from rnnviz.app.playground import PlaygroundConfig, train_model  # noqa: E402

TEXT = "the quick brown fox jumps over the lazy dog. " * 4
LOSS_TOL = 1e-3            # max abs difference of any step's loss (CUDA vs CPU) that counts as agreeing
WEIGHT_TOL = 1e-3


def hello(cell: str, steps: int, device: str):
    cfg = PlaygroundConfig(text=TEXT[:172], cell=cell, hidden=64, lr=0.01, steps=steps, seed=0)
    t0 = time.perf_counter()
    _, _, _, model, result = train_model(cfg, device, None, 600.0)
    if device == "cuda":
        torch.cuda.synchronize()
    return result.losses, {k: v.detach().cpu() for k, v in model.state_dict().items()}, time.perf_counter() - t0


def lab(steps: int, device: str):
    from rnnviz.app.lab import build_task, train_cells
    task = build_task("memory", steps=steps, seed=0)
    t0 = time.perf_counter()
    run = train_cells(task, cells=("lstm",), device=device)["lstm"]
    if device == "cuda":
        torch.cuda.synchronize()
    return run.result.losses, {k: v.detach().cpu() for k, v in run.model.state_dict().items()}, time.perf_counter() - t0


REPEATS = 3               # each timed run is repeated; the fastest counts (the machine may be shared)


def best(fn, steps: int, device: str):
    runs = [fn(steps, device) for _ in range(REPEATS)]
    return runs[0][0], runs[0][1], min(r[2] for r in runs)


def compare(fn, steps: int, cuda: bool) -> dict:
    fn(10, "cpu")                                           # warm-up (imports, allocator)
    cpu_losses, cpu_w, cpu_s = best(fn, steps, "cpu")
    row = {"steps": len(cpu_losses), "cpu_sps": len(cpu_losses) / cpu_s}
    if cuda:
        fn(10, "cuda")
        gpu_losses, gpu_w, gpu_s = best(fn, steps, "cuda")
        n = min(len(cpu_losses), len(gpu_losses))
        row.update(cuda_sps=len(gpu_losses) / gpu_s,
                   loss_diff=max(abs(a - b) for a, b in zip(cpu_losses[:n], gpu_losses[:n])),
                   weight_diff=max(float((cpu_w[k] - gpu_w[k]).abs().max()) for k in cpu_w),
                   same_steps=len(cpu_losses) == len(gpu_losses))
    return row


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--steps", type=int, default=150, help="training steps per run (10..2000)")
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "gpu.md"))
    args = ap.parse_args(argv)
    if not 10 <= args.steps <= 2000:
        ap.error("--steps must be between 10 and 2000")
    load_start = load1()
    torch.set_num_threads(1)                                # as in the training service's workers
    cuda = torch.cuda.is_available()
    if cuda:
        torch.backends.cuda.matmul.allow_tf32 = False       # float32 on both sides: differences are rounding only
        torch.backends.cudnn.allow_tf32 = False
    work = [(f"Hello, {c}, 64 units", lambda s, d, c=c: hello(c, s, d)) for c in ("rnn", "lstm", "gru")]
    work.append(("lab memory task, lstm, batch 64", lab))
    rows, table = [], []
    for name, fn in work:
        try:
            r = compare(fn, args.steps, cuda)
        except Exception as e:  # noqa: BLE001 - a workload that cannot run is reported, the others still run
            table.append(f"| {name} | – | – | – | – | – | failed: {type(e).__name__}: {e} |")
            continue
        if cuda:
            ok = r["loss_diff"] <= LOSS_TOL and r["weight_diff"] <= WEIGHT_TOL and r["same_steps"]
            table.append(f"| {name} | {r['steps']} | {r['cpu_sps']:.0f} | {r['cuda_sps']:.0f} | "
                         f"{r['loss_diff']:.2e} | {r['weight_diff']:.2e} | {'agree' if ok else 'DIFFER'} |")
            rows.append({"name": f"CUDA vs CPU: {name}", "target": f"losses and weights within {LOSS_TOL:g}",
                         "measured": f"{r['loss_diff']:.2e} / {r['weight_diff']:.2e}",
                         "status": "pass" if ok else "fail", "note": f"CUDA {r['cuda_sps']:.0f} steps/s, "
                                                                      f"CPU {r['cpu_sps']:.0f} steps/s"})
        else:
            table.append(f"| {name} | {r['steps']} | {r['cpu_sps']:.0f} | – | – | – | no CUDA device |")
    date = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    head = ["| workload | steps | CPU steps/s | CUDA steps/s | max abs loss diff | max abs weight diff | result |",
            "|---|---|---|---|---|---|---|"]
    if cuda:
        intro = (f"CUDA device: {torch.cuda.get_device_name(0)} (torch CUDA {torch.version.cuda}); TF32 off. "
                 f"Agreement: every step's loss and every final weight within {LOSS_TOL:g}.")
    else:
        intro = (f"**No CUDA device available on {socket.gethostname()} ({date})**: the CUDA/CPU agreement was "
                 "not checked here; CPU throughput only. Run this script on a machine with a GPU to check it "
                 "(tests/test_gpu.py checks the same agreement wherever CUDA is available).")
    body = "## CUDA and CPU: the same trainings\n\n" + intro + "\n\n" + "\n".join(head + table) + "\n"
    if rows:
        body += "\n" + markdown_table(rows) + "\n"
    print(body)
    write_report(args.out, "GPU check: CUDA and CPU trainings", "bench_gpu.py", argv, load_start, body,
                 notes=["torch threads 1 (as in the training service's workers)",
                        f"CUDA available: {cuda}" + (f" ({torch.cuda.get_device_name(0)})" if cuda else "")])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
