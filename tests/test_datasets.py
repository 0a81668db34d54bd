"""rnnviz.data: MNIST-1D (generated offline, cached), MNIST IDX files (parsing, malformed files, a
download from a local server and the offline path), character corpora and uploads, time series and CSV
columns, labelled texts and word vocabularies, seq2seq pairs. Every file here is made by the tests."""
from __future__ import annotations

import ast
import gzip
import hashlib
import http.server
import io
import random
import re
import shutil
import socket
import struct
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
import torch

from rnnviz import data as ds
from rnnviz.data import (DataError, corpora as ds_corpora, labelled as ds_labelled, mnist as ds_mnist,
                         series as ds_series)
from rnnviz.data.text import Vocab


def code_of(fn, *args, **kwargs) -> str:
    with pytest.raises(DataError) as info:
        fn(*args, **kwargs)
    e = info.value
    assert isinstance(e, ValueError) and str(e)
    assert all(isinstance(v, (str, int, float)) for v in e.params.values()), e.params
    return e.code


def test_module_is_pure():
    """No streamlit anywhere in the data package; mnist1d imported only inside functions (it takes
    seconds), and never its downloading get_dataset."""
    imported = []
    for f in sorted(Path(ds.__file__).parent.glob("*.py")):
        tree = ast.parse(f.read_text(encoding="utf-8"))
        imported += [(node in tree.body, node.module or "" if isinstance(node, ast.ImportFrom) else a.name, a.name)
                     for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom)) for a in node.names]
    assert len({m for _, m, _ in imported}) > 10
    assert not [m for _, m, _ in imported if m.startswith("streamlit")]
    assert not [m for top, m, _ in imported if top and m.startswith("mnist1d")]
    assert ("mnist1d.data", "make_dataset") in {(m, n) for _, m, n in imported}
    assert "get_dataset" not in {n for _, _, n in imported}


# ---------------------------------------------------------------------------------------- MNIST-1D


@pytest.fixture(scope="module")
def mnist1d_cache(tmp_path_factory):
    """Generate MNIST-1D once for the whole module (a few seconds), with the network forbidden."""
    folder = tmp_path_factory.mktemp("cache")
    py_state, np_state = random.getstate(), np.random.get_state()

    def no_network(*a, **k):
        raise AssertionError("MNIST-1D must be generated offline")

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(socket.socket, "connect", no_network)
        data = ds.mnist1d(folder)
    assert random.getstate() == py_state
    after = np.random.get_state()
    assert np.array_equal(after[1], np_state[1]) and after[2] == np_state[2]
    return folder, data


@pytest.mark.slow                      # they share the module's MNIST-1D generation (~3.5 s)
def test_mnist1d_shapes_and_content(mnist1d_cache):
    _, d = mnist1d_cache
    assert set(d) == set(ds.MNIST1D_KEYS)
    for k, shape in ds.MNIST1D_SHAPES.items():
        assert d[k].shape == shape
        assert d[k].dtype == (np.float32 if k.startswith("x") else np.int64)
    assert d["y_train"][:10].tolist() == [2, 6, 4, 5, 6, 6, 6, 0, 3, 1]   # the package's seed 42
    assert set(d["y_train"].tolist()) == set(d["y_test"].tolist()) == set(range(10))
    x = np.concatenate([d["x_train"], d["x_test"]])
    assert np.isfinite(x).all() and abs(float(x.mean())) < 1e-3 and abs(float(x.std()) - 1) < 1e-3


@pytest.mark.slow                      # they share the module's MNIST-1D generation (~3.5 s)
def test_mnist1d_cache_loads_without_generating(mnist1d_cache, monkeypatch):
    folder, d = mnist1d_cache
    files = list(folder.glob("mnist1d-*.npz"))
    assert len(files) == 1 and "0.0.2" in files[0].name
    assert not list(folder.glob("*.part"))
    import mnist1d.data
    monkeypatch.setattr(mnist1d.data, "make_dataset", lambda *a, **k: pytest.fail("regenerated"))
    again = ds.mnist1d(folder)                            # from the cache: make_dataset above would fail the test
    for k in ds.MNIST1D_KEYS:
        assert np.array_equal(again[k], d[k])
    # the default folder comes from $RNNVIZ_CACHE
    monkeypatch.setenv("RNNVIZ_CACHE", str(folder))
    assert ds.default_cache_dir() == folder
    assert np.array_equal(ds.mnist1d()["x_test"], d["x_test"])
    monkeypatch.delenv("RNNVIZ_CACHE")
    assert ds.default_cache_dir() == Path.home() / ".cache" / "rnnviz"


def fake_make_dataset(args):
    rng = np.random.default_rng(0)
    return {"x": rng.standard_normal((4000, 40)), "y": rng.integers(0, 10, 4000),
            "x_test": rng.standard_normal((1000, 40)), "y_test": rng.integers(0, 10, 1000)}


