"""rnnviz: see inside recurrent networks. The library never imports streamlit."""
from .model import CELLS, CharRNN, ModelConfig, build_model, count_parameters
from .text import Vocab, next_char_task, validate_text
from .trace import GATES, Trace, trace
from .train import TrainConfig, TrainResult, train

__all__ = ["CELLS", "CharRNN", "ModelConfig", "build_model", "count_parameters", "Vocab",
           "next_char_task", "validate_text", "GATES", "Trace", "trace", "TrainConfig", "TrainResult", "train"]
