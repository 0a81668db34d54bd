"""Benchmarks of the Step-through page: the library calls behind it, and the real app (`streamlit run`)
in headless chromium.

    python bench/bench_step.py               # writes bench/results/step.md
    python bench/bench_step.py --moves 30    # more timed moves

1. in-process: `rnnviz.app.presets.load_preset`, `stepthrough.source_from_preset` and `prepare_view` on the
   preset's sample text, and building the view's timeline figure (once per server and text: later
   sessions get a copy of it, also timed). Target: a preset is ready within a second of choosing it.
2. page open: a fresh browser session (new context, so a new Streamlit session) on a warm server, from
   navigation start to the 8 KaTeX equations and the first Plotly chart drawn, timed inside the page
   (performance.now() from navigation start, polled every animation frame).
3. preset switch: clicking the other preset's radio button to its equations drawn (in-page timing:
   mouse press -> the first equation's TeX is the new model's), and the same on the Gates-and-states tab
   (-> the new preset's timeline caption). Target: <= 1 s. Also reported: a tab click to that tab drawn
   (tabs run only when open, so a tab click is a script run).
4. timeline cursor (client side): a mouse press on the Plotly slider inside the "Gates and states"
   timeline -> the figure's caption "t = N: ..." changed (MutationObserver) -> the next painted frame
   (two requestAnimationFrame). Median / p90 over --moves clicks. Target <= 100 ms; the same for the
   Hello playground's timeline, target <= 150 ms.
5. server path: ArrowRight on the Streamlit "Time step" slider (Equations tab) -> the equations' caption
   "equations at step t = N" and the first equation changed -> painted (a fragment rerun).

Uses tests/e2e/harness.py (Debian's chromium; never `playwright install`). Prints a markdown table
and writes it, with the date, versions and machine load, to bench/results/step.md.
"""
from __future__ import annotations

import argparse
import platform
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchlib import load1, pct, write_report  # noqa: E402

from tests.e2e import harness as H  # noqa: E402

PRESET_READY_S = 1.0
STEP_CURSOR_MS = 100.0
HELLO_CURSOR_MS = 150.0
VIEWPORT = {"width": 1400, "height": 1000}

# Installed before any page script runs: the time from navigation start until the equations (>= 8 KaTeX)
# and a Plotly chart are drawn, checked every animation frame.
READY_PROBE = """(() => {
  window.__ready = null;
  const tick = () => {
    if (document.querySelectorAll('.katex').length >= 8 && document.querySelector('.js-plotly-plot .main-svg')
        && document.querySelector('[data-testid="stApp"][data-test-script-state="notRunning"]')) {
      window.__ready = performance.now(); return;
    }
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
})()"""

# Client-side cursor: mouse press -> the timeline's caption shows the wanted step -> painted.
CURSOR_PROBE = """(title) => {
  const chart = Array.from(document.querySelectorAll('[data-testid="stPlotlyChart"]'))
    .find(c => Array.from(c.querySelectorAll('svg text')).some(t => t.textContent === title));
  window.__m = null;
  window.__arm = want => { window.__m = {want, down: null, changed: null, painted: null}; };
  document.addEventListener('mousedown', () => {
    const m = window.__m; if (m && m.down === null) m.down = performance.now(); }, true);
  new MutationObserver(() => {
    const m = window.__m;
    if (!m || m.down === null || m.changed !== null) return;
    const cap = chart.querySelector('text.gtitle');
    if (cap && cap.textContent.startsWith('t = ' + m.want + ':')) {
      m.changed = performance.now();
      requestAnimationFrame(() => requestAnimationFrame(() => { m.painted = performance.now(); }));
    }
  }).observe(chart, {subtree: true, childList: true, characterData: true});
}"""

