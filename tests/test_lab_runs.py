"""rnnviz.app.lab_runs: the lab's shipped models for the default settings, and one training per setting."""
from __future__ import annotations

import dataclasses
import math

import pytest
import torch

from rnnviz.app import lab_runs as R
from rnnviz.app.lab import CELLS_OF, DEFAULT_STEPS
from rnnviz.nn.checkpoint import CheckpointError, load_models, save_models
from rnnviz.nn.model import seq_model
from rnnviz.training.fit import evaluate
from tests.apptest import open_page


@pytest.fixture(autouse=True)
def _fresh_cache():
    R.clear_shared_lab_runs()
    yield
    R.clear_shared_lab_runs()


@pytest.mark.parametrize("task", list(R.BUILTIN))
def test_every_task_with_built_in_data_ships_a_fresh_run(task):
    """The file exists, was made at the page's default settings, and from exactly the data, recipe and
    initial weights the code makes today (else: run scripts/train_lab.py again)."""
    meta = R.ready_meta(task)
    assert meta is not None, f"assets/lab/{task}.safetensors is missing: run python scripts/train_lab.py {task}"
    setting = R.LabSetting.default(task)
    assert meta["setting"] == dataclasses.asdict(setting)
    assert meta["fingerprint"] == R.fingerprint(R.build(setting)), \
        f"assets/lab/{task}.safetensors is stale: run python scripts/train_lab.py {task}"


@pytest.mark.parametrize("task", list(R.BUILTIN))
def test_shipped_models_give_the_numbers_shipped_with_them(task):
    """The loaded weights reproduce the validation loss and accuracy recorded when they were trained."""
    run = R.load_ready(R.LabSetting.default(task))
    assert run["source"] == "ready" and list(run["results"]) == list(CELLS_OF[task])
    for cell, r in run["results"].items():
        assert r.result.status in ("done", "target") and len(r.result.losses) == r.result.steps > 0
        loss, acc = evaluate(r.model, run["task"].val)
        assert math.isclose(loss, r.result.val_loss, rel_tol=1e-4, abs_tol=1e-6), (cell, loss, r.result.val_loss)
        if acc is not None:
            assert abs(acc - r.result.val_accuracy) < 1e-6


def test_the_shipped_runs_teach_the_lesson_of_their_task():
    """Memory helps where the task needs it: on the default series every cell forecasts far better than the
    naive "same as the last value"; every cell recalls the symbol two steps back and the memoryless MLP
    cannot (chance: 25%); the gated cells read MNIST-1D well."""
    ts = R.load_ready(R.LabSetting.default("timeseries"))
    naive = ts["task"].baseline["naive"]
    assert all(r.result.val_loss < 0.5 * naive for r in ts["results"].values()), naive
    mem = R.load_ready(R.LabSetting.default("memory"))["results"]
    assert mem["mlp"].result.val_accuracy < 0.3 and all(mem[c].result.val_accuracy > 0.99 for c in ("rnn", "lstm", "gru"))
    mnist = R.load_ready(R.LabSetting.default("mnist1d"))["results"]
    assert mnist["gru"].result.val_accuracy > 0.95 and mnist["lstm"].result.val_accuracy > 0.9


@pytest.mark.slow
@pytest.mark.parametrize("task", ["memory", "seq2seq"])
def test_a_fresh_training_matches_the_shipped_one(task):
    """Training again at the default settings gives what was shipped (CPU training is seeded; the thread
    count may change the last bits, so the accuracy is compared, not the weights)."""
    setting = R.LabSetting.default(task)
    shipped = R.load_ready(setting)["results"]
    fresh = R.train_run(R.build(setting))["results"]
    for cell in CELLS_OF[task]:
        a, b = shipped[cell].result, fresh[cell].result
        assert abs(a.val_accuracy - b.val_accuracy) < 0.02, (cell, a.val_accuracy, b.val_accuracy)
        assert abs(a.val_loss - b.val_loss) < 0.05 + 0.05 * a.val_loss


def test_lab_run_is_shared_and_every_caller_gets_its_own_copy():
    setting = R.LabSetting.default("memory")
    a, b = R.lab_run(setting), R.lab_run(setting)
    assert a["results"]["lstm"].model is not b["results"]["lstm"].model
    with torch.no_grad():
        a["results"]["lstm"].model.head.weight.zero_()            # a session changing its copy ...
    c = R.lab_run(setting)
    assert not torch.equal(c["results"]["lstm"].model.head.weight, a["results"]["lstm"].model.head.weight)
    assert R.lab_run(dataclasses.replace(setting, steps=100)) is None       # ... and nothing for unshipped settings


def test_a_finished_live_training_is_kept_for_the_next_session_and_a_stopped_one_is_not():
    setting = R.LabSetting("memory", "delayed_recall", 100)
    stopped = R.train_lab_run(setting, on_step=lambda cell, p: False if cell == "rnn" and p.step == 5 else None)
    assert list(stopped["results"]) == ["mlp", "rnn"] and stopped["results"]["rnn"].result.status == "stopped"
    assert R.lab_run(setting) is None
    into = {}
    run = R.train_lab_run(setting, into=into)
    assert into is run["results"] and list(into) == list(CELLS_OF["memory"])
    again = R.lab_run(setting)
    assert again["source"] == "shared"
    for cell in CELLS_OF["memory"]:
        assert again["results"][cell].result.losses == run["results"][cell].result.losses
        assert again["results"][cell].model is not run["results"][cell].model