@pytest.mark.slow                      # they share the module's MNIST-1D generation (~3.5 s)
def test_mnist1d_damaged_cache_is_regenerated(tmp_path, mnist1d_cache, monkeypatch):
    import mnist1d.data
    monkeypatch.setattr(mnist1d.data, "make_dataset", fake_make_dataset)
    name = next(mnist1d_cache[0].glob("mnist1d-*.npz")).name
    (tmp_path / name).write_bytes(b"PK\x03\x04 not really a zip")
    d = ds.mnist1d(tmp_path)
    assert d["x_train"].shape == (4000, 40) and d["x_train"].dtype == np.float32
    assert ds_mnist._load_mnist1d_npz(tmp_path / name) is not None
    # a cache with the wrong shapes is not trusted either
    np.savez(tmp_path / name, x_train=np.zeros((3, 40), np.float32), y_train=np.zeros(3, np.int64),
             x_test=np.zeros((1, 40), np.float32), y_test=np.zeros(1, np.int64))
    assert ds_mnist._load_mnist1d_npz(tmp_path / name) is None
    assert ds.mnist1d(tmp_path)["x_train"].shape == (4000, 40)
    # an unusable cache folder (here a file) only means no caching
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert ds.mnist1d(blocker / "sub")["y_test"].shape == (1000,)


@pytest.mark.slow                      # they share the module's MNIST-1D generation (~3.5 s)
def test_mnist1d_without_the_package(tmp_path, mnist1d_cache, monkeypatch):
    monkeypatch.setitem(sys.modules, "mnist1d", None)
    monkeypatch.setitem(sys.modules, "mnist1d.data", None)
    e = pytest.raises(DataError, ds.mnist1d, tmp_path).value
    assert e.code == "missing_package" and e.params == {"package": "mnist1d"} and "pip install mnist1d" in str(e)
    # a cached copy loads without importing the package (importing it takes seconds)
    folder, d = mnist1d_cache
    assert np.array_equal(ds.mnist1d(folder)["y_train"], d["y_train"])
    # not installed at all (no metadata): any cached copy will do
    monkeypatch.setattr(ds_mnist, "_mnist1d_version", lambda: None)
    assert np.array_equal(ds.mnist1d(folder)["x_test"], d["x_test"])
    assert code_of(ds.mnist1d, tmp_path) == "missing_package"
    assert code_of(ds.mnist1d, 42) == "type"


# ---------------------------------------------------------------------------------------- MNIST IDX


def idx_bytes(arr: np.ndarray, dtype_code: int = 0x08) -> bytes:
    return bytes([0, 0, dtype_code, arr.ndim]) + struct.pack(f">{arr.ndim}I", *arr.shape) + arr.tobytes()


def make_mnist(n: int = 12, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (n, 28, 28), dtype=np.uint8), rng.integers(0, 10, n, dtype=np.uint8)


def write_mnist(folder: Path, n: int = 12, gz: bool = True, prefix: str = "t10k") -> tuple[np.ndarray, np.ndarray]:
    imgs, labs = make_mnist(n)
    folder.mkdir(parents=True, exist_ok=True)
    for kind, arr, idx in (("images", imgs, "idx3"), ("labels", labs, "idx1")):
        data = idx_bytes(arr)
        name = f"{prefix}-{kind}-{idx}-ubyte"
        if gz:
            (folder / (name + ".gz")).write_bytes(gzip.compress(data))
        else:
            (folder / name).write_bytes(data)
    return imgs, labs


@pytest.mark.parametrize("gz", [False, True])
def test_read_idx_round_trip(tmp_path, gz):
    imgs, labs = make_mnist(5)
    for arr in (imgs, labs):
        data = idx_bytes(arr)
        data = gzip.compress(data) if gz else data
        path = tmp_path / "file.bin"   # gzip is found by its magic bytes, not the name
        path.write_bytes(data)
        for source in (data, bytearray(data), io.BytesIO(data), path, str(path)):
            out = ds.read_idx(source)
            assert out.dtype == np.uint8 and out.shape == arr.shape and np.array_equal(out, arr)


def _good_images() -> bytes:
    return idx_bytes(make_mnist(3)[0])


