"""The "hello" playground as one library call: text -> next-character task -> model -> training -> trace.

The page fills a `PlaygroundConfig` from its widgets and calls `run_playground`; everything the page
draws comes from the returned `PlaygroundRun`. The settings (PlaygroundConfig and the bounds) load
without torch, so the page can draw its form before torch is imported; `run_playground` imports it.
"""
from __future__ import annotations

import dataclasses
import itertools
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable

from ..data.text import Vocab, next_char_task
from .cache import SharedCache, shared_figure

if TYPE_CHECKING:
    import torch

    from ..nn.model import CharRNN
    from ..service import JobStatus
    from ..tracing.engine import Trace
    from ..training.loop import OnStep, TrainResult

HIDDEN_CHOICES = (1, 128)        # bounds of the page's hidden-size slider
LR_CHOICES = [0.001, 0.003, 0.01, 0.03, 0.05, 0.1, 0.3]
STEPS_RANGE = (10, 2000)
SEED_RANGE = (0, 9999)
DEADLINE_S = 20.0                # a page's training run never takes longer than this


@dataclass(frozen=True)
class PlaygroundConfig:
    text: str = "hello"     # training text: inputs text[:-1], targets text[1:]
    cell: str = "lstm"      # rnn | lstm | gru
    hidden: int = 16        # hidden units
    lr: float = 0.05        # Adam learning rate
    steps: int = 150        # full-batch training steps
    seed: int = 0           # initial weights (and everything else): same seed, same result

    def validate(self) -> "PlaygroundConfig":
        lo, hi = HIDDEN_CHOICES
        if not isinstance(self.hidden, int) or not lo <= self.hidden <= hi:
            raise ValueError(f"hidden units must be between {lo} and {hi}, not {self.hidden!r}")
        lo, hi = STEPS_RANGE
        if not isinstance(self.steps, int) or not lo <= self.steps <= hi:
            raise ValueError(f"steps must be between {lo} and {hi}, not {self.steps!r}")
        lo, hi = SEED_RANGE
        if not isinstance(self.seed, int) or not lo <= self.seed <= hi:
            raise ValueError(f"seed must be between {lo} and {hi}, not {self.seed!r}")
        return self


@dataclass
class PlaygroundRun:
    cfg: PlaygroundConfig
    vocab: Vocab
    x: torch.Tensor            # (T,) input ids
    y: torch.Tensor            # (T,) target ids
    model: CharRNN
    result: TrainResult
    trace: Trace               # the training text traced with the trained weights, with gradients
    device: str
    seconds: float
    extras: dict = field(default_factory=dict)   # per-run memo for a UI (figures per language, samples)
    specs: dict = field(default_factory=dict)    # {lang: {name: figure dict}} built where it trained (`figure_specs`)
    shared_id: int = 0         # > 0: kept by `shared_run` under this number, and every session with these
                               # settings gets a copy of it, so what is computed from it (figures) may be shared

    @property
    def input_chars(self) -> list[str]:
        return list(self.vocab.decode(self.x))


def run_playground(cfg: PlaygroundConfig, device: str = "cpu", on_step: OnStep | None = None,
                   deadline_s: float = DEADLINE_S) -> PlaygroundRun:
    """Train a fresh model on cfg.text and trace it. Raises ValueError (TextError for the text) on bad input."""
    t0 = time.perf_counter()
    vocab, x, y, model, result = train_model(cfg, device, on_step, deadline_s)
    return traced_run(cfg, vocab, x, y, model, result, device, t0)


def train_model(cfg: PlaygroundConfig, device: str = "cpu", on_step: OnStep | None = None,
                deadline_s: float = DEADLINE_S):
    """The training of `run_playground` without the trace: (vocab, x, y, model, TrainResult). The training
    service's workers run exactly this (rnnviz.service.jobs.hello), so their models equal in-process ones."""
    from ..nn.model import build_model
    from ..training.loop import TrainConfig, train
    cfg.validate()
    vocab, x, y = next_char_task(cfg.text)
    model = build_model(cfg.cell, vocab.size, cfg.hidden, seed=cfg.seed, device=device)
    tcfg = TrainConfig(lr=cfg.lr, steps=cfg.steps, seed=cfg.seed, deadline_s=deadline_s)
    result = train(model, x, y, tcfg, on_step=on_step)
    return vocab, x, y, model, result


