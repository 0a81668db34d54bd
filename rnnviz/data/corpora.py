"""Character corpora (English and Korean, generated) and uploaded text, split and cut into windows for the
character language model."""
from __future__ import annotations

import math
import random
import unicodedata

import numpy as np
import torch

from .base import (MAX_CORPUS_CHARS, MAX_TEXT_UPLOAD_BYTES, MAX_UPLOAD_VOCAB, MAX_WINDOW_T, MAX_WINDOWS, DataError,
                   _bytes_of, _fraction, _int, _seed)
from .preset_corpora import lines_to_length
from .text import clean_text

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
    """An uploaded text file (bytes or an upload object) -> str, cleaned as `rnnviz.data.text.clean_text` does (NFC,
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
