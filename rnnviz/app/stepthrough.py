"""Data behind the step-through page: a model source (the session's own model or a preset), the view
of one input text (trace, PCA, saturation, figures memo), and two-input comparison."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..data.text import TextError, Vocab, clean_text
from ..errors import RnnvizError
from ..figures import step as FS
from ..figures.timeline import timeline_figure
from ..nn.model import CharRNN
from ..tracing import analysis as A
from ..tracing.engine import Trace, trace
from . import cache

MAX_STEP_TEXT = 300    # characters traced on the page (bounded: figures and frames grow with T)
MAX_CORPUS = 3000      # characters of a corpus searched by the match view (one trace, no figures per step)

PAIRS = {  # default inputs for "two sequences side by side", from the lecture notes
    "ko": ("오늘 주가가 어때?", "어제 주가가 어때?"),
    "en": ("hello", "ohell"),
}


class UnknownCharsError(RnnvizError):
    """The text uses characters outside the model's vocabulary (listed in `missing`)."""
    domain = "text"
    specific = False

    def __init__(self, missing: str):
        super().__init__(f"the model has never seen {missing!r}", code="unknown_chars", missing=missing)
        self.missing = missing


@dataclass
class StepSource:
    name: str                  # "hello", "file" (a model file the user opened) or a preset name
    model: CharRNN
    vocab: Vocab
    text: str                  # default input text
    meta: dict
    unit_notes: list           # presets.UnitNote: units worth looking at, what they track, how well
    preset: bool = False       # the model is a shipped preset as loaded: the same for every session
    extras: dict = field(default_factory=dict, repr=False)   # memo for a UI (the model's file for a download)

    @property
    def pair(self) -> tuple[str, str]:
        for a, b in PAIRS.values():
            if set(a + b) <= set(self.vocab.chars):
                return a, b
        text = self.text[:12]
        return text, text[::-1]


@dataclass
class StepView:
    model: CharRNN
    trace: Trace
    chars: list[str]                       # the T input characters
    pca: tuple[np.ndarray, np.ndarray]     # (T, 2) coordinates, (2,) explained variance ratios
    saturation: dict                       # gate -> per-unit shares (see analysis.saturation)
    unit_notes: list
    default_span: tuple[int, int]          # 1-based inclusive span for the pattern search
    shared_key: tuple | None = None        # (preset, text) when every session gets this very view
    _figs: dict = field(default_factory=dict, repr=False)

    @property
    def vocab_chars(self) -> tuple:
        return self._vocab_chars

    @property
    def noted_units(self) -> list[int]:
        return list(dict.fromkeys(int(n.unit) for n in self.unit_notes))

    def csv(self) -> bytes:
        """Every number of the view's trace, one row per step (`rnnviz.tracing.export.trace_csv`)."""
        from ..tracing.export import trace_csv
        return trace_csv(self.trace, self._vocab_chars, self.chars)

    def figure(self, name: str, lang: str):
        """Figures that do not depend on the cursor, built once per language; a preset's, once per server
        (`shared_figure`)."""
        key = (name, lang)
        if key not in self._figs:
            self._figs[key] = (cache.shared_figure(self.shared_key + key, lambda: self._build(name, lang))
                               if self.shared_key else self._build(name, lang))
        return self._figs[key]

    def step_terms(self) -> list[dict]:
        """`analysis.step_terms` of every step (the cell diagram's numbers), computed once per view."""
        if "_terms" not in self._figs:
            self._figs["_terms"] = [A.step_terms(self.model, self.trace, t) for t in range(1, self.trace.T + 1)]
        return self._figs["_terms"]

    def cell_figure(self, units: list[int], lang: str, start: int = 1):
        """The animated cell diagram (`rnnviz.figures.cell`) for these units, opened at `start`; the last few kept."""
        from ..figures.cell import cell_figure
        memo = self._figs.setdefault("_cell", {})
        key = (tuple(units), lang, start)
        if key not in memo:
            if len(memo) >= 6:
                memo.pop(next(iter(memo)))
            memo[key] = cell_figure(self.step_terms(), self.trace.cell_type, self.chars, list(units), lang, start,
                                    self.model.cfg.nonlinearity)
        return memo[key]

    def _build(self, name: str, lang: str):
        tr = self.trace
        if name == "timeline":
            return timeline_figure(tr, self.chars, list(self._vocab_chars), lang,
                                   panels=("states",))     # the vectors at a step: the equations tab
        if name == "sat":
            return FS.saturation_figure({g: (s["left"], s["right"]) for g, s in self.saturation.items()}, lang)
        if name == "unrolled":
            return FS.unrolled_figure(tr.cell_type, self.chars, [self._vocab_chars[i] for i in tr.predictions], lang)
        raise KeyError(name)

    _vocab_chars: tuple = ()


def _best_notes(notes: list) -> list:
    best = {}                                  # per tracked signal, the unit/state with the strongest correlation
    for n in notes:
        if n.tracks not in best or abs(n.r) > abs(best[n.tracks].r):
            best[n.tracks] = n
    return sorted(best.values(), key=lambda n: -abs(n.r))


def source_from_preset(name: str) -> StepSource:
    from .presets import load_preset
    p = load_preset(name)
    return StepSource(name, p.model, p.vocab, p.text, p.meta, _best_notes(p.unit_notes), preset=True)


