"""Vocab, text cleaning and validation, and the next-character task."""
from __future__ import annotations

import unicodedata

import pytest
import torch

import rnnviz
from rnnviz.data.text import MAX_TEXT_CHARS, MAX_VOCAB, TextError, Vocab, clean_text, validate_text


def test_vocab_is_unique_chars_in_order_of_first_appearance():
    """As the lecture notes number them: "hello" gives h = [1 0 0 0], e = [0 1 0 0], l, o."""
    assert Vocab.from_text("hello").chars == ("h", "e", "l", "o")
    v = Vocab.from_text("hello world")
    assert v.chars == ("h", "e", "l", "o", " ", "w", "r", "d") and v.size == 8
    k = Vocab.from_text("오늘 주가가 어때?")
    assert k.chars == ("오", "늘", " ", "주", "가", "어", "때", "?")
    assert Vocab.from_text("hello world", order="sorted").chars == (" ", "d", "e", "h", "l", "o", "r", "w")
    with pytest.raises(ValueError, match="order"):
        Vocab.from_text("ab", order="random")


@pytest.mark.parametrize("text", ["hello world", "오늘 주가가 어때?", "a\tb\nc 한글 ABC"])
def test_encode_decode_round_trip(text):
    v = Vocab.from_text(text)
    ids = v.encode(text)
    assert ids.dtype == torch.long and ids.shape == (len(text),)
    assert int(ids.min()) >= 0 and int(ids.max()) < v.size
    assert v.decode(ids) == text
    assert v.decode(ids.tolist()) == text
    assert [v.chars[i] for i in ids.tolist()] == list(text)


def test_encode_ids_follow_the_vocabulary_order():
    assert Vocab.from_text("cab").encode("abcab").tolist() == [1, 2, 0, 1, 2]
    assert Vocab.from_text("cab", order="sorted").encode("abcab").tolist() == [0, 1, 2, 0, 1]


def test_encode_rejects_unknown_characters():
    v = Vocab.from_text("hello")
    with pytest.raises(ValueError, match="z"):
        v.encode("hez")


def test_nfc_normalisation_of_hangul():
    composed = "한국어 주가"
    decomposed = unicodedata.normalize("NFD", composed)
    assert decomposed != composed and len(decomposed) > len(composed)   # really jamo
    assert validate_text(decomposed) == composed
    assert clean_text(decomposed) == composed
    v1, x1, y1 = rnnviz.next_char_task(decomposed)
    v2, x2, y2 = rnnviz.next_char_task(composed)
    assert v1 == v2 and torch.equal(x1, x2) and torch.equal(y1, y2)
    assert v1.decode(x1) == composed[:-1]


def test_control_characters_dropped_newline_and_tab_kept():
    assert clean_text("a\x00b\x07c\x1bd\u200be") == "abcde"
    assert clean_text("a\tb\nc") == "a\tb\nc"
    assert clean_text("a\r\nb\rc") == "a\nb\nc"
    assert validate_text("he\x00llo\x7f") == "hello"
    vocab, x, _ = rnnviz.next_char_task("ab\x01ab\x02")
    assert vocab.chars == ("a", "b")


@pytest.mark.parametrize("text,code", [
    ("", "empty"),
    ("\x00\x01", "empty"),          # nothing left after cleaning
    ("a", "short"),
    ("a\x00", "short"),
    ("a" * (MAX_TEXT_CHARS + 1), "long"),
    ("".join(chr(0xAC00 + i) for i in range(MAX_VOCAB + 1)), "vocab"),
], ids=["empty", "only-control", "one-char", "one-char-after-cleaning", "too-long", "too-many-distinct"])
def test_validate_text_rejects(text, code):
    with pytest.raises(ValueError) as err:
        validate_text(text)
    assert isinstance(err.value, TextError) and err.value.code == code
    assert str(err.value)
    with pytest.raises(ValueError):
        rnnviz.next_char_task(text)


@pytest.mark.parametrize("value", [None, 123, b"hello", ["h", "i"]])
def test_validate_text_rejects_non_str(value):
    with pytest.raises(ValueError) as err:
        validate_text(value)
    assert err.value.code == "type"


