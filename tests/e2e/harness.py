"""Browser-test harness: start the Streamlit app on a free port, launch Debian's chromium through
Playwright, and wait for Streamlit to finish running a script.

Used by tests/e2e/conftest.py and bench/bench_browser.py. Never run `playwright install`: the tests
use the system chromium (`apt-get install -y chromium fonts-nanum`).
"""
from __future__ import annotations

import contextlib
import os
import re
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
def start_server(port: int | None = None, timeout: float = 60.0, script: str = "app.py", cwd: Path | None = None):
    """Run `streamlit run app.py` from the repo root (or `script` in `cwd`); yields (base_url, seconds from
    start to health ok).

    The server runs in its own process group, which is killed on exit. Its output goes to a temp file
    and is included in the error if the health check does not pass within `timeout` seconds."""
    port = port or free_port()
    cmd = [sys.executable, "-m", "streamlit", "run", script, "--server.address", "127.0.0.1",
           "--server.port", str(port), "--server.headless", "true", "--browser.gatherUsageStats", "false"]
    classes = tempfile.TemporaryDirectory(prefix="rnnviz-class-")   # this server's class answers, dropped after
    env = dict(os.environ, PYTHONUNBUFFERED="1", RNNVIZ_CLASS_DB=str(Path(classes.name) / "class.sqlite3"),
               RNNVIZ_WORKERS=os.environ.get("RNNVIZ_E2E_WORKERS", "2"))   # the app as served: a training service
    log = tempfile.TemporaryFile(mode="w+b")
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd or ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
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
        classes.cleanup()


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


def wait_until(page, cond, timeout: float = 60.0, every_ms: int = 100) -> None:
    """Poll a Python condition on the page (page.wait_for_timeout keeps Playwright's events flowing) until it
    holds; fail after `timeout` seconds (generous: a loaded 2-core CI machine is slow, never wrong)."""
    end = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > end:
            raise AssertionError(f"condition not met within {timeout:.0f} s")
        page.wait_for_timeout(every_ms)


def goto(page, url: str, timeout: float = 60_000) -> None:
    """Open `url` and wait for its first script run to finish."""
    page.goto(url, wait_until="domcontentloaded", timeout=timeout)
    wait_for_app_run(page, timeout=timeout)


def hello_url(base: str, **query) -> str:
    from urllib.parse import urlencode
    return f"{base}/Hello_Playground" + (f"?{urlencode(query)}" if query else "")


# ---- the Hello playground ---------------------------------------------------------------------------

PLOTLY = ".js-plotly-plot"
CHART = '[data-testid="stPlotlyChart"]'
SUCCESS = '[data-testid="stAlertContentSuccess"]'
ERROR = '[data-testid="stAlertContentError"]'
WARNING = '[data-testid="stAlertContentWarning"]'
EXCEPTION = '[data-testid="stException"]'
DATAFRAME = '[data-testid="stDataFrame"]'
TABLE = '[data-testid="stMarkdownContainer"] table'        # a Markdown table (the Hello page's two tables)
STATES_TITLE = {"en": "hidden state h", "ko": "은닉 상태 h"}   # first panel title of the states heatmap


def wait_for_hello(page, timeout: float = 60_000, charts: int = 3) -> None:
    """Wait until the Hello playground shows a trained model: success message, `charts` Plotly charts (the task,
    the loss, the timeline) drawn, the predictions table drawn, and no script run in progress (Streamlit mounts elements lazily, so
    an idle app alone does not mean the charts are drawn)."""
    from playwright.sync_api import expect
    wait_for_app_run(page, timeout=timeout)
    expect(page.locator(SUCCESS)).to_be_visible(timeout=timeout)
    page.wait_for_function(f"n => document.querySelectorAll('{PLOTLY} .main-svg').length >= n",
                           arg=charts * 2, timeout=timeout)   # Plotly draws 2+ <svg class=main-svg> per chart
    expect(page.locator(TABLE)).to_have_count(1, timeout=timeout)


def states_chart(page, lang: str = "en"):
    """The timeline figure: heatmaps of hidden states and gates, softmax and gradient panels, one cursor."""
    return page.locator(CHART).filter(has=page.locator("svg text", has_text=STATES_TITLE[lang]))


def cursor_label(page, t: int, lang: str = "en"):
    """The timeline's caption of the cursor step, "t = {t}: …" (the figure title, SVG text)."""
    return states_chart(page, lang).locator("svg text.gtitle").filter(has_text=re.compile(rf"^t = {t}:"))


def click_time_step(page, t: int, lang: str = "en") -> None:
    """Click step t on the slider inside the timeline figure (Plotly's own slider: no server round trip)."""
    chart = states_chart(page, lang)
    chart.locator("rect.slider-rail-touch-rect").scroll_into_view_if_needed()
    label = chart.locator("text.slider-label").filter(has_text=re.compile(rf"^{t} · ")).first
    box, rail = label.bounding_box(), chart.locator("rect.slider-rail-touch-rect").bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, rail["y"] + rail["height"] / 2)


def time_axis_labels(chart) -> list[str]:
    """Tick labels of the bottom labelled x axis of a Plotly chart (the characters read at each time step; a
    panel without a time axis under it, such as the Hello values table, has no labels)."""
    return chart.evaluate("""c => {
        const axes = Array.from(c.querySelectorAll('.xaxislayer-above')).filter(a => a.querySelector('text'));
        const ax = axes.pop();
        return ax ? Array.from(ax.querySelectorAll('text')).map(t => t.textContent) : [];
    }""")


