"""Browser test of export and import (issue #13): the model downloaded from the Hello playground, uploaded on the
Step page in a new session, shows the same numbers; a bad file is refused on the page."""
from __future__ import annotations

import re

import numpy as np
import pytest
from playwright.sync_api import expect

from tests.e2e import harness as H


@pytest.fixture(scope="module")
def hello_run():
    """The default Hello run, trained here: CPU training is deterministic, so it is the model the page trains."""
    from rnnviz.app.playground import PlaygroundConfig, run_playground
    return run_playground(PlaygroundConfig())


def _upload(page, path) -> None:
    page.locator('[data-testid="stExpander"] summary').filter(has_text="Open a model file").click()
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(str(path))
    H.wait_for_app_run(page)


def test_hello_model_downloads_and_opens_on_the_step_page(server, page, artifacts, tmp_path, hello_run):
    """Test that the Hello page's model download is a checkpoint of the trained model and that, uploaded on the
    Step page of a fresh session, it becomes the "Model from a file" source with the Hello model's gate values."""
    from rnnviz.nn.checkpoint import load_checkpoint
    H.goto(page, H.hello_url(server))
    H.wait_for_hello(page)
    with page.expect_download() as dl:
        page.get_by_role("button", name="Download the model (.safetensors)").click()
    assert dl.value.suggested_filename == "rnnviz-hello-lstm-16.safetensors"
    path = tmp_path / dl.value.suggested_filename
    dl.value.save_as(path)
    model, vocab, meta = load_checkpoint(path)
    assert vocab.chars == hello_run.vocab.chars and meta["text"] == "hello"
    np.testing.assert_array_equal(model(hello_run.x).detach().numpy(), hello_run.model(hello_run.x).detach().numpy())

    H.goto(page, H.step_url(server))              # a new session: no Hello model here, only the file
    H.wait_for_step(page)
    _upload(page, path)
    expect(page.locator(H.SUCCESS).filter(has_text="Opened rnnviz-hello-lstm-16.safetensors")).to_be_visible()
    expect(page.get_by_role("radio", name="Model from a file")).to_be_checked()
    expect(page.get_by_text("LSTM · 16 units · vocabulary of 4 characters")).to_be_visible()
    H.wait_for_step(page, equations=8)
    expect(H.equations_step(page, 1)).to_be_visible()
    first = page.locator(H.KATEX).first.inner_text()            # f_t = σ([...]) = [the gate's values at t = 1]
    shown = re.search(r"\)\s*=\s*\[([^\]]*)\]", first).group(1).split()
    assert len(shown) >= 3
    assert set(shown) <= {f"{float(v):.3f}" for v in hello_run.trace.gates["forget"][0]}, (shown, first)
    assert page.locator(H.EXCEPTION).count() == 0
    H.full_page_screenshot(page, artifacts / "step_file.png")

    # a damaged copy is refused and the file's model stays
    bad = tmp_path / "broken.safetensors"
    bad.write_bytes(path.read_bytes()[:-50])
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(str(bad))
    H.wait_for_app_run(page)
    expect(page.locator(H.ERROR).filter(has_text="Cannot open broken.safetensors: the file is cut short")).to_be_visible()
    expect(page.get_by_role("radio", name="Model from a file")).to_be_checked()
    expect(page.get_by_text("LSTM · 16 units · vocabulary of 4 characters")).to_be_visible()
