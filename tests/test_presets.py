"""Generated corpora, safetensors checkpoints (round trip and every way a file can be bad), shipped presets."""
from __future__ import annotations

import io
import json
import pickle

import numpy as np
import pytest
import torch
from safetensors.torch import save as st_save

import rnnviz
from rnnviz.app.presets import PRESETS, SAMPLE_TEXTS, TRACKS, Preset, load_preset
from rnnviz.data import preset_corpora as corpus
from rnnviz.nn.checkpoint import (KEY_CONFIG, KEY_META, KEY_VOCAB, MAX_CHECKPOINT_BYTES, CheckpointError,
                                  load_checkpoint, save_checkpoint)

KOREAN_KEY = ("오늘 주가가 어때?", "어제 주가가 어때?")


# ---- corpora -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("gen", [corpus.brackets_quotes, corpus.korean_sentences])
def test_generators_are_deterministic(gen):
    a = gen(3000, seed=5)
    assert a == gen(3000, seed=5)
    assert a != gen(3000, seed=6)
    assert len(a) >= 3000 and a.endswith("\n")
    assert random_state_untouched(gen)


def random_state_untouched(gen) -> bool:
    import random
    random.seed(123)
    before = random.random()
    random.seed(123)
    gen(500, seed=1)
    return random.random() == before


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_brackets_corpus_is_balanced(seed):
    text = corpus.brackets_quotes(5000, seed)
    assert set(text) <= set(corpus.BRACKETS_ALPHABET)
    assert set(text) == set(corpus.BRACKETS_ALPHABET)    # every symbol occurs, so the vocabulary is used
    depth, quoted = corpus.bracket_depth(text), corpus.inside_quotes(text)
    assert depth.min() == 0 and depth.max() == corpus.MAX_DEPTH and depth[-1] == 0
    assert not quoted[-1]
    for line in text.split("\n")[:-1]:
        d = corpus.bracket_depth(line)
        assert d.min() >= 0 and d[-1] == 0
        assert line.count('"') % 2 == 0
        stack = []                                        # brackets close in order: ( with ), [ with ]
        for c in line:
            if c in "([":
                stack.append(c)
            elif c in ")]":
                assert stack.pop() == "([)]"["([)]".index(c) - 2]
        assert not stack
        q = corpus.inside_quotes(line)
        assert not any(c in "()[]" for c, inside in zip(line, q) if inside)   # quotes hold words only


def test_ground_truth_on_a_hand_example():
    text = 'set (a [b "go x"] c)\n'
    depth = [0, 0, 0, 0, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 1, 1, 1, 0, 0]
    assert len(depth) == len(text)
    np.testing.assert_array_equal(corpus.bracket_depth(text), depth)
    np.testing.assert_array_equal(corpus.bracket_depth("a)(b"), [0, -1, 0, 0])   # unbalanced text: as counted
    quoted = [c == "1" for c in "000000000011111000000"]
    assert len(quoted) == len(text)
    np.testing.assert_array_equal(corpus.inside_quotes(text), quoted)
    assert corpus.bracket_depth("").shape == (0,) and corpus.inside_quotes("").dtype == bool


def test_korean_corpus_has_the_key_sentences():
    text = corpus.korean_sentences(5000, 0)
    lines = text.split("\n")[:-1]
    for s in KOREAN_KEY:
        assert s in lines
    assert len(set(text)) < 40
    for when in ("내일", "오늘", "어제"):
        for what in ("주가가", "날씨가"):
            for how in ("어때?", "좋아."):
                assert f"{when} {what} {how}" in lines


@pytest.mark.parametrize("bad", [0, -1, 10**9, 2.5, True])
def test_generators_reject_bad_sizes(bad):
    with pytest.raises(ValueError):
        corpus.brackets_quotes(bad)


# ---- checkpoints -------------------------------------------------------------------------------------

VOCAB = tuple("abcdefg")


def small(cell, embed_size=None, seed=3):
    return rnnviz.build_model(cell, vocab_size=len(VOCAB), hidden_size=6, seed=seed, embed_size=embed_size)


