"""The Step page's interventions: edit the memory at one step and compare what follows with the original run.

- `edit_from_settings`: the page's settings (step, quantity, unit or all, value) as a checked `Intervention`.
- `compare`: the original trace (the view's own) and the edited replay, with per-step losses, predictions and
  the unit that changed most (cached on the view: a rerun with the same edit recomputes nothing).
- `PRESET_EDITS` / `preset_edit`: the lecture's three examples, found in the view's own text and model:
  close the bracket-depth unit's forget gate at the deepest opening bracket (brackets LSTM), reset the GRU's
  state at 주 of 주가, zero h at step 3 of "hello".
- `pair_gap`: how far apart two texts' states stay after the edit step, with and without the same edit on both
  (the GRU example: after the reset, 오늘 and 어제 give the same states).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ..tracing.intervene import EDIT_GATES, MAX_STATE_VALUE, STATES, Intervention, InterventionError, quantities, replay, step_losses
from .stepthrough import StepSource, StepView, encode_known

PRESET_EDITS = ("depth_forget", "reset_juga", "hello_zero")
MAX_VALUE = MAX_STATE_VALUE
STATE_LIMITS = {"h": 1.0, "c": 5.0}      # the page's slider range for a state (tanh keeps h in [-1, 1])


def state_limit(quantity: str) -> float:
    return STATE_LIMITS.get(quantity, 1.0)


@dataclass(frozen=True)
class EditSettings:
    step: int
    quantity: str
    unit: int | None           # None: every unit
    value: float


def edit_from_settings(view: StepView, s: EditSettings) -> Intervention:
    """The page's settings as an Intervention checked against the view's model and text."""
    cell, T, H = view.trace.cell_type, view.trace.T, view.trace.hidden.shape[1]
    edit = Intervention(int(s.step), s.quantity, float(s.value), None if s.unit is None else (int(s.unit),))
    return edit.check(cell, T, H)


def compare(view: StepView, edit: Intervention) -> dict:
    """{"original": the view's trace, "edited": the replay with `edit`, "loss_orig"/"loss_edit": (T,) per-step
    losses, "pred_orig"/"pred_edit": (T,) predicted ids, "focus": the unit to draw (the edited one, or the one
    whose h changed most), "changed": steps whose prediction changed (1-based)}. Cached on the view."""
    memo = view._figs.setdefault("_interventions", {})
    key = (edit.step, edit.quantity, edit.value, edit.units)
    if key in memo:
        return memo[key]
    tr = view.trace
    x = torch.as_tensor(tr.x, dtype=torch.long)
    y = torch.as_tensor(tr.targets, dtype=torch.long)
    edited = replay(view.model, x, y, edit)
    dh = np.abs(edited.hidden.astype(np.float64) - tr.hidden)
    focus = edit.units[0] if edit.units and len(edit.units) == 1 else int(dh.sum(axis=0).argmax())
    out = {"original": tr, "edited": edited, "loss_orig": step_losses(tr), "loss_edit": step_losses(edited),
           "pred_orig": tr.predictions, "pred_edit": edited.predictions, "focus": focus,
           "changed": [int(t) + 1 for t in np.nonzero(tr.predictions != edited.predictions)[0]]}
    if len(memo) >= 16:
        memo.pop(next(iter(memo)))
    memo[key] = out
    return out


def preset_edit(name: str, source: StepSource, view: StepView) -> EditSettings | None:
    """The example `name` (PRESET_EDITS) for this model and text, or None where it does not apply."""
    chars, cell = view.chars, view.trace.cell_type
    if name == "depth_forget":
        if cell != "lstm":
            return None
        unit = next((n.unit for n in source.unit_notes if n.tracks == "bracket_depth"), None)
        if unit is None:
            return None
        depth, best, at = 0, -1, None          # the opening bracket read at the greatest depth: most to forget
        for i, c in enumerate(chars):
            if c in "([":
                if depth > best:
                    best, at = depth, i
                depth += 1
            elif c in ")]":
                depth = max(0, depth - 1)
        return None if at is None else EditSettings(at + 1, "forget", int(unit), 0.0)
    if name == "reset_juga":
        if cell != "gru" or "주" not in chars:
            return None
        return EditSettings(chars.index("주") + 1, "h", None, 0.0)
    if name == "hello_zero":
        if "".join(chars[:4]) != "hell":
            return None
        return EditSettings(3, "h", None, 0.0)
    raise KeyError(name)


def available_presets(source: StepSource, view: StepView) -> list[str]:
    return [n for n in PRESET_EDITS if preset_edit(n, source, view) is not None]


def pair_gap(source: StepSource, a: str, b: str, edit: Intervention) -> dict | None:
    """For two texts of one length (the GRU example's 오늘/어제 lines): the largest |h_a - h_b| from the edit's step
    on, without the edit and with the same edit applied to both. None if the texts cannot be compared so."""
    try:
        _, xa = encode_known(source.vocab, a)
        _, xb = encode_known(source.vocab, b)
    except ValueError:
        return None
    if len(xa) != len(xb) or not 1 <= edit.step <= len(xa):
        return None
    k = edit.step - 1
    orig = [replay(source.model, torch.as_tensor(v)) for v in (xa, xb)]
    ed = [replay(source.model, torch.as_tensor(v), edit=edit) for v in (xa, xb)]
    gap = lambda p: float(np.abs(p[0].hidden[k:].astype(np.float64) - p[1].hidden[k:]).max())   # noqa: E731
    return {"before": gap(orig), "after": gap(ed), "step": edit.step}


__all__ = ["EDIT_GATES", "EditSettings", "InterventionError", "MAX_VALUE", "PRESET_EDITS", "STATES", "available_presets",
           "compare", "edit_from_settings", "pair_gap", "preset_edit", "quantities", "state_limit"]
