"""Browser benchmarks of the Hello playground: the real app (`streamlit run`) in headless chromium.

    python bench/bench_browser.py              # writes bench/results/browser.md
    python bench/bench_browser.py --moves 30   # more cursor moves

1. startup (--starts times, a new server each time): seconds from starting `streamlit run app.py` to
   /_stcore/health answering ok, and in a freshly launched browser to the Hello playground's first paint
   (the task picture, drawn before the server imports torch), to the page ready (the trained model's
   timeline drawn: the first session imports torch and trains "hello") and to everything drawn.
   Target: page ready <= 6 s. Also the same page in a new tab on the warm server, and the floor: the same
   start-up of a bare Streamlit app with one tiny Plotly chart. Paint times are taken inside the page (the
   frame after the chart's SVG appeared, on the wall clock), so Playwright's polling adds nothing to them.
2. cursor: the time from a mouse press on the slider inside the timeline figure (the client-side
   time cursor: Plotly restyle + relayout, no server round trip) to the next painted frame after the
   figure's caption "t = N: ..." changed, measured inside the page with performance.now(); median and
   p90 over --moves clicks. Target: <= 150 ms.

Uses tests/e2e/harness.py (Debian's chromium; never `playwright install`). Prints a markdown table
and writes it, with the date, versions and machine load, to bench/results/browser.md.
"""
from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchlib import load1, pct, write_report  # noqa: E402

from tests.e2e import harness as H  # noqa: E402

PAGE_READY_TARGET_S = 6.0
CURSOR_TARGET_MS = 150.0

# In-page probe, installed before navigation: wall-clock times (performance.timeOrigin + performance.now(),
# epoch ms) of the frame painted after the first Plotly chart's SVG appeared, and after the chart whose SVG
# holds `title` (the timeline) appeared. Measured by the page itself: no Playwright polling delay in it.
DRAW_PROBE = """(title) => {
  const log = window.__draw = {first: null, firstPaint: null, titled: null, titledPaint: null};
  const now = () => performance.timeOrigin + performance.now();
  const scan = () => {
    if (log.first === null && document.querySelector('.js-plotly-plot .main-svg')) {
      log.first = now();
      requestAnimationFrame(() => { log.firstPaint = now(); });
    }
    if (title && log.titled === null) {
      for (const gd of document.querySelectorAll('.js-plotly-plot')) {
        if (Array.from(gd.querySelectorAll('svg text')).some(t => t.textContent === title)) {
          log.titled = now();
          requestAnimationFrame(() => { log.titledPaint = now(); });
          break;
        }
      }
    }
  };
  const start = () => new MutationObserver(scan).observe(document.documentElement, {childList: true, subtree: true});
  if (document.documentElement) start(); else document.addEventListener('DOMContentLoaded', start);
}"""


def _probe(page, title: str | None) -> None:
    page.add_init_script(f"({DRAW_PROBE})({json.dumps(title)})")


def _painted(page, key: str) -> float:
    """Wait for the probe's `key` paint; returns its wall-clock time (epoch seconds)."""
    page.wait_for_function(f"() => window.__draw && window.__draw.{key} !== null", timeout=120_000)
    return page.evaluate(f"window.__draw.{key}") / 1000


def _open_hello(page, base: str, t_ref: float) -> dict:
    """Navigate to the Hello page; seconds from t_ref (epoch: the server start, or this navigation) to the frame
    painted after: the first Plotly chart drawn (the task picture), the trained model's timeline drawn (page ready);
    and (from Python) to everything drawn."""
    _probe(page, H.STATES_TITLE["en"])
    page.goto(H.hello_url(base), wait_until="domcontentloaded", timeout=120_000)
    ready = _painted(page, "titledPaint") - t_ref
    paint = _painted(page, "firstPaint") - t_ref
    H.wait_for_hello(page, timeout=120_000)
    return dict(paint=paint, ready=ready, all=time.time() - t_ref, trained=page.locator(H.SUCCESS).inner_text())


