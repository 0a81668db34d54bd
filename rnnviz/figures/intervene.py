"""The intervention figure: the original run and the edited one on the same time axis (pure: data in, go.Figure out)."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from ..data.text import show_char
from ..i18n import t as tr_
from .style import STYLE, TEMPLATE, f32, time_axis, subplots

ORIGINAL = "#7f7f7f"
EDITED = "#d62728"


def intervention_figure(cmp: dict, chars: list[str], vocab: list[str], step: int, lang: str = "en") -> go.Figure:
    """Original vs edited, top to bottom on ONE time axis: the change in h_t (edited − original, units × time,
    one symmetric colour scale), for an LSTM the change in c_t; the focus unit's h_t (and c_t) in both runs;
    the per-step loss in both runs (the gap filled); the predicted next character of both runs (changed ones
    in red). A band marks the edited step. cmp: `rnnviz.app.interventions.compare` output."""
    orig, ed = cmp["original"], cmp["edited"]
    T, H = orig.hidden.shape
    u = int(cmp["focus"])
    lstm = orig.cell is not None
    rows = [("dh", tr_("iv.fig.dh", lang))] + ([("dc", tr_("iv.fig.dc", lang))] if lstm else []) + [
        ("unit", tr_("iv.fig.unit", lang, unit=u)), ("loss", tr_("iv.fig.loss", lang)), ("pred", tr_("iv.fig.pred", lang))]
    unit_px = int(min(max(90, 3 * H + 40), 170))
    px = {"dh": unit_px, "dc": unit_px, "unit": 170, "loss": 150, "pred": 90}
    heights = [px[k] for k, _ in rows]
    fig = subplots(rows=len(rows), cols=1, row_heights=heights, vertical_spacing=0.06,
                        subplot_titles=[title for _, title in rows], shared_xaxes=True)
    steps = np.arange(1, T + 1)
    dh = ed.hidden.astype(np.float64) - orig.hidden
    dc = (ed.cell.astype(np.float64) - orig.cell) if lstm else None
    vmax = float(max(np.abs(dh).max(), np.abs(dc).max() if dc is not None else 0.0, 1e-6))
    hover = f"t = %{{x}}, {tr_('fig.unit', lang)} %{{y}}<br>{tr_('iv.fig.change', lang)} %{{z:+.3f}}<extra></extra>"
    for r, (kind, _) in enumerate(rows, start=1):
        if kind in ("dh", "dc"):
            z = dh if kind == "dh" else dc
            fig.add_trace(go.Heatmap(z=f32(z.T), x=steps, y=np.arange(H), coloraxis="coloraxis", hovertemplate=hover,
                                     xgap=1 if T <= 60 else 0), row=r, col=1)
            fig.update_yaxes(title_text=tr_("fig.unit", lang), autorange="reversed", row=r, col=1)
        elif kind == "unit":   # edited first, the original over it: before the edit both runs are one grey line
            series = [("h", orig.hidden[:, u], ed.hidden[:, u])] + ([("c", orig.cell[:, u], ed.cell[:, u])] if lstm else [])
            for sym, a, b in series:
                dash = "dot" if sym == "c" else "solid"
                fig.add_trace(go.Scatter(x=steps, y=f32(b), mode="lines", name=f"{sym}_t {tr_('iv.edited', lang)}",
                                         line=dict(color=EDITED, width=3.5, dash=dash), legendgroup="edit",
                                         hovertemplate=f"{sym}_t = %{{y:.3f}}<extra>{tr_('iv.edited', lang)}</extra>"),
                              row=r, col=1)
                fig.add_trace(go.Scatter(x=steps, y=f32(a), mode="lines", name=f"{sym}_t {tr_('iv.original', lang)}",
                                         line=dict(color=ORIGINAL, width=2, dash=dash), legendgroup="orig",
                                         hovertemplate=f"{sym}_t = %{{y:.3f}}<extra>{tr_('iv.original', lang)}</extra>"),
                              row=r, col=1)
        elif kind == "loss":   # the gap between the runs filled; the original drawn last, over the edited line
            la, lb = cmp["loss_orig"], cmp["loss_edit"]
            fig.add_trace(go.Scatter(x=steps, y=f32(la), mode="lines", line=dict(width=0), showlegend=False,
                                     hoverinfo="skip"), row=r, col=1)
            fig.add_trace(go.Scatter(x=steps, y=f32(lb), mode="lines+markers", name=tr_("iv.loss_edit", lang),
                                     line=dict(color=EDITED, width=3), marker=dict(size=6), fill="tonexty",
                                     fillcolor="rgba(214, 39, 40, 0.15)", showlegend=False,
                                     hovertemplate="%{y:.3f}<extra>" + tr_("iv.edited", lang) + "</extra>"), row=r, col=1)
            fig.add_trace(go.Scatter(x=steps, y=f32(la), mode="lines+markers", name=tr_("iv.loss_orig", lang),
                                     line=dict(color=ORIGINAL, width=1.5), marker=dict(size=4), showlegend=False,
                                     hovertemplate="%{y:.3f}<extra>" + tr_("iv.original", lang) + "</extra>"), row=r, col=1)
            fig.update_yaxes(title_text=tr_("iv.fig.loss_axis", lang), rangemode="tozero", row=r, col=1)
        else:  # predictions: two rows of characters, the edited ones that differ in red
            po, pe = cmp["pred_orig"], cmp["pred_edit"]
            same = po == pe
            fig.add_trace(go.Scatter(x=steps, y=np.ones(T), mode="text", text=[show_char(vocab[i]) for i in po],
                                     textfont=dict(size=15, color=ORIGINAL), showlegend=False,
                                     hovertemplate=tr_("iv.original", lang) + ": %{text}<extra></extra>"), row=r, col=1)
            fig.add_trace(go.Scatter(x=steps, y=np.zeros(T), mode="text", text=[show_char(vocab[i]) for i in pe],
                                     textfont=dict(size=15, color=[ORIGINAL if s else EDITED for s in same]),
                                     showlegend=False,
                                     hovertemplate=tr_("iv.edited", lang) + ": %{text}<extra></extra>"), row=r, col=1)
            fig.update_yaxes(tickmode="array", tickvals=[1, 0], range=[-0.6, 1.6], fixedrange=True,
                             ticktext=[tr_("iv.original", lang), tr_("iv.edited", lang)], row=r, col=1)
        fig.update_xaxes(showticklabels=r == len(rows), row=r, col=1, **time_axis(chars))
        fig.add_vrect(x0=step - 0.5, x1=step + 0.5, fillcolor=STYLE["cursor"], opacity=0.25, line_width=0, row=r, col=1)
    fig.update_layout(template=TEMPLATE, height=sum(heights) + 170, margin=dict(l=80, r=20, t=60, b=40),
                      coloraxis=dict(colorscale=STYLE["signed"], cmin=-vmax, cmax=vmax,
                                     colorbar=dict(title="Δ", thickness=12, len=0.3, y=1, yanchor="top")),
                      legend=dict(orientation="h", x=0, y=1.02, yanchor="bottom"))
    return fig
