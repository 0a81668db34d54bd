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
    path runs): payload {"cfg": PlaygroundConfig as a dict, "device": "cpu" (default) | "cuda" | "auto"}.
    Returns {"state" (CPU arrays), "result", "seconds", "device" (the one it trained on)}."""
    from ..app.playground import PlaygroundConfig, train_model
    cfg = PlaygroundConfig(**payload["cfg"])
    device = job_device(payload.get("device"))
    t0 = time.perf_counter()
    _, _, _, model, result = train_model(cfg, device, ctx.on_step, ctx.deadline_s)
    return {"state": state_arrays(model), "result": dataclasses.asdict(result), "seconds": time.perf_counter() - t0,
            "device": device}
