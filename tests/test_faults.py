"""Faults and bad input (issue #14): a diverging run and a run past its deadline on the Hello page (clear message in
the user's language, the last good weights kept, figures drawn); empty, one-character, binary, non-UTF-8 and
oversized texts and uploads and CSVs with wrong columns (a translated message, no traceback, the session keeps
working); sequences of length 0 and a vocabulary of one symbol; settings past their bounds in a crafted link or
crafted widget state (clamped with a notice before anything is built for them); a worker SIGKILLed from outside in
the middle of a job (that job fails cleanly, the next one runs).

Covered elsewhere and not repeated here: the library's divergence guard (tests/test_train.py), a crafted link on
every page (tests/test_url_roundtrip.py, tests/test_pages.py), upload parsers (tests/test_datasets.py), two sessions
training at once through the service and in-process (tests/test_service.py), a worker that kills itself or hangs
(tests/test_service.py), bad model files (tests/test_presets.py, tests/test_export*.py, tests/test_security.py)."""
from __future__ import annotations

import dataclasses
import math
import os
import signal
import time

import pytest
import torch
from streamlit.testing.v1 import AppTest

import rnnviz
from rnnviz.data.base import DataError
from rnnviz.data.text import TextError
from tests.apptest import HOME, chart, open_page, plotly_array
from tests.korean import english_words

HELLO, STEP, GRAD, LAB = ("pages/1_Hello_Playground.py", "pages/2_Step_Through.py", "pages/3_Vanishing_Gradients.py",
                          "pages/4_Sequence_Tasks.py")


def _said(at) -> list[str]:
    return [m.value for m in (*at.error, *at.warning, *at.info)]


def _no_english(at, allowed=()):
    """No English in the page's messages (Korean pages); `allowed`: words from the user's own data."""
    for text in _said(at):
        left = [w for w in english_words(text) if w not in allowed]
        assert not left, (left, text)


def _finite(model) -> bool:
    return all(torch.isfinite(p).all() for p in model.parameters())


# ---- a diverging run and a run past its deadline, on the Hello page ---------------------------------------------
def _sabotage_training(monkeypatch, *, at_step=None, deadline_s=None):
    """The Hello page's training (rnnviz.training.loop.train, imported at call time) with an infinite weight put
    in after step `at_step` (the next loss is not finite: divergence), or with its deadline replaced."""
    from rnnviz.training import loop
    real = loop.train

    def train(model, x, y, cfg, on_step=None):
        if deadline_s is not None:
            cfg = dataclasses.replace(cfg, deadline_s=deadline_s)

        def hook(p):
            out = on_step(p) if on_step is not None else None
            if p.step == at_step:
                with torch.no_grad():
                    model.head.weight[0, 0] = float("inf")
            return out
        return real(model, x, y, cfg, on_step=hook)
    monkeypatch.setattr(loop, "train", train)


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_a_diverging_hello_run_says_so_keeps_the_last_good_weights_and_draws_its_figures(monkeypatch, lang):
    _sabotage_training(monkeypatch, at_step=5)
    at = open_page(HELLO, lang=lang, steps="100")
    assert not at.exception
    run = at.session_state["hello.run"]
    assert run.result.status == "diverged" and run.result.steps == 5
    assert _finite(run.model) and all(math.isfinite(v) for v in run.result.losses)
    (err,) = at.error
    assert ("diverged" in err.value and "weights of step 5" in err.value) if lang == "en" else \
        ("발산" in err.value and "5단계의 가중치" in err.value)
    if lang == "ko":
        _no_english(at)
    spec = chart(at, "hello.timeline_fig")                       # the figures of the kept weights
    assert len(spec["data"]) > 3 and spec["frames"]
    assert len(plotly_array(chart(at, "hello.loss_fig")["data"][0]["y"])) == 5
    assert math.isfinite(run.trace.loss)
    # the session keeps working: the next training (no sabotage) finishes
    monkeypatch.undo()
    at.slider(key="hello.steps").set_value(60)
    at.button[0].click().run()
    assert not at.exception and at.session_state["hello.run"].result.status in ("done", "target")


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_a_hello_run_past_its_deadline_stops_keeps_what_it_learnt_and_says_so(monkeypatch, lang):
    _sabotage_training(monkeypatch, deadline_s=1e-9)             # past the deadline after its first step
    at = open_page(HELLO, lang=lang, steps="2000")
    assert not at.exception
    run = at.session_state["hello.run"]
    assert run.result.status == "deadline" and run.result.steps == 1
    fresh = rnnviz.build_model(run.cfg.cell, run.vocab.size, run.cfg.hidden, seed=run.cfg.seed)
    assert any(not torch.equal(a, b) for a, b in zip(fresh.parameters(), run.model.parameters()))   # it learnt
    (warn,) = [w.value for w in at.warning]
    assert ("Time limit" in warn and "kept" in warn) if lang == "en" else ("시간 제한" in warn and "유지" in warn)
    if lang == "ko":
        _no_english(at)
    assert chart(at, "hello.timeline_fig")["frames"]


