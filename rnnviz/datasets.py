"""Data for the sequence-tasks lab: every task's inputs, built in and working offline, plus loaders for
what a user uploads. Pure functions; nothing here imports streamlit or touches the network except
`download_mnist`, which a user asks for.

Shapes, by task:
- MNIST-1D (many-to-one): `mnist1d()` -> x_train (4000, 40) float32, y_train (4000,) int64,
  x_test (1000, 40), y_test (1000,); generated offline by the `mnist1d` package and cached as .npz.
- MNIST row by row (many-to-one): `read_idx` parses IDX files; `load_mnist_rows` -> x (N, 28, 28)
  float32 in [0, 1] (28 steps of 28 pixels), y (N,) int64; `find_mnist`, `download_mnist`, `load_mnist`.
- Character LM (many-to-many): `english_corpus`, `korean_corpus` (str); `load_text_upload` (bytes ->
  str); `split_text`; `char_windows(ids, T)` -> x (N, T), y (N, T) long, y the character after x.
- Time series: `noisy_sine`, `trend_seasonal`, `random_walk_stock` -> (n,) float32; `parse_csv_column`;
  `windows(series, T)` -> x (N, T, 1), y (N,) float32 and the `Normalisation` used;
  `naive_last_value_mse`.
- Text classification: `sentiment_texts(lang)` and `parse_labelled_csv` -> `LabelledTexts`;
  `tokenize`, `build_word_vocab` -> `WordVocab`, `encode_texts` -> ids (N, L) long, lengths (N,).
- Sequence to sequence: `reverse_task`, `copy_strings` -> [(source, target)]; `encode_seq2seq`.

Raw data comes back as numpy arrays (or str); the model-ready windows and encodings as torch tensors.
Every generator takes a `seed` and uses its own random generator: the same arguments always give the
same data, and the global random state is left alone. Every size is bounded (the server is shared),
and every bad input raises `DataError` (a ValueError) whose `code` and `params` let a UI show the
message in any language (translation key "err.data.<code>").
"""
from __future__ import annotations

import csv
import gzip
import hashlib
import io
import math
import os
import random
import re
import struct
import tempfile
import unicodedata
import urllib.error
import urllib.parse
import urllib.request
import zlib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Mapping, Sequence

import numpy as np
import torch

from .errors import RnnvizError
from .corpus import lines_to_length
from .text import clean_text

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
MAX_PAIRS = 100_000               # generated seq2seq pairs
MAX_PAIR_LEN = 50                 # longest seq2seq string


class DataError(RnnvizError):
    """Data that cannot be used (translation key "err.data.<code>"); str(error) adds the specifics."""
    domain = "data"


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


# ---- 1. MNIST-1D -----------------------------------------------------------------------------------

MNIST1D_KEYS = ("x_train", "y_train", "x_test", "y_test")
MNIST1D_SHAPES = {"x_train": (4000, 40), "y_train": (4000,), "x_test": (1000, 40), "y_test": (1000,)}


_MNIST1D_FORMAT = 1   # bump when the cached file's layout changes


def _mnist1d_version() -> str | None:
    """The installed package's version from its metadata (importing it takes seconds: matplotlib, scipy)."""
    from importlib.metadata import PackageNotFoundError, version
    try:
        return version("mnist1d")
    except PackageNotFoundError:
        return None


def _missing_mnist1d(cause=None) -> DataError:
    e = DataError(code="missing_package", message="MNIST-1D needs the Python package 'mnist1d' (pip install mnist1d); "
                  "it is not installed", package="mnist1d")
    e.__cause__ = cause
    return e


def _load_mnist1d_npz(path: Path) -> dict | None:
    try:
        with np.load(path, allow_pickle=False) as z:
            out = {k: z[k] for k in MNIST1D_KEYS}
    except Exception:   # missing, truncated, or not an npz at all: regenerate
        return None
    for k, shape in MNIST1D_SHAPES.items():
        want = np.float32 if k.startswith("x") else np.int64
        if out[k].shape != shape or out[k].dtype != want:
            return None
    return out


def mnist1d(cache_dir=None) -> dict[str, np.ndarray]:
    """The MNIST-1D data set (the `mnist1d` package's default arguments, seed 42): ten classes of
    one-dimensional signals, length 40. Returns {"x_train": (4000, 40) float32, "y_train": (4000,) int64,
    "x_test": (1000, 40) float32, "y_test": (1000,) int64}.

    Generated offline with `make_dataset(get_dataset_args())` (a few seconds; never downloaded), then
    cached as .npz in `cache_dir` (default: `default_cache_dir()`), so later calls load in milliseconds,
    even without the package. An unwritable cache folder only means no caching. The global `random` and
    `numpy.random` states are restored after generation. Raises DataError("missing_package") when the
    package is needed and missing."""
    folder = _cache_dir(cache_dir)
    version = _mnist1d_version()
    if version is None:   # without the package, any cached copy will do
        for path in sorted(folder.glob("mnist1d-*.npz")) if folder.is_dir() else []:
            out = _load_mnist1d_npz(path)
            if out is not None:
                return out
        raise _missing_mnist1d()
    # the data is fixed by the package version (its default arguments, seed 42)
    path = folder / f"mnist1d-{re.sub(r'[^0-9A-Za-z.]+', '_', version)}-f{_MNIST1D_FORMAT}.npz"
    out = _load_mnist1d_npz(path)
    if out is not None:
        return out
    try:
        from mnist1d.data import get_dataset_args, make_dataset
    except ImportError as e:
        raise _missing_mnist1d(e) from e
    py_state, np_state = random.getstate(), np.random.get_state()
    try:
        ds = make_dataset(get_dataset_args())
    finally:
        random.setstate(py_state)
        np.random.set_state(np_state)
    out = {"x_train": np.asarray(ds["x"], dtype=np.float32), "y_train": np.asarray(ds["y"], dtype=np.int64),
           "x_test": np.asarray(ds["x_test"], dtype=np.float32),
           "y_test": np.asarray(ds["y_test"], dtype=np.int64)}
    try:
        _atomic_write(path, lambda f: np.savez(f, **out))
    except OSError:
        pass   # read-only or full disk: still return the data
    return out


# ---- 2. MNIST from IDX files -----------------------------------------------------------------------

MNIST_FILES = {"train_images": "train-images-idx3-ubyte.gz", "train_labels": "train-labels-idx1-ubyte.gz",
               "test_images": "t10k-images-idx3-ubyte.gz", "test_labels": "t10k-labels-idx1-ubyte.gz"}
# The original files, as torchvision's mirrors serve them (MD5 of the .gz).
MNIST_MD5 = {"train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
             "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
             "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
             "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c"}
MNIST_MIRRORS = ("https://ossci-datasets.s3.amazonaws.com/mnist/",
                 "https://storage.googleapis.com/cvdf-datasets/mnist/")
_GZIP_MAGIC = b"\x1f\x8b"


def _read_source(source, max_bytes: int) -> bytes:
    """A path (str / PathLike), bytes, or an upload object -> at most max_bytes bytes."""
    if isinstance(source, (str, os.PathLike)):
        path = Path(source).expanduser()
        if not path.is_file():
            raise DataError(code="not_found", message=f"no file at {path}", path=str(path))
        size = path.stat().st_size
        if size > max_bytes:
            raise DataError(code="too_large", message=f"{path.name} has {size:,} bytes; the limit is {max_bytes:,}",
                            size=size, limit=max_bytes)
        with open(path, "rb") as f:
            return f.read(max_bytes + 1)
    return _bytes_of(source, max_bytes, "IDX file")


