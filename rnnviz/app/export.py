"""What the pages let a user download: the current model as safetensors (weights; settings, vocabulary and
training record as metadata, `rnnviz.nn.checkpoint`), built once per model however often the page reruns or
the button is pressed.

The pages pass these builders to `st.download_button` as a callable: nothing is serialised until the button is
pressed (Streamlit runs the callable then, on a thread of its own: the builders touch no Streamlit state).
"""
from __future__ import annotations

import dataclasses
import math
import threading
from typing import Callable

_lock = threading.Lock()


def memo(store: dict, key, build: Callable[[], bytes]) -> bytes:
    """store[key], built by `build()` on the first call (a model's memo: `PlaygroundRun.extras`, the lab run)."""
    with _lock:
        if key not in store:
            store[key] = build()
        return store[key]


def json_safe(value):
    """`value` with every non-finite float replaced by None (a diverged run's loss is NaN; JSON has no NaN) and
    tuples as lists."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    return value


def hello_meta(run) -> dict:
    """The Hello run's training record for the file: the text, the settings and how the training went."""
    cfg, res = run.cfg, run.result
    return json_safe({
        "source": "hello", "text": cfg.text,
        "training": {"optimizer": "adam", "lr": cfg.lr, "steps": cfg.steps, "seed": cfg.seed, "hidden": cfg.hidden,
                     "cell": cfg.cell, "full_batch": True},
        "result": {"status": res.status, "steps_done": res.steps, "seconds": round(run.seconds, 3),
                   "final_loss": res.losses[-1] if res.losses else None, "trace_loss": run.trace.loss,
                   "trace_accuracy": run.trace.accuracy},
    })


def hello_model_bytes(run) -> bytes:
    """The Hello playground's model as one safetensors file (loads with `load_checkpoint`, or on the Step page)."""
    from ..nn.checkpoint import save_checkpoint
    return memo(run.extras, "export.model", lambda: save_checkpoint(None, run.model, run.vocab, hello_meta(run)))


def hello_trace_bytes(run) -> bytes:
    """The trace of the training text as CSV (`rnnviz.tracing.export.trace_csv`)."""
    from ..tracing.export import trace_csv
    return memo(run.extras, "export.csv", lambda: trace_csv(run.trace, run.vocab.chars, run.input_chars))


def source_model_bytes(source) -> bytes:
    """A Step page source (a preset, the Hello model, a loaded file) as one safetensors file; its metadata (a
    preset's training record and unit notes, a file's own metadata) goes along, with the source's default text."""
    from ..nn.checkpoint import save_checkpoint
    meta = json_safe({**source.meta, "text": source.text, "source": source.meta.get("source", source.name)})
    return memo(source.extras, ("export.model", id(source.model)),
                lambda: save_checkpoint(None, source.model, source.vocab, meta))


def lab_meta(run: dict) -> dict:
    task, key = run["task"], run["key"]
    setting = key[1] if isinstance(key, tuple) and len(key) == 2 else None
    vocab = task.extras.get("vocab")
    return json_safe({
        "source": "lab", "task": task.name, "kind": task.kind, "inputs": task.inputs,
        "setting": dataclasses.asdict(setting) if dataclasses.is_dataclass(setting) else None,
        "classes": list(task.classes) if task.classes is not None else None,
        "vocab": list(vocab.chars) if vocab is not None and hasattr(vocab, "chars") else None,
        "training": {c: dataclasses.asdict(task.fit_for(c)) for c in run["results"]},
        "results": {c: dataclasses.asdict(r.result) for c, r in run["results"].items()},
    })


def lab_models_bytes(run: dict) -> bytes:
    """Every trained model of a lab run in one file (`save_models`: "<cell>/<weight>" tensors); rebuild the
    models with the task's recipe (`LabTask.make_model`) and `load_models` to use them again."""
    from ..nn.checkpoint import save_models
    store = run.setdefault("export", {})
    cells = tuple(run["results"])
    return memo(store, ("models", cells),
                lambda: save_models(None, {c: r.model for c, r in run["results"].items()}, lab_meta(run)))


def file_stem(*parts) -> str:
    """A safe file name stem from parts ("hello", "lstm", 16 -> "rnnviz-hello-lstm-16")."""
    import re
    text = "-".join(str(p) for p in ("rnnviz", *parts) if p not in (None, ""))
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text)[:80]