# ---- bad texts and uploads ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("lang", ["en", "ko"])
def test_bad_hello_texts_get_a_message_and_the_session_keeps_working(lang):
    at = open_page(HELLO, lang=lang, steps="10", hidden="4")
    good = at.session_state["hello.run"]
    for text in ("", "a", "\x00\x01\x02\x03", "\x7f\x1b"):       # empty, one character, control characters only
        at.text_input(key="hello.text").set_value(text)
        at.button[0].click().run()
        assert not at.exception, text
        (err,) = at.error
        assert len(err.value) > 20
        if lang == "ko":
            _no_english(at)
        assert at.session_state["hello.run"] is good              # the model shown stays
        assert chart(at, "hello.timeline_fig")
    at.text_input(key="hello.text").set_value("abab")
    at.button[0].click().run()
    assert not at.exception and not at.error and at.session_state["hello.run"].cfg.text == "abab"


def test_a_vocabulary_of_one_symbol_trains_and_draws_on_the_hello_page():
    at = open_page(HELLO, text="aaaa", steps="10", hidden="4")
    assert not at.exception and not at.error
    run = at.session_state["hello.run"]
    assert run.vocab.size == 1 and run.trace.probs.shape == (3, 1) and run.trace.accuracy == 1.0
    assert chart(at, "hello.timeline_fig")["frames"]


def test_one_symbol_and_length_zero_in_the_library():
    vocab, x, y = rnnviz.next_char_task("aaaa")
    model = rnnviz.build_model("gru", vocab.size, 4, seed=0)
    res = rnnviz.train(model, x, y, rnnviz.TrainConfig(steps=5))
    tr = rnnviz.trace(model, x, targets=y)
    assert vocab.size == 1 and res.steps == 5 and tr.loss == pytest.approx(0.0, abs=1e-6)
    empty = torch.tensor([], dtype=torch.long)
    for f in (lambda: model(empty), lambda: rnnviz.trace(model, empty, targets=empty),
              lambda: rnnviz.train(model, empty, empty), lambda: rnnviz.train(model, empty[None], empty[None])):
        with pytest.raises(ValueError, match="step|non-empty"):
            f()
    for text in ("", "a"):
        with pytest.raises(TextError):
            rnnviz.next_char_task(text)
    from rnnviz.app.stepthrough import prepare_view, source_from_preset
    from rnnviz.app.vanishing import GradConfig
    from rnnviz.data import synthetic as S
    from rnnviz.data.corpora import char_windows
    from rnnviz.tracing.generate import generate
    with pytest.raises(TextError):
        prepare_view(source_from_preset("brackets_lstm"), "")
    for f in (lambda: GradConfig(T=0).validate(), lambda: S.memory_task(T=0), lambda: S.copy_task(8, T=0),
              lambda: S.memory_demo_task(8, T=0), lambda: char_windows(torch.arange(10), 0),
              lambda: generate(model, vocab, "a", 0, 1.0, 0), lambda: generate(model, vocab, "", 5, 1.0, 0)):
        with pytest.raises(ValueError):
            f()


def test_step_page_bad_texts_in_korean_and_the_view_stays():
    at = open_page(STEP, lang="ko")
    for text in ("", "(", "\x00\x00\x00"):
        at.text_area(key="step.text.brackets_lstm").set_value(text).run()
        assert not at.exception
        assert len(at.error) == 1, text
        _no_english(at)
    at.text_area(key="step.text.brackets_lstm").set_value("(a)").run()
    assert not at.exception and not at.error