def _gunzip(raw: bytes, max_bytes: int) -> bytes:
    """Decompress at most max_bytes (a small file cannot expand into a huge one)."""
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(raw)) as f:
            out = f.read(max_bytes + 1)
    except (OSError, EOFError, zlib.error) as e:
        raise DataError(code="gzip", message=f"the gzip data is damaged or truncated ({e})", reason=str(e)) from e
    if len(out) > max_bytes:
        raise DataError(code="too_large", message=f"the decompressed file has more than {max_bytes:,} bytes",
                        size=len(out), limit=max_bytes)
    return out


def read_idx(source, max_bytes: int = MAX_IDX_BYTES) -> np.ndarray:
    """Parse an IDX file (`*-idx3-ubyte` images, `*-idx1-ubyte` labels), plain or gzip-compressed
    (detected by its magic bytes, whatever the name). `source`: a path, bytes, or an upload object.

    Returns a read-only uint8 array of the dimensions in the header: (N, rows, cols) for idx3,
    (N,) for idx1. Checks the magic number (0x00 0x00, type 0x08 = unsigned byte, 1-3 dimensions), that
    no dimension is 0, and that the data is exactly as long as the header says; at most `max_bytes`
    bytes, compressed or not."""
    max_bytes = _int("max_bytes", max_bytes, 1, 1 << 40)
    raw = _read_source(source, max_bytes)
    if raw[:2] == _GZIP_MAGIC:
        raw = _gunzip(raw, max_bytes)
    if len(raw) == 0:
        raise DataError(code="empty", message="the IDX file is empty")
    if len(raw) < 4:
        raise DataError(code="idx_size", message=f"the IDX file has {len(raw)} bytes, too few for its 4-byte header",
                        expected=4, actual=len(raw))
    if raw[0] != 0 or raw[1] != 0 or not 1 <= raw[3] <= 3:
        raise DataError(code="idx_magic", message=f"not an IDX file: its magic number is 0x{raw[:4].hex()} "
                        "(expected 0x00000801 for labels or 0x00000803 for images)", magic=raw[:4].hex())
    if raw[2] != 0x08:
        raise DataError(code="idx_dtype", message=f"the IDX data type is 0x{raw[2]:02x}; only 0x08 (unsigned bytes, "
                        "as in MNIST) is supported", dtype=f"0x{raw[2]:02x}")
    ndim = raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise DataError(code="idx_size", message=f"the IDX file ends inside its header ({len(raw)} of {header} bytes)",
                        expected=header, actual=len(raw))
    dims = struct.unpack(f">{ndim}I", raw[4:header])
    if 0 in dims:
        raise DataError(code="empty", message=f"the IDX file holds no data (dimensions {dims})")
    expected = header + math.prod(dims)
    if len(raw) != expected:
        what = "truncated" if len(raw) < expected else "longer than its header says"
        raise DataError(code="idx_size", message=f"the IDX file is {what}: dimensions {'x'.join(map(str, dims))} need "
                        f"{expected:,} bytes, the file has {len(raw):,}", expected=expected, actual=len(raw))
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(dims)


def load_mnist_rows(images, labels, limit: int = 10_000) -> tuple[np.ndarray, np.ndarray]:
    """MNIST images and labels -> (x (N, 28, 28) float32 in [0, 1], y (N,) int64), N = min(count, limit):
    the first N examples, each image read row by row as 28 steps of 28 pixels. `images` and `labels`:
    paths, bytes, upload objects, or uint8 arrays from `read_idx`. Raises DataError for a wrong shape
    (e.g. the two files swapped), counts that differ, or labels outside 0-9."""
    limit = _int("limit", limit, 1, MAX_MNIST_ROWS)
    imgs = images if isinstance(images, np.ndarray) else read_idx(images)
    labs = labels if isinstance(labels, np.ndarray) else read_idx(labels)
    for name, a in (("images", imgs), ("labels", labs)):
        if a.dtype != np.uint8:
            raise DataError(code="type", message=f"the {name} array must hold uint8 values as read_idx returns, not {a.dtype}",
                            name=name, expected="uint8")
    if imgs.ndim != 3 or imgs.shape[1:] != (28, 28):
        raise DataError(code="idx_shape", message=f"the images file holds shape {tuple(imgs.shape)}, not N x 28 x 28 "
                        "(is it a labels file?)", shape="x".join(map(str, imgs.shape)), expected="Nx28x28")
    if labs.ndim != 1:
        raise DataError(code="idx_shape", message=f"the labels file holds shape {tuple(labs.shape)}, not N "
                        "(is it an images file?)", shape="x".join(map(str, labs.shape)), expected="N")
    if len(imgs) != len(labs):
        raise DataError(code="count_mismatch", message=f"the images file holds {len(imgs):,} images but the labels file "
                        f"{len(labs):,} labels", images=len(imgs), labels=len(labs))
    n = min(len(imgs), limit)
    y = np.asarray(labs[:n], dtype=np.int64)
    if n and int(y.max()) > 9:
        raise DataError(code="label_range", message=f"a label is {int(y.max())}; MNIST labels are digits 0-9",
                        value=int(y.max()))
    x = np.asarray(imgs[:n], dtype=np.float32) / np.float32(255.0)
    return x, y


_MNIST_NAME = re.compile(r"^(train|t10k)-(images|labels)[-.](idx[13])-ubyte(\.gz)?$", re.IGNORECASE)


def find_mnist(folder) -> dict[str, Path | None]:
    """Locate the four MNIST files in `folder` or up to two folders below it (e.g. torchvision's
    MNIST/raw/). Names as distributed: `train-images-idx3-ubyte[.gz]`, `t10k-labels-idx1-ubyte[.gz]`
    (also `train-images.idx3-ubyte`); uncompressed preferred when both exist. Returns
    {"train_images", "train_labels", "test_images", "test_labels"} -> Path or None when absent.
    Raises DataError("folder") when `folder` is not a folder."""
    if not isinstance(folder, (str, os.PathLike)):
        raise DataError(code="type", message=f"folder must be a path, not {type(folder).__name__}", name="folder",
                        expected="path")
    root = Path(folder).expanduser()
    if not root.is_dir():
        raise DataError(code="folder", message=f"no folder at {root}", path=str(root))
    found: dict[str, tuple] = {}
    for depth, pattern in enumerate(("*", "*/*", "*/*/*")):
        for path in sorted(root.glob(pattern)):
            m = _MNIST_NAME.match(path.name)
            if not m or not path.is_file():
                continue
            split, kind, idx, gz = (g.lower() if g else g for g in m.groups())
            if (kind == "images") != (idx == "idx3"):
                continue
            key = f"{'train' if split == 'train' else 'test'}_{kind}"
            rank = (depth, gz is not None)
            if key not in found or rank < found[key][0]:
                found[key] = (rank, path)
    return {k: found[k][1] if k in found else None for k in MNIST_FILES}


def load_mnist(folder, split: str = "test", limit: int = 10_000) -> tuple[np.ndarray, np.ndarray]:
    """`find_mnist(folder)` then `load_mnist_rows` for split "train" or "test". Raises
    DataError("mnist_missing") naming the files that are not there."""
    if split not in ("train", "test"):
        raise DataError(code="choice", message=f"split must be 'train' or 'test', not {split!r}", name="split",
                        value=repr(split), choices="train, test")
    files = find_mnist(folder)
    keys = (f"{split}_images", f"{split}_labels")
    missing = [MNIST_FILES[k] for k in keys if files[k] is None]
    if missing:
        raise DataError(code="mnist_missing", message=f"{', '.join(missing)} not found in {folder}",
                        path=str(folder), missing=", ".join(missing))
    return load_mnist_rows(files[keys[0]], files[keys[1]], limit)


class _CallbackError(Exception):
    """An exception raised by the caller's progress callback (e.g. a stop button): passed through."""


