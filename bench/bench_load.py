"""A class on one server: N simulated browser sessions over Streamlit's websocket protocol.

    python bench/bench_load.py --scenario sliders-30          # one scenario on a fresh server
    python bench/bench_load.py --scenario all                 # every scenario, each on its own fresh server
    python bench/bench_load.py --scenario train-30 --sessions 5 --seconds 10    # smaller, while developing

Starts `streamlit run app.py --server.port <free> --server.address 127.0.0.1 --server.headless true` (the
project's .streamlit/config.toml: XSRF protection on) and drives sessions the way the browser does:
1. GET /_stcore/health, which sets the `_streamlit_xsrf` cookie (the browser's first request does the same);
2. open ws://127.0.0.1:<port>/_stcore/stream with that cookie, an Origin header, and the cookie's value as
   the second Sec-WebSocket-Protocol entry ("streamlit, <xsrf token>"), as the frontend does (Streamlit
   1.67's starlette server accepts the socket either way; the token only makes it trust auth cookies);
3. send BackMsg.rerun_script (ClientState: the page's URL name on the first run, then the page_script_hash
   from NewSession; the query string the server last set via page_info_changed; widget_states; context_info);
   read ForwardMsgs (new_session, deltas, page_info_changed, auto_rerun, script_finished).
Widgets are found in the deltas by their key (Streamlit's element id ends with the widget's key); a widget
inside a fragment is rerun as the browser reruns it: ClientState.fragment_id = the Delta's fragment_id.
Widget values set once stay in every later rerun (the browser keeps them); a trigger (a button) is sent once.
A rerun's latency is from sending the BackMsg to its script_finished; the first delta's time is kept too.
Errors: an exception element, an st.error alert, a compile error, a dropped connection, a rerun timeout.

Scenarios (each on a fresh server, after one warm-up visit of Hello and Step and the training pool's start):
- sliders-30 / sliders-100 (the issue's "moving sliders (full reruns)"): every Hello slider is inside a form
  (moving one reruns nothing) and Generate reruns its fragment alone, so the full rerun a student makes most
  on the trained Hello page is the "show the cell" toggle: a move flips it (on, off, ...; a full rerun, half
  of them drawing the cell's figure). Sessions think --think-min..--think-max s between moves, for --seconds.
- generate-30 / generate-100: the Generate form's length slider set and Generate pressed: a fragment rerun
  with the fragment's id (`generate_ui` is an st.fragment), as the browser sends it.
- fragment-30: Hello's time cursor moves in the browser (no rerun); the Step page's cursor slider is the
  server-side fragment: a fragment rerun with its fragment_id.
- open-100: 100 sessions open Hello, their connections spread over 5 s: connect -> first delta, and ->
  the first run's script_finished (the first full view).
- train-30: 30 sessions press Train ("hello world", 300 steps, seed = the session's number) at once, while
  10 other sessions make full reruns as in sliders-30: Train -> trained view (checked: a success line, the figures, the
  URL with the new settings), and the others' rerun latencies meanwhile (BENCH_DEBUG=1 prints each of them
  as "sent s:first element ms,finished ms", seconds after the Train presses).
- waves: --waves waves of 30 sessions that connect, train (distinct seeds) and leave; RSS after each wave,
  and after the disconnected sessions' TTL.
auto_rerun requests (st.fragment(run_every=...)) are recorded, not acted on: no scenario's page asks for one.

Server CPU (user+sys of the server process; its worker processes apart) and RSS come from /proc.
Every count and time is bounded (--sessions <= 200, --seconds <= 300, --timeout <= 1800 for the whole
run), and the server's process group is always killed at the end.

Prints one table per scenario (the target beside each number) and writes bench/results/load.md.
Differences from a real browser: widgets the bench never touched are not sent (the browser sends every
mounted widget's value; the server then keeps its old value either way), no static files, media or
component requests, no cached_message_hashes (a fresh browser has none).
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import load1, load_text, markdown_table, pct, write_report  # noqa: E402

MAX_SESSIONS, MAX_SECONDS, MAX_TIMEOUT = 200, 300, 1800
HELLO, STEP = "Hello_Playground", "Step_Through"
XSRF_COOKIE = "_streamlit_xsrf"
RERUN_TIMEOUT = 120.0            # one rerun longer than this is an error
TTL_WAIT = 130.0                 # server.disconnectedSessionTTL (120 s) and a little


class ProtocolError(RuntimeError):
    pass


# ---- the server ----------------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def health_ok(base: str) -> bool:
    try:
        with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as r:
            return r.status == 200
    except OSError:
        return False


@contextlib.contextmanager
def streamlit_server(timeout: float = 90.0, env: dict | None = None, profile: str = ""):
    """`streamlit run app.py` on a free port of 127.0.0.1 in its own process group (killed on exit, always);
    yields (base url, the Popen). A class-answers database of its own in a temp folder. With `profile` (a
    file), the server runs under bench/server_profile.py's sampling profiler, which writes its table there."""
    port = free_port()
    run = [str(Path(__file__).resolve().parent / "server_profile.py"), str(Path(profile).resolve())] if profile \
        else ["-m", "streamlit"]
    cmd = [sys.executable, *run, "run", "app.py", "--server.port", str(port),
           "--server.address", "127.0.0.1", "--server.headless", "true"]
    tmp = tempfile.TemporaryDirectory(prefix="rnnviz-load-")
    full_env = dict(os.environ, PYTHONUNBUFFERED="1", RNNVIZ_CLASS_DB=str(Path(tmp.name) / "class.sqlite3"),
                    RNNVIZ_SLOT_STATS=str(Path(tmp.name) / "slots.json"))
    full_env.update(env or {})
    log = open(Path(tmp.name) / "server.log", "w+b")
    proc = subprocess.Popen(cmd, cwd=ROOT, env=full_env, stdout=log, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while not health_ok(base):
            if proc.poll() is not None or time.monotonic() > deadline:
                log.seek(0)
                raise ProtocolError(f"streamlit did not become healthy at {base}:\n"
                                    + log.read().decode(errors="replace")[-3000:])
            time.sleep(0.1)
        proc.log_path = Path(tmp.name) / "server.log"
        proc.slot_stats_path = Path(tmp.name) / "slots.json"
        yield base, proc
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        log.close()
        tmp.cleanup()


# ---- /proc sampling --------------------------------------------------------------------------------------------
_TICK = os.sysconf("SC_CLK_TCK")
_PAGE = os.sysconf("SC_PAGE_SIZE")


def _stat(pid: int) -> tuple[int, float, int] | None:
    """(ppid, user+sys seconds, rss bytes) of a process, or None when it is gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    rest = raw[raw.rindex(")") + 2:].split()
    return int(rest[1]), (int(rest[11]) + int(rest[12])) / _TICK, int(rest[21]) * _PAGE


def _descendants(root: int) -> list[int]:
    kids: dict[int, list[int]] = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            st = _stat(int(d))
            if st:
                kids.setdefault(st[0], []).append(int(d))
    out, todo = [], [root]
    while todo:
        p = todo.pop()
        for c in kids.get(p, []):
            out.append(c)
            todo.append(c)
    return out


@dataclass
class Usage:
    """The server's CPU seconds and RSS (its own and its child processes', e.g. training workers)."""
    cpu: float = 0.0
    rss: int = 0
    kids_cpu: float = 0.0
    kids_rss: int = 0
    n_kids: int = 0


def usage(pid: int) -> Usage:
    u = Usage()
    st = _stat(pid)
    if st:
        u.cpu, u.rss = st[1], st[2]
    for k in _descendants(pid):
        s = _stat(k)
        if s:
            u.kids_cpu += s[1]
            u.kids_rss += s[2]
            u.n_kids += 1
    return u


class Sampler:
    """Samples the server's RSS every `every` seconds while a scenario runs (peak and last)."""

    def __init__(self, pid: int, every: float = 0.5):
        self.pid, self.every, self.peak, self.peak_kids = pid, every, 0, 0
        self.start = usage(pid)
        self.t0 = time.monotonic()
        self.own0 = _own_cpu()
        self.lags: list[float] = []
        self.sched: dict[str, tuple[int, int]] = {}
        self._schedstat()
        self.sched0 = dict(self.sched)
        self._task = asyncio.get_running_loop().create_task(self._run())
        self._lag_task = asyncio.get_running_loop().create_task(self._lag())

    async def _run(self):
        while True:
            u = usage(self.pid)
            self.peak, self.peak_kids = max(self.peak, u.rss), max(self.peak_kids, u.kids_rss)
            self._schedstat()
            await asyncio.sleep(self.every)

    def _schedstat(self):
        """Per thread of the server: nanoseconds on a CPU and waiting in a run queue for one (the kernel's
        schedstat), the last value of every thread seen (a thread that lives < `every` may be missed)."""
        try:
            tids = os.listdir(f"/proc/{self.pid}/task")
        except OSError:
            return
        for tid in tids:
            try:
                run, wait, _ = Path(f"/proc/{self.pid}/task/{tid}/schedstat").read_text().split()
            except (OSError, ValueError):
                continue
            self.sched[tid] = (int(run), int(wait))

    async def _lag(self):
        """How late the bench's own event loop wakes from a 50 ms sleep: when it is late, the clients (not the
        server) add to the latencies."""
        while True:
            t = time.perf_counter()
            await asyncio.sleep(0.05)
            self.lags.append(time.perf_counter() - t - 0.05)

    async def stop(self) -> dict:
        for task in (self._task, self._lag_task):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._schedstat()
        end, wall = usage(self.pid), time.monotonic() - self.t0
        on_cpu = sum(r - self.sched0.get(t, (0, 0))[0] for t, (r, w) in self.sched.items()) / 1e9
        queued = sum(w - self.sched0.get(t, (0, 0))[1] for t, (r, w) in self.sched.items()) / 1e9
        ncpu = os.cpu_count() or 1
        cpu, kcpu = end.cpu - self.start.cpu, end.kids_cpu - self.start.kids_cpu
        self.peak, self.peak_kids = max(self.peak, end.rss), max(self.peak_kids, end.kids_rss)
        return {"wall": wall, "cpu": cpu, "cpu_pct": 100 * cpu / (wall * ncpu), "kids_cpu": max(0.0, kcpu),
                "kids_pct": 100 * max(0.0, kcpu) / (wall * ncpu), "rss": end.rss, "rss_peak": self.peak,
                "kids_rss": end.kids_rss, "kids_rss_peak": self.peak_kids, "n_kids": end.n_kids,
                "own_cpu": _own_cpu() - self.own0, "on_cpu": on_cpu, "queued": queued, "lag_p95": pct(self.lags, .95), "lag_max": max(self.lags, default=0)}