UPLOADS = {                                 # name -> file bytes; for the Korean pages no English in the file itself
    "empty": b"",
    "one character": "가".encode(),
    "binary": bytes(range(256)) * 20,
    "not UTF-8": "가격,값\n1,2\n".encode("cp949") * 20,
    "oversized": "값\n".encode() + b"1.0\n" * 1_600_000,            # 6.4 MB, over the parsers' 5 MB and 2 MB
    "wrong columns": "가,나\n1,2\n3,4\n".encode() * 40,
    "header only": "가,나\n".encode(),
}
GOOD = {"timeseries": "close\n" + "\n".join(str(math.sin(i / 5)) for i in range(200)),
        "textclf": "text,label\n" + "\n".join(f"{w} 영화,{i % 2}" for i, w in enumerate(["좋은", "나쁜"] * 10)),
        "charlm": "오늘 주가가 어때? 어제 주가는 좋았다. " * 10}
EXPECT_TEXT_OK = {"charlm": ("wrong columns", "header only")}        # plain text to a character model


@pytest.mark.slow
@pytest.mark.parametrize("task", list(GOOD))
def test_bad_uploads_on_the_lab_are_refused_in_korean_and_a_good_one_works(task):
    at = open_page(LAB, task=task, data="upload", lang="ko", timeout=120)
    key = f"lab.upload.{task}"
    name = "data.txt" if task == "charlm" else "data.csv"
    for bad, data in UPLOADS.items():
        at.file_uploader(key=key).upload(name, data).run()
        assert not at.exception, bad
        if bad in EXPECT_TEXT_OK.get(task, ()):
            assert not at.error, bad
            continue
        assert len(at.error) == 1, (bad, _said(at))
        _no_english(at, allowed=("close", "text", "label"))          # the column names typed in the page's fields
    at.file_uploader(key=key).upload(name, GOOD[task].encode()).run()
    assert not at.exception and not at.error, _said(at)


def test_upload_parsers_refuse_every_bad_file_with_a_data_error():
    from rnnviz.data import corpora, labelled, series
    parsers = {"text": corpora.load_text_upload, "series": lambda b: series.parse_csv_column(b, "close"),
               "labelled": lambda b: labelled.parse_labelled_csv(b, "text", "label")}
    for name, data in UPLOADS.items():
        for kind, parse in parsers.items():
            if kind == "text" and name in ("wrong columns", "header only"):
                continue
            with pytest.raises(DataError) as e:
                parse(data)
            assert e.value.code and len(str(e.value)) > 10, (name, kind)


# ---- settings past their bounds: crafted links and crafted widget state ---------------------------------------------
@pytest.fixture
def rnn_sizes(monkeypatch):
    """Every hidden size a recurrent module is built with during the test (torch's RNN/LSTM/GRU constructor)."""
    seen: list[int] = []
    real = torch.nn.RNNBase.__init__

    def init(self, mode, input_size, hidden_size, *a, **k):
        seen.append(int(hidden_size))
        return real(self, mode, input_size, hidden_size, *a, **k)
    monkeypatch.setattr(torch.nn.RNNBase, "__init__", init)
    return seen


def _with_state(page: str, lang: str = "en", query: dict | None = None, **state) -> AppTest:
    at = AppTest.from_file(HOME, default_timeout=120)
    at.switch_page(page)
    for k, v in {"lang": lang, **(query or {})}.items():
        at.query_params[k] = v
    for k, v in state.items():
        at.session_state[k] = v
    return at.run()


def _notice(at) -> str:
    hits = [w.value for w in at.warning if "out of their range" in w.value or "허용 범위" in w.value]
    assert len(hits) == 1, _said(at)
    return hits[0]


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_crafted_hello_widget_state_is_clamped_with_a_notice_before_any_model_is_built(rnn_sizes, lang):
    at = _with_state(HELLO, lang, {"steps": "10"}, **{"hello.hidden": 100_000, "hello.lr": 5.0, "hello.seed": -3,
                                                      "hello.cell": "transformer"})
    assert not at.exception
    cfg = at.session_state["hello.run"].cfg
    assert (cfg.hidden, cfg.lr, cfg.seed, cfg.cell) == (128, 0.05, 0, "lstm")
    assert rnn_sizes and max(rnn_sizes) <= 128                    # nothing was built with 100000 units
    notice = _notice(at)
    for shown in ("hidden = 100000 → 128", "seed = &#45;3 → 0", "cell = transformer → lstm"):
        assert shown in notice, notice
    at.run()                                                      # said once: the values are fine now
    assert not [w for w in at.warning if "out of" in w.value or "허용 범위" in w.value]


