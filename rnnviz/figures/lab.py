"""Figure builders for the sequence-tasks lab (pure functions: data in, go.Figure out)."""
from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go

from ..i18n import TEXT, t as tr_
from .style import CELL_COLORS, CELL_NAMES, LOG_AXIS, STYLE, TEMPLATE, f32, hline, log_ticks, subplots

CELL_COLORS = dict(CELL_COLORS, mlp="#7f7f7f")
ACCURACY_BASELINES = {"chance"}          # baseline ids that are accuracies (drawn on the accuracy panel)


def cell_name(cell: str, lang: str = "en") -> str:
    """RNN, LSTM, GRU, or the memoryless baseline's name in `lang`."""
    return tr_("lab.cell.mlp", lang) if cell == "mlp" else CELL_NAMES.get(cell, cell)


def class_name(name: str, lang: str = "en") -> str:
    """A class's name in `lang` where the table has one (the built-in sentiment classes), else as given
    (digits, characters, the user's own labels)."""
    return tr_(f"lab.class.{name}", lang) if f"lab.class.{name}" in TEXT else name


def baseline_name(key: str, lang: str = "en") -> str:
    return tr_(f"lab.baseline.{key}", lang)


def curves_figure(results: dict, baselines: dict[str, float], lang: str = "en", accuracy: bool = True) -> go.Figure:
    """Training loss (thin) and validation loss (markers) per cell, with baselines; validation accuracy below."""
    rows = 2 if accuracy else 1
    fig = subplots(rows=rows, cols=1, shared_xaxes=True, vertical_spacing=0.08,
                        row_heights=[0.65, 0.35] if accuracy else [1.0])
    for cell, r in results.items():
        res = r.result
        c, name = CELL_COLORS.get(cell), cell_name(cell, lang)
        fig.add_trace(go.Scatter(x=np.arange(1, res.steps + 1), y=f32(res.losses), mode="lines", name=name,
                                 line=dict(color=c, width=1), opacity=0.45, legendgroup=cell, showlegend=False),
                      row=1, col=1)
        fig.add_trace(go.Scatter(x=res.val_steps, y=f32(res.val_losses), mode="lines+markers", name=name,
                                 line=dict(color=c, width=3), legendgroup=cell), row=1, col=1)
        if accuracy and res.val_accuracies:
            fig.add_trace(go.Scatter(x=res.val_steps, y=f32(res.val_accuracies), mode="lines+markers", name=name,
                                     line=dict(color=c, width=3), legendgroup=cell, showlegend=False), row=2, col=1)
    last = {}                                # per panel: the last label placed above its line, from the top down
    for key, v in sorted(baselines.items(), key=lambda kv: -kv[1]):
        is_acc = key in ACCURACY_BASELINES
        if is_acc and not accuracy:
            continue
        near = is_acc in last and (
            last[is_acc] - v < 0.08 if is_acc else v > 0 and math.log10(last[is_acc] / v) < 0.15)
        hline(fig, v, f"{baseline_name(key, lang)} {v:.3g}", log=not is_acc, row=2 if is_acc else 1, col=1,
              below=near)                    # two lines close together: the lower one's label under its line
        if not near:
            last[is_acc] = v
    shown = [r.result.losses for r in results.values()] + [r.result.val_losses for r in results.values()]
    shown += [[v for k, v in baselines.items() if k not in ACCURACY_BASELINES]]
    fig.update_yaxes(title_text=tr_("lab.val_loss", lang), **LOG_AXIS, **log_ticks(*shown), row=1, col=1)
    if accuracy:
        fig.update_yaxes(title_text=tr_("fig.accuracy", lang), range=[0, 1.02], tickformat=".0%", row=2, col=1)
    fig.update_xaxes(title_text=tr_("fig.train_step", lang), row=rows, col=1)
    fig.update_layout(template=TEMPLATE, height=460 if accuracy else 340, margin=dict(l=70, r=20, t=30, b=50),
                      legend=dict(orientation="h", y=1.02, yanchor="bottom", x=0))
    return fig


