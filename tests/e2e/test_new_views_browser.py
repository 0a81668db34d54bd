"""Browser tests of the views of issue #15 (Debian's chromium through Playwright, against `streamlit run`): the
animated cell plays and scrubs in the browser with no script run and writes the numbers of the step it shows;
the input attribution's slider recolours the text in the browser; the intervention tab draws its figure."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e import harness as H


def _title(chart) -> str:
    return chart.locator("svg text.gtitle").text_content()


def test_the_cell_plays_and_scrubs_in_the_browser(server, page, artifacts):
    from rnnviz.app.stepthrough import prepare_view, source_from_preset
    from rnnviz.figures.cell import NODES
    src = source_from_preset("korean_gru")
    view = prepare_view(src, src.text)
    H.goto(page, f"{server}/Step_Through?tab=cell&src=korean_gru&cell_units=4")
    H.wait_for_app_run(page, timeout=90_000)
    chart = page.locator(H.CHART).filter(has=page.locator("svg text.gtitle", has_text=re.compile(r"^t = \d+: reading")))
    expect(chart).to_have_count(1, timeout=60_000)
    assert _title(chart).startswith("t = 1: reading 오")
    H.watch_script_runs(page)
    H.click_slider_tick(page, chart, 10)
    H.wait_until(page, lambda: _title(chart).startswith("t = 10: reading"))
    k = list(NODES["gru"]).index("z")
    z = f"{float(view.step_terms()[9]['z'][4]):.2f}"
    texts = chart.locator("g.scatterlayer g.trace").nth(3).locator("text").all_text_contents()
    assert texts[k] == z, (texts, z)                           # the z box writes unit 4's z at step 10
    chart.locator("g.updatemenu-button").filter(has_text="Play").click()
    H.wait_until(page, lambda: int(re.match(r"t = (\d+)", _title(chart)).group(1)) >= 12, timeout=60)
    chart.locator("g.updatemenu-button").filter(has_text="Pause").click()
    assert H.script_runs(page) == {"states": [], "running": 0}  # all in the browser
    H.full_page_screenshot(page, artifacts / "step_cell_played.png")


def test_the_attribution_slider_recolours_the_text_in_the_browser(server, page):
    H.goto(page, f"{server}/Vanishing_Gradients?tab=sources&T=30&hidden=16")
    H.wait_for_app_run(page, timeout=90_000)
    chart = page.locator(H.CHART).filter(has=page.locator("svg text.gtitle", has_text="which inputs did it depend on"))
    expect(chart).to_have_count(1, timeout=60_000)
    assert "τ = 30" in _title(chart)
    H.watch_script_runs(page)
    H.click_slider_tick(page, chart, 5)
    H.wait_until(page, lambda: "τ = 5 " in _title(chart) or "τ = 5(" in _title(chart) or "τ = 5 (" in _title(chart))
    assert H.slider_step(chart) == 5
    assert H.script_runs(page) == {"states": [], "running": 0}


def test_the_intervention_tab_draws_the_brackets_example(server, page, artifacts):
    H.goto(page, f"{server}/Step_Through?tab=intervene&src=brackets_lstm")
    H.wait_for_app_run(page, timeout=90_000)
    expect(page.get_by_text("Loss over the text: 1.248 →")).to_be_visible(timeout=60_000)
    chart = page.locator(H.CHART).filter(has=page.locator("svg text", has_text="predicted next character"))
    expect(chart).to_have_count(1)
    page.get_by_role("button", name=re.compile("Close the depth unit")).click()
    H.wait_for_app_run(page)
    expect(page.get_by_text("Loss over the text: 1.248 →")).to_be_visible()
    H.full_page_screenshot(page, artifacts / "step_intervene.png")


def test_hovering_a_character_moves_the_prediction_step_in_the_browser(server, page):
    H.goto(page, f"{server}/Vanishing_Gradients?tab=sources&T=30&hidden=16")
    H.wait_for_app_run(page, timeout=90_000)
    frame = page.frame_locator('iframe[title="Which inputs does a prediction depend on?"]')
    cap = frame.locator("#cap")
    expect(cap).to_contain_text("τ = 30", timeout=60_000)
    H.watch_script_runs(page)
    spans = frame.locator("#txt span")
    assert spans.count() == 30
    spans.nth(6).hover()
    expect(cap).to_contain_text("τ = 7 ")
    colours = [spans.nth(s).evaluate("e => e.style.background") for s in range(30)]
    assert all(c and c != "transparent" for c in colours[:7]) and all(c == "transparent" for c in colours[7:])
    assert "tau" in (spans.nth(6).get_attribute("class") or "")
    assert H.script_runs(page) == {"states": [], "running": 0}