def _own_cpu() -> float:
    t = os.times()
    return t.user + t.system


# ---- one browser session ---------------------------------------------------------------------------------------
@dataclass
class Run:
    """One rerun as the session saw it."""
    kind: str
    t_sent: float
    t_first_delta: float | None = None
    t_done: float | None = None
    status: str = ""
    errors: list[str] = field(default_factory=list)
    success_alerts: list[str] = field(default_factory=list)
    charts: int = 0
    kinds: list = field(default_factory=list)         # every element's kind, in order
    times: list = field(default_factory=list)         # ... and when it came

    @property
    def latency(self) -> float | None:
        return None if self.t_done is None else self.t_done - self.t_sent

    @property
    def first_delta(self) -> float | None:
        return None if self.t_first_delta is None else self.t_first_delta - self.t_sent


@dataclass
class Widget:
    id: str
    kind: str                   # the Element oneof name: slider, button, number_input, ...
    fragment_id: str
    proto: object


class Session:
    """One simulated browser tab: connect (XSRF as the browser does it), rerun, read ForwardMsgs."""

    def __init__(self, base: str, page: str, query: str = "", name: str = ""):
        self.base, self.page, self.query, self.name = base, page, query, name
        self.page_script_hash = ""
        self.widgets: dict[str, Widget] = {}            # by widget key (the end of the element id)
        self.values: dict[str, object] = {}             # widget id -> WidgetState, kept for later reruns
        self.runs: list[Run] = []
        self.errors: list[str] = []                     # errors outside any rerun (connection, protocol)
        self.auto_reruns: dict[str, float] = {}         # fragment id -> interval the server asked for
        self._ws = None
        self._reader = None
        self._current: Run | None = None
        self._done: asyncio.Event | None = None
        self._lock = asyncio.Lock()
        self._closed = False
        self._cache: dict[str, object] = {}            # hash -> ForwardMsg, as the frontend's message cache
        self.cache_hits = 0

    # -- connection
    async def connect(self, timeout: float = 30.0) -> None:
        from websockets.asyncio.client import connect
        cookie = await asyncio.to_thread(self._xsrf_cookie)
        ws_url = self.base.replace("http://", "ws://") + "/_stcore/stream"
        self._ws = await connect(ws_url, origin=self.base, subprotocols=["streamlit", cookie],
                                 additional_headers={"Cookie": f"{XSRF_COOKIE}={cookie}"}, max_size=None,
                                 open_timeout=timeout, ping_interval=None, compression="deflate")
        self._reader = asyncio.get_running_loop().create_task(self._read())

    def _xsrf_cookie(self) -> str:
        with urllib.request.urlopen(f"{self.base}/_stcore/health", timeout=30) as r:
            for header in r.headers.get_all("Set-Cookie") or []:
                name, _, rest = header.partition("=")
                if name.strip() == XSRF_COOKIE:
                    return rest.split(";", 1)[0]
        raise ProtocolError("the server set no _streamlit_xsrf cookie (is XSRF protection off?)")

    async def close(self) -> None:
        self._closed = True
        if self._ws is not None:
            with contextlib.suppress(Exception):
                await self._ws.close()
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader

    # -- reading
    async def _read(self) -> None:
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
        try:
            async for data in self._ws:
                msg = ForwardMsg()
                msg.ParseFromString(data)
                self._handle(msg)
        except asyncio.CancelledError:
            raise
        except Exception as e:  # noqa: BLE001 - a dropped connection is the bench's finding, not a crash
            if not self._closed:
                self._fail(f"connection: {type(e).__name__}: {e}")
            return
        if not self._closed:
            self._fail("connection closed by the server")

    def _fail(self, why: str) -> None:
        if self._current is not None and self._current.t_done is None:
            self._current.errors.append(why)
            self._current.status = "error"
            self._done.set()
        else:
            self.errors.append(why)

    def _handle(self, msg) -> None:
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
        kind = msg.WhichOneof("type")
        run = self._current
        if msg.HasField("ref_hash"):             # a message this client said it has: taken from its cache
            cached = self._cache.get(msg.ref_hash)
            if cached is None:
                self._fail(f"ref_hash {msg.ref_hash} not in the client's cache")
                return
            self.cache_hits += 1
            msg = cached
            kind = msg.WhichOneof("type")
        elif msg.metadata.cacheable and msg.hash:
            self._cache[msg.hash] = msg          # the browser caches these and tells the server on each rerun
        if kind == "new_session":
            self.page_script_hash = msg.new_session.page_script_hash
        elif kind == "navigation":               # the page actually running (the browser keeps its hash)
            self.page_script_hash = msg.navigation.page_script_hash
        elif kind == "page_info_changed":
            self.query = msg.page_info_changed.query_string
        elif kind == "delta":
            if run is not None and run.t_first_delta is None:
                run.t_first_delta = time.perf_counter()
            self._delta(msg.delta, run)
        elif kind == "auto_rerun":
            self.auto_reruns[msg.auto_rerun.fragment_id] = msg.auto_rerun.interval
        elif kind == "stop_auto_rerun":
            self.auto_reruns.clear()
        elif kind == "script_finished":
            status = ForwardMsg.ScriptFinishedStatus.Name(msg.script_finished)
            if run is None or run.t_done is not None:
                return
            if status == "FINISHED_EARLY_FOR_RERUN":   # a rerun the server started itself (st.rerun) follows
                return
            run.t_done, run.status = time.perf_counter(), status
            if status == "FINISHED_WITH_COMPILE_ERROR":
                run.errors.append("compile error")
            self._done.set()

    def _delta(self, delta, run: Run | None) -> None:
        if delta.WhichOneof("type") != "new_element":
            return
        el = delta.new_element
        kind = el.WhichOneof("type")
        if kind is None:
            return
        if kind == "exception":
            if run is not None:
                run.errors.append(f"exception: {el.exception.type}: {el.exception.message[:200]}")
            return
        if kind == "alert":
            from streamlit.proto.Alert_pb2 import Alert
            if run is not None and el.alert.format == Alert.ERROR:
                run.errors.append(f"st.error: {el.alert.body[:200]}")
            elif run is not None and el.alert.format == Alert.SUCCESS:
                run.success_alerts.append(el.alert.body)
            return
        if run is not None:
            run.kinds.append(kind)
            run.times.append(time.perf_counter())
        if kind == "plotly_chart" and run is not None:
            run.charts += 1
        sub = getattr(el, kind)
        wid = getattr(sub, "id", "") if hasattr(sub, "DESCRIPTOR") and "id" in sub.DESCRIPTOR.fields_by_name else ""
        if wid.startswith("$$ID-"):
            key = wid.split("-", 2)[2] if wid.count("-") >= 2 else wid
            self.widgets[key] = Widget(wid, kind, delta.fragment_id, sub)

    # -- writing
    def widget(self, key: str) -> Widget:
        try:
            return self.widgets[key]
        except KeyError:
            raise ProtocolError(f"{self.name}: no widget with key {key!r} on the page; seen: "
                                f"{sorted(self.widgets)[:40]}") from None

    def set_value(self, key: str, value) -> Widget:
        """Keep a widget value for the next rerun, encoded as the frontend encodes that widget."""
        from streamlit.proto.WidgetStates_pb2 import WidgetState
        w = self.widget(key)
        s = WidgetState(id=w.id)
        if w.kind == "slider" and w.proto.type == w.proto.SELECT_SLIDER:     # the option's formatted label
            s.string_array_value.data.extend([str(value)])
        elif w.kind == "slider":
            s.double_array_value.data.extend([float(v) for v in (value if isinstance(value, (list, tuple)) else [value])])
        elif w.kind == "number_input":
            s.double_value = float(value)
        elif w.kind in ("text_input", "text_area"):
            s.string_value = str(value)
        elif w.kind in ("checkbox", "toggle"):
            s.bool_value = bool(value)
        else:
            raise ProtocolError(f"bench: setting a {w.kind} widget ({key}) is not implemented")
        self.values[w.id] = s
        return w

    async def rerun(self, kind: str = "full", fragment_id: str = "", trigger: str | None = None,
                    timeout: float = RERUN_TIMEOUT, auto: bool = False) -> Run:
        """Send one rerun_script (a fragment rerun when fragment_id is set) and wait for its script_finished."""
        from streamlit.proto.BackMsg_pb2 import BackMsg
        from streamlit.proto.WidgetStates_pb2 import WidgetState
        async with self._lock:
            msg = BackMsg()
            cs = msg.rerun_script
            cs.query_string = self.query
            cs.page_script_hash = self.page_script_hash
            if not self.page_script_hash:
                cs.page_name = self.page
            if fragment_id:
                cs.fragment_id = fragment_id
            cs.is_auto_rerun = auto
            cs.cached_message_hashes.extend(self._cache)
            ci = cs.context_info
            ci.timezone, ci.timezone_offset, ci.locale = "Asia/Seoul", -540, "en-US"
            ci.url = f"{self.base}/{self.page}" + (f"?{self.query}" if self.query else "")
            states = list(self.values.values())
            if trigger is not None:
                states.append(WidgetState(id=self.widget(trigger).id, trigger_value=True))
            cs.widget_states.widgets.extend(states)
            run = Run(kind, time.perf_counter())
            self._current, self._done = run, asyncio.Event()
            self.runs.append(run)
            try:
                await self._ws.send(msg.SerializeToString())
                await asyncio.wait_for(self._done.wait(), timeout)
            except asyncio.TimeoutError:
                run.errors.append(f"no script_finished within {timeout:.0f} s")
                run.status = "timeout"
            except Exception as e:  # noqa: BLE001
                run.errors.append(f"send: {type(e).__name__}: {e}")
                run.status = "error"
            return run


