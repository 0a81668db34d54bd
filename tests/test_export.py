"""Export and import (issue #13), the library side: a Hello model's file opens on the Step page with the same
numbers, the trace CSV holds exactly the trace, a figure's HTML works offline, the lab's models file loads back,
and a bad model file is refused with a translated CheckpointError without ever running code in it."""
from __future__ import annotations

import csv
import io
import json
import math
import os
import pickle
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

import rnnviz
from rnnviz.app import export as X
from rnnviz.app.playground import PlaygroundConfig, run_playground
from rnnviz.app.presets import load_preset
from rnnviz.app.stepthrough import StepSource, prepare_view, source_from_file, source_from_preset
from rnnviz.data.text import Vocab
from rnnviz.figures.export import figure_html
from rnnviz.i18n import LANGS, TEXT, t
from rnnviz.nn.checkpoint import KEY_CONFIG, KEY_META, CheckpointError, load_checkpoint, load_models, save_checkpoint
from rnnviz.tracing.engine import GATES
from rnnviz.tracing.export import prob_columns, trace_csv, trace_table
from tests.korean import english_words

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module", params=["rnn", "lstm", "gru"])
def hello_run(request):
    return run_playground(PlaygroundConfig(text="hello world", cell=request.param, hidden=6, steps=40, seed=1))


def hello_source(run) -> StepSource:
    """The Hello model as the Step page shows it (pages/2_Step_Through.py, source "hello")."""
    return StepSource("hello", run.model, run.vocab, run.cfg.text, {}, [])


def read_csv(data: bytes) -> tuple[list[str], list[list[str]]]:
    assert data.startswith("\ufeff".encode())                     # a BOM: spreadsheets read Korean right
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    return rows[0], rows[1:]


# ---- the Hello model, exported and opened again ------------------------------------------------------------------

def test_hello_model_file_gives_identical_predictions_and_trace(hello_run):
    run = hello_run
    data = X.hello_model_bytes(run)
    assert X.hello_model_bytes(run) is data                        # built once per run, however often it is asked
    model, vocab, meta = load_checkpoint(data)
    assert model.cfg == run.model.cfg and vocab.chars == run.vocab.chars
    assert meta["text"] == "hello world" and meta["source"] == "hello"
    assert meta["training"] == {"optimizer": "adam", "lr": run.cfg.lr, "steps": 40, "seed": 1, "hidden": 6,
                                "cell": run.cfg.cell, "full_batch": True}
    assert meta["result"]["steps_done"] == run.result.steps and meta["result"]["status"] == run.result.status
    assert math.isclose(meta["result"]["trace_loss"], run.trace.loss)

    src = source_from_file(data)
    assert src.name == "file" and src.text == "hello world" and src.unit_notes == []
    with torch.no_grad():
        assert torch.equal(src.model(run.x), run.model(run.x))
    a, b = prepare_view(hello_source(run), "hello world"), prepare_view(src, "hello world")
    for name in ("hidden", "logits", "grad_hidden"):
        np.testing.assert_array_equal(getattr(b.trace, name), getattr(a.trace, name))
    if run.cfg.cell == "lstm":
        np.testing.assert_array_equal(b.trace.cell, a.trace.cell)
    assert set(b.trace.gates) == set(GATES[run.cfg.cell])
    for g in GATES[run.cfg.cell]:
        np.testing.assert_array_equal(b.trace.gates[g], a.trace.gates[g])
    assert b.trace.loss == a.trace.loss
    np.testing.assert_array_equal(b.trace.predictions, run.trace.predictions)
    # the Step page's own download of the file's model is the same model again
    again = source_from_file(X.source_model_bytes(src))
    assert again.text == src.text
    with torch.no_grad():
        assert torch.equal(again.model(run.x), run.model(run.x))


def test_a_diverged_run_still_exports():
    """JSON has no NaN: a run whose loss became NaN still gives a file (its NaN losses as null)."""
    run = run_playground(PlaygroundConfig(text="hello", cell="rnn", hidden=4, steps=10, seed=0))
    run.result.losses[-1] = float("nan")
    _, _, meta = load_checkpoint(X.hello_model_bytes(run))
    assert meta["result"]["final_loss"] is None
    assert X.json_safe({"a": (1.0, float("inf")), "b": [float("-inf")]}) == {"a": [1.0, None], "b": [None]}