# Server path: key press -> the equations' caption shows the wanted step and the first equation changed -> painted.
KEY_PROBE = """() => {
  const tex = () => { const a = document.querySelector('.katex annotation'); return a ? a.textContent : ''; };
  window.__k = null;
  window.__armKey = want => { window.__k = {want, before: tex(), down: null, caption: null, katex: null, painted: null}; };
  document.addEventListener('keydown', () => { const k = window.__k; if (k && k.down === null) k.down = performance.now(); }, true);
  new MutationObserver(() => {
    const k = window.__k;
    if (!k || k.down === null || k.painted !== null) return;
    const now = performance.now();
    if (k.caption === null && Array.from(document.querySelectorAll('[data-testid="stMarkdownContainer"]'))
          .some(e => e.textContent.includes('equations at step t = ' + k.want + ' ('))) k.caption = now;
    if (k.katex === null && tex() !== k.before) k.katex = now;
    if (k.caption !== null && k.katex !== null && k.painted === null) {
      k.painted = -1;
      requestAnimationFrame(() => requestAnimationFrame(() => { k.painted = performance.now(); }));
    }
  }).observe(document.body, {subtree: true, childList: true, characterData: true});
}"""

# Preset or tab switch: mouse press -> (what = "tex") the first equation's TeX starts with `want`, or
# (what = "caption") the timeline's caption starts with `want`, and the script run is over.
SWITCH_PROBE = """() => {
  const tex = () => { const a = document.querySelector('.katex annotation'); return a ? a.textContent.trim() : ''; };
  const cap = () => { const c = document.querySelector('.js-plotly-plot text.gtitle'); return c ? c.textContent : ''; };
  window.__s = null;
  window.__armSwitch = (want, what = 'tex') => { window.__s = {want, what, down: null, ready: null}; };
  document.addEventListener('mousedown', () => { const s = window.__s; if (s && s.down === null) s.down = performance.now(); }, true);
  const tick = () => {
    const s = window.__s;
    if (s && s.down !== null && s.ready === null && (s.what === 'tex' ? tex() : cap()).startsWith(s.want)
        && document.querySelector('[data-testid="stApp"][data-test-script-state="notRunning"]')) s.ready = performance.now();
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
}"""
PRESET_LABELS = {"korean_gru": "Korean sentences GRU (preset)", "brackets_lstm": "Brackets & quotes LSTM (preset)"}


def _timed(fn, n):
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def measure_inprocess() -> dict:
    import torch
    torch.set_num_threads(1)                    # as the app does (ui.py)
    from rnnviz.app.presets import PRESETS, load_preset
    from rnnviz.app.cache import clear_shared_figures
    from rnnviz.app.stepthrough import prepare_view, source_from_preset
    out = {}
    for name in PRESETS:
        first = _timed(lambda: load_preset(name), 1)[0]
        loads = _timed(lambda: load_preset(name), 20)
        srcs = _timed(lambda: source_from_preset(name), 20)
        src = source_from_preset(name)
        views = _timed(lambda: prepare_view(src, src.text), 10)
        figs = _timed(lambda: clear_shared_figures() or prepare_view(src, src.text).figure("timeline", "en"), 3)
        copies = _timed(lambda: prepare_view(src, src.text).figure("timeline", "en"), 5)   # the server's, copied
        out[name] = dict(first=first, load=statistics.median(loads), source=statistics.median(srcs),
                         view=statistics.median(views), figure=statistics.median(figs), copy=statistics.median(copies),
                         T=len(src.text) - 1, H=src.model.cfg.hidden_size)
    return out


def _new_page(browser):
    ctx = browser.new_context(viewport=VIEWPORT)
    ctx.set_default_timeout(120_000)
    return ctx, ctx.new_page()


def measure_open(browser, base: str, n: int) -> list[dict]:
    out = []
    for _ in range(n):
        ctx, page = _new_page(browser)
        page.add_init_script(READY_PROBE)
        w0 = time.perf_counter()
        page.goto(H.step_url(base), wait_until="domcontentloaded", timeout=120_000)
        page.wait_for_function("() => window.__ready !== null", timeout=120_000)
        wall = time.perf_counter() - w0
        out.append(dict(ready=page.evaluate("window.__ready") / 1000, wall=wall))
        ctx.close()
    return out


