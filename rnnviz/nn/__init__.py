"""Models: the one recurrent model of every task and the two that differ in shape.

- `model`: `RecurrentModel` and its `ModelConfig` (input layer -> nn.RNN / nn.LSTM / nn.GRU -> output layer),
  `build_model` (the Hello page's character model), `seq_model` (the lab's task shapes), the forget-bias
  knob (`set_memory_gate_bias`) and every model bound.
- `memoryless`: `MemorylessModel`, the feed-forward baseline (the output at step t sees x_t alone).
- `seq2seq`: `Seq2Seq`, an encoder and a decoder built from the same parts.
- `checkpoint`: safetensors save / load with a validated JSON header (never unpickled).
"""
