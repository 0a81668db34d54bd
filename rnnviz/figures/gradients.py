"""Figure builders for vanishing and exploding gradients (pure functions: data in, go.Figure out)."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ..i18n import t as tr_
from .style import CELL_COLORS, CELL_NAMES, LOG_AXIS, STYLE, TEMPLATE, f32, hline  # noqa: F401 (CELL_NAMES: the pages' too)


def _positive(v) -> np.ndarray:
    """Log axes cannot show 0: exact zeros (e.g. cut by truncated BPTT) are drawn as gaps. Kept in float64:
    a gradient of 1e-89 is what was computed, and float32 would draw it as 0 (it stops at about 1e-45)."""
    v = np.asarray(v, dtype=np.float64)
    return np.ascontiguousarray(np.where(v > 0, v, np.nan))


def grad_time_figure(series: dict[str, np.ndarray], lang: str = "en", window: int | None = None,
                     ytitle: str = "‖∂L/∂h_t‖", note: str | None = None) -> go.Figure:
    """One line per cell (keys rnn | lstm | gru or any label) of a per-step norm on a log axis.
    window: truncated BPTT chunk length; chunk borders are drawn where the gradient is cut."""
    fig = go.Figure()
    T = max(len(v) for v in series.values())
    for name, v in series.items():
        fig.add_trace(go.Scatter(x=np.arange(1, len(v) + 1), y=_positive(v), mode="lines",
                                 name=CELL_NAMES.get(name, name), line=dict(color=CELL_COLORS.get(name), width=3),
                                 hovertemplate="t = %{x}<br>%{y:.3e}<extra>%{fullData.name}</extra>"))
    if window:
        for b in range(window, T, window):
            fig.add_vline(x=b + 0.5, line=dict(color="gray", dash="dot", width=1))
        fig.add_annotation(x=1, y=1.0, xref="paper", yref="paper", xanchor="right", yanchor="bottom", showarrow=False,
                           text=tr_("grad.window_note", lang, k=window), font=dict(size=13, color="gray"))
    if note:
        fig.add_annotation(x=0, y=1.0, xref="paper", yref="paper", xanchor="left", yanchor="bottom", showarrow=False,
                           text=note, font=dict(size=13, color="gray"))
    fig.update_yaxes(**LOG_AXIS, title_text=ytitle)
    fig.update_xaxes(title_text=tr_("grad.time_step", lang), range=[0.5, T + 0.5])
    fig.update_layout(template=TEMPLATE, height=380, margin=dict(l=70, r=20, t=40, b=50),
                      legend=dict(orientation="h", y=1.08, yanchor="bottom", x=0.3))
    return fig


def training_heatmap_figure(train_steps, grad: np.ndarray, lang: str = "en",
                            zrange: tuple[float, float] | None = None) -> go.Figure:
    """log10 ||∂L/∂h_t|| as training proceeds: rows are training steps, columns time steps. zrange: the
    colour scale's (min, max) of log10, the same for heatmaps drawn side by side (None: this one's own)."""
    g = np.asarray(grad, dtype=np.float64)
    z = np.log10(np.where(g > 0, g, np.nan))
    zr = dict(zmin=zrange[0], zmax=zrange[1]) if zrange else {}
    fig = go.Figure(go.Heatmap(z=f32(z), x=np.arange(1, g.shape[1] + 1), y=np.asarray(train_steps), **zr,
                               colorscale="Viridis", colorbar=dict(title="log₁₀", thickness=14),
                               hovertemplate=f"t = %{{x}}<br>{tr_('fig.train_step', lang)} %{{y}}<br>"
                                             "log₁₀ = %{z:.2f}<extra></extra>"))
    fig.update_xaxes(title_text=tr_("grad.time_step", lang))
    fig.update_yaxes(title_text=tr_("fig.train_step", lang))
    fig.update_layout(template=TEMPLATE, height=380, margin=dict(l=70, r=20, t=20, b=50))
    return fig


def scalar_toy_figure(h: np.ndarray, factor: np.ndarray, lang: str = "en") -> go.Figure:
    """The scalar recurrence: h_t over time (top) and the gradient factor ∂h_T/∂h_t (bottom, log axis)."""
    T = len(h)
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.12,
                        subplot_titles=["h_t", tr_("grad.toy.factor", lang)])
    x = np.arange(1, T + 1)
    fig.add_trace(go.Scatter(x=x, y=f32(h), mode="lines+markers", line=dict(color=STYLE["line"][0], width=3)),
                  row=1, col=1)
    f = np.abs(np.asarray(factor, dtype=np.float64))
    fig.add_trace(go.Scatter(x=x, y=_positive(f), mode="lines+markers", line=dict(color=STYLE["line"][1], width=3),
                             hovertemplate="t = %{x}<br>|∂h_T/∂h_t| = %{y:.3e}<extra></extra>"), row=2, col=1)
    fig.update_yaxes(**LOG_AXIS, row=2, col=1)
    fig.update_xaxes(title_text=tr_("grad.time_step", lang), row=2, col=1)
    fig.update_layout(template=TEMPLATE, height=480, margin=dict(l=70, r=20, t=40, b=50), showlegend=False)
    return fig


def task_loss_figure(curves: dict[str, list[float]], baseline: float, lang: str = "en",
                     ytitle: str | None = None) -> go.Figure:
    """Training loss of each cell on a long-range task, with the memoryless baseline."""
    fig = go.Figure()
    for name, losses in curves.items():
        # a run that diverged at once is one or two points: markers, so it is seen
        fig.add_trace(go.Scatter(x=np.arange(1, len(losses) + 1), y=_positive(losses),
                                 mode="lines+markers" if len(losses) < 20 else "lines", marker=dict(size=10),
                                 name=CELL_NAMES.get(name, name), line=dict(color=CELL_COLORS.get(name), width=2.5)))
    hline(fig, baseline, tr_("grad.baseline", lang, v=baseline), log=True, width=2)
    fig.update_yaxes(**LOG_AXIS, title_text=ytitle or tr_("fig.loss", lang))
    fig.update_xaxes(title_text=tr_("fig.train_step", lang))
    fig.update_layout(template=TEMPLATE, height=380, margin=dict(l=70, r=20, t=30, b=50),
                      legend=dict(orientation="h", y=1.02, yanchor="bottom", x=0))
    return fig


def sweep_figure(lengths, ratios: dict[str, list[float]], lang: str = "en") -> go.Figure:
    """Final loss / baseline against the dependency length: below 1 the cell learned the dependency."""
    fig = go.Figure()
    for name, r in ratios.items():
        fig.add_trace(go.Scatter(x=list(lengths), y=f32(r), mode="lines+markers", name=CELL_NAMES.get(name, name),
                                 line=dict(color=CELL_COLORS.get(name), width=3), marker=dict(size=9)))
    hline(fig, 1.0, tr_("grad.sweep.baseline", lang), log=True, below=True)
    fig.update_yaxes(**LOG_AXIS, title_text=tr_("grad.sweep.ratio", lang))
    fig.update_xaxes(title_text=tr_("grad.sweep.length", lang))
    fig.update_layout(template=TEMPLATE, height=360, margin=dict(l=70, r=20, t=30, b=50),
                      legend=dict(orientation="h", y=1.02, yanchor="bottom", x=0))
    return fig