def measure_switch(page, n: int, on_timeline: bool = False) -> list[dict]:
    """Alternate the two presets n times by their radio buttons. On the Equations tab, ready = the new model's
    first equation; on the Gates-and-states tab (on_timeline), ready = the timeline's caption of the new text."""
    from rnnviz.app.presets import SAMPLE_TEXTS
    page.evaluate(SWITCH_PROBE)
    out = []
    for i in range(n):
        name = "korean_gru" if i % 2 == 0 else "brackets_lstm"
        want, what = ((f"t = 1: read {SAMPLE_TEXTS[name][0]}", "caption") if on_timeline else
                      ("r_t" if name == "korean_gru" else "f_t", "tex"))
        page.evaluate("([w, k]) => window.__armSwitch(w, k)", [want, what])
        page.locator('[data-testid="stMain"] label').filter(has_text=PRESET_LABELS[name]).click()
        page.wait_for_function("() => window.__s.ready !== null", timeout=120_000)
        s = page.evaluate("window.__s")
        out.append(dict(to=PRESET_LABELS[name].split(" (")[0], ms=s["ready"] - s["down"]))
        H.wait_for_app_run(page, timeout=120_000)
    return out


def measure_tab_switch(page, n: int) -> list[dict]:
    """Equations -> Gates and states (ready: the timeline's caption drawn) and back (ready: the equations),
    n round trips on the brackets preset. Each tab click is a script run that draws only that tab."""
    page.evaluate(SWITCH_PROBE)
    out = []
    for _ in range(n):
        for tab, want, what in (("Gates and states", "t = 1: read s", "caption"), ("Equations", "f_t", "tex")):
            page.evaluate("([w, k]) => window.__armSwitch(w, k)", [want, what])
            page.get_by_role("tab", name=tab, exact=True).click()
            page.wait_for_function("() => window.__s.ready !== null", timeout=120_000)
            s = page.evaluate("window.__s")
            out.append(dict(to=tab, ms=s["ready"] - s["down"]))
            H.wait_for_app_run(page, timeout=120_000)
    return out


