"""Browser tests of issue #13's presenter keys and view (real app, Debian chromium through Playwright): the Step
page's keys move its cursor (J / L) and play / pause it (K), and so do the Hello page's, in the browser; ?present=1 at a projector's 1280×720 folds the
settings away so the figure comes first. Screenshots: tests/e2e/artifacts/screens/present_<view>_<lang>.png."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from rnnviz.i18n import t
from tests.e2e import harness as H

PROJECTOR = {"width": 1280, "height": 720}


def _step(page) -> int:
    """The step in the URL (?t=), which the cursor writes on every move."""
    from urllib.parse import parse_qs
    return int(parse_qs(page.evaluate("location.search").lstrip("?"))["t"][0])


def test_keys_move_the_step_cursor_and_play_it(server, page):
    """Test that on /Step_Through pressing L moves the cursor a step on, J a step back, K plays (a step a second)
    and K again pauses; the keys are named under the cursor; a key typed into the text box is text, not a move."""
    H.goto(page, H.step_url(server))
    H.wait_for_step(page)
    expect(H.equations_step(page, 1)).to_be_visible()
    expect(page.get_by_text("previous step", exact=False).first).to_be_visible()
    body = page.locator("body")
    body.press("l")
    expect(H.equations_step(page, 2)).to_be_visible()
    body.press("l")
    expect(H.equations_step(page, 3)).to_be_visible()
    body.press("j")
    expect(H.equations_step(page, 2)).to_be_visible()
    H.wait_for_app_run(page)
    assert _step(page) == 2

    body.press("k")                                          # play
    H.wait_until(page, lambda: _step(page) >= 5, timeout=30)
    body.press("k")                                          # pause
    H.wait_for_app_run(page)
    page.wait_for_timeout(300)
    paused_at = _step(page)
    page.wait_for_timeout(2500)
    assert _step(page) == paused_at                          # paused: no more steps
    expect(H.equations_step(page, paused_at)).to_be_visible()

    box = page.get_by_role("textbox").first                  # typing an "l" in the text is text
    box.click()
    box.press("End")
    box.type("l")
    page.wait_for_timeout(500)
    assert _step(page) == paused_at
    assert page.locator(H.EXCEPTION).count() == 0


def _hello_keys(page, lang: str = "en") -> None:
    """J / K / L on the Hello page's timeline: L, L, J → step 2 (the slider and its caption), K plays, K again
    pauses; an "l" typed into a text box is text; a key press runs no script."""
    chart = H.states_chart(page, lang)
    expect(H.cursor_label(page, 1, lang)).to_be_visible()
    expect(page.get_by_text(t("hello.cursor.keyhints", lang).replace("**", ""))).to_be_attached()   # the hints
    H.watch_script_runs(page)
    body = page.locator("body")
    body.press("l")
    expect(H.cursor_label(page, 2, lang)).to_be_visible()
    body.press("l")
    expect(H.cursor_label(page, 3, lang)).to_be_visible()
    body.press("j")
    expect(H.cursor_label(page, 2, lang)).to_be_visible()
    assert H.slider_step(chart) == 2
    assert H.slider_current_value(chart).endswith("2 · e")      # the slider's own "Time step: 2 · e"
    body.press("j")
    body.press("j")                                            # the first step: J stays there
    expect(H.cursor_label(page, 1, lang)).to_be_visible()
    page.wait_for_timeout(300)
    assert H.slider_step(chart) == 1

    body.press("k")                                            # play (700 ms a step)
    H.wait_until(page, lambda: H.slider_step(chart) >= 2, timeout=30)
    body.press("k")                                            # pause
    page.wait_for_timeout(300)
    paused_at = H.slider_step(chart)
    page.wait_for_timeout(2000)
    assert H.slider_step(chart) == paused_at                    # paused: no more steps
    expect(H.cursor_label(page, paused_at, lang)).to_be_visible()

    for _ in range(5):                                         # to the last step (L stays there) ...
        body.press("l")
    H.wait_until(page, lambda: H.slider_step(chart) == 4)      # "hello": 4 steps
    body.press("k")                                            # ... where K plays from the start
    H.wait_until(page, lambda: H.slider_step(chart) < 4, timeout=30)
    body.press("k")
    page.wait_for_timeout(300)
    paused_at = H.slider_step(chart)

    box = page.get_by_role("textbox").first                    # an "l" typed into the text is text
    box.click()
    box.press("End")
    box.type("l")
    page.wait_for_timeout(500)
    assert H.slider_step(chart) == paused_at
    assert H.script_runs(page) == {"states": [], "running": 0}  # all in the browser
    assert page.locator(H.EXCEPTION).count() == 0


def test_keys_move_the_hello_timelines_cursor_in_the_browser(server, page):
    """Test that on /Hello_Playground J / K / L move and play the timeline's own cursor (Plotly's slider, in the
    browser) as they do the Step page's, with no script run."""
    H.goto(page, H.hello_url(server))
    H.wait_for_hello(page)
    _hello_keys(page)


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_keys_move_the_hello_cursor_in_the_presenter_view(server, browser, lang):
    """Test the same keys in the presenter view (?present=1) at a projector's 1280×720."""
    q = "present=1" + ("&lang=ko" if lang == "ko" else "")
    context = browser.new_context(viewport=PROJECTOR)
    page = context.new_page()
    try:
        H.goto(page, f"{server}/Hello_Playground?{q}", timeout=180_000)
        H.wait_for_hello(page, timeout=180_000)
        _hello_keys(page, lang)
    finally:
        context.close()


