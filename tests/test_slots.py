"""Run slots (rnnviz.service.slots) and the server's tuning (ui_server): at most n page runs compute at once,
first come first served; a run waiting for a training job or for another session's build gives its slot back;
Streamlit's methods that ui_server replaces are there, and events keep their order through the coalesced
wake-ups."""
from __future__ import annotations

import collections
import gc
import inspect
import threading
import time

import pytest

from rnnviz.service import slots as S
from tests.service_helpers import until


def _threads(n, target):
    ts = [threading.Thread(target=target, args=(i,), daemon=True) for i in range(n)]
    for t in ts:
        t.start()
    return ts


def _join(ts, timeout=10.0):
    for t in ts:
        t.join(timeout)
        assert not t.is_alive(), "a thread did not finish"


def _peak(slots, threads: int, holds: int, hold_s: float) -> int:
    """The most threads inside `slots.hold()` at once, with `threads` threads each holding `holds` times."""
    lock, now, peak = threading.Lock(), [0], [0]

    def run(i):
        for _ in range(holds):
            with slots.hold():
                with lock:
                    now[0] += 1
                    peak[0] = max(peak[0], now[0])
                time.sleep(hold_s)
                with lock:
                    now[0] -= 1
    _join(_threads(threads, run))
    return peak[0]


@pytest.mark.parametrize("n", [1, 2, 3])
def test_at_most_n_hold_a_slot_at_once(n):
    slots = S.RunSlots(n)
    assert _peak(slots, threads=8, holds=1, hold_s=0.02) == n and slots.busy == 0 and slots.waiting == 0 and slots.waited >= 8 - n


def test_waiting_runs_get_the_slot_in_the_order_they_came():
    slots = S.RunSlots(1, quantum_s=5.0)
    assert _queue_up(slots, [(i, False) for i in range(5)]) == [0, 1, 2, 3, 4]


def test_released_gives_the_slot_to_another_run_and_takes_one_back():
    slots = S.RunSlots(1)
    inside, other_ran, back = threading.Event(), threading.Event(), []

    def waiter():
        with slots.hold():
            assert slots.holding()
            with slots.released():                     # waiting for a job: another run computes meanwhile
                assert not slots.holding()
                inside.set()
                assert other_ran.wait(5)
            back.append(slots.holding())
    w = threading.Thread(target=waiter, daemon=True)
    w.start()
    assert inside.wait(5)

    def other():
        with slots.hold():
            assert slots.holding()
            other_ran.set()
    o = threading.Thread(target=other, daemon=True)
    o.start()
    _join([w, o])
    assert back == [True] and slots.busy == 0


def test_nested_holds_take_one_slot_and_released_without_a_slot_does_nothing():
    slots = S.RunSlots(1)
    with slots.released():                              # this thread holds none: nothing to give back
        assert not slots.holding() and slots.busy == 0
    with slots.hold():
        with slots.hold():
            assert slots.busy == 1
        assert slots.holding() and slots.busy == 1
    assert slots.busy == 0 and not slots.holding()


def test_a_run_that_waits_too_long_goes_ahead_without_a_slot_and_never_returns_one_it_lacks(caplog):
    slots = S.RunSlots(1, wait_s=0.1)
    release = threading.Event()

    def stuck():
        with slots.hold():
            release.wait(5)
    s = threading.Thread(target=stuck, daemon=True)
    s.start()
    until(lambda: slots.busy == 1)
    t0 = time.monotonic()
    with slots.hold():
        assert not slots.holding()                     # went ahead: it holds nothing, so gives nothing back
        assert 0.08 < time.monotonic() - t0 < 2
    assert slots.timeouts == 1 and slots.waiting == 0 and slots.busy == 1
    with slots.hold():                                  # a second one within the minute: counted, not logged again
        pass
    said = [r for r in caplog.records if r.name == S.__name__]
    assert len(said) == 1 and said[0].levelname == "WARNING" and "went ahead without one (1 so far" in said[0].message
    assert slots.stats() == {"runs": 3, "waited": 2, "work_waited": 0, "demoted": 0, "timeouts": 2, "max_waiting": 1,
                             "busy": 1, "waiting": 0}
    release.set()
    _join([s])
    assert slots.busy == 0
    with slots.hold():                                  # the slot is whole again
        assert slots.holding()


def test_an_error_in_a_run_gives_its_slot_back():
    slots = S.RunSlots(1)
    with pytest.raises(RuntimeError):
        with slots.hold():
            raise RuntimeError("the page failed")
    assert slots.busy == 0
    with pytest.raises(KeyError):
        with slots.hold():
            with slots.released():
                raise KeyError("while waiting")
    assert slots.busy == 0 and not slots.holding()