@pytest.mark.parametrize("data, code", [
    pytest.param(b"", "empty", id="empty"),
    pytest.param(b"\x00\x00", "idx_size", id="two_bytes"),
    pytest.param(b"\x01\x02\x08\x03" + bytes(100), "idx_magic", id="wrong_magic"),
    pytest.param(b"\x00\x00\x08\x00", "idx_magic", id="no_dims"),
    pytest.param(b"\x00\x00\x08\x07" + bytes(40), "idx_magic", id="seven_dims"),
    pytest.param(b"\x00\x00\x0d\x01" + struct.pack(">I", 2) + bytes(8), "idx_dtype", id="float_dtype"),
    pytest.param(b"\x00\x00\x08\x03\x00\x00", "idx_size", id="cut_header"),
    pytest.param(_good_images()[:-1], "idx_size", id="truncated"),
    pytest.param(_good_images() + b"\x00", "idx_size", id="trailing"),
    pytest.param(b"\x00\x00\x08\x01" + struct.pack(">I", 0), "empty", id="zero_items"),
    pytest.param(b"GIF89a garbage bytes \xff\xfe\x00", "idx_magic", id="garbage"),
    pytest.param(gzip.compress(_good_images())[:-20], "gzip", id="cut_gzip"),
    pytest.param(b"\x1f\x8b\x08\x00 garbage after the gzip magic", "gzip", id="gzip_garbage"),
    pytest.param(gzip.compress(_good_images()[:-5]), "idx_size", id="gzip_truncated_content"),
])
def test_read_idx_rejects_malformed(data, code):
    assert code_of(ds.read_idx, data) == code


def test_read_idx_size_limits(tmp_path):
    data = _good_images()
    assert code_of(ds.read_idx, data, max_bytes=len(data) - 1) == "too_large"
    bomb = gzip.compress(b"\x00\x00\x08\x01" + struct.pack(">I", 300_000) + bytes(300_000))
    assert len(bomb) < 2000
    e = pytest.raises(DataError, ds.read_idx, bomb, max_bytes=100_000).value
    assert e.code == "too_large" and e.params["limit"] == 100_000
    path = tmp_path / "big"
    path.write_bytes(data)
    assert code_of(ds.read_idx, path, max_bytes=100) == "too_large"
    assert code_of(ds.read_idx, tmp_path / "missing") == "not_found"
    assert code_of(ds.read_idx, tmp_path) == "not_found"
    assert code_of(ds.read_idx, 123) == "type"
    assert code_of(ds.read_idx, data, max_bytes=0) == "range"


def test_load_mnist_rows(tmp_path):
    imgs, labs = write_mnist(tmp_path, n=12)
    x, y = ds.load_mnist_rows(tmp_path / "t10k-images-idx3-ubyte.gz", tmp_path / "t10k-labels-idx1-ubyte.gz")
    assert x.shape == (12, 28, 28) and x.dtype == np.float32 and y.shape == (12,) and y.dtype == np.int64
    assert 0 <= x.min() and x.max() <= 1 and np.allclose(x * 255, imgs) and np.array_equal(y, labs)
    x5, y5 = ds.load_mnist_rows(imgs, labs, limit=5)   # arrays work too
    assert x5.shape == (5, 28, 28) and np.array_equal(x5, x[:5]) and np.array_equal(y5, y[:5])
    assert code_of(ds.load_mnist_rows, labs, imgs) == "idx_shape"          # swapped
    assert code_of(ds.load_mnist_rows, imgs, imgs) == "idx_shape"
    assert code_of(ds.load_mnist_rows, imgs[:, :20, :20], labs) == "idx_shape"
    e = pytest.raises(DataError, ds.load_mnist_rows, imgs, labs[:11]).value
    assert e.code == "count_mismatch" and e.params == {"images": 12, "labels": 11}
    assert code_of(ds.load_mnist_rows, imgs[:2], np.array([3, 12], np.uint8)) == "label_range"
    assert code_of(ds.load_mnist_rows, imgs / 255.0, labs) == "type"
    assert code_of(ds.load_mnist_rows, imgs, labs, limit=0) == "range"
    assert code_of(ds.load_mnist_rows, imgs, labs, limit=ds.MAX_MNIST_ROWS + 1) == "range"


def test_find_and_load_mnist(tmp_path):
    write_mnist(tmp_path / "MNIST" / "raw", n=6, prefix="train")
    imgs, labs = write_mnist(tmp_path / "MNIST" / "raw", n=4, gz=False, prefix="t10k")
    (tmp_path / "MNIST" / "raw" / "t10k-images-idx3-ubyte.gz").write_bytes(b"plain one preferred")
    (tmp_path / "notes-idx3-ubyte").write_bytes(b"ignored")
    found = ds.find_mnist(tmp_path)
    assert set(found) == set(ds.MNIST_FILES)
    assert found["train_images"].name == "train-images-idx3-ubyte.gz"
    assert found["test_images"].name == "t10k-images-idx3-ubyte"
    x, y = ds.load_mnist(tmp_path, "test")
    assert x.shape == (4, 28, 28) and np.array_equal(y, labs)
    assert ds.load_mnist(tmp_path, "train", limit=3)[0].shape == (3, 28, 28)
    # the Kaggle spelling
    other = tmp_path / "kaggle"
    other.mkdir()
    (other / "train-images.idx3-ubyte").write_bytes(idx_bytes(imgs))
    assert ds.find_mnist(other) == {"train_images": other / "train-images.idx3-ubyte", "train_labels": None,
                                    "test_images": None, "test_labels": None}
    e = pytest.raises(DataError, ds.load_mnist, other, "train").value
    assert e.code == "mnist_missing" and e.params["missing"] == "train-labels-idx1-ubyte.gz"
    assert code_of(ds.find_mnist, tmp_path / "nope") == "folder"
    assert code_of(ds.load_mnist, tmp_path, "valid") == "choice"


