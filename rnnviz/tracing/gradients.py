"""Gradients through time as numbers a page can draw: vanishing and exploding, full and truncated BPTT.

Pure functions over a character model (`build_model`: one-hot inputs, one recurrent layer):

- `grad_across_time`: ||dL/dh_t|| for every t, full or truncated BPTT (one hand-written backward pass,
  `rnnviz.tracing.engine.backward_through_time`).
- `jacobian_norms`: ||dh_T/dh_t||_F for every t from ONE batched backward pass (B = H identity seeds,
  or random probes for large H).
- `spectral_radius` of W_hh (per gate block for the gated cells).
- `gradient_sources`: dL_tau/dh_s for every loss step tau and every state step s <= tau (RNNbow's view,
  for every cell) from a few batched backward passes (one seed per loss step), never T^2 graphs.
- `input_attribution`: ||dL_tau/dx_s|| for every loss step tau and input step s (Distill's connectivity),
  from one autograd backward of a block of T copies of the sequence.

Time steps are 1-based in the text (h_1 .. h_T) and 0-based in arrays (index t - 1). Nothing here
touches a model's .grad or the global RNG. The page's configs, training views and demos are in
`rnnviz.app.vanishing`.
"""
from __future__ import annotations

import numpy as np
import torch

from ..checks import is_int as _is_int
from ..nn.model import CELLS
from .engine import GATES, IGNORE, backward_through_time, cross_entropy_grad, forward_steps

MAX_GRAD_HIDDEN = 256          # units in the gradient views (their Jacobians cost H backward passes); the models allow more (model.MAX_HIDDEN)
MAX_PROBES = 1024
LOSS_ON = ("last", "all")
MAX_WINDOW = 400               # longest truncation window (the gradient views' longest sequence)


def check_window(window) -> None:
    if window is not None and (not _is_int(window) or not 1 <= window <= MAX_WINDOW):
        raise ValueError(f"truncation window must be an integer between 1 and {MAX_WINDOW} (None: full BPTT), "
                         f"not {window!r}")


def spectral_radius(W_hh: torch.Tensor, cell: str | None = None) -> float | dict[str, float]:
    """max |eigenvalue| of the recurrent weights.

    W_hh: (G*H, H), torch's weight_hh_l0 (G = 1 RNN, 4 LSTM, 3 GRU; inferred from the shape unless
    `cell` is given). RNN -> float; LSTM / GRU -> {gate name: radius of that gate's H x H block}, gate
    names as in `rnnviz.tracing.GATES` (LSTM input forget candidate output, GRU reset update candidate).
    """
    W = W_hh.detach().cpu().double()
    H = W.shape[1]
    if W.dim() != 2 or H == 0 or W.shape[0] % H:
        raise ValueError(f"W_hh must have shape (G*H, H), got {tuple(W.shape)}")
    G = W.shape[0] // H
    if cell is None:
        cell = {1: "rnn", 4: "lstm", 3: "gru"}.get(G)
    if cell not in CELLS or G != max(1, len(GATES[cell])):
        raise ValueError(f"W_hh of shape {tuple(W.shape)} does not fit cell {cell!r}")
    radii = torch.linalg.eigvals(W.view(G, H, H)).abs().amax(dim=1)  # (G,)
    if cell == "rnn":
        return float(radii[0])
    return {g: float(r) for g, r in zip(GATES[cell], radii)}


def _check_seq(model, x: torch.Tensor, y: torch.Tensor | None = None) -> None:
    if x.dim() != 1 or x.numel() < 1 or x.dtype != torch.long:
        raise ValueError(f"x must be one LongTensor sequence of shape (T,), got {tuple(x.shape)} {x.dtype}")
    if y is not None and (y.shape != x.shape or y.dtype != torch.long):
        raise ValueError(f"y must be a LongTensor of the shape of x {tuple(x.shape)}, got {tuple(y.shape)}")
    V = model.head.out_features
    if int(x.min()) < 0 or int(x.max()) >= V or (y is not None and (int(y.min()) < 0 or int(y.max()) >= V)):
        raise ValueError(f"ids must be in [0, {V})")