def measure_startup(playwright) -> dict:
    """Fresh server, fresh browser: streamlit start -> health ok -> Hello page: task picture (first paint),
    trained timeline (ready), all charts. Then the same page in a new tab on the warm server."""
    t0 = time.time()
    with H.start_server() as (base, health_s):
        t_browser = time.perf_counter()
        browser = H.launch_browser(playwright)
        launch_s = time.perf_counter() - t_browser
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            t_nav = time.time()
            cold = _open_hello(page, base, t0)
            page.close()
            page = browser.new_page(viewport={"width": 1400, "height": 1000})   # warm: torch imported, code compiled
            warm = _open_hello(page, base, time.time())
            page.close()
        finally:
            browser.close()
    return dict(health=health_s, launch=launch_s, cold=cold, warm=warm, nav=t_nav - t0)


FLOOR_APP = """import plotly.graph_objects as go
import streamlit as st

st.title("floor")
st.plotly_chart(go.Figure(go.Scatter(y=[1, 3, 2])))
"""


def measure_floor(playwright) -> dict:
    """The same start-up on a bare Streamlit app with one tiny Plotly chart: what any Streamlit + Plotly
    page costs on this machine (server start, Streamlit's and Plotly's JavaScript), with no rnnviz code."""
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "floor.py").write_text(FLOOR_APP, encoding="utf-8")
        t0 = time.time()
        with H.start_server(script="floor.py", cwd=Path(tmp)) as (base, health_s):
            browser = H.launch_browser(playwright)
            try:
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                _probe(page, None)
                t_nav = time.time()
                page.goto(base, wait_until="domcontentloaded", timeout=120_000)
                done = _painted(page, "firstPaint")
            finally:
                browser.close()
    return dict(health=health_s, nav=done - t_nav, total=done - t0)


CURSOR_PROBE = """() => {
  // In-page timing: from the mouse press on the timeline's slider to the next painted frame after the
  // caption "t = N: ..." (the figure title) changed. No Playwright round trip is included.
  window.__cur = {down: null, changed: null, painted: null};
  document.addEventListener('mousedown', () => { window.__cur = {down: performance.now(), changed: null, painted: null}; }, true);
  const obs = new MutationObserver(() => {
    const c = window.__cur;
    if (c.down !== null && c.changed === null) {
      c.changed = performance.now();
      requestAnimationFrame(() => requestAnimationFrame(() => { c.painted = performance.now(); }));
    }
  });
  document.querySelectorAll('.js-plotly-plot').forEach(gd => obs.observe(gd, {subtree: true, characterData: true, childList: true}));
}"""


