"""Save and load a trained `CharRNN` with its vocabulary, as one safetensors file.

Only safetensors: weights are raw float32 arrays and everything else (the `ModelConfig` fields, the
vocabulary, free-form metadata) is JSON text in the safetensors header, so loading a file never runs
code (no pickle, no `torch.load`). A file is checked completely before a model is built from it; any
problem raises `CheckpointError` (a ValueError) saying what is wrong.

Metadata keys (all values are strings):
    "format": "pt"                 safetensors' convention
    "rnnviz.format": "1"           this layout's version
    "rnnviz.config": JSON object   the ModelConfig fields (cell, vocab_size, hidden_size, embed_size, ...)
    "rnnviz.vocab": JSON list      the vocabulary, id -> character
    "rnnviz.meta": JSON object     anything else (corpus, seed, steps, loss, unit notes, ...)

The frozen one-hot input layer of a one-hot model is not stored: it is rebuilt (an identity matrix).

`save_models` / `load_models` store several models of any shape (the lab's RNN, LSTM, GRU, MLP and seq2seq
models) in one file of the same layout, without a config: the caller rebuilds each model from its recipe
and the file's tensors must match that model's state dict exactly, name for name and shape for shape
(metadata "rnnviz.models": the JSON list of the stored models' names; tensors "<name>/<state dict key>").
"""
from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Sequence

import torch
from safetensors.torch import load as _st_load, save as _st_save

from ..checks import is_int as _is_int
from ..data.text import Vocab
from ..errors import RnnvizError
from .model import CharRNN, ModelConfig, build_model

FORMAT_VERSION = "1"
MAX_CHECKPOINT_BYTES = 20 * 1024 * 1024   # refuse larger files (the biggest allowed model is far smaller)
MAX_HEADER_BYTES = 1024 * 1024
KEY_FORMAT, KEY_CONFIG, KEY_VOCAB, KEY_META = "rnnviz.format", "rnnviz.config", "rnnviz.vocab", "rnnviz.meta"
KEY_MODELS = "rnnviz.models"
# A checkpoint holds a character model: these ModelConfig fields (the others keep their defaults). The schema
# of the shipped presets: do not change it.
_CONFIG_FIELDS = ("cell", "vocab_size", "hidden_size", "embed_size", "nonlinearity", "seed")


class CheckpointError(RnnvizError):
    """A checkpoint that cannot be loaded (or a model that cannot be saved); the message says why.

    Every problem a file can have carries a `code` (translation key "err.checkpoint.<code>", filled with its
    parameters, so a page shows it in the user's language); errors without one ("invalid": a caller's
    mistake, not a file's) show their English message."""
    domain = "checkpoint"

    def __init__(self, message: str, code: str = "invalid", **params):
        super().__init__(message, code, **params)
        self.specific = code == "invalid"


def _expected_tensors(model: CharRNN) -> dict[str, tuple[int, ...]]:
    """Stored tensor name -> shape: the state dict, without the one-hot input layer."""
    sd = model.state_dict()
    return {k: tuple(v.shape) for k, v in sd.items() if not (k == "embed.weight" and model.cfg.embed_size is None)}


def save_checkpoint(path: str | os.PathLike | None, model: CharRNN, vocab: Vocab | Sequence[str],
                    meta: dict | None = None) -> bytes:
    """Serialise `model` (a CharRNN), its vocabulary and a JSON-able `meta` dict; write it to `path`
    (atomically) unless path is None. Returns the file's bytes."""
    cfg = getattr(model, "cfg", None)
    if not isinstance(cfg, ModelConfig):
        raise CheckpointError("save_checkpoint takes a rnnviz CharRNN (a model with a ModelConfig .cfg)")
    char_model = ModelConfig(**{f: getattr(cfg, f) for f in _CONFIG_FIELDS})
    if cfg != char_model:
        raise CheckpointError("save_checkpoint takes a character model (token ids in, next-id logits at every step, "
                              "as build_model makes), not a lab or long-range model")
    chars = list(vocab.chars if isinstance(vocab, Vocab) else vocab)
    _check_vocab(chars, cfg.validate().vocab_size)
    meta_json = _meta_json(meta)
    tensors, state = {}, model.state_dict()
    for name in _expected_tensors(model):
        t = state[name].detach().to("cpu", torch.float32).contiguous()
        if not torch.isfinite(t).all():
            raise CheckpointError(f"weight {name} has NaN or infinite values; refusing to save it")
        tensors[name] = t
    metadata = {
        "format": "pt",
        KEY_FORMAT: FORMAT_VERSION,
        KEY_CONFIG: json.dumps({f: getattr(cfg, f) for f in _CONFIG_FIELDS}, sort_keys=True),
        KEY_VOCAB: json.dumps(chars, ensure_ascii=False),
        KEY_META: meta_json,
    }
    data = _st_save(tensors, metadata=metadata)
    if path is not None:
        _write(path, data)
    return data


