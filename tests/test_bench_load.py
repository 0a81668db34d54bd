"""bench/bench_load.py's protocol client against a real `streamlit run` server (so the load bench cannot
silently rot): two sessions open Hello, find its widgets in the deltas, rerun in full (a form submit), and
one session moves the Step page's cursor as a fragment rerun; the bench's table reports numbers."""
from __future__ import annotations

import asyncio
import concurrent.futures
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"
if str(BENCH) not in sys.path:
    sys.path.insert(0, str(BENCH))

import bench_load as B  # noqa: E402


def test_bounds_are_enforced():
    for bad in (["--sessions", str(B.MAX_SESSIONS + 1)], ["--seconds", "0"], ["--seconds", str(B.MAX_SECONDS + 1)],
                ["--timeout", str(B.MAX_TIMEOUT + 1)], ["--waves", "11"], ["--think-min", "3", "--think-max", "1"]):
        with pytest.raises(SystemExit):
            B.parse(bad)
    a = B.parse(["--scenario", "fragment-30", "--sessions", "2", "--seconds", "3"])
    assert (a.scenario, a.sessions, a.seconds) == ("fragment-30", 2, 3.0)


@pytest.mark.slow
def test_client_drives_a_real_server(monkeypatch):
    monkeypatch.setenv("RNNVIZ_WORKERS", "0")          # in-process training: no worker processes to start

    async def drive(base, pid):
        opened = await B.open_sessions(base, 2, B.HELLO, within=0.5)
        sessions = [s for s, _ in opened]
        try:
            for s, r in opened:
                assert not r.errors and not s.errors, (r.errors, s.errors)
                assert r.status == "FINISHED_SUCCESSFULLY"
                assert r.success_alerts, "the first visit trains the default model and says so"
                assert r.charts >= 2 and 0 < r.first_delta <= r.latency
                assert s.page_script_hash and "seed=0" in s.query      # from navigation / page_info_changed
                assert {"hello.gen_n", "hello.seed", "hello.steps"} <= set(s.widgets)
                assert B.form_submit(s, "hello.gen_form") != B.form_submit(s, "hello.form")
            assert {"hello.show_cell", "hello.prime"} <= set(s.widgets)
            moves = [await B.cell_move(s, i) for s in sessions for i in range(2)]
            assert all(m.kind == "full" and m.status == "FINISHED_SUCCESSFULLY" and not m.errors for m in moves)
            assert all(m.charts >= 2 for m in moves)                    # the whole page again (cached refs resolved)
            assert moves[0].charts == moves[1].charts + 1               # the toggle on: the cell's figure too
            assert sum(s.cache_hits for s in sessions) > 0              # the server sent references, as to a browser
            gens = [await B.gen_move(sessions[0], i) for i in range(2)]
            for g in gens:                                              # Generate reruns its fragment, nothing else
                assert g.kind == "fragment" and g.status == "FINISHED_FRAGMENT_RUN_SUCCESSFULLY" and not g.errors
                assert g.charts == 0 and not g.success_alerts and "code" in g.kinds, g.kinds
                assert len(g.kinds) < moves[0].kinds.__len__() / 2
            assert "gen=17" in sessions[0].query and "prime=h" in sessions[0].query   # the sample's settings
            trained = await B.train(sessions[0], 7, steps=30)
            assert B.trained_ok(sessions[0], trained, 7, steps=30) == ""
            assert B.trained_ok(sessions[1], moves[-1], 7, steps=30) != ""   # the other one did not train seed 7
            step = (await B.open_sessions(base, 1, B.STEP, within=0))[0][0]
            sessions.append(step)
            frag = [await B.step_move(step, i) for i in range(2)]
            assert all(f.status == "FINISHED_FRAGMENT_RUN_SUCCESSFULLY" and not f.errors for f in frag)
            assert step.widget("step.t").fragment_id
            assert "t=" in step.query                                   # the fragment run set ?t=
            return moves + frag
        finally:
            await B.close_all(sessions)

    with B.streamlit_server() as (base, proc):
        # in a thread of its own: after the browser tests, Playwright's sync API keeps an event loop running in
        # this one, and asyncio.run refuses to start another there
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            runs = pool.submit(asyncio.run, asyncio.wait_for(drive(base, proc.pid), 60)).result()
        u = B.usage(proc.pid)
    rows = B.lat_rows("moves", runs, 10.0) + B.usage_rows({"wall": 1.0, "cpu": u.cpu, "cpu_pct": 1.0, "kids_cpu": 0.0,
                                                           "kids_pct": 0.0, "rss": u.rss, "rss_peak": u.rss,
                                                           "kids_rss": 0, "kids_rss_peak": 0, "n_kids": 0})
    assert rows[0].measured.endswith(" ms") and "nan" not in rows[0].measured and rows[1].measured == "0"
    assert u.cpu > 0 and u.rss > 50 * 2**20                              # /proc sampling found the server
    assert proc.poll() is not None                                       # the server is gone after the block
