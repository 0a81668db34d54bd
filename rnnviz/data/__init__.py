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

Raw data comes back as numpy arrays (or str); the model-ready windows and encodings as torch tensors.
Every generator takes a `seed` and uses its own random generator: the same arguments always give the
same data, and the global random state is left alone. Every size is bounded (the server is shared),
and every bad input raises `DataError` (a ValueError) whose `code` and `params` let a UI show the
message in any language (translation key "err.data.<code>").

Modules: `base` (limits, DataError, checks, cache folder), `mnist`, `corpora`, `series`, `labelled`,
and for the other pages `text` (the Hello page's vocabulary and next-character task), `preset_corpora`
(the presets" training texts) and `synthetic` (memory, adding, copy and seq2seq tasks, their baselines).
The lab's public names are also here (`from rnnviz import data as D; D.mnist1d()`), loaded on first use:
`rnnviz.data.text` alone does not import torch.
"""
from __future__ import annotations

from .._lazy import lazy_exports

_MODULES = {
    "base": ("DataError", "MAX_BUILTIN_EXAMPLES", "MAX_CLASSES", "MAX_CORPUS_CHARS", "MAX_CSV_BYTES",
        "MAX_DOWNLOAD_BYTES", "MAX_ELEMENTS", "MAX_IDX_BYTES", "MAX_LABELLED_ROWS", "MAX_MNIST_ROWS",
        "MAX_SERIES_LEN", "MAX_TEXT_UPLOAD_BYTES", "MAX_TOKENS", "MAX_UPLOAD_VOCAB", "MAX_WINDOWS",
        "MAX_WINDOW_T", "MAX_WORD_VOCAB", "MIN_LABELLED_ROWS", "MIN_SERIES_LEN", "default_cache_dir"),
    "mnist": ("MNIST1D_KEYS", "MNIST1D_SHAPES", "MNIST_FILES", "MNIST_MD5", "MNIST_MIRRORS", "download_mnist",
        "find_mnist", "load_mnist", "load_mnist_rows", "mnist1d", "read_idx"),
    "corpora": ("CHAR_CORPORA", "char_windows", "english_corpus", "has_final_consonant", "josa", "korean_corpus",
        "load_text_upload", "split_text"),
    "series": ("Normalisation", "SERIES", "csv_columns", "naive_last_value_mse", "noisy_sine", "parse_csv_column",
        "random_walk_stock", "split_series", "trend_seasonal", "windows"),
    "labelled": ("LabelledTexts", "PAD", "SENTIMENT_CLASSES", "SENTIMENT_LANGS", "UNK", "WordVocab", "build_word_vocab",
        "encode_texts", "parse_labelled_csv", "sentiment_texts", "tokenize"),
}
_EXPORTS = {name: mod for mod, names in _MODULES.items() for name in names}
__all__ = list(_EXPORTS)

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
