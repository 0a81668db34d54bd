"""What every benchmark script here shares: percentiles, the machine's load and CPU, the results table.

The scripts run as `python bench/bench_*.py`, so this folder is on sys.path and `import benchlib` works."""
from __future__ import annotations

import math
import os
import platform
import statistics
import time
from pathlib import Path


def measure(fn, repeats: int, warmup: int = 3) -> tuple[float, float, float]:
    """-> (median wall, median CPU of this thread, min wall) seconds of fn() after `warmup` calls."""
    for _ in range(warmup):
        fn()
    walls, cpus = [], []
    for _ in range(repeats):
        w0, c0 = time.perf_counter(), time.thread_time()
        fn()
        walls.append(time.perf_counter() - w0)
        cpus.append(time.thread_time() - c0)
    return statistics.median(walls), statistics.median(cpus), min(walls)


def pct(values, q: float) -> float:
    """The q-quantile (0..1) of values, linearly interpolated; nan when there are none."""
    s = sorted(values)
    if not s:
        return float("nan")
    k = (len(s) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def load1() -> float:
    """The 1-minute load average (nan where the OS has none)."""
    try:
        return os.getloadavg()[0]
    except OSError:
        return math.nan


def load_text(all_three: bool = False) -> str:
    """The load average as text: the 1-minute value, or "1 / 5 / 15" minutes."""
    try:
        values = os.getloadavg()
    except OSError:
        return "?"
    return " / ".join(f"{x:.2f}" for x in values) if all_three else f"{values[0]:.2f}"


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown CPU"


def cpu_info() -> str:
    """CPU model, logical CPUs, torch's CPU capability and thread count (imports torch)."""
    import torch
    try:
        cap = torch.backends.cpu.get_cpu_capability()
    except Exception:  # noqa: BLE001
        cap = "?"
    return f"{cpu_name()}; {os.cpu_count()} logical CPUs; torch CPU capability {cap}; torch threads {torch.get_num_threads()}"


def markdown_table(rows: list[dict]) -> str:
    """rows of {"name", "target", "measured", "status", "note"} as the results table every script writes."""
    lines = ["| measurement | target | measured | pass/fail | notes |", "|---|---|---|---|---|"]
    lines += [f"| {r['name']} | {r['target']} | {r['measured']} | {r['status']} | {r['note']} |" for r in rows]
    return "\n".join(lines)


def bare_lstm(V: int, H: int):
    """The bare reference of the throughput benchmarks: a frozen one-hot embedding (identity), a fused
    nn.LSTM and a Linear head, the same architecture as rnnviz's CharRNN and nothing else."""
    import torch
    import torch.nn as nn

    class BareLSTM(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(V, V)
            with torch.no_grad():
                self.embed.weight.copy_(torch.eye(V))
            self.embed.weight.requires_grad_(False)
            self.rnn = nn.LSTM(V, H, batch_first=True)
            self.head = nn.Linear(H, V)

        def forward(self, x):
            return self.head(self.rnn(self.embed(x))[0])

    return BareLSTM()


def write_report(out, title: str, script: str, argv, load_start: float, body: str, notes: list[str] = (),
                 versions: str | None = None) -> str:
    """Write a benchmark's results file and return its text: a `# title` and the facts a reader needs to
    trust the numbers (date, versions, CPU, the command, the machine's load at start and end, flagged BUSY
    when other processes shared the CPUs), then `notes` (one bullet each), then `body` (the tables)."""
    import datetime as _dt
    import sys
    load_end = load1()
    versions = versions or f"Python {platform.python_version()}, {platform.platform()}"
    if "torch" in sys.modules and "torch " not in versions:
        versions = f"torch {sys.modules['torch'].__version__}, {versions}"
    busy = max(load_start, load_end) > 0.75 * (os.cpu_count() or 1)
    args = " ".join(str(a) for a in (sys.argv[1:] if argv is None else argv))
    head = [f"# {title}", "",
            f"- date: {_dt.datetime.now(_dt.timezone.utc).isoformat(timespec='seconds')}",
            f"- {versions}",
            f"- CPU: {cpu_name()}; {os.cpu_count()} logical CPUs",
            f"- command: `{f'python bench/{script} {args}'.rstrip()}`",
            *[f"- {n}" for n in notes],
            f"- machine load average (1 min) at start {load_start:.2f}, at end {load_end:.2f}"
            + (" -- BUSY for this machine's CPUs: wall times are inflated by other processes" if busy else ""),
            ""]
    text = "\n".join(head) + "\n" + body.rstrip("\n") + "\n"
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    print(f"\nwrote {out}")
    return text
