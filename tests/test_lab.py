"""The sequence-tasks lab: recipes (library) and the page (AppTest)."""
from __future__ import annotations

import gzip
import json
import struct
from pathlib import Path

import numpy as np
import pytest
import torch
from streamlit.testing.v1 import AppTest

from rnnviz import data as D
from rnnviz.app import lab as lab
from rnnviz.app.lab import RECIPES
from rnnviz.tracing.generate import decode_steps
from rnnviz.tracing.outputs import per_step_outputs
from tests.apptest import open_page

ROOT = Path(__file__).resolve().parents[1]


def _idx(arr: np.ndarray, gz: bool) -> bytes:
    head = struct.pack(">HBB", 0, 0x08, arr.ndim) + b"".join(struct.pack(">I", d) for d in arr.shape)
    raw = head + arr.astype(np.uint8).tobytes()
    return gzip.compress(raw) if gz else raw


@pytest.mark.parametrize("name", ["charlm", "seq2seq", "timeseries", "textclf", "memory"])
def test_every_recipe_trains_and_replays_one_example(name):
    task = lab.build_task(name, steps=30)
    runs = lab.train_cells(task, ("gru",))
    res = runs["gru"].result
    assert res.steps == 30 and res.val_losses and np.isfinite(res.val_losses[-1])
    x, y = lab.example(task, 3)
    model = runs["gru"].model
    if task.kind == "seq2seq":
        d = decode_steps(model, x)
        assert d.L >= 1 and d.encoder_final.shape == (model.encoder.rnn.hidden_size,)
        return
    out = per_step_outputs(model, x, y if task.kind != "many_to_one" else int(y))
    with torch.no_grad():
        full = model(x.unsqueeze(0))[0]
    last = out.logits[-1] if task.kind != "many_to_many" else out.logits
    np.testing.assert_allclose(last, full.numpy() if task.kind == "many_to_many" else full.numpy().reshape(-1),
                               atol=1e-5)


def test_memory_task_separates_memory_from_memoryless():
    task = lab.build_task("memory", steps=300)
    runs = lab.train_cells(task, ("mlp", "gru"))
    assert runs["mlp"].result.val_accuracy < 0.35                # chance is 25%
    assert runs["gru"].result.val_accuracy > 0.95


def test_mnist_rows_recipe_from_idx_files_the_test_writes():
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (60, 28, 28))
    labels = rng.integers(0, 10, 60)
    x, y = D.load_mnist_rows(D.read_idx(_idx(images, True)), D.read_idx(_idx(labels, False)))
    task = lab.build_task("mnist_rows", steps=10, source=(x, y))
    assert task.train[0].shape[1:] == (28, 28) and task.train[0].shape[0] + task.val[0].shape[0] == 60
    runs = lab.train_cells(task, ("lstm",))
    assert runs["lstm"].result.steps == 10
    with pytest.raises(D.DataError):
        lab.build_task("mnist_rows", steps=10)


def test_build_task_rejects_bad_requests():
    with pytest.raises(ValueError):
        lab.build_task("nope")
    with pytest.raises(ValueError):
        lab.build_task("memory", steps=10**6)
    with pytest.raises(ValueError):
        lab.build_task("charlm", steps=30, source="".join(chr(0xAC00 + i) for i in range(600)))   # vocab too large


def test_charlm_uses_the_tuned_recipe():
    task = lab.build_task("charlm", steps=40)
    r = RECIPES["charlm"]
    assert task.train[0].shape[1] == r["seq_len"] == 100
    for cell in ("rnn", "lstm", "gru"):
        f = task.fit_for(cell)
        assert (f.lr, f.batch_size, f.clip, f.lr_schedule, f.steps) == (r["fit"].lr, r["fit"].batch_size, 1.0, "cosine", 40)
    lstm = task.make_model("lstm").rnn
    H = lstm.hidden_size
    np.testing.assert_allclose((lstm.bias_ih_l0 + lstm.bias_hh_l0)[H:2 * H].detach().numpy(), 1.0, atol=1e-6)  # forget bias 1
    gru = task.make_model("gru").rnn
    assert not np.allclose((gru.bias_ih_l0 + gru.bias_hh_l0)[gru.hidden_size:2 * gru.hidden_size].detach().numpy(), 1.0)