def _forward(model, x: torch.Tensor) -> dict:
    """x (T,) -> the per-step forward record of `forward_steps` (all (T, H)); no autograd graph."""
    dev = model.rnn.weight_hh_l0.device
    return forward_steps(model.cfg.cell, model.rnn, model.embed(x.to(dev)), model.cfg.nonlinearity)


@torch.no_grad()
def grad_across_time(model, x: torch.Tensor, y: torch.Tensor, loss_on: str = "all",
                     window: int | None = None) -> np.ndarray:
    """||dL/dh_t|| for t = 1..T: how much the loss depends on each hidden state.

    model: a `CharRNN`; x, y: LongTensors (T,) of input and target ids. L is the mean cross-entropy over
    all T steps (loss_on="all") or the cross-entropy of the last step alone (loss_on="last"). dL/dh_t is
    the total derivative: through the output at t and through every later step, computed by ONE
    hand-written BPTT pass (`backward_through_time`, B = 1). window = k: truncated BPTT, time cut into
    chunks t = 1..k, k+1..2k, ... (aligned from t = 1) and no gradient crossing a chunk border, so a
    loss at step s only reaches the steps of s's own chunk. Returns a float ndarray (T,) (index t - 1).
    For an LSTM this is the gradient w.r.t. h_t with c_t held; it reaches h_t through the cell state too.
    """
    if loss_on not in LOSS_ON:
        raise ValueError(f"loss_on must be 'last' or 'all', not {loss_on!r}")
    check_window(window)
    _check_seq(model, x, y)
    return _grad_vec(model, x, y, loss_on, window).norm(dim=1).cpu().double().numpy()


def _grad_vec(model, x, y, loss_on, window) -> torch.Tensor:
    """-> dL/dh_t, (T, H)."""
    fw = _forward(model, x)
    h = fw["h"]                                                 # (T, H)
    y = y.to(h.device)
    if loss_on == "last":                                       # only the last step has a loss
        y = torch.cat([torch.full_like(y[:-1], IGNORE), y[-1:]])
    _, dlogits = cross_entropy_grad(model.head(h), y)           # (T, V)
    dh_out = dlogits @ model.head.weight                        # (T, H): via the output at t only
    dh, _ = backward_through_time(model.cfg.cell, model.rnn, fw, dh_out.unsqueeze(1), window)  # (T, 1, H)
    return dh[:, 0]


def truncation_start(T: int, window: int | None) -> int:
    """1-based first step of the chunk holding step T (chunks aligned from t = 1): with the loss on the
    last step, truncated BPTT gives dL/dh_t = 0 exactly for t < truncation_start(T, k). 1 when window is None."""
    return 1 if not window else (T - 1) // window * window + 1


