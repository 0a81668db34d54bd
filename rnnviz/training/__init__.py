"""Training: one loop and the optimisers it steps.

- `loop`: `run_steps`, the one training loop (clipping, deadline, stop callback, NaN guard that keeps
  the last good weights), its `Progress` and `TrainResult`, and `train` (the Hello page's task).
- `fit`: mini-batch training of every lab model (`fit`, validation, `compare_cells` on the same data).
- `optim`: fused Adam and SGD, gradient clipping and the divergence guard.
"""