def inspect_figure(step_labels: list[str], hidden: np.ndarray, probs: np.ndarray | None, classes: list[str] | None,
                   lang: str = "en", signal: np.ndarray | None = None, image: np.ndarray | None = None,
                   targets: np.ndarray | None = None) -> go.Figure:
    """One example read step by step: the input (a signal line or an image read row by row), the hidden
    state h_t (units x steps) and the class / next-symbol probabilities after each step."""
    T, H = hidden.shape
    panels = (["input"] if (signal is not None or image is not None) else []) + ["hidden"] + (["probs"] if probs is not None else [])
    titles = {"input": tr_("lab.input", lang), "hidden": tr_("fig.hidden", lang), "probs": tr_("lab.probs", lang)}
    heights = {"input": 0.3, "hidden": 0.4, "probs": 0.3}
    # one time axis: the step labels under the bottom panel only, so no panel title sits on the ticks above it
    fig = subplots(rows=len(panels), cols=1, vertical_spacing=0.07, subplot_titles=[titles[p] for p in panels],
                        row_heights=[heights[p] for p in panels], shared_xaxes=True)

    def colorbar(r: int, title: str) -> dict:             # beside its own panel, as tall as it
        lo, hi = fig.layout[f"yaxis{r if r > 1 else ''}"].domain
        return dict(title=dict(text=title, side="right"), thickness=12, len=hi - lo, y=(lo + hi) / 2, yanchor="middle")
    steps = np.arange(1, T + 1)
    for r, p in enumerate(panels, start=1):
        if p == "input" and image is not None:
            fig.add_trace(go.Heatmap(z=f32(image.T), x=steps, y=np.arange(image.shape[1]), colorscale="Greys",
                                     showscale=False, hovertemplate=f"{tr_('lab.row', lang)} %{{x}}, {tr_('lab.pixel', lang)} "
                                                                   "%{y}: %{z:.2f}<extra></extra>"),
                          row=r, col=1)
            fig.update_yaxes(autorange="reversed", title_text=tr_("lab.pixel", lang), row=r, col=1)
        elif p == "input":
            fig.add_trace(go.Scatter(x=steps, y=f32(signal), mode="lines+markers", line=dict(color=STYLE["line"][0])),
                          row=r, col=1)
        elif p == "hidden":
            fig.add_trace(go.Heatmap(z=f32(hidden.T), x=steps, y=np.arange(H), colorscale=STYLE["signed"], zmin=-1,
                                     zmax=1, colorbar=colorbar(r, "h"),
                                     hovertemplate=f"{tr_('fig.unit', lang)} %{{y}}, t = %{{x}}: %{{z:.3f}}<extra></extra>"),
                          row=r, col=1)
            fig.update_yaxes(autorange="reversed", title_text=tr_("fig.unit", lang), row=r, col=1)
        else:
            C = probs.shape[1]
            fig.add_trace(go.Heatmap(z=f32(probs.T), x=steps, y=np.arange(C), colorscale=STYLE["prob"], zmin=0, zmax=1,
                                     colorbar=colorbar(r, "P"), hovertemplate="t = %{x}: P = %{z:.3f}<extra></extra>"), row=r, col=1)
            if targets is not None:
                ok = targets >= 0
                fig.add_trace(go.Scatter(x=steps[ok], y=f32(targets[ok]), mode="markers",
                                         marker=dict(symbol="circle-open", size=12, color="#d62728", line=dict(width=2))),
                              row=r, col=1)
            ticks = (dict(tickmode="array", tickvals=list(range(C)), ticktext=[class_name(c, lang) for c in classes])
                     if classes and C <= 40 else {})
            fig.update_yaxes(autorange="reversed", row=r, col=1, **ticks)
        ax = dict(tickmode="array", tickvals=list(steps), ticktext=step_labels) if T <= 60 else {}
        fig.update_xaxes(range=[0.5, T + 0.5], row=r, col=1, showticklabels=r == len(panels), **ax)
    fig.update_xaxes(title_text=tr_("grad.time_step", lang), row=len(panels), col=1)
    fig.update_layout(template=TEMPLATE, height=220 * len(panels) + 120, margin=dict(l=70, r=70, t=40, b=50),
                      showlegend=False)
    return fig


def series_figure(series: np.ndarray, n_train: int, preds: dict[str, np.ndarray], start: int, lang: str = "en") -> go.Figure:
    """The series, and each cell's one-step-ahead predictions on the validation part, plus the naive
    'next = last' prediction."""
    fig = go.Figure(go.Scatter(x=np.arange(len(series)), y=f32(series), mode="lines", name=tr_("lab.truth", lang),
                               line=dict(color="black", width=1.5)))
    fig.add_vline(x=n_train - 0.5, line=dict(color="gray", dash="dot"))
    for cell, p in preds.items():
        fig.add_trace(go.Scatter(x=np.arange(start, start + len(p)), y=f32(p), mode="lines", name=cell_name(cell, lang),
                                 line=dict(color=CELL_COLORS.get(cell, "#9467bd"), width=2)))
    fig.update_xaxes(title_text=tr_("grad.time_step", lang))
    fig.update_layout(template=TEMPLATE, height=380, margin=dict(l=60, r=20, t=30, b=50),
                      legend=dict(orientation="h", y=1.02, yanchor="bottom", x=0))
    return fig
