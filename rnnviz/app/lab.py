"""The sequence-tasks lab: every task shape of the lecture notes as one recipe (data, model per cell,
training budget), so the page is widgets -> `build_task` -> `train_cells` -> figures.

Shapes: many-to-one (MNIST-1D, MNIST row by row, text classification), many-to-many (character
language model; memory vs memoryless), one-to-many (generation from one start symbol, on the
character model), sequence-to-sequence (reverse a string), regression (time series).
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field, replace
from typing import Callable

import numpy as np
import torch

from .. import data as D
from ..data.synthetic import N_SPECIAL, memory_demo_task, seq2seq_task
from ..data.text import Vocab, show_char
from ..nn.memoryless import MemorylessModel
from ..nn.model import CELLS, MAX_ONE_HOT, seq_model
from ..nn.seq2seq import Seq2Seq
from ..training.fit import FitConfig, compare_cells

TASKS = ("mnist1d", "mnist_rows", "charlm", "seq2seq", "timeseries", "textclf", "memory")
KIND = {"mnist1d": "many_to_one", "mnist_rows": "many_to_one", "charlm": "many_to_many", "seq2seq": "seq2seq",
        "timeseries": "regression", "textclf": "many_to_one", "memory": "many_to_many"}
HIDDEN = {"mnist1d": 64, "mnist_rows": 64, "charlm": 128, "seq2seq": 64, "timeseries": 32, "textclf": 32, "memory": 32}
DEFAULT_STEPS = {name: 1500 if name in ("mnist1d", "mnist_rows") else 600 for name in TASKS}   # the page's default
CELLS_OF = {name: ("mlp", "rnn", "lstm", "gru") if name == "memory" else ("rnn", "lstm", "gru") for name in TASKS}
MAX_STEPS_PAGE = 3000          # a page's training budget: bounded
MAX_SECONDS_PAGE = 60.0


@dataclass
class LabTask:
    name: str
    kind: str                                   # many_to_one | many_to_many | regression | seq2seq
    train: tuple[torch.Tensor, torch.Tensor]
    val: tuple[torch.Tensor, torch.Tensor]
    make_model: Callable[[str], torch.nn.Module]
    fit: FitConfig
    classes: list[str] | None = None            # class names (many_to_one), or the vocabulary (char LM)
    baseline: dict = field(default_factory=dict)  # id -> value (translation "lab.baseline.<id>"): a loss, or
                                                  # an accuracy for the ids in rnnviz.figures.lab.ACCURACY_BASELINES
    extras: dict = field(default_factory=dict)    # task-specific (vocab, normalisation, series, ...)
    cell_fit: dict = field(default_factory=dict)  # cell -> FitConfig where a cell trains differently
    inputs: str = "steps"                         # what one input step is: chars | words | symbols | signal |
                                                  # image (a row of pixels) | steps (just its number)
    generates: bool = False                       # one-to-many generation from a start symbol (the char LM)

    def fit_for(self, cell: str) -> FitConfig:
        return self.cell_fit.get(cell, self.fit)

    def target(self, y: torch.Tensor):
        """One example's target as `rnnviz.tracing.outputs.per_step_outputs` takes it (a class id for many-to-one)."""
        return int(y) if self.kind == "many_to_one" else y

    def step_labels(self, x: torch.Tensor, T: int) -> list[str]:
        """What the model read at each of the first T steps of one example, for a figure's time axis."""
        if self.inputs == "chars":
            return [show_char(c) for c in self.extras["vocab"].decode(x[:T])]
        if self.inputs == "words":
            return [self.extras["vocab"].words[int(v)] for v in x[:T]]
        if self.inputs == "symbols":
            return [self.classes[int(v)] for v in x[:T]]
        return [str(k) for k in range(1, T + 1)]

    def figure_inputs(self, x: torch.Tensor, y: torch.Tensor, T: int) -> dict:
        """Keyword arguments of `rnnviz.figures.lab.inspect_figure` for one example replayed over T steps: the
        step labels, the input drawn as a signal or an image where it is one, the target at each step."""
        targets = (y.numpy() if self.kind == "many_to_many"
                   else np.full(T, int(y)) if self.kind == "many_to_one" else None)
        return {"labels": self.step_labels(x, T), "targets": targets,
                "signal": x[:T, 0].numpy() if self.inputs == "signal" else None,
                "image": x.numpy() if self.inputs == "image" else None}

    @torch.no_grad()
    def forecasts(self, models: dict[str, torch.nn.Module]) -> dict[str, np.ndarray]:
        """Regression (time series): each model's next-value forecast for every validation window, and the
        naive forecast (the window's last value) under "naive", in the series' own units."""
        if self.kind != "regression":
            raise ValueError(f"only a regression task forecasts, not a {self.kind} task")
        norm, xv = self.extras["norm"], self.val[0]
        last = xv[:, -1, 0].numpy()                             # the target is the change from the last value
        out = {name: (last + m(xv.to(next(m.parameters()).device)).cpu().numpy()[:, 0]) * norm.std + norm.mean
               for name, m in models.items()}
        out["naive"] = last * norm.std + norm.mean
        return out


