"""The server's own tuning for a class on one Streamlit process, installed by the first page run (`tune()`).

Streamlit runs every session's script in a thread of its own and sends every session's messages from one
event loop, all under one GIL. Under load (bench/bench_load.py: 100 sessions rerunning the Hello page) the
sampling profile of the server showed the time going to system calls, not to the pages: each system call
gives the GIL away, and getting it back means waiting behind every other runnable thread. Per element a
page draws, Streamlit made two of them to wake its own event loop (`loop.call_soon_threadsafe` writes a
byte to the loop's self-pipe): one from the script thread, to hand the element over, and one from the event
loop itself, to tell itself there is something to send. The loop spent 54 % of its busy samples in that
second write, and script runs 30 % in the first.

- `coalesce_wakeups`: a session's script-runner events go to the event loop through a queue of its own,
  with one wake-up per batch (the first event of a batch schedules the drain; the ones that come while it
  is scheduled join it), in their order. The event loop, telling itself to send, sets its event directly.
- `limit_runs`: every script run holds one of the server's run slots (`rnnviz.service.slots`). A run that a
  press of a work button started (`work_key`: Train, Compare, ...) is due later than the slider moves that came
  with it, so 30 students pressing Train at once do not hold up everybody else's next slider move.
- `report_slots`: with $RNNVIZ_SLOT_STATS set, the run slots' counters go to that file every second (JSON).

These patch three methods of Streamlit 1.67 (the lock pins it): `AppSession._on_scriptrunner_event`,
`Runtime._enqueued_some_message` and `ScriptRunner._run_script`; tests/test_slots.py checks they are
there with the signatures used here, that the patched ones are installed once, and that messages keep their
order. $RNNVIZ_TUNING=0 leaves Streamlit as it is (for A/B runs).
"""
from __future__ import annotations

import asyncio
import collections
import json
import logging
import os
import threading
import time

_LOG = logging.getLogger("rnnviz.server")
_INSTALLED: set[str] = set()
_INSTALL_LOCK = threading.Lock()
_PLAIN: list = []          # the methods replaced here, kept alive
_WORK_KEYS: set[str] = set()   # the keys of buttons whose press starts long work (`work_key`)


def work_key(key: str) -> str:
    """Declare that pressing the button with this key starts long work (a training) and return the key: the run
    such a press starts is due `RunSlots.work_defer_s` later than the runs of slider moves sent with it."""
    if not isinstance(key, str) or not key or "-" in key:
        raise ValueError(f"a work button's key must be a non-empty string without '-', not {key!r}")
    _WORK_KEYS.add(key)
    return key


def starts_work(rerun_data) -> bool:
    """Whether a rerun request was sent by pressing a work button: its widget states hold a trigger that is set,
    for a widget whose id ends with a work key (Streamlit makes a keyed widget's id end with '-' + its key)."""
    states = getattr(rerun_data, "widget_states", None)
    if states is None or not _WORK_KEYS:
        return False
    for ws in states.widgets:
        if ws.WhichOneof("value") == "trigger_value" and ws.trigger_value:
            key = ws.id.rpartition("-")[2]
            if key in _WORK_KEYS:
                return True
    return False


def tune() -> None:
    """Install the server's tuning once per process (every page calls it first; later calls cost a set lookup)."""
    if "done" in _INSTALLED:
        return
    with _INSTALL_LOCK:
        if "done" in _INSTALLED:
            return
        if os.environ.get("RNNVIZ_TUNING", "1").strip() != "0":
            coalesce_wakeups()
        limit_runs()
        report_slots()
        _INSTALLED.add("done")


