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
    model.load_state_dict({k: torch.from_numpy(v) for k, v in arrays.items()})
    model.eval()
    return model


def hello(payload: dict, ctx) -> dict:
    """The Hello playground's training (`rnnviz.app.playground.train_model`, the function the in-process
    path runs): payload {"cfg": PlaygroundConfig as a dict}. Returns {"state", "result", "seconds"}."""
    from ..app.playground import PlaygroundConfig, train_model
    cfg = PlaygroundConfig(**payload["cfg"])
    t0 = time.perf_counter()
    _, _, _, model, result = train_model(cfg, "cpu", ctx.on_step, ctx.deadline_s)
    return {"state": state_arrays(model), "result": dataclasses.asdict(result), "seconds": time.perf_counter() - t0}
