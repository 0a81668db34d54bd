"""Browser benchmarks of the Hello playground: the real app (`streamlit run`) in headless chromium.

    python bench/bench_browser.py              # writes bench/results/browser.md
    python bench/bench_browser.py --moves 30   # more cursor moves

1. startup: seconds from starting `streamlit run app.py` to /_stcore/health answering ok, and to the
   Hello playground fully rendered (first Plotly chart visible, then all charts drawn) in a
   freshly launched browser (the first session: it includes importing torch and training "hello").
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


def pct(values, q):
    s = sorted(values)
    if not s:
        return float("nan")
    k = (len(s) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def load() -> str:
    try:
        return f"{os.getloadavg()[0]:.2f}"
    except OSError:
        return "?"


def measure_startup(playwright) -> dict:
    """Fresh server, fresh browser: streamlit start -> health ok -> Hello page first plot -> all charts."""
    t0 = time.perf_counter()
    with H.start_server() as (base, health_s):
        t_browser = time.perf_counter()
        browser = H.launch_browser(playwright)
        launch_s = time.perf_counter() - t_browser
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            t_nav = time.perf_counter()
            page.goto(H.hello_url(base), wait_until="domcontentloaded", timeout=120_000)
            page.locator(H.PLOTLY).first.wait_for(state="visible", timeout=120_000)
            first_plot = time.perf_counter()
            H.wait_for_hello(page, timeout=120_000)
            all_charts = time.perf_counter()
            trained = page.locator(H.SUCCESS).inner_text()
            page.close()

            # The same page in a new tab on the warm server (torch imported, code compiled).
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            t_warm = time.perf_counter()
            page.goto(H.hello_url(base), wait_until="domcontentloaded", timeout=120_000)
            page.locator(H.PLOTLY).first.wait_for(state="visible", timeout=120_000)
            warm_first = time.perf_counter() - t_warm
            H.wait_for_hello(page, timeout=120_000)
            warm_all = time.perf_counter() - t_warm
            warm_trained = page.locator(H.SUCCESS).inner_text()
            page.close()
        finally:
            browser.close()
    return dict(health=health_s, launch=launch_s, nav_first=first_plot - t_nav, nav_all=all_charts - t_nav,
                first=first_plot - t0, all=all_charts - t0, trained=trained, warm_first=warm_first,
                warm_all=warm_all, warm_trained=warm_trained)


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
        s = measure_startup(p)
        print("cursor …", flush=True)
        c = measure_cursor(p, args.moves)
    load_end = load()

    tot = [x["total"] for x in c["samples"]]
    med, p90 = statistics.median(tot), pct(tot, 0.9)

    def mid(key):
        return statistics.median([x[key] for x in c["samples"]])

    rows = [
        ("`streamlit run` → /_stcore/health ok", "(report)", f"{s['health']:.2f} s", "—", ""),
        ("`streamlit run` → Hello page first plot visible (fresh browser)", f"≤ {PAGE_READY_TARGET_S:.0f} s",
         f"{s['first']:.2f} s", "pass" if s["first"] <= PAGE_READY_TARGET_S else "**FAIL**",
         f"browser launch {s['launch']:.2f} s; navigation → first plot {s['nav_first']:.2f} s; "
         f"first session trains \"hello\": “{s['trained']}”"),
        ("`streamlit run` → Hello page all charts and tables drawn", "(report)", f"{s['all']:.2f} s", "—",
         f"navigation → all drawn {s['nav_all']:.2f} s"),
        ("warm server, new tab → first plot visible", "(report)", f"{s['warm_first']:.2f} s", "—",
         f"all drawn {s['warm_all']:.2f} s; “{s['warm_trained']}”"),
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
