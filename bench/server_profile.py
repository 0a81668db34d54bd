"""Run `streamlit run ...` with a sampling profiler inside the server (py-spy is not installed here).

    python bench/server_profile.py OUT.txt run app.py --server.port 8501 ...   # bench_load.py --profile OUT.txt

A daemon thread takes every thread's Python stack (sys._current_frames) every 5 ms and counts, per
thread group (script runs, the event loop, others), the functions on the stacks of threads that were
not idle (waiting in a lock, a queue, select or sleep). OUT.txt gets the table every 2 s and at exit:
the share of busy samples in which each function (file:line name) was on the stack, inclusive, and the
top self frames. A sample needs the GIL, so a thread that holds it long delays sampling, and a thread
that waits for the GIL shows where it waits: read the table as "where the server's threads spend time".
BENCH_TRACE=1 also writes OUT.trace: one line per sample, "perf_counter busy-script-runs event-loop-frames"
(bench_load.py train-30 with BENCH_DEBUG=1 prints the perf_counter of its Train presses, the same clock): what
the event loop did while a burst held it (found so: it waits in ScriptRunner.start, Thread.start() waiting for
each new script thread to get the GIL from the runs already going).
"""
from __future__ import annotations

import atexit
import collections
import os
import sys
import threading
import time

IDLE = ("wait", "select", "poll", "get", "sleep", "acquire", "_worker", "accept", "recv", "read", "epoll",
        "_run_once", "run_forever", "join", "readinto")
IDLE_FILES = ("threading.py", "queue.py", "selectors.py", "concurrent/futures", "multiprocessing/connection.py")


def _group(name: str) -> str:
    if name.startswith("ScriptRunner"):
        return "script runs"
    if name == "MainThread":
        return "event loop (main thread)"
    return "other threads"


def _idle(frame) -> bool:
    code = frame.f_code
    return code.co_name in IDLE and (any(f in code.co_filename for f in IDLE_FILES) or code.co_name in
                                      ("select", "poll", "epoll", "sleep"))


_TICK = os.sysconf("SC_CLK_TCK")


def _thread_cpu(native_id) -> float | None:
    """user+sys seconds of one thread of this process (/proc/self/task/<tid>/stat), None when gone."""
    try:
        raw = open(f"/proc/self/task/{native_id}/stat").read()
    except (OSError, TypeError):
        return None
    rest = raw[raw.rindex(")") + 2:].split()
    return (int(rest[11]) + int(rest[12])) / _TICK


class Sampler:
    def __init__(self, out: str, every: float = 0.005):
        self.out, self.every = out, every
        self.incl: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
        self.self_: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
        self.busy: collections.Counter = collections.Counter()
        self.imports: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
        self.samples = 0
        self.lock = threading.Lock()
        self.cpu: dict[int, tuple[str, float]] = {}        # thread ident -> (group, CPU seconds so far)
        self.trace = [] if os.environ.get("BENCH_TRACE") else None   # (perf_counter, busy script runs, loop stack)

    def run(self):
        try:
            self._run()
        except BaseException as e:  # noqa: BLE001 - say why the profile stops, in its file
            with open(self.out + ".error", "w") as fh:
                fh.write(f"{type(e).__name__}: {e}\n")
            raise

    def _run(self):
        me = threading.get_ident()
        last_dump = time.monotonic()
        while True:
            time.sleep(self.every)
            names = {t.ident: t.name for t in threading.enumerate()}
            frames = sys._current_frames()
            with self.lock:
                self.samples += 1
                if self.trace is not None:
                    self._trace(frames, names)
                if self.samples % 50 == 0:                  # CPU time of every thread, from /proc (Linux)
                    for t in threading.enumerate():
                        c = _thread_cpu(t.native_id)
                        if c is not None:
                            self.cpu[t.native_id] = (_group(t.name), c)
                for ident, frame in frames.items():
                    if ident == me or frame is None or _idle(frame):
                        continue
                    g = _group(names.get(ident, "?"))
                    self.busy[g] += 1
                    seen = set()
                    top = True
                    f = frame
                    importing = None
                    while f is not None:
                        c = f.f_code
                        if c.co_name == "_find_and_load" and c.co_filename.startswith("<frozen"):
                            importing = f.f_locals.get("name")      # the outermost import on the stack
                        elif importing and not c.co_filename.startswith("<frozen"):
                            self.imports[g][f"{importing} <- {os.path.relpath(c.co_filename)}:{f.f_lineno}"] += 1
                            importing = ""                          # recorded: only its first caller
                        key = f"{os.path.relpath(c.co_filename) if 'site-packages' not in c.co_filename else c.co_filename.split('site-packages/')[1]}:{c.co_firstlineno} {c.co_name}"
                        if top:
                            self.self_[g][key] += 1
                            top = False
                        if key not in seen:
                            self.incl[g][key] += 1
                            seen.add(key)
                        f = f.f_back
            if time.monotonic() - last_dump > 2:
                self.dump()
                last_dump = time.monotonic()

    def _trace(self, frames, names):
        """BENCH_TRACE=1: each sample's time, how many script runs were busy, and the event loop's innermost frames
        (written to OUT.trace: when a burst holds the loop, what it does then)."""
        runs, loop = 0, ""
        for ident, frame in frames.items():
            name = names.get(ident, "?")
            if name.startswith("ScriptRunner") and frame is not None and not _idle(frame):
                runs += 1
            elif name == "MainThread" and frame is not None:
                parts, f = [], frame
                while f is not None and len(parts) < 4:
                    parts.append(f"{os.path.basename(f.f_code.co_filename)}:{f.f_lineno} {f.f_code.co_name}")
                    f = f.f_back
                loop = ("idle " if _idle(frame) else "") + " < ".join(parts)
        self.trace.append((time.perf_counter(), runs, loop))

    def dump(self):
        if self.trace is not None:
            with self.lock:
                rows = list(self.trace)
            with open(self.out + ".trace", "w", encoding="utf-8") as fh:
                fh.writelines(f"{t:.3f} {n} {loop}\n" for t, n, loop in rows)
        with self.lock:
            lines = [f"# server sampling profile: {self.samples} samples every {self.every * 1000:.0f} ms "
                     f"({self.samples * self.every:.0f} s); switch interval {sys.getswitchinterval() * 1000:g} ms", ""]
            per: collections.Counter = collections.Counter()
            for g, c in self.cpu.values():
                per[g] += c
            lines += ["CPU seconds by thread group (/proc/self/task; the sampler is in other threads; ended threads' last value):"]
            lines += [f"  {c:7.1f} s  {g}" for g, c in per.most_common()] + [""]
            for g, n in self.busy.most_common():
                lines.append(f"## {g}: busy in {n} thread-samples = {n * self.every:.1f} thread-seconds")
                lines.append("inclusive (share of this group's busy samples):")
                for k, c in self.incl[g].most_common(45):
                    lines.append(f"  {100 * c / n:5.1f} %  {k}")
                lines.append("self (top of stack):")
                for k, c in self.self_[g].most_common(20):
                    lines.append(f"  {100 * c / n:5.1f} %  {k}")
                if self.imports[g]:
                    lines.append("imports in progress (module <- the importing line):")
                    for k, c in self.imports[g].most_common(12):
                        lines.append(f"  {100 * c / n:5.1f} %  {k}")
                lines.append("")
        with open(self.out, "w", encoding="utf-8") as fh:
            fh.write("\n".join(lines) + "\n")


