"""`per_step_outputs`: the lab's replay of one example through any task model, one `Trace`.

The model (`seq_model` of any shape, or the `MemorylessModel`) is replayed one step at a time with its
own weights (`forward_steps`, the step functions of `rnnviz.trace`): h_t, the LSTM's c_t, every gate,
the output layer applied to every h_t ("the answer if the sequence ended here"), and with a target the
loss and dL/dh_t from one backward pass through time.
"""
from __future__ import annotations

import torch

from ..nn.memoryless import MemorylessModel
from ..nn.model import Readout, RecurrentModel
from .engine import GATES, IGNORE, Trace, backward_through_time, cross_entropy_grad, forward_steps, to_numpy

MAX_TRACE_STEPS = 5000             # time steps replayed by per_step_outputs


def per_step_outputs(model: RecurrentModel | MemorylessModel, x_one: torch.Tensor,
                     target: torch.Tensor | int | float | None = None) -> Trace:
    """Replay one sequence (token ids (T,) or floats (T, F)) through `model` one step at a time with its
    own weights (`rnnviz.trace`'s step functions): h_t, LSTM c_t, every gate, and the head applied to
    every h_t. With pad_id, trailing padding is dropped first.

    With `target` (many_to_one: a class id; regression: a value or (out,) values; many_to_many: (T,)
    ids, IGNORE allowed) also the loss and dL/dh_t for every t from one backward pass through time (a
    memoryless model has gradient only where the loss is). Weights and .grad are left untouched."""
    if not isinstance(model, Readout):
        raise ValueError("per_step_outputs takes a RecurrentModel or a MemorylessModel")
    cfg = model.cfg
    x, unbatched = model.check_input(x_one)
    if not unbatched:
        if x.shape[0] != 1:
            raise ValueError(f"per_step_outputs takes one sequence, not a batch of {x.shape[0]}")
        x = x[0]
    else:
        x = x[0]
    if cfg.pad_id is not None:
        n = int((x != cfg.pad_id).sum())
        if n == 0:
            raise ValueError("the sequence holds padding only")
        x = x[:n]
    T = x.shape[0]
    if T > MAX_TRACE_STEPS:
        raise ValueError(f"at most {MAX_TRACE_STEPS} steps can be replayed, not {T}")
    if cfg.tokens and (int(x.min()) < 0 or int(x.max()) >= cfg.vocab_size):
        raise ValueError(f"token ids must be in [0, {cfg.vocab_size})")
    head = model.head
    dev = head.weight.device
    x = x.to(dev)
    with torch.no_grad():
        e = model.embed(x)                                       # (T, E)
        if isinstance(model, MemorylessModel):
            fw = {"h": torch.tanh(model.mlp(e))}
        else:
            fw = forward_steps(cfg.cell, model.rnn, e, cfg.nonlinearity)
        h = fw["h"]
        outputs = head(h)                                        # (T, C)
        res = Trace(cell_type=cfg.cell, x=to_numpy(x) if not cfg.tokens else x.cpu().numpy(), hidden=to_numpy(h),
                    cell=to_numpy(fw["c"]) if "c" in fw else None,
                    gates={g: to_numpy(fw[g]) for g in GATES.get(cfg.cell, ())}, logits=to_numpy(outputs), kind=cfg.kind)
        if target is None:
            return res
        dout = torch.zeros_like(outputs)                         # dL/d outputs, (T, C)
        if cfg.kind == "many_to_many":
            tgt = torch.as_tensor(target).to(dev)
            if tgt.dtype != torch.long or tuple(tgt.shape) != (T,):
                raise ValueError(f"a many_to_many target is a LongTensor of shape ({T},)")
            keep = tgt != IGNORE
            if not bool(keep.any()) or int(tgt[keep].min()) < 0 or int(tgt[keep].max()) >= cfg.outputs:
                raise ValueError(f"target ids must be in [0, {cfg.outputs}) (or {IGNORE}), at least one of them")
            res.loss, dout = cross_entropy_grad(outputs, tgt)
        elif cfg.kind == "many_to_one":
            c = int(target)
            if not 0 <= c < cfg.outputs:
                raise ValueError(f"target class must be in [0, {cfg.outputs}), not {target!r}")
            last_only = torch.full((T,), IGNORE, dtype=torch.long, device=dev)
            last_only[-1] = c                                    # the class is read after the last step
            res.loss, dout = cross_entropy_grad(outputs, last_only)
        else:
            tgt = torch.as_tensor(target, dtype=outputs.dtype, device=dev).reshape(-1)
            if tgt.numel() != cfg.outputs:
                raise ValueError(f"a regression target has {cfg.outputs} value(s)")
            diff = outputs[-1] - tgt
            res.loss = float((diff * diff).mean())
            dout[-1] = 2 * diff / cfg.outputs
        dh_out = dout @ head.weight                              # (T, H) through the output at t only
        if isinstance(model, MemorylessModel):
            dh = dh_out                                          # nothing flows back in time
        else:
            dh, _ = backward_through_time(cfg.cell, model.rnn, fw, dh_out.unsqueeze(1))
            dh = dh[:, 0]
        res.grad_hidden_vec = to_numpy(dh)
        res.grad_hidden = to_numpy(dh.norm(dim=1))
    return res