@pytest.fixture(scope="module")
def mnist_server(tmp_path_factory):
    """A local HTTP server on 127.0.0.1 serving four small test-made MNIST .gz files."""
    root = tmp_path_factory.mktemp("www")
    write_mnist(root, n=7, prefix="train")
    imgs, labs = write_mnist(root, n=5, prefix="t10k")
    (root / "broken").mkdir()
    for name in ds.MNIST_FILES.values():
        shutil.copy(root / name, root / "broken" / name)
    (root / "broken" / "t10k-labels-idx1-ubyte.gz").write_bytes(b"<html>not found</html>")

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *a, **k):
            super().__init__(*a, directory=str(root), **k)

        def log_message(self, *a):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/", root, (imgs, labs)
    server.shutdown()
    server.server_close()


def closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


def test_download_mnist_from_a_local_server(tmp_path, mnist_server):
    url, root, (imgs, labs) = mnist_server
    calls = []
    md5s = {n: hashlib.md5((root / n).read_bytes()).hexdigest() for n in ds.MNIST_FILES.values()}
    paths = ds.download_mnist(tmp_path, urls=[closed_port_url(), url.rstrip("/")], timeout=5, md5s=md5s,
                              progress=lambda *a: calls.append(a))
    assert paths == {k: tmp_path / "mnist" / n for k, n in ds.MNIST_FILES.items()}
    assert ds.find_mnist(tmp_path / "mnist") == paths
    assert not list((tmp_path / "mnist").glob("*.part"))
    x, y = ds.load_mnist(tmp_path, "test")
    assert np.array_equal(y, labs) and np.allclose(x * 255, imgs)
    assert {c[0] for c in calls} == set(ds.MNIST_FILES.values()) and all(c[1] > 0 for c in calls)
    # files already there are kept: no network needed
    assert ds.download_mnist(tmp_path, urls=[closed_port_url()], timeout=1) == paths

    class Stop(Exception):
        pass

    def stop(*a):
        raise Stop

    with pytest.raises(Stop):   # a stop from the progress callback is not a download failure
        ds.download_mnist(tmp_path / "stopped", urls=[url], timeout=5, md5s=None, progress=stop)
    assert not (tmp_path / "stopped" / "mnist").exists()


def test_download_mnist_failures(tmp_path, mnist_server):
    url, _, _ = mnist_server
    e = pytest.raises(DataError, ds.download_mnist, tmp_path / "a", urls=[closed_port_url()], timeout=2).value
    assert e.code == "offline" and "offline" in str(e) and str(tmp_path / "a" / "mnist") in str(e)
    assert not (tmp_path / "a" / "mnist").exists() or not list((tmp_path / "a" / "mnist").iterdir())
    # reachable, but the files are not the originals (MD5), missing (404), or not IDX at all
    assert code_of(ds.download_mnist, tmp_path / "b", urls=[url], timeout=5) == "download_failed"
    assert code_of(ds.download_mnist, tmp_path / "c", urls=[url + "nothing/"], timeout=5) == "download_failed"
    e = pytest.raises(DataError, ds.download_mnist, tmp_path / "d", urls=[url + "broken/"], timeout=5,
                      md5s=None).value
    assert e.code == "download_failed" and e.params["file"] == "t10k-labels-idx1-ubyte.gz"
    assert len(list((tmp_path / "d" / "mnist").iterdir())) == 3   # the good ones were kept
    assert code_of(ds.download_mnist, tmp_path, urls=["file:///etc/"]) == "url"
    assert code_of(ds.download_mnist, tmp_path, urls=[]) == "url"
    assert code_of(ds.download_mnist, tmp_path, urls=[url], timeout=0) == "fraction"


# --------------------------------------------------------------------------- characters and uploads


@pytest.mark.parametrize("make", [ds.english_corpus, ds.korean_corpus])
def test_corpora_are_deterministic_and_bounded(make):
    text = make()
    assert text == make() and text != make(seed=1)
    assert 2500 <= len(text) < 6000 and text.endswith("\n")
    assert len(set(text)) <= 256 and Vocab.from_text(text).size == len(set(text))
    assert make(n_chars=100).startswith(make(n_chars=50).split("\n")[0])
    assert code_of(make, n_chars=0) == "range"
    assert code_of(make, n_chars=ds.MAX_CORPUS_CHARS + 1) == "range"
    assert code_of(make, seed=-1) == "range"
    assert code_of(make, seed=True) == "range"
    assert set(ds.CHAR_CORPORA) == {"english", "korean"}