# ---- scenarios -------------------------------------------------------------------------------------------------
def spread(n: int, seconds: float) -> list[float]:
    """Start offsets of n sessions spread evenly over seconds."""
    return [seconds * i / max(1, n - 1) for i in range(n)] if n > 1 else [0.0]


async def open_sessions(base: str, n: int, page: str, within: float, query: str = "", prefix: str = "s"):
    """n sessions opening `page`, their starts spread over `within` seconds; returns [(session, first run)]."""
    async def one(i, delay):
        await asyncio.sleep(delay)
        s = Session(base, page, query, f"{prefix}{i}")
        t0 = time.perf_counter()
        try:
            await s.connect()
        except Exception as e:  # noqa: BLE001
            s.errors.append(f"connect: {type(e).__name__}: {e}")
            r = Run("open", t0, status="error", errors=[f"connect: {e}"])
            return s, r
        r = await s.rerun("open")
        r.t_sent = t0                            # a first view counts from the connection's start
        return s, r
    return await asyncio.gather(*(one(i, d) for i, d in enumerate(spread(n, within))))


async def move_loop(sessions, until: float, move, think: tuple[float, float], rng: random.Random) -> list[Run]:
    """Each session: think (uniform in `think` seconds), then `move(session, i)` (one rerun), until `until`."""
    out: list[Run] = []

    async def one(s, k):
        i = 0
        await asyncio.sleep(rng.uniform(0, think[1]))         # sessions do not move in lockstep
        while time.monotonic() < until and not s.errors:
            out.append(await move(s, i))
            i += 1
            await asyncio.sleep(rng.uniform(*think))
    await asyncio.gather(*(one(s, k) for k, s in enumerate(sessions)))
    return out


