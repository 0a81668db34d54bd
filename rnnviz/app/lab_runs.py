"""The lab's trained models, ready for a lecture: shipped checkpoints for every task's default settings, and
one training per setting for a whole class.

A lab task trains three or four models for up to a minute. A scene of a lecture must show its result
within a second, so:

- `scripts/train_lab.py` trains every task with built-in data at the page's default settings and stores
  the models and their training records in `assets/lab/<task>.safetensors` (weights only, never
  unpickled; `rnnviz.nn.checkpoint.save_models`). The file also stores a `fingerprint` of what it was
  trained on (the data, the recipe, the initial weights): a test checks it against the code, so a
  change of recipe or data that makes the file stale fails the tests until the script is run again.
- `lab_run(setting)` returns the run for a setting: the shipped one, or one trained by any session of
  this server with the same settings (CPU training is deterministic), or None. `train_lab_run` trains
  live and keeps the finished run for everyone. Every caller gets its own copy.

A `LabSetting` is what the page's widgets choose: the task, its built-in data (`BUILTIN`) and the
training budget. Uploaded data is never shared or shipped.
"""
from __future__ import annotations

import copy
import dataclasses
import functools
import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from .. import data as D
from ..nn.checkpoint import CheckpointError, load_models, read_models_meta, save_models
from ..service.jobs import load_arrays
from ..training.fit import CellRun, FitResult
from .cache import SharedCache
from .lab import CELLS_OF, DEFAULT_STEPS, LabTask, build_task, train_cells

READY_DIR = Path(__file__).resolve().parents[2] / "assets" / "lab"
READY_FORMAT = 1
# The built-in data each task can train on, the page's default first. The MNIST rows need the user's files.
BUILTIN = {"mnist1d": ("mnist1d",), "charlm": ("english", "korean"), "seq2seq": ("reverse", "copy"),
           "timeseries": ("trend_seasonal", "noisy_sine", "random_walk_stock"), "textclf": ("en", "ko"),
           "memory": ("delayed_recall",)}
MAX_UPLOAD_CHARS = 200_000   # an uploaded corpus is cut to this many characters


@dataclass(frozen=True)
class DataChoice:
    """How the lab page offers a task's data: a radio (`label`, the choices' translation keys `prefix.<choice>`)
    over the built-in data and, with `upload` (its label's key), an upload of `types`, read by
    `parse(bytes, *fields)` after the text inputs `fields` ((label key, default), ...); `about.<choice>` (or
    `about` itself for a task without a choice) is a caption under it."""
    label: str | None = None
    prefix: str | None = None
    about: str | None = None
    upload: str | None = None
    types: tuple[str, ...] = ()
    fields: tuple[tuple[str, str], ...] = ()
    parse: object = None

    def choices(self, task: str) -> list[str]:
        return list(BUILTIN.get(task, ())) + (["upload"] if self.upload else [])


DATA_CHOICES = {
    "mnist1d": DataChoice(about="lab.mnist1d.about"),
    "memory": DataChoice(about="lab.memory.about"),
    "charlm": DataChoice("lab.corpus", "lab.corpus", upload="lab.upload_text", types=("txt",),
                         parse=lambda b: D.load_text_upload(b)[:MAX_UPLOAD_CHARS]),
    "seq2seq": DataChoice("lab.seq2seq.mode", "lab.seq2seq"),
    "timeseries": DataChoice("lab.series", "lab.series", "lab.series.about", "lab.upload_csv", ("csv", "txt"),
                             (("lab.csv_column", "close"),), D.parse_csv_column),
    "textclf": DataChoice("lab.textset", "lab.textset", None, "lab.upload_csv", ("csv", "txt"),
                          (("lab.text_col", "text"), ("lab.label_col", "label")), D.parse_labelled_csv),
}                            # mnist_rows: the user's IDX files or a download, the page's own widgets
SHARED_LAB_RUNS = 8     # finished runs kept per server (the largest, MNIST-1D with its data, holds about 2 MB)


@dataclass(frozen=True)
class LabSetting:
    task: str
    data: str           # one of BUILTIN[task]
    steps: int

    @classmethod
    def default(cls, task: str) -> "LabSetting":
        return cls(task, BUILTIN[task][0], DEFAULT_STEPS[task])

    def validate(self) -> "LabSetting":
        if self.task not in BUILTIN:
            raise ValueError(f"a lab setting's task must be one of {', '.join(BUILTIN)}, not {self.task!r}")
        if self.data not in BUILTIN[self.task]:
            raise ValueError(f"the {self.task} task's built-in data is one of {', '.join(BUILTIN[self.task])}, "
                             f"not {self.data!r}")
        return self


def builtin_source(task: str, data: str):
    """The `source` of `build_task` for built-in data (None: the task's own default)."""
    LabSetting(task, data, DEFAULT_STEPS.get(task, 600)).validate()
    if task == "charlm":
        return D.CHAR_CORPORA[data](5000 if data == "english" else 3000, 0)
    if task == "timeseries":
        return getattr(D, data)(1200, 0)
    if task == "textclf":
        return D.sentiment_texts(data, 400, 0)
    if task == "seq2seq":
        return data
    return None


