"""Vanishing and exploding gradients, BPTT and truncated BPTT: cause them, see them across time,
see what cures them, on real models."""
import math

import numpy as np
import streamlit as st

import ui
from rnnviz.app.longrange import (PAGE_DEFAULT, PAGE_LENGTHS, PAGE_STEPS, TASK_HIDDEN,
                                  comparison_rows, keep_comparison, page_config, ready_comparison, train_comparison)
from rnnviz.app.sweep import SweepResult, train_sweep
from rnnviz.app.vanishing import (DEFAULT_TRAIN_STEPS, INITS, KNOBS, LOSS_ON, TRAIN_STEPS, GradConfig,
                                  gradient_summary, gradient_views, heatmap_range, keep_heatmaps, knobs_config,
                                  ready_heatmaps, scalar_toy, shared_exploding_runs, source_views, train_exploding,
                                  train_heatmaps)
from rnnviz.figures import gradients as FG
from rnnviz.i18n import t

lang = ui.setup_page("grad.title", ":material/trending_down:")
ss = st.session_state
CELLS = ("rnn", "lstm", "gru")
NAMES = FG.CELL_NAMES
HIDDEN, FORGET, WINDOWS = (KNOBS[k][1] for k in ("hidden", "fb", "k"))


def knobs_ui() -> GradConfig:
    """The knobs that cause and cure vanishing/exploding gradients; every one lives in the URL."""
    ui.check_state({f"vg.{p}": (p, b) for p, b in ui.spec_bounds(KNOBS).items()})   # crafted widget values
    ui.url_state({f"vg.{p}": (p, v) for p, v in ui.qp_spec(KNOBS).items()})
    with ui.controls(lang, border=True):      # folded away in the presenter view
        c1, c2, c3, c4 = st.columns(4)
        c1.slider(t("grad.T", lang), 10, 400, key="vg.T", step=10, help=t("grad.T.help", lang))
        c2.select_slider(t("grad.hidden", lang), HIDDEN, key="vg.hidden")
        c3.radio(t("grad.loss_on", lang), LOSS_ON, key="vg.loss", horizontal=True,
                 format_func=lambda v: t(f"grad.loss_on.{v}", lang))
        c4.number_input(t("hello.seed", lang), 0, 9999, key="vg.seed")
        c1, c2, c3, c4, c5 = st.columns(5)
        c1.slider(t("grad.scale", lang), 10, 300, key="vg.scale", step=5, format="%d%%", help=t("grad.scale.help", lang))
        c2.radio(t("grad.init", lang), INITS, key="vg.init",
                 format_func=lambda v: t(f"grad.init.{v}", lang))
        c3.radio(t("grad.act", lang), ["tanh", "relu"], key="vg.act", horizontal=True)
        c4.select_slider(t("grad.forget_bias", lang), FORGET, key="vg.fb", help=t("grad.forget_bias.help", lang),
                         format_func=lambda v: t("grad.fb.torch", lang) if v == "torch" else v)
        c5.select_slider(t("grad.window", lang), WINDOWS, key="vg.k",
                         format_func=lambda v: t("grad.window.off", lang) if v == "off" else f"k = {v}")
    return knobs_config({p: ss[f"vg.{p}"] for p in KNOBS})


@st.cache_data(max_entries=64, show_spinner=False)
def _compare(cfg: GradConfig) -> dict:
    return gradient_views(cfg)


@st.cache_data(max_entries=16, show_spinner=False)
def _sources(cfg: GradConfig, train_steps: int, step: int, _states: dict | None) -> dict:
    """At initialisation (step 0), or the models trained `step` of `train_steps` steps (deterministic: the
    settings name the weights, so `_states` is not hashed)."""
    return source_views(cfg, states=_states)


def _ready(field: str, value) -> dict | None:
    return None if value is None else {field: value, "source": "ready"}


def _source_caption(source: str) -> None:
    if source in ("ready", "stale"):                            # shipped or shared / made with other settings
        st.caption(t("grad.ready" if source == "ready" else "grad.train.stale", lang))