def gen_move(s: Session, i: int):
    """Hello: move the sample-length slider of the Generate form and press Generate. The form lives in a fragment
    (`generate_ui`): the browser sends a fragment rerun with the fragment's id, and so does this."""
    s.set_value("hello.gen_n", 10 + (i * 7) % 60)
    button = form_submit(s, "hello.gen_form")
    fid = s.widget(button).fragment_id
    if not fid:
        raise ProtocolError("the Generate button came without a fragment id")
    return s.rerun("fragment", fragment_id=fid, trigger=button)


def cell_move(s: Session, i: int):
    """Hello: flip the "show the cell" toggle (on, off, on, ...): a full rerun of the trained page, the most
    common one a student makes there (every slider is in a form; Generate is a fragment). Half the reruns draw
    the trained cell's figure too."""
    s.set_value("hello.show_cell", i % 2 == 0)
    return s.rerun("full")


def step_move(s: Session, i: int):
    """Step page: move the cursor slider (inside a fragment): a fragment rerun with the fragment's id."""
    w = s.widget("step.t")
    opts = list(w.proto.options)
    w = s.set_value("step.t", opts[(i * 3 + 1) % len(opts)])
    if not w.fragment_id:
        raise ProtocolError("the Step page's cursor slider came without a fragment id")
    return s.rerun("fragment", fragment_id=w.fragment_id)


