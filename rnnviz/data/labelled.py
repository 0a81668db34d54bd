"""Labelled texts for classification: generated sentiment sets (English, Korean), an uploaded CSV, a word
vocabulary and encoded, padded ids."""
from __future__ import annotations

import random
import re
from collections import Counter
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import torch

from .base import (MAX_BUILTIN_EXAMPLES, MAX_CLASSES, MAX_CSV_BYTES, MAX_ELEMENTS, MAX_LABELLED_ROWS, MAX_TOKENS,
                   MAX_WORD_VOCAB, MIN_LABELLED_ROWS, DataError, _int, _seed)
from .corpora import josa
from .series import _column_index, _read_csv, check_row_count
from .text import clean_text

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


# Each template names its words; every name in it is one draw, in the order it appears (S: a subject,
# I: an intensifier or nothing, A / B: an adjective of the label's / the other side, N: a negation).
_SEN_EN_TEMPLATES = ("{S} was {I}{A}", "{S} was {N} {B}", "{S} was {I}{B} but {S} was {I}{A}",
                     "i thought {S} would be {B} but it was {I}{A}", "i did not think {S} was {B}",
                     "{S} was {A} and {S} was {I}{A}")


# Korean reviews: the same design; the negation comes after the adjective (좋지 않았다), and "A지만 B"
# takes B's side.
_SEN_KO_SUBJECTS = ("영화", "이야기", "음악", "연기", "결말", "배우", "줄거리", "화면")
_SEN_KO_ADJS = {1: (("좋았다", "좋"), ("재미있었다", "재미있"), ("훌륭했다", "훌륭하"), ("멋졌다", "멋지"),
                    ("신선했다", "신선하"), ("감동적이었다", "감동적이")),
                0: (("나빴다", "나쁘"), ("지루했다", "지루하"), ("실망스러웠다", "실망스럽"), ("지겨웠다", "지겹"),
                    ("엉성했다", "엉성하"), ("뻔했다", "뻔하"))}
_SEN_KO_INTENS = ("", "정말 ", "아주 ", "꽤 ")


# Korean adjectives have two forms, past tense and stem: A / B the past tense (좋았다), Ac / Bc the past
# tense without 다 (좋았 + 지만), As / Bs the stem (좋 + 지 않았다).
_SEN_KO_TEMPLATES = ("{S} {I}{A}", "{S} {Bs}지 않았다", "{S} {I}{Bc}지만 {S} {I}{A}", "{S} {Bs}지 않았고 {S} {I}{A}",
                     "{S} {Ac}고 {S} {I}{A}")


def _review(templates: tuple[str, ...], words: dict, rng: random.Random, label: int) -> str:
    """One review: a random template, each of its names replaced by a fresh draw of `words[name](rng, side)`,
    left to right (side: 1 for the label's adjectives, 0 for the other side's)."""
    template = templates[rng.randrange(len(templates))]
    return re.sub(r"\{(\w+)\}", lambda m: words[m.group(1)](rng, label), template)


def _adjective(adjs: dict, other: bool, form=lambda a: a):
    return lambda rng, label: form(rng.choice(adjs[1 - label if other else label]))


_EN_WORDS = {"S": lambda rng, _: rng.choice(_SEN_EN_SUBJECTS), "I": lambda rng, _: rng.choice(_SEN_EN_INTENS),
             "N": lambda rng, _: rng.choice(("not", "never")), "A": _adjective(_SEN_EN_ADJS, False),
             "B": _adjective(_SEN_EN_ADJS, True)}
_KO_WORDS = {"S": lambda rng, _: josa(rng.choice(_SEN_KO_SUBJECTS), "이가"),
             "I": lambda rng, _: rng.choice(_SEN_KO_INTENS),
             **{f"{k}{f}": _adjective(_SEN_KO_ADJS, k == "B", form)
                for k in "AB" for f, form in (("", lambda a: a[0]), ("c", lambda a: a[0][:-1]), ("s", lambda a: a[1]))}}


def _sentiment_en(rng: random.Random, label: int) -> str:
    return _review(_SEN_EN_TEMPLATES, _EN_WORDS, rng, label)


def _sentiment_ko(rng: random.Random, label: int) -> str:
    return _review(_SEN_KO_TEMPLATES, _KO_WORDS, rng, label)


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
    check_row_count(n_rows, len(rows), max_rows, MIN_LABELLED_ROWS)
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
