"""Browser test of the sequence-tasks lab (real app, Debian chromium through Playwright)."""
from __future__ import annotations

from playwright.sync_api import expect

from tests.e2e import harness as H


def test_memory_task_trains_four_models_and_shows_one_example(server, page, artifacts):
    """Test that the memory-vs-memoryless task trains MLP, RNN, LSTM and GRU and draws the curves and one example."""
    H.goto(page, f"{server}/Sequence_Tasks?task=memory&steps=100")
    page.get_by_role("button", name="Train RNN, LSTM and GRU").click()
    table = page.locator(H.DATAFRAME).first
    expect(table).to_be_visible()
    expect(page.locator(H.CHART)).to_have_count(2)
    expect(page.get_by_role("heading", name="One example, step by step")).to_be_visible()
    H.wait_for_app_run(page)
    assert page.locator(H.EXCEPTION).count() == 0
    H.full_page_screenshot(page, artifacts / "lab.png")
