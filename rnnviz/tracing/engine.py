"""Replay one sequence step by step with a model's own weights, keeping every number (min-char-rnn's
`xs, hs, ys, ps`): hidden states, LSTM cell state, every gate, logits, and dL/dh_t for every t from
ONE backward pass through time.

The backward pass is written out by hand (BPTT, one small matrix product per step, no autograd
graph): it is several times faster than autograd on a per-step loop, and tests check it against
autograd on torch's fused modules and against finite differences.

Gate order in torch's weights: LSTM i, f, g, o; GRU r, z, n with
n = tanh(W_in x + b_in + r * (W_hn h + b_hn)) and h_t = (1 - z) * n + z * h_{t-1}.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from ..data.synthetic import IGNORE

GATES = {
    "rnn": (),
    "lstm": ("input", "forget", "candidate", "output"),
    "gru": ("reset", "update", "candidate"),
}


@dataclass
class Trace:
    """Everything one sequence made a model compute, step by step: the one per-step record of rnnviz (the
    Hello model's `trace`, the lab's `rnnviz.tracing.outputs.per_step_outputs`). Arrays are float32 (float64 for a
    float64 model).

    `logits[t]` is the output layer applied to h_{t+1}: the next-symbol logits of a character model; for
    the lab's many-to-one tasks the class logits "if the sequence ended here" (the last row is the
    model's answer); for regression the value predicted after that step (no `probs` then)."""
    cell_type: str                         # rnn | lstm | gru (| mlp, the memoryless baseline); `cell`: the LSTM c_t
    x: np.ndarray                          # (T,) input ids, or (T, F) float inputs
    hidden: np.ndarray                     # (T, H) h_1 .. h_T
    cell: np.ndarray | None                # (T, H) c_1 .. c_T for LSTM, else None
    gates: dict[str, np.ndarray]           # name -> (T, H), see GATES
    logits: np.ndarray                     # (T, V): the output layer at every step
    targets: np.ndarray | None = None      # (T,) target ids when given (character model)
    loss: float | None = None              # with targets: the loss (mean cross-entropy over the T steps)
    grad_hidden: np.ndarray | None = None  # (T,) ||dL/dh_t||
    grad_cell: np.ndarray | None = None    # (T,) ||dL/dc_t|| (LSTM)
    grad_hidden_vec: np.ndarray | None = field(default=None, repr=False)  # (T, H) dL/dh_t
    kind: str = "many_to_many"             # the task's shape: many_to_many | many_to_one | regression

    @property
    def T(self) -> int:
        return int(self.hidden.shape[0])

    @property
    def probs(self) -> np.ndarray | None:
        """(T, V) softmax of the logits: the predicted distribution (None for regression)."""
        if self.kind == "regression":
            return None
        z = self.logits - self.logits.max(axis=1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=1, keepdims=True)

    @property
    def predictions(self) -> np.ndarray | None:
        """(T,) the most likely symbol or class after each step (None for regression)."""
        return None if self.kind == "regression" else self.logits.argmax(axis=1)

    def at(self, t: int) -> dict[str, np.ndarray]:
        """Every per-unit vector at time step t (1-based): "h", then the gates in GATES order, then "c"."""
        if not 1 <= t <= self.T:
            raise ValueError(f"time step must be between 1 and {self.T}, not {t}")
        out = {"h": self.hidden[t - 1]}
        out.update({g: self.gates[g][t - 1] for g in GATES.get(self.cell_type, ())})
        if self.cell is not None:
            out["c"] = self.cell[t - 1]
        return out

    @property
    def accuracy(self) -> float | None:
        if self.targets is None:
            return None
        return float((self.predictions == self.targets).mean())




def to_numpy(t: torch.Tensor) -> np.ndarray:
    """A tensor as a numpy array for figures and tables: float64 stays float64, anything else becomes float32."""
    t = t.detach().cpu()
    return (t if t.dtype == torch.float64 else t.float()).numpy()