def _fetch(url: str, timeout: float, progress, name: str) -> bytes:
    with urllib.request.urlopen(url, timeout=timeout) as r:
        total = r.headers.get("Content-Length")
        total = int(total) if total and total.isdigit() else None
        if total is not None and total > MAX_DOWNLOAD_BYTES:
            raise DataError(code="too_large", message=f"{url} has {total:,} bytes; the limit is {MAX_DOWNLOAD_BYTES:,}",
                            size=total, limit=MAX_DOWNLOAD_BYTES)
        chunks, n = [], 0
        while True:
            chunk = r.read(1 << 16)
            if not chunk:
                break
            n += len(chunk)
            if n > MAX_DOWNLOAD_BYTES:
                raise DataError(code="too_large", message=f"{url} has more than {MAX_DOWNLOAD_BYTES:,} bytes",
                                size=n, limit=MAX_DOWNLOAD_BYTES)
            chunks.append(chunk)
            if progress is not None:
                try:
                    progress(name, n, total)
                except Exception as e:
                    raise _CallbackError() from e
    return b"".join(chunks)


def download_mnist(cache_dir=None, urls: Sequence[str] | None = None, timeout: float = 10.0,
                   md5s: Mapping[str, str] | None = MNIST_MD5,
                   progress: Callable[[str, int, int | None], None] | None = None) -> dict[str, Path]:
    """Download the four MNIST .gz files into `<cache_dir>/mnist/` (default `default_cache_dir()`), for
    users who are online, and return their paths as `find_mnist` does. `urls`: base URLs tried in turn
    for each file (default `MNIST_MIRRORS`); `timeout`: seconds per connection (at most 120); `md5s`:
    file name -> MD5 checked after download (None: no check; files a user made need None); `progress`:
    called as progress(file_name, bytes_so_far, total_or_None) (an exception it raises, e.g. to stop,
    ends the download and is passed on unchanged).

    A file already there that parses as IDX is kept. Each download is checked (size limit, MD5, IDX
    structure) and written atomically. Raises DataError("offline") when no server could be reached,
    DataError("download_failed") when a server answered with an error or bad data."""
    timeout = _positive("timeout", timeout, 120.0)
    bases = MNIST_MIRRORS if urls is None else urls
    if isinstance(bases, str):
        bases = (bases,)
    bases = list(bases)
    if not bases:
        raise DataError(code="url", message="no download URL given", url="")
    for base in bases:
        scheme = urllib.parse.urlparse(base).scheme if isinstance(base, str) else ""
        if scheme not in ("http", "https"):
            raise DataError(code="url", message=f"download URLs must start with http:// or https://, not {base!r}",
                            url=repr(base))
    folder = _cache_dir(cache_dir) / "mnist"
    paths: dict[str, Path] = {}
    for key, name in MNIST_FILES.items():
        path = folder / name
        paths[key] = path
        if path.is_file():
            try:
                read_idx(path)
                continue
            except DataError:
                pass   # damaged: download again
        errors, reached = [], False
        for base in bases:
            url = base if base.endswith("/") else base + "/"
            url += name
            try:
                data = _fetch(url, timeout, progress, name)
            except _CallbackError as e:
                raise e.__cause__ from None
            except urllib.error.HTTPError as e:
                reached = True
                errors.append(f"{url}: HTTP {e.code}")
                continue
            except (urllib.error.URLError, OSError) as e:   # refused, no DNS, timeout, reset
                errors.append(f"{url}: {getattr(e, 'reason', e)}")
                continue
            except DataError as e:
                reached = True
                errors.append(f"{url}: {e}")
                continue
            except Exception as e:   # http.client protocol errors (IncompleteRead, ...)
                reached = True
                errors.append(f"{url}: {type(e).__name__}: {e}")
                continue
            reached = True
            if md5s is not None and name in md5s and hashlib.md5(data).hexdigest() != md5s[name]:
                errors.append(f"{url}: MD5 mismatch")
                continue
            try:
                read_idx(data)
            except DataError as e:
                errors.append(f"{url}: not an IDX file ({e})")
                continue
            try:
                _atomic_write(path, lambda f: f.write(data))
            except OSError as e:
                raise DataError(code="cache", message=f"cannot write {path}: {e}", path=str(path), reason=str(e)) from e
            break
        else:
            reason = "; ".join(errors)
            if not reached:
                raise DataError(code="offline", message=f"could not reach any MNIST server, so this computer seems to be "
                                f"offline ({reason}). Download the four MNIST files on another computer and put "
                                f"them in {folder}, or upload them.", url=bases[0], folder=str(folder),
                                reason=reason)
            raise DataError(code="download_failed", message=f"could not download {name} ({reason})", file=name,
                            url=bases[0], reason=reason)
    return paths


# ---- 3. character corpora and uploaded text --------------------------------------------------------

def _check_corpus_args(n_chars, seed) -> tuple[int, int]:
    return _int("n_chars", n_chars, 1, MAX_CORPUS_CHARS), _seed(seed)


# English: subject-verb agreement (the cat sees / the cats see), a/an, a capital after each newline,
# and a question mark that depends on how the sentence began (Does/Do ... ?).
_EN_ANIMALS = (("cat", "cats"), ("dog", "dogs"), ("bird", "birds"), ("fox", "foxes"), ("girl", "girls"),
               ("boy", "boys"), ("friend", "friends"), ("teacher", "teachers"))
_EN_THINGS = ("ball", "apple", "book", "egg", "hat", "orange", "cake", "kite", "umbrella", "box")
_EN_ADJS = ("red", "big", "small", "old", "new", "happy", "green", "little")
_EN_VERBS = (("likes", "like"), ("sees", "see"), ("wants", "want"), ("finds", "find"), ("has", "have"))
_EN_INTRANS = (("runs", "run"), ("sleeps", "sleep"), ("jumps", "jump"), ("sings", "sing"), ("plays", "play"))
_EN_PLACES = ("in the park", "at home", "by the river", "in the garden", "at school")


def _en_article(word: str) -> str:
    return "an" if word[0] in "aeiou" else "a"


def _en_object(rng: random.Random) -> str:
    thing = rng.choice(_EN_THINGS)
    if rng.random() < 0.5:
        thing = f"{rng.choice(_EN_ADJS)} {thing}"
    return rng.choice(("the " + thing, f"{_en_article(thing)} {thing}"))


def _en_line(rng: random.Random) -> str:
    one, many = rng.choice(_EN_ANIMALS)
    plural = rng.random() < 0.5
    subject = "the " + (many if plural else one)
    r = rng.random()
    if r < 0.25:   # question
        verb = rng.choice(_EN_VERBS)[1]
        return f"{'Do' if plural else 'Does'} {subject} {verb} {_en_object(rng)}?"
    if r < 0.55:
        verb = rng.choice(_EN_VERBS)[1 if plural else 0]
        s = f"{subject} {verb} {_en_object(rng)}"
    elif r < 0.8:
        verb = rng.choice(_EN_INTRANS)[1 if plural else 0]
        s = f"{subject} {verb} {rng.choice(_EN_PLACES)}"
    else:
        one2, many2 = rng.choice(_EN_ANIMALS)
        plural2 = rng.random() < 0.5
        v1 = rng.choice(_EN_INTRANS)[1 if plural else 0]
        v2 = rng.choice(_EN_VERBS)[1 if plural2 else 0]
        s = f"{subject} {v1} and the {many2 if plural2 else one2} {v2} {_en_object(rng)}"
    return s[0].upper() + s[1:] + "."