@pytest.mark.parametrize("raw, n", [("", S.DEFAULT_SLOTS), (" 3 ", 3), ("0", None), ("64", 64)])
def test_slots_from_the_environment(raw, n):
    got = S.slots_from_env({"RNNVIZ_RUN_SLOTS": raw})
    assert (got is None) if n is None else got.n == n


@pytest.mark.parametrize("raw, s", [("", S.DEFAULT_WORK_DEFER_S), ("0", 0.0), (" 0.5 ", 0.5), ("60", 60.0)])
def test_the_work_deferral_from_the_environment(raw, s):
    assert S.slots_from_env({"RNNVIZ_WORK_DEFER_S": raw}).work_defer_s == s


@pytest.mark.parametrize("raw", ["-1", "61", "nan", "inf", "soon"])
def test_a_bad_work_deferral_is_refused_with_its_name(raw):
    with pytest.raises(ValueError, match="RNNVIZ_WORK_DEFER_S"):
        S.slots_from_env({"RNNVIZ_WORK_DEFER_S": raw})


@pytest.mark.parametrize("raw", ["-1", "65", "two", "1.5"])
def test_a_bad_slot_count_is_refused_with_its_name(raw):
    with pytest.raises(ValueError, match="RNNVIZ_RUN_SLOTS"):
        S.slots_from_env({"RNNVIZ_RUN_SLOTS": raw})
    for bad in (0, 65, True, 1.0):
        with pytest.raises(ValueError, match="run slots"):
            S.RunSlots(bad)
    for bad in (0, -1, float("nan"), float("inf"), "1"):
        with pytest.raises(ValueError, match="quantum_s"):
            S.RunSlots(1, quantum_s=bad)
        with pytest.raises(ValueError, match="wait_s"):
            S.RunSlots(1, wait_s=bad)


@pytest.fixture
def server_slots(monkeypatch):
    slots = S.RunSlots(1)
    monkeypatch.setattr(S, "_SLOTS", slots)
    monkeypatch.setattr(S, "_SLOTS_SET", True)
    return slots


def test_a_session_waiting_for_anothers_shared_build_gives_its_slot_back(server_slots):
    """SharedCache.get_or_build: the waiter holds no slot while another run builds, so a builder that itself
    waits (for its training job, its slot given back) takes a slot again at once: no deadlock with one slot."""
    from rnnviz.app.cache import SharedCache
    cache, slots = SharedCache(4), server_slots
    building, waiter_in, seen, got = threading.Event(), threading.Event(), {}, []

    def build():
        building.set()
        with S.released():                          # as run_job does while the job trains
            assert waiter_in.wait(5)
            until(lambda: slots.busy == 0)        # the waiter, waiting for this build, gave its slot back
            t0 = time.monotonic()
        seen["back"], seen["s"] = slots.holding(), time.monotonic() - t0
        return {"v": 1}

    def builder(i):
        with slots.hold():
            got.append(cache.get_or_build("k", build))

    def waiter(i):
        assert building.wait(5)
        with slots.hold():
            waiter_in.set()
            got.append(cache.get_or_build("k", lambda: {"v": 2}))
    _join(_threads(1, builder) + _threads(1, waiter))
    assert seen["back"] and seen["s"] < 1.0 and slots.timeouts == 0 and slots.busy == 0
    assert sorted(got, key=lambda g: g[1]) == [({"v": 1}, False), ({"v": 1}, True)]   # the waiter took its value


def test_a_run_waiting_for_its_training_job_gives_its_slot_back(server_slots):
    """rnnviz.service.run: while the job trains (svc.wait), the run holds no slot; it holds one again to rebuild."""
    from rnnviz.service.pool import JobStatus
    from rnnviz.service.run import run_job
    slots, seen = server_slots, {}

    class Service:
        def submit(self, session, kind, payload, deadline_s=None):
            return JobStatus(id=1, session=session, kind=kind, state="waiting", position=1)

        def wait(self, job_id, on_change=None, timeout=None):
            seen["waiting_holds"] = slots.holding()
            with slots.hold():                          # another session's run computes meanwhile
                seen["other_ran"] = True
            return JobStatus(id=1, session="s", kind="hello", state="done", result={"ok": 1})

        def collect(self, job_id):
            pass

        def active(self, session):
            return None

    with slots.hold():
        out = run_job("hello", {}, lambda r: (r, slots.holding()), session="s", service=Service())
    assert out == ({"ok": 1}, True) and seen == {"waiting_holds": False, "other_ran": True}


