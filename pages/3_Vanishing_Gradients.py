"""Vanishing and exploding gradients, BPTT and truncated BPTT: cause them, see them across time,
see what cures them, on real models."""
import math

import numpy as np
import pandas as pd
import streamlit as st

import ui
from rnnviz.app.longrange import (PAGE_DEFAULT, PAGE_LENGTHS, PAGE_STEPS, TASK_HIDDEN, TaskResult,
                                  compare_cells as compare_task_cells, keep_comparison, page_config, ready_comparison)
from rnnviz.app.sweep import SweepResult, sweep
from rnnviz.app.vanishing import (DEFAULT_TRAIN_STEPS, INITS, LOSS_ON, TRAIN_STEPS, GradConfig, exploding_runs,
                                  gradient_summary, gradient_views, heatmap_range, keep_heatmaps, ready_heatmaps,
                                  scalar_toy, shared_exploding_runs, training_heatmaps)
from rnnviz.data.synthetic import baseline
from rnnviz.figures import gradients as FG
from rnnviz.i18n import t

lang = ui.setup_page("grad.title", ":material/trending_down:")
ss = st.session_state
CELLS = ("rnn", "lstm", "gru")
NAMES = FG.CELL_NAMES
HIDDEN = ["16", "32", "64", "128", "256"]   # above 128 the Jacobian norms are estimated with random probes
FORGET = ["torch", "0", "1", "2", "3"]
WINDOWS = ["off", "5", "10", "20", "50"]


def knobs_ui() -> GradConfig:
    """The knobs that cause and cure vanishing/exploding gradients; every one lives in the URL."""
    ui.url_state({
        "vg.T": ("T", ui.qp_int("T", 100, 10, 400)), "vg.hidden": ("hidden", ui.qp_choice("hidden", "64", HIDDEN)),
        "vg.seed": ("seed", ui.qp_int("seed", 0, 0, 9999)), "vg.loss": ("loss", ui.qp_choice("loss", "last", LOSS_ON)),
        "vg.scale": ("scale", ui.qp_int("scale", 100, 10, 300)), "vg.init": ("init", ui.qp_choice("init", "default", INITS)),
        "vg.act": ("act", ui.qp_choice("act", "tanh", ["tanh", "relu"])), "vg.fb": ("fb", ui.qp_choice("fb", "torch", FORGET)),
        "vg.window": ("k", ui.qp_choice("k", "off", WINDOWS)),
    })
    with st.container(border=True):
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
        c5.select_slider(t("grad.window", lang), WINDOWS, key="vg.window",
                         format_func=lambda v: t("grad.window.off", lang) if v == "off" else f"k = {v}")
    return GradConfig(T=int(ss["vg.T"]), hidden=int(ss["vg.hidden"]), seed=int(ss["vg.seed"]), loss_on=ss["vg.loss"],
                      weight_scale=ss["vg.scale"] / 100, init=ss["vg.init"], nonlinearity=ss["vg.act"],
                      forget_bias=None if ss["vg.fb"] == "torch" else float(ss["vg.fb"]),
                      window=None if ss["vg.window"] == "off" else int(ss["vg.window"])).validate()


@st.cache_data(max_entries=64, show_spinner=False)
def _compare(cfg: GradConfig) -> dict:
    return gradient_views(cfg)


def across_time_tab(cfg: GradConfig) -> None:
    res = _compare(cfg)
    st.caption(t("grad.across.howto", lang))
    note = t("grad.cut_note", lang, t=res["cut"]) if res["cut"] > 1 else None
    st.plotly_chart(FG.grad_time_figure({c: res[c]["grad"] for c in CELLS}, lang, window=cfg.window, note=note),
                    key="vg.grad_fig", width="stretch")
    rows = gradient_summary(res, CELLS)
    st.dataframe(pd.DataFrame({t(f"grad.col.{k}", lang): [NAMES[r["cell"]] if k == "cell" else r[k] for r in rows]
                               for k in ("cell", "first", "last", "ratio", "radius")}), hide_index=True)
    st.info(t("grad.forget.explain", lang))
    exact = all(res[c]["jac_exact"] for c in CELLS)
    st.markdown(f"#### {t('grad.jac.title', lang)}")
    st.caption(t("grad.jac.howto", lang))
    st.plotly_chart(FG.grad_time_figure({c: res[c]["jac"] for c in CELLS}, lang, ytitle="‖∂h_T/∂h_t‖_F",
                                        note=t("grad.jac.exact" if exact else "grad.jac.estimated", lang)),
                    key="vg.jac_fig", width="stretch")


