"""Training on the GPU: a job's device ("cpu", "cuda", "auto") in the training service's workers, and CUDA
training agreeing with the CPU's within tolerance (skipped where no CUDA device is available)."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from rnnviz.app.playground import PlaygroundConfig, run_playground, train_model
from rnnviz.service import jobs

CUDA = torch.cuda.is_available()


def test_a_job_trains_on_cuda_only_where_the_worker_has_it():
    assert jobs.job_device(None) == "cpu" and jobs.job_device("cpu") == "cpu"
    assert jobs.job_device("cuda") == ("cuda" if CUDA else "cpu")
    assert jobs.job_device("auto") == ("cuda" if CUDA else "cpu")
    with pytest.raises(ValueError, match="unknown device"):
        jobs.job_device("tpu")


class _Ctx:
    deadline_s = 20.0

    def on_step(self, p):
        return None


def test_the_hello_job_says_where_it_trained_and_equals_the_cpu_run_there():
    cfg = PlaygroundConfig(steps=20, seed=2)
    out = jobs.hello({"cfg": cfg.__dict__, "device": "cpu"}, _Ctx())
    assert out["device"] == "cpu" and out["result"]["losses"] == run_playground(cfg).result.losses
    out = jobs.hello({"cfg": cfg.__dict__, "device": "auto"}, _Ctx())
    assert out["device"] == ("cuda" if CUDA else "cpu")
    assert all(isinstance(v, np.ndarray) for v in out["state"].values())      # CPU arrays either way


@pytest.mark.skipif(not CUDA, reason="no CUDA device available: the CUDA/CPU agreement is checked where one is")
@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_cuda_and_cpu_training_agree_within_tolerance(cell, monkeypatch):
    monkeypatch.setattr(torch.backends.cuda.matmul, "allow_tf32", False)
    monkeypatch.setattr(torch.backends.cudnn, "allow_tf32", False)
    cfg = PlaygroundConfig(text="the quick brown fox", cell=cell, hidden=32, lr=0.01, steps=60, seed=1)
    *_, m_cpu, r_cpu = train_model(cfg, "cpu")
    *_, m_gpu, r_gpu = train_model(cfg, "cuda")
    assert next(m_gpu.parameters()).is_cuda and r_gpu.steps == r_cpu.steps
    np.testing.assert_allclose(r_gpu.losses, r_cpu.losses, atol=1e-3, rtol=1e-3)
    for k, v in m_cpu.state_dict().items():
        np.testing.assert_allclose(m_gpu.state_dict()[k].cpu().numpy(), v.numpy(), atol=1e-3, rtol=1e-3)