def form_submit(s: Session, form_key: str) -> str:
    """The key of the submit button of the form with key `form_key` (the button carries the form's id)."""
    for key, w in s.widgets.items():
        if w.kind == "button" and w.proto.is_form_submitter and w.proto.form_id.endswith(form_key):
            return key
    raise ProtocolError(f"{s.name}: no submit button for form {form_key!r}")


def train(s: Session, seed: int, text: str = "hello world", steps: int = 300):
    s.set_value("hello.text", text)
    s.set_value("hello.steps", steps)
    s.set_value("hello.seed", seed)
    return s.rerun("train", trigger=form_submit(s, "hello.form"))


def trained_ok(s: Session, r: Run, seed: int, steps: int = 300) -> str:
    """'' when the trained view is there for this seed (a success line, its figures, the URL with the settings);
    otherwise why not."""
    if r.errors:
        return "; ".join(r.errors)
    if r.status != "FINISHED_SUCCESSFULLY":
        return f"status {r.status}"
    if not r.success_alerts:
        return "no 'trained' line"
    if f"seed={seed}" not in s.query or f"steps={steps}" not in s.query:
        return f"URL not updated to the trained settings: {s.query!r}"
    if r.charts < 2:
        return f"only {r.charts} figures"
    return ""


@dataclass
class Row:
    name: str
    target: str
    measured: str
    ok: bool | None
    note: str = ""

    def as_dict(self):
        return {"name": self.name, "target": self.target, "measured": self.measured,
                "status": "–" if self.ok is None else ("✓" if self.ok else "✗"), "note": self.note}


def lat_rows(label: str, runs: list[Run], p95_target: float | None, errors_target: int | None = 0) -> list[Row]:
    lats = [r.latency for r in runs if r.latency is not None and not r.errors]
    errs = [r for r in runs if r.errors]
    p50, p95, mx = pct(lats, .5), pct(lats, .95), max(lats, default=float("nan"))
    rows = [Row(f"{label}: p50 / p95 / max", f"p95 ≤ {p95_target * 1000:.0f} ms" if p95_target else "",
                f"{p50 * 1000:.0f} / {p95 * 1000:.0f} / {mx * 1000:.0f} ms",
                None if p95_target is None else bool(lats) and p95 <= p95_target, f"{len(lats)} reruns")]
    if errors_target is not None:
        first = errs[0].errors[0][:120] if errs else ""
        rows.append(Row(f"{label}: errors", f"{errors_target}", str(len(errs)), len(errs) <= errors_target,
                        first.replace("|", "/")))
    return rows


def usage_rows(u: dict) -> list[Row]:
    mb = 1 / 2**20
    return [Row("server CPU (user+sys)", "", f"{u['cpu']:.1f} s = {u['cpu_pct']:.0f} % of {os.cpu_count()} cores "
                f"over {u['wall']:.1f} s", None,
                f"{u['n_kids']} child processes: {u['kids_cpu']:.1f} s = {u['kids_pct']:.0f} %"),
            Row("server RSS end / peak", "", f"{u['rss'] * mb:.0f} / {u['rss_peak'] * mb:.0f} MB", None,
                f"children {u['kids_rss'] * mb:.0f} / {u['kids_rss_peak'] * mb:.0f} MB")] + ([
            Row("server's long-lived threads: on a CPU / runnable, waiting for one", "",
                f"{u['on_cpu']:.1f} s / {u['queued']:.1f} s", None, "kernel schedstat (script-run threads live too "
                "short to be seen); a wait above the time on a CPU: other processes had the cores"),
            Row("the bench's own clients: CPU, event-loop lag p95 / max", "",
                f"{u['own_cpu']:.1f} s; {u['lag_p95'] * 1000:.0f} / {u['lag_max'] * 1000:.0f} ms", None,
                "a late loop inflates the latencies")] if "own_cpu" in u else [])


def read_slot_stats(path: Path) -> dict | None:
    """The server's run-slot counters (ui_server.report_slots writes them), or None without them."""
    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return None


