"""Browser tests of the Step-through page: the real app in headless chromium (Debian's, through Playwright).

Each test gets a fresh browser context, so a fresh Streamlit session: no Hello model, so the page opens
on the brackets LSTM preset."""
from __future__ import annotations

import re
import time
from urllib.parse import parse_qs

import pytest
from playwright.sync_api import expect

from tests.e2e import harness as H


@pytest.fixture(scope="module")
def brackets_view():
    from rnnviz.app.stepthrough import prepare_view, source_from_preset
    src = source_from_preset("brackets_lstm")
    return prepare_view(src, src.text)


def _query(page) -> dict:
    return {k: v[0] for k, v in parse_qs(page.evaluate("location.search").lstrip("?")).items()}


def _first_equation(page) -> str:
    return page.locator(H.KATEX).first.inner_text()


def _numbers(values) -> list[str]:
    return [f"{float(v):.3f}" for v in values]


def _caption_step(chart) -> int:
    """The step in the timeline's title caption "t = N: read …"."""
    m = re.match(r"t = (\d+):", chart.locator("svg text.gtitle").text_content())
    assert m, chart.locator("svg text.gtitle").text_content()
    return int(m.group(1))


def _sample(chart) -> tuple[int, int]:
    """(step in the caption, step of the slider), read in the same animation frame."""
    title, active = chart.evaluate("""c => [c.querySelector('svg text.gtitle').textContent,
        c.querySelector('.js-plotly-plot')._fullLayout.sliders[0].active]""")
    return int(re.match(r"t = (\d+):", title).group(1)), active + 1