def training_tab(cfg: GradConfig) -> None:
    """RNN, LSTM and GRU side by side: ||dL/dh_t|| recorded as each trains. What was recorded is kept in the
    session as it comes, so the Stop button (any click reruns the page and ends the run) loses nothing."""
    st.caption(t("grad.train.howto", lang))
    c1, c2, c3 = st.columns([2, 1, 1], vertical_alignment="bottom")
    steps = c1.select_slider(t("hello.steps", lang), TRAIN_STEPS, value=DEFAULT_TRAIN_STEPS, key="vg.train_steps")
    go = c2.button(t("grad.train.run", lang), type="primary", key="vg.train_go", width="stretch")
    key = (cfg, steps)
    if go:
        stop = c3.empty()                                       # a click ends the run (a rerun); gone when it ends
        stop.button(t("grad.train.stop", lang), key="vg.train_stop", width="stretch")
        heat = ss["vg.heat"] = {"key": key, "cells": {}}       # filled as recorded: a Stop loses nothing
        bar = st.progress(0.0)

        def on_progress(cell, step, total, loss, row):
            bar.progress((CELLS.index(cell) + step / total) / len(CELLS),
                         text=f"{NAMES[cell]}: " + t("hello.training", lang, step=step, steps=total, loss=loss))

        training_heatmaps(cfg, steps, CELLS, on_progress, into=heat["cells"])
        keep_heatmaps(cfg, steps, heat["cells"])                # deterministic: the next session gets it at once
        bar.empty()
        stop.empty()
    heat = ss.get("vg.heat")
    if not heat or heat["key"] != key:
        ready = ready_heatmaps(cfg, steps)
        if ready is not None:                                   # kept in the session: a rerun does not copy it again
            heat = ss["vg.heat"] = {"key": key, "cells": ready, "ready": True}
    if heat and heat.get("ready"):
        st.caption(t("grad.ready", lang))
    if not heat:
        st.info(t("grad.train.none", lang))
        return
    if heat["key"] != key:
        st.caption(t("grad.train.stale", lang))
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
        col.plotly_chart(FG.training_heatmap_figure(rec["steps"], np.stack(rec["rows"]), lang, zrange=zrange),
                         key=f"vg.heat_fig.{cell}", width="stretch")


def exploding_tab() -> None:
    st.caption(t("grad.explode.howto", lang))
    if st.button(t("grad.explode.run", lang), key="vg.explode_go", type="primary"):
        ss["vg.explode"] = exploding_runs()                     # live, in this session
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
    st.plotly_chart(FG.task_loss_figure(curves, math.log(8), lang), key="vg.explode_fig", width="stretch")


def toy_tab() -> None:
    st.caption(t("grad.toy.howto", lang))
    c1, c2, c3, c4, c5 = st.columns(5)
    a = c1.slider("a", -2.0, 2.0, 1.0, 0.1, key="vg.toy_a")
    b = c2.slider("b", -2.0, 2.0, 0.9, 0.05, key="vg.toy_b")
    c = c3.slider("c", -1.0, 1.0, 0.0, 0.1, key="vg.toy_c")
    T = c4.slider(t("grad.T", lang), 5, 100, 30, key="vg.toy_T")
    use_tanh = c5.toggle("tanh", key="vg.toy_tanh")
    x = np.zeros(T)
    x[0] = 1.0                                                  # one input at t = 1, then silence
    res = scalar_toy(a, b, c, x, tanh=use_tanh)
    st.latex(r"h_t = \tanh(a x_t + b h_{t-1} + c)" if use_tanh else r"h_t = a x_t + b h_{t-1} + c")
    factor = r"\prod_{s=2}^{T} b\,(1-h_s^2)" if use_tanh else rf"b^{{{T - 1}}} = ({b:g})^{{{T - 1}}}"
    st.latex(rf"\frac{{\partial h_T}}{{\partial h_1}} = {factor} = {res['dhT_dh'][0]:.3e}")
    st.plotly_chart(FG.scalar_toy_figure(res["h"], res["dhT_dh"], lang), key="vg.toy_fig", width="stretch")