def traced_run(cfg: PlaygroundConfig, vocab: Vocab, x, y, model, result, device: str, t0: float) -> PlaygroundRun:
    from ..tracing.engine import trace
    tr = trace(model, x, y)
    return PlaygroundRun(cfg=cfg, vocab=vocab, x=x, y=y, model=model, result=result, trace=tr, device=str(device),
                         seconds=time.perf_counter() - t0)


# ---- one training per setting for a whole class ------------------------------------------------------------
SHARED_RUNS = 32           # finished runs kept for reuse, least recently used dropped first
SHARED_MAX_TEXT = 200      # only short texts (each kept run then holds at most ~1 MB of arrays)
_shared = SharedCache(SHARED_RUNS)
_shared_ids = itertools.count(1)


def shared_run(cfg: PlaygroundConfig, device: str = "cpu", on_step: OnStep | None = None,
               deadline_s: float = DEADLINE_S, session: str | None = None,
               on_state: OnState | None = None, connected: Callable[[], bool] | None = None,
               lang: str | None = None) -> tuple[PlaygroundRun, bool]:
    """`train_run`, trained once per setting for everyone on this server.

    Training on the CPU is deterministic (same config, same weights: tested bit for bit), so when a class
    of 100 opens the page with the same settings the server trains once, not 100 times; sessions that
    ask while that training runs wait for it. Returns
    (a private deep copy the caller may change, whether it was reused). Only finished CPU runs on short
    texts are kept: a run cut by the deadline depends on the machine's speed, and CUDA kernels need not
    be deterministic."""
    build = lambda: train_run(cfg, device=device, on_step=on_step, deadline_s=deadline_s,   # noqa: E731
                              session=session, on_state=on_state, connected=connected, lang=lang)
    if str(device) != "cpu" or len(cfg.text) > SHARED_MAX_TEXT:
        return build(), False

    def keep(run: PlaygroundRun) -> bool:
        if run.result.status not in ("done", "target", "diverged"):
            return False
        run.shared_id = next(_shared_ids)         # the kept run's number: its figures are cached under it
        return True

    return _shared.get_or_build((cfg, str(device)), build, keep=keep, wait_s=deadline_s + 10)


# ---- through the training service ---------------------------------------------------------------------------
OnState = Callable[["JobStatus"], "bool | None"]


def train_run(cfg: PlaygroundConfig, device: str = "cpu", on_step: OnStep | None = None,
              deadline_s: float = DEADLINE_S, session: str | None = None,
              on_state: OnState | None = None, connected: Callable[[], bool] | None = None,
              lang: str | None = None) -> PlaygroundRun:
    """`run_playground` as job kind "hello" (`rnnviz.service.run.run_job`): through the training service when
    there is a ready one, a `session` is named and the device is the CPU; else in-process (the same function,
    `train_model`). `on_state(JobStatus)` hears the job's state as it changes (waiting with its queue
    position, running with progress); in-process it hears "running" states after each step and may return
    False to stop. `connected()`: False once the session's browser is gone (its job is then cancelled).
    Raises what `run_playground` raises for bad input (before anything is queued), QueueFull when too many
    trainings wait, JobFailed, JobCancelled (cancelled while waiting: nothing learnt). A job cancelled while
    running returns its partial run ("stopped"). A rerun of the page leaves its job running: the rerun
    attaches to it (the Stop button's rerun cancels it). With `lang`, the job also builds the run's figures in
    that language where it runs (`figure_specs`: on a worker, outside the server's interpreter)."""
    from ..service.run import run_job
    cfg.validate()
    next_char_task(cfg.text)                       # bad text: TextError here, before anything is queued
    payload = {"cfg": dataclasses.asdict(cfg), **({"figures": [lang]} if lang else {})}
    return run_job("hello", payload, lambda r: run_from_result(cfg, r, device),
                   session=session, on_state=on_state, deadline_s=deadline_s, device=device, connected=connected,
                   cancel_on_rerun=False, on_step=on_step)


def service_run(cfg: PlaygroundConfig, session: str, svc, on_state: OnState | None = None,
                deadline_s: float = DEADLINE_S, device: str = "cpu") -> PlaygroundRun:
    """`train_run` as `session`'s job on the service `svc` (no fallback: its errors are raised), on `device` in
    its worker ("cpu", "cuda" or "auto": CUDA only where the worker has it; the run's `device` says where it
    trained); the model is rebuilt and traced here on the CPU."""
    from ..service.jobs import DEVICES
    from ..service.run import run_job
    cfg.validate()
    next_char_task(cfg.text)
    if str(device).split(":", 1)[0] not in DEVICES:
        raise ValueError(f"unknown device {device!r} (known: {', '.join(DEVICES)})")
    return run_job("hello", {"cfg": dataclasses.asdict(cfg)}, lambda r: run_from_result(cfg, r),
                   session=session, on_state=on_state, deadline_s=deadline_s, cancel_on_rerun=False, service=svc,
                   device=str(device))