def test_a_preset_exported_from_the_step_page_keeps_its_notes_and_text():
    src = source_from_preset("brackets_lstm")
    data = X.source_model_bytes(src)
    assert X.source_model_bytes(src) is data
    back = source_from_file(data)
    assert back.text == src.text
    assert back.unit_notes == src.unit_notes and back.unit_notes
    assert back.meta["corpus"] == src.meta["corpus"] and back.meta["source"] == "brackets_lstm"
    x = src.vocab.encode(src.text)
    with torch.no_grad():
        assert torch.equal(back.model(x), src.model(x))


def test_a_file_without_a_usable_text_opens_on_its_vocabulary():
    model = rnnviz.build_model("gru", 4, 3, seed=0)
    for meta in ({}, {"text": "xyz"}, {"text": 5}, {"text": "a"}):
        src = source_from_file(save_checkpoint(None, model, list("ab c"), meta))
        assert src.text == "ab c"
        prepare_view(src, src.text)                                # the page can show it as it opens
    assert source_from_file(save_checkpoint(None, rnnviz.build_model("rnn", 1, 2), ["a"], {})).text == "aa"


# ---- CSV -------------------------------------------------------------------------------------------------------

def test_trace_csv_has_every_number_of_the_trace(hello_run):
    run = hello_run
    tr, H, V = run.trace, run.cfg.hidden, run.vocab.size
    head, rows = read_csv(X.hello_trace_bytes(run))
    gates = GATES[run.cfg.cell]
    expected = (["step", "input_char", "target_char", "predicted_char"] + [f"h_{u}" for u in range(H)]
                + ([f"c_{u}" for u in range(H)] if run.cfg.cell == "lstm" else [])
                + [f"gate_{g}_{u}" for g in gates for u in range(H)]
                + [f"p({c if c != ' ' else '␣'})" for c in run.vocab.chars] + ["loss", "grad_h_norm"]
                + (["grad_c_norm"] if run.cfg.cell == "lstm" else []))
    assert head == expected and len(set(head)) == len(head)
    assert len(rows) == tr.T == len("hello world") - 1 and all(len(r) == len(head) for r in rows)
    col = {name: [r[i] for r in rows] for i, name in enumerate(head)}
    assert col["step"] == [str(i) for i in range(1, tr.T + 1)]
    assert "".join(col["input_char"]) == "hello worl" and "".join(col["target_char"]) == "ello world"
    assert col["predicted_char"] == [run.vocab.chars[i] for i in tr.predictions]
    num = lambda name: np.array([float(v) for v in col[name]], dtype=np.float32)    # noqa: E731
    for u in range(H):                                             # 9 significant digits: float32 exactly
        np.testing.assert_array_equal(num(f"h_{u}"), tr.hidden[:, u])
        if tr.cell is not None:
            np.testing.assert_array_equal(num(f"c_{u}"), tr.cell[:, u])
        for g in gates:
            np.testing.assert_array_equal(num(f"gate_{g}_{u}"), tr.gates[g][:, u])
    probs = np.stack([num(c) for c in head if c.startswith("p(")], axis=1)
    np.testing.assert_array_equal(probs, tr.probs.astype(np.float32))
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-6)
    loss = num("loss")
    np.testing.assert_allclose(loss, -np.log(tr.probs[np.arange(tr.T), tr.targets]), rtol=1e-6)
    assert math.isclose(loss.mean(), tr.loss, rel_tol=1e-5)
    np.testing.assert_array_equal(num("grad_h_norm"), tr.grad_hidden)
    names, values = trace_table(tr, run.vocab.chars)
    assert values.shape == (tr.T, len(head) - 3) and names == [c for c in head if not c.endswith("_char")]