def measure_cursor(playwright, moves: int) -> dict:
    """Clicks on the timeline's own slider (a client-side cursor): mouse press -> caption changed -> painted."""
    with H.start_server() as (base, _):
        browser = H.launch_browser(playwright)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            H.goto(page, H.hello_url(base), timeout=120_000)
            H.wait_for_hello(page, timeout=120_000)
            T = H.states_chart(page).locator("text.slider-label").count() - 1     # minus the current-value label
            page.evaluate(CURSOR_PROBE)
            samples, wall, t = [], [], 1
            while len(samples) < moves:
                t = t % T + 1
                w0 = time.perf_counter()
                H.click_time_step(page, t)
                H.cursor_label(page, t).wait_for(state="visible", timeout=60_000)
                page.wait_for_function("() => window.__cur.painted !== null", timeout=60_000)
                wall.append((time.perf_counter() - w0) * 1000)
                c = page.evaluate("window.__cur")
                samples.append(dict(total=c["painted"] - c["down"], dom=c["changed"] - c["down"]))
            runs = page.locator(H.STATUS_RUNNING).count()
        finally:
            browser.close()
    return dict(samples=samples, wall=wall, T=T, runs=runs)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--moves", type=int, default=15, help="timed cursor moves (default 15)")
    ap.add_argument("--starts", type=int, default=3, help="cold server starts (default 3)")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "browser.md")
    args = ap.parse_args(argv)

    import importlib.metadata as _md

    import streamlit as _st
    from playwright.sync_api import sync_playwright

    load_start, t_start = load1(), time.perf_counter()
    with sync_playwright() as p:
        version = H.launch_browser(p)
        chromium = version.version
        version.close()
        print("startup …", flush=True)
        starts = [measure_startup(p) for _ in range(args.starts)]
        floors = [measure_floor(p) for _ in range(args.starts)]
        print("cursor …", flush=True)
        c = measure_cursor(p, args.moves)

    tot = [x["total"] for x in c["samples"]]
    med, p90 = statistics.median(tot), pct(tot, 0.9)

    def mid(key):
        return statistics.median([x[key] for x in c["samples"]])

    def total(x, key):                 # from `streamlit run` to the event
        return x["cold"][key]

    def col(key, f=lambda v: f"{v:.2f}"):
        return ", ".join(f(v) for v in key)

    ready = [total(x, "ready") for x in starts]
    med_ready = statistics.median(ready)
    rows = [
        (f"`streamlit run` → /_stcore/health ok, median (n = {len(starts)})", "(report)",
         f"{statistics.median([x['health'] for x in starts]):.2f} s", "—", f"all: {col([x['health'] for x in starts])} s"),
        (f"`streamlit run` → Hello page ready: trained model's timeline drawn (fresh browser), median (n = {len(starts)})",
         f"≤ {PAGE_READY_TARGET_S:.0f} s", f"{med_ready:.2f} s", "pass" if med_ready <= PAGE_READY_TARGET_S else "**FAIL**",
         f"all: {col(ready)} s; browser launch {statistics.median([x['launch'] for x in starts]):.2f} s; navigation → "
         f"ready {col([x['cold']['ready'] - x['nav'] for x in starts])} s; the first session imports torch and trains "
         f"\"hello\": “{starts[0]['cold']['trained']}”"),
        (f"floor: `streamlit run` of a bare app with one tiny Plotly chart → chart drawn, median (n = {len(floors)})",
         "(report)", f"{statistics.median([f['total'] for f in floors]):.2f} s", "—",
         f"all: {col([f['total'] for f in floors])} s; health ok {col([f['health'] for f in floors])} s, navigation → "
         f"chart {col([f['nav'] for f in floors])} s; no rnnviz code: Streamlit's and Plotly's JavaScript alone"),
        ("`streamlit run` → first paint: the first chart drawn (the task picture, sent before torch is imported; drawn once Plotly's bundle has loaded), median", "(report)",
         f"{statistics.median([total(x, 'paint') for x in starts]):.2f} s", "—",
         f"all: {col([total(x, 'paint') for x in starts])} s"),
        ("`streamlit run` → Hello page all charts and tables drawn, median", "(report)",
         f"{statistics.median([total(x, 'all') for x in starts]):.2f} s", "—",
         f"all: {col([total(x, 'all') for x in starts])} s"),
        ("warm server, new tab → trained model's timeline drawn, median", "(report)",
         f"{statistics.median([x['warm']['ready'] for x in starts]):.2f} s", "—",
         f"all: {col([x['warm']['ready'] for x in starts])} s; first paint "
         f"{col([x['warm']['paint'] for x in starts])} s; “{starts[0]['warm']['trained']}”"),
        (f"cursor redraw, click on the timeline's slider → caption changed and painted, median (n = {len(tot)})",
         f"≤ {CURSOR_TARGET_MS:.0f} ms", f"{med:.0f} ms", "pass" if med <= CURSOR_TARGET_MS else "**FAIL**",
         f"in-page timing (performance.now): press → caption in DOM {mid('dom'):.0f} ms, → painted {med:.0f} ms; "
         "client-side (Plotly restyle + relayout), no script run"),
        (f"cursor redraw, p90 (n = {len(tot)})", f"≤ {CURSOR_TARGET_MS:.0f} ms", f"{p90:.0f} ms",
         "pass" if p90 <= CURSOR_TARGET_MS else "**FAIL**",
         f"min {min(tot):.0f} ms, max {max(tot):.0f} ms; from Python incl. Playwright round trips: "
         f"median {statistics.median(c['wall']):.0f} ms"),
    ]
    table = ["| measurement | target | measured | pass/fail | notes |", "|---|---|---|---|---|"]
    table += [f"| {a} | {b} | {m} | {st} | {n} |" for a, b, m, st, n in rows]
    table_md = "\n".join(table)
    print()
    print(table_md)

    write_report(args.out, "rnnviz browser benchmarks", "bench_browser.py", argv, load_start, table_md, [
        f"total {time.perf_counter() - t_start:.0f} s; server, browser and anything else share these CPUs",
        "page: /Hello_Playground with the default settings (\"hello\", LSTM, 16 units, 150 steps), "
        f"viewport 1400×1000; the cursor walks t = 1…{c['T']} (then back to 1) by clicks on the figure's slider"],
        versions=f"streamlit {_st.__version__}, playwright {_md.version('playwright')}, chromium {chromium} "
                 f"(headless, --disable-gpu), Python {platform.python_version()}, {platform.platform()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
