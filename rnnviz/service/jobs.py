"""The job kinds the training service runs in its workers, and the plain-data helpers both sides use.

A kind takes plain data and returns plain data: here a model's state as numpy arrays and the training
record as a dict; the parent rebuilds the model from them (`load_arrays`) and traces it itself."""
from __future__ import annotations

import dataclasses
import time


def state_arrays(model) -> dict:
    """The model's state_dict as numpy arrays (copies, so they pickle on their own)."""
    return {k: v.detach().cpu().numpy().copy() for k, v in model.state_dict().items()}


def load_arrays(model, arrays: dict):
    """Load `state_arrays` output into a freshly built model of the same shape (exactly: no conversion)."""
    import torch
    # arrays from Ray's object store are read-only views: copied (torch wants writable memory)
    model.load_state_dict({k: torch.from_numpy(v if v.flags.writeable else v.copy()) for k, v in arrays.items()})
    model.eval()
    return model


DEVICES = ("cpu", "cuda", "auto")


def job_device(asked: str | None) -> str:
    """The device a job trains on in this worker: "cuda" when asked for ("cuda" or "auto") and
    `torch.cuda.is_available()` here, else "cpu" (a worker without a GPU trains the job on its CPU)."""
    asked = "cpu" if asked is None else str(asked)
    if asked.split(":", 1)[0] not in DEVICES:
        raise ValueError(f"unknown device {asked!r} (known: {', '.join(DEVICES)})")
    if asked == "cpu":
        return "cpu"
    import torch
    if not torch.cuda.is_available():
        return "cpu"
    return "cuda" if asked == "auto" else asked


def hello(payload: dict, ctx) -> dict:
    """The Hello playground's training (`rnnviz.app.playground.train_model`, the function the in-process
    path runs): payload {"cfg": PlaygroundConfig as a dict, "device": "cpu" (default) | "cuda" | "auto",
    "figures": languages (optional)}. Returns {"state" (CPU arrays), "result", "seconds", "device" (the one it
    trained on), "figures": {lang: {name: figure dict}}}.

    The figures (`playground.figure_specs`: the timeline and the loss, ~0.2-0.35 s of plotly's object model per
    run) are built here, from the model the page rebuilds (the same CPU arrays, the same trace), so a class's
    trainings finishing together do not queue their figure builds in the server's one interpreter."""
    from ..app.playground import PlaygroundConfig, figure_specs, train_model
    cfg = PlaygroundConfig(**payload["cfg"])
    device = job_device(payload.get("device") or getattr(ctx, "device", None))   # a worker's, or in-process the page's
    t0 = time.perf_counter()
    _, _, _, model, result = train_model(cfg, device, ctx.on_step, ctx.deadline_s)
    out = {"state": state_arrays(model), "result": dataclasses.asdict(result), "seconds": time.perf_counter() - t0,
           "device": device}
    langs = payload.get("figures") or ()
    if langs:
        out["figures"] = figure_specs(cfg, out, langs)
    return out


def _cell_step(ctx):
    """`on_step(cell, Progress)` of the trainings that go cell by cell: progress with the cell; False once cancelled."""
    def on_step(cell, p):
        ctx.progress(p.step, p.steps, p.loss, cell=cell)
        return False if ctx.cancelled() else None
    return on_step


def vg_heatmaps(payload: dict, ctx) -> dict:
    """The Vanishing Gradients page's "during training" view (`rnnviz.app.vanishing.training_heatmaps`), cell
    by cell: payload {"cfg": GradConfig as a dict, "steps", "deadline_s"}. Returns {cell: {"steps", "rows"
    (numpy arrays), "status", "message"}} for the cells trained (a cancelled job: up to the one it stopped in)."""
    import numpy as np

    from ..app.vanishing import CELLS, GradConfig, training_heatmaps
    cfg = GradConfig(**payload["cfg"]).validate()
    out: dict = {}

    def cb(cell, step, total, loss, row):
        ctx.progress(step, total, loss, cell=cell)
        return False if ctx.cancelled() else None
    for cell in CELLS:
        training_heatmaps(cfg, payload["steps"], (cell,), cb, deadline_s=payload.get("deadline_s", 20.0), into=out)
        if ctx.cancelled():
            break
    return {c: {"steps": [int(s) for s in r["steps"]], "rows": [np.asarray(x) for x in r["rows"]],
                "status": r["status"], "message": r["message"],
                "snapshots": {int(k): v for k, v in r.get("snapshots", {}).items()}} for c, r in out.items()}


def vg_exploding(payload: dict, ctx) -> dict:
    """The exploding-gradient demo (`rnnviz.app.vanishing.exploding_runs`): payload {"steps", "deadline_s"}.
    Returns {"no_clip" | "clip": the run's record without its model and data}."""
    from ..app.vanishing import exploding_runs
    runs = exploding_runs(payload.get("steps", 100), payload.get("deadline_s", 20.0))
    return {name: {k: v for k, v in r.items() if k not in ("model", "x", "y")} for name, r in runs.items()}


def vg_tasks(payload: dict, ctx) -> dict:
    """The long-range tasks' comparison (`rnnviz.app.longrange.compare_cells`): payload {"cfg": TaskConfig as a
    dict}. Returns {"results": `results_json`, "states": {cell: the model's arrays}}."""
    from ..app.longrange import CELLS, TaskConfig, compare_cells, results_json
    cfg = TaskConfig(**payload["cfg"]).validate()
    results: dict = {}
    compare_cells(cfg, CELLS, _cell_step(ctx), into=results)
    return {"results": results_json(results), "states": {c: state_arrays(r.model) for c, r in results.items()}}


def vg_sweep(payload: dict, ctx) -> dict:
    """The length sweep (`rnnviz.app.sweep.sweep`): payload its keyword arguments (task, cells, lengths, steps,
    deadline_s, hidden). Progress after each run (step = runs done); returns {"rows": [SweepRow as a dict],
    "status", "seconds"}."""
    from ..app.sweep import sweep
    kw = dict(payload)
    kw["cells"], kw["lengths"] = tuple(kw["cells"]), tuple(kw["lengths"])
    n = len(kw["cells"]) * len(kw["lengths"])
    done = [0]

    def on_run(row):
        done[0] += 1
        ctx.progress(done[0], n, None, cell=row.cell, T=row.T)
        return False if ctx.cancelled() else None
    res = sweep(**kw, on_run=on_run, on_step=lambda cell, T, p: False if ctx.cancelled() else None)
    return {"rows": [dataclasses.asdict(r) for r in res.rows], "status": res.status, "seconds": res.seconds}


def lab(payload: dict, ctx) -> dict:
    """The lab's training (`rnnviz.app.lab_runs.train_run`, every cell in turn): payload {"setting": LabSetting as
    a dict} (built-in data) or {"task", "steps", "source"} (the user's data as plain data, `lab_runs.plain_source`).
    Returns {cell: {"state", "result": FitResult as a dict}} for the cells trained."""
    from ..app.lab_runs import task_of_payload, train_run
    results: dict = {}
    device = job_device(payload.get("device") or getattr(ctx, "device", None))
    train_run(task_of_payload(payload), _cell_step(ctx), device, into=results)
    return {c: {"state": state_arrays(r.model), "result": dataclasses.asdict(r.result)} for c, r in results.items()}
