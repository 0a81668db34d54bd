"""Browser tests of lecture mode: a scene link opens its page with its settings, the presenter view, the scene
bar's keys, the student link (real app, Debian chromium through Playwright)."""
from __future__ import annotations

from urllib.parse import parse_qs

import pytest
from playwright.sync_api import expect

from tests.e2e import harness as H

PROJECTOR = {"width": 1280, "height": 720}


def _query(page) -> dict:
    return {k: v[0] for k, v in parse_qs(page.evaluate("location.search").lstrip("?")).items()}


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_a_scene_link_opens_its_page_in_the_presenter_view(server, browser, artifacts, lang):
    """Test that /Lecture?lecture=rnn-intro&scene=3&present=1 opens the Hello page trained as the scene says, at
    step 3, with the scene bar, the talking points and the student link, and the sidebar collapsed; then
    PageDown moves to scene 4 on the Step page with that scene's settings."""
    from rnnviz.i18n import t
    context = browser.new_context(viewport=PROJECTOR)
    page = context.new_page()
    try:
        H.goto(page, f"{server}/Lecture?lecture=rnn-intro&scene=3&present=1&lang={lang}")
        H.wait_until(page, lambda: "Hello_Playground" in page.url)
        expect(page.get_by_text(t("lecture.held_back", lang))).to_be_visible()   # predict before you look
        assert page.locator(H.CHART).count() == 0
        page.locator(".st-key-scene_question").get_by_text("l", exact=True).click()
        H.wait_for_hello(page)
        bar = page.locator(".st-key-scene_bar")
        expect(bar).to_contain_text(t("lecture.k_of_n", lang, k=3, n=15))
        page.get_by_text(t("lecture.points", lang)).click()            # folded: the lecturer opens it
        expect(page.locator(".st-key-scene_bar li").first).to_be_visible()
        expect(H.cursor_label(page, 3, lang)).to_be_visible()          # the scene's t = 3
        q = _query(page)
        assert (q["cell"], q["t"], q["scene"], q["present"]) == ("lstm", "3", "3", "1")
        expect(page.locator('[data-testid="stSidebar"]')).to_have_attribute("data-collapsed", "true")
        link = page.locator(".st-key-scene_bar [data-testid='stCode']").inner_text()
        assert "present" not in link and "scene=3" in link
        assert page.locator(H.EXCEPTION).count() == 0
        page.screenshot(path=str(artifacts / "screens" / f"lecture_present_{lang}_screen.png"))
        H.full_page_screenshot(page, artifacts / "screens" / f"lecture_present_{lang}.png")

        page.locator("body").press("PageDown")                         # the clicker's "next"
        H.wait_until(page, lambda: "Step_Through" in page.url)
        expect(page.locator(".st-key-scene_bar")).to_contain_text(t("lecture.k_of_n", lang, k=4, n=15))
        H.wait_for_app_run(page)
        q = _query(page)
        assert (q["src"], q["tab"], q["scene"]) == ("brackets_lstm", "unrolled", "4")
        assert page.locator(H.EXCEPTION).count() == 0
    finally:
        context.close()


def test_the_student_link_opens_the_same_scene_without_the_talking_points(server, page):
    """Test that the student's link (no present=1) opens scene 3 with the same settings and step, the scene bar,
    the question, and no talking points."""
    H.goto(page, f"{server}/Hello_Playground?text=hello&cell=lstm&t=3&lecture=rnn-intro&scene=3")
    expect(page.locator(".st-key-scene_bar")).to_contain_text("scene 3 of 15")
    expect(page.locator(".st-key-scene_question")).to_contain_text("At step 3 the network reads l")
    page.locator(".st-key-scene_question").get_by_text("l", exact=True).click()
    expect(page.locator(".st-key-scene_question")).to_contain_text("Right: l.")
    H.wait_for_hello(page)
    expect(H.cursor_label(page, 3)).to_be_visible()
    expect(page.get_by_text("Talking points (presenter only)")).to_have_count(0)
    assert page.locator(H.EXCEPTION).count() == 0


def test_three_students_answer_and_the_presenter_sees_the_tally_then_reveals(server, browser):
    """Test that a presenter's class session collects answers from three browsers (three sessions), the tally
    updates live on the presenter's screen, and the reveal reaches the students."""
    ctxs = [browser.new_context(viewport=PROJECTOR) for _ in range(4)]
    try:
        presenter, *students = [c.new_page() for c in ctxs]
        H.goto(presenter, f"{server}/Hello_Playground?text=hello&cell=lstm&t=3&lecture=rnn-intro&scene=3&present=1")
        presenter.get_by_text("Talking points (presenter only)").click()
        presenter.get_by_role("button", name="Start a class session (the class answers live)").click()
        H.wait_until(presenter, lambda: "class" in _query(presenter))
        code_box = presenter.locator(".st-key-scene_bar [data-testid='stCode']")
        expect(code_box).to_contain_text("class=")                                # redrawn after the rerun
        link = code_box.inner_text().strip()
        assert f"class={_query(presenter)['class']}" in link
        for page, choice in zip(students, ("l", "l", "o")):
            H.goto(page, link)
            H.wait_for_app_run(page)
            page.locator(".st-key-scene_question").get_by_text(choice, exact=True).click()
            expect(page.locator(".st-key-scene_question")).to_contain_text("Answer sent")
        box = presenter.locator(".st-key-scene_question")
        expect(box).to_contain_text("3 answers so far", timeout=20_000)            # the live tally (every 2 s)
        expect(box).to_contain_text("l: 2")
        expect(box).to_contain_text("o: 1")
        box.get_by_role("button", name="Reveal the answer to everyone").click()
        expect(students[0].locator(".st-key-scene_question")).to_contain_text("Right: l.", timeout=20_000)
        expect(students[2].locator(".st-key-scene_question")).to_contain_text("Not quite", timeout=20_000)
        H.wait_for_hello(students[0])                                              # and the figure, held back till now
        assert students[1].locator(H.CHART).count() >= 0
        assert all(p.locator(H.EXCEPTION).count() == 0 for p in [presenter, *students])
    finally:
        for c in ctxs:
            c.close()