def test_step_page_renders_the_equations_with_katex(server, page, artifacts, brackets_view):
    """Test that /Step_Through opens on the brackets preset with 8 KaTeX equations (no KaTeX errors) and
    the real forget-gate values at t = 1."""
    H.goto(page, H.step_url(server))
    H.wait_for_step(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Step through time")
    expect(page.locator(H.KATEX)).to_have_count(8)
    assert page.locator(H.KATEX_ERROR).count() == 0
    assert page.locator(H.EXCEPTION).count() == 0
    expect(page.get_by_text("LSTM · 64 units · vocabulary of 33 characters")).to_be_visible()
    expect(H.equations_step(page, 1)).to_be_visible()
    f1 = _first_equation(page)
    for s in _numbers(brackets_view.trace.gates["forget"][0, [0, 1, 2, 44]]):
        assert s in f1, (s, f1)
    assert page.locator(".katex-display").first.bounding_box()["width"] > 200       # laid out, not collapsed
    q = _query(page)
    assert (q.get("src"), q.get("t")) == ("brackets_lstm", "1") and q.get("text", "").startswith("set x")
    H.full_page_screenshot(page, artifacts / "step.png")


def test_timeline_play_animates_in_the_browser(server, page, artifacts):
    """Test that ▶ Play in the Gates-and-states timeline advances its caption and slider with no script run,
    and ❚❚ Pause stops it."""
    H.goto(page, H.step_url(server))
    H.wait_for_step(page)
    H.open_tab(page, "Gates and states")
    chart = H.states_chart(page)
    expect(H.cursor_label(page, 1)).to_be_visible()
    assert H.slider_step(chart) == 1
    H.watch_script_runs(page)

    chart.locator("g.updatemenu-button").filter(has_text="Play").click()
    # Wait for the condition, not for a number of samples: frames come every 0.7 s on an idle machine and
    # later on a loaded one, so sample until the caption has reached step 4, however long that takes.
    seen = [_sample(chart)]

    def reached_step_4() -> bool:
        seen.append(_sample(chart))
        return seen[-1][0] >= 4

    H.wait_until(page, reached_step_4, timeout=90, every_ms=100)
    captions = [c for c, _ in seen]
    assert captions == sorted(captions), seen              # the caption moves forwards only
    # the slider follows the caption: it moves when a frame starts, the caption once the frame is drawn,
    # so a sample taken mid-frame may see the slider one step ahead, never behind
    assert all(0 <= s - c <= 1 for c, s in seen), seen

    chart.locator("g.updatemenu-button").filter(has_text="Pause").click()
    # a frame already under way may still land after the click: wait until the caption holds still for
    # 1.5 s, then check that it stays there and the slider agrees
    last = {"step": _caption_step(chart), "since": time.monotonic()}

    def holds_still() -> bool:
        step = _caption_step(chart)
        if step != last["step"]:
            last.update(step=step, since=time.monotonic())
        return time.monotonic() - last["since"] >= 1.5

    H.wait_until(page, holds_still, timeout=60, every_ms=100)
    paused = last["step"]
    page.wait_for_timeout(1600)
    assert _caption_step(chart) == paused                  # paused: it stays
    assert _sample(chart) == (paused, paused)              # and the slider agrees with the caption
    assert H.slider_current_value(chart).startswith(f"Time step: {paused} · ")
    runs = H.script_runs(page)
    assert runs == {"states": [], "running": 0}, runs      # all in the browser: no Streamlit script run
    H.full_page_screenshot(page, artifacts / "step_states.png")


def test_clicking_a_step_on_the_timeline_slider(server, page):
    """Test that clicking steps 10 and 40 on the timeline's own slider moves its caption and the cursor
    drawn over the heatmaps, in the browser only; the open tab is in the URL and a reload reopens it."""
    H.goto(page, H.step_url(server))
    H.wait_for_step(page)
    H.open_tab(page, "Gates and states")
    H.wait_until(page, lambda: _query(page).get("tab") == "states")
    chart = H.states_chart(page)
    expect(H.cursor_label(page, 1)).to_be_visible()
    cursor = chart.locator("g.layer-above image").first    # the cursor: one layout image, one step wide
    box1 = cursor.bounding_box()
    H.watch_script_runs(page)
    H.click_slider_tick(page, chart, 10)
    expect(H.cursor_label(page, 10)).to_be_visible()
    expect(H.cursor_label(page, 10)).to_contain_text("read [")
    assert H.slider_step(chart) == 10
    assert H.slider_current_value(chart) == "Time step: 10 · ["
    box10 = cursor.bounding_box()
    H.click_slider_tick(page, chart, 40)
    expect(H.cursor_label(page, 40)).to_be_visible()
    expect(H.cursor_label(page, 10)).to_have_count(0)
    box40 = cursor.bounding_box()
    width = box1["width"]
    assert 5 < width < 30 and box1["height"] > 500                       # one column of 90, over every panel
    assert abs(box10["x"] - box1["x"] - 9 * width) < 2 and abs(box40["x"] - box1["x"] - 39 * width) < 2
    assert H.script_runs(page) == {"states": [], "running": 0}
    assert _query(page).get("t") == "1"                    # the figure's cursor is not the page's step
    page.reload()
    H.wait_for_app_run(page)
    expect(H.cursor_label(page, 1)).to_be_visible()        # the link reopens the Gates-and-states tab
    expect(page.get_by_role("tab", name="Gates and states", exact=True)).to_have_attribute("aria-selected", "true")


def test_keyboard_and_buttons_move_the_equations(server, page, brackets_view):
    """Test that ArrowRight on the "Time step" slider and the Next / Previous buttons move the equations'
    step and their numbers."""
    tr = brackets_view.trace
    units = [0, 1, 2, 44]
    H.goto(page, H.step_url(server))
    H.wait_for_step(page)
    expect(H.equations_step(page, 1)).to_be_visible()
    before = _first_equation(page)

    slider = page.get_by_role("slider", name=re.compile(r"^Time step"))   # aria name: "Time step Time step"
    expect(slider).to_have_attribute("aria-valuetext", "1 · s")
    slider.focus()
    page.keyboard.press("ArrowRight")
    expect(H.equations_step(page, 2)).to_be_visible()
    expect(H.equations_step(page, 2)).to_contain_text("(input e)")
    H.wait_for_app_run(page)
    H.wait_until(page, lambda: _first_equation(page) != before)
    f2 = _first_equation(page)
    for s in _numbers(tr.gates["forget"][1, units]):
        assert s in f2, (s, f2)
    expect(slider).to_have_attribute("aria-valuetext", "2 · e")
    H.wait_until(page, lambda: _query(page).get("t") == "2")

    page.get_by_role("button", name="Next ▶").click()
    expect(H.equations_step(page, 3)).to_be_visible()
    H.wait_for_app_run(page)
    H.wait_until(page, lambda: all(s in _first_equation(page) for s in _numbers(tr.gates["forget"][2, units])))
    expect(slider).to_have_attribute("aria-valuetext", "3 · t")
    H.wait_until(page, lambda: _query(page).get("t") == "3")

    page.get_by_role("button", name="◀ Previous").click()
    expect(H.equations_step(page, 2)).to_be_visible()
    H.wait_for_app_run(page)
    H.wait_until(page, lambda: _first_equation(page) == f2)
    assert page.locator(H.KATEX_ERROR).count() == 0
    assert page.locator(H.EXCEPTION).count() == 0


def test_tabs_in_korean_keep_their_id_in_the_url(server, page, artifacts):
    """Test that in Korean a tab click runs only that tab (the unit explorer's Korean note appears), puts the
    tab's id (not its Korean label) in the URL, and that switching the language keeps the open tab."""
    H.goto(page, H.step_url(server, lang="ko"))
    H.wait_for_step(page)
    H.open_tab(page, "유닛 탐색")
    expect(page.get_by_text(re.compile("유닛 44"))).to_be_visible()
    H.wait_until(page, lambda: _query(page).get("tab") == "units" and _query(page).get("lang") == "ko")
    assert page.locator(H.KATEX).count() == 0                   # the Equations tab did not run
    assert H.glyphs_render(page, "유닛 탐색")                    # a Korean font: no empty boxes
    H.full_page_screenshot(page, artifacts / "step_units_ko.png")
    page.locator('.st-key-top_bar label').filter(has_text="English").click()
    H.wait_for_app_run(page)
    expect(page.get_by_role("tab", name="Unit explorer", exact=True)).to_have_attribute("aria-selected", "true")
    expect(page.get_by_text(re.compile("Look at unit 44"))).to_be_visible()
    H.wait_until(page, lambda: _query(page).get("tab") == "units" and "lang" not in _query(page))
