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

from ..data.text import Vocab
from ..i18n import t
from ..nn.checkpoint import CheckpointError, load_checkpoint
from ..nn.model import CharRNN

PRESET_DIR = Path(__file__).resolve().parents[2] / "assets" / "presets"

# the shipped presets; each one's description is the translation "preset.<name>"
PRESETS: tuple[str, ...] = ("brackets_lstm", "korean_gru")

# the text each preset shows first: in its training distribution, every character in its vocabulary
SAMPLE_TEXTS: dict[str, str] = {
    "brackets_lstm": 'set x (a [big (cat)] dog) "go home" now\nif (we [say "hi there" (to [them])]) "come back" ok',
    "korean_gru": "오늘 주가가 어때?\n어제 주가가 어때?",
}

# what a noted unit can track (the name of its ground-truth function in rnnviz.data.preset_corpora); each one's label
# is the translation "preset.tracks.<key>"
TRACKS: tuple[str, ...] = ("inside_quotes", "bracket_depth")


@dataclass(frozen=True)
class UnitNote:
    unit: int          # index into the hidden layer (0-based)
    state: str         # "h" (hidden state) or "c" (LSTM cell state)
    tracks: str        # a key of TRACKS, also the name of the ground-truth function in rnnviz.data.preset_corpora
    r: float           # Pearson correlation on a held-out generated text, measured at training time

    def label(self, lang: str = "en") -> str:
        return t(f"preset.tracks.{self.tracks}", lang) if self.tracks in TRACKS else self.tracks


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
        return t(f"preset.{self.name}", lang)


def load_preset(name: str, device: str | torch.device = "cpu") -> Preset:
    """A fresh copy of a built-in model. Raises ValueError for an unknown name, CheckpointError for a
    missing or damaged file."""
    if name not in PRESETS:
        raise ValueError(f"unknown preset {name!r}; choose one of {', '.join(PRESETS)}")
    model, vocab, meta = load_checkpoint(PRESET_DIR / f"{name}.safetensors", device=device)
    return Preset(name=name, model=model, vocab=vocab, text=SAMPLE_TEXTS[name], meta=meta,
                  unit_notes=unit_notes(meta, model, f"preset {name}"))


def unit_notes(meta: dict, model: CharRNN, where: str = "the checkpoint") -> list[UnitNote]:
    """The unit notes of a checkpoint's meta ("units": [{"unit", "state", "tracks", "r"}, ...]), checked against
    the model: CheckpointError (code "units") for a malformed note or one naming a unit the model lacks."""
    raw = meta.get("units", [])
    if not isinstance(raw, list):
        raise CheckpointError(f"{where}: the unit notes are not a list", code="units")
    notes = []
    for u in raw:
        try:
            note = UnitNote(unit=int(u["unit"]), state=str(u["state"]), tracks=str(u["tracks"]), r=float(u["r"]))
        except (KeyError, TypeError, ValueError):
            raise CheckpointError(f"{where}: malformed unit note {u!r}", code="units") from None
        has_c = model.cfg.cell == "lstm"
        if not 0 <= note.unit < model.cfg.hidden_size or note.state not in (("h", "c") if has_c else ("h",)):
            raise CheckpointError(f"{where}: unit note {u!r} does not fit the model", code="units")
        notes.append(note)
    return notes
