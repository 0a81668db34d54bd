"""Security (issue #14): model files are safetensors only, checked before any tensor is used, and a pickle with a
smuggled callable is refused on every loading path without the callable ever running, even with
TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD=1; malformed safetensors are refused with a clear reason and nothing allocated
for what their header claims; the server's configuration (XSRF on, no file watcher, small uploads and messages,
no error details for users) as the file says and as Streamlit reads it; dependency floors that exclude the
releases with known advisories, in the ranges and in both locks on every Python.

(The existing checks beside these: tests/test_presets.py spoils each field of a checkpoint, tests/test_export.py
runs two loaders in a subprocess with TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD=1, tests/test_export_pages.py uploads a bad
file on the Step page.)"""
from __future__ import annotations

import io
import json
import os
import pickle
import re
import subprocess
import sys
import tomllib
import tracemalloc
from pathlib import Path

import pytest
import torch
from packaging.version import Version

import rnnviz
from rnnviz.i18n import LANGS, t
from rnnviz.nn.checkpoint import CheckpointError, load_checkpoint, load_models, save_checkpoint, save_models
from tests.korean import english_words
from tests.test_lock import LOCKS, PYTHONS, lock_lines, pins_for, ranges

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / ".streamlit" / "config.toml"
FLOORS = {"torch": "2.10", "streamlit": "1.54"}     # the first releases past the known advisories (issue #14)


# ---- pickles with a smuggled callable ---------------------------------------------------------------------------
class Smuggled:
    """Unpickling this calls a function that writes `marker` (what an attacker's os.system would do)."""

    def __init__(self, marker: Path):
        self.marker = str(marker)

    def __reduce__(self):
        return (Path.write_text, (Path(self.marker), "the smuggled callable ran"))


def smuggled_files(marker: Path) -> dict[str, bytes]:
    """Every shape a pickled model file comes in, each carrying the callable."""
    def saved(obj, zipfile=True):
        buf = io.BytesIO()
        torch.save(obj, buf, _use_new_zipfile_serialization=zipfile)
        return buf.getvalue()
    model = rnnviz.build_model("lstm", 5, 4, seed=0)
    return {
        "torch.save zip": saved({"state_dict": model.state_dict(), "x": Smuggled(marker)}),
        "torch.save legacy": saved({"x": Smuggled(marker)}, zipfile=False),
        "plain pickle": pickle.dumps(Smuggled(marker)),
        "pickle protocol 0": pickle.dumps(Smuggled(marker), protocol=0),
        # a pickle that starts like a safetensors header: 8 little-endian bytes of a "length", then the pickle
        "pickle behind a length": len(pickle.dumps(Smuggled(marker))).to_bytes(8, "little") + pickle.dumps(Smuggled(marker)),
    }


def test_the_smuggled_callable_really_runs_when_unpickled(tmp_path):
    """The test's files are dangerous: unpickling any one writes the marker (so the refusals below mean something)."""
    marker = tmp_path / "marker.txt"
    for name, data in smuggled_files(marker).items():
        if name == "pickle behind a length":
            data = data[8:]
        marker.unlink(missing_ok=True)
        if name.startswith("torch.save"):
            torch.load(io.BytesIO(data), weights_only=False)
        else:
            pickle.loads(data)
        assert marker.exists(), name


LOADERS = r"""
import json, sys
import torch
import rnnviz
from rnnviz.nn.checkpoint import CheckpointError, load_checkpoint, load_models
from rnnviz.app.stepthrough import source_from_file
out = {}
for path in sys.argv[1:]:
    data = open(path, "rb").read()
    for name, load in (("load_checkpoint", lambda d: load_checkpoint(d)),
                       ("load_checkpoint(path)", lambda d: load_checkpoint(path)),
                       ("load_models", lambda d: load_models(d, {"lstm": rnnviz.build_model("lstm", 5, 4)})),
                       ("source_from_file", source_from_file)):
        try:
            load(data)
            out[f"{path}:{name}"] = "loaded"
        except CheckpointError as e:
            out[f"{path}:{name}"] = e.code
print(json.dumps(out))
"""


