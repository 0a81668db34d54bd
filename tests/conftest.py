"""Shared test setup: one CPU thread (bit-reproducible, fast on small tensors), an importable repo root, and
no training run or figure shared between tests."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

torch.set_num_threads(1)


@pytest.fixture(autouse=True)
def _fresh_shared_runs():
    """Each test trains and draws for itself: no Hello-playground run and no preset figure is reused from an
    earlier test."""
    from rnnviz.playground import clear_shared_runs
    from rnnviz.stepthrough import clear_shared_figures
    clear_shared_runs()
    clear_shared_figures()
    yield