def test_english_corpus_grammar():
    lines = ds.english_corpus(20000).splitlines()
    for line in lines:
        assert line[0].isupper()
        assert line.endswith("?") == line.startswith(("Do ", "Does ")), line
        if line.endswith("?"):   # Does + singular, Do + plural
            assert line.startswith("Does ") == (line.split()[2] in {one for one, _ in ds_corpora._EN_ANIMALS}), line
    text = "\n".join(lines)
    statements = "\n".join(line for line in lines if line.endswith("."))
    assert not re.search(r"\ba [aeiou]", text) and not re.search(r"\ban [^aeiou]", text)
    assert not re.search(r"\b(the|The) (cat|dog|girl|fox) (like|see|want|find|have|run|sleep) ", statements)
    assert not re.search(r"\b(the|The) (cats|dogs|girls|foxes) (likes|sees|wants|finds|has|runs|sleeps) ", statements)
    assert re.search(r"The cats? ", statements) and re.search(r" and the \w+ \w+ ", statements)


def test_korean_particles():
    assert ds.has_final_consonant("책") and not ds.has_final_consonant("사과") and not ds.has_final_consonant("a")
    assert ds.josa("책", "을를") == "책을" and ds.josa("사과", "을를") == "사과를"
    assert ds.josa("선생님", "이가") == "선생님이" and ds.josa("친구", "은는") == "친구는"
    text = ds.korean_corpus(20000)
    nouns = set(ds_corpora._KO_SUBJECTS) | {w for ws in ds_corpora._KO_OBJECTS.values() for w in ws}
    for noun in nouns:
        for pair in ("이가", "을를", "은는", "과와"):
            wrong = noun + (pair[1] if ds.has_final_consonant(noun) else pair[0]) + " "
            assert wrong not in text, wrong


def test_load_text_upload():
    assert ds.load_text_upload("\ufeffHello\r\nworld\r\n".encode()) == "Hello\nworld\n"
    assert ds.load_text_upload("오늘 주가가 어때?".encode()) == "오늘 주가가 어때?"
    assert ds.load_text_upload(io.BytesIO(b"ab\x07c")) == "abc"   # an upload object; one control char dropped
    assert ds.load_text_upload("\u1112\u1161\u11ab\u1100\u1173\u11af".encode()) == "한글"   # jamo -> NFC
    cases = {b"": "empty", b"   \n ": "empty", b"a": "too_short", b"caf\xe9 au lait": "encoding",
             "héllo".encode("utf-16"): "encoding", b"ab\x00cd": "binary", bytes(range(1, 32)) * 5: "binary"}
    for data, code in cases.items():
        assert code_of(ds.load_text_upload, data) == code, data
    e = pytest.raises(DataError, ds.load_text_upload, b"caf\xe9").value
    assert e.params["position"] == 3
    assert code_of(ds.load_text_upload, b"x" * 101, max_bytes=100) == "too_large"
    assert code_of(ds.load_text_upload, "".join(map(chr, range(0xAC00, 0xAC00 + 50))).encode(), max_vocab=40) == "vocab"
    assert code_of(ds.load_text_upload, "text") == "type"