@pytest.mark.parametrize("embed_size", [None, 5])
@pytest.mark.parametrize("cell", rnnviz.CELLS)
def test_round_trip_gives_identical_logits(cell, embed_size, tmp_path):
    model = small(cell, embed_size)
    if cell == "rnn":
        model = rnnviz.build_model("rnn", len(VOCAB), 6, seed=4, nonlinearity="relu", embed_size=embed_size)
    with torch.no_grad():                                 # not the initial weights: a seed alone would reproduce those
        for p in model.parameters():
            if p.requires_grad:
                p.add_(0.1 * torch.randn_like(p))
    meta = {"corpus": "x", "loss": 1.5, "units": [{"unit": 1}], "말": "한국어"}
    path = tmp_path / "m.safetensors"
    data = save_checkpoint(path, model, rnnviz.Vocab(VOCAB), meta)
    assert path.read_bytes() == data
    x = torch.tensor([0, 3, 6, 2, 2, 5, 1])
    for source in (path, str(path), data, bytearray(data)):
        loaded, vocab, meta2 = load_checkpoint(source)
        assert loaded.cfg == model.cfg
        assert vocab.chars == VOCAB and meta2 == meta
        assert not loaded.training
        assert torch.equal(loaded(x), model(x))
        assert torch.equal(torch.from_numpy(rnnviz.trace(loaded, x).hidden), torch.from_numpy(rnnviz.trace(model, x).hidden))
        assert loaded.embed.weight.requires_grad == (embed_size is not None)
    if embed_size is None:                                # the one-hot input layer is rebuilt, not stored
        assert b"embed.weight" not in data
    again, vocab, meta2 = load_checkpoint(save_checkpoint(None, model, list(VOCAB), meta))  # a plain list works too
    assert vocab.chars == VOCAB and meta2 == meta and torch.equal(again(x), model(x))


def test_save_refuses_bad_input():
    model = small("lstm")
    with pytest.raises(CheckpointError, match="vocab"):
        save_checkpoint(None, model, list("abc"), {})
    with pytest.raises(CheckpointError, match="JSON"):
        save_checkpoint(None, model, VOCAB, {"x": object()})
    with pytest.raises(CheckpointError, match="NaN"):
        with torch.no_grad():
            model.head.bias[0] = float("nan")
        save_checkpoint(None, model, VOCAB, {})
    with pytest.raises(CheckpointError):
        save_checkpoint(None, torch.nn.Linear(2, 2), VOCAB, {})


def good_parts(cell="lstm"):
    """(tensors, metadata) of a valid checkpoint, to spoil one thing at a time."""
    model = small(cell)
    data = save_checkpoint(None, model, VOCAB, {"a": 1})
    from safetensors.torch import load
    n = int.from_bytes(data[:8], "little")
    return load(data), json.loads(data[8:8 + n])["__metadata__"]


def spoiled(tensors=None, metadata=None, **changes):
    t, m = good_parts()
    t.update(tensors or {})
    m.update(metadata or {})
    for k, v in changes.items():
        if v is None:
            t.pop(k, None)
            m.pop(k, None)
    return st_save(t, metadata=m)


def test_the_spoiler_itself_makes_a_valid_file():
    load_checkpoint(spoiled())


def config(**kw):
    d = dict(cell="lstm", vocab_size=7, hidden_size=6, embed_size=None, nonlinearity="tanh", seed=3)
    d.update(kw)
    return json.dumps(d)


def torch_saved(obj, legacy=False) -> bytes:
    buf = io.BytesIO()
    torch.save(obj, buf, _use_new_zipfile_serialization=not legacy)
    return buf.getvalue()


class Boom:
    """Unpickling this would run code: a loader that unpickles fails the test."""
    def __reduce__(self):
        return (pytest.fail, ("the checkpoint loader unpickled a file",))