def slot_row(st: dict | None, log_path: Path | None = None) -> Row:
    """One row: how the server's page runs waited for their turn (since it started, warm-up included)."""
    if st is None:
        return Row("run slots", "", "no counters", None, "RNNVIZ_RUN_SLOTS=0, or the server did not write them")
    warned = 0
    if log_path is not None:
        with contextlib.suppress(OSError):
            warned = Path(log_path).read_text(errors="replace").count("went ahead without one")
    return Row("run slots: runs / waited for a turn (Train runs among them) / stopped counting after a quantum",
               "", f"{st['runs']} / {st['waited']} ({st['work_waited']}) / {st['demoted']}", None,
               f"longest queue {st['max_waiting']}; gave up waiting (5 s): {st['timeouts']} (logged {warned}); "
               "since the server started")


async def close_all(sessions) -> None:
    await asyncio.gather(*(s.close() for s in sessions), return_exceptions=True)


async def scenario_moves(base, pid, a, n: int, page: str, move, label: str, target: float) -> list[Row]:
    opened = await open_sessions(base, n, page, within=min(10.0, n * 0.1))
    sessions = [s for s, r in opened if not r.errors]
    rows = [Row("sessions opened", f"{n}", f"{len(sessions)}", len(sessions) == n,
                "; ".join(e for _, r in opened for e in r.errors)[:120].replace("|", "/"))]
    rng = random.Random(0)
    samp = Sampler(pid)
    runs = await move_loop(sessions, time.monotonic() + a.seconds, move, (a.think_min, a.think_max), rng)
    u = await samp.stop()
    await close_all(s for s, _ in opened)
    rows += lat_rows(label, runs, target)
    rows.append(Row("rerun rate", "", f"{len(runs) / u['wall']:.1f} /s", None,
                    f"think time {a.think_min:g}-{a.think_max:g} s per session"))
    return rows + usage_rows(u)


async def sc_sliders(base, pid, a, n):
    return await scenario_moves(base, pid, a, n, HELLO, cell_move, f"{n} sessions, Hello 'show the cell' toggle (full)",
                                0.3 if n <= 30 else 1.0)


async def sc_generate(base, pid, a, n):
    return await scenario_moves(base, pid, a, n, HELLO, gen_move,
                                f"{n} sessions, Hello slider + Generate (fragment)", 0.3 if n <= 30 else 1.0)


async def sc_fragment(base, pid, a, n):
    return await scenario_moves(base, pid, a, n, STEP, step_move, f"{n} sessions, Step cursor (fragment)", 0.3)


async def sc_open(base, pid, a, n):
    samp = Sampler(pid)
    opened = await open_sessions(base, n, HELLO, within=5.0)
    u = await samp.stop()
    runs = [r for _, r in opened]
    ok = [r for r in runs if not r.errors and r.latency is not None]
    firsts = [r.first_delta for r in ok if r.first_delta is not None]
    lats = [r.latency for r in ok]
    errs = [r for r in runs if r.errors]
    rows = [Row(f"{n} open Hello within 5 s: first view p50 / p95 / max", "p95 ≤ 3000 ms",
                f"{pct(lats, .5) * 1000:.0f} / {pct(lats, .95) * 1000:.0f} / {max(lats, default=float('nan')) * 1000:.0f} ms",
                bool(lats) and pct(lats, .95) <= 3.0, "connect → script_finished of the first run"),
            Row("first delta p50 / p95 / max", "", f"{pct(firsts, .5) * 1000:.0f} / {pct(firsts, .95) * 1000:.0f}"
                f" / {max(firsts, default=float('nan')) * 1000:.0f} ms", None, "connect → first delta"),
            Row("errors", "0", str(len(errs)), not errs, (errs[0].errors[0][:120] if errs else "").replace("|", "/")),
            Row("trained views", f"{n}", str(sum(bool(r.success_alerts) for r in ok)), None, "the default model")]
    await close_all(s for s, _ in opened)
    return rows + usage_rows(u)


async def sc_train(base, pid, a, n, movers: int = 10):
    """n sessions each press Train (seed = its number) at once while `movers` others move sliders."""
    opened = await open_sessions(base, n + movers, HELLO, within=min(10.0, (n + movers) * 0.1))
    bad = [r for _, r in opened if r.errors]
    trainers = [s for s, r in opened[:n] if not r.errors]
    others = [s for s, r in opened[n:] if not r.errors]
    rows = [Row("sessions opened", f"{n + movers}", f"{n + movers - len(bad)}", not bad,
                (bad[0].errors[0][:120] if bad else "").replace("|", "/"))]
    await asyncio.sleep(1.0)
    rng = random.Random(1)
    samp = Sampler(pid)
    t0 = time.perf_counter()
    stop_at = time.monotonic() + RERUN_TIMEOUT + 10
    movers_task = asyncio.ensure_future(move_loop(others, stop_at, cell_move, (a.think_min, a.think_max), rng))
    results = await asyncio.gather(*(train(s, i) for i, s in enumerate(trainers)))
    done = sorted(r.t_done - t0 for r in results if r.t_done is not None and not r.errors)
    print("  completion times (s):", " ".join(f"{d:.1f}" for d in done), flush=True)
    movers_task.cancel()                                  # the movers stop with the trainings
    with contextlib.suppress(asyncio.CancelledError):
        await movers_task
    u = await samp.stop()
    moves = [r for s in others for r in s.runs if r.kind == "full" and r.t_sent >= t0]
    if os.environ.get("BENCH_DEBUG"):
        print(f"  Train pressed at perf_counter {t0:.3f}; others (sent s: first element, finished ms):", " ".join(
            f"{r.t_sent - t0:.1f}:{(r.t_first_delta - r.t_sent) * 1000 if r.t_first_delta else -1:.0f},{r.latency * 1000:.0f}"
            for r in sorted(moves, key=lambda r: r.t_sent) if r.latency), flush=True)
    wrong = [(i, why) for i, (s, r) in enumerate(zip(trainers, results)) if (why := trained_ok(s, r, i))]
    base_median = a.train_median_before
    rows += [Row(f"{n} trainings: first finished", "≤ 2000 ms", f"{done[0] * 1000:.0f} ms" if done else "none",
                 bool(done) and done[0] <= 2.0, "Train pressed → trained view (script_finished)"),
             Row(f"{n} trainings: median / p95 / last", f"median ≤ {base_median / 2:.2f} s",
                 f"{pct(done, .5):.2f} / {pct(done, .95):.2f} / {max(done, default=float('nan')):.2f} s",
                 bool(done) and pct(done, .5) <= base_median / 2,
                 f"half of {base_median:.1f} s, the median before the service"),
             Row(f"{n} trainings: finished correctly", f"{n}", f"{n - len(wrong)}", not wrong,
                 (f"session {wrong[0][0]}: {wrong[0][1]}"[:120] if wrong else "").replace("|", "/"))]
    rows += lat_rows(f"{len(others)} others' full reruns ('show the cell') meanwhile", moves, 0.3)
    await close_all(s for s, _ in opened)
    return rows + usage_rows(u)