def glyphs_render(page, text: str, font: str = '20px "Source Sans", sans-serif') -> bool:
    """Whether chromium draws real glyphs for `text`, not the same "missing glyph" boxes it draws for
    characters no font has (compares canvas pixels against private-use code points)."""
    return page.evaluate("""([text, font]) => {
        const draw = s => { const c = document.createElement('canvas'); c.width = 40 * s.length; c.height = 40;
            const g = c.getContext('2d'); g.font = font; g.fillStyle = '#000'; g.fillText(s, 2, 30);
            return g.getImageData(0, 0, c.width, c.height).data; };
        const missing = String.fromCodePoint(...Array.from(text).map((_, i) => 0xF0000 + i));
        const a = draw(text), b = draw(missing);
        let ink = 0, same = true;
        for (let i = 3; i < a.length; i += 4) { if (a[i]) ink++; if (a[i] !== b[i]) same = false; }
        return ink > 0 && !same;
    }""", [text, font])


def full_page_screenshot(page, path, max_height: int = 16_000) -> None:
    """Screenshot the whole app. Streamlit scrolls inside its own container, not the document, so
    Playwright's full_page=True would stop at the viewport: grow the viewport to the content's height
    (same width, so nothing reflows sideways), shoot, and restore it."""
    vp = page.viewport_size
    height = page.evaluate("""() => Math.max(document.documentElement.scrollHeight,
        ...Array.from(document.querySelectorAll('[data-testid="stMain"], [data-testid="stAppViewContainer"]'))
            .map(e => e.scrollHeight))""")
    try:
        page.set_viewport_size({"width": vp["width"], "height": min(max(height, vp["height"]), max_height)})
        page.wait_for_timeout(500)       # let charts finish any resize redraw
        page.screenshot(path=str(path), full_page=True)
    finally:
        page.set_viewport_size(vp)


# ---- the Step-through page ----------------------------------------------------------------------------

KATEX = ".katex"
KATEX_ERROR = ".katex-error"


def step_url(base: str, **query) -> str:
    from urllib.parse import urlencode
    return f"{base}/Step_Through" + (f"?{urlencode(query)}" if query else "")


def wait_for_step(page, timeout: float = 60_000, equations: int = 6) -> None:
    """Wait until the Step-through page shows a model: no script run in progress, at least `equations`
    KaTeX equations rendered and the first Plotly chart (the trajectory, on the Equations tab) drawn."""
    wait_for_app_run(page, timeout=timeout)
    page.wait_for_function(f"n => document.querySelectorAll('{KATEX}').length >= n", arg=equations, timeout=timeout)
    page.wait_for_function(f"() => document.querySelector('{PLOTLY} .main-svg') !== null", timeout=timeout)


def open_tab(page, name: str) -> None:
    """Click one of the page's tabs (Streamlit's st.tabs: ARIA tabs) and wait for it to be selected and for
    the script run it may start (tabs made with on_change="rerun" run only the open tab's content)."""
    from playwright.sync_api import expect
    tab = page.get_by_role("tab", name=name, exact=True)
    tab.click()
    expect(tab).to_have_attribute("aria-selected", "true")
    wait_for_app_run(page)


def equations_step(page, t: int):
    """The Equations tab's line about the cursor step: "The cell's equations at step t = {t} (input …)"."""
    return page.locator('[data-testid="stMarkdownContainer"]').filter(
        has_text=re.compile(rf"equations at step t = {t} \(")).first


def slider_step(chart) -> int:
    """1-based step the Plotly slider inside `chart` shows now (its `active` index + 1)."""
    return chart.evaluate("c => c.querySelector('.js-plotly-plot')._fullLayout.sliders[0].active") + 1


def slider_current_value(chart) -> str:
    """The text Plotly draws above its slider for the current step, e.g. "Time step: 10 · [" (a slider-label
    that is a direct child of the slider group; the tick labels sit in g.slider-labels)."""
    return chart.locator("g.slider-group > text.slider-label").first.text_content()


def click_slider_tick(page, chart, t: int) -> None:
    """Click step t on the Plotly slider inside `chart` by its tick mark (one tick per step: long
    sliders label only every few steps, so `click_time_step` cannot find every step)."""
    rail = chart.locator("rect.slider-rail-touch-rect")
    rail.scroll_into_view_if_needed()
    tick, box = chart.locator("rect.slider-tick-rect").nth(t - 1).bounding_box(), rail.bounding_box()
    page.mouse.click(tick["x"] + tick["width"] / 2, box["y"] + box["height"] / 2)


def watch_script_runs(page) -> None:
    """Start recording, in the page, every Streamlit script (or fragment) run: changes of the app's
    data-test-script-state and any appearance of the status widget's running icon. Read with `script_runs`."""
    page.evaluate("""([app, running]) => {
      const log = window.__runs = {states: [], running: 0};
      const el = document.querySelector(app);
      new MutationObserver(() => log.states.push(el.getAttribute('data-test-script-state')))
        .observe(el, {attributes: true, attributeFilter: ['data-test-script-state']});
      new MutationObserver(() => { if (document.querySelector(running)) log.running++; })
        .observe(document.body, {childList: true, subtree: true});
    }""", [APP, STATUS_RUNNING])


def script_runs(page) -> dict:
    """{"states": [script-state values seen], "running": times the running icon was seen} since `watch_script_runs`."""
    return page.evaluate("window.__runs")
