"""rnnviz: see inside recurrent networks. The library never imports streamlit.

The core API (below) loads lazily: `import rnnviz` or `from rnnviz.figures import ...` does not import
torch (about 1.5 s on a first visit), so a page can draw its light parts first; `rnnviz.build_model`
and the rest import their module on first use.
"""
from __future__ import annotations

from ._lazy import lazy_exports

_EXPORTS = {
    "CELLS": "nn.model", "CharRNN": "nn.model", "ModelConfig": "nn.model", "build_model": "nn.model",
    "count_parameters": "nn.model",
    "Vocab": "data.text", "next_char_task": "data.text", "validate_text": "data.text",
    "GATES": "tracing.engine", "Trace": "tracing.engine", "trace": "tracing.engine",
    "TrainConfig": "training.loop", "TrainResult": "training.loop", "train": "training.loop",
}
__all__ = list(_EXPORTS)

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