def test_validate_text_limits_are_inclusive():
    assert validate_text("ab") == "ab"
    assert len(validate_text("a" * MAX_TEXT_CHARS)) == MAX_TEXT_CHARS
    many = "".join(chr(0xAC00 + i) for i in range(MAX_VOCAB))
    assert validate_text(many) == many
    with pytest.raises(ValueError):
        validate_text("abc", max_chars=2)


def test_long_error_carries_params():
    with pytest.raises(TextError) as err:
        validate_text("x" * (MAX_TEXT_CHARS + 5))
    assert err.value.params == {"n": MAX_TEXT_CHARS + 5, "limit": MAX_TEXT_CHARS}


def test_next_char_task_hello():
    vocab, x, y = rnnviz.next_char_task("hello")
    assert vocab.chars == ("h", "e", "l", "o")                 # h = [1 0 0 0], as the lecture notes write it
    assert [vocab.chars[i] for i in x.tolist()] == ["h", "e", "l", "l"]
    assert [vocab.chars[i] for i in y.tolist()] == ["e", "l", "l", "o"]
    assert x.tolist() == [0, 1, 2, 2] and y.tolist() == [1, 2, 2, 3]
    assert x.dtype == y.dtype == torch.long


def test_next_char_task_korean():
    text = "오늘 주가가 어때?"
    vocab, x, y = rnnviz.next_char_task(text)
    assert x.shape == y.shape == (len(text) - 1,)
    assert vocab.decode(x) == text[:-1] and vocab.decode(y) == text[1:]
    assert torch.equal(x[1:], y[:-1])


def test_every_input_error_of_the_library_is_one_rnnviz_error():
    """One error base: TextError, DataError, CheckpointError and UnknownCharsError are RnnvizErrors (so
    ValueErrors) with a code, parameters and a translation key; the UI words each through one function."""
    from rnnviz.app.stepthrough import UnknownCharsError
    from rnnviz.data import DataError
    from rnnviz.data.text import TextError
    from rnnviz.errors import RnnvizError
    from rnnviz.i18n import TEXT
    from rnnviz.nn.checkpoint import CheckpointError
    for cls, domain in ((TextError, "text"), (DataError, "data"), (CheckpointError, "checkpoint"),
                        (UnknownCharsError, "text")):
        assert issubclass(cls, RnnvizError) and issubclass(cls, ValueError) and cls.domain == domain
    with pytest.raises(TextError) as info:
        rnnviz.validate_text("x" * 5000)
    e = info.value
    assert (e.code, e.params, e.key) == ("long", {"n": 5000, "limit": 2000}, "err.text.long") and e.key in TEXT
    u = UnknownCharsError("ß")
    assert (u.key, u.params, u.missing) == ("err.text.unknown_chars", {"missing": "ß"}, "ß")
    assert "ß" in str(u) and not u.specific
    d = DataError("the file 'a.csv' is empty", code="empty")
    assert d.key == "err.data.empty" and not d.specific and str(d) == "the file 'a.csv' is empty"


def test_the_ui_words_every_library_error_through_one_function():
    import ui
    from rnnviz.app.stepthrough import UnknownCharsError
    from rnnviz.data import DataError
    from rnnviz.data.text import TextError
    long = TextError("the training text has 9 characters; the limit is 2", code="long", n=9, limit=2)
    assert ui.error_message(long, "en") == "the text has 9 characters; the limit is 2."
    assert "9" in ui.error_message(long, "ko") and "2" in ui.error_message(long, "ko")
    assert ui.error_message(UnknownCharsError("ß"), "ko") == "모델이 본 적 없는 글자: ß"
    empty = DataError("the file 'a.csv' is empty", code="empty")
    assert ui.error_message(empty, "ko") == "파일이 비어 있습니다."                     # no English appended
    rows = DataError("the CSV file has 3 rows; at least 10 are needed", code="too_few_rows", n=3, need=10)
    assert ui.error_message(rows, "ko") == "파일의 행이 3개뿐입니다. 적어도 10개가 필요합니다."   # its specifics, translated
    assert ui.error_message(rows, "en") == "the file has 3 rows; at least 10 are needed."
    odd = DataError("n must be an integer between 1 and 9, not 0", code="no_such_key_in_the_table")
    assert ui.error_message(odd, "ko") == str(odd)                                       # no entry: the message
    assert ui.error_message(ValueError("plain"), "ko") == "plain"
