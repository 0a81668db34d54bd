"""Browser benchmarks of the Hello playground: the real app (`streamlit run`) in headless chromium.

    python bench/bench_browser.py              # writes bench/results/browser.md
    python bench/bench_browser.py --moves 30   # more cursor moves

1. startup (--starts times, a new server each time): seconds from starting `streamlit run app.py` to
   /_stcore/health answering ok, and in a freshly launched browser to the Hello playground's first paint
   (the task picture, drawn before the server imports torch), to the page ready (the trained model's
   timeline drawn: the first session imports torch and trains "hello") and to everything drawn.
   Target: page ready <= 6 s. Also the same page in a new tab on the warm server.
2. cursor: the time from a mouse press on the slider inside the timeline figure (the client-side
   time cursor: Plotly restyle + relayout, no server round trip) to the next painted frame after the
   figure's caption "t = N: ..." changed, measured inside the page with performance.now(); median and
   p90 over --moves clicks. Target: <= 150 ms.

Uses tests/e2e/harness.py (Debian's chromium; never `playwright install`). Prints a markdown table
and writes it, with the date, versions and machine load, to bench/results/browser.md.
"""
from __future__ import annotations

import argparse
import datetime as _dt
import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchlib import load_text as load, pct  # noqa: E402
from tests.e2e import harness as H  # noqa: E402

PAGE_READY_TARGET_S = 6.0
CURSOR_TARGET_MS = 150.0

# In-page probe: timestamps (performance.now()) of key presses, script-state changes and the first
# appearance of each cursor label in the states heatmap.
PROBE = """(title) => {
  const log = window.__bench = {keys: [], states: [], labels: {}};
  document.addEventListener('keydown', e => log.keys.push([performance.now(), e.key]), true);
  const app = document.querySelector('[data-testid="stApp"]');
  new MutationObserver(() => log.states.push([performance.now(), app.getAttribute('data-test-script-state')]))
    .observe(app, {attributes: true, attributeFilter: ['data-test-script-state']});
  const scan = () => {
    const now = performance.now();
    for (const chart of document.querySelectorAll('[data-testid="stPlotlyChart"]')) {
      const texts = Array.from(chart.querySelectorAll('svg text'));
      if (!texts.some(t => t.textContent === title)) continue;
      for (const t of texts) {
        const m = /^t = (\\d+)$/.exec(t.textContent);
        if (m && !(m[1] in log.labels)) {
          log.labels[m[1]] = {dom: now, frame: null};
          requestAnimationFrame(() => { log.labels[m[1]].frame = performance.now(); });
        }
      }
    }
  };
  new MutationObserver(scan).observe(document.body, {childList: true, subtree: true, characterData: true});
}"""


def _open_hello(page, base: str) -> dict:
    """Navigate to the Hello page; seconds from navigation to: the first Plotly chart (the task picture,
    drawn before torch is imported), the trained timeline drawn (page ready), everything drawn."""
    t_nav = time.perf_counter()
    page.goto(H.hello_url(base), wait_until="domcontentloaded", timeout=120_000)
    page.locator(H.PLOTLY).first.wait_for(state="visible", timeout=120_000)
    first_paint = time.perf_counter()
    H.states_chart(page).locator(".main-svg").first.wait_for(state="visible", timeout=120_000)
    ready = time.perf_counter()
    H.wait_for_hello(page, timeout=120_000)
    return dict(t_nav=t_nav, paint=first_paint - t_nav, ready=ready - t_nav, all=time.perf_counter() - t_nav,
                trained=page.locator(H.SUCCESS).inner_text())


def measure_startup(playwright) -> dict:
    """Fresh server, fresh browser: streamlit start -> health ok -> Hello page: task picture (first paint),
    trained timeline (ready), all charts. Then the same page in a new tab on the warm server."""
    t0 = time.perf_counter()
    with H.start_server() as (base, health_s):
        t_browser = time.perf_counter()
        browser = H.launch_browser(playwright)
        launch_s = time.perf_counter() - t_browser
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            cold = _open_hello(page, base)
            page.close()
            page = browser.new_page(viewport={"width": 1400, "height": 1000})   # warm: torch imported, code compiled
            warm = _open_hello(page, base)
            page.close()
        finally:
            browser.close()
    return dict(health=health_s, launch=launch_s, cold=cold, warm=warm, since_start=cold["t_nav"] - t0)


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
        t0 = time.perf_counter()
        with H.start_server(script="floor.py", cwd=Path(tmp)) as (base, health_s):
            browser = H.launch_browser(playwright)
            try:
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                t_nav = time.perf_counter()
                page.goto(base, wait_until="domcontentloaded", timeout=120_000)
                page.locator(f"{H.PLOTLY} .main-svg").first.wait_for(state="visible", timeout=120_000)
                done = time.perf_counter()
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

    from playwright.sync_api import sync_playwright
    import importlib.metadata as _md
    import streamlit as _st

    load_start, t_start = load(), time.perf_counter()
    with sync_playwright() as p:
        version = H.launch_browser(p)
        chromium = version.version
        version.close()
        print("startup …", flush=True)
        starts = [measure_startup(p) for _ in range(args.starts)]
        floors = [measure_floor(p) for _ in range(args.starts)]
        print("cursor …", flush=True)
        c = measure_cursor(p, args.moves)
    load_end = load()

    tot = [x["total"] for x in c["samples"]]
    med, p90 = statistics.median(tot), pct(tot, 0.9)

    def mid(key):
        return statistics.median([x[key] for x in c["samples"]])

    def total(x, key):                 # from `streamlit run` to the event
        return x["since_start"] + x["cold"][key]

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
         f"ready {col([x['cold']['ready'] for x in starts])} s; the first session imports torch and trains "
         f"\"hello\": “{starts[0]['cold']['trained']}”"),
        (f"floor: `streamlit run` of a bare app with one tiny Plotly chart → chart drawn, median (n = {len(floors)})",
         "(report)", f"{statistics.median([f['total'] for f in floors]):.2f} s", "—",
         f"all: {col([f['total'] for f in floors])} s; health ok {col([f['health'] for f in floors])} s, navigation → "
         f"chart {col([f['nav'] for f in floors])} s; no rnnviz code: Streamlit's and Plotly's JavaScript alone"),
        ("`streamlit run` → first paint: the task picture drawn (before torch is imported), median", "(report)",
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

    header = [
        "# rnnviz browser benchmarks", "",
        f"- date: {_dt.datetime.now(_dt.timezone.utc).isoformat(timespec='seconds')}",
        f"- streamlit {_st.__version__}, playwright {_md.version('playwright')}, "
        f"chromium {chromium} (headless, --disable-gpu), Python {platform.python_version()}, {platform.platform()}",
        f"- {os.cpu_count()} logical CPUs; machine load average (1 min) at start {load_start}, at end {load_end}"
        " (server, browser and anything else share these CPUs)",
        f"- command: `python bench/bench_browser.py{' --moves ' + str(args.moves) if args.moves != 15 else ''}`;"
        f" total {time.perf_counter() - t_start:.0f} s",
        "- page: /Hello_Playground with the default settings (\"hello\", LSTM, 16 units, 150 steps), "
        f"viewport 1400×1000; the cursor walks t = 1…{c['T']} (then back to 1) by clicks on the figure's slider",
        "",
    ]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(header) + "\n" + table_md + "\n", encoding="utf-8")
    print(f"\nwritten to {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
