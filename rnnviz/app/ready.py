"""Results ready before anyone asks: shipped for a page's default settings, and computed once per server.

Training views (the Vanishing Gradients page's gradients during training and its long-range tasks) take
seconds to a minute, and a lecture's scene must show its result within a second. Their default settings'
results are computed by `scripts/train_ready.py` and shipped as JSON in `assets/ready/<name>.json`
(numbers and text only), each with the settings (`key`) it was computed with; `tests/test_ready.py`
recomputes them to check they are still what the code gives. Any other setting's result, once some session
on this server has computed it, is kept for every session (CPU training is deterministic). Every caller
gets its own copy.
"""
from __future__ import annotations

import copy
import dataclasses
import functools
import json
import math
import os
from pathlib import Path
from typing import Callable

import numpy as np

from ..errors import RnnvizError
from .cache import SharedCache

READY_DIR = Path(__file__).resolve().parents[2] / "assets" / "ready"
MAX_READY_BYTES = 5_000_000
SHARED_RESULTS = 32
_shared = SharedCache(SHARED_RESULTS)


class ReadyError(RnnvizError):
    """A shipped result file that cannot be used; the message says why."""
    domain = "ready"


def canonical(key) -> str:
    """The settings as canonical JSON (dataclasses as their fields), the identity of a result."""
    def plain(v):
        if dataclasses.is_dataclass(v):
            return {f.name: plain(getattr(v, f.name)) for f in dataclasses.fields(v)}
        if isinstance(v, (list, tuple)):
            return [plain(x) for x in v]
        if isinstance(v, dict):
            return {str(k): plain(x) for k, x in v.items()}
        return v
    return json.dumps(plain(key), sort_keys=True, allow_nan=False)


def to_json(value):
    """numpy arrays and scalars as lists and numbers; NaN and infinities as None (JSON has neither)."""
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [to_json(v) for v in (value.tolist() if isinstance(value, np.ndarray) else value)]
    if isinstance(value, (np.floating, float)):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    return value


def path_of(name: str) -> Path:
    return READY_DIR / f"{name}.json"


def save_shipped(name: str, key, value, path: Path | None = None) -> None:
    path = path_of(name) if path is None else path
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps({"key": json.loads(canonical(key)), "value": to_json(value)}, ensure_ascii=False))
    os.replace(tmp, path)


def shipped(name: str, key, path: Path | None = None):
    """The shipped value of `name` when it was computed with exactly `key`, else None. ReadyError for a file
    that is too large or not what `save_shipped` writes."""
    path = path_of(name) if path is None else path
    if not path.exists():
        return None
    st = path.stat()
    data = _read(str(path), st.st_mtime_ns, st.st_size)
    return copy.deepcopy(data["value"]) if json.dumps(data["key"], sort_keys=True) == canonical(key) else None


@functools.lru_cache(maxsize=16)
def _read(path: str, mtime_ns: int, size: int) -> dict:
    """A shipped file parsed and checked, once per version of the file (a page asks on every rerun)."""
    p = Path(path)
    if p.stat().st_size > MAX_READY_BYTES:
        raise ReadyError(f"{p.name} is larger than {MAX_READY_BYTES} bytes")
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise ReadyError(f"{p.name} is not JSON: {e}") from None
    if not isinstance(data, dict) or set(data) != {"key", "value"}:
        raise ReadyError(f"{p.name} must be an object with a key and a value")
    return data


def get(name: str, key, load: Callable[[object], object] = lambda v: v):
    """A private copy of the result for (name, key): kept on this server, or shipped (then kept), or None.
    `load` turns a shipped JSON value into the result's own form."""
    def build():
        raw = shipped(name, key)
        return None if raw is None else load(raw)
    value, _ = _shared.get_or_build((name, canonical(key)), build, keep=lambda v: v is not None)
    return value


def keep(name: str, key, value) -> None:
    """Keep a finished, deterministic result for every session of this server (the caller keeps its own)."""
    _shared.get_or_build((name, canonical(key)), lambda: copy.deepcopy(value))


def clear() -> None:
    _shared.clear()
