"""Take the README's screenshot (assets/screenshot.png): the Hello playground after it trained "hello",
from the title down to the first heatmaps of the timeline, in a real browser against `streamlit run`.

    python scripts/screenshot.py                 # English
    python scripts/screenshot.py --lang ko --out /tmp/hello_ko.png

Uses tests/e2e/harness.py (Debian's chromium; never `playwright install`)."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.e2e import harness as H  # noqa: E402


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lang", choices=["en", "ko"], default="en")
    ap.add_argument("--out", type=Path, default=ROOT / "assets" / "screenshot.png")
    ap.add_argument("--height", type=int, default=1900, help="pixels from the top of the page (default 1900)")
    args = ap.parse_args(argv)
    from playwright.sync_api import sync_playwright
    with H.start_server() as (base, _), sync_playwright() as p:
        browser = H.launch_browser(p)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": args.height})
            query = {"lang": args.lang} if args.lang != "en" else {}
            H.goto(page, H.hello_url(base, **query), timeout=120_000)
            H.wait_for_hello(page, timeout=120_000)
            page.wait_for_timeout(500)                      # let the last chart finish its transition
            args.out.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(args.out), clip={"x": 0, "y": 0, "width": 1400, "height": args.height})
        finally:
            browser.close()
    print(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