def across_time_tab(cfg: GradConfig) -> None:
    res = _compare(cfg)
    st.caption(t("grad.across.howto", lang))
    note = t("grad.cut_note", lang, t=res["cut"]) if res["cut"] > 1 else None
    ui.plotly_chart(FG.grad_time_figure({c: res[c]["grad"] for c in CELLS}, lang, window=cfg.window, note=note),
                    key="vg.grad_fig", width="stretch")
    ui.rows_table(gradient_summary(res, CELLS), {k: f"grad.col.{k}" for k in ("cell", "first", "last", "ratio", "radius")},
                  lang, {"cell": NAMES.get})
    st.info(t("grad.forget.explain", lang))
    exact = all(res[c]["jac_exact"] for c in CELLS)
    st.markdown(f"#### {t('grad.jac.title', lang)}")
    st.caption(t("grad.jac.howto", lang))
    ui.plotly_chart(FG.grad_time_figure({c: res[c]["jac"] for c in CELLS}, lang, ytitle="‖∂h_T/∂h_t‖_F",
                                        note=t("grad.jac.exact" if exact else "grad.jac.estimated", lang)),
                    key="vg.jac_fig", width="stretch")


def sources_tab(cfg: GradConfig) -> None:
    """Where each state's gradient comes from (RNNbow's triangle, for every cell) and which inputs each
    prediction depends on (Distill's connectivity), at initialisation."""
    st.caption(t("grad.src.howto", lang))
    train_steps = ss.get("vg.train_steps", DEFAULT_TRAIN_STEPS)
    held = ui.shown_result("vg.heat", (cfg, train_steps), lambda: _ready("cells", ready_heatmaps(cfg, train_steps)),
                           stale_ok=lambda own: False)
    snaps = {c: (held["cells"].get(c) or {}).get("snapshots") or {} for c in CELLS} if held else {}
    options = [0] + sorted(set.intersection(*(set(v) for v in snaps.values()))) if snaps else [0]
    ui.url_state({"vg.src_step": ("src_step", ui.as_choice(0, options))})
    if ss["vg.src_step"] not in options:                        # other settings: no such training step
        ss["vg.src_step"] = 0
    if len(options) > 1:
        step = st.select_slider(t("grad.src.train_step", lang), options, key="vg.src_step",
                                format_func=lambda k: t("grad.src.at_init", lang) if k == 0 else str(k))
    else:
        step = 0
        st.caption(t("grad.src.train_first", lang))
    states = {c: snaps[c][step] for c in CELLS} if step else None
    with st.spinner(t("grad.src.computing", lang)):
        res = _sources(cfg, train_steps, step, states)
    ui.url_state({"vg.tau": ("tau", ui.as_int(cfg.T, 1, 400)),
                  "vg.attr_cell": ("attr_cell", ui.as_choice("lstm", CELLS))})
    if ss["vg.tau"] > cfg.T:                                    # a shorter sequence than the link's: its last step
        ss["vg.tau"] = cfg.T

    @st.fragment
    def triangle() -> None:                                     # a move of tau redraws this figure alone
        tau = st.slider(t("grad.src.tau", lang), 1, cfg.T, key="vg.tau")
        ui.plotly_chart(FG.sources_figure({c: res[c]["sources"] for c in CELLS}, tau, lang), key="vg.src_fig",
                        width="stretch")
    triangle()
    st.markdown(f"#### {t('grad.src.share_title', lang)}")
    st.caption(t("grad.src.share_howto", lang))
    ui.plotly_chart(FG.source_share_figure({c: res[c]["sources"] for c in CELLS}, lang), key="vg.share_fig",
                    width="stretch")
    st.markdown(f"#### {t('grad.attr.heading', lang)}")
    A = res[CELLS[0]]["attr"].shape[0]
    st.caption(t("grad.attr.howto", lang, n=A, target=res["target"]))
    cell = st.radio(t("grad.attr.cell", lang), CELLS, key="vg.attr_cell", horizontal=True, format_func=NAMES.get)
    # hover a character: its prediction's attribution, recoloured in the browser (the component's own script)
    st.iframe(FG.attribution_html(res[cell]["attr"], res["chars"][:A], min(ss["vg.tau"], A), lang), height="content",
              alt=t("grad.attr.heading", lang))
    ui.plotly_chart(FG.attribution_figure(res[cell]["attr"], res["chars"][:A], min(ss["vg.tau"], A), lang),
                    key="vg.attr_fig", width="stretch")