def english_corpus(n_chars: int = 5000, seed: int = 0) -> str:
    """Simple English sentences from templates, one a line, at least `n_chars` characters (whole
    lines): "The cats like an old hat.", "Does the fox want the red ball?", "The girl sleeps in the
    park.". Things to learn: subject-verb agreement, a/an before a vowel, a capital after each newline,
    and "?" at the end exactly when the line began with Do/Does. About 40 distinct characters."""
    n_chars, seed = _check_corpus_args(n_chars, seed)
    return lines_to_length(_en_line, n_chars, seed)


def has_final_consonant(word: str) -> bool:
    """Whether the last Hangul syllable of `word` has a final consonant (받침): 책 yes, 사과 no."""
    code = ord(word[-1]) - 0xAC00
    return 0 <= code < 11172 and code % 28 != 0


def josa(word: str, pair: str) -> str:
    """word + the particle form that fits it: pair "이가" -> 책이 / 사과가; "을를", "은는", "과와"."""
    return word + (pair[0] if has_final_consonant(word) else pair[1])


# Korean: the particle after a noun depends on its last syllable (이/가, 을/를, 은/는), and the verb
# fits its object (먹어요 food, 읽어요 something to read, 마셔요 a drink, 봐요 something to see).
_KO_SUBJECTS = ("고양이", "강아지", "동생", "친구", "선생님", "아이", "할머니", "학생", "엄마", "아빠")
_KO_OBJECTS = {"먹어요": ("사과", "빵", "밥", "떡", "국수", "수박", "귤"),
               "읽어요": ("책", "신문", "편지", "동화책", "잡지"),
               "마셔요": ("물", "우유", "주스", "커피", "차"),
               "봐요": ("영화", "그림", "하늘", "바다", "사진")}
_KO_PLACES = ("집", "학교", "공원", "도서관", "시장", "바다", "교실")
_KO_TIMES = ("오늘", "아침에", "저녁에", "주말에", "어제")
_KO_INTRANS = ("놀아요", "자요", "공부해요", "노래해요", "기다려요")


def _ko_line(rng: random.Random) -> str:
    r = rng.random()
    subject = rng.choice(_KO_SUBJECTS)
    if r < 0.45:
        verb = rng.choice(tuple(_KO_OBJECTS))
        s = f"{josa(subject, '이가')} {josa(rng.choice(_KO_OBJECTS[verb]), '을를')} {verb}."
    elif r < 0.7:
        s = f"{rng.choice(_KO_PLACES)}에서 {josa(subject, '은는')} {rng.choice(_KO_INTRANS)}."
    elif r < 0.85:
        verb = rng.choice(tuple(_KO_OBJECTS))
        s = f"{rng.choice(_KO_TIMES)} {josa(subject, '은는')} {josa(rng.choice(_KO_OBJECTS[verb]), '을를')} {verb}."
    else:
        other = rng.choice([w for w in _KO_SUBJECTS if w != subject])
        s = f"{josa(subject, '과와')} {josa(other, '이가')} {rng.choice(_KO_PLACES)}에서 {rng.choice(_KO_INTRANS)}."
    if rng.random() < 0.15:
        s = s[:-1] + "?"
    return s


def korean_corpus(n_chars: int = 3000, seed: int = 0) -> str:
    """Simple Korean sentences from templates (해요 style), one a line, at least `n_chars` characters
    (whole lines): "동생이 책을 읽어요.", "공원에서 아이는 놀아요.", "주말에 친구는 우유를 마셔요?".
    Things to learn: the particle after a noun follows its last syllable (이/가, 을/를, 은/는, 과/와)
    and the verb fits its object. About 110 distinct characters."""
    n_chars, seed = _check_corpus_args(n_chars, seed)
    return lines_to_length(_ko_line, n_chars, seed)


CHAR_CORPORA = {"english": english_corpus, "korean": korean_corpus}