def test_trace_csv_without_targets_and_with_awkward_characters():
    chars = list(' ␣\n,"é한')                                      # a space and its own label; CSV specials
    model = rnnviz.build_model("lstm", len(chars), 3, seed=2)
    tr = rnnviz.trace(model, torch.tensor([0, 2, 3, 4, 6]))
    head, rows = read_csv(trace_csv(tr, chars))
    assert prob_columns(chars) == ["p(U+0020)", "p(U+2423)", "p(↵)", "p(,)", 'p(")', "p(é)", "p(한)"]
    assert head[-len(chars):] == prob_columns(chars)              # no loss, no gradient columns without targets
    assert [r[1] for r in rows] == [" ", "\n", ",", '"', "한"] and all(r[2] == "" for r in rows)
    with pytest.raises(ValueError, match="vocabulary"):
        trace_csv(tr, chars[:-1])
    with pytest.raises(ValueError, match="input characters"):
        trace_csv(tr, chars, input_chars=["a"])


# ---- HTML ------------------------------------------------------------------------------------------------------

def test_figure_html_is_a_standalone_offline_page(hello_run):
    from rnnviz.app.playground import run_figures
    fig = run_figures(hello_run, "en")["timeline"]
    html = figure_html(fig, "rnnviz · hello").decode("utf-8")
    assert html.startswith("<!doctype html>") or html.lower().startswith("<html")
    assert "<title>rnnviz · hello</title>" in html
    import plotly
    js = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    assert js.read_text(encoding="utf-8")[-2000:] in html           # plotly.js itself, not a link to it
    assert not re.search(r"<script[^>]*\bsrc=|<link\b", html)     # nothing to fetch from the network
    spec = json.loads(fig.to_json())
    assert f'"{spec["data"][0]["type"]}"' in html
    assert "Plotly.newPlot" in html and '"displaylogo": false' in html.replace("false,", "false")


def test_the_pages_never_turn_off_plotlys_toolbar():
    """The toolbar's "Download plot as a png" button stays: no config hides the mode bar or its button."""
    for path in [*ROOT.joinpath("rnnviz").rglob("*.py"), *ROOT.joinpath("pages").glob("*.py"), *ROOT.glob("*.py")]:
        text = path.read_text(encoding="utf-8")
        for banned in ("displayModeBar", "toImage", "modeBarButtonsToRemove"):
            assert banned not in text, f"{path.name} sets {banned}"


# ---- the lab's models -------------------------------------------------------------------------------------------

def test_lab_models_file_loads_back_into_the_recipe():
    from rnnviz.app.lab_runs import LabSetting, lab_run
    setting = LabSetting.default("memory")
    run = lab_run(setting)
    run["key"] = ("memory", setting)
    data = X.lab_models_bytes(run)
    assert X.lab_models_bytes(run) is data
    task = run["task"]
    fresh = {c: task.make_model(c) for c in run["results"]}
    meta = load_models(data, fresh)
    assert meta["task"] == "memory" and meta["setting"] == {"task": "memory", "data": setting.data,
                                                            "steps": setting.steps}
    assert set(meta["results"]) == set(run["results"]) == set(meta["training"])
    x = task.val[0][:4]
    with torch.no_grad():
        for c, r in run["results"].items():
            r.model.eval()
            assert torch.equal(fresh[c](x), r.model(x))
            assert meta["results"][c]["losses"] == X.json_safe(r.result.losses)


# ---- bad files ----------------------------------------------------------------------------------------------------

class WritesMarker:
    """Unpickling this writes a marker file: a loader that unpickles leaves the marker behind."""
    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return (Path.write_text, (Path(self.path), "unpickled!"))


def _torch_saved(obj) -> bytes:
    buf = io.BytesIO()
    torch.save(obj, buf)
    return buf.getvalue()


def _spoil_metadata(data: bytes, **changes) -> bytes:
    from safetensors.torch import load, save
    n = int.from_bytes(data[:8], "little")
    meta = json.loads(data[8:8 + n])["__metadata__"]
    meta.update(changes)
    return save(load(data), metadata=meta)


