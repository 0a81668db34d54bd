"""Browser tests: the real app in headless chromium (Debian's, through Playwright).

Selectors are Streamlit's data-testid attributes, ARIA roles and visible text. Each test gets a fresh
browser context, so a fresh Streamlit session (which trains "hello" on load)."""
from __future__ import annotations

import re
import time
from urllib.parse import parse_qs

from playwright.sync_api import expect

from tests.apptest import table_numbers
from tests.e2e import harness as H


def _query(page) -> dict:
    """The page's current URL query (Streamlit updates it with history.replaceState)."""
    return {k: v[0] for k, v in parse_qs(page.evaluate("location.search").lstrip("?")).items()}


def test_home_page(server, page):
    """Test that the home page loads with the title "rnnviz" and a link to the Hello playground."""
    H.goto(page, server)
    expect(page.get_by_role("heading", level=1)).to_contain_text("rnnviz")
    expect(page).to_have_title(re.compile("rnnviz"))
    link = page.locator('[data-testid="stMain"]').get_by_role("link", name="Hello playground").last   # the card (the top bar has one too)
    expect(link).to_be_visible()
    link.click()
    expect(page).to_have_url(re.compile(r"/Hello_Playground"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello playground")
    assert page.locator(H.EXCEPTION).count() == 0


def test_hello_trains_on_load(server, page, artifacts):
    """Test that the Hello playground trains "hello" on load and shows the figures and the predictions table."""
    H.goto(page, H.hello_url(server))
    H.wait_for_hello(page)
    expect(page.locator(H.SUCCESS)).to_contain_text("accuracy 100%")
    assert page.locator(H.PLOTLY).count() >= 2
    expect(page.get_by_role("heading", name="Predictions at every step")).to_be_visible()
    table = page.locator(H.TABLE).filter(has_text=" · ")           # the top-predictions column: "e 100% · l 0% …"
    expect(table).to_be_visible()
    expect(table.locator("tbody tr")).to_have_count(4)
    first = table.locator("tbody tr").first.locator("td")
    assert first.all_inner_texts()[:3] == ["1", "h", "e"]           # step 1 reads h; e comes next
    assert first.nth(3).inner_text().startswith("e ")               # ... and the top guess is e
    assert H.time_axis_labels(H.states_chart(page)) == ["h", "e", "l", "l"]
    assert page.locator(H.EXCEPTION).count() == 0
    assert _query(page).get("text") == "hello"
    H.full_page_screenshot(page, artifacts / "hello.png")


def test_cursor_moves_in_the_browser_without_retraining(server, page):
    """Test that clicking step 2 on the timeline's own slider moves its cursor caption to t = 2 with no script run."""
    H.goto(page, H.hello_url(server))
    H.wait_for_hello(page)
    trained = page.locator(H.SUCCESS).inner_text()
    expect(H.cursor_label(page, 1)).to_be_visible()
    runs_before = page.evaluate("performance.getEntriesByType('resource').length")

    t0 = time.perf_counter()
    H.click_time_step(page, 2)
    H.cursor_label(page, 2).wait_for(state="visible")
    redraw_ms = (time.perf_counter() - t0) * 1000
    print(f"\ncursor redraw (click on step 2 -> 't = 2' caption in the timeline): {redraw_ms:.0f} ms")
    expect(H.cursor_label(page, 1)).to_have_count(0)
    H.click_time_step(page, 4)
    expect(H.cursor_label(page, 4)).to_be_visible()
    assert page.locator(H.STATUS_RUNNING).count() == 0              # the move ran no script
    expect(page.locator(H.SUCCESS)).to_have_text(trained)          # same run: the cursor never retrains
    assert runs_before <= page.evaluate("performance.getEntriesByType('resource').length")


def _default_hello_numbers(t: int) -> list[str]:
    """The values table's numbers at step t of the default Hello model, trained here (training is deterministic)."""
    import numpy as np
    from rnnviz.app.playground import PlaygroundConfig, run_playground
    tr = run_playground(PlaygroundConfig()).trace
    vecs = [tr.hidden, tr.gates["input"], tr.gates["forget"], tr.gates["candidate"], tr.gates["output"], tr.cell]
    return [f"{x:.4f}" for x in np.stack([np.float32(v[t - 1]) for v in vecs], axis=1).ravel().tolist()]


def test_the_values_table_moves_with_the_one_cursor(server, page):
    """Test that a click on step 3 of the timeline's slider moves the cursor, the caption and the values table
    inside the figure together (the numbers of step 3 of the trace), with no script run."""
    H.goto(page, H.hello_url(server))
    H.wait_for_hello(page)
    chart = H.states_chart(page)
    read = """(c, t) => {
        const gd = c.querySelector('.js-plotly-plot');
        const frame = gd._transitionData._frameHash[String(t)].layout.images[1].source;
        const drawn = Array.from(c.querySelectorAll('.layer-above image')).map(e => e.getAttribute('href'));
        return {shown: gd.layout.images[1].source, frame: frame, drawn: drawn};
    }"""
    H.click_time_step(page, 3)
    expect(H.cursor_label(page, 3)).to_be_visible()
    got = chart.evaluate(read, 3)
    assert got["shown"] == got["frame"] and got["frame"] in got["drawn"]   # the table holds and draws step 3's numbers
    assert table_numbers(got["frame"])[2] == _default_hello_numbers(3)                           # the trace's numbers at step 3
    assert got["shown"] != chart.evaluate(read, 1)["frame"]
    H.click_time_step(page, 1)
    expect(H.cursor_label(page, 1)).to_be_visible()
    chart.locator("text.updatemenu-item-text", has_text="▶ Play").click()  # ▶ plays the frames: the table follows
    expect(H.cursor_label(page, 4)).to_be_visible(timeout=10_000)
    page.wait_for_timeout(300)
    got = chart.evaluate(read, 4)
    assert got["shown"] == got["frame"] and got["frame"] in got["drawn"]
    assert page.locator(H.STATUS_RUNNING).count() == 0
    assert page.locator('[data-testid="stSlider"]').filter(has_text="values at step").count() == 0   # one cursor


def _train_text(page, server, text: str) -> str:
    """Open the Hello page trained on its default text, type `text` and press Train; returns the success
    message of the model trained first."""
    H.goto(page, H.hello_url(server))
    H.wait_for_hello(page)
    before = page.locator(H.SUCCESS).inner_text()
    page.get_by_role("textbox", name="Training text").fill(text)
    page.get_by_role("button", name="Train", exact=True).click()
    return before


def test_retrain_on_new_text(server, page):
    """Test that typing a new training text and clicking Train retrains and relabels the time axis."""
    before = _train_text(page, server, "abcabd")
    # While the new run draws, the old run's message may still be on the page (Streamlit removes a run's stale
    # elements when it finishes): wait for the new message, alone.
    expect(page.locator(H.SUCCESS).filter(has_not_text=before)).to_have_count(1, timeout=60_000)
    expect(page.locator(H.SUCCESS)).to_have_count(1, timeout=60_000)
    H.wait_for_hello(page)
    H.wait_until(page, lambda: H.time_axis_labels(H.states_chart(page)) == ["a", "b", "c", "a", "b"])
    assert _query(page).get("text") == "abcabd"
    expect(H.cursor_label(page, 1)).to_be_visible()                 # a new run starts the cursor over
    assert page.locator(H.EXCEPTION).count() == 0


def test_markup_characters_are_shown_literally(server, page):
    """Test that a text of Markdown and HTML characters (| * $ _ < >) trains and every one of them shows up
    as itself in the predictions table: no broken cells, no emphasis, no LaTeX, no HTML."""
    text = "a|b*c$d_e<f>"
    H.goto(page, H.hello_url(server, text=text))
    H.wait_for_hello(page)
    table = page.locator(H.TABLE).filter(has_text=" · ")
    rows = table.locator("tbody tr")
    expect(rows).to_have_count(len(text) - 1)
    cells = [rows.nth(i).locator("td").all_inner_texts() for i in range(len(text) - 1)]
    assert {len(c) for c in cells} == {6}                           # a "|" did not split a cell
    assert [c[1] for c in cells] == list(text[:-1]) and [c[2] for c in cells] == list(text[1:])
    assert table.locator("em, strong em, .katex, b f").count() == 0
    assert page.locator(H.EXCEPTION).count() == 0


def test_empty_text_shows_error_and_keeps_figures(server, page):
    """Test that an empty training text gives an error message, no traceback, and keeps the trained figures."""
    trained = _train_text(page, server, "")
    expect(page.locator(H.ERROR)).to_contain_text("training text is empty", timeout=60_000)
    H.wait_for_app_run(page)
    assert page.locator(H.EXCEPTION).count() == 0
    expect(page.locator(H.SUCCESS)).to_have_text(trained)           # the previous model is still shown
    assert page.locator(H.PLOTLY).count() >= 2
    assert H.time_axis_labels(H.states_chart(page)) == ["h", "e", "l", "l"]


def test_korean(server, page, artifacts):
    """Test that choosing 한국어 in the top bar shows Korean text with real Hangul glyphs and puts lang=ko in the URL."""
    H.goto(page, H.hello_url(server))
    H.wait_for_hello(page)

    page.locator(".st-key-top_bar").get_by_text("한국어", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello 놀이터", timeout=60_000)
    H.wait_for_hello(page)
    expect(H.states_chart(page, "ko")).to_be_visible()             # figure texts are translated too
    expect(H.cursor_label(page, 1, "ko")).to_be_visible()
    expect(page.get_by_role("button", name="학습", exact=True)).to_be_visible()
    H.wait_until(page, lambda: _query(page).get("lang") == "ko")
    assert page.locator(H.EXCEPTION).count() == 0
    assert H.glyphs_render(page, "놀이터 학습"), "Hangul is drawn as missing-glyph boxes: install fonts-nanum"
    H.full_page_screenshot(page, artifacts / "hello_ko.png")


def test_query_parameters_reproduce_the_view(server, page):
    """Test that a link with ?text=hello&cell=gru&hidden=8&t=3 opens a GRU with 8 units at time step 3."""
    H.goto(page, H.hello_url(server, text="hello", cell="gru", hidden=8, t=3))
    H.wait_for_hello(page)
    success = page.locator(H.SUCCESS)
    expect(success).to_contain_text("GRU")
    expect(success).to_contain_text("8 units")
    expect(H.cursor_label(page, 3)).to_be_visible()                 # the figure opens at the link's step
    q = _query(page)
    assert (q.get("cell"), q.get("hidden"), q.get("t")) == ("gru", "8", "3")


def test_the_prompts_box_draws_its_questions_only_when_opened(server, page, artifacts):
    """Test that the Hello page's "predict before you look" box comes folded with nothing inside; a click opens it
    (a rerun of the box alone: the trained figures stay), a choice is marked ✗ with the right answer, and the
    box closes again."""
    from rnnviz.i18n import t
    H.goto(page, H.hello_url(server))
    H.wait_for_hello(page)
    question = "After reading 'l' the first time"
    box = page.locator('[data-testid="stExpander"]').filter(has_text=t("prompts.title", "en"))
    expect(box).to_have_count(1)
    assert page.get_by_text(question).count() == 0                  # folded: not even sent
    charts = page.locator(H.PLOTLY).count()
    box.get_by_text(t("prompts.title", "en")).click()
    expect(page.get_by_text(question)).to_be_visible(timeout=30_000)
    box.get_by_text("o: after l comes o").click()                  # the wrong one
    expect(box.get_by_text("✗", exact=False)).to_be_visible(timeout=30_000)
    H.wait_for_app_run(page)
    assert page.locator(H.PLOTLY).count() == charts                 # the rest of the page as it was
    expect(page.locator(H.SUCCESS)).to_contain_text("accuracy 100%")
    assert page.locator(H.EXCEPTION).count() == 0
    box.screenshot(path=str(artifacts / "hello_prompts_open.png"))
    box.get_by_text(t("prompts.title", "en")).click()
    expect(page.get_by_text(question)).to_have_count(0, timeout=30_000)