def build(setting: LabSetting) -> LabTask:
    setting.validate()
    return build_task(setting.task, steps=setting.steps, source=builtin_source(setting.task, setting.data))


def fingerprint(task: LabTask) -> str:
    """A digest of everything a task's training depends on: its data, its recipe (every FitConfig), its
    models' shapes and initial weights. Equal digests, equal trainings (on the same machine and torch)."""
    h = hashlib.sha256()
    for t in (*task.train, *task.val):
        h.update(str((t.dtype, tuple(t.shape))).encode())
        h.update(t.contiguous().numpy().tobytes())
    h.update(repr((task.name, task.kind, task.classes, task.fit, sorted(task.cell_fit.items()))).encode())
    for cell in CELLS_OF[task.name]:
        for k, v in task.make_model(cell).state_dict().items():
            h.update(k.encode())
            h.update(v.detach().float().contiguous().numpy().tobytes())
    return h.hexdigest()


def ready_path(task: str) -> Path:
    return READY_DIR / f"{task}.safetensors"


def save_ready(setting: LabSetting, task: LabTask, runs: dict[str, CellRun], path: Path | None = None) -> bytes:
    """Store a finished run (`scripts/train_lab.py`). Refuses a run that was stopped or cut short."""
    unfinished = [c for c, r in runs.items() if r.result.status not in ("done", "target")]
    if set(runs) != set(CELLS_OF[setting.task]) or unfinished:
        raise CheckpointError(f"only a finished run of every cell is shipped; not finished: {unfinished or 'missing cells'}")
    meta = {"ready_format": READY_FORMAT, "setting": dataclasses.asdict(setting), "fingerprint": fingerprint(task),
            "torch": torch.__version__, "results": {c: dataclasses.asdict(r.result) for c, r in runs.items()}}
    return save_models(ready_path(setting.task) if path is None else path, {c: r.model for c, r in runs.items()}, meta)


@functools.lru_cache(maxsize=16)
def _meta_of(path: str, mtime_ns: int, size: int) -> dict:
    return read_models_meta(path)[1]


def ready_meta(task: str) -> dict | None:
    """The shipped file's meta for `task` (read once per version of the file), or None when there is none."""
    path = ready_path(task)
    if not path.exists():
        return None
    st = path.stat()
    return copy.deepcopy(_meta_of(str(path), st.st_mtime_ns, st.st_size))


def load_ready(setting: LabSetting) -> dict | None:
    """The shipped run of `setting` ({"task": LabTask, "results": {cell: CellRun}, "source": "ready"}), or None
    when no file was shipped for exactly these settings."""
    setting.validate()
    meta = ready_meta(setting.task)
    if meta is None or meta.get("setting") != dataclasses.asdict(setting):
        return None
    task = build(setting)
    models = {cell: task.make_model(cell) for cell in CELLS_OF[setting.task]}
    meta = load_models(ready_path(setting.task), models)
    results = {}
    for cell, model in models.items():
        fields = {f.name for f in dataclasses.fields(FitResult)}
        rec = meta["results"][cell]
        if set(rec) != fields:
            raise CheckpointError(f"the {cell} training record's fields do not match FitResult")
        results[cell] = CellRun(model, FitResult(**rec))
    return {"task": task, "results": results, "source": "ready"}


# ---- one run per setting for a whole class -----------------------------------------------------------------
_shared = SharedCache(SHARED_LAB_RUNS)


def lab_run(setting: LabSetting) -> dict | None:
    """A private copy of the run kept for `setting` on this server (shipped, or trained by a session), or None.
    The first call for a shipped setting loads the file (build the task's data, load the weights); every
    later one copies."""
    setting.validate()
    run, _ = _shared.get_or_build(setting, lambda: load_ready(setting), keep=lambda r: r is not None)
    return run


def train_run(task: LabTask, on_step=None, device: str = "cpu", into: dict | None = None) -> dict:
    """Train every cell of `task` live, one after the other (`train_cells`, `on_step(cell, Progress)`). Each
    finished cell's CellRun goes into `into` (the caller's, e.g. a session's) as soon as it is done, so a run
    interrupted by a rerun keeps the cells it finished. Returns {"task", "results", "source": "trained"}."""
    results = {} if into is None else into
    for cell in CELLS_OF[task.name]:
        results.update(train_cells(task, (cell,), on_step=on_step, device=device))
        if results[cell].result.status == "stopped":
            break
    return {"task": task, "results": results, "source": "trained"}


def train_lab_run(setting: LabSetting, on_step=None, device: str = "cpu", into: dict | None = None,
                  task: LabTask | None = None) -> dict:
    """`train_run` on a setting's built-in data (`task`: `build(setting)` when the caller has built it already);
    a finished CPU run is kept for every session with the same settings (a stopped, cut-short or CUDA run is not)."""
    run = train_run(build(setting) if task is None else task, on_step, device, into)
    keep_lab_run(setting, run, device)
    return run