def bad_files(tmp_path) -> dict[str, tuple[bytes, str]]:
    """name -> (file bytes, the CheckpointError code it must raise)."""
    model = rnnviz.build_model("lstm", 5, 4, seed=0)
    good = save_checkpoint(None, model, list("abcde"), {"text": "abcde"})
    from safetensors.torch import load, save
    n = int.from_bytes(good[:8], "little")
    meta = json.loads(good[8:8 + n])["__metadata__"]
    tensors = load(good)
    wide = dict(tensors, **{"head.weight": torch.zeros(5, 7)})
    marker = tmp_path / "marker.txt"
    config = json.loads(meta[KEY_CONFIG])
    return {
        "truncated": (good[:-10], "truncated"),
        "truncated header": (good[:n // 2], "truncated"),
        "torch.save pickle": (_torch_saved({"state": WritesMarker(marker), "w": torch.zeros(2)}), "not_safetensors"),
        "plain pickle": (pickle.dumps(WritesMarker(marker)), "not_safetensors"),
        "empty": (b"", "empty"),
        "wrong shape": (save(wide, metadata=meta), "tensor_shape"),
        "wrong cell": (_spoil_metadata(good, **{KEY_CONFIG: json.dumps({**config, "cell": "gru"})}), "tensor_shape"),
        "unknown cell": (_spoil_metadata(good, **{KEY_CONFIG: json.dumps({**config, "cell": "transformer"})}), "config"),
        "meta not an object": (_spoil_metadata(good, **{KEY_META: "[1, 2]"}), "metadata"),
        "bad unit note": (_spoil_metadata(good, **{KEY_META: json.dumps({"units": [{"unit": 9, "state": "h",
                                                                                    "tracks": "x", "r": 0.5}]})}),
                          "units"),
        "no rnnviz metadata": (save(tensors), "not_rnnviz"),
    }


def test_bad_model_files_are_refused_with_a_translated_reason(tmp_path):
    for name, (data, code) in bad_files(tmp_path).items():
        with pytest.raises(CheckpointError) as e:
            source_from_file(data)
        assert e.value.code == code, name
        assert not e.value.specific                                # the translation says it all
        for lang in LANGS:
            text = t(e.value.key, lang, **e.value.params)
            assert "{" not in text and len(text) > 10
        assert not english_words(t(e.value.key, "ko", **e.value.params)), name
    assert not (tmp_path / "marker.txt").exists()


def test_the_smuggled_pickle_never_runs_even_when_torch_is_told_to_unpickle(tmp_path):
    """With TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD=1 torch.load would run the pickle's code; the loader never calls it."""
    files = bad_files(tmp_path)
    marker = tmp_path / "marker.txt"
    paths = []
    for name in ("torch.save pickle", "plain pickle"):
        paths.append(tmp_path / f"{name.replace(' ', '_')}.safetensors")
        paths[-1].write_bytes(files[name][0])
    code = ("import sys; from rnnviz.app.stepthrough import source_from_file\n"
            "from rnnviz.nn.checkpoint import CheckpointError, load_checkpoint\n"
            "for path in sys.argv[1:]:\n"
            "    for f in (source_from_file, load_checkpoint):\n"
            "        try:\n            f(open(path, 'rb').read())\n"
            "        except CheckpointError as e:\n            print(e.code)\n"
            "        else:\n            print('loaded')\n")
    out = subprocess.run([sys.executable, "-c", code, *map(str, paths)], cwd=ROOT, capture_output=True, text=True,
                         env={**os.environ, "TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD": "1"}, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["not_safetensors"] * 4
    assert not marker.exists()
    # the test's pickle does run when unpickled: the check above would see it
    pickle.loads(files["plain pickle"][0])
    assert marker.read_text() == "unpickled!"


def test_every_checkpoint_code_is_translated_and_korean():
    codes = [k for k in TEXT if k.startswith("err.checkpoint.")]
    assert len(codes) >= 15
    for k in codes:
        assert not english_words(TEXT[k]["ko"]), k


def test_preset_loading_still_checks_its_unit_notes():
    p = load_preset("brackets_lstm")
    from rnnviz.app.presets import unit_notes
    assert unit_notes(p.meta, p.model) == p.unit_notes
    with pytest.raises(CheckpointError, match="does not fit"):
        unit_notes({"units": [{"unit": 0, "state": "c", "tracks": "x", "r": 0.1}]}, rnnviz.build_model("gru", 3, 2))
    with pytest.raises(CheckpointError, match="malformed"):
        unit_notes({"units": [{"unit": "zero"}]}, p.model)
    with pytest.raises(CheckpointError, match="not a list"):
        unit_notes({"units": 3}, p.model)
    assert Vocab(tuple("ab")).size == 2