def _cprofile_script_runs(out: str) -> None:
    """BENCH_CPROFILE=1: every script run (its thread) runs under its own cProfile.Profile; their stats are summed
    and written to OUT (pstats, sorted by cumulative time) every 2 s and at exit. The event loop is not profiled."""
    import cProfile
    import io
    import pstats
    from streamlit.runtime.scriptrunner import script_runner

    lock, profiles, last, total = threading.Lock(), [], [0.0], []
    orig = script_runner.ScriptRunner._run_script

    def dump():
        with lock:
            if not profiles and not total:
                return
            buf = io.StringIO()
            if not total:
                total.append(pstats.Stats(profiles.pop(0), stream=buf))
            st = total[0]
            st.stream = buf
            while profiles:
                st.add(profiles.pop(0))
            st.sort_stats("cumulative").print_stats(90)
            st.sort_stats("tottime").print_stats(40)
        with open(out, "w", encoding="utf-8") as fh:
            fh.write(f"# cProfile (thread CPU time) of {runs[0]} script runs\n" + buf.getvalue())

    skip = [int(os.environ.get("BENCH_CPROFILE_SKIP", "0"))]     # the first runs (imports, first builds) apart

    def run(self, *a, **k):
        if skip[0] > 0:
            skip[0] -= 1
            return orig(self, *a, **k)
        prof = cProfile.Profile(time.thread_time)       # CPU time: a thread waiting for the GIL costs nothing
        prof.enable()
        try:
            return orig(self, *a, **k)
        finally:
            prof.disable()
            with lock:
                profiles.append(prof)
                runs[0] += 1
            if time.monotonic() - last[0] > 2:
                last[0] = time.monotonic()
                dump()

    runs = [0]
    script_runner.ScriptRunner._run_script = run
    atexit.register(dump)


def main() -> None:
    out, args = sys.argv[1], sys.argv[2:]
    if os.environ.get("BENCH_SWITCH_INTERVAL"):          # an experiment: the GIL's switch interval (seconds)
        sys.setswitchinterval(float(os.environ["BENCH_SWITCH_INTERVAL"]))
    if os.environ.get("BENCH_CPROFILE"):                  # deterministic: cProfile in every script run, summed
        _cprofile_script_runs(out)
    else:
        s = Sampler(out)
        threading.Thread(target=s.run, name="bench-sampler", daemon=True).start()
        atexit.register(s.dump)
    from streamlit.web.cli import main as st_main
    sys.argv = ["streamlit", *args]
    st_main()


if __name__ == "__main__":
    main()