def test_settings_are_checked():
    with pytest.raises(ValueError, match="built-in data"):
        R.LabSetting("charlm", "klingon", 600).validate()
    with pytest.raises(ValueError, match="task"):
        R.LabSetting("mnist_rows", "mnist", 600).validate()        # needs the user's files: never shipped
    assert R.LabSetting.default("charlm") == R.LabSetting("charlm", "english", DEFAULT_STEPS["charlm"])


def test_models_file_round_trip_and_refusals(tmp_path):
    models = {c: seq_model("many_to_one", c, in_features=2, hidden=3, out=2, seed=0) for c in ("rnn", "gru")}
    data = save_models(tmp_path / "m.safetensors", models, {"note": "x"})
    fresh = {c: seq_model("many_to_one", c, in_features=2, hidden=3, out=2, seed=1) for c in ("rnn", "gru")}
    assert load_models(data, fresh) == {"note": "x"}
    for c in models:
        for (k, v), (_, w) in zip(models[c].state_dict().items(), fresh[c].state_dict().items()):
            assert torch.equal(v, w), k
    with pytest.raises(CheckpointError, match="holds the models"):
        load_models(data, {"rnn": fresh["rnn"]})
    with pytest.raises(CheckpointError, match="do not match"):
        load_models(data, {"rnn": fresh["rnn"], "gru": seq_model("many_to_one", "gru", in_features=2, hidden=4, out=2)})
    with pytest.raises(CheckpointError, match="not a safetensors"):
        load_models(b"\x80\x04pickle", fresh)
    bad = seq_model("many_to_one", "rnn", in_features=2, hidden=3, out=2)
    with torch.no_grad():
        bad.head.weight.fill_(float("nan"))
    with pytest.raises(CheckpointError, match="NaN"):
        save_models(None, {"rnn": bad})


def test_the_lab_page_opens_with_the_shipped_result_and_trains_live_on_request():
    at = open_page("pages/4_Sequence_Tasks.py", timeout=120, task="memory")
    assert not at.exception
    assert any("Ready: these models were trained" in c.value for c in at.caption)
    assert at.session_state["lab.cell"] in CELLS_OF["memory"] and at.dataframe     # results and inspection drawn
    at.select_slider(key="lab.steps.memory").set_value(100).run()               # not shipped: nothing to show yet
    assert any("Press the button" in i.value for i in at.info)
    at.button(key="lab.go").click().run()
    assert not at.exception and not any("Ready:" in c.value for c in at.caption)
    assert list(at.session_state["lab.run"]["results"]) == list(CELLS_OF["memory"])
    assert R.lab_run(R.LabSetting("memory", "delayed_recall", 100))["source"] == "shared"


def test_a_rerun_does_not_fetch_the_ready_run_again(monkeypatch):
    """The shipped run is copied into the session once per setting; moving a slider does not copy it again."""
    at = open_page("pages/4_Sequence_Tasks.py", timeout=120, task="memory")
    calls = []
    real = R.lab_run
    monkeypatch.setattr(R, "lab_run", lambda s: calls.append(s) or real(s))
    at.slider(key="lab.example").set_value(3).run()
    assert not at.exception and calls == []
    assert any("Ready: these models were trained" in c.value for c in at.caption)


def test_each_task_keeps_its_own_budget_so_a_task_switch_opens_its_shipped_run():
    at = open_page("pages/4_Sequence_Tasks.py", timeout=120, task="mnist1d", steps="1500")
    assert not at.exception and at.select_slider(key="lab.steps.mnist1d").value == 1500
    at.radio(key="lab.task").set_value("memory").run()          # 1,500 steps was MNIST-1D's budget, not memory's
    assert not at.exception and at.select_slider(key="lab.steps.memory").value == DEFAULT_STEPS["memory"]
    assert dict(at.query_params)["steps"] == str(DEFAULT_STEPS["memory"])
    assert any("Ready: these models were trained" in c.value for c in at.caption)
    at.select_slider(key="lab.steps.memory").set_value(100).run()
    at.radio(key="lab.task").set_value("mnist1d").run()         # back: MNIST-1D's own budget again
    assert at.select_slider(key="lab.steps.mnist1d").value == 1500


def test_the_character_lm_draws_its_generation_step_by_step_when_asked():
    from tests.apptest import chart
    at = open_page("pages/4_Sequence_Tasks.py", timeout=120, task="charlm")
    assert not at.exception and at.code                                  # the generated text, at once
    keys = [c.proto.id for c in at.get("plotly_chart")]
    assert len(keys) == 2                                                # learning curves, the inspected example
    at.toggle(key="lab.gen_steps").set_value(True).run()
    assert not at.exception and len(at.get("plotly_chart")) == 3
    fig = chart(at, "lab.gen_fig")
    assert fig["data"] and dict(at.query_params)["gen_steps"] == "1"