def coalesce_wakeups() -> None:
    """See the module's docstring."""
    if "wakeups" in _INSTALLED:
        return
    from streamlit.runtime.app_session import AppSession
    from streamlit.runtime.runtime import Runtime

    def _on_scriptrunner_event(self, sender, event, forward_msg=None, exception=None, client_state=None,
                               page_script_hash=None, fragment_ids_this_run=None, pages=None, run_descriptor=None):
        args = (sender, event, forward_msg, exception, client_state, page_script_hash, fragment_ids_this_run,
                pages, run_descriptor)
        box = self.__dict__.get("_rnnviz_events")
        if box is None:
            box = self.__dict__.setdefault("_rnnviz_events", (threading.Lock(), collections.deque()))
        lock, queue = box
        with lock:
            queue.append(args)
            first = len(queue) == 1
        if first:                                   # a drain is not scheduled yet: schedule one
            self._call_soon_on_event_loop(lambda: _drain(self, lock, queue))

    def _drain(session, lock, queue) -> None:
        while True:
            with lock:
                if not queue:
                    return
                args = queue[0]
            done = False
            try:
                session._handle_scriptrunner_event_on_event_loop(*args)
                done = True
            except Exception:  # noqa: BLE001 - as asyncio would: logged, the next events still go
                _LOG.exception("a script-runner event failed on the event loop")
                done = True
            finally:
                with lock:
                    queue.popleft()                  # only now: an event coming meanwhile joins this drain
                    more = bool(queue)
                if not done and more:                # leaving on a BaseException: the rest in a drain of its own
                    session._call_soon_on_event_loop(lambda: _drain(session, lock, queue))

    def _enqueued_some_message(self) -> None:
        objs = self._get_async_objs()
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is objs.eventloop:               # on the event loop already: no wake-up needed
            objs.need_send_data.set()
        else:
            objs.eventloop.call_soon_threadsafe(objs.need_send_data.set)

    # Streamlit's signals hold their receivers weakly (blinker): the plain method must stay alive for the runs
    # that connected it before this patch (the first page run's own events would be dropped otherwise).
    _PLAIN.extend([AppSession._on_scriptrunner_event, Runtime._enqueued_some_message])
    AppSession._on_scriptrunner_event = _on_scriptrunner_event
    Runtime._enqueued_some_message = _enqueued_some_message
    _INSTALLED.add("wakeups")


def limit_runs() -> None:
    """Make every script run of this server (full and fragment reruns alike) hold one of its run slots
    (`rnnviz.service.slots`: $RNNVIZ_RUN_SLOTS) while it computes, around Streamlit's `ScriptRunner._run_script`
    (the method each script thread calls once per run)."""
    if "slots" in _INSTALLED:
        return
    from rnnviz.service.slots import server_slots
    from streamlit.runtime.scriptrunner import script_runner
    slots = server_slots()
    if slots is not None:
        runner = script_runner.ScriptRunner
        plain = runner._run_script
        _PLAIN.append(plain)

        def _run_script(self, rerun_data):
            with slots.hold(work=starts_work(rerun_data)):
                return plain(self, rerun_data)
        runner._run_script = _run_script
    _INSTALLED.add("slots")


SLOT_STATS_EVERY_S = 1.0


def report_slots(path: str | None = None, every_s: float = SLOT_STATS_EVERY_S,
                 stop: threading.Event | None = None) -> threading.Thread | None:
    """With $RNNVIZ_SLOT_STATS set to a file's path (or `path`): write the run slots' counters there as JSON
    (`RunSlots.stats()` and the time), every `every_s` seconds, from a daemon thread, replacing the file whole
    each time (for bench/bench_load.py and for monitoring). Returns the thread, or None when there is nothing to
    report (no path, or no run slots). `stop`: set, the thread ends (tests)."""
    from rnnviz.service.slots import server_slots
    path = path or os.environ.get("RNNVIZ_SLOT_STATS", "").strip()
    slots = server_slots()
    if not path or slots is None or "slot_stats" in _INSTALLED:
        return None
    _INSTALLED.add("slot_stats")
    tmp, stop = f"{path}.tmp", stop or threading.Event()

    def write() -> None:
        while not stop.is_set():
            try:
                with open(tmp, "w") as f:
                    json.dump(dict(slots.stats(), at=time.time()), f)
                os.replace(tmp, path)
            except OSError as e:                        # a monitoring file must never stop the server
                _LOG.warning("could not write the run slots' counters to %s: %s", path, e)
                return
            stop.wait(every_s)
    thread = threading.Thread(target=write, name="rnnviz-slot-stats", daemon=True)
    thread.start()
    return thread