async def sc_waves(base, pid, a, n, waves: int):
    rows, mb = [], 1 / 2**20
    u0 = usage(pid)
    rows.append(Row("before the first wave: RSS", "", f"{u0.rss * mb:.0f} MB", None,
                    f"children {u0.kids_rss * mb:.0f} MB"))
    rss = []
    for w in range(waves):
        opened = await open_sessions(base, n, HELLO, within=3.0, prefix=f"w{w}s")
        sessions = [s for s, r in opened if not r.errors]
        results = await asyncio.gather(*(train(s, w * n + i) for i, s in enumerate(sessions)))
        wrong = sum(bool(trained_ok(s, r, w * n + i)) for i, (s, r) in enumerate(zip(sessions, results)))
        wrong += n - len(sessions)
        await close_all(s for s, _ in opened)
        await asyncio.sleep(3.0)                          # the server drops the sessions
        u = usage(pid)
        rss.append(u.rss)
        lats = [r.latency for r in results if r.latency is not None]
        rows.append(Row(f"wave {w + 1}: {n} connect, train, leave: RSS after", "plateau",
                        f"{u.rss * mb:.0f} MB", None,
                        f"children {u.kids_rss * mb:.0f} MB; train p50 {pct(lats, .5):.1f} s; {wrong} failed"))
        print(f"  wave {w + 1}: RSS {u.rss * mb:.0f} MB (children {u.kids_rss * mb:.0f} MB), {wrong} failed", flush=True)
    if len(rss) >= 3:
        last2 = rss[-1] - rss[-3]
        rows.append(Row("memory plateaus: growth over the last 2 waves", "≤ 20 MB",
                        f"{last2 * mb:+.0f} MB (wave by wave: "
                        + ", ".join(f"{(b - a) * mb:+.0f}" for a, b in zip([u0.rss] + rss, rss)) + " MB)",
                        last2 <= 20 * 2**20, "Streamlit keeps up to 128 disconnected sessions for 120 s "
                        "(MemorySessionStorage; server.disconnectedSessionTTL)"))
    if a.after_ttl:
        print(f"  waiting {TTL_WAIT:.0f} s: past the disconnected sessions' TTL", flush=True)
        await asyncio.sleep(TTL_WAIT)
        probe = Session(base, HELLO, name="probe")     # a connection lets the session storage drop expired ones
        await probe.connect()
        await probe.rerun("open")
        await probe.close()
        await asyncio.sleep(3.0)
        u = usage(pid)
        rows.append(Row(f"{TTL_WAIT:.0f} s after the last wave (sessions expired): RSS", "", f"{u.rss * mb:.0f} MB",
                        None, f"children {u.kids_rss * mb:.0f} MB; freed memory need not go back to the OS"))
    return rows


async def settle(pid: int, at_least: float = 6.0, most: float = 60.0) -> str:
    """Wait until the training service has started after the warm-up's first training (4 s later) and its
    workers have imported torch: at least `at_least` s, then until the server's children use < 5 % of a core
    for 1 s (at most `most` s), as a lecturer's server would be when the class comes."""
    t0 = time.monotonic()
    await asyncio.sleep(at_least)
    last = usage(pid).kids_cpu
    while time.monotonic() - t0 < most:
        await asyncio.sleep(1.0)
        u = usage(pid)
        if u.n_kids and u.kids_cpu - last < 0.05:
            return f"settled after {time.monotonic() - t0:.0f} s ({u.n_kids} child processes)"
        last = u.kids_cpu
    return f"not settled after {most:.0f} s"


SCENARIOS = ("sliders-30", "sliders-100", "generate-30", "generate-100", "fragment-30", "open-100", "train-30", "waves")


