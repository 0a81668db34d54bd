"""The newcomer's check of README.md's run command: run it exactly as written, then open every page.

    python scripts/smoke_app.py --cwd /tmp/fresh-export      # a tree with no .venv: installs, then serves

Runs the command under README.md's "## Run it" (read from the README in --cwd) with `bash -c`, in --cwd,
with only the address and port given through Streamlit's own environment variables
(STREAMLIT_SERVER_ADDRESS=127.0.0.1, a free STREAMLIT_SERVER_PORT), so a missing install step, a package
the app imports but the lock lacks, or a page that fails at import shows here even when every AppTest
passes. It waits for /_stcore/health (the command installs first: minutes on a new machine), then opens
the home page and every script in pages/, in English and Korean, in Debian's chromium through Playwright
(so it runs in an environment with playwright, e.g. the test venv), waits for each page's script run to
finish and its charts to be drawn, and fails when a page shows an exception, an error message or no
title. Screenshots go to --shots.
Exit status 0 when every page answered; the server's output is printed when one did not.
"""
from __future__ import annotations

import argparse
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scripts.readme_command import command  # noqa: E402
from tests.e2e import harness as H  # noqa: E402

# Streamlit shows a skeleton (data-testid="stSkeleton") where a widget's code is still loading
DRAWN = """([chart, plotly]) => document.querySelector('[data-testid="stSkeleton"]') === null
    && Array.from(document.querySelectorAll(chart)).every(c => c.querySelector(plotly + ' .main-svg') !== null)"""


def page_paths(tree: Path) -> list[str]:
    """URL paths of the home page and of every page script (Streamlit: pages/2_Step_Through.py -> /Step_Through)."""
    scripts = sorted((tree / "pages").glob("*.py"))
    return ["/"] + ["/" + re.sub(r"^\d+_", "", p.stem) for p in scripts]


def wait_healthy(base: str, proc: subprocess.Popen, timeout: float) -> float:
    t0 = time.monotonic()
    while not H._health_ok(f"{base}/_stcore/health"):
        if proc.poll() is not None:
            raise H.ServerError(f"the run command exited with code {proc.returncode} before the app was healthy")
        if time.monotonic() - t0 > timeout:
            raise H.ServerError(f"the app was not healthy at {base} after {timeout:.0f} s")
        time.sleep(0.2)
    return time.monotonic() - t0


def check_pages(base: str, paths: list[str], shots: Path) -> list[tuple[str, str, float, str]]:
    from playwright.sync_api import sync_playwright
    rows = []
    shots.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = H.launch_browser(pw)
        try:
            for path in paths:
                for lang in ("en", "ko"):
                    context = browser.new_context(viewport={"width": 1400, "height": 1000})
                    page = context.new_page()
                    url = f"{base}{path}" + ("?lang=ko" if lang == "ko" else "")
                    t0 = time.monotonic()
                    problem = ""
                    try:
                        H.goto(page, url, timeout=120_000)
                        # drawn, not just run: the widgets' code chunks loaded and every Plotly chart has its SVG
                        page.wait_for_load_state("networkidle", timeout=120_000)
                        page.wait_for_function(DRAWN, arg=[H.CHART, H.PLOTLY], timeout=120_000)
                        if page.locator(H.EXCEPTION).count():
                            problem = "exception: " + page.locator(H.EXCEPTION).first.inner_text()[:300]
                        elif page.locator(H.ERROR).count():
                            problem = "error message: " + page.locator(H.ERROR).first.inner_text()[:300]
                        elif not page.locator("h1").first.inner_text().strip():
                            problem = "no page title (h1)"
                    except Exception as e:            # noqa: BLE001 - any failure to load is the finding
                        problem = f"{type(e).__name__}: {e}"[:300]
                    seconds = time.monotonic() - t0
                    name = (path.strip("/") or "home") + f"-{lang}.png"
                    try:
                        page.screenshot(path=str(shots / name))
                    except Exception:                 # noqa: BLE001 - a screenshot is a bonus
                        pass
                    rows.append((path, lang, seconds, problem))
                    context.close()
        finally:
            browser.close()
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cwd", type=Path, default=ROOT, help="the tree to run README's command in (default: this one)")
    ap.add_argument("--timeout", type=float, default=1200, help="seconds for install + start (default 1200)")
    ap.add_argument("--shots", type=Path, default=ROOT / "tests" / "e2e" / "artifacts" / "smoke")
    args = ap.parse_args(argv)
    tree = args.cwd.resolve()
    cmd = command("run", (tree / "README.md").read_text(encoding="utf-8"))
    port = H.free_port()
    base = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME")}
    # the PATH of an activated venv (e.g. the test venv) would shadow the one the command makes
    venv_bin = os.environ.get("VIRTUAL_ENV")
    if venv_bin:
        env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep)
                                      if not p.startswith(venv_bin))
    env.update(STREAMLIT_SERVER_ADDRESS="127.0.0.1", STREAMLIT_SERVER_PORT=str(port), PYTHONUNBUFFERED="1",
               STREAMLIT_SERVER_HEADLESS="true", STREAMLIT_BROWSER_GATHER_USAGE_STATS="false")
    print(f"smoke: in {tree}\nsmoke: $ {cmd}\nsmoke: serving on {base}", flush=True)
    log = tempfile.TemporaryFile(mode="w+b")
    t0 = time.monotonic()
    proc = subprocess.Popen(["bash", "-c", cmd], cwd=tree, env=env, stdout=log, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, start_new_session=True)
    ok = False
    try:
        ready = wait_healthy(base, proc, args.timeout)
        print(f"smoke: install + start until healthy: {ready:.0f} s", flush=True)
        rows = check_pages(base, page_paths(tree), args.shots)
        print("\n| page | lang | ready (s) | result |\n|---|---|---|---|")
        for path, lang, seconds, problem in rows:
            print(f"| `{path}` | {lang} | {seconds:.1f} | {problem or 'ok'} |")
        ok = not any(problem for *_, problem in rows)
        print(f"\nsmoke: {'every page answered' if ok else 'FAILED'} ({time.monotonic() - t0:.0f} s in all)")
    except H.ServerError as e:
        print(f"smoke: FAILED: {e}")
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        log.seek(0)
        out = log.read().decode(errors="replace")
        log.close()
    if not ok:
        print("---- output of the run command ----\n" + out[-8000:])
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
