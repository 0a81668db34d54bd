"""A closed tab cancels its session's training job on the server's training service (issue #14).

The server runs with a service (tests/e2e/harness.py: RNNVIZ_WORKERS=2). Its worker processes are the
server's session's other processes (the server is started in a session of its own), so the CPU time they
use shows whether a job still trains: a length sweep (up to two minutes) trains on a worker while its tab
is open, and the workers go idle within a few seconds after the tab is closed."""
from __future__ import annotations

import os
import time
from pathlib import Path
from urllib.parse import urlparse

from playwright.sync_api import expect

from tests.e2e import harness as H

TICK = os.sysconf("SC_CLK_TCK")


def _server_pid(base: str) -> int:
    port = str(urlparse(base).port)
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            args = (d / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"streamlit" in b" ".join(args) and b"--server.port" in args and port.encode() in args:
            return int(d.name)
    raise AssertionError(f"no streamlit server on port {port}")


def _helpers(sid: int) -> dict[int, float]:
    """CPU seconds of every process of the server's session but the server itself (the fork server, the workers)."""
    out = {}
    for d in Path("/proc").iterdir():
        if not d.name.isdigit() or int(d.name) == sid:
            continue
        try:
            fields = (d / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == sid:                               # field 6 of stat: the session id
            out[int(d.name)] = (int(fields[11]) + int(fields[12])) / TICK
    return out


def _cpu(sid: int) -> float:
    return sum(_helpers(sid).values())


def test_closing_the_tab_cancels_its_training_job(server, browser, page):
    sid = _server_pid(server)
    H.goto(page, H.hello_url(server))                           # a first training starts the service soon after
    H.wait_for_hello(page)
    end = time.monotonic() + 90
    while len(_helpers(sid)) < 3:                               # the fork server and two workers
        assert time.monotonic() < end, "the training service's workers did not start"
        page.wait_for_timeout(200)
    page.wait_for_timeout(4000)                                 # each worker imports torch, then says it is ready

    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    tab = context.new_page()
    H.goto(tab, f"{server}/Vanishing_Gradients?tab=tasks")
    tab.get_by_role("button", name="Run the sweep").click()
    expect(tab.get_by_role("button", name="Stop")).to_be_visible()
    c0 = _cpu(sid)
    tab.wait_for_timeout(2000)
    busy = _cpu(sid) - c0
    assert busy > 0.5, f"the sweep does not train on a worker ({busy:.2f} s of worker CPU in 2 s)"

    context.close()                                             # the tab is gone
    page.wait_for_timeout(4000)                                 # probe (0.5 s), cancel, the run stops at its next step
    c2 = _cpu(sid)
    page.wait_for_timeout(2000)
    idle = _cpu(sid) - c2
    assert idle < 0.2, f"the workers still train after the tab closed ({idle:.2f} s of CPU in 2 s)"
