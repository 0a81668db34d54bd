"""Interventions on the memory: "what if this gate had closed?"

An `Intervention` names a step t (1-based), a quantity and a value, for some units or all: clamp a gate to a
value in [0, 1] (LSTM forget / input / output, GRU reset / update), or set h_t (and, for the LSTM, c_t) to a
value (0: zero it). `replay` runs the sequence with the model's own weights, applies the edit inside step t
and carries the edited state on through every later step (torch's own fused module from step t + 1, as
`trace`), so what follows the edit is what the model really computes from it.

- A gate clamped at step t replaces that gate's value in step t's update (LSTM: c_t = f c_{t-1} + i g,
  h_t = o tanh(c_t); GRU: n = tanh(W_in x + b_in + r (W_hn h + b_hn)), h_t = (1 - z) n + z h_{t-1}).
- h set at step t: h_t is replaced after the step (the LSTM's c_t is kept); c set: c_t is replaced and h_t
  follows it, h_t = o_t tanh(c_t).
With no intervention `replay` IS `trace` (the same call: bit-identical). The edited trace has the states,
gates, logits and (with targets) the loss of the edited run; it carries no gradients.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from ..errors import RnnvizError
from .engine import GATES, Trace, forward_steps, to_numpy, trace

EDIT_GATES = {"rnn": (), "lstm": ("forget", "input", "output"), "gru": ("reset", "update")}
STATES = {"rnn": ("h",), "lstm": ("h", "c"), "gru": ("h",)}
MAX_STATE_VALUE = 10.0          # |value| a state may be set to (tanh keeps h in [-1, 1]; c grows slowly)
MAX_UNITS = 256


class InterventionError(RnnvizError):
    """An intervention that does not fit the model or the sequence (code and parameters for the page)."""
    domain = "intervene"
    specific = False


def quantities(cell: str) -> tuple[str, ...]:
    """What an intervention can edit for `cell`: the gates it can clamp, then the states it can set."""
    if cell not in EDIT_GATES:
        raise InterventionError(f"no interventions for cell {cell!r}", code="cell", cell=str(cell))
    return EDIT_GATES[cell] + STATES[cell]


@dataclass(frozen=True)
class Intervention:
    step: int                              # 1-based time step t the edit happens at
    quantity: str                          # a gate of EDIT_GATES[cell], or "h" / "c" (STATES[cell])
    value: float                           # gates: in [0, 1]; states: |value| <= MAX_STATE_VALUE
    units: tuple[int, ...] | None = None   # None: every unit

    def check(self, cell: str, T: int, H: int) -> "Intervention":
        if self.quantity not in quantities(cell):
            raise InterventionError(f"a {cell} has no {self.quantity!r} to edit (it has: {', '.join(quantities(cell))})",
                                    code="quantity", quantity=str(self.quantity)[:20], cell=cell)
        if isinstance(self.step, bool) or not isinstance(self.step, (int, np.integer)) or not 1 <= self.step <= T:
            raise InterventionError(f"the step must be between 1 and {T}, not {self.step!r}", code="step", T=T,
                                    step=str(self.step)[:20])
        v = self.value
        if isinstance(v, bool) or not isinstance(v, (int, float, np.floating)) or not math.isfinite(v):
            raise InterventionError(f"the value must be a finite number, not {v!r}", code="value", value=str(v)[:20])
        if self.quantity in EDIT_GATES[cell] and not 0.0 <= v <= 1.0:
            raise InterventionError(f"a gate is a number between 0 and 1, not {v!r}", code="gate_value", value=f"{v:g}")
        if self.quantity in STATES[cell] and abs(v) > MAX_STATE_VALUE:
            raise InterventionError(f"a state can be set between {-MAX_STATE_VALUE:g} and {MAX_STATE_VALUE:g}, not {v!r}",
                                    code="state_value", value=f"{v:g}", limit=f"{MAX_STATE_VALUE:g}")
        if self.units is not None:
            units = list(self.units)
            if not units or len(units) > MAX_UNITS or len(set(units)) != len(units) or any(
                    isinstance(u, bool) or not isinstance(u, (int, np.integer)) or not 0 <= u < H for u in units):
                raise InterventionError(f"units must be distinct numbers between 0 and {H - 1}, not {self.units!r}",
                                        code="units", H=H)
        return self


def _index(units, H: int):
    return slice(None) if units is None else torch.as_tensor(list(units), dtype=torch.long)


def _edited_step(cell: str, rnn, nonlinearity: str, e_t, h_prev, c_prev, edit: Intervention):
    """Step t from (h_{t-1}, c_{t-1}) with the edit applied: (h_t, c_t or None, {gate: value at t})."""
    H = h_prev.shape[0]
    u = _index(edit.units, H)
    gi = torch.addmv(rnn.bias_ih_l0, rnn.weight_ih_l0, e_t)     # (G*H,) W_ih x_t + b_ih
    gh = torch.addmv(rnn.bias_hh_l0, rnn.weight_hh_l0, h_prev)  # (G*H,) W_hh h_{t-1} + b_hh
    c = None
    if cell == "rnn":
        h = torch.tanh(gi + gh) if nonlinearity == "tanh" else torch.relu(gi + gh)
        gates = {}
    elif cell == "lstm":
        a = gi + gh
        gates = {"input": torch.sigmoid(a[:H]), "forget": torch.sigmoid(a[H:2 * H]),
                 "candidate": torch.tanh(a[2 * H:3 * H]), "output": torch.sigmoid(a[3 * H:])}
        if edit.quantity in EDIT_GATES[cell]:
            gates[edit.quantity][u] = float(edit.value)
        c = gates["forget"] * c_prev + gates["input"] * gates["candidate"]
        if edit.quantity == "c":
            c[u] = float(edit.value)
        h = gates["output"] * torch.tanh(c)
    else:  # gru
        r = torch.sigmoid(gi[:H] + gh[:H])
        z = torch.sigmoid(gi[H:2 * H] + gh[H:2 * H])
        gates = {"reset": r, "update": z}
        if edit.quantity in EDIT_GATES[cell]:
            gates[edit.quantity][u] = float(edit.value)
        r, z = gates["reset"], gates["update"]
        n = torch.tanh(gi[2 * H:] + r * gh[2 * H:])
        gates["candidate"] = n
        h = (1 - z) * n + z * h_prev
    if edit.quantity == "h":
        h = h.clone()
        h[u] = float(edit.value)
    return h, c, gates


@torch.no_grad()
def replay(model, x: torch.Tensor, targets: torch.Tensor | None = None, edit: Intervention | None = None) -> Trace:
    """`trace(model, x, targets)` with `edit` applied at its step (see the module). edit None: `trace` itself.
    Raises InterventionError for an edit that does not fit the model or the sequence."""
    if edit is None:
        return trace(model, x, targets)
    base = trace(model, x, targets)                            # checks x and targets; the steps before the edit
    cell, rnn, nl = model.cfg.cell, model.rnn, model.cfg.nonlinearity
    T, H = base.T, rnn.hidden_size
    edit.check(cell, T, H)
    dev = rnn.weight_hh_l0.device
    x = x.to(dev)
    e = model.embed(x)                                         # (T, E)
    fw = forward_steps(cell, rnn, e, nl)                        # the original run, as tensors
    k = edit.step - 1
    h_prev = fw["h"][k - 1] if k > 0 else e.new_zeros(H)
    c_prev = (fw["c"][k - 1] if k > 0 else e.new_zeros(H)) if cell == "lstm" else None
    h_t, c_t, g_t = _edited_step(cell, rnn, nl, e[k], h_prev, c_prev, edit)
    parts = {"h": [fw["h"][:k], h_t[None]]}
    if cell == "lstm":
        parts["c"] = [fw["c"][:k], c_t[None]]
    for g in GATES[cell]:
        parts[g] = [fw[g][:k], g_t[g][None]]
    if k + 1 < T:                                              # the edited state carried on by the model itself
        rest = forward_steps(cell, rnn, e[k + 1:], nl, h0=h_t, c0=c_t)
        for name in parts:
            parts[name].append(rest[name])
    full = {name: torch.cat(v) for name, v in parts.items()}
    logits = model.head(full["h"])
    out = Trace(cell_type=cell, x=x.cpu().numpy(), hidden=to_numpy(full["h"]),
                cell=to_numpy(full["c"]) if cell == "lstm" else None,
                gates={g: to_numpy(full[g]) for g in GATES[cell]}, logits=to_numpy(logits))
    if targets is not None:
        out.targets = targets.cpu().numpy()
        keep = out.targets >= 0
        out.loss = float(step_losses(out)[keep].mean())
    return out


def step_losses(tr: Trace) -> np.ndarray:
    """(T,) the cross-entropy of every step, -ln p(target) (nan where the target is ignored)."""
    if tr.targets is None:
        raise ValueError("the trace has no targets: there is no loss per step")
    z = tr.logits.astype(np.float64)
    z = z - z.max(axis=1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    y = np.asarray(tr.targets)
    out = np.full(len(y), np.nan)
    keep = y >= 0
    out[keep] = -logp[np.nonzero(keep)[0], y[keep]]
    return out