def source_from_file(data: bytes, device: str = "cpu") -> StepSource:
    """A model file (`rnnviz.nn.checkpoint.save_checkpoint`'s bytes: a download from the Hello playground or this
    page) as the source "file". Everything is checked before a model is built; nothing is unpickled. Raises
    CheckpointError (with a code the page translates) for anything but a well-formed character model file.
    The default text is the file's own ("text" in its meta) when the model knows its characters, else the
    vocabulary itself."""
    from ..nn.checkpoint import load_checkpoint
    from .presets import unit_notes
    model, vocab, meta = load_checkpoint(data, device=device)
    notes = unit_notes(meta, model, "the model file")
    text = meta.get("text")
    try:
        text = encode_known(vocab, text)[0] if isinstance(text, str) else None
    except ValueError:
        text = None
    if text is None:
        chars = "".join(c for c in vocab.chars if c == clean_text(c))
        text = (chars * 2)[:MAX_STEP_TEXT] if len(chars) < 2 else chars[:MAX_STEP_TEXT]
    return StepSource("file", model, vocab, text, meta, _best_notes(notes))


def encode_known(vocab: Vocab, text: str, limit: int = MAX_STEP_TEXT):
    """Clean `text` (at most `limit` characters) and encode it; raise UnknownCharsError / ValueError with a clear
    message."""
    text = clean_text(text)
    if len(text) < 2:
        raise TextError("type at least 2 characters", code="step_short")
    if len(text) > limit:
        raise TextError(f"the text has {len(text)} characters; the limit here is {limit}", code="long",
                        n=len(text), limit=limit)
    missing = "".join(sorted({c for c in text if c not in vocab.chars}))
    if missing:
        raise UnknownCharsError(missing)
    return text, vocab.encode(text)


def prepare_view(source: StepSource, text: str) -> StepView:
    """Trace `text` through the source's model (inputs text[:-1], targets text[1:]) and compute every
    cursor-independent quantity of the page."""
    text, ids = encode_known(source.vocab, text)
    x, y = ids[:-1], ids[1:]
    tr = trace(source.model, x, y)
    chars = list(text[:-1])
    view = StepView(model=source.model, trace=tr, chars=chars, pca=A.pca_2d(tr.hidden),
                    saturation=_saturation(tr), unit_notes=source.unit_notes, default_span=_default_span(text),
                    shared_key=(source.name, text) if source.preset else None)
    view._vocab_chars = source.vocab.chars
    return view


def _saturation(tr: Trace) -> dict:
    out = {}
    for gate, s in A.saturation(tr).items():
        left, right = np.asarray(s["left"]), np.asarray(s["right"])
        out[gate] = {"left": left, "right": right, "left_share": float(s.get("left_share", left.mean())),
                     "right_share": float(s.get("right_share", right.mean()))}
    return out


def _default_span(text: str) -> tuple[int, int]:
    """The steps inside the first quotes if there are any (for the brackets preset), else the middle third.
    Step t reads text[t-1]: the state after the opening quote (t = i + 1) is inside, after the closing
    quote (t = j + 1) outside again."""
    i = text.find('"')
    j = text.find('"', i + 1) if i >= 0 else -1
    if 0 <= i < j - 1 and j < len(text) - 1:
        return i + 1, j
    T = len(text) - 1
    return max(1, T // 3), max(1, 2 * T // 3)


def training_corpus(source: StepSource) -> str | None:
    """The text the source's model was trained on, its first MAX_CORPUS characters (whole lines) where it is
    known: a preset's corpus regenerated from its seed, the Hello model's text; None otherwise."""
    if source.preset and source.meta.get("corpus"):
        from ..data.preset_corpora import CORPORA
        make = CORPORA.get(source.meta["corpus"])
        if make is None:
            return None
        text = make(MAX_CORPUS, int(source.meta.get("corpus_seed", 0)))
        cut = text.rfind("\n", 0, MAX_CORPUS)
        return text[:cut] if cut > 0 else text[:MAX_CORPUS]
    if source.name == "hello":
        return source.text[:MAX_CORPUS]
    return None


def corpus_trace(source: StepSource, text: str) -> dict:
    """A corpus (up to MAX_CORPUS characters, only the model's characters) traced by the source's model:
    {"chars": the characters read, "hidden": (N, H)}. Kept per source for the last few texts."""
    text, ids = encode_known(source.vocab, text, MAX_CORPUS)
    memo = source.extras.setdefault("corpus_traces", {})
    if text not in memo:
        tr = trace(source.model, ids)
        if len(memo) >= 3:
            memo.pop(next(iter(memo)))
        memo[text] = {"chars": list(text), "hidden": tr.hidden}
    return memo[text]


def compare_inputs(source: StepSource, a: str, b: str) -> dict:
    """Run both inputs through the same model; per-step ||h^A_t − h^B_t|| aligned from the start and the end."""
    _, xa = encode_known(source.vocab, a)
    _, xb = encode_known(source.vocab, b)
    ta, tb = trace(source.model, xa), trace(source.model, xb)
    d = A.state_difference(ta, tb)
    return {"trace_a": ta, "trace_b": tb, "from_start": d["start"], "from_end": d["end"]}
