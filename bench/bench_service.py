"""The training service under a class's load: 30 sessions each train a different Hello model at once.

    python bench/bench_service.py                  # 30 sessions (seeds 0..29), 300 steps, 2 workers
    python bench/bench_service.py --sessions 10 --workers 1
    python bench/bench_service.py --backend ray    # the service on Ray (a local instance started here)

Each session trains "hello" (LSTM, 16 units, the page's defaults but 300 steps; seed = the session's
number) and gets the traced run the page shows. Two ways, from one start signal:
1. in-process: one thread per session calls `run_playground` (the server before the service: all
   trainings share the server's GIL);
2. the service: one thread per session calls `service_run` (the page's path: a job on the pool of
   worker processes, then the model rebuilt and traced in the server), after the workers are warm.
Completion times are seconds from the start signal to the session's run in hand. Every service run
is checked against the in-process run of the same seed (losses and weights bit for bit).

Prints markdown and writes it, with the date, torch version and CPU, to bench/results/service.md
(--backend ray: the same through `rnnviz.service.ray_backend` on a Ray instance started by the script,
written to bench/results/service-ray.md).
"""
from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402
from benchlib import load1, markdown_table, pct, write_report  # noqa: E402

from rnnviz.app.playground import PlaygroundConfig, run_playground, service_run  # noqa: E402
from rnnviz.service import TrainingService  # noqa: E402


def at_once(n: int, work) -> tuple[list[float], dict]:
    """Run work(i) in n threads released together; (completion seconds sorted, {i: result})."""
    start = threading.Event()
    done, out = [0.0] * n, {}

    def one(i):
        start.wait()
        out[i] = work(i)
        done[i] = time.perf_counter() - t0

    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for th in threads:
        th.start()
    time.sleep(0.2)
    t0 = time.perf_counter()
    start.set()
    for th in threads:
        th.join()
    return sorted(done), out


def same(a, b) -> bool:
    sa, sb = a.model.state_dict(), b.model.state_dict()
    return a.result.losses == b.result.losses and all(torch.equal(sa[k], sb[k]) for k in sa)


def row(name: str, times: list[float], note: str) -> str:
    return (f"| {name} | {times[0]:.2f} | {pct(times, 0.5):.2f} | {pct(times, 0.95):.2f} | {times[-1]:.2f} | {note} |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sessions", type=int, default=30)
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--backend", choices=("local", "ray"), default="local")
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    args.out = args.out or str(ROOT / "bench" / "results" / ("service-ray.md" if args.backend == "ray" else "service.md"))
    torch.set_num_threads(1)                                  # as the app does (ui.py) and the workers do
    load0 = load1()
    cfgs = [PlaygroundConfig(steps=args.steps, seed=i) for i in range(args.sessions)]
    run_playground(PlaygroundConfig(steps=10))                 # warm-up (first-call overheads)
    alone = time.perf_counter()
    run_playground(cfgs[0])
    alone = time.perf_counter() - alone

    threads_t, ref = at_once(args.sessions, lambda i: run_playground(cfgs[i]))

    t0 = time.perf_counter()
    if args.backend == "ray":
        from rnnviz.service.ray_backend import RayTrainingService
        svc = RayTrainingService(address="local", workers=args.workers, max_queue=max(100, args.sessions))
    else:
        svc = TrainingService(workers=args.workers, max_queue=max(100, args.sessions))
    assert svc.warm(120), "the workers did not start"
    warm = time.perf_counter() - t0
    service_run(PlaygroundConfig(steps=10), "warm-up", svc)
    try:
        service_t, got = at_once(args.sessions, lambda i: service_run(cfgs[i], f"session-{i}", svc))
    finally:
        svc.shutdown()
    correct = sum(same(got[i], ref[i]) for i in range(args.sessions))

    lines = [f"## {args.sessions} sessions, each a different Hello model at once (seeds 0–{args.sessions - 1}, "
             f"{args.steps} steps)", "",
             f"One such training alone, in-process: {alone:.2f} s. Service: {args.workers} worker processes "
             + ("as Ray actors on a local Ray instance started by the script " if args.backend == "ray" else "")
             + f"(warm in {warm:.2f} s{', Ray included' if args.backend == 'ray' else ''}, before the start). Seconds from the start signal until a session has its run.", "",
             "| path | first | median | p95 | max | notes |", "|---|---|---|---|---|---|",
             row("in-process threads (before)", threads_t, "one GIL for every training"),
             row(f"training service{' on Ray' if args.backend == 'ray' else ''}, {args.workers} workers", service_t,
                 f"{correct}/{args.sessions} runs bit-identical to in-process"), "",
             markdown_table([
                 {"name": "first session done (service)", "target": "≤ 2 s", "measured": f"{service_t[0]:.2f} s",
                  "status": "pass" if service_t[0] <= 2 else "FAIL", "note": "issue #14"},
                 {"name": "median (service vs in-process)", "target": "≤ ½ of in-process",
                  "measured": f"{pct(service_t, 0.5):.2f} s vs {pct(threads_t, 0.5):.2f} s",
                  "status": "pass" if pct(service_t, 0.5) <= 0.5 * pct(threads_t, 0.5) else "FAIL",
                  "note": "issue #14 (measured here in one process, not through Streamlit's websocket)"},
                 {"name": "all sessions finish correctly", "target": f"{args.sessions}/{args.sessions}",
                  "measured": f"{correct}/{args.sessions}", "status": "pass" if correct == args.sessions else "FAIL",
                  "note": "losses and weights equal the in-process run of the same seed"}])]
    body = "\n".join(lines)
    print(body)
    write_report(args.out, "Training service: a class training at once", "bench_service.py", None, load0, body,
                 notes=[f"torch threads {torch.get_num_threads()} in the parent and in each worker"])


if __name__ == "__main__":
    main()
