"""Fixtures for the browser tests: one Streamlit server and one headless chromium for the whole
session, a fresh browser context (so a fresh Streamlit session) per test."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.e2e import harness  # noqa: E402

VIEWPORT = {"width": 1400, "height": 1000}
TIMEOUT_MS = 60_000     # a shared CI machine may train "hello" for seconds; never wait forever


@pytest.fixture(scope="session", autouse=True)
def _expect_timeout():
    from playwright.sync_api import expect
    expect.set_options(timeout=TIMEOUT_MS)


@pytest.fixture(scope="session")
def artifacts() -> Path:
    harness.ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return harness.ARTIFACTS


@pytest.fixture(scope="session")
def server() -> str:
    with harness.start_server() as (base, startup_s):
        print(f"\nstreamlit healthy after {startup_s:.2f} s at {base}")
        yield base


@pytest.fixture(scope="session")
def _playwright():
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(_playwright):
    b = harness.launch_browser(_playwright)
    yield b
    b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(TIMEOUT_MS)
    p = context.new_page()
    yield p
    context.close()