VIEWS = {"hello": ("Hello_Playground", {"lecture": "rnn-intro", "scene": "2"}),   # a lecture's scene, as presented
         "step": ("Step_Through", {}),
         "gradients": ("Vanishing_Gradients", {"tab": "across"})}


@pytest.mark.parametrize("lang", ["en", "ko"])
@pytest.mark.parametrize("view", list(VIEWS))
def test_the_presenter_view_on_a_projector_shows_the_figure_not_the_settings(server, browser, artifacts, view, lang):
    """Test that ?present=1 at 1280×720 has the sidebar folded, the settings in one closed expander (the form's
    fields not shown), a chart on the first screen, larger text; screenshots for a person to look at."""
    from urllib.parse import urlencode
    path, query = VIEWS[view]
    q = dict(query, present="1", **({"lang": lang} if lang != "en" else {}))
    context = browser.new_context(viewport=PROJECTOR, locale="ko-KR" if lang == "ko" else "en-US")
    page = context.new_page()
    try:
        H.goto(page, f"{server}/{path}?{urlencode(q)}", timeout=180_000)
        if view == "hello":
            H.wait_for_hello(page, timeout=180_000)
        elif view == "step":
            H.wait_for_step(page, timeout=180_000)
        else:
            expect(page.locator(H.CHART).first).to_be_visible(timeout=180_000)
        H.wait_for_app_run(page, settle_ms=500)
        page.wait_for_timeout(800)
        out = artifacts / "screens"
        out.mkdir(exist_ok=True)
        page.screenshot(path=str(out / f"present_{view}_{lang}_screen.png"))      # what the projector shows first
        H.full_page_screenshot(page, out / f"present_{view}_{lang}.png")
        assert page.locator(H.EXCEPTION).count() == 0
        expect(page.locator('[data-testid="stSidebar"]')).to_have_attribute("data-collapsed", "true")
        settings = page.locator(".st-key-controls")
        expect(settings.locator("summary")).to_contain_text(t("ui.controls", lang))
        expect(settings.locator("details")).not_to_have_attribute("open", "")
        fields = settings.locator('[data-testid="stTextArea"], [data-testid="stTextInput"], [data-testid="stRadio"]')
        assert fields.count() >= 1 and fields.filter(visible=True).count() == 0     # folded: none shown
        if view == "step":                                      # the cursor and its keys stay in sight
            expect(page.get_by_role("button", name=t("step.next", lang))).to_be_in_viewport()
        size = page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)")
        assert size >= 19                                        # the presenter stylesheet's larger text
        if view != "step":                                      # the scene's figure on the first screen
            expect(page.locator(H.CHART).first).to_be_in_viewport()
        # the figures' text is larger than the chart theme's 14.25 px here: every tick label of every chart >= 16 px
        ticks = page.evaluate(f"[...document.querySelectorAll('{H.CHART} g.xtick text, {H.CHART} g.ytick text')]"
                              ".map(e => parseFloat(e.style.fontSize))")
        assert ticks and min(ticks) >= 16, ticks
    finally:
        context.close()