def _page(**query) -> AppTest:
    return open_page("pages/4_Sequence_Tasks.py", timeout=300, **query)


@pytest.mark.parametrize("task, charts", [("memory", 2), ("seq2seq", 1), ("timeseries", 3),
                                         pytest.param("charlm", 2, marks=pytest.mark.slow)])
def test_page_trains_three_cells_and_inspects_an_example(task, charts):
    at = _page(task=task, steps="100")
    assert not at.exception
    at.button(key="lab.go").click().run()
    assert not at.exception and not at.error
    run = at.session_state["lab.run"]
    cells = ["mlp", "rnn", "lstm", "gru"] if task == "memory" else ["rnn", "lstm", "gru"]
    assert list(run["results"]) == cells
    assert len(at.get("plotly_chart")) == charts
    curves = json.loads([c for c in at.get("plotly_chart") if "lab.curves" in c.proto.id][0].proto.spec)
    assert len(curves["data"]) >= len(cells) * 2
    assert at.query_params["task"] == task
    if task == "charlm":
        assert len(at.code[0].value) == 121                      # start symbol + 120 generated characters
        top = [d for d in at.dataframe if "top predictions" in d.value.columns][0].value
        T = RECIPES["charlm"]["seq_len"]                      # the tuned recipe's windows
        assert len(top) == T and top["top predictions"].str.count("%").eq(3).all()   # top-3 at every step


def test_page_without_uploaded_data_says_what_to_do():
    """One message, saying what to load; no error and no "press Train" before there is data to train on."""
    at = _page(task="mnist_rows")
    assert not at.exception and not at.error
    assert [i.value for i in at.info] == ["Load the MNIST IDX files (upload the two files, or use the download button) "
                                          "to train on MNIST row by row."]
    assert not [b for b in at.button if b.key == "lab.go"]


def test_page_in_korean():
    at = _page(task="textclf", lang="ko")
    assert not at.exception
    assert at.title[0].value == "시퀀스 과제 실험실"


def test_tasks_say_how_they_are_shown():
    """The page asks the task (not its name) how to label steps, what to draw and what to forecast."""
    from rnnviz.app.lab import CELLS_OF, DEFAULT_STEPS, TASKS
    assert set(DEFAULT_STEPS) == set(CELLS_OF) == set(TASKS) and CELLS_OF["memory"][0] == "mlp"
    mem = lab.build_task("memory", steps=10)
    x, y = lab.example(mem, 0)
    shown = mem.figure_inputs(x, y, 5)
    assert shown["labels"] == [mem.classes[int(v)] for v in x[:5]] and shown["signal"] is None
    assert (shown["targets"] == y.numpy()).all() and mem.target(y) is y and not mem.generates
    lm = lab.build_task("charlm", steps=10, source="hello world, hello rnn. " * 60)
    x, y = lab.example(lm, 0)
    assert lm.generates and lm.step_labels(x, 3) == [lm.extras["vocab"].chars[int(v)] for v in x[:3]]
    ts = lab.build_task("timeseries", steps=10)
    x, y = lab.example(ts, 1)
    shown = ts.figure_inputs(x, y, x.shape[0])
    assert shown["targets"] is None and shown["labels"][:2] == ["1", "2"] and len(shown["signal"]) == x.shape[0]
    model = ts.make_model("gru")
    f = ts.forecasts({"gru": model})
    norm, xv = ts.extras["norm"], ts.val[0]
    with torch.no_grad():
        want = (xv[:, -1, 0].numpy() + model(xv).numpy()[:, 0]) * norm.std + norm.mean   # the change, added back
    np.testing.assert_allclose(f["gru"], want, rtol=1e-6)
    np.testing.assert_allclose(f["naive"], xv[:, -1, 0].numpy() * norm.std + norm.mean, rtol=1e-6)
    with pytest.raises(ValueError, match="only a regression task"):
        mem.forecasts({})


