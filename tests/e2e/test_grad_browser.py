"""Browser tests of the vanishing-gradients page (real app, Debian chromium through Playwright)."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e import harness as H


def _grad_chart(page):
    """The ‖∂L/∂h_t‖ figure of the first tab (the chart whose legend lists the three cells)."""
    return page.locator(H.CHART).filter(has=page.locator("svg text", has_text="‖∂L/∂h_t‖")).first


def _first_point(chart) -> float:
    """y of the LSTM line (second trace) at t = 1, read from the live Plotly figure."""
    return chart.evaluate("c => c.querySelector('.js-plotly-plot')._fullData[1].y[0]")


def test_gradients_across_time_follow_the_forget_bias(server, page, artifacts):
    """Test that the page draws the three cells' gradients and that a forget bias of 3 lifts the LSTM's early gradient."""
    H.goto(page, f"{server}/Vanishing_Gradients?T=60&hidden=32")
    chart = _grad_chart(page)
    expect(chart).to_be_visible()
    expect(chart.locator("g.legend text")).to_have_text(["RNN", "LSTM", "GRU"])
    before = _first_point(chart)
    H.goto(page, f"{server}/Vanishing_Gradients?T=60&hidden=32&fb=3")
    chart = _grad_chart(page)
    expect(chart).to_be_visible()
    after = _first_point(chart)
    assert after > before * 1e3, (before, after)
    assert page.locator(H.EXCEPTION).count() == 0
    H.full_page_screenshot(page, artifacts / "gradients.png")


def test_exploding_run_reports_divergence_and_clipping(server, page):
    """Test that the Exploding tab shows its runs at once (computed once per server), trains again on request,
    and says which diverged (a warning: the demo's point, not an error)."""
    H.goto(page, f"{server}/Vanishing_Gradients?T=20&hidden=16")
    H.open_tab(page, "Exploding")
    expect(page.locator(H.WARNING).filter(has_text=re.compile("diverged"))).to_be_visible()
    page.get_by_role("button", name="Train both").click()
    H.wait_for_app_run(page)
    expect(page.locator(H.WARNING).filter(has_text=re.compile("diverged"))).to_be_visible()
    assert page.locator(H.ERROR).count() == 0
    expect(page.locator(H.SUCCESS).filter(has_text="With clipping at 1")).to_be_visible()
    assert page.locator(H.EXCEPTION).count() == 0


def test_korean_page(server, page):
    """Test that the page renders in Korean with ?lang=ko."""
    H.goto(page, f"{server}/Vanishing_Gradients?lang=ko&T=30&hidden=16")
    expect(page.get_by_role("heading", level=1)).to_have_text("기울기 소실과 폭발")
    expect(page.get_by_role("tab", name="스칼라 예제")).to_be_visible()
    assert page.locator(H.EXCEPTION).count() == 0