# ---- ui_server: Streamlit's methods it replaces -------------------------------------------------------------
def test_the_streamlit_methods_ui_server_replaces_are_there_with_the_signatures_it_uses():
    import ui_server
    from streamlit.runtime.app_session import AppSession
    from streamlit.runtime.runtime import Runtime
    from streamlit.runtime.scriptrunner.script_runner import ScriptRunner
    ui_server.tune()
    plain = {f.__qualname__: f for f in ui_server._PLAIN}
    ev = plain.get("AppSession._on_scriptrunner_event") or AppSession._on_scriptrunner_event
    assert list(inspect.signature(ev).parameters) == ["self", "sender", "event", "forward_msg", "exception",
                                                       "client_state", "page_script_hash", "fragment_ids_this_run",
                                                       "pages", "run_descriptor"]
    assert list(inspect.signature(AppSession._on_scriptrunner_event).parameters) == \
        list(inspect.signature(ev).parameters)
    for name in ("_call_soon_on_event_loop", "_handle_scriptrunner_event_on_event_loop"):
        assert callable(getattr(AppSession, name))
    assert callable(Runtime._get_async_objs) and callable(getattr(ScriptRunner, "_run_script"))
    n = len(ui_server._PLAIN)
    ui_server.tune()
    ui_server.coalesce_wakeups()
    ui_server.limit_runs()
    assert len(ui_server._PLAIN) == n                  # installed once


class _FakeSession:
    """What the patched `_on_scriptrunner_event` uses of an AppSession: a loop to call soon on, and the handler."""

    def __init__(self):
        self.soon, self.handled = collections.deque(), []
        self._lock = threading.Lock()

    def _call_soon_on_event_loop(self, cb):
        with self._lock:
            self.soon.append(cb)

    def _handle_scriptrunner_event_on_event_loop(self, sender, event, *rest):
        if event == "boom":
            raise RuntimeError("a failing event")
        self.handled.append((sender, event))


def test_coalesced_events_arrive_all_in_order_with_one_wakeup_per_batch():
    import ui_server
    from streamlit.runtime.app_session import AppSession
    ui_server.tune()
    patched = AppSession._on_scriptrunner_event
    s = _FakeSession()
    for i in range(5):
        patched(s, "runner", f"e{i}")
    assert len(s.soon) == 1                              # one wake-up for the five
    s.soon.popleft()()
    assert s.handled == [("runner", f"e{i}") for i in range(5)]
    patched(s, "runner", "boom")                         # a failing event is logged; the next ones still go
    patched(s, "runner", "after")
    s.soon.popleft()()
    assert s.handled[-1] == ("runner", "after") and not s.soon

    s2, stop = _FakeSession(), threading.Event()        # producers while the loop drains: nothing lost or reordered

    def loop():
        while not stop.is_set() or s2.soon:
            if s2.soon:
                s2.soon.popleft()()
            else:
                time.sleep(0.0005)
    lt = threading.Thread(target=loop, daemon=True)
    lt.start()

    def produce(k):
        for i in range(300):
            patched(s2, f"r{k}", i)
    _join(_threads(3, produce))
    until(lambda: len(s2.handled) == 900)
    stop.set()
    _join([lt])
    for k in range(3):
        assert [e for r, e in s2.handled if r == f"r{k}"] == list(range(300))


def test_the_replaced_methods_stay_alive_for_the_signals_connected_before():
    """Streamlit's signals hold receivers weakly (blinker): a run that started before tune() (the first page run
    of a server) is connected to the plain `_on_scriptrunner_event`, and loses its events (its first view hung)
    unless the plain function stays alive. ui_server keeps it; a signal connected to it still delivers."""
    import ui_server
    from streamlit.runtime.app_session import AppSession
    from streamlit.signal_util import Signal
    ui_server.tune()
    plain = [f for f in ui_server._PLAIN if getattr(f, "__qualname__", "") == "AppSession._on_scriptrunner_event"]
    assert plain and plain[0] is not AppSession._on_scriptrunner_event
    class Bare(AppSession):                             # none of a session's set-up: only the binding matters here
        def __init__(self):
            pass

        def __del__(self):
            pass
    session = Bare()
    kept = Signal()
    kept.connect(plain[0].__get__(session))             # as a runner made before tune() is connected
    gc.collect()
    assert kept.has_receivers()

    class Runner:                                       # and why: a replaced function nobody keeps is dropped
        def on_event(self, sender, **kw):
            pass
    r, lost = Runner(), Signal()
    lost.connect(r.on_event)
    Runner.on_event = lambda self, sender, **kw: None
    gc.collect()
    assert not lost.has_receivers()


