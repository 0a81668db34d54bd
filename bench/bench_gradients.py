"""Benchmarks of rnnviz.tracing.gradients and rnnviz.app.vanishing (CPU, one torch thread).

    python bench/bench_gradients.py                  # writes bench/results/gradients.md
    python bench/bench_gradients.py --judge cpu      # pass/fail by this thread's CPU time (busy machine)

1. The gradient-across-time figure: ||dL/dh_t|| for RNN, LSTM and GRU side by side, T = 200, H = 128,
   vocab 8 one-hot, loss on the last step -- `make_model` + `grad_across_time` for the three cells
   (what the page recomputes when a knob moves). Target: <= 150 ms for all three together.
2. Exact Jacobian norms ||dh_T/dh_t||_F, H = 128, T = 100 (B = 128 identity seeds in one BPTT pass),
   per cell. Target: <= 200 ms each. Also (report) the 64-probe estimate at H = 256.
3. (report) Truncated BPTT and loss on every step cost the same as full BPTT, last step; and the
   training heatmap's training speed (steps/s, memory task, full batch of 32).

Every measurement: median of N repeats after warm-up; wall (perf_counter) and this thread's CPU time
(thread_time). Prints a markdown table and writes it, with the date, torch version and CPU, to
bench/results/gradients.md.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402
from benchlib import cpu_info, load1, markdown_table, measure, write_report  # noqa: E402

from rnnviz.app.vanishing import GradConfig  # noqa: E402
from rnnviz.app.vanishing import grad_heatmap_during_training, make_model, task_for  # noqa: E402
from rnnviz.data.synthetic import memory_task  # noqa: E402
from rnnviz.app.vanishing import source_views  # noqa: E402
from rnnviz.tracing.gradients import grad_across_time, gradient_sources, input_attribution, jacobian_norms  # noqa: E402

CELLS = ("rnn", "lstm", "gru")
ROWS: list[dict] = []
JUDGE = "wall"


def ms(s: float) -> str:
    return f"{s * 1e3:.1f} ms"




def row(name: str, target: str, wall: float, cpu: float, limit: float | None, note: str = "") -> None:
    judged = cpu if JUDGE == "cpu" else wall
    ok = None if limit is None else judged <= limit
    status = "—" if ok is None else ("pass" if ok else "**FAIL**")
    other = f"wall median {ms(wall)}" if JUDGE == "cpu" else f"CPU median {ms(cpu)}"
    ROWS.append({"name": name, "target": target, "measured": ms(judged), "status": status,
                 "note": f"{other}; {note}".rstrip("; ")})
    print(f"  {name}: {ms(judged)} [{status}] {other}; {note}", flush=True)


def bench_figure(args) -> None:
    T, H = 200, 128
    print(f"\n[1] gradient-across-time figure, three cells, T = {T}, H = {H}")
    cfgs = [GradConfig(cell=c, hidden=H, T=T, seed=0, loss_on="last") for c in CELLS]
    x, y = task_for(cfgs[0])

    def figure():
        return [grad_across_time(make_model(c), x, y, c.loss_on, c.window) for c in cfgs]

    wall, cpu, wmin = measure(figure, args.repeats)
    row(f"grad across time, rnn+lstm+gru, T{T} H{H} (make_model + grad_across_time)", "≤ 150 ms total",
        wall, cpu, 0.150, f"min wall {ms(wmin)}; {args.repeats} repeats")
    models = [make_model(c) for c in cfgs]
    for cfg, m in zip(cfgs, models):
        w, c, wm = measure(lambda m=m: grad_across_time(m, x, y, "last"), args.repeats)
        row(f"  grad_across_time {cfg.cell} T{T} H{H}", "(report)", w, c, None, f"min wall {ms(wm)}")
    w, c, wm = measure(lambda: [make_model(cf) for cf in cfgs], args.repeats)
    row("  make_model × 3 (H128)", "(report)", w, c, None, f"min wall {ms(wm)}")
    for label, kw in (("loss on every step", {"loss_on": "all"}), ("truncated, window 20", {"loss_on": "last", "window": 20})):
        w, c, wm = measure(lambda kw=kw: [grad_across_time(m, x, y, **kw) for m in models], args.repeats)
        row(f"  grad_across_time ×3, {label}", "(report)", w, c, None, f"min wall {ms(wm)}")


def bench_jacobian(args) -> None:
    T, H = 100, 128
    print(f"\n[2] Jacobian norms, T = {T}, H = {H}")
    x, _ = memory_task(T, 8, 0)
    for cell in CELLS:
        m = make_model(GradConfig(cell=cell, hidden=H, T=T, seed=0))
        res = jacobian_norms(m, x)
        assert res["exact"]
        w, c, wm = measure(lambda m=m: jacobian_norms(m, x), args.repeats)
        row(f"exact jacobian_norms {cell} T{T} H{H}", "≤ 200 ms", w, c, 0.200,
            f"min wall {ms(wm)}; B = {H} identity seeds, one BPTT pass")
    for cell in CELLS:
        m = make_model(GradConfig(cell=cell, hidden=256, T=T, seed=0))
        w, c, wm = measure(lambda m=m: jacobian_norms(m, x, probes=64), args.repeats)
        row(f"  64-probe jacobian_norms {cell} T{T} H256", "(report)", w, c, None, f"min wall {ms(wm)}")


def bench_training(args) -> None:
    print("\n[3] training heatmap: steps/s (memory task, 32 sequences, full batch, Adam, clip 1, record every 10)")
    for T, H in ((100, 64),):
        for cell in CELLS:
            cfg = GradConfig(cell=cell, hidden=H, T=T, seed=0, forget_bias=1.0 if cell == "lstm" else None)
            grad_heatmap_during_training(cfg, steps=5, every=5)            # warm-up
            w0, c0 = time.perf_counter(), time.thread_time()
            res = grad_heatmap_during_training(cfg, steps=args.train_steps, every=10)
            wall, cpu = time.perf_counter() - w0, time.thread_time() - c0
            n = len(res["losses"])
            row(f"  grad_heatmap_during_training {cell} T{T} H{H}, per step", "(report)", wall / n, cpu / n, None,
                f"{n} steps in {wall:.2f} s wall ({n / wall:.0f} steps/s), {len(res['train_steps'])} recordings; "
                f"loss {res['losses'][0]:.3f} → {res['losses'][-1]:.3f} (memoryless ≈ {(T - 1) / T * 2.0794:.3f})")


def bench_sources(args) -> None:
    T, H = 100, 128
    print(f"\n[4] where the gradient comes from: every dL_tau/dh_s, T = {T}, H = {H}")
    cfgs = [GradConfig(cell=c, hidden=H, T=T, seed=0) for c in CELLS]
    x, y = task_for(cfgs[0])
    models = [make_model(c) for c in cfgs]
    w, c, wm = measure(lambda: [gradient_sources(m, x, y) for m in models], args.repeats)
    row(f"gradient_sources rnn+lstm+gru T{T} H{H} (the triangle, float32)", "≤ 500 ms", w, c, 0.500,
        f"min wall {ms(wm)}; T seeds in blocks, one BPTT pass per block, each over steps 1..block end")
    dbl = [m.double() for m in (make_model(c) for c in cfgs)]
    w, c, wm = measure(lambda: [gradient_sources(m, x, y) for m in dbl], args.repeats)
    row(f"  gradient_sources ×3 float64 T{T} H{H} (as the page computes it)", "(report)", w, c, None, f"min wall {ms(wm)}")
    w, c, wm = measure(lambda: [input_attribution(m, x[:60], y[:60]) for m in dbl], args.repeats)
    row("  input_attribution ×3 float64, 60 steps (the page's)", "(report)", w, c, None,
        f"min wall {ms(wm)}; one autograd backward of 60 copies")
    w, c, wm = measure(lambda: source_views(GradConfig()), max(3, args.repeats // 3), warmup=1)
    row("  source_views at the page's defaults (T100 H64, three cells, float64: the tab's first view)", "(report)",
        w, c, None, f"min wall {ms(wm)}")
    big = GradConfig(T=400, hidden=256)
    w, c, wm = measure(lambda: source_views(big), 1, warmup=0)
    row("  source_views at the page's largest setting (T400 H256)", "(report)", w, c, None,
        "one run; cached per setting by the page")


def main(argv=None) -> int:
    global JUDGE
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--judge", choices=("wall", "cpu"), default="wall")
    ap.add_argument("--repeats", type=int, default=15)
    ap.add_argument("--train-steps", type=int, default=100)
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "gradients.md"))
    args = ap.parse_args(argv)
    JUDGE = args.judge
    torch.set_num_threads(1)
    print(f"rnnviz gradient benchmarks; torch {torch.__version__}; {cpu_info()}")
    load0, t0 = load1(), time.perf_counter()
    bench_figure(args)
    bench_jacobian(args)
    bench_training(args)
    bench_sources(args)
    tab = markdown_table(ROWS)
    print("\n" + tab)
    write_report(args.out, "rnnviz gradient benchmarks", "bench_gradients.py", argv, load0, tab, [
        f"CPU details: {cpu_info()}",
        f"total benchmark time {time.perf_counter() - t0:.0f} s; median of {args.repeats} repeats after warm-up, one torch thread",
        f"pass/fail judged by median {'CPU time (--judge cpu)' if JUDGE == 'cpu' else 'wall-clock time'}"])
    return 1 if any(r["status"] == "**FAIL**" for r in ROWS) else 0


if __name__ == "__main__":
    sys.exit(main())
