"""Shared by the data modules: the size limits (the server is shared: every size is bounded), `DataError`,
argument checks and the cache folder."""
from __future__ import annotations

import math
import os
import tempfile
from pathlib import Path
from typing import Callable

import numpy as np

from ..errors import RnnvizError

# ---- limits (the server is shared: every size is bounded) ------------------------------------------

MAX_IDX_BYTES = 50_000_000        # one IDX file, decompressed (MNIST train images: 47,040,016 B)
MAX_MNIST_ROWS = 60_000           # most images `load_mnist_rows` converts to float (188 MB)
MAX_DOWNLOAD_BYTES = 20_000_000   # one downloaded file (MNIST train images .gz: 9.9 MB)
MAX_TEXT_UPLOAD_BYTES = 2_000_000 # an uploaded text file (tiny shakespeare: 1.1 MB)
MAX_CSV_BYTES = 5_000_000         # an uploaded CSV file
MAX_CORPUS_CHARS = 200_000        # a generated character corpus
MAX_UPLOAD_VOCAB = 1024           # distinct characters in an uploaded text
MAX_WINDOW_T = 1000               # longest window (time steps)
MAX_WINDOWS = 1_000_000           # most windows one call makes
MAX_ELEMENTS = 20_000_000         # most numbers in one array a call builds (80-160 MB)
MIN_SERIES_LEN, MAX_SERIES_LEN = 10, 100_000
MIN_LABELLED_ROWS, MAX_LABELLED_ROWS = 4, 50_000
MAX_CLASSES = 50                  # Reuters newswire topics: 46
MAX_WORD_VOCAB = 50_000
MAX_TOKENS = 1000                 # longest encoded text (words)
MAX_BUILTIN_EXAMPLES = 2000       # generated labelled texts


class DataError(RnnvizError):
    """Data that cannot be used (translation key "err.data.<code>", filled with the error's parameters: it says
    what the English message says, so a page shows the translation alone)."""
    domain = "data"
    specific = False


# ---- argument checks -------------------------------------------------------------------------------

def _int(name: str, value, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not lo <= value <= hi:
        raise DataError(code="range", message=f"{name} must be an integer between {lo} and {hi}, not {value!r}",
                        name=name, value=repr(value), lo=lo, hi=hi)
    return int(value)


def _seed(seed) -> int:
    return _int("seed", seed, 0, 2**32 - 1)


def _fraction(name: str, value, lo: float = 0.0, hi: float = 0.9) -> float:
    """A float strictly above `lo` and at most `hi`."""
    ok = not isinstance(value, bool) and isinstance(value, (int, float, np.floating))
    if not ok or not math.isfinite(value) or not lo < value <= hi:
        raise DataError(code="fraction", message=f"{name} must be a number above {lo} and at most {hi}, not {value!r}",
                        name=name, value=repr(value), lo=lo, hi=hi)
    return float(value)


def _positive(name: str, value, hi: float) -> float:
    ok = not isinstance(value, bool) and isinstance(value, (int, float, np.floating))
    if not ok or not math.isfinite(value) or not 0 < value <= hi:
        raise DataError(code="fraction", message=f"{name} must be a number above 0 and at most {hi}, not {value!r}",
                        name=name, value=repr(value), lo=0, hi=hi)
    return float(value)


def _bytes_of(data, max_bytes: int, what: str = "file") -> bytes:
    """bytes / bytearray / memoryview, or an object with getvalue() or read() (a Streamlit upload)."""
    if hasattr(data, "getvalue"):
        data = data.getvalue()
    elif hasattr(data, "read"):
        data = data.read(max_bytes + 1)
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise DataError(code="type", message=f"the {what} must be given as bytes, not {type(data).__name__}",
                        name=what, expected="bytes")
    data = bytes(data)
    if len(data) > max_bytes:
        raise DataError(code="too_large", message=f"the {what} has {len(data):,} bytes; the limit is {max_bytes:,}",
                        size=len(data), limit=max_bytes)
    return data


# ---- the cache folder ------------------------------------------------------------------------------

def default_cache_dir() -> Path:
    """$RNNVIZ_CACHE if set, else ~/.cache/rnnviz (not created here)."""
    env = os.environ.get("RNNVIZ_CACHE")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "rnnviz"


def _cache_dir(cache_dir) -> Path:
    if cache_dir is None:
        return default_cache_dir()
    if not isinstance(cache_dir, (str, os.PathLike)):
        raise DataError(code="type", message=f"cache_dir must be a folder path, not {type(cache_dir).__name__}",
                        name="cache_dir", expected="path")
    return Path(cache_dir).expanduser()


def _atomic_write(path: Path, write: Callable) -> None:
    """Write through a temporary file in the same folder, then rename: readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
