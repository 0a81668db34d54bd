"""Plotly figure builders: pure functions, data in, `go.Figure` out. Colours and sizes live in STYLE.

Arrays go to Plotly as float32 (Plotly sends them as typed arrays), and figures use a minimal
template, so the payload a browser receives stays small. `set_cursor` moves the time-step cursor
of an existing figure in place without rebuilding it.
"""
from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .i18n import t as tr_
from .text import show_char
from .trace import GATES, Trace

STYLE = {
    "font_size": 15,                # readable on a projector
    "signed": "RdBu_r",             # values in [-1, 1]: blue negative, red positive
    "gate": "Blues",                # gate values in [0, 1]
    "prob": "Greens",
    "cursor": "rgba(255, 170, 0, 0.9)",
    "line": ["#1f77b4", "#d62728", "#2ca02c", "#9467bd"],
    "max_tick_labels": 60,          # above this many steps, the time axis shows numbers only
}
_TEMPLATE = go.layout.Template(layout=dict(font=dict(size=STYLE["font_size"])))


def _f32(a) -> np.ndarray:
    return np.ascontiguousarray(a, dtype=np.float32)


def time_axis(chars: list[str]) -> dict:
    """x-axis settings for steps 1..T labelled with the character read at each step."""
    T = len(chars)
    ax = dict(range=[0.5, T + 0.5])
    if T <= STYLE["max_tick_labels"]:
        ax.update(tickmode="array", tickvals=list(range(1, T + 1)), ticktext=[show_char(c) for c in chars])
    return ax


def _rows(tr: Trace) -> list[tuple[str, np.ndarray, str]]:
    """(title key, (T, H) values, colour axis) for every panel of the states figure, top to bottom."""
    rows = [("fig.hidden", tr.hidden, "coloraxis")]
    for g in GATES[tr.kind]:
        key = f"fig.gate.candidate.{tr.kind}" if g == "candidate" else f"fig.gate.{g}"
        rows.append((key, tr.gates[g], "coloraxis" if g == "candidate" else "coloraxis2"))
    if tr.cell is not None:
        rows.append(("fig.cell", tr.cell, "coloraxis3"))
    return rows


def states_figure(tr: Trace, chars: list[str], lang: str = "en") -> go.Figure:
    """Heatmaps (units x time) of h, every gate and (LSTM) c on one shared time axis.

    chars: the T input characters (time-axis labels)."""
    rows = _rows(tr)
    H = tr.hidden.shape[1]
    panel = int(min(max(110, 10 * H + 50), 320))                 # px per panel
    fig = make_subplots(rows=len(rows), cols=1, shared_xaxes=True, vertical_spacing=min(0.06, 0.25 / len(rows)),
                        subplot_titles=[tr_(k, lang) for k, _, _ in rows])
    steps = np.arange(1, tr.T + 1)
    units = np.arange(H)
    hover = (f"%{{meta}}<br>{tr_('fig.unit', lang)} %{{y}}, t = %{{x}}<br>"
             f"{tr_('fig.value', lang)} %{{z:.3f}}<extra></extra>")
    for r, (key, vals, cax) in enumerate(rows, start=1):
        fig.add_trace(go.Heatmap(z=_f32(vals.T), x=steps, y=units, coloraxis=cax, meta=tr_(key, lang),
                                 hovertemplate=hover, xgap=1, ygap=1 if H <= 32 else 0), row=r, col=1)
        fig.update_yaxes(title_text=tr_("fig.unit", lang), autorange="reversed", row=r, col=1,
                         dtick=1 if H <= 16 else None, title_standoff=4)
    fig.update_xaxes(**time_axis(chars))
    fig.update_xaxes(title_text=tr_("fig.step", lang), row=len(rows), col=1)
    cmax = float(np.abs(tr.cell).max()) if tr.cell is not None else 1.0
    cmax = cmax if cmax > 0 and math.isfinite(cmax) else 1.0
    bar = dict(thickness=14, len=min(1.0, 1.6 / len(rows)))
    layout = dict(
        template=_TEMPLATE, height=panel * len(rows) + 90, margin=dict(l=60, r=20, t=40, b=50),
        coloraxis=dict(colorscale=STYLE["signed"], cmin=-1, cmax=1, colorbar=dict(title="h", y=1, yanchor="top", **bar)),
        coloraxis2=dict(colorscale=STYLE["gate"], cmin=0, cmax=1,
                        colorbar=dict(title="σ", y=0.5, yanchor="middle", **bar)),
    )
    if tr.cell is not None:
        layout["coloraxis3"] = dict(colorscale=STYLE["signed"], cmin=-cmax, cmax=cmax,
                                    colorbar=dict(title="c", y=0, yanchor="bottom", **bar))
    if tr.kind == "rnn":
        layout["coloraxis2"]["showscale"] = False
    fig.update_layout(**layout)
    return fig