def test_korean_page_names_baselines_and_the_memoryless_cell_in_korean():
    at = _page(task="memory", steps="100", lang="ko")
    at.button(key="lab.go").click().run()
    assert not at.exception and not at.error
    assert "무기억 (우연 수준): 1.39" in " ".join(c.value for c in at.caption)
    curves = json.loads([c for c in at.get("plotly_chart") if "lab.curves" in c.proto.id][0].proto.spec)
    names = {d.get("name") for d in curves["data"]}
    assert "MLP (무기억)" in names and "MLP (memoryless)" not in names
    notes = [a["text"] for a in curves["layout"].get("annotations", [])]
    assert any(n.startswith("무기억 (우연 수준)") for n in notes), notes
    assert at.radio(key="lab.cell").options[0] == "MLP (무기억)"
    table = at.dataframe[0].value
    assert list(table["셀"]) == ["MLP (무기억)", "RNN", "LSTM", "GRU"] and set(table["상태"]) == {"완료"}


def test_close_baselines_have_their_labels_apart():
    from rnnviz.figures import lab as FL
    fig = FL.curves_figure({}, {"uniform": 3.4, "unigram": 2.96, "naive": 0.5}, "en", accuracy=False)
    labels = {a.text.split(" ")[0]: a for a in fig.layout.annotations}
    assert labels["uniform"].yanchor == "bottom" and labels["unigram"].yanchor == "top"     # 0.06 decades apart
    assert labels["last"].yanchor == "bottom"                                              # far from both


def test_overfitting_is_a_validation_loss_that_rose_clearly_after_its_lowest_point():
    from types import SimpleNamespace as NS

    from rnnviz.app.lab import overfitting
    run = lambda losses: NS(result=NS(val_steps=[100 * (i + 1) for i in range(len(losses))], val_losses=losses))  # noqa: E731
    got = overfitting({"rnn": run([1.5, 1.0, 1.26]), "lstm": run([0.089, 0.10, 0.105]), "gru": run([1.0, 0.8, 0.7]),
                       "mlp": run([1.0, float("nan"), 2.0])})
    assert got == {"rnn": (200, 1.0, 1.26)}          # LSTM: noise of a small validation set; GRU: still falling


def test_the_lab_says_when_the_character_model_overfits():
    at = open_page("pages/4_Sequence_Tasks.py", timeout=120, task="charlm")
    assert not at.exception
    (note,) = [i.value for i in at.info if "overfitting" in i.value]
    assert "LSTM: lowest" in note and "at step 250" in note


def test_a_narrow_log_loss_axis_labels_1_2_5_only():
    """The learning curves' log axis: for losses within about a decade (the time series: 0.05-0.1) the labels
    are 1, 2 and 5 of each decade (dtick "D2"), not every digit; a wide range is left to Plotly."""
    from types import SimpleNamespace as NS
    from rnnviz.figures.lab import curves_figure
    from rnnviz.figures.style import log_ticks
    assert log_ticks([0.05, 0.07, 0.1]) == {"dtick": "D2"}
    assert log_ticks([1e-4, 2.0]) == {} and log_ticks([]) == {} and log_ticks([np.nan, 0.0, -1]) == {}

    def run(losses):
        return NS(result=NS(steps=len(losses), losses=losses, val_steps=[len(losses)], val_losses=[losses[-1]],
                            val_accuracies=[]))
    narrow = curves_figure({"rnn": run([0.1, 0.08, 0.06]), "lstm": run([0.09, 0.07, 0.05])}, {"naive": 0.08},
                           accuracy=False)
    assert narrow.layout.yaxis.dtick == "D2" and narrow.layout.yaxis.type == "log"
    wide = curves_figure({"rnn": run([2.0, 0.5, 0.001])}, {"naive": 0.08}, accuracy=False)
    assert wide.layout.yaxis.dtick is None