def training_tab(cfg: GradConfig) -> None:
    """RNN, LSTM and GRU side by side: ||dL/dh_t|| recorded as each trains. What was recorded is kept in the
    session as it comes, so the Stop button (any click reruns the page and ends the run) loses nothing."""
    st.caption(t("grad.train.howto", lang))
    c1, c2, c3 = st.columns([2, 1, 1], vertical_alignment="bottom")
    ui.url_state({"vg.train_steps": ("train_steps", ui.as_choice(DEFAULT_TRAIN_STEPS, TRAIN_STEPS))})
    steps = c1.select_slider(t("hello.steps", lang), TRAIN_STEPS, key="vg.train_steps")
    go = c2.button(t("grad.train.run", lang), type="primary", key=ui.work_key("vg.train_go"), width="stretch")
    key = (cfg, steps)
    if go:
        heat = ss["vg.heat"] = {"key": key, "cells": {}, "source": "trained"}   # filled even after a Stop
        ui.training(lambda **job: train_heatmaps(cfg, steps, into=heat["cells"], **job), lang, "vg.train_stop", c3,
                    cells=CELLS)
        keep_heatmaps(cfg, steps, heat["cells"])                # deterministic: the next session gets it at once
    heat = ui.shown_result("vg.heat", key, lambda: _ready("cells", ready_heatmaps(cfg, steps)))
    if not heat:
        st.info(t("grad.train.none", lang))
        return
    _source_caption(heat["source"])
    zrange = heatmap_range(heat["cells"])                       # one colour scale for the three
    st.caption(t("grad.train.one_scale", lang, lo=zrange[0], hi=zrange[1]))
    cols = st.columns(len(CELLS))
    for col, cell in zip(cols, CELLS):
        rec = heat["cells"].get(cell)
        col.markdown(f"**{NAMES[cell]}**")
        if not rec or not rec["rows"]:
            col.caption(t("grad.train.not_run", lang))
            continue
        if rec["status"] == "stopped":
            col.caption(t("grad.train.stopped", lang, n=rec["steps"][-1]))
        elif rec["status"] in ("diverged", "deadline"):
            col.warning(t("lab.cell_warning", lang, cell=NAMES[cell], n=rec["steps"][-1],
                          status=t(f"train.status.{rec['status']}", lang)))
        ui.plotly_chart(FG.training_heatmap_figure(rec["steps"], np.stack(rec["rows"]), lang, zrange=zrange),
                         key=f"vg.heat_fig.{cell}", width="stretch", where=col)


def exploding_tab() -> None:
    st.caption(t("grad.explode.howto", lang))
    if st.button(t("grad.explode.run", lang), key=ui.work_key("vg.explode_go"), type="primary"):
        runs = ui.training(train_exploding, lang, "vg.explode_stop")     # live, for this session
        if runs is not None:
            ss["vg.explode"] = runs
    if "vg.explode" not in ss:
        ss["vg.explode"] = shared_exploding_runs()              # the server's (0.6 s, once), then the session's
    runs = ss["vg.explode"]
    for name in ("no_clip", "clip"):
        r = runs[name]
        msg = t(f"grad.explode.{name}", lang, steps=len(r["losses"]), loss=r["losses"][-1] if r["losses"] else math.nan)
        if r["status"] == "diverged":                          # the demo's point, so a warning, not an error
            msg += " " + t("grad.explode.diverged", lang, steps=len(r["losses"]))
        (st.warning if r["status"] == "diverged" else st.success)(msg)
    curves = {t(f"grad.explode.{n}.label", lang): runs[n]["losses"] for n in ("no_clip", "clip")}
    ui.plotly_chart(FG.task_loss_figure(curves, math.log(8), lang), key="vg.explode_fig", width="stretch")


def toy_tab() -> None:
    st.caption(t("grad.toy.howto", lang))
    ui.url_state({"vg.toy_a": ("toy_a", ui.as_num(1.0, -2.0, 2.0, 0.1)), "vg.toy_b": ("toy_b", ui.as_num(0.9, -2.0, 2.0, 0.05)),
                  "vg.toy_c": ("toy_c", ui.as_num(0.0, -1.0, 1.0, 0.1)), "vg.toy_T": ("toy_T", ui.as_int(30, 5, 100)),
                  "vg.toy_tanh": ("toy_tanh", ui.as_bool(False))})
    c1, c2, c3, c4, c5 = st.columns(5)
    a = c1.slider("a", -2.0, 2.0, step=0.1, key="vg.toy_a")
    b = c2.slider("b", -2.0, 2.0, step=0.05, key="vg.toy_b")
    c = c3.slider("c", -1.0, 1.0, step=0.1, key="vg.toy_c")
    T = c4.slider(t("grad.T", lang), 5, 100, key="vg.toy_T")
    use_tanh = c5.toggle("tanh", key="vg.toy_tanh")
    x = np.zeros(T)
    x[0] = 1.0                                                  # one input at t = 1, then silence
    res = scalar_toy(a, b, c, x, tanh=use_tanh)
    st.latex(r"h_t = \tanh(a x_t + b h_{t-1} + c)" if use_tanh else r"h_t = a x_t + b h_{t-1} + c")
    factor = r"\prod_{s=2}^{T} b\,(1-h_s^2)" if use_tanh else rf"b^{{{T - 1}}} = ({b:g})^{{{T - 1}}}"
    st.latex(rf"\frac{{\partial h_T}}{{\partial h_1}} = {factor} = {res['dhT_dh'][0]:.3e}")
    ui.plotly_chart(FG.scalar_toy_figure(res["h"], res["dhT_dh"], lang), key="vg.toy_fig", width="stretch")


