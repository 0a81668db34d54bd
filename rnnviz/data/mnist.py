"""MNIST-1D (generated offline by the `mnist1d` package, cached as .npz) and MNIST from IDX files (read,
found in a folder, or downloaded when a user asks)."""
from __future__ import annotations

import gzip
import hashlib
import io
import math
import os
import random
import re
import struct
import urllib.error
import urllib.parse
import urllib.request
import zlib
from pathlib import Path
from typing import Callable, Mapping, Sequence

import numpy as np

from .base import (MAX_DOWNLOAD_BYTES, MAX_IDX_BYTES, MAX_MNIST_ROWS, DataError, _atomic_write, _bytes_of, _cache_dir,
                   _int, _positive)

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