def _recipe(name: str, steps: int, seed: int, cells=("rnn", "lstm", "gru")):
    """The tuned recipe of RECIPES with the page's step budget: (model kwargs per cell, shared
    FitConfig, FitConfig per cell). Cells that train for longer in the recipe keep that ratio."""
    base = RECIPES[name]["fit"]
    kw, fits = {}, {}
    for cell in cells:
        kw[cell], f = recipe(name, cell)
        fits[cell] = replace(f, steps=min(MAX_STEPS_PAGE, max(10, round(steps * f.steps / base.steps))), seed=seed,
                             deadline_s=MAX_SECONDS_PAGE)
    return kw, replace(base, steps=steps, seed=seed, deadline_s=MAX_SECONDS_PAGE), fits


def _split(x, y, val_fraction=0.2, seed=0):
    idx = torch.randperm(x.shape[0], generator=torch.Generator().manual_seed(seed))
    n_val = max(1, int(round(x.shape[0] * val_fraction)))
    v, t = idx[:n_val], idx[n_val:]
    return (x[t], y[t]), (x[v], y[v])


def build_task(name: str, *, steps: int = 600, hidden: int | None = None, seed: int = 0, source=None,
               cache_dir=None) -> LabTask:
    """The recipe for task `name`. `source`: task data chosen by the user (see each branch); None: the
    built-in default. Raises ValueError (data.DataError for bad data) with a clear message."""
    if name not in TASKS:
        raise ValueError(f"task must be one of {', '.join(TASKS)}, not {name!r}")
    if not isinstance(steps, int) or not 10 <= steps <= MAX_STEPS_PAGE:
        raise ValueError(f"steps must be between 10 and {MAX_STEPS_PAGE}, not {steps!r}")
    H = hidden or HIDDEN[name]
    fit = FitConfig(lr=1e-2, steps=steps, batch_size=64, seed=seed, deadline_s=MAX_SECONDS_PAGE, eval_every=100)
    if name == "mnist1d":
        d = D.mnist1d(cache_dir)
        xtr, xte = torch.from_numpy(d["x_train"])[..., None], torch.from_numpy(d["x_test"])[..., None]   # (N, 40, 1)
        kw, fit, fits = _recipe("mnist1d", steps, seed)
        mk = lambda cell: seq_model("many_to_one", cell, in_features=1, out=10, seed=seed,
                                     **dict(kw[cell], **({"hidden": hidden} if hidden else {})))
        return LabTask(name, "many_to_one", (xtr, torch.from_numpy(d["y_train"])), (xte, torch.from_numpy(d["y_test"])),
                       mk, fit, [str(i) for i in range(10)], {"chance": 0.1}, cell_fit=fits, inputs="signal")
    if name == "mnist_rows":
        if source is None:
            raise D.DataError(code="mnist_missing", message="load MNIST IDX files first (a folder, an upload or a download)")
        images, labels = source                                          # (N, 28, 28) float32, (N,)
        x, y = torch.as_tensor(images), torch.as_tensor(labels).long()
        train, val = _split(x, y, 0.2, seed)
        kw, fit, fits = _recipe("mnist_rows", steps, seed)
        mk = lambda cell: seq_model("many_to_one", cell, in_features=28, out=10, seed=seed,
                                     **dict(kw[cell], **({"hidden": hidden} if hidden else {})))
        return LabTask(name, "many_to_one", train, val, mk, fit, [str(i) for i in range(10)], {"chance": 0.1},
                       cell_fit=fits, inputs="image")
    if name == "charlm":
        text = source or D.english_corpus(5000, seed)
        vocab = Vocab.from_text(text, order="sorted")      # 40-odd characters: sorted, to find one
        if vocab.size > MAX_ONE_HOT:
            raise D.DataError(code="vocab", message=f"the text has {vocab.size} distinct characters; the limit is {MAX_ONE_HOT}",
                              n=vocab.size, limit=MAX_ONE_HOT)
        tr_text, va_text = D.split_text(text, 0.1)
        T = RECIPES["charlm"]["seq_len"]                 # the tuned recipe: 100-character windows, ...
        kw, fit, fits = _recipe("charlm", steps, seed)     # ... LSTM forget bias 1, clipping, cosine schedule
        xtr, ytr = D.char_windows(vocab.encode(tr_text), T, stride=T // 2)
        xva, yva = D.char_windows(vocab.encode(va_text), T, stride=T)
        counts = np.bincount(vocab.encode(tr_text).numpy(), minlength=vocab.size) + 1
        p = counts / counts.sum()
        unigram = float(-(np.log(p[vocab.encode(va_text).numpy()])).mean())
        mk = lambda cell: seq_model("many_to_many", cell, vocab=vocab.size, out=vocab.size, seed=seed,
                                     **dict(kw[cell], hidden=H))
        return LabTask(name, "many_to_many", (xtr.clone(), ytr.clone()), (xva.clone(), yva.clone()), mk, fit,
                       list(vocab.chars), {"uniform": float(np.log(vocab.size)), "unigram": unigram},
                       {"vocab": vocab, "val_text": va_text}, cell_fit=fits, inputs="chars", generates=True)
    if name == "seq2seq":
        mode = source or "reverse"
        src, tgt = seq2seq_task(4000, 1, 6, 4, mode, seed)
        train, val = _split(src, tgt, 0.2, seed)
        mk = lambda cell: Seq2Seq(cell, vocab=N_SPECIAL + 4, hidden=H, seed=seed)
        symbols = ["<pad>", "<bos>", "<eos>", "a", "b", "c", "d"]
        return LabTask(name, "seq2seq", train, val, mk, fit, symbols, {}, {"mode": mode})
    if name == "timeseries":
        series = source if source is not None else D.trend_seasonal(1200, seed)
        series = np.asarray(series, dtype=np.float32)
        tr, va = D.split_series(series, 0.2)
        T = 20
        xtr, ytr, norm = D.windows(tr, T)
        xva, yva, _ = D.windows(series[len(tr) - T:], T, norm)
        # The target is the CHANGE from the window's last value (normalised units): predicting 0 is the naive
        # forecast, so the validation MSE compares with it directly, and a model that has learnt nothing
        # long-range still lands on the naive line instead of far above it (a level read through tanh does
        # not extrapolate past the training range, which a random walk soon leaves).
        mk = lambda cell: seq_model("regression", cell, in_features=1, hidden=H, out=1, seed=seed)
        return LabTask(name, "regression", (xtr, (ytr - xtr[:, -1, 0])[:, None]), (xva, (yva - xva[:, -1, 0])[:, None]),
                       mk, fit, None,
                       {"naive": D.naive_last_value_mse(xva, yva)},
                       {"norm": norm, "series": series, "n_train": len(tr), "T": T}, inputs="signal")
    if name == "textclf":
        data = source or D.sentiment_texts("en", 400, seed)
        vocab = D.build_word_vocab(data.texts, 2000)
        ids, lengths = D.encode_texts(data.texts, vocab, 30)
        y = torch.as_tensor(data.labels).long()
        train, val = _split(ids, y, 0.2, seed)
        C = len(data.classes)
        mk = lambda cell: seq_model("many_to_one", cell, vocab=vocab.size, embed_size=32, hidden=H, out=C, seed=seed,
                                     pad_id=0)
        return LabTask(name, "many_to_one", train, val, mk, fit, list(data.classes),
                       {"chance": float(np.bincount(data.labels).max() / len(data.labels))},
                       {"vocab": vocab, "texts": data.texts}, inputs="words")
    # memory vs memoryless: recall the symbol seen 2 steps ago
    x, y = memory_demo_task(3000, T=12, seed=seed, delay=2, n_symbols=4)
    train, val = _split(x, y, 0.2, seed)

    def mk(cell):
        if cell == "mlp":
            return MemorylessModel("many_to_many", vocab=4, hidden=H, out=4, seed=seed)
        return seq_model("many_to_many", cell, vocab=4, hidden=H, out=4, seed=seed)
    return LabTask(name, "many_to_many", train, val, mk, fit, ["A", "B", "C", "D"],
                   {"memoryless": float(np.log(4))}, inputs="symbols")


def train_cells(task: LabTask, cells=("rnn", "lstm", "gru"), on_step=None, device: str = "cpu") -> dict:
    """Train one model per cell on the task's data with the same seed and batches, each with its recipe's
    settings (`rnnviz.training.fit.compare_cells`). `on_step(cell, Progress)` may return False to stop (the models
    trained so far are kept). Cells: rnn | lstm | gru (| mlp for the memory task). Returns
    {cell: rnnviz.training.fit.CellRun(model, result)}."""
    return compare_cells(lambda cell: task.make_model(cell).to(device), (task.train, task.val),
                           task.fit_for, tuple(cells), on_step=on_step)


def example(task: LabTask, i: int = 0):
    """One validation example: (inputs, target) tensors."""
    x, y = task.val
    i = int(np.clip(i, 0, x.shape[0] - 1))
    return x[i], y[i]

# Default recipes for the page, tuned on one CPU thread (bench/bench_tasks.py records what they reach).
# "model": seq_model keyword arguments for every cell; "cell_model": extra ones for one cell; "fit": the
# FitConfig; "cell_fit": FitConfig fields replaced for one cell; see `recipe`. A plain tanh RNN does not
# learn MNIST-1D at the GRU's learning rate (it stays at chance, 10%), hence its own settings there.
RECIPES: dict[str, dict] = {
    "mnist1d": {      # many_to_one, in_features=1, out=10: 40 steps of one value
        "model": {"hidden": 64},
        "cell_model": {"lstm": {"forget_bias": 1.0}, "rnn": {"hidden": 128}},
        "fit": FitConfig(lr=1e-2, steps=1500, batch_size=64, clip=1.0, deadline_s=60.0, eval_every=250,
                         lr_schedule="cosine"),
        "cell_fit": {"rnn": {"lr": 1e-3, "steps": 3000, "batch_size": 32}},
    },
    "charlm": {      # many_to_many, one-hot characters, windows of seq_len
        "model": {"hidden": 128},
        "cell_model": {"lstm": {"forget_bias": 1.0}},
        "seq_len": 100,
        "fit": FitConfig(lr=1e-2, steps=1000, batch_size=32, clip=1.0, deadline_s=120.0, eval_every=250,
                         lr_schedule="cosine"),
    },
    "mnist_rows": {   # many_to_one, in_features=28, out=10: 28 rows of 28 pixels / 255
        "model": {"hidden": 128},
        "cell_model": {"lstm": {"forget_bias": 1.0}},
        "fit": FitConfig(lr=1e-2, steps=1500, batch_size=64, clip=1.0, deadline_s=60.0, eval_every=250,
                         lr_schedule="cosine"),
    },
}


def recipe(name: str, cell: str) -> tuple[dict, FitConfig]:
    """(seq_model keyword arguments, FitConfig) of a default recipe for one cell. `compare_cells` wants one
    FitConfig for all cells: use `RECIPES[name]["fit"]` there (the shared settings)."""
    if name not in RECIPES:
        raise ValueError(f"recipe must be one of {', '.join(RECIPES)}, not {name!r}")
    if cell not in CELLS:
        raise ValueError(f"cell must be one of {', '.join(CELLS)}, not {cell!r}")
    r = RECIPES[name]
    cfg = dataclasses.replace(r["fit"], **r.get("cell_fit", {}).get(cell, {})).validate()
    return {**r["model"], **r.get("cell_model", {}).get(cell, {})}, cfg


def overfitting(results: dict, rise: float = 1.2, gap: float = 0.05) -> dict[str, tuple[int, float, float]]:
    """Cells whose validation loss rose at the end while training went on: {cell: (the step of the lowest
    validation loss, that loss, the last one)}, for a last loss more than `rise` times the lowest and `gap`
    above it (smaller rises are the noise of a small validation set). The lab says so on the page: a falling
    training loss over a rising validation loss is memorising, not learning."""
    out = {}
    for cell, r in results.items():
        res = getattr(r, "result", r)
        vl = [v for v in res.val_losses if v is not None and math.isfinite(v)]
        if len(vl) < 2 or len(vl) != len(res.val_losses):
            continue
        best = min(range(len(vl)), key=vl.__getitem__)
        if best < len(vl) - 1 and vl[-1] > rise * vl[best] and vl[-1] - vl[best] > gap:
            out[cell] = (int(res.val_steps[best]), float(vl[best]), float(vl[-1]))
    return out