def load_checkpoint(source: str | os.PathLike | bytes | bytearray | memoryview, device: str | torch.device = "cpu",
                    max_bytes: int = MAX_CHECKPOINT_BYTES) -> tuple[CharRNN, Vocab, dict]:
    """A file path or the file's bytes -> (model in eval mode on `device`, Vocab, meta dict).

    Raises CheckpointError for anything but a well-formed rnnviz safetensors checkpoint: a file that is
    too large, not safetensors (e.g. a torch.save pickle, which is never unpickled), truncated,
    missing or malformed metadata, an invalid config, tensors whose names, dtypes or shapes do not
    match that config, or NaN/infinite weights."""
    data = _read(source, max_bytes)
    header, metadata = _parse_header(data)
    cfg = _parse_config(metadata)
    chars = _parse_json(metadata, KEY_VOCAB, list, "a list of characters")
    _check_vocab(chars, cfg.vocab_size)
    meta = _parse_json(metadata, KEY_META, dict, "an object")

    model = build_model(cell=cfg.cell, vocab_size=cfg.vocab_size, hidden_size=cfg.hidden_size, seed=cfg.seed,
                        embed_size=cfg.embed_size, nonlinearity=cfg.nonlinearity)
    expected = _expected_tensors(model)
    found = {k: tuple(v["shape"]) for k, v in header.items()}
    missing, extra = sorted(set(expected) - set(found)), sorted(set(found) - set(expected))
    if missing or extra:
        raise CheckpointError(f"tensor names do not match a {cfg.cell} model: missing {missing or 'none'}, "
                              f"unexpected {extra or 'none'}", code="tensor_names", cell=cfg.cell)
    for k, shape in expected.items():
        if found[k] != shape:
            raise CheckpointError(f"tensor {k} has shape {list(found[k])}; the config "
                                  f"({cfg.cell}, vocab {cfg.vocab_size}, hidden {cfg.hidden_size}) needs {list(shape)}",
                                  code="tensor_shape", name=k, shape=list(found[k]), expected=list(shape))
    try:
        tensors = _st_load(data)
    except Exception as e:  # safetensors' own checks (offsets, sizes): corrupt file
        raise CheckpointError(f"corrupt safetensors data: {e}", code="corrupt") from None
    for k, t in tensors.items():
        if t.dtype != torch.float32 or tuple(t.shape) != expected[k]:
            raise CheckpointError(f"tensor {k} is {t.dtype} {list(t.shape)}, expected float32 {list(expected[k])}",
                                  code="tensor_shape", name=k, shape=list(t.shape), expected=list(expected[k]))
        if not torch.isfinite(t).all():
            raise CheckpointError(f"tensor {k} has NaN or infinite values", code="non_finite", name=k)
    state = model.state_dict()
    state.update(tensors)
    model.load_state_dict(state, strict=True)
    model.eval()
    return model.to(device), Vocab(tuple(chars)), meta


def _meta_json(meta) -> str:
    try:
        return json.dumps(dict(meta or {}), ensure_ascii=False, allow_nan=False, sort_keys=True)
    except (TypeError, ValueError) as e:
        raise CheckpointError(f"meta must be a JSON-serialisable dict with finite numbers: {e}") from None


def _write(path, data: bytes) -> None:
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def save_models(path: str | os.PathLike | None, models: dict[str, torch.nn.Module], meta: dict | None = None) -> bytes:
    """Serialise every model's state dict (float32, finite) and a JSON-able `meta` into one safetensors file,
    written atomically to `path` unless it is None. Returns the file's bytes."""
    if not models or not all(isinstance(k, str) and k and "/" not in k for k in models):
        raise CheckpointError("models must be a non-empty dict whose names are non-empty and hold no '/'")
    meta_json = _meta_json(meta)
    tensors = {}
    for name, model in models.items():
        for k, v in model.state_dict().items():
            t = v.detach().to("cpu", torch.float32).contiguous()
            if not torch.isfinite(t).all():
                raise CheckpointError(f"weight {name}/{k} has NaN or infinite values; refusing to save it")
            tensors[f"{name}/{k}"] = t
    data = _st_save(tensors, metadata={"format": "pt", KEY_FORMAT: FORMAT_VERSION,
                                       KEY_MODELS: json.dumps(list(models)), KEY_META: meta_json})
    if path is not None:
        _write(path, data)
    return data


