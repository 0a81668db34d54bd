"""What a trained model computes, step by step: the layer every figure draws from.

- `engine`: `Trace`, the one per-step record; `trace` (the character model) and the step functions
  `forward_steps` / `backward_through_time` that replay torch's fused RNN / LSTM / GRU exactly.
- `outputs`: `per_step_outputs`, the same replay for every task shape of the lab (and the memoryless MLP).
- `gradients`: ||dL/dh_t|| across time (full or truncated BPTT), Jacobian norms, the spectral radius.
- `analysis`: equations with numbers, gate saturation, unit search, PCA, parameter counts.
- `generate`: the prediction table, the one sampler (`sample_steps`) and seq2seq's greedy `decode_steps`.
"""