def tasks_tab() -> None:
    st.caption(t("grad.tasks.howto", lang))
    c1, c2, c3, c4 = st.columns(4)
    d_task, d_T, d_steps = PAGE_DEFAULT
    task = c1.radio(t("grad.task", lang), ["adding", "copy"], index=["adding", "copy"].index(d_task), key="vg.task",
                    format_func=lambda v: t(f"grad.task.{v}", lang))
    T = c2.select_slider(t("grad.dep_length", lang), PAGE_LENGTHS, value=d_T, key="vg.task_T")
    steps = c3.select_slider(t("hello.steps", lang), PAGE_STEPS, value=d_steps, key="vg.task_steps")
    go = c4.button(t("grad.tasks.run", lang), type="primary", key="vg.task_go")
    base = baseline(task, T)
    st.caption(t(f"grad.baseline.{task}", lang, v=base, T=T))
    if go:
        bar, stop = st.progress(0.0), st.empty()
        stop.button(t("grad.train.stop", lang), key="vg.task_stop")   # a click reruns the page: the run ends, its losses stay
        cfg = page_config(task, T, steps)
        results = {}                                            # as they come: a Stop keeps the losses so far
        ss["vg.tasks"], ss["vg.tasks_ready"] = (cfg, base, results), None

        def on_step(cell, p):
            results.setdefault(cell, TaskResult(config=cfg, baseline=base, status="stopped")).losses.append(p.loss)
            if p.step % 25 == 0:
                bar.progress((CELLS.index(cell) + p.step / p.steps) / len(CELLS),
                             text=f"{NAMES[cell]}: {p.step}/{p.steps}, {p.loss:.4f}")

        results.update(compare_task_cells(cfg, CELLS, on_step))
        keep_comparison(cfg, results)                           # a finished run: every session gets it at once
        bar.empty()
        stop.empty()
    cfg = page_config(task, T, steps)
    if "vg.tasks" not in ss or ss["vg.tasks"][0] != cfg:
        ready = ready_comparison(cfg)
        if ready is not None:
            ss["vg.tasks"] = (cfg, base, ready)
            ss["vg.tasks_ready"] = cfg
    if ss.get("vg.tasks_ready") is not None and ss.get("vg.tasks", (None,))[0] == ss["vg.tasks_ready"]:
        st.caption(t("grad.ready", lang))
    if "vg.tasks" not in ss:
        return
    cfg_, base_, results = ss["vg.tasks"]
    task_ = cfg_.task
    if cfg_ != cfg:
        st.caption(t("grad.train.stale", lang))
    st.plotly_chart(FG.task_loss_figure({c: r.losses for c, r in results.items()}, base_, lang),
                    key="vg.task_fig", width="stretch")
    st.dataframe(pd.DataFrame({
        t("grad.col.cell", lang): [NAMES[c] for c in results],
        t("grad.col.final", lang): [f"{r.final_loss:.4f}" for r in results.values()],
        t("grad.col.beat", lang): ["—" if r.beat_step is None else f"{r.beat_step} ({r.beat_seconds:.1f} s)"
                                    for r in results.values()],
        t("grad.col.seconds", lang): [f"{r.seconds:.1f}" for r in results.values()],
        t("lab.status", lang): [t(f"train.status.{r.status}", lang) for r in results.values()],
    }), hide_index=True)
    st.markdown(f"#### {t('grad.sweep', lang)}")
    st.caption(t("grad.sweep.howto", lang))
    lengths = (10, 25, 50, 100)
    if st.button(t("grad.sweep.run", lang), key="vg.sweep_go"):
        stop, bar = st.empty(), st.progress(0.0)
        stop.button(t("grad.train.stop", lang), key="vg.sweep_stop")   # a click ends the run; finished rows stay
        rows = ss["vg.sweep"] = []

        def on_run(row):
            rows.append(row)
            bar.progress(len(rows) / (len(lengths) * len(CELLS)), text=f"{NAMES[row.cell]} T = {row.T}")

        sweep(task_, CELLS, lengths, steps=1000, deadline_s=120.0, on_run=on_run, hidden=TASK_HIDDEN[task_])
        bar.empty()
        stop.empty()
    if ss.get("vg.sweep"):                                      # the rows finished so far, even after a Stop
        ratios = SweepResult(task_, CELLS, lengths, rows=list(ss["vg.sweep"])).ratios()
        st.plotly_chart(FG.sweep_figure(lengths, ratios, lang), key="vg.sweep_fig", width="stretch")


st.title(t("grad.title", lang))
st.markdown(t("grad.intro", lang))
cfg = knobs_ui()
TABS = {"across": lambda: across_time_tab(cfg), "training": lambda: training_tab(cfg), "exploding": exploding_tab,
        "toy": toy_tab, "tasks": tasks_tab}
active, tabs = ui.lazy_tabs("grad.tab", tuple(TABS), lang)    # the open tab is in the URL (?tab=) and survives a language switch
with tabs[active]:
    TABS[active]()
