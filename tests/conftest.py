"""Shared test setup: one CPU thread (bit-reproducible, fast on small tensors), an importable repo root,
no training run or figure shared between tests, the `browser` marker on every test under tests/e2e, and a
summary line naming any test that took longer than SLOW_S without the `slow` marker (markers: pytest.ini)."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

torch.set_num_threads(1)

# Pages train in-process in tests (no worker processes per test module); the training service's own tests
# (tests/test_service*.py) install a real one, and the browser tests' server runs with one (tests/e2e/harness.py).
os.environ.setdefault("RNNVIZ_WORKERS", "0")

E2E = ROOT / "tests" / "e2e"
SLOW_S = 5.0            # a test past this (setup + call + teardown) belongs under the `slow` marker
_unmarked_slow: dict[str, float] = {}


def pytest_collection_modifyitems(config, items):
    for item in items:
        if E2E in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.browser)


def pytest_runtest_logreport(report):
    item_slow = "slow" in report.keywords or "browser" in report.keywords
    if not item_slow:
        _unmarked_slow[report.nodeid] = _unmarked_slow.get(report.nodeid, 0.0) + report.duration


def pytest_terminal_summary(terminalreporter):
    late = {k: v for k, v in _unmarked_slow.items() if v > SLOW_S}
    if late:
        terminalreporter.write_sep("-", f"tests over {SLOW_S:g} s without the `slow` marker (mark them)")
        for nodeid, seconds in sorted(late.items(), key=lambda kv: -kv[1]):
            terminalreporter.write_line(f"{seconds:6.2f} s  {nodeid}")


@pytest.fixture(autouse=True)
def _fresh_shared_runs():
    """Each test trains and draws for itself: no Hello-playground run and no preset figure is reused from an
    earlier test."""
    from rnnviz.app.playground import clear_shared_runs
    from rnnviz.app.cache import clear_shared_figures
    clear_shared_runs()
    clear_shared_figures()
    yield


SERVICE_MAX_QUEUE = 4


@pytest.fixture(scope="session")
def training_service():
    """One real training service (2 warm worker processes) for every test that asks for it, with the test-only
    job kinds of tests/service_kinds.py."""
    from rnnviz.service import TrainingService
    from tests.service_helpers import TEST_KINDS
    svc = TrainingService(workers=2, max_queue=SERVICE_MAX_QUEUE, kinds=TEST_KINDS, grace_s=1.0)
    assert svc.warm(60), "the training workers did not start"
    yield svc
    svc.shutdown()