def probs_figure(tr: Trace, chars: list[str], vocab: list[str], lang: str = "en") -> go.Figure:
    """Heatmap (vocabulary x time) of the softmax probabilities, with the true next character circled."""
    V = len(vocab)
    steps = np.arange(1, tr.T + 1)
    labels = [show_char(c) for c in vocab]
    fig = go.Figure(go.Heatmap(z=_f32(tr.probs.T), x=steps, y=np.arange(V), zmin=0, zmax=1, xgap=1, ygap=1 if V <= 40 else 0,
                               colorscale=STYLE["prob"], colorbar=dict(title=tr_("fig.prob", lang), thickness=14),
                               hovertemplate=f"t = %{{x}}<br>P = %{{z:.3f}}<extra></extra>"))
    if tr.targets is not None:
        fig.add_trace(go.Scatter(x=steps, y=_f32(tr.targets), mode="markers", name=tr_("fig.target", lang),
                                 marker=dict(symbol="circle-open", size=14 if tr.T <= 60 else 6, color="#d62728",
                                             line=dict(width=2.5)),
                                 hovertemplate=f"{tr_('fig.target', lang)}<extra></extra>"))
    fig.update_yaxes(title_text=tr_("fig.next_char", lang), autorange="reversed",
                     **(dict(tickmode="array", tickvals=list(range(V)), ticktext=labels) if V <= 60 else {}))
    fig.update_xaxes(title_text=tr_("fig.step", lang), **time_axis(chars))
    fig.update_layout(template=_TEMPLATE, height=int(min(max(220, 22 * V + 120), 700)),
                      margin=dict(l=60, r=20, t=20, b=50), showlegend=False)
    return fig


def grad_figure(tr: Trace, chars: list[str], lang: str = "en") -> go.Figure:
    """||dL/dh_t|| (and ||dL/dc_t|| for LSTM) across time on a log axis."""
    if tr.grad_hidden is None:
        raise ValueError("the trace has no gradients: trace the model with targets")
    steps = np.arange(1, tr.T + 1)
    fig = go.Figure()
    series = [("fig.grad_h", tr.grad_hidden)] + ([("fig.grad_c", tr.grad_cell)] if tr.grad_cell is not None else [])
    for i, (key, g) in enumerate(series):
        fig.add_trace(go.Scatter(x=steps, y=_f32(np.maximum(g, 1e-30)), mode="lines+markers", name=tr_(key, lang),
                                 line=dict(color=STYLE["line"][i], width=3), marker=dict(size=8),
                                 hovertemplate="t = %{x}<br>%{y:.3e}<extra>" + tr_(key, lang) + "</extra>"))
    fig.update_yaxes(type="log", title_text=tr_("fig.grad_h", lang), exponentformat="power")
    fig.update_xaxes(title_text=tr_("fig.step", lang), **time_axis(chars))
    fig.update_layout(template=_TEMPLATE, height=320, margin=dict(l=70, r=20, t=20, b=50),
                      legend=dict(orientation="h", y=1.02, yanchor="bottom", x=0))
    return fig


def loss_figure(losses, accuracies, vocab_size: int, lang: str = "en") -> go.Figure:
    """Training loss (log axis, with the uniform-guess loss ln V) above training accuracy, per training step."""
    steps = np.arange(1, len(losses) + 1)
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.68, 0.32], vertical_spacing=0.06)
    fig.add_trace(go.Scatter(x=steps, y=_f32(losses), name=tr_("fig.loss", lang),
                             line=dict(color=STYLE["line"][0], width=3)), row=1, col=1)
    fig.add_trace(go.Scatter(x=steps, y=_f32(accuracies), name=tr_("fig.accuracy", lang),
                             line=dict(color=STYLE["line"][2], width=3)), row=2, col=1)
    if vocab_size > 1:
        fig.add_hline(y=math.log(vocab_size), line=dict(color="gray", dash="dash"), row=1, col=1,
                      annotation_text=tr_("fig.uniform", lang), annotation_position="top right")
    fig.update_yaxes(type="log", title_text=tr_("fig.loss", lang), exponentformat="power", row=1, col=1)
    fig.update_yaxes(range=[-0.05, 1.05], title_text=tr_("fig.accuracy", lang), tickformat=".0%", row=2, col=1,
                     tickmode="array", tickvals=[0, 0.5, 1.0])
    fig.update_xaxes(title_text=tr_("fig.train_step", lang), row=2, col=1)
    fig.update_layout(template=_TEMPLATE, height=340, margin=dict(l=70, r=20, t=20, b=50), showlegend=False)
    return fig


def set_cursor(fig: go.Figure, t: int | None, lang: str = "en") -> go.Figure:
    """Mark time step t (1-based) across every panel of `fig` (in place, cheap); None removes it."""
    shapes = [] if t is None else [dict(
        type="rect", xref="x", yref="paper", x0=t - 0.5, x1=t + 0.5, y0=0, y1=1, layer="above",
        line=dict(color=STYLE["cursor"], width=3), fillcolor="rgba(0,0,0,0)",
        label=dict(text=tr_("fig.cursor", lang, t=t), textposition="top center", font=dict(size=13)),
        name="cursor")]
    fig.layout.shapes = shapes
    return fig