def run_from_result(cfg: PlaygroundConfig, result: dict, device: str = "cpu") -> PlaygroundRun:
    """The PlaygroundRun of a `rnnviz.service.jobs.hello` result: the same model, rebuilt (on `device`), traced here."""
    from ..nn.model import build_model
    from ..service.jobs import load_arrays
    from ..training.loop import TrainResult
    t0 = time.perf_counter() - result["seconds"]
    vocab, x, y = next_char_task(cfg.text)
    model = load_arrays(build_model(cfg.cell, vocab.size, cfg.hidden, seed=cfg.seed, device=device), result["state"])
    run = traced_run(cfg, vocab, x, y, model, TrainResult(**result["result"]), result.get("device", str(device)), t0)
    if str(device) == "cpu":                       # the figures the job built are of this very CPU trace
        run.specs = dict(result.get("figures") or {})
    return run


def run_figures(run: PlaygroundRun, lang: str) -> dict:
    """The run's figures in this language ("timeline", "loss"), built once per run (kept in run.extras, never
    rebuilt on a rerun): from the dicts its training job built (`run.specs`, ~15 ms: plotly's object model
    without validation), else here and, for a shared run, once per server: a class of 100 opening the page
    would otherwise build the same timeline (0.1-0.3 s) 100 times. Each session gets its own copy."""
    key = ("figs", lang)
    if key not in run.extras:
        specs = run.specs.get(lang)
        if specs is not None:
            import plotly.graph_objects as go
            from ..figures.style import keep_spec
            from ..figures.timeline import opens_at
            run.extras[key] = figs = {name: go.Figure(d, _validate=False) for name, d in specs.items()}
            for name, d in specs.items():          # its dict is the job's: the timeline as the worker opened it
                keep_spec(figs[name], d, opens_at(d) if name == "timeline" else None)
            figs["timeline"].__dict__["_rnnviz_open_at"] = opens_at(specs["timeline"])
        else:
            build = lambda: _build_figures(run, lang)            # noqa: E731
            run.extras[key] = shared_figure(("hello", run.shared_id, lang), build) if run.shared_id else build()
    return run.extras[key]


def figure_specs(cfg: PlaygroundConfig, result: dict, langs) -> dict:
    """{lang: {name: fig.to_dict()}} of `run_figures` for the run the page rebuilds from this job `result`
    (the same CPU model and trace): plain data a worker returns. Unknown languages are skipped."""
    from ..i18n import LANGS
    run = run_from_result(cfg, result)
    return {lang: {name: f.to_dict() for name, f in _build_figures(run, lang).items()}
            for lang in dict.fromkeys(langs) if lang in LANGS}


def cell_figure(run: PlaygroundRun, lang: str):
    """The trained cell, animated with its numbers (`rnnviz.figures.cell`), for the first units (up to 2: the
    page's column is narrow), built
    once per run and language (once per server for a shared run, like `run_figures`)."""
    key = ("cell_fig", lang)
    if key not in run.extras:
        def build():
            from ..figures.cell import MAX_CELL_UNITS, cell_figure as draw
            from ..tracing.analysis import step_terms
            steps = [step_terms(run.model, run.trace, t) for t in range(1, run.trace.T + 1)]
            units = list(range(min(run.cfg.hidden, MAX_CELL_UNITS - 1)))
            return draw(steps, run.cfg.cell, run.input_chars, units, lang, 1, run.model.cfg.nonlinearity)
        run.extras[key] = shared_figure(("hello-cell", run.shared_id, lang), build) if run.shared_id else build()
    return run.extras[key]


def _build_figures(run: PlaygroundRun, lang: str) -> dict:
    from ..figures import timeline as F  # looked up when called (tests count the builds)
    return {"timeline": F.timeline_figure(run.trace, run.input_chars, list(run.vocab.chars), lang,
                                          panels=("states", "probs", "grad", "values")),
            "loss": F.loss_figure(run.result.losses, run.result.accuracies, run.vocab.size, lang)}


def clear_shared_runs() -> None:
    _shared.clear()