def tasks_tab() -> None:
    st.caption(t("grad.tasks.howto", lang))
    c1, c2, c3, c4 = st.columns(4)
    d_task, d_T, d_steps = PAGE_DEFAULT
    ui.url_state({"vg.task": ("task", ui.as_choice(d_task, ("adding", "copy"))),
                  "vg.task_T": ("task_T", ui.as_choice(d_T, PAGE_LENGTHS)),
                  "vg.task_steps": ("task_steps", ui.as_choice(d_steps, PAGE_STEPS))})
    task = c1.radio(t("grad.task", lang), ["adding", "copy"], key="vg.task", format_func=lambda v: t(f"grad.task.{v}", lang))
    T = c2.select_slider(t("grad.dep_length", lang), PAGE_LENGTHS, key="vg.task_T")
    steps = c3.select_slider(t("hello.steps", lang), PAGE_STEPS, key="vg.task_steps")
    go = c4.button(t("grad.tasks.run", lang), type="primary", key=ui.work_key("vg.task_go"))
    cfg = page_config(task, T, steps)
    st.caption(t(f"grad.baseline.{task}", lang, v=cfg.baseline, T=T))
    if go:
        ss["vg.tasks"] = {"key": cfg, "results": {}, "source": "trained"}   # filled even after a Stop
        ui.training(lambda **job: train_comparison(cfg, into=ss["vg.tasks"]["results"], **job), lang, "vg.task_stop",
                    cells=CELLS)
        keep_comparison(cfg, ss["vg.tasks"]["results"])         # a finished run: every session gets it at once
    held = ui.shown_result("vg.tasks", cfg, lambda: _ready("results", ready_comparison(cfg)))
    if not held:
        return
    _source_caption(held["source"])
    results, task_ = held["results"], held["key"].task
    base_ = held["key"].baseline
    ui.plotly_chart(FG.task_loss_figure({c: r.losses for c, r in results.items()}, base_, lang),
                    key="vg.task_fig", width="stretch")
    ui.rows_table(comparison_rows(results), {"cell": "grad.col.cell", "final": "grad.col.final", "beat": "grad.col.beat",
                  "seconds": "grad.col.seconds", "status": "lab.status"}, lang,
                  {"cell": NAMES.get, "status": lambda v: t(f"train.status.{v}", lang)})
    st.markdown(f"#### {t('grad.sweep', lang)}")
    st.caption(t("grad.sweep.howto", lang))
    lengths = (10, 25, 50, 100)
    # Not in the URL: the sweep's rows (a live run of up to 2 minutes, kept in this session only; a link to the
    # tab shows its settings and the comparison above, and the button redoes the sweep)
    if st.button(t("grad.sweep.run", lang), key=ui.work_key("vg.sweep_go")):
        rows = ss["vg.sweep"] = []                              # the rows finished so far stay after a Stop
        ui.training(lambda **job: train_sweep(task_, CELLS, lengths, 1000, 120.0, TASK_HIDDEN[task_], into=rows, **job),
                    lang, "vg.sweep_stop")
    if ss.get("vg.sweep"):                                      # the rows finished so far, even after a Stop
        ratios = SweepResult(task_, CELLS, lengths, rows=list(ss["vg.sweep"])).ratios()
        ui.plotly_chart(FG.sweep_figure(lengths, ratios, lang), key="vg.sweep_fig", width="stretch")


st.title(t("grad.title", lang))
st.markdown(t("grad.intro", lang))
cfg = knobs_ui()
TABS = {"across": lambda: across_time_tab(cfg), "training": lambda: training_tab(cfg), "exploding": exploding_tab,
        "toy": toy_tab, "tasks": tasks_tab, "sources": lambda: sources_tab(cfg)}
active, tabs = ui.lazy_tabs("grad.tab", tuple(TABS), lang)    # the open tab is in the URL (?tab=) and survives a language switch
with tabs[active]:
    ui.prompts("grad", lang, tab=active)
    TABS[active]()