def read_models_meta(source, max_bytes: int = MAX_CHECKPOINT_BYTES) -> tuple[list[str], dict]:
    """(the stored models' names, meta) of a `save_models` file, checked as `load_models` checks it but
    without loading a tensor."""
    header, metadata = _parse_header(_read(source, max_bytes))
    return _parse_json(metadata, KEY_MODELS, list, "a list of model names"), _parse_json(metadata, KEY_META, dict, "an object")


def load_models(source, models: dict[str, torch.nn.Module], max_bytes: int = MAX_CHECKPOINT_BYTES) -> dict:
    """Load a `save_models` file into `models` (built by the caller from the recipe the file was made with;
    they are changed in place and put in eval mode). Returns the file's meta. CheckpointError unless the file
    holds exactly these models, every tensor name, dtype and shape matching their state dicts, all finite."""
    data = _read(source, max_bytes)
    header, metadata = _parse_header(data)
    names = _parse_json(metadata, KEY_MODELS, list, "a list of model names")
    meta = _parse_json(metadata, KEY_META, dict, "an object")
    if sorted(names) != sorted(models):
        raise CheckpointError(f"the file holds the models {names}, not {list(models)}", code="models",
                              found=", ".join(map(str, names)), expected=", ".join(models))
    expected = {f"{n}/{k}": tuple(v.shape) for n, m in models.items() for k, v in m.state_dict().items()}
    found = {k: tuple(v["shape"]) for k, v in header.items()}
    if expected != found:
        bad = sorted(k for k in set(expected) | set(found) if expected.get(k) != found.get(k))
        raise CheckpointError(f"the file's tensors do not match the models: {', '.join(bad[:5])}"
                              + (f" and {len(bad) - 5} more" if len(bad) > 5 else ""), code="models_tensors",
                              names=", ".join(bad[:5]) + (" …" if len(bad) > 5 else ""))
    try:
        tensors = _st_load(data)
    except Exception as e:  # safetensors' own checks (offsets, sizes): corrupt file
        raise CheckpointError(f"corrupt safetensors data: {e}", code="corrupt") from None
    for k, t in tensors.items():
        if not torch.isfinite(t).all():
            raise CheckpointError(f"tensor {k} has NaN or infinite values", code="non_finite", name=k)
    for n, m in models.items():
        prefix = f"{n}/"
        m.load_state_dict({k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)}, strict=True)
        m.eval()
    return meta


# ---- validation helpers -----------------------------------------------------------------------------

def _read(source, max_bytes: int) -> bytes:
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
    elif isinstance(source, (str, os.PathLike)):
        path = Path(source)
        try:
            size = path.stat().st_size
            if size > max_bytes:
                raise CheckpointError(f"{path.name} is {size} bytes; the limit for a checkpoint is {max_bytes} bytes",
                                      code="too_large", size=f"{size:,}", limit=f"{max_bytes:,}")
            with open(path, "rb") as f:
                data = f.read(max_bytes + 1)
        except OSError as e:
            raise CheckpointError(f"cannot read checkpoint {path}: {e.strerror or e}", code="read", path=str(path)) from None
    else:
        raise CheckpointError(f"a checkpoint is a file path or bytes, not {type(source).__name__}")
    if len(data) > max_bytes:
        raise CheckpointError(f"the checkpoint is {len(data)} bytes; the limit is {max_bytes} bytes", code="too_large",
                              size=f"{len(data):,}", limit=f"{max_bytes:,}")
    if len(data) == 0:
        raise CheckpointError("the checkpoint is empty (0 bytes)", code="empty")
    return data