BAD = {
    "empty": b"",
    "garbage": b"this is certainly not a safetensors file, just some words",
    "short": b"\x05\x00",
    "random": bytes(np.random.default_rng(0).integers(0, 256, 5000, dtype=np.uint8)),
    "header not json": (20).to_bytes(8, "little") + b"{not json at all!!!}" + b"\0" * 8,
    "header a list": (2).to_bytes(8, "little") + b"[]",
    "torch.save zip": torch_saved({"x": Boom(), "w": torch.zeros(3)}),
    "torch.save legacy pickle": torch_saved({"x": Boom()}, legacy=True),
    "plain pickle": pickle.dumps({"x": Boom()}),
    "no metadata": st_save({"w": torch.zeros(2)}),
    "other metadata": st_save({"w": torch.zeros(2)}, metadata={"format": "pt"}),
    "no config": spoiled(**{KEY_CONFIG: None}),
    "config not json": spoiled(metadata={KEY_CONFIG: "{cell: lstm"}),
    "config a list": spoiled(metadata={KEY_CONFIG: "[1, 2]"}),
    "config missing field": spoiled(metadata={KEY_CONFIG: json.dumps({"cell": "lstm", "vocab_size": 7})}),
    "config unknown field": spoiled(metadata={KEY_CONFIG: config(layers=2)}),
    "unknown cell": spoiled(metadata={KEY_CONFIG: config(cell="transformer")}),
    "hidden too large": spoiled(metadata={KEY_CONFIG: config(hidden_size=100_000)}),
    "hidden not int": spoiled(metadata={KEY_CONFIG: config(hidden_size="6")}),
    "vocab size zero": spoiled(metadata={KEY_CONFIG: config(vocab_size=0)}),
    "no vocab": spoiled(**{KEY_VOCAB: None}),
    "vocab wrong length": spoiled(metadata={KEY_VOCAB: json.dumps(list("abcdef"))}),
    "vocab repeated": spoiled(metadata={KEY_VOCAB: json.dumps(list("abcdeff"))}),
    "vocab not chars": spoiled(metadata={KEY_VOCAB: json.dumps(["ab", "c", "d", "e", "f", "g", "h"])}),
    "meta not object": spoiled(metadata={KEY_META: "[1]"}),
    "config for another cell": spoiled(metadata={KEY_CONFIG: config(cell="gru")}),
    "config for another size": spoiled(metadata={KEY_CONFIG: config(hidden_size=7)}),
    "wrong shape": spoiled(tensors={"head.weight": torch.zeros(7, 5)}),
    "missing tensor": spoiled(**{"head.bias": None}),
    "extra tensor": spoiled(tensors={"rnn.weight_ih_l1": torch.zeros(24, 6)}),
    "float64 tensor": spoiled(tensors={"head.bias": torch.zeros(7, dtype=torch.float64)}),
    "int tensor": spoiled(tensors={"head.bias": torch.zeros(7, dtype=torch.int32)}),
    "nan weight": spoiled(tensors={"rnn.weight_hh_l0": torch.full((24, 6), float("nan"))}),
    "inf weight": spoiled(tensors={"head.bias": torch.tensor([0, 0, float("inf"), 0, 0, 0, 0.0])}),
}


@pytest.mark.parametrize("name", list(BAD))
def test_malformed_checkpoints_raise_checkpoint_error(name):
    with pytest.raises(CheckpointError) as e:
        load_checkpoint(BAD[name])
    assert isinstance(e.value, ValueError) and len(str(e.value)) > 10