def forward_steps(cell: str, rnn, e: torch.Tensor, nonlinearity: str = "tanh", h0: torch.Tensor | None = None,
                  c0: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
    """The per-step replay of one sequence with `rnn`'s own weights (torch's nn.RNN / nn.LSTM / nn.GRU,
    one layer): e (T, E), the input layer's output -> {"h": (T, H), "c" (LSTM), each gate of GATES[cell],
    and what backward_through_time needs}, all (T, H) tensors. h0, c0 (H,): the state before the first step
    (None: zeros, as torch; `rnnviz.tracing.intervene` continues a replay from an edited state). No autograd
    graph is needed: call it under torch.no_grad()."""
    return _FORWARD[cell](rnn, e, nonlinearity, h0, c0)


def cross_entropy_grad(logits: torch.Tensor, targets: torch.Tensor) -> tuple[float, torch.Tensor]:
    """(loss, dL/dlogits) for L = the mean cross-entropy over the positions whose target is not IGNORE.
    logits (T, V), targets (T,) long; dL/dlogits is (T, V), zero where the target is ignored. The one
    output-side gradient of every trace (Hello, the gradient views, the lab's replays)."""
    keep = targets != IGNORE
    idx = torch.nonzero(keep).squeeze(1)
    if idx.numel() == 0:
        raise ValueError("every target is ignored: there is no loss")
    tk = targets[idx]
    logp = torch.log_softmax(logits, dim=1)
    loss = float(-logp[idx, tk].mean())
    d = logp.exp()
    d[~keep] = 0.0
    d[idx, tk] -= 1.0
    d /= idx.numel()
    return loss, d


def trace(model, x: torch.Tensor, targets: torch.Tensor | None = None) -> Trace:
    """Run one sequence x: LongTensor (T,) through `model` (a `CharRNN`) with an explicit per-step loop.

    Returns a `Trace`. With `targets` (T,), also the loss L (mean cross-entropy over the T steps) and
    dL/dh_t (and dL/dc_t for LSTM) for every t: the total derivative, through the output at t and
    through every later step. Model weights and their .grad are left untouched.
    """
    if x.dim() != 1 or x.numel() == 0:
        raise ValueError(f"trace takes one non-empty sequence of shape (T,), got {tuple(x.shape)}")
    if targets is not None and tuple(targets.shape) != tuple(x.shape):
        raise ValueError(f"targets must have the shape of x {tuple(x.shape)}, got {tuple(targets.shape)}")
    V = model.head.out_features
    if int(x.min()) < 0 or int(x.max()) >= V or (targets is not None and (int(targets.min()) < 0 or int(targets.max()) >= V)):
        raise ValueError(f"ids must be in [0, {V})")
    cell, rnn = model.cfg.cell, model.rnn
    dev = rnn.weight_hh_l0.device
    x = x.to(dev)
    with torch.no_grad():
        fw = forward_steps(cell, rnn, model.embed(x), model.cfg.nonlinearity)
        logits = model.head(fw["h"])                              # (T, V)
        tr = Trace(cell_type=cell, x=x.cpu().numpy(), hidden=to_numpy(fw["h"]), cell=to_numpy(fw["c"]) if "c" in fw else None,
                   gates={k: to_numpy(fw[k]) for k in GATES[cell]}, logits=to_numpy(logits))
        if targets is not None:
            targets = targets.to(dev)
            tr.targets = targets.cpu().numpy()
            tr.loss, dlogits = cross_entropy_grad(logits, targets)  # mean over the T steps; (T, V)
            dh_out = dlogits @ model.head.weight                  # dL/dh_t through the output at t only, (T, H)
            dh, dc = (None if v is None else v[:, 0] for v in _BACKWARD[cell](rnn, fw, dh_out.unsqueeze(1)))
            tr.grad_hidden_vec = to_numpy(dh)
            tr.grad_hidden = to_numpy(dh.norm(dim=1))
            if dc is not None:
                tr.grad_cell = to_numpy(dc.norm(dim=1))
    return tr


# ---- forward: e (T, E) -> dict of stacked per-step tensors, all (T, H) -----------------------------

def _forward_rnn(rnn, e, nonlinearity, h0=None, c0=None):
    W_hhT = rnn.weight_hh_l0.t()
    xp = torch.addmm(rnn.bias_ih_l0 + rnn.bias_hh_l0, e, rnn.weight_ih_l0.t())  # (T, H): W_ih x_t + b
    act = torch.tanh if nonlinearity == "tanh" else torch.relu
    h = e.new_zeros(1, W_hhT.shape[0]) if h0 is None else h0.reshape(1, -1)    # h_0 = 0
    hs = []
    for xt in xp.unsqueeze(1).unbind(0):
        h = act(torch.addmm(xt, h, W_hhT))                      # h_t = act(W_ih x_t + W_hh h_{t-1} + b)
        hs.append(h)
    return {"h": torch.cat(hs)}


def _forward_lstm(rnn, e, _, h0=None, c0=None):
    """h_t from torch's own fused nn.LSTM (one kernel for the whole sequence: the states ARE torch's); then
    every gate from x_t and h_{t-1} at once (one matmul) and c_t by its recurrence c_t = f * c_{t-1} + i * g
    (one fused op per step). h_t = o * tanh(c_t) holds to float rounding (tests/test_trace.py)."""
    W_hhT = rnn.weight_hh_l0.t()
    H = W_hhT.shape[0]
    state = None if h0 is None else (h0.reshape(1, 1, H), (h0.new_zeros(H) if c0 is None else c0).reshape(1, 1, H))
    out, _ = rnn(e.unsqueeze(0) if rnn.batch_first else e.unsqueeze(1), state)
    h = out.reshape(-1, H)                                      # (T, H)
    act = torch.addmm(rnn.bias_ih_l0 + rnn.bias_hh_l0, e, rnn.weight_ih_l0.t())  # (T, 4H): W_ih x_t + b ...
    act.addmm_(_shift(h, h0), W_hhT)                            # ... + W_hh h_{t-1}
    g = act[:, 2 * H:3 * H].tanh()
    act.sigmoid_()                                              # sigmoid(i, f, o); tanh(g) put back below
    act[:, 2 * H:3 * H] = g
    i, f = act[:, :H], act[:, H:2 * H]
    ig = i * g
    c = torch.empty_like(h)
    prev = c.new_zeros(H) if c0 is None else c0.reshape(H)      # c_0 = 0
    for t in range(h.shape[0]):
        prev = torch.addcmul(ig[t], f[t], prev, out=c[t])       # c_t = f * c_{t-1} + i * g
    return {"h": h, "c": c, "input": i, "forget": f, "candidate": act[:, 2 * H:3 * H], "output": act[:, 3 * H:]}


def _forward_gru(rnn, e, _, h0=None, c0=None):
    W_hhT, b_hh = rnn.weight_hh_l0.t(), rnn.bias_hh_l0
    H = W_hhT.shape[0]
    xp = torch.addmm(rnn.bias_ih_l0, e, rnn.weight_ih_l0.t())    # (T, 3H): W_i{r,z,n} x_t + b_i{r,z,n}
    h = e.new_zeros(1, H) if h0 is None else h0.reshape(1, H)
    hs, rz, ns, ghn = [], [], [], []
    for xt in xp.unsqueeze(1).unbind(0):
        gh = torch.addmm(b_hh, h, W_hhT)                        # (1, 3H): W_h{r,z,n} h_{t-1} + b_h{r,z,n}
        s = (xt[:, :2 * H] + gh[:, :2 * H]).sigmoid_()          # r, z
        n = torch.addcmul(xt[:, 2 * H:], s[:, :H], gh[:, 2 * H:]).tanh_()  # n = tanh(x_n + r * (W_hn h + b_hn))
        h = torch.addcmul(n, s[:, H:], h - n)                   # h_t = (1 - z) * n + z * h_{t-1}
        hs.append(h); rz.append(s); ns.append(n); ghn.append(gh[:, 2 * H:])
    rz = torch.cat(rz)
    return {"h": torch.cat(hs), "reset": rz[:, :H], "update": rz[:, H:], "candidate": torch.cat(ns),
            "ghn": torch.cat(ghn)}


_FORWARD = {"rnn": _forward_rnn, "lstm": _forward_lstm, "gru": _forward_gru}


# ---- backward through time: dh_out (T, H) = dL/dh_t via the output at t -> total dL/dh_t -----------
# Each cell's step is linear in the incoming gradient, so the per-step factors are computed for all t
# at once and the loop only does an elementwise product and one (1, G*H) x (G*H, H) product per step.

def _shift(h, h0=None):
    """(T, H) -> (T, H) of the previous states h_0 .. h_{T-1} (h_0 = 0 unless given)."""
    first = h.new_zeros(1, h.shape[1]) if h0 is None else h0.reshape(1, -1)
    return torch.cat([first, h[:-1]])


def _backward_rnn(rnn, fw, dh_out, window=None):
    h, W = fw["h"], rnn.weight_hh_l0
    dact = 1 - h * h if rnn.nonlinearity == "tanh" else (h > 0).to(h.dtype)  # d h_t / d a_t, (T, H)
    dh = torch.empty_like(dh_out)                               # (T, B, H)
    nxt = torch.zeros_like(dh_out[0])                           # (B, H) dL/dh_t through step t+1
    for t in range(h.shape[0] - 1, -1, -1):
        g = dh[t]
        torch.add(dh_out[t], nxt, out=g)
        nxt = (g * dact[t]) @ W
        if window and t % window == 0:                          # truncated BPTT: nothing flows into the previous chunk
            nxt = torch.zeros_like(nxt)
    return dh, None


def _backward_lstm(rnn, fw, dh_out, window=None):
    i, f, g, o, c = fw["input"], fw["forget"], fw["candidate"], fw["output"], fw["c"]
    W, H = rnn.weight_hh_l0, c.shape[1]
    Bn = dh_out.shape[1]
    tc = c.tanh()
    K = o * (1 - tc * tc)                                       # d c-path of h_t: dL/dc_t += dL/dh_t * K
    A = torch.stack([g * i * (1 - i), _shift(c) * f * (1 - f), i * (1 - g * g)], 1)  # (T, 3, H): i, f, g pre-acts
    B = tc * o * (1 - o)                                        # (T, H) for the o pre-activation
    dh, dc = torch.empty_like(dh_out), torch.empty_like(dh_out)  # (T, B, H)
    da = torch.empty(Bn, 4 * H, dtype=dh_out.dtype, device=dh_out.device)  # dL/d pre-activations at t
    da_ifg, da_o = da[:, :3 * H].view(Bn, 3, H), da[:, 3 * H:]
    nh = torch.zeros_like(dh_out[0])                            # dL/dh_t through step t+1
    nc = torch.zeros_like(dh_out[0])                            # dL/dc_t through c_{t+1}
    for t in range(c.shape[0] - 1, -1, -1):
        gh, gc = dh[t], dc[t]
        torch.add(dh_out[t], nh, out=gh)
        torch.addcmul(nc, gh, K[t], out=gc)
        torch.mul(gc.unsqueeze(1), A[t], out=da_ifg)
        torch.mul(gh, B[t], out=da_o)
        nh = da @ W
        nc = gc * f[t]
        if window and t % window == 0:
            nh, nc = torch.zeros_like(nh), torch.zeros_like(nc)
    return dh, dc


def _backward_gru(rnn, fw, dh_out, window=None):
    r, z, n, ghn, h = fw["reset"], fw["update"], fw["candidate"], fw["ghn"], fw["h"]
    W = rnn.weight_hh_l0
    Bn = dh_out.shape[1]
    dan = (1 - z) * (1 - n * n)                                 # d pre-act of n per unit of dL/dh_t
    A = torch.stack([dan * ghn * r * (1 - r), (_shift(h) - n) * z * (1 - z), dan * r], 1)  # (T, 3, H): r, z, n
    dh = torch.empty_like(dh_out)
    nxt = torch.zeros_like(dh_out[0])
    for t in range(h.shape[0] - 1, -1, -1):
        g = dh[t]
        torch.add(dh_out[t], nxt, out=g)
        nxt = torch.addmm(g * z[t], (g.unsqueeze(1) * A[t]).view(Bn, -1), W)
        if window and t % window == 0:
            nxt = torch.zeros_like(nxt)
    return dh, None


def backward_through_time(cell: str, rnn, fw: dict, dh_out: torch.Tensor, window: int | None = None):
    """Backpropagation through time for a batch of seeds.

    fw: the forward record of `forward_steps`; dh_out (T, B, H): for each of B independent seeds, the
    gradient arriving at h_t from outside the recurrence (e.g. from the output at step t). Returns
    (dh, dc): (T, B, H) total gradients w.r.t. h_t (and c_t for LSTM, else None). window: truncated
    BPTT, time split into chunks of `window` steps from t = 1 and no gradient crossing a chunk border.
    """
    return _BACKWARD[cell](rnn, fw, dh_out, window)


_BACKWARD = {"rnn": _backward_rnn, "lstm": _backward_lstm, "gru": _backward_gru}