@pytest.mark.parametrize("force_unpickle", [False, True], ids=["default", "TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD=1"])
def test_every_library_loader_refuses_a_smuggled_pickle_and_never_runs_it(tmp_path, force_unpickle):
    marker = tmp_path / "marker.txt"
    paths = []
    for i, data in enumerate(smuggled_files(marker).values()):
        paths.append(tmp_path / f"model{i}.safetensors")
        paths[-1].write_bytes(data)
    env = {k: v for k, v in os.environ.items() if k != "TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD"}
    if force_unpickle:
        env["TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD"] = "1"
    out = subprocess.run([sys.executable, "-c", LOADERS, *map(str, paths)], cwd=ROOT, capture_output=True, text=True,
                         env=env, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    codes = json.loads(out.stdout.strip().splitlines()[-1])
    assert len(codes) == 4 * len(paths)
    assert set(codes.values()) <= {"not_safetensors", "truncated"}, codes
    assert "loaded" not in codes.values()
    assert not marker.exists(), "a loader unpickled the file"


def test_the_step_pages_upload_refuses_a_smuggled_pickle_in_both_languages(tmp_path, monkeypatch):
    """The page's own path (ui.model_upload -> source_from_file), with torch told to unpickle whatever it loads."""
    from tests.apptest import open_page
    monkeypatch.setenv("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD", "1")
    marker = tmp_path / "marker.txt"
    for lang in LANGS:
        at = open_page("pages/2_Step_Through.py", lang=lang)
        for i, data in enumerate(smuggled_files(marker).values()):
            at.file_uploader(key="step.upload").upload(f"m{i}.safetensors", data).run()
            assert not at.exception
            (err,) = at.error
            assert "safetensors" in err.value
            if lang == "ko":
                assert not english_words(err.value), err.value
            assert "step.file" not in at.session_state
    assert not marker.exists()


def test_nothing_in_the_app_unpickles_or_calls_torch_load():
    """No loading path of the app can reach pickle: the app's code never calls torch.load, pickle.load(s) or
    numpy's allow_pickle=True (the training service's pipes carry only what its own workers send)."""
    bad = re.compile(r"torch\.load\(|pickle\.loads?\(|allow_pickle\s*=\s*True|import dill|import joblib")
    files = [*ROOT.glob("rnnviz/**/*.py"), *ROOT.glob("pages/*.py"), *ROOT.glob("*.py")]
    hits = [f"{f.relative_to(ROOT)}:{i}" for f in files for i, line in enumerate(f.read_text().splitlines(), 1)
            if bad.search(line.split("#", 1)[0])]
    assert len(files) > 30 and not hits, hits


# ---- malformed safetensors: refused before anything is allocated for them ---------------------------------------
def _good() -> tuple[bytes, dict]:
    data = save_checkpoint(None, rnnviz.build_model("lstm", 5, 4, seed=0), list("abcde"), {"text": "abcde"})
    n = int.from_bytes(data[:8], "little")
    return data, json.loads(data[8:8 + n])


def _with_header(header: dict, body: bytes) -> bytes:
    raw = json.dumps(header).encode()
    return len(raw).to_bytes(8, "little") + raw + body


def malformed() -> dict[str, tuple[bytes, str]]:
    """name -> (file, the CheckpointError code): what tests/test_presets.py does not spoil already."""
    good, header = _good()
    body = good[8 + int.from_bytes(good[:8], "little"):]
    entry = header["head.bias"]

    def tensor(**changes):
        return _with_header({**header, "head.bias": {**entry, **changes}}, body)
    return {
        "header length 2^62": ((2 ** 62).to_bytes(8, "little") + good[8:], "not_safetensors"),
        "header length past the end": (len(good).to_bytes(8, "little") + good[8:], "truncated"),
        "header of 50 MB": ((50 * 2 ** 20).to_bytes(8, "little") + b"{" + b" " * (50 * 2 ** 20 - 2) + b"}", "too_large"),
        "offsets past the end": (tensor(data_offsets=[0, 10 ** 12]), "corrupt"),
        "shape of 2^62 values": (tensor(shape=[2 ** 31, 2 ** 31]), "corrupt"),
        "negative shape": (tensor(shape=[-5]), "tensor_entry"),
        "unknown dtype": (tensor(dtype="Q9"), "tensor_entry"),
        "float16 dtype": (tensor(dtype="F16", data_offsets=[entry["data_offsets"][0], entry["data_offsets"][0] + 10]),
                          "tensor_entry"),
        "overlapping tensors": (tensor(data_offsets=header["head.weight"]["data_offsets"]), "corrupt"),
        "metadata values not strings": (_with_header({**header, "__metadata__": {"rnnviz.config": {"cell": "lstm"}}},
                                                     body), "not_rnnviz"),
        "metadata lying about the vocabulary": (_with_header({**header, "__metadata__": {
            **header["__metadata__"], "rnnviz.vocab": json.dumps(list("abcdefghij"))}}, body), "vocab_size"),
        "an extra tensor": (_with_header({**header, "extra": {"dtype": "F32", "shape": [0], "data_offsets": [
            len(body), len(body)]}}, body), "tensor_names"),
    }


@pytest.mark.parametrize("name", list(malformed()))
def test_malformed_safetensors_are_refused_with_a_translated_reason_and_no_allocation(name):
    data, code = malformed()[name]
    tracemalloc.start()
    try:
        with pytest.raises(CheckpointError) as e:
            load_checkpoint(data)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert e.value.code == code, (name, e.value.code, str(e.value))
    assert peak < 4 * 2 ** 20 + len(data), f"{name}: {peak} bytes allocated while refusing it"
    for lang in LANGS:
        assert len(t(e.value.key, lang, **e.value.params)) > 10
    assert not english_words(t(e.value.key, "ko", **e.value.params))
    models = {"lstm": rnnviz.build_model("lstm", 5, 4)}
    with pytest.raises(CheckpointError):                       # the lab's loader is as strict
        load_models(data, models)


def test_no_tensor_is_read_before_the_whole_header_is_checked(monkeypatch):
    """Metadata first: a file whose tensors are fine but whose metadata is bad never reaches a tensor reader."""
    import safetensors.torch
    good, header = _good()
    body = good[8 + int.from_bytes(good[:8], "little"):]
    meta = {**header["__metadata__"], "rnnviz.config": json.dumps({"cell": "transformer"})}
    bad = _with_header({**header, "__metadata__": meta}, body)
    calls = []
    for name in ("load", "load_file", "safe_open"):
        if hasattr(safetensors.torch, name):
            real = getattr(safetensors.torch, name)
            monkeypatch.setattr(safetensors.torch, name, lambda *a, _r=real, _n=name, **k: calls.append(_n) or _r(*a, **k))
    real_frombuffer = torch.frombuffer
    monkeypatch.setattr(torch, "frombuffer", lambda *a, **k: calls.append("frombuffer") or real_frombuffer(*a, **k))
    with pytest.raises(CheckpointError):
        load_checkpoint(bad)
    assert not calls, calls
    load_checkpoint(good)
    assert calls                                                  # a good file's tensors are read: the probe sees it


def test_a_lab_models_file_round_trips_and_a_spoiled_one_is_refused():
    models = {c: rnnviz.build_model(c, 5, 4, seed=1) for c in ("rnn", "gru")}
    data = save_models(None, models, {"task": "x"})
    fresh = {c: rnnviz.build_model(c, 5, 4, seed=2) for c in models}
    assert load_models(data, fresh)["task"] == "x"
    assert all(torch.equal(fresh[c].state_dict()[k], models[c].state_dict()[k]) for c in models for k in
               models[c].state_dict())
    with pytest.raises(CheckpointError):
        load_models(data, {"rnn": rnnviz.build_model("rnn", 5, 4)})      # a model the file has no place for
    with pytest.raises(CheckpointError):
        load_models(data[:-5], fresh)


# ---- the server's configuration ----------------------------------------------------------------------------------
EXPECTED = {"server.enableXsrfProtection": True, "server.fileWatcherType": "none", "server.runOnSave": False,
            "client.showErrorDetails": "none", "client.toolbarMode": "minimal", "browser.gatherUsageStats": False}
MAX_UPLOAD_MB, MAX_MESSAGE_MB = 5, 50         # a model file is < 1 MB; the largest message a page sends: see below


def _config() -> dict:
    return tomllib.loads(CONFIG.read_text())


def test_the_config_file_locks_the_server_down():
    cfg = _config()
    for key, value in EXPECTED.items():
        section, name = key.split(".")
        assert cfg[section][name] == value, key
    assert 1 <= cfg["server"]["maxUploadSize"] <= MAX_UPLOAD_MB
    assert 1 <= cfg["server"]["maxMessageSize"] <= MAX_MESSAGE_MB
    assert "cookieSecret" not in cfg["server"], "a secret belongs in the environment (docs/deploying.md), not in git"


def test_streamlit_reads_the_config_file_as_the_server_will(tmp_path):
    """Streamlit's own config API, in a fresh process started where `streamlit run app.py` is (no user config)."""
    keys = [*EXPECTED, "server.maxUploadSize", "server.maxMessageSize", "server.enableCORS"]
    code = ("import json; from streamlit import config\n"
            "config.get_config_options(force_reparse=True)\n"
            f"print(json.dumps({{k: config.get_option(k) for k in {keys!r}}}))")
    env = {k: v for k, v in os.environ.items() if not k.startswith("STREAMLIT_")}
    env["HOME"] = str(tmp_path)                         # no ~/.streamlit/config.toml to mix in
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 0, out.stderr[-2000:]
    got = json.loads(out.stdout.strip().splitlines()[-1])
    cfg = _config()
    for key in keys:
        section, name = key.split(".")
        assert got[key] == cfg[section][name], (key, got[key])
    assert got["client.showErrorDetails"] == "none" and got["server.enableXsrfProtection"] is True


def test_no_page_relies_on_streamlits_error_details():
    """Users never see a traceback: no page turns the details back on or prints exceptions itself."""
    files = [*ROOT.glob("pages/*.py"), *ROOT.glob("*.py")]
    for f in files:
        text = f.read_text()
        assert "showErrorDetails" not in text and "st.exception(" not in text and "traceback" not in text, f.name


@pytest.mark.slow
def test_the_largest_message_a_page_sends_fits_the_message_limit_with_room():
    """The biggest figure any setting allows: the Hello timeline of a 2000-character text with 128 units (every
    step's values table is a frame). Measured 17.2 MB (AppTest proto of the chart); the limit keeps 2x room."""
    import string
    import numpy as np
    from rnnviz.app.playground import PlaygroundConfig, run_figures, run_playground
    rng = np.random.default_rng(0)
    chars = string.ascii_letters + string.digits + " .,;:!?가나다라"
    text = "".join(rng.choice(list(chars), 2000))
    run = run_playground(PlaygroundConfig(text=text, hidden=128, steps=10))
    size = len(run_figures(run, "en")["timeline"].to_json().encode()) / 2 ** 20
    limit = _config()["server"]["maxMessageSize"]
    assert 2 * size <= limit, f"the largest figure is {size:.1f} MB; maxMessageSize {limit} MB leaves no room"
    assert size > 1, size                                        # it is the big one


# ---- dependency floors --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("package", list(FLOORS))
def test_the_ranges_exclude_the_releases_with_known_advisories(package):
    (req,) = [r for r in ranges(ROOT / "requirements.txt") if r.name == package]
    floor = Version(FLOORS[package])
    lows = [Version(s.version) for s in req.specifier if s.operator in (">=", ">", "==", "~=")]
    assert lows and min(lows) >= floor, f"{package}: {req.specifier} admits releases below {floor}"
    assert not req.specifier.contains(str(Version(FLOORS[package]).major) + "." + str(floor.minor - 1) + ".99")


@pytest.mark.parametrize("which", list(LOCKS))
@pytest.mark.parametrize("package", list(FLOORS))
def test_every_locked_release_is_past_the_floor_on_every_python(which, package):
    lines = [r for r in lock_lines(LOCKS[which]) if r.name == package]
    assert lines, f"{package} is not in {LOCKS[which].name}"
    for req in lines:                                             # every line, whatever its python_version marker
        assert Version(next(iter(req.specifier)).version) >= Version(FLOORS[package]), (which, str(req))
    for python in PYTHONS:
        pins = pins_for(LOCKS[which], python)
        if package in pins:
            assert Version(pins[package]) >= Version(FLOORS[package]), (which, python, pins[package])


def test_the_installed_releases_are_past_the_floors():
    import importlib.metadata as md
    for package, floor in FLOORS.items():
        assert Version(md.version(package).split("+")[0]) >= Version(floor), package