@torch.no_grad()
def jacobian_norms(model, x: torch.Tensor, exact_max_hidden: int = 128, probes: int = 64,
                   seed: int = 0) -> dict:
    """||dh_T/dh_t||_F (Frobenius norm of the H x H Jacobian) for t = 1..T, from one batched BPTT pass.

    model: a `CharRNN`; x: LongTensor (T,) of input ids. Exact when H <= exact_max_hidden: the backward
    pass is seeded at step T with the B = H rows of the identity, so row b of the result at step t is
    e_b^T dh_T/dh_t (H vector-Jacobian products at once, no loop over units). Above that it is
    estimated from `probes` Gaussian seeds v ~ N(0, I): E ||v^T J||^2 = ||J||_F^2, so the estimate is
    sqrt(mean over probes of ||v^T J||^2) (relative error about sqrt(1 / (2 probes)) or less).
    For an LSTM, h_t is perturbed with c_t held; "norms_c" gives ||dh_T/dc_t||_F (the cell-state path).

    Returns {"norms": ndarray (T,), "norms_c": ndarray (T,) or None, "exact": bool, "probes": int (0 if exact)}.
    """
    _check_seq(model, x)
    if not _is_int(exact_max_hidden) or not 0 <= exact_max_hidden <= MAX_GRAD_HIDDEN:
        raise ValueError(f"exact_max_hidden must be between 0 and {MAX_GRAD_HIDDEN}, not {exact_max_hidden!r}")
    if not _is_int(probes) or not 1 <= probes <= MAX_PROBES:
        raise ValueError(f"probes must be an integer between 1 and {MAX_PROBES}, not {probes!r}")
    fw = _forward(model, x)
    h = fw["h"]                                                 # (T, H)
    T, H = h.shape
    exact = H <= exact_max_hidden
    if exact:
        seeds = torch.eye(H, dtype=h.dtype, device=h.device)   # (B = H, H)
    else:
        gen = torch.Generator().manual_seed(int(seed))
        seeds = torch.randn(probes, H, generator=gen, dtype=torch.float64).to(h)  # (B = probes, H)
    dh_out = h.new_zeros(T, seeds.shape[0], H)                  # (T, B, H): only step T is seeded
    dh_out[-1] = seeds
    dh, dc = backward_through_time(model.cfg.cell, model.rnn, fw, dh_out)  # (T, B, H): v^T dh_T/dh_t

    def frob(g):                                                # (T, B, H) -> (T,)
        sq = g.double().square().sum(dim=(1, 2))
        return (sq if exact else sq / g.shape[1]).sqrt().cpu().numpy()

    return {"norms": frob(dh), "norms_c": None if dc is None else frob(dc), "exact": exact,
            "probes": 0 if exact else probes}


MAX_SOURCE_CELLS = 2_000_000   # T * T * H numbers held at once by `gradient_sources` (blocks of loss steps beyond that)