async def run_scenario(name: str, a) -> tuple[list[Row], dict]:
    n_default = {"sliders-30": 30, "sliders-100": 100, "generate-30": 30, "generate-100": 100, "fragment-30": 30, "open-100": 100, "train-30": 30,
                 "waves": 30}[name]
    n = min(a.sessions or n_default, MAX_SESSIONS)
    profile = ""
    if a.profile:
        profile = a.profile if a.scenario != "all" else str(Path(a.profile).with_suffix(f".{name}.txt"))
    workers = os.environ.get("RNNVIZ_WORKERS", "").strip() or f"{os.cpu_count()} (one per core, the default)"
    info = {"load_before": load_text(True), "sessions": n, "workers": workers}
    with streamlit_server(profile=profile) as (base, proc):
        # a first visit warms the server as a lecturer's check would (imports, the default model, the Step page)
        warm = []
        for page in (HELLO, STEP):
            s = Session(base, page, name="warm")
            await s.connect()
            r = await s.rerun("open")
            warm.append(f"{page} {r.latency:.1f} s" + (f" ERR {r.errors}" if r.errors else ""))
            await s.close()
        info["warm"] = ", ".join(warm)
        info["settle"] = await settle(proc.pid)
        if name.startswith("sliders"):
            rows = await sc_sliders(base, proc.pid, a, n)
        elif name.startswith("generate"):
            rows = await sc_generate(base, proc.pid, a, n)
        elif name == "fragment-30":
            rows = await sc_fragment(base, proc.pid, a, n)
        elif name == "open-100":
            rows = await sc_open(base, proc.pid, a, n)
        elif name == "train-30":
            rows = await sc_train(base, proc.pid, a, n, movers=min(10, max(1, n // 3)))
        else:
            rows = await sc_waves(base, proc.pid, a, n, a.waves)
        await asyncio.sleep(1.2)                          # the server writes its counters every second
        rows.append(slot_row(read_slot_stats(proc.slot_stats_path), proc.log_path))
    info["load_after"] = load_text(True)
    return rows, info


def parse(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--scenario", default="all", choices=("all",) + SCENARIOS)
    p.add_argument("--sessions", type=int, default=0, help=f"sessions (0: the scenario's own; ≤ {MAX_SESSIONS})")
    p.add_argument("--seconds", type=float, default=30.0, help=f"how long sliders move (≤ {MAX_SECONDS})")
    p.add_argument("--think-min", type=float, default=1.0, help="seconds a session waits between moves, from")
    p.add_argument("--think-max", type=float, default=3.0, help="... to")
    p.add_argument("--waves", type=int, default=8, help="waves of the waves scenario (≤ 10)")
    p.add_argument("--no-after-ttl", dest="after_ttl", action="store_false",
                   help=f"waves: skip the last RSS sample {TTL_WAIT:.0f} s after the last wave")
    p.add_argument("--timeout", type=float, default=1200.0, help=f"hard limit for the whole run (≤ {MAX_TIMEOUT} s)")
    p.add_argument("--train-median-before", type=float, default=14.1,
                   help="median seconds of the 30 trainings before the service (bench_load, Dec 2026)")
    p.add_argument("--profile", default="", help="a file: the server runs under bench/server_profile.py's sampling "
                   "profiler and writes its table there (with --scenario all: one file per scenario)")
    p.add_argument("--out", default=str(ROOT / "bench" / "results" / "load.md"))
    a = p.parse_args(argv)
    if not 0 <= a.sessions <= MAX_SESSIONS:
        p.error(f"--sessions must be 0..{MAX_SESSIONS}")
    if not 1 <= a.seconds <= MAX_SECONDS:
        p.error(f"--seconds must be 1..{MAX_SECONDS}")
    if not 1 <= a.waves <= 10:
        p.error("--waves must be 1..10")
    if not 10 <= a.timeout <= MAX_TIMEOUT:
        p.error(f"--timeout must be 10..{MAX_TIMEOUT}")
    if not 0 <= a.think_min <= a.think_max <= 60:
        p.error("think times must be 0 <= min <= max <= 60")
    return a


async def main_async(a) -> list[tuple[str, list[Row], dict]]:
    out = []
    for name in (SCENARIOS if a.scenario == "all" else (a.scenario,)):
        print(f"\n== {name} (load {load_text(True)})", flush=True)
        try:
            rows, info = await run_scenario(name, a)
        except ProtocolError as e:
            rows, info = [Row("scenario", "runs", f"failed: {e}"[:300].replace("|", "/").replace("\n", " "), False)], {}
        print(markdown_table([r.as_dict() for r in rows]), flush=True)
        out.append((name, rows, info))
    return out


def main(argv=None) -> int:
    a = parse(argv)
    load0 = load1()
    try:
        results = asyncio.run(asyncio.wait_for(main_async(a), a.timeout))
    except asyncio.TimeoutError:
        print(f"bench_load: the whole run passed --timeout {a.timeout:.0f} s; stopped", file=sys.stderr)
        return 2
    body = []
    for name, rows, info in results:
        body.append(f"## {name}\n")
        if info:
            body.append(f"{info['sessions']} sessions; {info['workers']} training workers ($RNNVIZ_WORKERS); "
                        f"load average before {info['load_before']}, after {info['load_after']}; warm-up visits: "
                        f"{info['warm']}; training pool {info['settle']}\n")
        body.append(markdown_table([r.as_dict() for r in rows]) + "\n")
    notes = [f"sessions think {a.think_min:g}-{a.think_max:g} s between moves; moves for {a.seconds:g} s",
             "a session = one websocket client speaking Streamlit's BackMsg/ForwardMsg protocol (no browser); "
             "the bench's own clients run on the same CPUs as the server"]
    write_report(a.out, "Load: sessions over Streamlit's websocket protocol", "bench_load.py", argv, load0,
                 "\n".join(body), notes)
    failed = any(r.ok is False for _, rows, _ in results for r in rows)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