def test_a_long_run_delays_the_runs_behind_it_by_about_one_quantum_and_then_runs_beside_them():
    slots = S.RunSlots(1, quantum_s=0.1)
    started, done, waited = threading.Event(), threading.Event(), []

    def long_run(i):
        with slots.hold():
            started.set()
            done.wait(5)                                 # a long computation (torch's first import, a big trace)

    def short_run(i):
        t0 = time.monotonic()
        with slots.hold():
            waited.append(time.monotonic() - t0)
            assert slots.holding() and slots.busy == 1   # counted: the long run no longer is
    lt = _threads(1, long_run)
    assert started.wait(5)
    _join(_threads(1, short_run))
    assert 0.05 < waited[0] < 0.6 and slots.demoted == 1 and slots.timeouts == 0
    assert slots.busy == 0                               # the long run still goes on, uncounted
    done.set()
    _join(lt)
    assert slots.busy == 0 and slots.waiting == 0        # its end gives back nothing it no longer had
    with slots.hold():
        assert slots.busy == 1


def test_a_long_run_alone_keeps_its_slot():
    slots = S.RunSlots(1, quantum_s=0.05)
    with slots.hold():
        time.sleep(0.15)                                 # nobody waits: nothing to hand over
        assert slots.busy == 1
    assert slots.demoted == 0 and slots.busy == 0


def test_short_runs_keep_the_bound_even_with_a_quantum():
    """Runs shorter than the quantum are never demoted: at most n compute at once."""
    slots = S.RunSlots(2, quantum_s=1.0)
    assert _peak(slots, threads=10, holds=5, hold_s=0.005) == 2 and slots.demoted == 0


def _queue_up(slots, specs):
    """While one run holds the only slot, queue runs `specs` ([(name, work)] or [(name, work, pause_s)]: a pause
    before that one comes), one by one, in that order; return the order in which they got the slot."""
    order, first, go = [], threading.Event(), threading.Event()

    def holder():
        with slots.hold():
            first.set()
            go.wait(5)
    h = threading.Thread(target=holder, daemon=True)
    h.start()
    assert first.wait(5)
    ts = []
    for i, (name, work, *pause) in enumerate(specs):
        def run(name=name, work=work):
            with slots.hold(work=work):
                order.append(name)
        time.sleep(pause[0] if pause else 0.0)
        ts.append(threading.Thread(target=run, daemon=True))
        ts[-1].start()
        until(lambda: slots.waiting == i + 1)
    go.set()
    _join([h, *ts])
    return order


def test_runs_that_start_work_are_served_after_the_slider_moves_that_came_with_them():
    """30 students press Train at once, then somebody moves a slider: the slider's run goes next, the Train runs
    after it, in the order they came."""
    slots = S.RunSlots(1, quantum_s=5.0)
    order = _queue_up(slots, [("train0", True), ("train1", True), ("train2", True), ("move0", False),
                              ("train3", True), ("move1", False)])
    assert order == ["move0", "move1", "train0", "train1", "train2", "train3"]
    st = slots.stats()
    assert (st["runs"], st["waited"], st["work_waited"], st["max_waiting"], st["busy"], st["waiting"]) == (7, 6, 4, 6, 0, 0)


def test_a_deferred_run_is_due_and_served_before_runs_that_came_later_than_its_deferral():
    """A deadline, not a class: a Train run is never starved by a stream of slider moves."""
    slots = S.RunSlots(1, quantum_s=5.0, work_defer_s=0.1)
    assert _queue_up(slots, [("train", True), ("move", False, 0.2)]) == ["train", "move"]   # past its due time


def test_a_work_run_takes_a_free_slot_at_once_and_its_retake_after_released_is_not_deferred():
    slots = S.RunSlots(1, work_defer_s=60.0)
    t0 = time.monotonic()
    with slots.hold(work=True):
        assert slots.busy == 1 and time.monotonic() - t0 < 1.0
        with slots.released():                          # waits for its job: the slot goes to others
            pass
        assert slots.busy == 1
    assert slots.busy == 0 and slots.timeouts == 0


@pytest.mark.parametrize("kw", [{"work_defer_s": -1}, {"work_defer_s": float("nan")}, {"work_defer_s": "1"},
                                {"quantum_s": 0}, {"wait_s": float("inf")}])