@torch.no_grad()
def gradient_sources(model, x: torch.Tensor, y: torch.Tensor, window: int | None = None) -> dict:
    """Where the gradient at each hidden state comes from: dL_tau/dh_s for every loss step tau and state step s.

    model: a `CharRNN`; x, y: LongTensors (T,). L = (1/T) sum_tau L_tau is the mean cross-entropy over the T
    steps (as `grad_across_time(..., loss_on="all")`), L_tau the term of step tau (ignored targets: none).
    Every dL_tau/dh_s comes from ONE hand-written BPTT pass with a batch of T seeds (seed tau: the output-side
    gradient of step tau alone), in blocks of loss steps when T * T * H is large (MAX_SOURCE_CELLS), so the
    cost is that of T / block passes, never T^2 graphs. dL_tau/dh_s = 0 for s > tau (a state cannot change
    an earlier loss). window: truncated BPTT as in `grad_across_time`.

    Returns a dict of float64 ndarrays (index t - 1):
    - "norms" (T, T): [tau - 1, s - 1] = ||dL_tau/dh_s|| (0 above the diagonal s > tau);
    - "norms_c" (T, T) or None: ||dL_tau/dc_s|| for an LSTM (with h_s held);
    - "total" (T,): ||dL/dh_s|| (= grad_across_time(model, x, y, "all", window));
    - "share" (T, T): [tau - 1, s - 1] = <dL_tau/dh_s, g_s> / ||g_s|| with g_s = dL/dh_s = sum_tau dL_tau/dh_s:
      how much loss step tau adds to the length of the total gradient at s; the shares of one s sum to
      total[s - 1] (up to rounding; a share is negative where that loss pulls against the others).
    """
    check_window(window)
    _check_seq(model, x, y)
    fw = _forward(model, x)
    h = fw["h"]                                                 # (T, H)
    T, H = h.shape
    _, dlogits = cross_entropy_grad(model.head(h), y.to(h.device))   # (T, V): the mean loss, so rows sum to dL
    dh_out_all = dlogits @ model.head.weight                    # (T, H): dL/dh_t via the output at t only
    block = max(1, min(T, MAX_SOURCE_CELLS // max(1, T * H)))
    total = _grad_vec(model, x, y, "all", window).double()     # (T, H): g_s = dL/dh_s = sum over tau
    tnorm = total.norm(dim=1)                                   # (T,)
    unit = total / tnorm.clamp_min(1e-300)[:, None]             # 0 where g_s = 0
    norms, share = np.zeros((T, T)), np.zeros((T, T))
    norms_c = np.zeros((T, T)) if model.cfg.cell == "lstm" else None
    for lo in range(0, T, block):
        hi = min(T, lo + block)
        # losses before step hi reach no state after it: the pass runs over steps 1..hi only (half the work)
        part = {k: v[:hi] for k, v in fw.items()}
        seeds = h.new_zeros(hi, hi - lo, H)                     # (hi, B, H): seed b carries loss step lo + b alone
        seeds[torch.arange(lo, hi), torch.arange(hi - lo)] = dh_out_all[lo:hi]
        dh, dc = backward_through_time(model.cfg.cell, model.rnn, part, seeds, window)   # (hi, B, H): dL_tau/dh_s
        dh = dh.double()
        norms[lo:hi, :hi] = dh.norm(dim=2).t().cpu().numpy()     # (B, hi)
        share[lo:hi, :hi] = (dh * unit[:hi, None, :]).sum(dim=2).t().cpu().numpy()
        if dc is not None:
            norms_c[lo:hi, :hi] = dc.double().norm(dim=2).t().cpu().numpy()
    return {"norms": norms, "norms_c": norms_c, "total": tnorm.cpu().numpy(), "share": share}


MAX_ATTRIBUTION_STEPS = 400    # input_attribution runs T copies of the sequence at once: T^2 * (V + H) numbers


def input_attribution(model, x: torch.Tensor, y: torch.Tensor | None = None, target: str = "loss") -> np.ndarray:
    """How much each input character matters to each prediction: ||d out_tau / d x_s|| for tau, s = 1..T.

    model: a `CharRNN` (one-hot or embedded token input); x: LongTensor (T,); y: (T,) targets. out_tau is the
    cross-entropy of step tau against y (target="loss", needs y) or the log-probability of the model's own
    top prediction at tau (target="prediction"). x_s is the input vector at step s (the one-hot vector, or the
    embedding of a learned one). ONE autograd backward of a block of T copies of the sequence, copy tau
    carrying out_tau alone, through torch's own fused module: entries with s > tau are exactly 0.
    Returns a float64 ndarray (T, T): [tau - 1, s - 1].
    """
    if target not in ("loss", "prediction"):
        raise ValueError(f"target must be 'loss' or 'prediction', not {target!r}")
    _check_seq(model, x, y)
    if target == "loss" and y is None:
        raise ValueError("target='loss' needs the targets y")
    T = x.shape[0]
    if T > MAX_ATTRIBUTION_STEPS:
        raise ValueError(f"input attribution takes at most {MAX_ATTRIBUTION_STEPS} steps, not {T}")
    dev = model.rnn.weight_hh_l0.device
    with torch.no_grad():
        e = model.embed(x.to(dev))                              # (T, E)
    e = e.unsqueeze(0).repeat(T, 1, 1).requires_grad_(True)    # (B = T, T, E): copy tau for loss step tau
    with torch.enable_grad():
        out, _ = model.rnn(e)                                   # (B, T, H)
        idx = torch.arange(T, device=dev)
        logits = model.head(out[idx, idx])                      # (T, V): copy tau at step tau
        logp = torch.log_softmax(logits, dim=1)
        pick = y.to(dev) if target == "loss" else logp.argmax(dim=1)
        val = logp[idx, pick]
        grad, = torch.autograd.grad((-val if target == "loss" else val).sum(), e)   # the model's .grad untouched
    return grad.detach().double().norm(dim=2).cpu().numpy()     # (T, T)