def _parse_header(data: bytes) -> tuple[dict, dict]:
    """Check the safetensors layout by hand before safetensors sees it: returns (tensor entries, metadata)."""
    not_st = "not a safetensors file"
    if len(data) < 8:
        raise CheckpointError(f"{not_st}: only {len(data)} bytes", code="not_safetensors")
    n = int.from_bytes(data[:8], "little")
    if n < 2 or n > MAX_HEADER_BYTES:
        raise CheckpointError(f"{not_st} (its first 8 bytes do not give a plausible header length)", code="not_safetensors")
    if 8 + n > len(data):
        raise CheckpointError(f"truncated safetensors file: the header needs {n} bytes, only {len(data) - 8} follow",
                              code="truncated")
    try:
        header = json.loads(data[8:8 + n].decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise CheckpointError(f"{not_st} (its header is not JSON)", code="not_safetensors") from None
    if not isinstance(header, dict):
        raise CheckpointError(f"{not_st} (its header is not a JSON object)", code="not_safetensors")
    metadata = header.pop("__metadata__", None)
    if not isinstance(metadata, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()):
        raise CheckpointError("no rnnviz metadata: the safetensors header has no string->string __metadata__",
                              code="not_rnnviz")
    if metadata.get(KEY_FORMAT) != FORMAT_VERSION:
        raise CheckpointError(f"not an rnnviz checkpoint (metadata {KEY_FORMAT!r} is "
                              f"{metadata.get(KEY_FORMAT)!r}, expected {FORMAT_VERSION!r})", code="not_rnnviz")
    body = len(data) - 8 - n
    spans = []
    for name, entry in header.items():
        ok = (isinstance(entry, dict) and entry.get("dtype") == "F32"
              and isinstance(entry.get("shape"), list) and all(_is_int(s) and s >= 0 for s in entry["shape"])
              and isinstance(entry.get("data_offsets"), list) and len(entry["data_offsets"]) == 2
              and all(_is_int(o) for o in entry["data_offsets"]))
        if not ok:
            raise CheckpointError(f"tensor {name!r}: malformed entry or not float32 ({str(entry)[:80]})",
                                  code="tensor_entry", name=str(name)[:80])
        begin, end = entry["data_offsets"]
        if end - begin != 4 * math.prod(entry["shape"]) or begin < 0:
            raise CheckpointError(f"tensor {name!r}: its data offsets do not match its shape", code="corrupt")
        spans.append((begin, end))
    spans.sort()
    pos = 0
    for begin, end in spans:
        if begin != pos:
            raise CheckpointError("corrupt safetensors file: tensor data overlaps or leaves gaps", code="corrupt")
        pos = end
    if pos > body:
        raise CheckpointError(f"truncated safetensors file: {pos} bytes of tensor data expected, {body} present",
                              code="truncated")
    if pos < body:
        raise CheckpointError(f"corrupt safetensors file: {body - pos} unexpected bytes after the tensor data",
                              code="corrupt")
    return header, metadata



def _parse_json(metadata: dict, key: str, kind: type, what: str):
    if key not in metadata:
        raise CheckpointError(f"metadata {key!r} is missing", code="metadata", field=key)
    try:
        value = json.loads(metadata[key])
    except ValueError:
        raise CheckpointError(f"metadata {key!r} is not valid JSON", code="metadata", field=key) from None
    if not isinstance(value, kind):
        raise CheckpointError(f"metadata {key!r} must be {what}", code="metadata", field=key)
    return value


def _parse_config(metadata: dict) -> ModelConfig:
    d = _parse_json(metadata, KEY_CONFIG, dict, "an object of ModelConfig fields")
    if set(d) != set(_CONFIG_FIELDS):
        raise CheckpointError(f"metadata {KEY_CONFIG!r} must have exactly the fields {', '.join(_CONFIG_FIELDS)}; "
                              f"missing {sorted(set(_CONFIG_FIELDS) - set(d)) or 'none'}, "
                              f"unknown {sorted(set(d) - set(_CONFIG_FIELDS)) or 'none'}", code="config")
    try:
        return ModelConfig(**d).validate()
    except (TypeError, ValueError) as e:
        raise CheckpointError(f"invalid model config in the checkpoint: {e}", code="config") from None


def _check_vocab(chars: list, vocab_size: int) -> None:
    if not all(isinstance(c, str) and len(c) == 1 for c in chars):
        raise CheckpointError("the vocabulary must be a list of single characters", code="vocab")
    if len(set(chars)) != len(chars):
        raise CheckpointError("the vocabulary has repeated characters", code="vocab")
    if len(chars) != vocab_size:
        raise CheckpointError(f"the vocabulary has {len(chars)} characters but the model's vocab_size is {vocab_size}",
                              code="vocab_size", n=len(chars), size=vocab_size)
