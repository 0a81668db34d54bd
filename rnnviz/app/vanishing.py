"""The Vanishing Gradients page's service: models built to show vanishing and exploding gradients.

- `GradConfig` / `make_model`: a model whose recurrent weights W_hh are changed on purpose (scaled,
  orthogonal, the forget-gate bias of the LSTM and the GRU's update gate) on `memory_task` (remember the
  first symbol, `rnnviz.data.synthetic`); `task_for` gives its data.
- `gradient_views`: the gradient views of RNN, LSTM and GRU on the same data and seed.
- `source_views`: where each state's gradient comes from (every loss step's part) and which inputs each
  prediction depends on, for RNN, LSTM and GRU on the same data and seed.
- `grad_heatmap_during_training` / `training_heatmaps`: ||dL/dh_t|| recorded while `rnnviz.train`
  trains (training step x time step), for every cell.
- `EXPLODING` / `exploding_runs`: the exploding-gradient demo, trained with and without clipping.
- `scalar_toy`: h_t = a x_t + b h_{t-1} + c (and its tanh version) with dh_T/dh_t = prod of b * f'.

The gradient computations themselves are in `rnnviz.tracing.gradients`.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, replace
from typing import Callable

import numpy as np
import torch

from ..checks import is_int as _is_int, is_num as _is_num
from ..data.synthetic import memory_task
from ..nn.model import CELLS, MEMORY_GATE, CharRNN, build_model, set_memory_gate_bias
from ..tracing.gradients import (LOSS_ON, MAX_GRAD_HIDDEN, check_window, grad_across_time, gradient_sources,
                                 input_attribution, jacobian_norms, spectral_radius, truncation_start)
from ..training.loop import Progress, TrainConfig, train
from . import ready
from ..service.jobs import load_arrays, state_arrays

MIN_T, MAX_T = 2, 400
MIN_VOCAB, MAX_VOCAB = 2, 64
MIN_SCALE, MAX_SCALE = 0.1, 5.0
MAX_FORGET_BIAS = 10.0
INITS = ("default", "orthogonal")


@dataclass(frozen=True)
class GradConfig:
    """One model and its synthetic task for the gradient views. Every field is bounded.

    Inputs are one-hot random symbols (`vocab` of them, 8 by default) from `memory_task`.
    `nonlinearity` applies to the vanilla RNN only and `forget_bias` to the gated cells only (the LSTM's
    forget gate, the GRU's update gate: `rnnviz.nn.model.MEMORY_GATE`); both are ignored for the other cells, so one config can be shown for RNN, LSTM and GRU side by side
    (`dataclasses.replace(cfg, cell=...)`).
    """
    cell: str = "rnn"                  # rnn | lstm | gru
    hidden: int = 64                   # units H, 1..256
    T: int = 100                       # sequence length, 2..400
    vocab: int = 8                     # one-hot input symbols, 2..64
    seed: int = 0                      # weights and data depend on this alone
    weight_scale: float = 1.0          # W_hh is multiplied by this after init, 0.1..5
    init: str = "default"              # W_hh: "default" (torch's uniform) | "orthogonal" (each gate block)
    nonlinearity: str = "tanh"         # vanilla RNN only: tanh | relu
    forget_bias: float | None = None   # LSTM forget / GRU update gate: total bias b_ih + b_hh; None: torch's
    loss_on: str = "last"              # L = cross-entropy at the last step | mean over all steps
    window: int | None = None          # truncated BPTT window k (1..400); None: full BPTT

    def validate(self) -> "GradConfig":
        if self.cell not in CELLS:
            raise ValueError(f"cell must be one of {', '.join(CELLS)}, not {self.cell!r}")
        if not _is_int(self.hidden) or not 1 <= self.hidden <= MAX_GRAD_HIDDEN:
            raise ValueError(f"hidden size must be an integer between 1 and {MAX_GRAD_HIDDEN}, not {self.hidden!r}")
        if not _is_int(self.T) or not MIN_T <= self.T <= MAX_T:
            raise ValueError(f"sequence length T must be an integer between {MIN_T} and {MAX_T}, not {self.T!r}")
        if not _is_int(self.vocab) or not MIN_VOCAB <= self.vocab <= MAX_VOCAB:
            raise ValueError(f"vocab must be an integer between {MIN_VOCAB} and {MAX_VOCAB}, not {self.vocab!r}")
        if not _is_int(self.seed) or not 0 <= self.seed < 2**31:
            raise ValueError(f"seed must be an integer between 0 and {2**31 - 1}, not {self.seed!r}")
        if not _is_num(self.weight_scale) or not math.isfinite(self.weight_scale) \
                or not MIN_SCALE <= self.weight_scale <= MAX_SCALE:
            raise ValueError(f"weight scale must be between {MIN_SCALE} and {MAX_SCALE}, not {self.weight_scale!r}")
        if self.init not in INITS:
            raise ValueError(f"init must be one of {', '.join(INITS)}, not {self.init!r}")
        if self.nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"nonlinearity must be 'tanh' or 'relu', not {self.nonlinearity!r}")
        if self.forget_bias is not None and (not _is_num(self.forget_bias) or not math.isfinite(self.forget_bias)
                                             or abs(self.forget_bias) > MAX_FORGET_BIAS):
            raise ValueError(f"forget bias must be between {-MAX_FORGET_BIAS:g} and {MAX_FORGET_BIAS:g} "
                             f"(or None for torch's default), not {self.forget_bias!r}")
        if self.loss_on not in LOSS_ON:
            raise ValueError(f"loss_on must be 'last' or 'all', not {self.loss_on!r}")
        check_window(self.window)
        return self


# The page's knobs as its URL holds them: query parameter -> (first value, the allowed values, or (lo, hi)).
KNOBS = {"T": (100, (10, 400)), "hidden": ("64", ("16", "32", "64", "128", "256")), "seed": (0, (0, 9999)),
         "loss": ("last", LOSS_ON), "scale": (100, (10, 300)), "init": ("default", INITS),
         "act": ("tanh", ("tanh", "relu")), "fb": ("torch", ("torch", "0", "1", "2", "3")),
         "k": ("off", ("off", "5", "10", "20", "50"))}      # above 128 units the Jacobians are estimated


def knobs_config(v: dict) -> GradConfig:
    """The page's knob values (`KNOBS`' parameters: T, hidden, ..., scale in %) as a validated GradConfig."""
    return GradConfig(T=int(v["T"]), hidden=int(v["hidden"]), seed=int(v["seed"]), loss_on=v["loss"],
                      weight_scale=v["scale"] / 100, init=v["init"], nonlinearity=v["act"],
                      forget_bias=None if v["fb"] == "torch" else float(v["fb"]),
                      window=None if v["k"] == "off" else int(v["k"])).validate()


def make_model(cfg: GradConfig) -> CharRNN:
    """cfg -> a fresh `CharRNN` (one-hot input of cfg.vocab symbols, cfg.hidden units), float32, eval mode.

    Starts from `build_model` (torch's default init for cfg.seed), then, in this order:
    1. init == "orthogonal": every H x H gate block of W_hh (RNN 1, LSTM i f g o, GRU r z n) is replaced
       by an independent random orthogonal matrix (seeded by cfg.seed);
    2. W_hh *= weight_scale (all blocks);
    3. forget_bias = b (LSTM and GRU): the total bias b_ih + b_hh of the memory gate, the LSTM's forget gate
       or the GRU's update gate z, is set to b (`rnnviz.nn.model.set_memory_gate_bias`, as for every other model).
    The global RNG is left untouched; the same cfg always gives the same weights.
    """
    cfg.validate()
    nl = cfg.nonlinearity if cfg.cell == "rnn" else "tanh"
    model = build_model(cfg.cell, vocab_size=cfg.vocab, hidden_size=cfg.hidden, seed=cfg.seed, nonlinearity=nl)
    H = cfg.hidden
    rnn = model.rnn
    with torch.no_grad():
        W = rnn.weight_hh_l0                                    # (G*H, H)
        if cfg.init == "orthogonal":
            gen = torch.Generator().manual_seed(cfg.seed + 1)
            for k in range(W.shape[0] // H):
                torch.nn.init.orthogonal_(W[k * H:(k + 1) * H], generator=gen)
        W.mul_(float(cfg.weight_scale))
        if cfg.cell in MEMORY_GATE and cfg.forget_bias is not None:
            set_memory_gate_bias(rnn, cfg.forget_bias)
    model.eval()
    return model


def task_for(cfg: GradConfig) -> tuple[torch.Tensor, torch.Tensor]:
    """cfg -> (x, y), LongTensors (T,): the memory_task sequence the gradient views use."""
    return memory_task(cfg.T, cfg.vocab, cfg.seed)


OnProgress = Callable[[int, int, float, np.ndarray], "bool | None"]  # (step, steps, loss, grad row) -> False stops


def grad_heatmap_during_training(cfg: GradConfig, steps: int = 200, every: int = 10,
                                 on_progress: OnProgress | None = None, deadline_s: float = 30.0,
                                 lr: float = 0.01, clip: float | None = 1.0, n_seqs: int = 32,
                                 optimizer: str = "adam", model: CharRNN | None = None,
                                 snapshot_steps: tuple[int, ...] = ()) -> dict:
    """Train on the memory task and record ||dL/dh_t|| as training proceeds (training step x time step).

    cfg: the model (`make_model(cfg)` unless `model` is given, which is trained in place) and the task:
    `memory_task(cfg.T, cfg.vocab, cfg.seed, n=n_seqs)`, trained full batch with `rnnviz.train` (mean
    cross-entropy over all steps; Adam/SGD, lr, global-norm clip, deadline_s of wall clock, NaN guard).
    ONE `train` call, so the optimizer state runs on across the recordings; every `every` steps (and at
    step 0 and at the last step) `grad_across_time(model, x_0, y_0, cfg.loss_on, cfg.window)` is recorded
    for the first training sequence. on_progress(step, steps, loss, grad row (T,)) is called at each
    recording after step 0; returning False stops training, keeping the weights learnt so far.

    Returns {"train_steps": int ndarray (K,), "grad": ndarray (K, T), "losses": list (per step),
    "status": done | deadline | stopped | diverged, "message": str, "seconds": float, "model": the
    trained model, "x": (n_seqs, T), "y": (n_seqs, T), "snapshots": {step: the model's state as numpy arrays}
    at each recorded step of `snapshot_steps` (and at the last step reached, when snapshots are asked for)}.
    """
    cfg.validate()
    if not _is_int(every) or not _is_int(steps) or not 1 <= every <= steps:
        raise ValueError(f"every must be an integer between 1 and steps ({steps!r}), not {every!r}")
    tcfg = TrainConfig(optimizer=optimizer, lr=lr, steps=steps, clip=clip, seed=cfg.seed, batch_size=None,
                       deadline_s=deadline_s).validate()
    if model is None:
        model = make_model(cfg)
    x, y = memory_task(cfg.T, cfg.vocab, cfg.seed, n=n_seqs)   # (N, T) each
    x0, y0 = x[0], y[0]
    rows = [grad_across_time(model, x0, y0, cfg.loss_on, cfg.window)]
    at = [0]
    snaps: dict[int, dict] = {}

    def record(step: int, loss: float) -> bool | None:
        rows.append(grad_across_time(model, x0, y0, cfg.loss_on, cfg.window))
        at.append(step)
        if step in snapshot_steps:
            snaps[step] = state_arrays(model)
        if on_progress is not None:
            return on_progress(step, steps, loss, rows[-1])
        return None

    def on_step(p: Progress):
        if p.step % every == 0 or p.step == steps:
            return record(p.step, p.loss)
        return None

    res = train(model, x, y, tcfg, on_step=on_step)
    if res.steps and at[-1] != res.steps:                       # stopped between recordings: keep the last state
        rows.append(grad_across_time(model, x0, y0, cfg.loss_on, cfg.window))
        at.append(res.steps)
    if snapshot_steps and res.steps and res.steps not in snaps:
        snaps[res.steps] = state_arrays(model)
    model.eval()
    return {"train_steps": np.asarray(at, dtype=np.int64), "grad": np.stack(rows), "losses": list(res.losses),
            "status": res.status, "message": res.message, "seconds": res.seconds, "model": model, "x": x, "y": y,
            "snapshots": snaps}


def training_heatmaps(cfg: GradConfig, steps: int = 100, cells: tuple[str, ...] = CELLS,
                      on_progress: Callable[[str, int, int, float, np.ndarray], "bool | None"] | None = None,
                      deadline_s: float = 20.0, into: dict | None = None) -> dict[str, dict]:
    """The "during training" view: `grad_heatmap_during_training` for each cell of `cfg` in turn (same data
    and seed), recording about 25 rows each. on_progress(cell, step, steps, loss, row). Returns
    {cell: {"steps": [...], "rows": [(T,) ...], "status", "message"}}; with `into` (a session's dict) each
    cell's record is filled there as it is recorded, "stopped" until its training ends, so a run cut short
    by a rerun keeps what it recorded. Each record also holds "snapshots": {step: the model's state arrays} at
    `snapshot_steps` (for the sources view after training)."""
    out = {} if into is None else into
    for cell in cells:
        rec = out[cell] = {"steps": [0], "rows": [], "status": "stopped", "message": ""}

        def cb(step, total, loss, row, _c=cell, _rec=rec):
            _rec["steps"].append(step)
            _rec["rows"].append(row)
            return None if on_progress is None else on_progress(_c, step, total, loss, row)
        every = max(1, steps // 25)
        res = grad_heatmap_during_training(replace(cfg, cell=cell), steps=steps, every=every,
                                           on_progress=cb, deadline_s=deadline_s,
                                           snapshot_steps=snapshot_steps(steps, every))
        out[cell] = {"steps": list(res["train_steps"]), "rows": list(res["grad"]), "status": res["status"],
                     "message": res["message"], "snapshots": res["snapshots"]}
    return out


SNAPSHOTS = 4          # the trained models the "where it comes from" view can trace: at 1/4, 1/2, 3/4 and all steps


def snapshot_steps(steps: int, every: int) -> tuple[int, ...]:
    """The recorded steps nearest to 1/4, 1/2, 3/4 of `steps`, and `steps` itself."""
    return tuple(sorted({min(steps, max(every, every * round(steps * k / SNAPSHOTS / every)))
                         for k in range(1, SNAPSHOTS)} | {steps}))


def heatmap_range(heat: dict[str, dict]) -> tuple[float, float]:
    """(min, max) of log10 ||dL/dh_t|| over every recorded row of every cell: one colour scale for all."""
    vals = [np.asarray(r, dtype=np.float64) for rec in heat.values() if rec for r in rec["rows"]]
    pos = np.concatenate([v[v > 0] for v in vals]) if vals else np.zeros(0)
    return (float(np.log10(pos.min())), float(np.log10(pos.max()))) if pos.size else (0.0, 1.0)


# The exploding-gradient demo: a ReLU RNN with orthogonal W_hh scaled by 3 (spectral radius 3), trained by plain
# SGD at lr 1, once without and once with clipping to 1: the first overflows, the second trains.
EXPLODING = GradConfig(cell="rnn", nonlinearity="relu", weight_scale=3.0, init="orthogonal", hidden=32, T=50, seed=1)
EXPLODING_CLIP = 1.0


def exploding_runs(steps: int = 100, deadline_s: float = 20.0) -> dict[str, dict]:
    """{"no_clip": ..., "clip": ...}: the EXPLODING model trained without and with clipping at
    EXPLODING_CLIP (each a `grad_heatmap_during_training` result)."""
    return {name: grad_heatmap_during_training(EXPLODING, steps=steps, every=10, lr=1.0, optimizer="sgd", clip=clip,
                                               deadline_s=deadline_s)
            for name, clip in (("no_clip", None), ("clip", EXPLODING_CLIP))}


MAX_TOY_T = 400
MAX_TOY_ABS = 100.0
MAX_TOY_B = 5.0


def scalar_toy(a: float, b: float, c: float, x, h0: float = 0.0, tanh: bool = False) -> dict:
    """The one-unit recurrence of the lecture notes: h_t = a x_t + b h_{t-1} + c (tanh: h_t = tanh(...)).

    x: the inputs x_1..x_T (sequence of T <= 400 floats); h0: the initial state. dh_T/dh_t is the
    product of the per-step factors dh_s/dh_{s-1} = b (linear) or b (1 - h_s^2) (tanh) over s = t+1..T:
    exactly b^(T-t) for the linear toy (k = T - t steps: vanishes for |b| < 1, explodes for |b| > 1);
    the tanh factor is at most |b|, so saturation only shrinks it further. Float64 throughout.

    Returns {"h": (T,) h_1..h_T, "factor": (T,) dh_t/dh_{t-1}, "dhT_dh": (T,) dh_T/dh_t for t = 1..T
    (1 at t = T), "dhT_dh0": float}.
    """
    xs = np.asarray(x, dtype=np.float64).reshape(-1)
    T = xs.shape[0]
    if not 1 <= T <= MAX_TOY_T:
        raise ValueError(f"x must hold between 1 and {MAX_TOY_T} values, not {T}")
    for name, v, lim in (("a", a, MAX_TOY_ABS), ("b", b, MAX_TOY_B), ("c", c, MAX_TOY_ABS), ("h0", h0, MAX_TOY_ABS)):
        if not _is_num(v) or not math.isfinite(v) or abs(v) > lim:
            raise ValueError(f"{name} must be a number between {-lim:g} and {lim:g}, not {v!r}")
    if not np.isfinite(xs).all() or np.abs(xs).max() > MAX_TOY_ABS:
        raise ValueError(f"x values must be finite numbers between {-MAX_TOY_ABS:g} and {MAX_TOY_ABS:g}")
    a, b, c, h0 = float(a), float(b), float(c), float(h0)
    h = np.empty(T)
    prev = h0
    for t in range(T):
        prev = a * xs[t] + b * prev + c
        if tanh:
            prev = math.tanh(prev)
        h[t] = prev
    if tanh:
        factor = b * (1.0 - h * h)                              # dh_t/dh_{t-1} = b tanh'(pre_t)
        prods = np.cumprod(factor[::-1])[::-1]                  # prods[i] = factor[i] * ... * factor[T-1]
        dhT_dh = np.append(prods[1:], 1.0)                      # dh_T/dh_t = prod over s = t+1..T
        dhT_dh0 = float(prods[0])
    else:
        factor = np.full(T, b)
        dhT_dh = np.power(b, np.arange(T - 1, -1, -1, dtype=np.float64))  # b^(T-t)
        dhT_dh0 = float(b ** T)
    return {"h": h, "factor": factor, "dhT_dh": dhT_dh, "dhT_dh0": dhT_dh0}


def gradient_summary(views: dict, cells=CELLS) -> list[dict]:
    """The table under `gradient_views`: per cell ||dL/dh_1||, ||dL/dh_T||, their ratio (how much of the
    gradient survives T - 1 steps back) and the spectral radius of W_hh (per gate block), as text."""
    rows = []
    for cell in cells:
        g, r = views[cell]["grad"], views[cell]["radius"]
        rows.append({"cell": cell, "first": f"{g[0]:.2e}", "last": f"{g[-1]:.2e}",
                     "ratio": f"{g[-1] / g[0]:.1e}" if g[0] > 0 else "∞",
                     "radius": f"{r:.2f}" if isinstance(r, float) else ", ".join(f"{k[0]} {v:.2f}" for k, v in r.items())})
    return rows


def gradient_views(cfg: GradConfig, cells=CELLS) -> dict:
    """The same data, seed and knobs for every cell (RNN, LSTM, GRU) at initialisation.

    Computed in float64 so that the tiny gradients of early steps do not underflow to 0.
    Returns {cell: {"grad" (T,) ||dL/dh_t||, "jac" (T,) ||dh_T/dh_t||_F, "jac_exact": bool,
    "radius": spectral radius of W_hh (float, or dict per gate block)}} and "cut": the first step that
    still receives gradient under truncated BPTT (1 without truncation).
    """
    cfg.validate()
    x, y = task_for(cfg)
    out = {}
    for cell in cells:
        c = replace(cfg, cell=cell)
        model = make_model(c).double()
        jac = jacobian_norms(model, x, seed=cfg.seed)
        out[cell] = {"grad": grad_across_time(model, x, y, cfg.loss_on, cfg.window), "jac": jac["norms"],
                     "jac_exact": jac["exact"], "radius": spectral_radius(model.rnn.weight_hh_l0.detach(), cell)}
    out["cut"] = truncation_start(cfg.T, cfg.window) if cfg.loss_on == "last" else 1
    return out


ATTRIBUTION_STEPS = 60       # the input-attribution view reads the first steps (T copies of them run at once)


def symbol_chars(x) -> list[str]:
    """The memory task's symbols as the letters the page shows (0 -> A, 1 -> B, ...)."""
    return [chr(ord("A") + int(v)) if int(v) < 26 else str(int(v)) for v in x]


def source_views(cfg: GradConfig, cells=CELLS, attribution_steps: int = ATTRIBUTION_STEPS,
                 states: dict | None = None) -> dict:
    """Where the gradient comes from, for every cell on the same data and seed, float64: at initialisation, or
    with `states` ({cell: state arrays}, e.g. a training record's snapshots) the models trained so far.

    The loss is the mean over all T steps (each step's target is the first symbol: every step has a loss, so
    every loss step tau can be traced back; `cfg.loss_on` is not used). Returns {cell: {"sources":
    `gradient_sources` output, "attr": `input_attribution` (A, A) on the first A = min(T, attribution_steps)
    steps}}, "chars": the T inputs as letters, "target": the first symbol's letter (every step's target).
    """
    cfg.validate()
    if not _is_int(attribution_steps) or not 1 <= attribution_steps <= MAX_T:
        raise ValueError(f"attribution steps must be an integer between 1 and {MAX_T}, not {attribution_steps!r}")
    x, y = task_for(cfg)
    A = min(cfg.T, attribution_steps)
    out: dict = {"chars": symbol_chars(x), "target": symbol_chars(y[:1])[0]}
    for cell in cells:
        model = make_model(replace(cfg, cell=cell))
        if states is not None:
            load_arrays(model, states[cell])
        model = model.double()
        out[cell] = {"sources": gradient_sources(model, x, y, cfg.window), "attr": input_attribution(model, x[:A], y[:A])}
    return out


# ---- ready for a lecture: the training views' results, shipped for the defaults, kept once computed --------
TRAIN_STEPS = (50, 100, 200, 400)      # the page's choices of training steps for the heatmaps
DEFAULT_TRAIN_STEPS = 100


def _heatmaps_from_json(value: dict) -> dict:
    return {cell: dict(rec, rows=[np.asarray(r, dtype=np.float64) for r in rec["rows"]]) for cell, rec in value.items()}


def ready_heatmaps(cfg: GradConfig, steps: int) -> dict | None:
    """`training_heatmaps(cfg, steps)` if it is ready: shipped for the page's defaults (scripts/train_ready.py,
    the snapshots in their own safetensors file) or computed by a session of this server. None otherwise."""
    def load(value):
        heat = _heatmaps_from_json(value)
        snaps = shipped_snapshots(cfg, steps)
        for cell, rec in heat.items():
            rec["snapshots"] = (snaps or {}).get(cell, {})
        return heat
    return ready.get("vanishing_training", (cfg, steps), load)


SNAPSHOT_FILE = ready.READY_DIR / "vanishing_snapshots.safetensors"


def save_snapshots(cfg: GradConfig, steps: int, heat: dict, path=None) -> None:
    """The training records' snapshots as one safetensors file (tensors "<cell>/<step>/<parameter>", the
    settings in its metadata): the shipped JSON keeps the heatmaps alone (numbers as text would be 5x larger)."""
    from safetensors.numpy import save_file
    tensors = {f"{cell}/{step}/{name}": np.ascontiguousarray(a) for cell, rec in heat.items()
               for step, arrays in rec.get("snapshots", {}).items() for name, a in arrays.items()}
    save_file(tensors, str(SNAPSHOT_FILE if path is None else path), metadata={"key": ready.canonical((cfg, steps))})


def shipped_snapshots(cfg: GradConfig, steps: int, path=None) -> dict | None:
    """{cell: {step: state arrays}} shipped for (cfg, steps), or None (no file, other settings)."""
    from safetensors import safe_open
    p = SNAPSHOT_FILE if path is None else path
    if not p.exists():
        return None
    with safe_open(str(p), framework="numpy") as f:
        if (f.metadata() or {}).get("key") != ready.canonical((cfg, steps)):
            return None
        out: dict = {}
        for name in f.keys():
            cell, step, param = name.split("/", 2)
            out.setdefault(cell, {}).setdefault(int(step), {})[param] = f.get_tensor(name)
    return out


def keep_heatmaps(cfg: GradConfig, steps: int, heat: dict) -> None:
    """Keep a finished run of `training_heatmaps` for every session (not one that was stopped or cut short)."""
    if set(heat) == set(CELLS) and all(rec["status"] in ("done", "diverged") for rec in heat.values()):
        ready.keep("vanishing_training", (cfg, steps), heat)


def shared_exploding_runs() -> dict:
    """`exploding_runs()`, computed once per server (about 0.6 s): the demo has no settings."""
    runs = ready.get("vanishing_exploding", EXPLODING)
    if runs is None:
        runs = exploding_runs()
        ready.keep("vanishing_exploding", EXPLODING, runs)
    return runs


# ---- through the training service (`rnnviz.service.run.run_job`): the same functions, as jobs ---------------
HEATMAP_DEADLINE_S = 20.0          # per cell, as `training_heatmaps`
EXPLODING_STEPS, EXPLODING_DEADLINE_S = 100, 20.0


def train_heatmaps(cfg: GradConfig, steps: int, into: dict | None = None, **job) -> dict:
    """`training_heatmaps(cfg, steps)` as job kind "vg_heatmaps" (on the training service when there is one,
    else in-process: `job` are `run_job`'s keywords: session, on_state, connected, ...). Progress carries the
    cell. The records go into `into` (a session's dict) when the job ends, also when it is stopped or the
    script is rerun: the cells recorded so far are kept. Returns the records."""
    from ..service.run import run_job
    cfg.validate()
    if steps not in TRAIN_STEPS:
        raise ValueError(f"training steps must be one of {', '.join(map(str, TRAIN_STEPS))}, not {steps!r}")
    out = {} if into is None else into

    def rebuild(res: dict) -> dict:
        out.update({c: dict(r, steps=list(r["steps"]), rows=list(r["rows"])) for c, r in res.items()})
        return out
    return run_job("vg_heatmaps", {"cfg": dataclasses.asdict(cfg), "steps": int(steps),
                                   "deadline_s": HEATMAP_DEADLINE_S}, rebuild,
                   deadline_s=len(CELLS) * HEATMAP_DEADLINE_S + 15, **job)


def train_exploding(**job) -> dict:
    """`exploding_runs()` as job kind "vg_exploding": {"no_clip", "clip"}, each a record without its model."""
    from ..service.run import run_job
    return run_job("vg_exploding", {"steps": EXPLODING_STEPS, "deadline_s": EXPLODING_DEADLINE_S}, lambda r: r,
                   deadline_s=2 * EXPLODING_DEADLINE_S + 10, **job)