def measure_cursor(page, moves: int, T: int, chart) -> list[dict]:
    """Clicks on the Plotly slider's ticks of `chart`, walking steps so every click moves the cursor."""
    page.evaluate(CURSOR_PROBE, H.STATES_TITLE["en"])
    stride = max(1, T // 7)
    samples, t = [], 1
    for _ in range(moves):
        t = (t - 1 + stride) % T + 1
        page.evaluate(f"window.__arm({t})")
        H.click_slider_tick(page, chart, t)
        page.wait_for_function("() => window.__m.painted !== null", timeout=60_000)
        m = page.evaluate("window.__m")
        samples.append(dict(total=m["painted"] - m["down"], dom=m["changed"] - m["down"]))
    return samples


def measure_keys(page, moves: int) -> list[dict]:
    page.evaluate(KEY_PROBE)
    slider = page.get_by_role("slider", name=re.compile(r"^Time step"))
    samples = []
    for i in range(moves):
        want = i + 2
        page.evaluate(f"window.__armKey({want})")
        slider.focus()
        page.keyboard.press("ArrowRight")
        page.wait_for_function("() => window.__k.painted > 0", timeout=60_000)
        k = page.evaluate("window.__k")
        samples.append(dict(total=k["painted"] - k["down"], caption=k["caption"] - k["down"],
                            katex=k["katex"] - k["down"]))
        H.wait_for_app_run(page, timeout=60_000)
    return samples


def measure_browser(playwright, moves: int, opens: int) -> dict:
    with H.start_server() as (base, health_s):
        browser = H.launch_browser(playwright)
        try:
            ctx, page = _new_page(browser)                       # warm the server: imports, first session
            w0 = time.perf_counter()
            H.goto(page, H.step_url(base), timeout=120_000)
            H.wait_for_step(page, timeout=120_000)
            first = time.perf_counter() - w0
            ctx.close()

            opened = measure_open(browser, base, opens)

            ctx, page = _new_page(browser)
            H.goto(page, H.step_url(base), timeout=120_000)
            H.wait_for_step(page, timeout=120_000)
            switch = measure_switch(page, 4)
            tabs = measure_tab_switch(page, 3)

            H.open_tab(page, "Gates and states")                 # back on the brackets preset (T = 90)
            switch_tl = measure_switch(page, 4, on_timeline=True)
            chart = H.states_chart(page)
            chart.locator("rect.slider-tick-rect").first.wait_for(state="attached")
            T = chart.locator("rect.slider-tick-rect").count()
            runs_before = page.locator(H.STATUS_RUNNING).count()
            step_cursor = measure_cursor(page, moves, T, chart)
            runs = page.locator(H.STATUS_RUNNING).count() + runs_before

            H.open_tab(page, "Equations")
            keys = measure_keys(page, min(moves, 10))
            ctx.close()

            ctx, page = _new_page(browser)
            H.goto(page, H.hello_url(base), timeout=120_000)
            H.wait_for_hello(page, timeout=120_000)
            hchart = H.states_chart(page)
            hT = hchart.locator("rect.slider-tick-rect").count()
            hello_cursor = measure_cursor(page, moves, hT, hchart)
            ctx.close()
        finally:
            browser.close()
    return dict(health=health_s, first=first, opened=opened, switch=switch, switch_tl=switch_tl, tabs=tabs,
                step_cursor=step_cursor, T=T,
                runs=runs, keys=keys, hello_cursor=hello_cursor, hT=hT)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--moves", type=int, default=15, help="timed cursor clicks per timeline (default 15)")
    ap.add_argument("--opens", type=int, default=3, help="fresh-session page opens (default 3)")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "step.md")
    args = ap.parse_args(argv)

    import importlib.metadata as _md

    import streamlit as _st
    from playwright.sync_api import sync_playwright

    load_start, t_start = load1(), time.perf_counter()
    print("in-process …", flush=True)
    lib = measure_inprocess()
    with sync_playwright() as p:
        b = H.launch_browser(p)
        chromium = b.version
        b.close()
        print("browser …", flush=True)
        br = measure_browser(p, args.moves, args.opens)

    def stat(samples, key="total"):
        v = [s[key] for s in samples]
        return statistics.median(v), pct(v, 0.9), min(v), max(v)

    def ok(value, target):
        return "pass" if value <= target else "**FAIL**"

    rows = []
    for name, r in lib.items():
        total = r["load"] + r["view"] + r["figure"]
        rows.append((f"in-process `{name}` ({r['H']} units, T = {r['T']}): load_preset + prepare_view + timeline figure",
                     f"≤ {PRESET_READY_S:.0f} s", f"{total * 1000:.0f} ms", ok(total, PRESET_READY_S),
                     f"load_preset {r['load'] * 1000:.1f} ms (first call {r['first'] * 1000:.1f} ms); "
                     f"source_from_preset {r['source'] * 1000:.1f} ms; prepare_view {r['view'] * 1000:.1f} ms; "
                     f"timeline figure built {r['figure'] * 1000:.0f} ms (medians; a later session gets a copy of the "
                     f"server's: prepare_view + copy {(r['copy']) * 1000:.0f} ms)"))
    ready = [o["ready"] for o in br["opened"]]
    rows.append((f"warm server, fresh session: navigation → 8 equations + first chart drawn, median (n = {len(ready)})",
                 "(report)", f"{statistics.median(ready):.2f} s", "—",
                 f"in-page (performance.now from navigation start); all: {', '.join(f'{x:.2f}' for x in ready)} s; "
                 f"wall incl. Playwright {statistics.median([o['wall'] for o in br['opened']]):.2f} s; "
                 f"first session after server start {br['first']:.2f} s; health ok {br['health']:.2f} s"))
    sw = [s["ms"] for s in br["switch"]]
    rows.append((f"choose a preset (radio click → its equations drawn), median (n = {len(sw)})",
                 f"≤ {PRESET_READY_S * 1000:.0f} ms", f"{statistics.median(sw):.0f} ms",
                 ok(statistics.median(sw), PRESET_READY_S * 1000),
                 "; ".join(f"→ {s['to']} {s['ms']:.0f} ms" for s in br["switch"])
                 + "; a full script rerun that draws the open tab only (Equations)"))
    sw = [s["ms"] for s in br["switch_tl"]]
    rows.append((f"choose a preset on the Gates-and-states tab (radio click → its timeline drawn), median (n = {len(sw)})",
                 f"≤ {PRESET_READY_S * 1000:.0f} ms", f"{statistics.median(sw):.0f} ms",
                 ok(statistics.median(sw), PRESET_READY_S * 1000),
                 "; ".join(f"→ {s['to']} {s['ms']:.0f} ms" for s in br["switch_tl"])
                 + "; a script rerun: the session keeps its last 4 views, so a preset shown before is redrawn, "
                 "not recomputed (its first time on this tab builds the timeline); Chromium draws 6 heatmaps"))
    for tab in ("Gates and states", "Equations"):
        v = [s["ms"] for s in br["tabs"] if s["to"] == tab]
        rows.append((f"open the {tab} tab (tab click → drawn), median (n = {len(v)})", "(report)",
                     f"{statistics.median(v):.0f} ms", "—",
                     "all: " + ", ".join(f"{x:.0f}" for x in v) + " ms; tabs run only when open, so a click is a script run"))
    for label, samples, target, extra in (
            (f"Step page timeline cursor (T = {br['T']}, 64 units)", br["step_cursor"], STEP_CURSOR_MS,
             f"status widget running after: {br['runs']}"),
            (f"Hello page timeline cursor (T = {br['hT']}, 16 units)", br["hello_cursor"], HELLO_CURSOR_MS, "")):
        med, p90, lo, hi = stat(samples)
        dom = statistics.median([s["dom"] for s in samples])
        rows.append((f"{label}: slider click → caption changed → painted, median (n = {len(samples)})",
                     f"≤ {target:.0f} ms", f"{med:.0f} ms", ok(med, target),
                     f"press → caption in DOM {dom:.0f} ms; client-side (Plotly), no script run"
                     + (f"; {extra}" if extra else "")))
        rows.append((f"{label}: p90", f"≤ {target:.0f} ms", f"{p90:.0f} ms", ok(p90, target),
                     f"min {lo:.0f} ms, max {hi:.0f} ms"))
    med, p90, lo, hi = stat(br["keys"])
    rows.append((f"server path: ArrowRight on \"Time step\" → equations caption + first equation changed → painted, "
                 f"median (n = {len(br['keys'])})", "(report)", f"{med:.0f} ms", "—",
                 f"p90 {p90:.0f} ms, min {lo:.0f}, max {hi:.0f}; caption in DOM "
                 f"{statistics.median([k['caption'] for k in br['keys']]):.0f} ms, equation "
                 f"{statistics.median([k['katex'] for k in br['keys']]):.0f} ms (fragment rerun)"))

    table = ["| measurement | target | measured | pass/fail | notes |", "|---|---|---|---|---|"]
    table += [f"| {a} | {b} | {m} | {s} | {n} |" for a, b, m, s, n in rows]
    table_md = "\n".join(table)
    print()
    print(table_md)

    write_report(args.out, "rnnviz Step-through page benchmarks", "bench_step.py", argv, load_start, table_md, [
        f"total {time.perf_counter() - t_start:.0f} s; server, browser, this script and anything else share these CPUs",
        "page: /Step_Through with the default preset (brackets LSTM, 64 units, its 91-character sample text), "
        "viewport 1400×1000; timeline clicks walk the Plotly slider's ticks"],
        versions=f"streamlit {_st.__version__}, playwright {_md.version('playwright')}, torch {_md.version('torch')}, "
                 f"chromium {chromium} (headless, --disable-gpu), Python {platform.python_version()}, {platform.platform()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