def _decode_upload(data, max_bytes: int, what: str) -> str:
    """Uploaded bytes -> cleaned text (NFC, \\n newlines, no control characters but \\n and \\t)."""
    max_bytes = _int("max_bytes", max_bytes, 1, 1 << 31)
    raw = _bytes_of(data, max_bytes, what)
    if not raw:
        raise DataError(code="empty", message=f"the {what} is empty")
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise DataError(code="encoding", message=f"the {what} is UTF-16 text; save it as UTF-8 and upload it again",
                        position=0, encoding="UTF-16")
    if b"\x00" in raw:
        raise DataError(code="binary", message=f"the {what} holds binary data (NUL bytes), not text")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise DataError(code="encoding", message=f"the {what} is not UTF-8 text (byte {e.start:,} cannot be decoded); "
                        "save it as UTF-8 and upload it again", position=e.start, encoding="UTF-8") from e
    controls = sum(1 for c in text if c not in "\n\r\t" and unicodedata.category(c) == "Cc")
    if controls > max(8, len(text) // 100):
        raise DataError(code="binary", message=f"the {what} holds {controls:,} control characters: it is not plain text")
    text = clean_text(text)
    if not text.strip():
        raise DataError(code="empty", message=f"the {what} holds no text")
    return text


def load_text_upload(data, max_bytes: int = MAX_TEXT_UPLOAD_BYTES, max_vocab: int = MAX_UPLOAD_VOCAB) -> str:
    """An uploaded text file (bytes or an upload object) -> str, cleaned as `text.clean_text` does (NFC,
    \\n newlines, control characters other than \\n and \\t dropped); a UTF-8 byte-order mark is dropped.
    Raises DataError: "too_large" (over max_bytes), "empty", "encoding" (not UTF-8), "binary" (NUL
    bytes or many control characters), "too_short" (under 2 characters), "vocab" (over max_vocab
    distinct characters)."""
    max_vocab = _int("max_vocab", max_vocab, 2, 1 << 20)
    text = _decode_upload(data, max_bytes, "text file")
    if len(text) < 2:
        raise DataError(code="too_short", message=f"the text has {len(text)} character; at least 2 are needed",
                        n=len(text), need=2)
    n = len(set(text))
    if n > max_vocab:
        raise DataError(code="vocab", message=f"the text has {n:,} distinct characters; the limit is {max_vocab:,}",
                        n=n, limit=max_vocab)
    return text


def split_text(text: str, val_fraction: float = 0.1) -> tuple[str, str]:
    """text -> (train, validation): the first int(len * (1 - val_fraction)) characters, then the rest
    (nanoGPT's split: 90/10 of tiny shakespeare gives 1,003,854 / 111,540). Each part needs at least 2
    characters (one input and the character after it). val_fraction in (0, 0.9]."""
    if not isinstance(text, str):
        raise DataError(code="type", message="the text must be a string", name="text", expected="str")
    val_fraction = _fraction("val_fraction", val_fraction)
    n_train = int(len(text) * (1 - val_fraction))
    if n_train < 2 or len(text) - n_train < 2:
        need = math.ceil(2 / min(val_fraction, 1 - val_fraction)) + 1
        raise DataError(code="too_short", message=f"the text has {len(text)} characters, too few to split "
                        f"{1 - val_fraction:.0%}/{val_fraction:.0%} with at least 2 characters on each side",
                        n=len(text), need=need)
    return text[:n_train], text[n_train:]


def _ids_1d(ids) -> torch.Tensor:
    t = torch.as_tensor(np.asarray(ids) if isinstance(ids, (list, tuple)) else ids)
    if t.ndim != 1 or t.dtype.is_floating_point or t.dtype.is_complex or t.dtype == torch.bool:
        raise DataError(code="type", message="ids must be a 1-D sequence of integer ids", name="ids", expected="1-D int")
    return t.long().contiguous()


def char_windows(ids, T: int, stride: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """ids (L,) ints (list, numpy or torch; e.g. `Vocab.encode(text)`) -> (x (N, T), y (N, T)) long, the
    windows ids[i*stride : i*stride + T] and the same shifted by one (y[n, t] is the character after
    x[n, t]); N = (L - T - 1) // stride + 1, stride defaults to T (windows that do not overlap).
    x and y are views of one tensor (no copy). Raises DataError "too_short" when L < T + 1,
    "too_many_windows" over MAX_WINDOWS."""
    t = _ids_1d(ids)
    T = _int("T", T, 1, MAX_WINDOW_T)
    stride = T if stride is None else _int("stride", stride, 1, MAX_WINDOW_T)
    if len(t) < T + 1:
        raise DataError(code="too_short", message=f"{len(t)} characters are too few for windows of {T} steps "
                        f"(need at least {T + 1})", n=len(t), need=T + 1)
    n = (len(t) - T - 1) // stride + 1
    if n > MAX_WINDOWS:
        raise DataError(code="too_many_windows", message=f"{n:,} windows; the limit is {MAX_WINDOWS:,} (use a larger stride)",
                        n=n, limit=MAX_WINDOWS)
    w = t.unfold(0, T + 1, stride)   # (N, T+1) view
    return w[:, :-1], w[:, 1:]


# ---- 4. time series --------------------------------------------------------------------------------

def _series_args(n, seed) -> tuple[int, np.random.Generator]:
    return _int("n", n, MIN_SERIES_LEN, MAX_SERIES_LEN), np.random.default_rng(_seed(seed))


def noisy_sine(n: int = 1000, seed: int = 0, period: float = 40.0, noise: float = 0.1) -> np.ndarray:
    """(n,) float32: sin(2π t / period + phase) + noise · N(0, 1), phase random per seed."""
    n, rng = _series_args(n, seed)
    period = _positive("period", period, 1e6)
    noise = float(noise) if noise == 0 else _positive("noise", noise, 100.0)
    t = np.arange(n)
    phase = rng.uniform(0, 2 * np.pi)
    return (np.sin(2 * np.pi * t / period + phase) + noise * rng.standard_normal(n)).astype(np.float32)


def trend_seasonal(n: int = 1000, seed: int = 0, period: int = 12) -> np.ndarray:
    """(n,) float32: level + slope·t + a seasonal cycle of `period` steps (a main and a second harmonic)
    + noise; level, direction and amplitude drawn per seed. Rises or falls by 3-6 times the seasonal
    amplitude over the series."""
    n, rng = _series_args(n, seed)
    period = _int("period", period, 2, 10_000)
    t = np.arange(n)
    level = rng.uniform(5, 15)
    amp = rng.uniform(0.8, 1.5)
    slope = rng.choice((-1.0, 1.0)) * rng.uniform(3, 6) * amp / n
    season = amp * np.sin(2 * np.pi * t / period) + 0.4 * amp * np.sin(4 * np.pi * t / period + 1.0)
    return (level + slope * t + season + 0.2 * amp * rng.standard_normal(n)).astype(np.float32)


def random_walk_stock(n: int = 1000, seed: int = 0, start: float = 100.0, drift: float = 0.0003,
                      volatility: float = 0.015) -> np.ndarray:
    """(n,) float32 "stock prices": a geometric random walk, price[0] = start, each step multiplied by
    exp(drift + volatility · N(0, 1)); always positive. Its best next-value predictor is (almost) the
    last value, which is the lesson: a model should not beat the naive baseline by much."""
    n, rng = _series_args(n, seed)
    start = _positive("start", start, 1e9)
    volatility = _positive("volatility", volatility, 1.0)
    if isinstance(drift, bool) or not isinstance(drift, (int, float)) or not -1 <= drift <= 1:
        raise DataError(code="fraction", message=f"drift must be a number between -1 and 1, not {drift!r}", name="drift",
                        value=repr(drift), lo=-1, hi=1)
    steps = drift + volatility * rng.standard_normal(n - 1)
    return (start * np.exp(np.concatenate([[0.0], np.cumsum(steps)]))).astype(np.float32)


SERIES = {"noisy_sine": noisy_sine, "trend_seasonal": trend_seasonal, "random_walk_stock": random_walk_stock}


def _read_csv(data, max_bytes: int, max_rows: int,
              what: str = "CSV file") -> tuple[list[str], list[tuple[int, list[str]]], int, str]:
    """Uploaded CSV -> (header, [(line number, cells)] for the first max_rows rows, number of rows,
    delimiter), blank lines skipped. The delimiter is the one of , ; tab | that occurs most in the first
    line (comma when none does)."""
    text = _decode_upload(data, max_bytes, what)
    first = text.split("\n", 1)[0]
    delim = max(",;\t|", key=first.count) if any(d in first for d in ",;\t|") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delim)
    rows, n = [], 0
    try:
        header = None
        for cells in reader:
            if not cells or all(not c.strip() for c in cells):
                continue
            if header is None:
                header = [c.strip() for c in cells]
                continue
            n += 1
            if n <= max_rows:   # count the rest, keep no more than needed
                rows.append((reader.line_num, cells))
    except csv.Error as e:
        raise DataError(code="csv", message=f"the {what} cannot be read as CSV (line {reader.line_num}: {e})",
                        line=reader.line_num, reason=str(e)) from e
    if header is None:
        raise DataError(code="empty", message=f"the {what} holds no rows")
    return header, rows, n, delim


def csv_columns(data, max_bytes: int = MAX_CSV_BYTES) -> list[str]:
    """The header of an uploaded CSV file (for a column picker)."""
    return _read_csv(data, max_bytes, 0)[0]


def _column_index(header: list[str], column, name: str) -> int:
    if isinstance(column, str):
        if column in header:
            return header.index(column)
        folded = [h.strip().casefold() for h in header]
        if column.strip().casefold() in folded:
            return folded.index(column.strip().casefold())
    elif isinstance(column, (int, np.integer)) and not isinstance(column, bool):
        if 0 <= column < len(header):
            return int(column)
    else:
        raise DataError(code="type", message=f"{name} must be a column name or a 0-based index, not {column!r}",
                        name=name, expected="column")
    cols = ", ".join(header)
    raise DataError(code="missing_column", message=f"the CSV file has no column {column!r}; its columns are: {cols}",
                    column=str(column), columns=cols)


_DECIMAL_COMMA = re.compile(r"^[+-]?\d+,\d+$")


def parse_csv_column(data, column, max_bytes: int = MAX_CSV_BYTES, max_rows: int = MAX_SERIES_LEN,
                     min_rows: int = MIN_SERIES_LEN) -> np.ndarray:
    """One numeric column of an uploaded CSV file (first line: the header) -> (n,) float32, in file
    order. `column`: a header name (exact, else ignoring case and spaces) or a 0-based index. The
    delimiter is guessed from the header line (, ; tab |); with ";" a decimal comma ("1,5") is read.
    Raises DataError: "too_large", "empty", "encoding", "binary", "csv", "missing_column", "short_row"
    (a row without that column), "non_numeric" (an empty cell, text, nan or inf; the message names the
    line), "too_few_rows" (under min_rows), "too_many_rows" (over max_rows)."""
    max_rows = _int("max_rows", max_rows, 1, MAX_SERIES_LEN)
    min_rows = _int("min_rows", min_rows, 1, max_rows)
    header, rows, n_rows, delim = _read_csv(data, max_bytes, max_rows)
    j = _column_index(header, column, "column")
    name = header[j]
    if n_rows > max_rows:
        raise DataError(code="too_many_rows", message=f"the CSV file has {n_rows:,} rows; the limit is {max_rows:,}",
                        n=n_rows, limit=max_rows)
    if len(rows) < min_rows:
        raise DataError(code="too_few_rows", message=f"the CSV file has {len(rows)} rows; at least {min_rows} are needed",
                        n=len(rows), need=min_rows)
    out = np.empty(len(rows), dtype=np.float64)
    for i, (line, cells) in enumerate(rows):
        if j >= len(cells):
            raise DataError(code="short_row", message=f"line {line} has no value in column {name!r}", line=line, column=name)
        cell = cells[j].strip()
        if delim == ";" and _DECIMAL_COMMA.match(cell):
            cell = cell.replace(",", ".")
        try:
            value = float(cell)
        except ValueError:
            value = math.nan
        if not math.isfinite(value):
            shown = cell if len(cell) <= 30 else cell[:30] + "…"
            raise DataError(code="non_numeric", message=f"line {line}, column {name!r}: {shown!r} is not a number",
                            line=line, column=name, value=shown)
        out[i] = value
    return out.astype(np.float32)


def split_series(series, val_fraction: float = 0.2) -> tuple[np.ndarray, np.ndarray]:
    """(n,) -> (train (n - m,), validation (m,)) float32, in time order, m = n - int(n * (1 - val_fraction)).
    To predict the first validation values from the end of training, window
    `series[len(train) - T:]` with the training normalisation."""
    s = _series(series)
    val_fraction = _fraction("val_fraction", val_fraction)
    n_train = int(len(s) * (1 - val_fraction))
    if n_train < 2 or len(s) - n_train < 2:
        raise DataError(code="too_short", message=f"the series has {len(s)} values, too few to split", n=len(s),
                        need=math.ceil(2 / min(val_fraction, 1 - val_fraction)) + 1)
    return s[:n_train], s[n_train:]


@dataclass(frozen=True)
class Normalisation:
    """value -> (value - mean) / std, and back. std is 1 for a constant series."""
    mean: float
    std: float

    @classmethod
    def fit(cls, series) -> "Normalisation":
        s = np.asarray(series, dtype=np.float64)
        std = float(s.std())
        return cls(float(s.mean()), std if std > 1e-12 * max(1.0, abs(float(s.mean()))) else 1.0)

    def apply(self, values):
        """numpy array, torch tensor or float -> the same kind, normalised."""
        return (values - self.mean) / self.std

    def invert(self, values):
        """Normalised values (e.g. a model's predictions) -> the series' own units."""
        return values * self.std + self.mean


def _series(series) -> np.ndarray:
    if isinstance(series, torch.Tensor):
        series = series.detach().cpu().numpy()
    try:
        s = np.asarray(series, dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise DataError(code="type", message="the series must be a 1-D sequence of numbers", name="series",
                        expected="1-D numbers") from e
    if s.ndim != 1:
        raise DataError(code="type", message=f"the series must be 1-D, not of shape {s.shape}", name="series",
                        expected="1-D numbers")
    if len(s) > MAX_SERIES_LEN:
        raise DataError(code="too_many_rows", message=f"the series has {len(s):,} values; the limit is {MAX_SERIES_LEN:,}",
                        n=len(s), limit=MAX_SERIES_LEN)
    if not np.isfinite(s).all():
        i = int(np.flatnonzero(~np.isfinite(s))[0])
        raise DataError(code="non_finite", message=f"value {i} of the series is {s[i]}, not a finite number", index=i)
    return s.astype(np.float32)


def windows(series, T: int, norm: Normalisation | None = None,
            stride: int = 1) -> tuple[torch.Tensor, torch.Tensor, Normalisation]:
    """Next-value prediction: series (n,) -> (x (N, T, 1), y (N,), norm), float32, x[i] the normalised
    values series[i*stride : i*stride + T] and y[i] the normalised value right after them;
    N = (n - T - 1) // stride + 1, N * T at most MAX_ELEMENTS. `norm`: the normalisation to use (e.g. the training one, for
    validation windows); None fits one on this series. Map predictions back with `norm.invert(pred)`.
    Raises DataError "too_short" when n < T + 1."""
    s = _series(series)
    T = _int("T", T, 1, MAX_WINDOW_T)
    stride = _int("stride", stride, 1, MAX_WINDOW_T)
    if norm is None:
        norm = Normalisation.fit(s)
    elif not isinstance(norm, Normalisation):
        raise DataError(code="type", message="norm must be a Normalisation or None", name="norm", expected="Normalisation")
    if len(s) < T + 1:
        raise DataError(code="too_short", message=f"the series has {len(s)} values, too few for windows of {T} steps "
                        f"(need at least {T + 1})", n=len(s), need=T + 1)
    n = (len(s) - T - 1) // stride + 1
    if n * T > MAX_ELEMENTS:
        raise DataError(code="too_many_windows", message=f"{n:,} windows of {T} steps are {n * T:,} numbers; the limit is "
                        f"{MAX_ELEMENTS:,} (use a larger stride or shorter windows)", n=n * T, limit=MAX_ELEMENTS)
    z = torch.from_numpy(norm.apply(s.astype(np.float64)).astype(np.float32))
    w = z.unfold(0, T + 1, stride)   # (N, T+1)
    return w[:, :T].unsqueeze(-1).contiguous(), w[:, T].contiguous(), norm


def naive_last_value_mse(x, y, norm: Normalisation | None = None) -> float:
    """The baseline "the next value equals the last one": mean of (x[:, -1, 0] - y)^2 for windows from
    `windows` (torch or numpy). With `norm`, in the series' own units; without, in normalised units
    (the same units as a model's normalised MSE)."""
    x = torch.as_tensor(x, dtype=torch.float64)
    y = torch.as_tensor(y, dtype=torch.float64)
    if x.ndim != 3 or x.shape[-1] != 1 or y.shape != x.shape[:1] or len(y) == 0:
        raise DataError(code="type", message=f"x must be (N, T, 1) and y (N,), not {tuple(x.shape)} and {tuple(y.shape)}",
                        name="x, y", expected="(N, T, 1), (N,)")
    last = x[:, -1, 0]
    if norm is not None:
        last, y = norm.invert(last), norm.invert(y)
    return float(((last - y) ** 2).mean())


# ---- 5. text classification ------------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class LabelledTexts:
    """texts[i] has class labels[i], an index into classes."""
    texts: tuple[str, ...]
    labels: np.ndarray          # (N,) int64
    classes: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.texts)


SENTIMENT_CLASSES = ("negative", "positive")

# English reviews: each adjective appears about as often in positive as in negative examples (through
# "not", "never", "did not think" and "X but Y"), so no single word gives the label; "A but B" takes
# B's side, so the word order matters too (a bag of words cannot tell "good but dull" from
# "dull but good").
_SEN_EN_SUBJECTS = ("the movie", "the film", "the story", "the acting", "the music", "the ending",
                    "the plot", "the cast")
_SEN_EN_ADJS = {1: ("good", "great", "fun", "clever", "lovely", "moving", "funny", "brilliant"),
                0: ("bad", "boring", "dull", "awful", "weak", "silly", "slow", "messy")}
_SEN_EN_INTENS = ("", "very ", "really ", "quite ")


def _sentiment_en(rng: random.Random, label: int) -> str:
    S = lambda: rng.choice(_SEN_EN_SUBJECTS)   # noqa: E731
    A = lambda pol: rng.choice(_SEN_EN_ADJS[pol])   # noqa: E731
    I = lambda: rng.choice(_SEN_EN_INTENS)   # noqa: E731
    k = rng.randrange(6)
    if k == 0:
        return f"{S()} was {I()}{A(label)}"
    if k == 1:
        return f"{S()} was {rng.choice(('not', 'never'))} {A(1 - label)}"
    if k == 2:
        return f"{S()} was {I()}{A(1 - label)} but {S()} was {I()}{A(label)}"
    if k == 3:
        return f"i thought {S()} would be {A(1 - label)} but it was {I()}{A(label)}"
    if k == 4:
        return f"i did not think {S()} was {A(1 - label)}"
    return f"{S()} was {A(label)} and {S()} was {I()}{A(label)}"


# Korean reviews: the same design; the negation comes after the adjective (좋지 않았다), and "A지만 B"
# takes B's side.
_SEN_KO_SUBJECTS = ("영화", "이야기", "음악", "연기", "결말", "배우", "줄거리", "화면")
_SEN_KO_ADJS = {1: (("좋았다", "좋"), ("재미있었다", "재미있"), ("훌륭했다", "훌륭하"), ("멋졌다", "멋지"),
                    ("신선했다", "신선하"), ("감동적이었다", "감동적이")),
                0: (("나빴다", "나쁘"), ("지루했다", "지루하"), ("실망스러웠다", "실망스럽"), ("지겨웠다", "지겹"),
                    ("엉성했다", "엉성하"), ("뻔했다", "뻔하"))}
_SEN_KO_INTENS = ("", "정말 ", "아주 ", "꽤 ")


def _sentiment_ko(rng: random.Random, label: int) -> str:
    S = lambda: josa(rng.choice(_SEN_KO_SUBJECTS), "이가")   # noqa: E731
    A = lambda pol: rng.choice(_SEN_KO_ADJS[pol])   # noqa: E731
    I = lambda: rng.choice(_SEN_KO_INTENS)   # noqa: E731
    k = rng.randrange(5)
    if k == 0:
        return f"{S()} {I()}{A(label)[0]}"
    if k == 1:
        return f"{S()} {A(1 - label)[1]}지 않았다"
    if k == 2:
        return f"{S()} {I()}{A(1 - label)[0][:-1]}지만 {S()} {I()}{A(label)[0]}"
    if k == 3:
        return f"{S()} {A(1 - label)[1]}지 않았고 {S()} {I()}{A(label)[0]}"
    return f"{S()} {A(label)[0][:-1]}고 {S()} {I()}{A(label)[0]}"


SENTIMENT_LANGS = {"en": _sentiment_en, "ko": _sentiment_ko}


def sentiment_texts(lang: str = "en", n: int = 400, seed: int = 0) -> LabelledTexts:
    """`n` distinct short movie reviews in English ("en") or Korean ("ko") with labels 0 = negative,
    1 = positive (`SENTIMENT_CLASSES`), half of each, in random order. Built from templates so that no
    single word decides the label: adjectives are negated ("was not good", "좋지 않았다") and contrasted
    ("was dull but the music was great", "지루했지만 음악이 좋았다": the part after "but" decides), so a
    model must read in order. n in [4, MAX_BUILTIN_EXAMPLES]."""
    if lang not in SENTIMENT_LANGS:
        raise DataError(code="choice", message=f"lang must be one of {', '.join(SENTIMENT_LANGS)}, not {lang!r}",
                        name="lang", value=repr(lang), choices=", ".join(SENTIMENT_LANGS))
    n = _int("n", n, MIN_LABELLED_ROWS, MAX_BUILTIN_EXAMPLES)
    rng = random.Random(_seed(seed))
    make = SENTIMENT_LANGS[lang]
    seen, items = set(), []
    for i in range(n):
        label = i % 2
        for _ in range(1000):
            text = make(rng, label)
            if text not in seen:
                break
        seen.add(text)
        items.append((text, label))
    rng.shuffle(items)
    return LabelledTexts(tuple(t for t, _ in items), np.array([y for _, y in items], dtype=np.int64),
                         SENTIMENT_CLASSES)


def _class_order(labels: set[str]) -> list[str]:
    try:
        return sorted(labels, key=lambda s: (float(s), s))
    except ValueError:
        return sorted(labels)


def parse_labelled_csv(data, text_col, label_col, max_bytes: int = MAX_CSV_BYTES,
                       max_rows: int = MAX_LABELLED_ROWS, max_classes: int = MAX_CLASSES) -> LabelledTexts:
    """An uploaded CSV file with a text column and a label column (names or 0-based indices) ->
    `LabelledTexts`, texts cleaned (NFC, control characters dropped) and stripped, classes the distinct
    labels sorted (numerically when all are numbers). Raises DataError: "too_large", "empty",
    "encoding", "binary", "csv", "missing_column", "same_column", "short_row", "empty_cell" (a blank
    text or label; the message names the line), "too_few_rows" (under 4), "too_many_rows",
    "one_class", "too_many_classes"."""
    max_rows = _int("max_rows", max_rows, MIN_LABELLED_ROWS, MAX_LABELLED_ROWS)
    max_classes = _int("max_classes", max_classes, 2, 10_000)
    header, rows, n_rows, _ = _read_csv(data, max_bytes, max_rows)
    i = _column_index(header, text_col, "text_col")
    j = _column_index(header, label_col, "label_col")
    if i == j:
        raise DataError(code="same_column", message=f"the text and the label must be different columns, not both {header[i]!r}",
                        column=header[i])
    if n_rows > max_rows:
        raise DataError(code="too_many_rows", message=f"the CSV file has {n_rows:,} rows; the limit is {max_rows:,}",
                        n=n_rows, limit=max_rows)
    if len(rows) < MIN_LABELLED_ROWS:
        raise DataError(code="too_few_rows", message=f"the CSV file has {len(rows)} rows; at least {MIN_LABELLED_ROWS} are needed",
                        n=len(rows), need=MIN_LABELLED_ROWS)
    texts, labels = [], []
    for line, cells in rows:
        for k in (i, j):
            if k >= len(cells):
                raise DataError(code="short_row", message=f"line {line} has no value in column {header[k]!r}", line=line,
                                column=header[k])
            if not cells[k].strip():
                raise DataError(code="empty_cell", message=f"line {line}: column {header[k]!r} is empty", line=line,
                                column=header[k])
        texts.append(cells[i].strip())
        labels.append(cells[j].strip())
    distinct = set(labels)
    if len(distinct) < 2:
        raise DataError(code="one_class", message=f"every row has the label {labels[0]!r}; at least 2 classes are needed",
                        label=labels[0])
    if len(distinct) > max_classes:
        raise DataError(code="too_many_classes", message=f"the label column has {len(distinct):,} distinct values; the limit is "
                        f"{max_classes}", n=len(distinct), limit=max_classes)
    classes = _class_order(distinct)
    index = {c: k for k, c in enumerate(classes)}
    return LabelledTexts(tuple(texts), np.array([index[c] for c in labels], dtype=np.int64), tuple(classes))


def shuffle_split(n: int, val_fraction: float = 0.2, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A seeded random split of range(n) -> (train indices, validation indices), both sorted int64;
    validation gets max(1, round(n * val_fraction)), training at least 1."""
    n = _int("n", n, 2, 10_000_000)
    val_fraction = _fraction("val_fraction", val_fraction)
    m = min(n - 1, max(1, round(n * val_fraction)))
    perm = np.random.default_rng(_seed(seed)).permutation(n)
    return np.sort(perm[m:]).astype(np.int64), np.sort(perm[:m]).astype(np.int64)


PAD, UNK = "<pad>", "<unk>"
_TOKEN = re.compile(r"\w+(?:'\w+)*|[^\w\s]")


def tokenize(text: str) -> list[str]:
    """Words for classification: cleaned, lower-cased, split into runs of letters/digits (any script,
    Hangul included; "don't" stays one word) and single punctuation marks."""
    if not isinstance(text, str):
        raise DataError(code="type", message="the text must be a string", name="text", expected="str")
    return _TOKEN.findall(clean_text(text).lower())


@dataclass(frozen=True)
class WordVocab:
    """words[0] = "<pad>" (padding, id 0), words[1] = "<unk>" (any word not kept), then the kept words,
    most frequent first (ties alphabetical)."""
    words: tuple[str, ...]

    @property
    def size(self) -> int:
        return len(self.words)

    def encode(self, text: str) -> list[int]:
        index = self._index()
        return [index.get(w, 1) for w in tokenize(text)]

    def decode(self, ids) -> list[str]:
        return [self.words[int(i)] for i in ids]

    def _index(self) -> dict[str, int]:
        cached = self.__dict__.get("_index_cache")
        if cached is None:
            cached = {w: i for i, w in enumerate(self.words)}
            object.__setattr__(self, "_index_cache", cached)
        return cached


def build_word_vocab(texts: Sequence[str], max_size: int = 5000, min_count: int = 1) -> WordVocab:
    """A vocabulary of at most `max_size` entries (the 2 special ones included) from the words that
    occur at least `min_count` times in `texts`."""
    max_size = _int("max_size", max_size, 3, MAX_WORD_VOCAB)
    min_count = _int("min_count", min_count, 1, 1_000_000)
    if isinstance(texts, str):
        raise DataError(code="type", message="texts must be a list of strings, not one string", name="texts",
                        expected="list of str")
    counts = Counter(w for t in texts for w in tokenize(t))
    kept = sorted((w for w, c in counts.items() if c >= min_count), key=lambda w: (-counts[w], w))
    return WordVocab((PAD, UNK, *kept[:max_size - 2]))


def encode_texts(texts: Sequence[str], vocab: WordVocab, max_len: int = 50) -> tuple[torch.Tensor, torch.Tensor]:
    """texts -> (ids (N, L) long, lengths (N,) long): each text's first `max_len` word ids, padded on
    the right with 0 (<pad>), L = the longest length; a text without words becomes one <unk>. The
    last real step of text n is ids[n, lengths[n] - 1] (use it, not the padded end, for the class)."""
    max_len = _int("max_len", max_len, 1, MAX_TOKENS)
    if isinstance(texts, str) or len(texts) == 0:
        raise DataError(code="type", message="texts must be a non-empty list of strings", name="texts", expected="list of str")
    if len(texts) > MAX_LABELLED_ROWS:
        raise DataError(code="too_many_rows", message=f"{len(texts):,} texts; the limit is {MAX_LABELLED_ROWS:,}",
                        n=len(texts), limit=MAX_LABELLED_ROWS)
    seqs = [(vocab.encode(t)[:max_len] or [1]) for t in texts]
    L = max(len(s) for s in seqs)
    if len(seqs) * L > MAX_ELEMENTS:
        raise DataError(code="too_many_tokens", message=f"{len(seqs):,} texts of up to {L} words are too many; the limit is "
                        f"{MAX_ELEMENTS:,} ids (use a smaller max_len)", n=len(seqs) * L, limit=MAX_ELEMENTS)
    ids = torch.zeros(len(seqs), L, dtype=torch.long)
    for k, s in enumerate(seqs):
        ids[k, :len(s)] = torch.tensor(s, dtype=torch.long)
    return ids, torch.tensor([len(s) for s in seqs], dtype=torch.long)


# ---- 6. sequence to sequence -----------------------------------------------------------------------

SEQ2SEQ_SPECIALS = ("<pad>", "<bos>", "<eos>")   # ids 0, 1, 2; the alphabet follows
DEFAULT_ALPHABET = "abcdefgh"


def _pair_args(n, min_len, max_len, seed, alphabet) -> tuple[int, int, int, random.Random, str]:
    n = _int("n", n, 1, MAX_PAIRS)
    min_len = _int("min_len", min_len, 1, MAX_PAIR_LEN)
    max_len = _int("max_len", max_len, min_len, MAX_PAIR_LEN)
    _check_alphabet(alphabet)
    return n, min_len, max_len, random.Random(_seed(seed)), alphabet


def _check_alphabet(alphabet) -> None:
    if not isinstance(alphabet, str) or not 2 <= len(alphabet) <= 64 or len(set(alphabet)) != len(alphabet):
        raise DataError(code="alphabet", message=f"the alphabet must be 2 to 64 distinct characters, not {alphabet!r}",
                        value=repr(alphabet))


def _strings(n, min_len, max_len, seed, alphabet) -> list[str]:
    n, min_len, max_len, rng, alphabet = _pair_args(n, min_len, max_len, seed, alphabet)
    return ["".join(rng.choice(alphabet) for _ in range(rng.randint(min_len, max_len))) for _ in range(n)]


def reverse_task(n: int = 1000, min_len: int = 3, max_len: int = 8, seed: int = 0,
                 alphabet: str = DEFAULT_ALPHABET) -> list[tuple[str, str]]:
    """n random strings over `alphabet`, lengths uniform in [min_len, max_len], each paired with its
    reverse: [("abc", "cba"), ...]. The first target character is the last source character: the
    decoder can only get it from the encoder's final state."""
    return [(s, s[::-1]) for s in _strings(n, min_len, max_len, seed, alphabet)]


def copy_strings(n: int = 1000, min_len: int = 3, max_len: int = 8, seed: int = 0,
                 alphabet: str = DEFAULT_ALPHABET) -> list[tuple[str, str]]:
    """As `reverse_task`, each string paired with itself: [("abc", "abc"), ...]."""
    return [(s, s) for s in _strings(n, min_len, max_len, seed, alphabet)]


def encode_seq2seq(pairs: Sequence[tuple[str, str]], alphabet: str = DEFAULT_ALPHABET) -> dict[str, torch.Tensor]:
    """Pairs -> tensors for an encoder-decoder, ids in `SEQ2SEQ_SPECIALS + tuple(alphabet)`, padded with
    0 on the right: "src" (N, S) and "src_len" (N,); "tgt_in" (N, U + 1) = <bos> + target (teacher
    forcing input), "tgt_out" (N, U + 1) = target + <eos> (what to predict), "tgt_len" (N,) = len + 1."""
    _check_alphabet(alphabet)
    if isinstance(pairs, str) or len(pairs) == 0 or len(pairs) > MAX_PAIRS:
        raise DataError(code="type", message=f"pairs must be a list of 1 to {MAX_PAIRS:,} (source, target) strings",
                        name="pairs", expected="list of (str, str)")
    index = {c: k + len(SEQ2SEQ_SPECIALS) for k, c in enumerate(alphabet)}
    src, tgt = [], []
    for p in pairs:
        if not (isinstance(p, (tuple, list)) and len(p) == 2 and all(isinstance(s, str) for s in p)):
            raise DataError(code="type", message=f"each pair must be two strings, not {p!r}", name="pairs",
                            expected="list of (str, str)")
        for s in p:
            bad = sorted(set(s) - set(alphabet))
            if bad or not 1 <= len(s) <= MAX_PAIR_LEN:
                raise DataError(code="alphabet", message=f"{s!r} must be 1 to {MAX_PAIR_LEN} characters of {alphabet!r}",
                                value=repr(s))
        src.append([index[c] for c in p[0]])
        tgt.append([index[c] for c in p[1]])
    N, S, U = len(pairs), max(map(len, src)), max(map(len, tgt)) + 1
    out = {"src": torch.zeros(N, S, dtype=torch.long), "tgt_in": torch.zeros(N, U, dtype=torch.long),
           "tgt_out": torch.zeros(N, U, dtype=torch.long)}
    for k, (s, t) in enumerate(zip(src, tgt)):
        out["src"][k, :len(s)] = torch.tensor(s)
        out["tgt_in"][k, :len(t) + 1] = torch.tensor([1, *t])
        out["tgt_out"][k, :len(t) + 1] = torch.tensor([*t, 2])
    out["src_len"] = torch.tensor([len(s) for s in src], dtype=torch.long)
    out["tgt_len"] = torch.tensor([len(t) + 1 for t in tgt], dtype=torch.long)
    return out