@pytest.mark.slow                     # trains the clamped 2000 steps
def test_crafted_hello_steps_and_a_value_of_another_type_are_clamped():
    at = _with_state(HELLO, **{"hello.steps": 10 ** 9, "hello.hidden": float("nan")})
    assert not at.exception
    cfg = at.session_state["hello.run"].cfg
    assert cfg.steps == 2000 and cfg.hidden == 16
    assert "steps = 1000000000 → 2000" in _notice(at)


def test_a_crafted_slider_value_from_the_browser_never_reaches_training(rnn_sizes):
    """What a crafted websocket message does: a widget value past the slider's max arrives with the form. Streamlit
    (1.67) itself puts an out-of-range slider value back to the widget's own first value (here its minimum, 1);
    either way nothing is built past the bounds and the page does not fail."""
    at = open_page(HELLO, steps="10")
    rnn_sizes.clear()
    at.slider(key="hello.hidden").set_value(100_000)
    at.button[0].click().run()
    assert not at.exception
    assert 1 <= at.session_state["hello.run"].cfg.hidden <= 128 and rnn_sizes and max(rnn_sizes) <= 128


def test_crafted_gradient_knobs_are_clamped_before_anything_is_computed(rnn_sizes, monkeypatch):
    from rnnviz.app import vanishing
    configs = []
    real = vanishing.knobs_config
    monkeypatch.setattr(vanishing, "knobs_config", lambda v: configs.append(dict(v)) or real(v))
    at = _with_state(GRAD, "ko", **{"vg.T": 100_000, "vg.hidden": "4096", "vg.scale": 10 ** 6, "vg.fb": "99",
                                    "vg.seed": -1})
    assert not at.exception
    (v,) = configs
    assert (v["T"], v["hidden"], v["scale"], v["fb"], v["seed"]) == (400, "64", 300, "torch", 0)
    assert max(rnn_sizes) <= 256
    notice = _notice(at)
    assert all(s in notice for s in ("T = 100000 → 400", "hidden = 4096 → 64", "scale = 1000000 → 300"))


def test_a_crafted_lab_budget_is_clamped_with_a_notice():
    at = _with_state(LAB, query={"task": "memory"}, **{"lab.steps.memory": 10 ** 9})
    assert not at.exception
    assert at.session_state["lab.steps.memory"] == 600
    assert "steps = 1000000000 → 600" in _notice(at)



def _within():
    """Crafted widget state on the other pages' widgets, and what the page must hold instead: their settings are
    checked as they are read from the session (ui.url_state's bounds), so each is put back within its range."""
    from rnnviz.app.longrange import PAGE_LENGTHS, PAGE_STEPS
    from rnnviz.app.vanishing import TRAIN_STEPS
    from rnnviz.app.lab_runs import DATA_CHOICES
    return [
        (GRAD, {"tab": "training"}, {"vg.train_steps": 10 ** 7}, lambda ss: ss["vg.train_steps"] in TRAIN_STEPS),
        (GRAD, {"tab": "toy"}, {"vg.toy_T": 10 ** 6, "vg.toy_a": 99.0},
         lambda ss: 5 <= ss["vg.toy_T"] <= 100 and -2 <= ss["vg.toy_a"] <= 2),
        (GRAD, {"tab": "tasks"}, {"vg.task_T": 10 ** 6, "vg.task_steps": 10 ** 6},
         lambda ss: ss["vg.task_T"] in PAGE_LENGTHS and ss["vg.task_steps"] in PAGE_STEPS),
        (STEP, {}, {"step.t": 10 ** 6}, lambda ss: 1 <= ss["step.t"] <= len(ss["step.text.brackets_lstm"])),
        (STEP, {"tab": "units"}, {"step.unit": 10 ** 6}, lambda ss: 0 <= ss["step.unit"] < 64),
        (LAB, {"task": "charlm"}, {"lab.data.charlm": "nope"},
         lambda ss: ss["lab.data.charlm"] in DATA_CHOICES["charlm"].choices("charlm")),
        (LAB, {"task": "memory"}, {"lab.example": 10 ** 6}, lambda ss: 0 <= ss["lab.example"] < 10 ** 4),
    ]


