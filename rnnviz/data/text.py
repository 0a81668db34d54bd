"""Text -> characters -> integer ids, for any Unicode text (Korean as well as English).

A `Vocab` is the sorted set of distinct characters of a text. `next_char_task(text)` turns a text
into the classic many-to-many next-character task: inputs text[:-1], targets text[1:]
("hello" -> h→e, e→l, l→l, l→o).
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..errors import RnnvizError

if TYPE_CHECKING:
    import torch

MAX_TEXT_CHARS = 2000   # longest training text a user may type (bounded: the server is shared)
MAX_VOCAB = 256         # most distinct characters in one vocabulary


@dataclass(frozen=True)
class Vocab:
    chars: tuple[str, ...]  # id -> character

    @classmethod
    def from_text(cls, text: str, order: str = "first") -> "Vocab":
        """The distinct characters of `text`, in the order they first appear ("first": "hello" gives h, e, l, o,
        so h is [1 0 0 0] as the lecture notes write it) or sorted ("sorted": easier to find one among many)."""
        if order not in ("first", "sorted"):
            raise ValueError(f"order must be 'first' or 'sorted', not {order!r}")
        return cls(tuple(dict.fromkeys(text)) if order == "first" else tuple(sorted(set(text))))

    @property
    def size(self) -> int:
        return len(self.chars)

    def encode(self, text: str) -> torch.Tensor:
        """text (T chars) -> LongTensor (T,). Raises ValueError on a character not in the vocab."""
        index = {c: i for i, c in enumerate(self.chars)}
        missing = sorted({c for c in text if c not in index})
        if missing:
            raise ValueError(f"characters not in the vocabulary: {''.join(missing)!r}")
        import torch  # here, not at the top: pages use this module before torch is loaded
        return torch.tensor([index[c] for c in text], dtype=torch.long)

    def decode(self, ids) -> str:
        return "".join(self.chars[int(i)] for i in ids)


def show_char(c: str) -> str:
    """A printable label for a character on an axis or in a table (space, newline, tab visible)."""
    return {" ": "␣", "\n": "↵", "\t": "⇥", "\r": "␍"}.get(c, c)


def clean_text(text: str) -> str:
    """Normalise user text: NFC (so Hangul typed as jamo and as syllables agree), no control chars
    other than newline and tab, Windows newlines folded."""
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    return "".join(c for c in text if c in "\n\t" or unicodedata.category(c)[0] != "C")


class TextError(RnnvizError):
    """A text that cannot be trained on (translation key "err.text.<code>", which says all the message says)."""
    domain = "text"
    specific = False


def validate_text(text: str, max_chars: int = MAX_TEXT_CHARS) -> str:
    """Return the cleaned text or raise TextError (a ValueError) with a message a user can act on."""
    if not isinstance(text, str):
        raise TextError(code="type", message="the training text must be a string")
    text = clean_text(text)
    if len(text) == 0:
        raise TextError(code="empty", message="the training text is empty")
    if len(text) < 2:
        raise TextError(code="short", message="the training text needs at least 2 characters (one input and its next character)")
    if len(text) > max_chars:
        raise TextError(code="long", message=f"the training text has {len(text)} characters; the limit is {max_chars}",
                        n=len(text), limit=max_chars)
    n = len(set(text))
    if n > MAX_VOCAB:
        raise TextError(code="vocab", message=f"the text has {n} distinct characters; the limit is {MAX_VOCAB}", n=n, limit=MAX_VOCAB)
    return text


def next_char_task(text: str) -> tuple[Vocab, torch.Tensor, torch.Tensor]:
    """text -> (vocab, x (T,), y (T,)) with T = len(text) - 1 and y[t] the character after x[t]."""
    text = validate_text(text)
    vocab = Vocab.from_text(text)
    ids = vocab.encode(text)  # (T+1,)
    return vocab, ids[:-1], ids[1:]
