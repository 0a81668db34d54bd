"""Built-in pretrained models ("presets"): trained once by `scripts/train_presets.py`, shipped as small
safetensors files in assets/presets/, loaded in milliseconds.

    p = load_preset("brackets_lstm")
    tr = trace(p.model, p.ids)              # step through the sample text
    for note in p.unit_notes: ...            # unit 12 tracks "inside quotes", r = 0.8

Every call returns a fresh model (nothing is cached), so a page may change it freely.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import torch

from .checkpoint import CheckpointError, load_checkpoint
from .model import CharRNN
from .text import Vocab

PRESET_DIR = Path(__file__).resolve().parents[1] / "assets" / "presets"

# name -> description, in every language of the app (kept here, not in the i18n table)
PRESETS: dict[str, dict[str, str]] = {
    "brackets_lstm": {
        "en": "LSTM (64 units) trained on lines of words with nested (round) and [square] brackets and "
              "\"quoted phrases\". To predict the next character it must remember how deep in brackets it is "
              "and whether a quote is open: some units do exactly that.",
        "ko": "중첩된 (둥근) 괄호와 [대괄호], \"따옴표 구절\"이 들어간 문장으로 학습한 LSTM(유닛 64개). 다음 글자를 "
              "맞히려면 괄호가 몇 겹 열려 있는지, 따옴표 안인지 기억해야 하며, 실제로 그 일을 하는 유닛이 있습니다.",
    },
    "korean_gru": {
        "en": "GRU (32 units) trained on simple Korean sentences such as \"오늘 주가가 어때?\" "
              "(How is the stock price today?) and \"어제 주가가 어때?\".",
        "ko": "\"오늘 주가가 어때?\", \"어제 주가가 어때?\" 같은 간단한 한국어 문장으로 학습한 GRU(유닛 32개).",
    },
}

# the text each preset shows first: in its training distribution, every character in its vocabulary
SAMPLE_TEXTS: dict[str, str] = {
    "brackets_lstm": 'set x (a [big (cat)] dog) "go home" now\nif (we [say "hi there" (to [them])]) "come back" ok',
    "korean_gru": "오늘 주가가 어때?\n어제 주가가 어때?",
}

# what a noted unit tracks, per language
TRACKS: dict[str, dict[str, str]] = {
    "inside_quotes": {"en": "inside \"quotes\"", "ko": "따옴표 안"},
    "bracket_depth": {"en": "bracket depth", "ko": "괄호 깊이"},
}


@dataclass(frozen=True)
class UnitNote:
    unit: int          # index into the hidden layer (0-based)
    state: str         # "h" (hidden state) or "c" (LSTM cell state)
    tracks: str        # a key of TRACKS, also the name of the ground-truth function in rnnviz.corpus
    r: float           # Pearson correlation on a held-out generated text, measured at training time

    def label(self, lang: str = "en") -> str:
        return TRACKS.get(self.tracks, {}).get(lang) or TRACKS.get(self.tracks, {}).get("en") or self.tracks


@dataclass
class Preset:
    name: str
    model: CharRNN
    vocab: Vocab
    text: str                                    # a sample text to show, covered by the vocabulary
    meta: dict                                   # training record from the file (corpus, seed, steps, loss, ...)
    unit_notes: list[UnitNote] = field(default_factory=list)

    @property
    def ids(self) -> torch.Tensor:
        """(T,) the sample text as input ids."""
        return self.vocab.encode(self.text)

    def description(self, lang: str = "en") -> str:
        d = PRESETS[self.name]
        return d.get(lang) or d["en"]


def load_preset(name: str, device: str | torch.device = "cpu") -> Preset:
    """A fresh copy of a built-in model. Raises ValueError for an unknown name, CheckpointError for a
    missing or damaged file."""
    if name not in PRESETS:
        raise ValueError(f"unknown preset {name!r}; choose one of {', '.join(PRESETS)}")
    model, vocab, meta = load_checkpoint(PRESET_DIR / f"{name}.safetensors", device=device)
    notes = []
    for u in meta.get("units", []):
        try:
            note = UnitNote(unit=int(u["unit"]), state=str(u["state"]), tracks=str(u["tracks"]), r=float(u["r"]))
        except (KeyError, TypeError, ValueError):
            raise CheckpointError(f"preset {name}: malformed unit note {u!r}") from None
        if not 0 <= note.unit < model.cfg.hidden_size or note.state not in ("h", "c"):
            raise CheckpointError(f"preset {name}: unit note {u!r} does not fit the model")
        notes.append(note)
    return Preset(name=name, model=model, vocab=vocab, text=SAMPLE_TEXTS[name], meta=meta, unit_notes=notes)
