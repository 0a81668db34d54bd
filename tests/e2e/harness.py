"""Browser-test harness: start the Streamlit app on a free port, launch Debian's chromium through
Playwright, and wait for Streamlit to finish running a script.

Used by tests/e2e/conftest.py and bench/bench_browser.py. Never run `playwright install`: the tests
use the system chromium (`apt-get install -y chromium fonts-nanum`).
"""
from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]          # the repository root (app.py lives here)
ARTIFACTS = ROOT / "tests" / "e2e" / "artifacts"    # screenshots (gitignored)

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]

# Streamlit's own test ids / attributes (see streamlit's e2e_playwright conftest `wait_for_app_run`).
APP = '[data-testid="stApp"]'
STATUS_RUNNING = '[data-testid="stStatusWidget"] [data-testid="stStatusWidgetRunningIcon"]'


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _health_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            return r.status == 200 and r.read().decode(errors="replace").strip() == "ok"
    except (urllib.error.URLError, OSError, ValueError):
        return False


class ServerError(RuntimeError):
    pass


@contextlib.contextmanager
def start_server(port: int | None = None, timeout: float = 60.0):
    """Run `streamlit run app.py` from the repo root; yields (base_url, seconds from start to health ok).

    The server runs in its own process group, which is killed on exit. Its output goes to a temp file
    and is included in the error if the health check does not pass within `timeout` seconds."""
    port = port or free_port()
    cmd = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.address", "127.0.0.1",
           "--server.port", str(port), "--server.headless", "true", "--browser.gatherUsageStats", "false"]
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    log = tempfile.TemporaryFile(mode="w+b")
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, start_new_session=True)
    base = f"http://127.0.0.1:{port}"

    def output() -> str:
        log.flush()
        log.seek(0)
        return log.read().decode(errors="replace")

    try:
        deadline = t0 + timeout
        while True:
            if _health_ok(f"{base}/_stcore/health"):
                startup = time.perf_counter() - t0
                break
            if proc.poll() is not None:
                raise ServerError(f"streamlit exited with code {proc.returncode} before it was healthy:\n{output()}")
            if time.perf_counter() > deadline:
                raise ServerError(f"streamlit not healthy at {base}/_stcore/health after {timeout:.0f} s:\n{output()}")
            time.sleep(0.05)
        yield base, startup
    finally:
        _kill_group(proc)
        log.close()


def _kill_group(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    except ProcessLookupError:
        pass


def chromium_path() -> str:
    path = shutil.which("chromium")
    if not path:
        raise RuntimeError("the browser tests need Debian's chromium (and Korean fonts): run "
                           "`apt-get install -y chromium fonts-nanum` (not `playwright install`).")
    return path


def launch_browser(playwright):
    """Headless system chromium (never a Playwright-downloaded one)."""
    return playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS, headless=True)


# ---- waiting for Streamlit -------------------------------------------------------------------------

def wait_for_app_run(page, timeout: float = 60_000, settle_ms: int = 100) -> None:
    """Wait until the app is connected and no script (or fragment) run is in progress.

    A run triggered by an action may start a little after the action, so wait `settle_ms` first,
    as Streamlit's own e2e tests do; tests should still wait for the content they expect."""
    page.wait_for_selector(f'{APP}[data-test-connection-state="CONNECTED"]', timeout=timeout)
    if settle_ms:
        page.wait_for_timeout(settle_ms)
    page.wait_for_selector(f'{APP}[data-test-script-state="notRunning"]', timeout=timeout)
    page.wait_for_selector(STATUS_RUNNING, state="detached", timeout=timeout)


def goto(page, url: str, timeout: float = 60_000) -> None:
    """Open `url` and wait for its first script run to finish."""
    page.goto(url, wait_until="domcontentloaded", timeout=timeout)
    wait_for_app_run(page, timeout=timeout)


def hello_url(base: str, **query) -> str:
    from urllib.parse import urlencode
    return f"{base}/Hello_Playground" + (f"?{urlencode(query)}" if query else "")


# Plotly draws a shape's label as SVG <text> inside the figure's shape layers.
def cursor_label(page, t: int, chart_index: int = 0):
    """Locator of the time-step cursor label "t = {t}" in the `chart_index`-th states heatmap."""
    chart = page.locator('[data-testid="stPlotlyChart"]').nth(chart_index)
    return chart.locator("svg text", has_text=f"t = {t}")
