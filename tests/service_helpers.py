"""What the two training-service test files (local pool, Ray) share: the test-only job kinds, waiting for a
condition, emptying a service between tests, a sleeper job, and comparing two Hello runs bit for bit."""
from __future__ import annotations

import time

import numpy as np
import torch

from rnnviz.service.pool import KINDS

TEST_KINDS = dict(KINDS, sleep="tests.service_kinds:sleep", crash="tests.service_kinds:crash",
                  hang="tests.service_kinds:hang", fail="tests.service_kinds:fail")


def until(pred, timeout: float = 10.0) -> None:
    end = time.monotonic() + timeout
    while not pred():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.01)


def empty(svc, timeout: float = 10.0) -> None:
    """No job at all afterwards: none waiting, running or uncollected."""
    for job in list(svc._jobs.values()):
        svc.cancel(job.session)
    until(lambda: not (svc.stats()["running"] or svc.stats()["waiting"]), timeout)
    for job in list(svc._jobs.values()):
        svc.collect(job.id)


def sleeper(svc, session: str, steps: int = 200, dt: float = 0.01, tag: str | None = None):
    return svc.submit(session, "sleep", {"steps": steps, "dt": dt, "tag": tag or session}, deadline_s=30)


def same_run(a, b) -> None:
    """Two Hello runs are the same bit for bit: training record, weights, states and predictions."""
    assert a.result.losses == b.result.losses and a.result.accuracies == b.result.accuracies
    assert a.result.grad_norms == b.result.grad_norms and a.result.status == b.result.status
    sa, sb = a.model.state_dict(), b.model.state_dict()
    assert sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)
    np.testing.assert_array_equal(a.trace.hidden, b.trace.hidden)
    np.testing.assert_array_equal(a.trace.probs, b.trace.probs)
