"""Export and import on the pages (AppTest): the download buttons of the Hello, Step and lab pages give real files
(built only when pressed), and a model file uploaded on the Step page becomes its source "file"; a bad file leaves
the session's model as it was, with the reason in the user's language."""
from __future__ import annotations

import csv
import io

import numpy as np
import pytest
import torch
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.testing.v1 import AppTest

from rnnviz.nn.checkpoint import load_checkpoint, load_models
from tests.apptest import HOME, open_page
from tests.korean import english_words

STEP, HELLO, LAB = "pages/2_Step_Through.py", "pages/1_Hello_Playground.py", "pages/4_Sequence_Tasks.py"


@pytest.fixture
def downloads(monkeypatch):
    """file name -> the callable a download button would run when pressed (the last run's buttons win)."""
    seen: dict = {}
    real = MediaFileManager.add_deferred

    def record(self, data_callable, mimetype, coordinates, file_name=None, **kw):
        seen[file_name] = data_callable
        return real(self, data_callable, mimetype, coordinates, file_name=file_name, **kw)
    monkeypatch.setattr(MediaFileManager, "add_deferred", record)
    return seen


def _labels(at) -> list[str]:
    return [b.label for b in at.download_button]


def _hello_then_step() -> AppTest:
    at = AppTest.from_file(HOME, default_timeout=90)
    at.switch_page(HELLO)
    at.run()
    assert not at.exception
    return at


def test_hello_downloads_the_model_the_trace_and_the_figure(downloads):
    at = _hello_then_step()
    run = at.session_state["hello.run"]
    assert _labels(at) == ["Download the model (.safetensors)", "Download every value (CSV)", "Download the figure (HTML)"]
    assert all(b.proto.deferred_file_id and b.proto.ignore_rerun for b in at.download_button)
    assert "export.model" not in run.extras                       # nothing serialised until a button is pressed
    files = {k: v() for k, v in downloads.items()}
    assert set(files) == {"rnnviz-hello-lstm-16.safetensors", "rnnviz-hello-lstm-16-trace.csv",
                          "rnnviz-hello-timeline.html"}
    model, vocab, meta = load_checkpoint(files["rnnviz-hello-lstm-16.safetensors"])
    with torch.no_grad():
        assert torch.equal(model(run.x), run.model(run.x))
    assert meta["text"] == "hello" and meta["training"]["steps"] == run.cfg.steps
    rows = files["rnnviz-hello-lstm-16-trace.csv"].decode("utf-8-sig").splitlines()
    assert rows[0].startswith("step,input_char,target_char,predicted_char,h_0,") and len(rows) == 1 + 4
    html = files["rnnviz-hello-timeline.html"]
    assert len(html) > 1_000_000 and b"Plotly.newPlot" in html


def test_step_downloads_the_shown_model_its_trace_and_the_timeline(downloads):
    at = open_page(STEP)
    assert not at.exception
    assert _labels(at) == ["Download the model (.safetensors)", "Download every value (CSV)"]
    model = downloads["rnnviz-brackets_lstm-lstm.safetensors"]()
    src = at.session_state["step.presets"]["brackets_lstm"]
    loaded, vocab, meta = load_checkpoint(model)
    assert vocab.chars == src.vocab.chars and meta["units"] == src.meta["units"]
    rows = list(csv.reader(io.StringIO(downloads["rnnviz-trace-brackets_lstm.csv"]().decode("utf-8-sig"))))
    assert len(rows) == len(src.text) and sum(c.startswith("gate_forget_") for c in rows[0]) == 64  # T + header
    assert "".join(r[1] for r in rows[1:]) == src.text[:-1]
    at = open_page(STEP, tab="states")                            # the timeline's tab: its figure as HTML too
    assert "Download the figure (HTML)" in _labels(at)
    assert b"Plotly.newPlot" in downloads["rnnviz-step-timeline.html"]()


def test_lab_downloads_every_trained_model(downloads):
    at = open_page(LAB, timeout=120, task="memory")
    assert not at.exception
    assert _labels(at) == ["Download the models (.safetensors)", "Download the figure (HTML)"]
    run = at.session_state["lab.run.ready"]                      # the shipped run of the default settings
    fresh = {c: run["task"].make_model(c) for c in run["results"]}
    meta = load_models(downloads["rnnviz-lab-memory.safetensors"](), fresh)
    assert meta["task"] == "memory" and set(meta["results"]) == set(fresh)
    x = run["task"].val[0][:3]
    with torch.no_grad():
        for c, r in run["results"].items():
            r.model.eval()
            assert torch.equal(fresh[c](x), r.model(x))
    assert b"Plotly.newPlot" in downloads["rnnviz-lab-memory-curves.html"]()