def test_split_text():
    text = "ab" * (1_115_394 // 2)
    train, val = ds.split_text(text, 0.1)
    assert (len(train), len(val)) == (1_003_854, 111_540) and train + val == text
    assert ds.split_text("abcdefghij", 0.2) == ("abcdefgh", "ij")
    assert code_of(ds.split_text, "abc", 0.1) == "too_short"
    for bad in (0, 0.95, -0.1, float("nan"), "0.1", True):
        assert code_of(ds.split_text, "abcdefghij", bad) == "fraction"
    assert code_of(ds.split_text, b"abc") == "type"


def test_char_windows():
    vocab = Vocab.from_text("hello world")
    ids = vocab.encode("hello world")   # 11 ids
    x, y = ds.char_windows(ids, 4)
    assert x.shape == y.shape == (2, 4) and x.dtype == y.dtype == torch.long
    assert vocab.decode(x[0]) == "hell" and vocab.decode(y[0]) == "ello" and vocab.decode(x[1]) == "o wo"
    x1, y1 = ds.char_windows(ids.tolist(), 10, stride=1)
    assert x1.shape == (1, 10) and torch.equal(y1[0], ids[1:])
    x2, _ = ds.char_windows(np.arange(20), 3, stride=2)
    assert x2.shape == (9, 3) and x2[:, 0].tolist() == list(range(0, 18, 2))
    assert code_of(ds.char_windows, ids, 11) == "too_short"
    assert code_of(ds.char_windows, ids, 0) == "range"
    assert code_of(ds.char_windows, ids, 3, stride=0) == "range"
    assert code_of(ds.char_windows, torch.rand(5), 2) == "type"
    assert code_of(ds.char_windows, torch.zeros(2, 5, dtype=torch.long), 2) == "type"


def test_window_and_batch_sizes_are_bounded(monkeypatch):
    monkeypatch.setattr(ds_corpora, "MAX_WINDOWS", 5)
    assert code_of(ds.char_windows, torch.arange(10), 1, stride=1) == "too_many_windows"
    for module in (ds_series, ds_labelled):
        monkeypatch.setattr(module, "MAX_ELEMENTS", 20)
    assert ds.windows(np.arange(12.0), 2)[0].shape == (10, 2, 1)
    assert code_of(ds.windows, np.arange(13.0), 2) == "too_many_windows"
    vocab = ds.build_word_vocab(["a b c"])
    assert ds.encode_texts(["a b c d"] * 5, vocab, max_len=4)[0].shape == (5, 4)
    assert code_of(ds.encode_texts, ["a b c d"] * 6, vocab, max_len=4) == "too_many_tokens"


# -------------------------------------------------------------------------------------- time series


@pytest.mark.parametrize("make", [ds.noisy_sine, ds.trend_seasonal, ds.random_walk_stock])
def test_series_generators(make):
    s = make(500, seed=3)
    assert s.shape == (500,) and s.dtype == np.float32 and np.isfinite(s).all()
    assert np.array_equal(s, make(500, seed=3)) and not np.array_equal(s, make(500, seed=4))
    assert code_of(make, 5) == "range" and code_of(make, ds.MAX_SERIES_LEN + 1) == "range"
    assert code_of(make, 100, seed=-2) == "range"
    assert ds.SERIES[make.__name__] is make


def test_series_shapes_of_their_own():
    assert np.abs(ds.noisy_sine(1000, noise=0.0)).max() <= 1.0 + 1e-6
    stock = ds.random_walk_stock(1000, seed=1, start=50.0)
    assert stock[0] == 50.0 and (stock > 0).all()
    for seed in range(4):
        s = ds.trend_seasonal(480, seed=seed)
        slope = np.polyfit(np.arange(480), s, 1)[0]
        assert abs(slope * 480) > 2 * (s - np.polyval(np.polyfit(np.arange(480), s, 1), np.arange(480))).std()
    assert code_of(ds.noisy_sine, 100, period=0) == "fraction"
    assert code_of(ds.random_walk_stock, 100, drift=5) == "fraction"


def test_parse_csv_column():
    data = b"Date,Open,Close\n2024-01-01,1.5,2\n\n2024-01-02,2.5,3e0\n" + b"".join(
        f"d{i},{i},{i}.5\n".encode() for i in range(10))
    s = ds.parse_csv_column(data, "Close")
    assert s.dtype == np.float32 and s.shape == (12,) and s[:3].tolist() == [2.0, 3.0, 0.5]
    assert np.array_equal(ds.parse_csv_column(data, " close "), s)
    assert np.array_equal(ds.parse_csv_column(data, 1)[:2], [1.5, 2.5])
    assert ds.csv_columns(data) == ["Date", "Open", "Close"]
    semi = "\ufeffa;b\n" + "".join(f"x;{i},5\n" for i in range(10))   # decimal commas after ";"
    assert ds.parse_csv_column(semi.encode(), "b")[:2].tolist() == [0.5, 1.5]
    tab = "a\tb\n" + "".join(f"{i}\t{-i}\n" for i in range(10))
    assert ds.parse_csv_column(tab.encode(), "b")[-1] == -9.0
    assert ds.parse_csv_column(b"v\n" + b"1\n" * 10, "v").shape == (10,)


def test_parse_csv_column_errors():
    rows = b"".join(f"{i},{i}\n".encode() for i in range(12))
    good = b"t,v\n" + rows
    e = pytest.raises(DataError, ds.parse_csv_column, good, "price").value
    assert e.code == "missing_column" and e.params["columns"] == "t, v" and "t, v" in str(e)
    assert code_of(ds.parse_csv_column, good, 2) == "missing_column"
    assert code_of(ds.parse_csv_column, good, 1.0) == "type"
    e = pytest.raises(DataError, ds.parse_csv_column, good + b"12,abc\n", "v").value
    assert e.code == "non_numeric" and e.params["line"] == 14 and e.params["value"] == "abc" and "line 14" in str(e)
    for cell in (b"", b"nan", b"inf", b"null", b'"1,234"'):
        assert code_of(ds.parse_csv_column, good + b"12," + cell + b"\n", "v") == "non_numeric", cell
    assert code_of(ds.parse_csv_column, good + b"12\n", "v") == "short_row"
    assert code_of(ds.parse_csv_column, b"t,v\n1,2\n", "v") == "too_few_rows"
    e = pytest.raises(DataError, ds.parse_csv_column, good, "v", max_rows=11).value
    assert e.code == "too_many_rows" and e.params == {"n": 12, "limit": 11}
    assert code_of(ds.parse_csv_column, b"t,v\n" + b"\xff\xfe\xfa" + rows, "v") == "encoding"
    assert code_of(ds.parse_csv_column, b"", "v") == "empty"
    assert code_of(ds.parse_csv_column, b"\n\n", "v") == "empty"
    assert code_of(ds.parse_csv_column, b"t,v\x00\n" + rows, "v") == "binary"
    assert code_of(ds.parse_csv_column, good, "v", max_bytes=10) == "too_large"
    assert code_of(ds.parse_csv_column, b"t,v\n" + b"1,\"" + b"x" * 200_000 + b"\"\n", "v") == "csv"


def test_windows_and_normalisation():
    s = np.arange(10, dtype=np.float32) * 2 + 1
    x, y, norm = ds.windows(s, 3)
    assert x.shape == (7, 3, 1) and y.shape == (7,) and x.dtype == y.dtype == torch.float32
    assert norm.mean == pytest.approx(10.0) and norm.std == pytest.approx(float(s.std()))
    assert torch.allclose(norm.invert(x[0, :, 0]), torch.tensor([1.0, 3, 5])) and norm.invert(y[0]) == pytest.approx(7)
    assert np.allclose(norm.invert(norm.apply(s)), s)
    x2, y2, norm2 = ds.windows(s[5:], 2, norm=norm, stride=2)   # validation windows, training normalisation
    assert norm2 is norm and x2.shape == (2, 2, 1) and norm.invert(y2).tolist() == pytest.approx([15.0, 19.0])
    assert ds.windows(torch.ones(5), 2)[2].std == 1.0            # constant: no division by 0
    assert code_of(ds.windows, s, 10) == "too_short"
    assert code_of(ds.windows, np.array([1, np.nan, 2, 3]), 2) == "non_finite"
    assert code_of(ds.windows, np.zeros((4, 2)), 2) == "type"
    assert code_of(ds.windows, ["a", "b"], 1) == "type"
    assert code_of(ds.windows, s, 2, norm=(0, 1)) == "type"
    train, val = ds.split_series(s, 0.2)
    assert train.tolist() == s[:8].tolist() and val.tolist() == s[8:].tolist()
    assert code_of(ds.split_series, s[:3], 0.2) == "too_short"


def test_naive_last_value_mse():
    s = ds.random_walk_stock(300, seed=2)
    x, y, norm = ds.windows(s, 5)
    mse = ds.naive_last_value_mse(x, y)
    assert mse == pytest.approx(float(((x[:, -1, 0] - y) ** 2).mean()), rel=1e-6)
    raw = ds.naive_last_value_mse(x, y, norm)
    assert raw == pytest.approx(float(np.mean((s[4:-1] - s[5:]) ** 2)), rel=1e-4)
    assert raw == pytest.approx(mse * norm.std ** 2, rel=1e-4)
    assert ds.naive_last_value_mse(x.numpy(), y.numpy()) == pytest.approx(mse)
    assert code_of(ds.naive_last_value_mse, x[:, :, 0], y) == "type"


# ------------------------------------------------------------------------------ text classification


def single_word_accuracy(data: ds.LabelledTexts) -> float:
    """The best accuracy of "label = 1 (or 0) when word w occurs", over every word."""
    toks = [set(ds.tokenize(t)) for t in data.texts]
    best = 0.0
    for w in set().union(*toks):
        has = np.array([w in t for t in toks])
        best = max(best, (has == data.labels).mean(), (has != data.labels).mean())
    return best


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_sentiment_texts(lang):
    data = ds.sentiment_texts(lang)
    assert len(data) == 400 and len(set(data.texts)) == 400 and data.classes == ("negative", "positive")
    assert data.labels.dtype == np.int64 and data.labels.sum() == 200
    again = ds.sentiment_texts(lang)
    assert again.texts == data.texts and np.array_equal(again.labels, data.labels)
    assert ds.sentiment_texts(lang, seed=1).texts != data.texts
    assert single_word_accuracy(data) < 0.65
    assert len(ds.sentiment_texts(lang, n=ds.MAX_BUILTIN_EXAMPLES)) == ds.MAX_BUILTIN_EXAMPLES


def test_sentiment_labels_follow_the_rules():
    pol = {w: p for p, ws in ds_labelled._SEN_EN_ADJS.items() for w in ws}
    for text, label in zip(*(lambda d: (d.texts, d.labels))(ds.sentiment_texts("en", n=1000))):
        words = text.split()
        last = [w for w in words if w in pol][-1]
        negated = any(w in ("not", "never") for w in words) and " but " not in text
        assert label == (1 - pol[last] if negated else pol[last]), text
    pol_ko = {a[0][:-1]: p for p, ws in ds_labelled._SEN_KO_ADJS.items() for a in ws}
    for text, label in zip(*(lambda d: (d.texts, d.labels))(ds.sentiment_texts("ko", n=1000))):
        if text.endswith("지 않았다"):
            continue
        last = text.split()[-1][:-1]
        assert label == pol_ko[last], text


def test_sentiment_bad_args():
    assert code_of(ds.sentiment_texts, "fr") == "choice"
    assert code_of(ds.sentiment_texts, "en", n=3) == "range"
    assert code_of(ds.sentiment_texts, "en", n=ds.MAX_BUILTIN_EXAMPLES + 1) == "range"


def test_parse_labelled_csv():
    data = ('text,label\n"great, really",pos\nawful,neg\n'
            'meh,neg\n"so ""good""",pos\n좋았다,pos\n').encode()
    out = ds.parse_labelled_csv(data, "text", "label")
    assert out.texts == ("great, really", "awful", "meh", 'so "good"', "좋았다")
    assert out.classes == ("neg", "pos") and out.labels.tolist() == [1, 0, 0, 1, 1]
    numeric = b"t;y\n" + b"".join(f"row {i};{c}\n".encode() for i, c in enumerate([10, 2, 2, 10, 3]))
    out = ds.parse_labelled_csv(numeric, 0, 1)
    assert out.classes == ("2", "3", "10") and out.labels.tolist() == [2, 0, 0, 2, 1]


def test_parse_labelled_csv_errors():
    rows = b"".join(f"text {i},{i % 2}\n".encode() for i in range(6))
    good = b"text,label\n" + rows
    assert code_of(ds.parse_labelled_csv, good, "review", "label") == "missing_column"
    assert code_of(ds.parse_labelled_csv, good, "text", "sentiment") == "missing_column"
    assert code_of(ds.parse_labelled_csv, good, "text", "text") == "same_column"
    e = pytest.raises(DataError, ds.parse_labelled_csv, good + b",1\n", "text", "label").value
    assert e.code == "empty_cell" and e.params == {"line": 8, "column": "text"}
    assert code_of(ds.parse_labelled_csv, good + b"x, \n", "text", "label") == "empty_cell"
    assert code_of(ds.parse_labelled_csv, good + b"x\n", "text", "label") == "short_row"
    assert code_of(ds.parse_labelled_csv, b"text,label\n" + b"a,1\n" * 6, "text", "label") == "one_class"
    many = b"text,label\n" + b"".join(f"t,{i}\n".encode() for i in range(60))
    e = pytest.raises(DataError, ds.parse_labelled_csv, many, "text", "label").value
    assert e.code == "too_many_classes" and e.params == {"n": 60, "limit": ds.MAX_CLASSES}
    assert code_of(ds.parse_labelled_csv, b"text,label\na,1\nb,0\n", "text", "label") == "too_few_rows"
    assert code_of(ds.parse_labelled_csv, good, "text", "label", max_rows=5) == "too_many_rows"
    assert code_of(ds.parse_labelled_csv, good, "text", "label", max_bytes=20) == "too_large"
    assert code_of(ds.parse_labelled_csv, b"", "text", "label") == "empty"
    assert code_of(ds.parse_labelled_csv, "text,label\n".encode("cp949") + "좋다,1\n".encode("cp949") * 5,
                   "text", "label") == "encoding"


def test_tokenize_and_word_vocab():
    assert ds.tokenize("The movie WASN'T good!  영화가 좋았다.") == \
        ["the", "movie", "wasn't", "good", "!", "영화가", "좋았다", "."]
    vocab = ds.build_word_vocab(["b a a", "c a b", "d"])
    assert vocab.words == ("<pad>", "<unk>", "a", "b", "c", "d") and vocab.size == 6
    assert vocab.encode("A b zebra") == [2, 3, 1] and vocab.decode([2, 3, 1]) == ["a", "b", "<unk>"]
    assert ds.build_word_vocab(["b a a", "c a b", "d"], max_size=4).words == ("<pad>", "<unk>", "a", "b")
    assert ds.build_word_vocab(["b a a", "c a b", "d"], min_count=2).words == ("<pad>", "<unk>", "a", "b")
    assert code_of(ds.build_word_vocab, "one text") == "type"
    assert code_of(ds.build_word_vocab, ["a"], max_size=2) == "range"
    ids, lengths = ds.encode_texts(["a b c d", "b", "?! zebra", ""], vocab, max_len=3)
    assert ids.dtype == lengths.dtype == torch.long and ids.shape == (4, 3)
    assert ids.tolist() == [[2, 3, 4], [3, 0, 0], [1, 1, 1], [1, 0, 0]] and lengths.tolist() == [3, 1, 3, 1]
    assert code_of(ds.encode_texts, [], vocab) == "type"
    assert code_of(ds.encode_texts, ["a"], vocab, max_len=0) == "range"