def test_truncated_and_padded_files_are_rejected(tmp_path):
    data = save_checkpoint(None, small("gru"), VOCAB, {})
    for cut in (1, 4, 100, len(data) // 2, len(data) - 9, len(data) - 1):
        with pytest.raises(CheckpointError):
            load_checkpoint(data[:cut])
    with pytest.raises(CheckpointError, match="unexpected bytes"):
        load_checkpoint(data + b"\0" * 16)
    path = tmp_path / "t.safetensors"
    path.write_bytes(data[:-3])
    with pytest.raises(CheckpointError, match="truncated"):
        load_checkpoint(path)


def test_size_limit_and_bad_sources(tmp_path):
    data = save_checkpoint(None, small("rnn"), VOCAB, {})
    with pytest.raises(CheckpointError, match="limit"):
        load_checkpoint(data, max_bytes=len(data) - 1)
    path = tmp_path / "big.safetensors"
    with open(path, "wb") as f:
        f.truncate(MAX_CHECKPOINT_BYTES + 1)              # sparse: checked by size before it is read
    with pytest.raises(CheckpointError, match="limit"):
        load_checkpoint(path)
    with pytest.raises(CheckpointError, match="cannot read"):
        load_checkpoint(tmp_path / "missing.safetensors")
    with pytest.raises(CheckpointError):
        load_checkpoint(12345)


def test_loader_never_unpickles(monkeypatch):
    def refuse(*a, **k):
        raise AssertionError("pickle/torch.load used")
    monkeypatch.setattr(torch, "load", refuse)
    monkeypatch.setattr(pickle, "loads", refuse)
    monkeypatch.setattr(pickle, "load", refuse)
    monkeypatch.setattr(pickle, "Unpickler", refuse)
    load_checkpoint(save_checkpoint(None, small("lstm"), VOCAB, {}))
    with pytest.raises(CheckpointError):
        load_checkpoint(BAD["torch.save zip"])


# ---- shipped presets ---------------------------------------------------------------------------------

@pytest.mark.parametrize("name", list(PRESETS))
def test_presets_load_and_are_fresh(name):
    p = load_preset(name)                                 # its load time is measured by bench/bench_step.py
    assert isinstance(p, Preset) and p.name == name
    from rnnviz.i18n import TEXT
    assert set(TEXT[f"preset.{name}"]) == {"en", "ko"} and all(TEXT[f"preset.{name}"].values())
    assert p.description("ko") == TEXT[f"preset.{name}"]["ko"] and p.description("fr") == TEXT[f"preset.{name}"]["en"]
    assert p.text == SAMPLE_TEXTS[name]
    assert set(p.text) <= set(p.vocab.chars)
    ids = p.ids
    assert ids.shape == (len(p.text),)
    tr = rnnviz.trace(p.model, ids)
    assert np.isfinite(tr.hidden).all()
    for key in ("corpus", "corpus_seed", "steps", "final_loss"):
        assert key in p.meta
    q = load_preset(name)
    assert q.model is not p.model
    with torch.no_grad():
        p.model.head.bias.add_(1.0)
    assert not torch.equal(q.model.head.bias, p.model.head.bias)   # nothing shared between calls


def test_preset_files_are_small():
    from rnnviz.app.presets import PRESET_DIR
    for name in PRESETS:
        assert (PRESET_DIR / f"{name}.safetensors").stat().st_size < 200_000


def test_unknown_preset():
    with pytest.raises(ValueError, match="unknown preset"):
        load_preset("nope")


def test_brackets_preset_is_well_trained_on_its_sample():
    p = load_preset("brackets_lstm")
    assert p.model.cfg.cell == "lstm" and p.meta["corpus"] == "brackets_quotes"
    assert set(p.vocab.chars) == set(corpus.BRACKETS_ALPHABET)
    depth = corpus.bracket_depth(p.text)
    assert depth.min() == 0 and depth[-1] == 0 and depth.max() >= 3 and corpus.inside_quotes(p.text).any()


def test_brackets_preset_units_really_track_what_they_say():
    """Recompute each noted unit's correlation on a fresh generated text (a seed used neither for
    training nor for the recorded value)."""
    p = load_preset("brackets_lstm")
    tracked = {n.tracks for n in p.unit_notes}
    assert tracked == {"inside_quotes", "bracket_depth"} and tracked <= set(TRACKS)
    text = corpus.brackets_quotes(3000, seed=777)
    tr = rnnviz.trace(p.model, p.vocab.encode(text))
    best = 0.0
    for note in p.unit_notes:
        truth = getattr(corpus, note.tracks)(text).astype(np.float64)
        a = (tr.hidden if note.state == "h" else tr.cell)[:, note.unit].astype(np.float64)
        r = np.corrcoef(a, truth)[0, 1]
        assert np.sign(r) == np.sign(note.r)
        assert abs(r) >= abs(note.r) - 0.08 and abs(r) >= 0.6, (note, r)
        best = max(best, abs(r))
    assert best >= 0.9                                    # measured at training time: 0.97 (cell 44, depth)


def test_korean_preset_knows_the_key_sentences():
    p = load_preset("korean_gru")
    assert p.model.cfg.cell == "gru" and p.model.cfg.hidden_size == 32
    for s in KOREAN_KEY:
        assert set(s) <= set(p.vocab.chars)
        assert s in p.text
        ids = p.vocab.encode(s + "\n")
        tr = rnnviz.trace(p.model, ids[:-1], ids[1:])
        # after "오늘 주" / "어제 주" the rest of the sentence is determined by the training text
        assert p.vocab.decode(tr.predictions[4:]) == s[5:] + "\n", p.vocab.decode(tr.predictions)