def test_the_hello_model_uploaded_on_the_step_page_is_shown(downloads):
    at = _hello_then_step()
    run = at.session_state["hello.run"]
    data = downloads["rnnviz-hello-lstm-16.safetensors"]()
    at.switch_page(STEP)
    at.run()
    assert at.radio(key="step.src").value == "hello"
    at.file_uploader(key="step.upload").upload("my model.safetensors", data).run()
    assert not at.exception and not at.error
    src = at.radio(key="step.src")
    assert src.value == "file"
    assert src.options[:2] == ["Your model from the Hello playground", "Model from a file"]
    name = "my model&#46;safetensors"                             # as typed: "." is no Markdown (ui.md_literal)
    assert f"Opened {name}: LSTM, 16 units, a vocabulary of 4 characters." in [s.value for s in at.success]
    assert at.text_area(key="step.text.file").value == "hello"
    file_src = at.session_state["step.file"]
    view = at.session_state["step.views"].get(("file", id(file_src.model), "hello"))
    np.testing.assert_array_equal(view.trace.hidden, run.trace.hidden)
    np.testing.assert_array_equal(view.trace.predictions, run.trace.predictions)
    for g in run.trace.gates:
        np.testing.assert_array_equal(view.trace.gates[g], run.trace.gates[g])
    # the file stays the session's model: rerun, other sources and back
    at.radio(key="step.src").set_value("korean_gru").run()
    at.radio(key="step.src").set_value("file").run()
    assert not at.exception and at.session_state["step.file"] is file_src
    assert "LSTM · 16 units · vocabulary of 4 characters" in "\n".join(c.value for c in at.caption)
    assert at.session_state["hello.run"] is run                    # the Hello model is untouched


def _good_file() -> bytes:
    import rnnviz
    from rnnviz.nn.checkpoint import save_checkpoint
    return save_checkpoint(None, rnnviz.build_model("gru", 3, 5, seed=1), list("abc"), {"text": "abcabc"})


def _pickle() -> bytes:
    buf = io.BytesIO()
    torch.save({"w": torch.zeros(2)}, buf)
    return buf.getvalue()


@pytest.mark.parametrize("bad, reason", [
    (lambda: _good_file()[:-7], "the file is cut short (truncated)"),
    (_pickle, "this is not a safetensors file"),
    (lambda: b"", "the file is empty"),
])
def test_a_bad_upload_keeps_the_model_and_says_why(bad, reason):
    at = open_page(STEP)
    good = _good_file()
    at.file_uploader(key="step.upload").upload("good.safetensors", good).run()
    assert at.radio(key="step.src").value == "file"
    before = at.session_state["step.file"]
    at.file_uploader(key="step.upload").upload("bad.safetensors", bad()).run()
    assert not at.exception
    (err,) = at.error
    assert err.value.startswith(f"Cannot open bad&#46;safetensors: {reason}") and "stays as it was" in err.value
    assert at.session_state["step.file"] is before and at.radio(key="step.src").value == "file"
    at.run()                                                       # still said while that file is in the uploader
    assert [e.value for e in at.error] == [err.value]
    at.file_uploader(key="step.upload").set_value(None).run()
    assert not at.error and at.session_state["step.file"] is before


def test_a_bad_first_upload_leaves_the_preset_and_no_file_source():
    at = open_page(STEP)
    at.file_uploader(key="step.upload").upload("x.safetensors", _good_file()[:40]).run()
    assert not at.exception and len(at.error) == 1
    assert at.radio(key="step.src").value == "brackets_lstm" and "Model from a file" not in at.radio(key="step.src").options
    assert "step.file" not in at.session_state


def test_a_bad_upload_is_explained_in_korean():
    at = open_page(STEP, lang="ko")
    at.file_uploader(key="step.upload").upload("x.safetensors", _pickle()).run()
    (err,) = at.error
    assert "safetensors 파일이 아닙니다" in err.value and "보이던 모델은 그대로입니다" in err.value
    assert not english_words(err.value)
    assert [b.label for b in at.download_button] == ["모델 내려받기 (.safetensors)", "모든 값 내려받기 (CSV)"]