def keep_lab_run(setting: LabSetting, run: dict, device: str = "cpu") -> None:
    """Keep a finished CPU run of `setting` for every session (a copy: the caller's models stay its own)."""
    finished = (str(device) == "cpu" and set(run["results"]) == set(CELLS_OF[setting.task])
                and all(r.result.status in ("done", "target", "diverged") for r in run["results"].values()))
    if finished:
        _shared.get_or_build(setting, lambda: copy.deepcopy(dict(run, source="shared")))


# ---- through the training service (`rnnviz.service.run.run_job`, job kind "lab") -----------------------------
def plain_source(task: str, source):
    """The user's data of a task (`build_task`'s `source`) as plain data for a job's payload."""
    if isinstance(source, D.LabelledTexts):
        return {"texts": list(source.texts), "labels": np.asarray(source.labels), "classes": list(source.classes)}
    if task == "mnist_rows" and source is not None:
        return [np.asarray(source[0]), np.asarray(source[1])]
    return source


def task_of_payload(payload: dict) -> LabTask:
    """The LabTask of a "lab" job's payload (see `lab_payload`)."""
    if "setting" in payload:
        return build(LabSetting(**payload["setting"]))
    source = payload["source"]
    if isinstance(source, dict):
        source = D.LabelledTexts(tuple(source["texts"]), np.asarray(source["labels"]), tuple(source["classes"]))
    elif payload["task"] == "mnist_rows" and source is not None:
        source = (source[0], source[1])
    return build_task(payload["task"], steps=payload["steps"], source=source)


def lab_payload(setting: LabSetting | None, task: str, steps: int, source=None) -> dict:
    """A "lab" job's payload: the built-in data's setting, or the task, its budget and the user's data."""
    if setting is not None:
        return {"setting": dataclasses.asdict(setting.validate())}
    return {"task": task, "steps": int(steps), "source": plain_source(task, source)}


def train_lab(task: LabTask, setting: LabSetting | None = None, source=None, into: dict | None = None,
              device: str = "cpu", **job) -> dict:
    """The lab's training as job kind "lab": `train_run(task)` on the training service when there is one (its
    worker builds the same task from the setting or the user's data), else in-process (`job`: `run_job`'s
    keywords; progress carries the cell). The cells trained go into `into` (models rebuilt from their arrays)
    when the job ends, also when it is stopped or the script is rerun. A finished CPU run of a built-in setting
    is kept for every session (`keep_lab_run`). Returns {"task", "results", "source": "trained"}."""
    from ..service.run import run_job
    from .lab import MAX_SECONDS_PAGE
    results = {} if into is None else into
    run = {"task": task, "results": results, "source": "trained"}

    def rebuild(res: dict) -> dict:
        for cell, rec in res.items():
            model = load_arrays(task.make_model(cell).to(device), rec["state"])
            results[cell] = CellRun(model, FitResult(**rec["result"]))
        return run
    steps = setting.steps if setting is not None else task.fit.steps
    run_job("lab", lab_payload(setting, task.name, steps, source), rebuild, device=device,
            deadline_s=min(600.0, len(CELLS_OF[task.name]) * (MAX_SECONDS_PAGE + 5) + 10), **job)
    if setting is not None:
        keep_lab_run(setting, run, device)
    return run


def clear_shared_lab_runs() -> None:
    _shared.clear()


def best_cell(results: dict[str, CellRun]) -> str:
    """The cell with the lowest validation loss (the one the page inspects first)."""
    return min(results, key=lambda c: results[c].result.val_loss if results[c].result.val_loss is not None else np.inf)


# ---- what the page tabulates ---------------------------------------------------------------------------------

def result_rows(task: LabTask, results: dict[str, CellRun]) -> list[dict]:
    """One row per trained cell: validation loss and accuracy (None for a forecast: it has a loss, MSE, and no
    accuracy), steps taken, planned steps when the recipe gives the cell its own budget, seconds, status."""
    rows = []
    for cell, r in results.items():
        res = r.result
        rows.append({"cell": cell, "val_loss": res.val_loss,
                     "accuracy": None if task.kind == "regression" else res.val_accuracy,
                     "steps": res.steps, "own_budget": res.planned_steps if res.planned_steps != task.fit.steps else None,
                     "seconds": res.seconds, "status": res.status})
    return rows


def decode_rows(decoded, symbols: list[str]) -> list[dict]:
    """The seq2seq decoder's steps (`decode_steps`): its input, its greedy output and that output's probability."""
    return [{"step": k + 1, "input": symbols[int(decoded.inputs[k])], "output": symbols[int(decoded.outputs[k])],
             "p": float(decoded.probs[k, int(decoded.outputs[k])])} for k in range(decoded.L)]


def top_rows(task: LabTask, out, y, labels: list[str], k: int = 3) -> list[dict]:
    """The character LM's replay (`per_step_outputs`): per step the input, the target and the top-k next
    characters with their probabilities."""
    from ..data.text import show_char
    top = np.argsort(-out.probs, axis=1)[:, :k]
    return [{"t": i + 1, "input": labels[i], "target": show_char(task.classes[int(y[i])]),
             "top": " · ".join(f"{show_char(task.classes[int(j)])} {out.probs[i, j]:.0%}" for j in top[i])}
            for i in range(out.T)]