def test_bad_slot_timings_are_refused_with_their_name(kw):
    with pytest.raises(ValueError, match=next(iter(kw))):
        S.RunSlots(1, **kw)


def _rerun(*states):
    from streamlit.proto.WidgetStates_pb2 import WidgetState, WidgetStates
    from streamlit.runtime.scriptrunner_utils.script_requests import RerunData
    ws = WidgetStates()
    for wid, kind, value in states:
        ws.widgets.append(WidgetState(id=wid, **{kind: value}))
    return RerunData(widget_states=ws)


def test_a_rerun_starts_work_only_when_a_work_buttons_trigger_is_set():
    import ui_server
    assert ui_server.work_key("test.slots_go") == "test.slots_go"
    go = "$$ID-0123abcd-test.slots_go"
    assert ui_server.starts_work(_rerun((go, "trigger_value", True), ("$$ID-99-hello.hidden", "double_value", 8.0)))
    assert not ui_server.starts_work(_rerun((go, "trigger_value", False)))            # sent, not pressed
    assert not ui_server.starts_work(_rerun(("$$ID-0123abcd-step.next", "trigger_value", True)))   # not work
    assert not ui_server.starts_work(_rerun(("$$ID-0123abcd-xtest.slots_go", "trigger_value", True)))
    assert not ui_server.starts_work(_rerun(("$$ID-99-hello.hidden", "double_value", 8.0)))
    from streamlit.runtime.scriptrunner_utils.script_requests import RerunData
    assert not ui_server.starts_work(RerunData())                                     # a first view
    for bad in ("", "a-b", None):
        with pytest.raises(ValueError, match="work button"):
            ui_server.work_key(bad)


@pytest.mark.parametrize("page, query, key", [("pages/1_Hello_Playground.py", {}, "hello.train"),
                                              ("pages/3_Vanishing_Gradients.py", {"tab": "training"}, "vg.train_go"),
                                              ("pages/3_Vanishing_Gradients.py", {"tab": "exploding"}, "vg.explode_go"),
                                              ("pages/4_Sequence_Tasks.py", {}, "lab.go")])
def test_the_pages_train_buttons_are_work_buttons_and_their_ids_end_with_their_key(page, query, key):
    """What `starts_work` relies on: Streamlit makes a keyed button's id end with '-' + its key (a form's submit
    button too), and the page declared the key when it drew the button."""
    import ui_server
    from tests.apptest import open_page
    at = open_page(page, timeout=120, **query)
    assert not at.exception
    button = at.button(key=key)
    assert button.id.endswith("-" + key) and key in ui_server._WORK_KEYS
    assert ui_server.starts_work(_rerun((button.id, "trigger_value", True)))


def test_the_server_writes_its_slot_counters_for_the_bench_and_monitoring(tmp_path, monkeypatch, server_slots):
    import json

    import ui_server
    monkeypatch.setattr(ui_server, "_INSTALLED", set())
    path, stop = tmp_path / "slots.json", threading.Event()
    with server_slots.hold():
        pass
    thread = ui_server.report_slots(str(path), every_s=0.02, stop=stop)
    try:
        assert thread is not None and thread.daemon
        until(lambda: path.exists())
        with server_slots.hold():
            until(lambda: json.loads(path.read_text())["busy"] == 1)     # replaced whole: never half a file
        got = json.loads(path.read_text())
        assert got["runs"] == 2 and got["timeouts"] == 0 and got["at"] > 0
        assert ui_server.report_slots(str(path)) is None                   # once per process
    finally:
        stop.set()
        thread.join(5)
    assert not thread.is_alive()
    monkeypatch.setattr(ui_server, "_INSTALLED", set())
    monkeypatch.delenv("RNNVIZ_SLOT_STATS", raising=False)
    assert ui_server.report_slots() is None                                 # nothing asked: no thread


def test_the_load_bench_reports_the_slot_counters(tmp_path):
    from tests.test_bench_load import B                  # bench/ on the path, as that file puts it
    assert B.read_slot_stats(tmp_path / "none.json") is None
    assert B.slot_row(None).measured == "no counters"
    log = tmp_path / "server.log"
    log.write_text("x went ahead without one (1 so far ...\n")
    row = B.slot_row({"runs": 10, "waited": 4, "work_waited": 2, "demoted": 1, "timeouts": 1, "max_waiting": 3,
                      "busy": 0, "waiting": 0}, log)
    assert row.measured == "10 / 4 (2) / 1" and "longest queue 3" in row.note and "1 (logged 1)" in row.note
