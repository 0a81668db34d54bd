"""Small generated training corpora with a known ground truth, for the built-in preset models.

Every generator takes a `seed` and uses its own `random.Random(seed)`: the same arguments always give
the same text, and the global random state is left alone.

`brackets_quotes` writes short lines of lowercase words with nested round/square brackets and
"double-quoted" phrases, always balanced, so that a model has to keep track of the bracket depth and
of whether it is inside a quote. `bracket_depth` and `inside_quotes` give that state per character,
to compare hidden units against.
"""
from __future__ import annotations

import random

import numpy as np

MAX_DEPTH = 4           # deepest bracket nesting in `brackets_quotes`
MAX_CORPUS_CHARS = 2_000_000

# Every lowercase letter occurs in some word, so a vocabulary built from BRACKETS_ALPHABET covers the corpus.
WORDS = (
    "a an the set x y go home now put box red big old cat dog run jump quick fox lazy over "
    "say hi we them to of if then ok done all mat on in out up stop wait make take give new "
    "hot cold zip quiz jazz key very you it is my your with kid vex wax"
).split()
# Quoted phrases are things someone says, from their own small vocabulary: what comes after a space
# depends on being inside a quote, so a model has a reason to remember it.
QUOTE_WORDS = "go home stay here hi there yes no please thanks help me good bye wow look out come back".split()
BRACKETS_ALPHABET = "\n \"()[]abcdefghijklmnopqrstuvwxyz"   # sorted: the vocabulary of the brackets corpus

OPEN, CLOSE = "([", ")]"


def _check(n_chars, seed) -> None:
    if isinstance(n_chars, bool) or not isinstance(n_chars, int) or not 1 <= n_chars <= MAX_CORPUS_CHARS:
        raise ValueError(f"n_chars must be an integer between 1 and {MAX_CORPUS_CHARS}, not {n_chars!r}")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ValueError(f"seed must be an integer, not {seed!r}")


# ---- brackets and quotes ---------------------------------------------------------------------------

def _quote(rng: random.Random) -> str:
    return '"' + " ".join(rng.choice(QUOTE_WORDS) for _ in range(rng.randint(1, 3))) + '"'


def _items(rng: random.Random, depth: int, n: int) -> list[str]:
    """n space-separated items at bracket depth `depth`: words, quoted phrases, bracket groups."""
    out = []
    for _ in range(n):
        r = rng.random()
        if depth < MAX_DEPTH and r < (0.42 if depth else 0.38):
            k = rng.randrange(2)
            inner = _items(rng, depth + 1, rng.randint(1, 3 if depth < 2 else 2))
            out.append(OPEN[k] + " ".join(inner) + CLOSE[k])
        elif r < 0.58:
            out.append(_quote(rng))
        else:
            out.append(rng.choice(WORDS))
    return out


def brackets_quotes_line(rng: random.Random) -> str:
    """One balanced line (without its newline), e.g. `set x (a [b (c)] d) "go home" now`."""
    while True:
        line = " ".join(_items(rng, 0, rng.randint(2, 5)))
        if 8 <= len(line) <= 90 and ("(" in line or "[" in line):
            return line


def brackets_quotes(n_chars: int = 20000, seed: int = 0) -> str:
    """Lines of lowercase words, nested ( ) and [ ] (depth up to 4) and "quoted phrases", each line
    balanced and ended by a newline. At least `n_chars` characters (whole lines); quotes hold 1-3
    words of `QUOTE_WORDS` only (no brackets, no newline). Characters: `BRACKETS_ALPHABET`."""
    _check(n_chars, seed)
    return lines_to_length(brackets_quotes_line, n_chars, seed)


def lines_to_length(make, n_chars: int, seed: int) -> str:
    """Lines `make(rng)` + newline, from one random.Random(seed), until there are at least n_chars characters."""
    rng = random.Random(seed)
    out, n = [], 0
    while n < n_chars:
        line = make(rng) + "\n"
        out.append(line)
        n += len(line)
    return "".join(out)


def bracket_depth(text: str) -> np.ndarray:
    """(len(text),) int: the bracket depth after reading each character, counting ( and [ as +1, ) and ]
    as -1 (so "(a)" -> [1, 1, 0]). This is what a hidden state h_t, which has read character t, can know."""
    step = np.zeros(len(text), dtype=np.int64)
    for i, c in enumerate(text):
        if c in OPEN:
            step[i] = 1
        elif c in CLOSE:
            step[i] = -1
    return np.cumsum(step)


def inside_quotes(text: str) -> np.ndarray:
    """(len(text),) bool: inside a double-quoted phrase after reading each character; an opening quote
    is True, a closing quote False (so 'a "b" c' -> F F T T F F F)."""
    out = np.zeros(len(text), dtype=bool)
    inside = False
    for i, c in enumerate(text):
        if c == '"':
            inside = not inside
        out[i] = inside
    return out


# ---- Korean ----------------------------------------------------------------------------------------

KO_WHEN = ("오늘", "어제", "내일")
KO_WHAT = ("주가가", "날씨가", "기분이")
KO_HOW = ("어때?", "좋아.", "나빠.", "괜찮아.")
KO_KEY_SENTENCES = ("오늘 주가가 어때?", "어제 주가가 어때?")


def korean_sentences(n_chars: int = 20000, seed: int = 0) -> str:
    """Simple Korean sentences from a small vocabulary, one a line: (오늘|어제|내일) (주가가|날씨가|기분이)
    (어때?|좋아.|나빠.|괜찮아.), sometimes after "그럼 " or "정말 "; "오늘 주가가 어때?" and
    "어제 주가가 어때?" come up often. At least `n_chars` characters (whole lines)."""
    _check(n_chars, seed)
    rng = random.Random(seed)
    lines, n = [], 0
    while n < n_chars:
        r = rng.random()
        if r < 0.2:
            s = rng.choice(KO_KEY_SENTENCES)
        else:
            s = f"{rng.choice(KO_WHEN)} {rng.choice(KO_WHAT)} {rng.choice(KO_HOW)}"
            if r > 0.9:
                s = rng.choice(("그럼 ", "정말 ")) + s
        lines.append(s + "\n")
        n += len(s) + 1
    return "".join(lines)


CORPORA = {"brackets_quotes": brackets_quotes, "korean_sentences": korean_sentences}
