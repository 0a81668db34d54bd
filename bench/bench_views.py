"""Every default view of every page and tab, timed in a real browser on a warm server.

    python bench/bench_views.py               # writes bench/results/views.md
    python bench/bench_views.py --lang ko

For each view of tests/e2e/test_screens.py (every page, every tab, every lab task, at its default settings),
on a server that has served that view once already (a lecture's second visit of a scene, or a class opening
the lecturer's link after the lecturer did), two times until the view is ready (the app connected, no script
run in progress, every Plotly chart drawn, holding for 300 ms):

1. switch: in an open app, the click that moves to the view (the page's link in the sidebar, its tab, the lab
   task's radio button), as a lecturer moves from scene to scene. Target: <= 1 s.
2. new tab: its link opened in a new tab of a browser whose cache is warm, as a student opening a shared link.
   This includes the browser starting Streamlit's and Plotly's JavaScript in the new tab, the same for any
   Streamlit app: the floor, a bare Streamlit page with one Plotly chart, is measured too.

The first visit of each view on the fresh server is reported as well (it loads shipped models, builds
shared figures, imports torch on the first page).

Uses tests/e2e/harness.py (Debian's chromium; never `playwright install`). Prints a markdown table and
writes it, with the date, versions and machine load, to bench/results/views.md.
"""
from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchlib import load1, markdown_table, write_report  # noqa: E402

from tests.e2e import harness as H  # noqa: E402
from tests.e2e.test_screens import PROJECTOR, VIEWS, _url  # noqa: E402

TARGET_S = 1.0
READY = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  if (!app || app.getAttribute('data-test-connection-state') !== 'CONNECTED'
      || app.getAttribute('data-test-script-state') === 'running') return false;
  if (document.querySelector('[data-testid="stStatusWidget"] [data-testid="stStatusWidgetRunningIcon"]')) return false;
  if (document.querySelector('[data-testid="stSkeleton"]')) return false;
  const charts = document.querySelectorAll('[data-testid="stPlotlyChart"]');
  for (const c of charts) if (!c.querySelector('.main-svg')) return false;
  return document.querySelector('[data-testid="stMain"] h1') !== null;
}"""


def ready_seconds(page, url: str, timeout_s: float = 180.0) -> float:
    """Seconds from navigation to the view ready and still ready 300 ms later."""
    t0 = time.perf_counter()
    page.goto(url, wait_until="commit", timeout=timeout_s * 1000)
    return _ready_since(page, t0, timeout_s)


def _ready_since(page, t0: float, timeout_s: float) -> float:
    """Seconds from t0 to the first moment the view was ready and stayed ready for 300 ms."""
    first = None
    while time.perf_counter() - t0 < timeout_s:
        ok = page.evaluate(READY)
        now = time.perf_counter()
        if ok and first is None:
            first = now
        elif not ok:
            first = None
        if first is not None and now - first >= 0.3:
            return first - t0
        page.wait_for_timeout(25)
    raise TimeoutError(f"{page.url} was not ready within {timeout_s} s")


def wait_ready_after(page, act, timeout_s: float = 180.0) -> float:
    """Seconds from `act()` (a click) to the view ready again: the rerun it starts has begun (or 1 s passed
    without one) and the view is ready and still ready 300 ms later."""
    t0 = time.perf_counter()
    act()
    while time.perf_counter() - t0 < 1.0 and page.evaluate(READY):
        page.wait_for_timeout(10)
    return _ready_since(page, t0, timeout_s)


def switch_to(page, base: str, view: str, path: str, query: dict, lang: str) -> float:
    """Open the view's neighbour in the app, then time the in-app click that moves to the view."""
    from rnnviz.i18n import t
    if "tab" in query:                       # from the page's default tab to this one
        other = [v for v in VIEWS if v[1] == path and v[2] != query][0]
        page.goto(_url(base, path, other[2], lang)); ready_seconds(page, page.url)
        key = {"Step_Through": "step.tab", "Vanishing_Gradients": "grad.tab"}[path]
        return wait_ready_after(page, lambda: page.get_by_role("tab", name=t(f"{key}.{query['tab']}", lang),
                                                               exact=True).click())
    if "task" in query:                      # from another lab task to this one
        other = "memory" if query["task"] != "memory" else "mnist1d"
        ready_seconds(page, _url(base, path, {"task": other}, lang))
        return wait_ready_after(page, lambda: page.get_by_text(t(f"lab.task.{query['task']}", lang), exact=True).click())
    ready_seconds(page, _url(base, "", {}, lang) if path else _url(base, "Hello_Playground", {}, lang))
    return wait_ready_after(page, lambda: page.locator(f'.st-key-top_bar a[href="{path}"]').first.click())


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lang", choices=["en", "ko"], default="en")
    ap.add_argument("--repeats", type=int, default=3, help="warm visits per view (median reported)")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "views.md")
    args = ap.parse_args(argv)
    from playwright.sync_api import sync_playwright
    rows, load_start = [], load1()
    with H.start_server() as (base, startup_s), sync_playwright() as p:
        browser = H.launch_browser(p)
        context = browser.new_context(viewport=PROJECTOR)
        try:
            for view, path, query in VIEWS:
                url = _url(base, path, query, args.lang)
                page = context.new_page()
                cold = ready_seconds(page, url)
                switch = [switch_to(page, base, view, path, query, args.lang) for _ in range(args.repeats)]
                page.close()
                tabs = []
                for _ in range(args.repeats):
                    page = context.new_page()
                    tabs.append(ready_seconds(page, url))
                    page.close()
                med, med_tab = statistics.median(switch), statistics.median(tabs)
                rows.append({"name": f"`{view}`: switch to it in the app", "target": f"<= {TARGET_S:.0f} s",
                             "measured": f"{med:.2f} s", "status": "PASS" if med <= TARGET_S else "FAIL",
                             "note": f"new tab {med_tab:.2f} s (median of {', '.join(f'{w:.2f}' for w in tabs)}); "
                                     f"first visit on this server {cold:.2f} s"})
                print(f"{view:18s} first {cold:6.2f} s   switch {med:5.2f} s   new tab {med_tab:5.2f} s", flush=True)
        finally:
            browser.close()
    table = markdown_table(rows)
    print(table)
    write_report(args.out, f"Every view's ready time ({args.lang}, 1280x720)", "bench_views.py", argv, load_start,
                 table, [f"server healthy after {startup_s:.1f} s; server, browser and this script share these CPUs"],
                 versions=f"Python {platform.python_version()}, {platform.platform()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
