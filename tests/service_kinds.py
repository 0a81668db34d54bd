"""Job kinds for the training service's tests only (the app's service never knows them): a job that
sleeps step by step (cancellable), one that kills its worker, one that hangs and ignores everything, one
that raises."""
from __future__ import annotations

import os
import time


def sleep(payload: dict, ctx) -> dict:
    """payload {"steps", "dt", "tag"}: `steps` sleeps of `dt` s, progress after each; stops when cancelled."""
    started = time.time()
    done = 0
    for step in range(1, payload["steps"] + 1):
        if ctx.cancelled():
            break
        time.sleep(payload["dt"])
        done = step
        ctx.progress(step, payload["steps"], loss=1.0 / step)
    return {"tag": payload.get("tag"), "done": done, "started": started, "pid": os.getpid()}


def crash(payload: dict, ctx) -> dict:
    os._exit(3)


def hang(payload: dict, ctx) -> dict:
    time.sleep(3600)
    return {}


def fail(payload: dict, ctx) -> dict:
    raise ValueError(f"this job fails on purpose ({payload.get('why', 'test')})")