@pytest.mark.parametrize("case", range(7))
def test_crafted_widget_state_on_the_other_pages_is_put_back_in_range_without_a_traceback(case):
    page, query, state, ok = _within()[case]
    at = _with_state(page, query=query, **state)
    assert not at.exception, at.exception
    assert ok(at.session_state), {k: at.session_state[k] for k in state}


# ---- a worker killed from outside in the middle of a job ---------------------------------------------------------
def _until(pred, timeout=20.0):
    end = time.monotonic() + timeout
    while not pred():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.02)


@pytest.mark.slow
def test_a_worker_sigkilled_mid_job_fails_that_job_cleanly_and_the_next_job_runs(training_service):
    from rnnviz.app.playground import PlaygroundConfig, run_playground, service_run
    svc = training_service
    _until(lambda: svc.stats()["ready"] == svc.workers)
    restarts, pids = svc.restarts, svc.stats()["pids"]
    jobs = [svc.submit(f"kill{i}", "sleep", {"steps": 400, "dt": 0.01, "tag": i}, deadline_s=30) for i in range(2)]
    _until(lambda: all(svc.status(j.id).state == "running" and (svc.status(j.id).progress or {}).get("step", 0) >= 3
                       for j in jobs))                          # both workers busy, one job each
    os.kill(pids[0], signal.SIGKILL)
    ends = [svc.wait(j.id, timeout=30) for j in jobs]
    states = sorted(e.state for e in ends)
    assert states == ["done", "failed"], [(e.state, e.error) for e in ends]
    (failed,) = [e for e in ends if e.state == "failed"]
    assert failed.error_code == "crashed" and failed.error
    (done,) = [e for e in ends if e.state == "done"]
    assert svc.collect(done.id).result["done"] == 400                     # the other worker's job was not disturbed
    _until(lambda: svc.stats()["ready"] == svc.workers)
    assert svc.restarts == restarts + 1 and pids[0] not in svc.stats()["pids"]
    cfg = PlaygroundConfig(text="kill -9", seed=3)                  # the next job runs, and right
    run = service_run(cfg, "kill0", svc)
    alone = run_playground(cfg)
    assert run.result.losses == alone.result.losses
    assert all(torch.equal(a, b) for a, b in zip(run.model.state_dict().values(), alone.model.state_dict().values()))


# ---- two sessions at once ---------------------------------------------------------------------------------------
def test_sessions_training_different_models_at_once_in_process_each_get_what_they_get_alone():
    """Four page threads (no service) training four different models with their own seeds at the same time, and
    what one session later does to its run (train on, a sample) never reaches another session's copy."""
    import threading
    from rnnviz.app.playground import PlaygroundConfig, run_playground, shared_run
    cfgs = [PlaygroundConfig(text="hello world", cell=c, hidden=h, seed=s, steps=60)
            for c, h, s in (("rnn", 8, 1), ("lstm", 16, 2), ("gru", 12, 3), ("lstm", 16, 4))]
    out = {}
    threads = [threading.Thread(target=lambda i=i: out.__setitem__(i, shared_run(cfgs[i], session=f"s{i}")[0]))
               for i in range(len(cfgs))]
    for th in threads:
        th.start()
    for th in threads:
        th.join(60)
    for i, cfg in enumerate(cfgs):
        alone = run_playground(cfg)
        assert out[i].result.losses == alone.result.losses, cfg
        assert all(torch.equal(a, b) for a, b in zip(out[i].model.state_dict().values(),
                                                     alone.model.state_dict().values()))
    a, reused_a = shared_run(cfgs[1], session="x")
    b, reused_b = shared_run(cfgs[1], session="y")
    assert reused_a and reused_b and a is not b and a.model is not b.model
    before = [p.clone() for p in b.model.parameters()]
    with torch.no_grad():
        for p in a.model.parameters():
            p.add_(1.0)
    a.extras["sample"] = "hello hello"
    assert "sample" not in b.extras and all(torch.equal(p, q) for p, q in zip(b.model.parameters(), before))
    c, _ = shared_run(cfgs[1], session="z")                          # the server's kept run is untouched too
    assert all(torch.equal(p, q) for p, q in zip(c.model.parameters(), before)) and "sample" not in c.extras
