"""English left on Korean pages: the one check, used on the translation table and on the pages themselves."""
from __future__ import annotations

import re

# Words a Korean page may show in Latin letters: names of models, data sets, methods and libraries, symbols,
# units. Everything else in Latin letters on a Korean page is English that bypassed the translation table.
ALLOWED = {
    "rnn", "lstm", "gru", "mlp", "mnist", "bptt", "pca", "relu", "tanh", "sigmoid", "softmax", "adam", "sgd", "csv",
    "utf", "idx", "gpu", "cpu", "cuda", "katex", "plotly", "streamlit", "pytorch", "torch", "keras", "url", "png",
    "txt", "log", "max", "min", "exp", "seq2seq", "hello", "rnnviz", "eos", "bos", "pad", "unk",
    "safetensors", "pickle", "html",                   # file formats, like csv and png
    "karpathy", "johnson", "fei",                      # cited authors
    "language",                                        # the language picker's label is in both languages on purpose
}


def english_words(text: str) -> list[str]:
    """Latin-letter words of 3+ letters in `text` that are not in ALLOWED (and not code, math or ids). A term's
    English name in brackets after its Korean one, "망각 게이트 (forget gate)", is the house style: allowed."""
    text = re.sub(r"\([A-Za-z][A-Za-z /,-]*\)", " ", text)           # "망각 게이트 (forget gate)"
    text = re.sub(r"\{[^}]*\}|<[^>]*>", " ", text)                    # format fields, HTML tags (the table's own text)
    words = re.findall(r"(?<![\w/.\\-])[A-Za-z][a-z]{2,}(?![\w/.(\\-])", text)
    return sorted({w for w in words if w.lower() not in ALLOWED})
