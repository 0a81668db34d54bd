"""Figure builders for stepping through time inside the cell (pure functions: data in, go.Figure out).
The time-axis figure with its in-browser cursor is `figures.timeline_figure`."""
from __future__ import annotations

import html

import numpy as np
import plotly.graph_objects as go

from ..data.text import show_char
from ..i18n import t as tr_
from .style import STYLE, TEMPLATE, f32, subplots


def saturation_figure(sat: dict[str, tuple[np.ndarray, np.ndarray]], lang: str = "en") -> go.Figure:
    """Karpathy et al. (2015) Fig. 4: each point is one unit of one gate; x = fraction of steps the gate
    is left-saturated (< 0.1), y = fraction right-saturated (> 0.9)."""
    fig = go.Figure()
    for i, (gate, (left, right)) in enumerate(sat.items()):
        fig.add_trace(go.Scatter(x=f32(left), y=f32(right), mode="markers", name=tr_(f"fig.gate.{gate}", lang),
                                 marker=dict(size=10, opacity=0.75, color=STYLE["line"][i % len(STYLE["line"])]),
                                 customdata=np.arange(len(left)),
                                 hovertemplate=f"{tr_('fig.unit', lang)} %{{customdata}}<br>"
                                               f"< 0.1: %{{x:.0%}}<br>> 0.9: %{{y:.0%}}<extra>%{{fullData.name}}</extra>"))
    fig.add_shape(type="line", x0=0, y0=1, x1=1, y1=0, line=dict(color="lightgray", dash="dot"))
    fig.update_xaxes(range=[-0.03, 1.03], tickformat=".0%", title_text=tr_("step.sat.left", lang))
    fig.update_yaxes(range=[-0.03, 1.03], tickformat=".0%", title_text=tr_("step.sat.right", lang))
    fig.update_layout(template=TEMPLATE, height=420, margin=dict(l=70, r=20, t=20, b=60),
                      legend=dict(orientation="h", y=1.02, yanchor="bottom", x=0))
    return fig


def trajectory_figure(coords: np.ndarray, chars: list[str], t: int, explained=None, lang: str = "en") -> go.Figure:
    """The hidden state's path h_1 .. h_T projected to 2-D (PCA), each point labelled with the character
    read; step t highlighted."""
    T = len(chars)
    labels = [show_char(c) for c in chars]
    # Labels that would pile up are left out: a point keeps its label only if no labelled point lies within
    # 4% of the plot's extent (the cursor step is always labelled); every point still names its character on hover.
    span = np.ptp(coords[:, :2], axis=0) + 1e-12
    shown: list[int] = [t - 1]
    for i in range(T):
        if i != t - 1 and all(np.max(np.abs((coords[i, :2] - coords[j, :2]) / span)) > 0.04 for j in shown):
            shown.append(i)
    text = [labels[i] if i in set(shown) else "" for i in range(T)]
    fig = go.Figure(go.Scatter(x=f32(coords[:, 0]), y=f32(coords[:, 1]), mode="lines+markers+text",
                               text=text, textposition="top center",
                               line=dict(color="lightgray", width=2), marker=dict(size=9, color=np.arange(1, T + 1),
                                                                                  colorscale="Viridis", showscale=False),
                               customdata=np.arange(1, T + 1), textfont=dict(size=16 if T <= 40 else 11),
                               hovertext=labels, hovertemplate="t = %{customdata}: %{hovertext}<extra></extra>",
                               name="h_t"))
    fig.add_trace(go.Scatter(x=[float(coords[t - 1, 0])], y=[float(coords[t - 1, 1])], mode="markers",
                             marker=dict(size=22, color="rgba(0,0,0,0)", line=dict(color=STYLE["cursor"], width=4)),
                             hoverinfo="skip", name=tr_("fig.cursor", lang, t=t)))
    ex = [0.0, 0.0] if explained is None else list(explained)
    fig.update_xaxes(title_text=f"PC1 ({ex[0]:.0%})", zeroline=False)
    fig.update_yaxes(title_text=f"PC2 ({ex[1]:.0%})", zeroline=False)
    fig.update_layout(template=TEMPLATE, height=460, margin=dict(l=60, r=20, t=20, b=50), showlegend=False)
    return fig


def difference_figure(diff_start: np.ndarray, diff_end: np.ndarray, chars_a: list[str], chars_b: list[str],
                      lang: str = "en") -> go.Figure:
    """||h^A_t − h^B_t|| per step, aligned from the start (top) and from the end (bottom)."""
    fig = subplots(rows=2, cols=1, vertical_spacing=0.22,
                        subplot_titles=[tr_("step.diff.start", lang), tr_("step.diff.end", lang)])
    for r, (d, a, b) in enumerate([(diff_start, chars_a[:len(diff_start)], chars_b[:len(diff_start)]),
                                   (diff_end, chars_a[-len(diff_end):], chars_b[-len(diff_end):])], start=1):
        x = np.arange(1, len(d) + 1)
        fig.add_trace(go.Bar(x=x, y=f32(d), marker_color=STYLE["line"][r - 1],
                             hovertemplate="%{y:.3f}<extra></extra>"), row=r, col=1)
        fig.update_xaxes(tickmode="array", tickvals=list(x),
                         ticktext=[f"{show_char(p)}<br>{show_char(q)}" for p, q in zip(a, b)], row=r, col=1)
        fig.update_yaxes(title_text="‖hᴬ−hᴮ‖", row=r, col=1, rangemode="tozero")
    fig.update_layout(template=TEMPLATE, height=480, margin=dict(l=60, r=20, t=40, b=40), showlegend=False)
    return fig


MAX_ONE_HOT = 8   # up to this many characters, the unrolled picture writes each input's one-hot vector


def unrolled_figure(kind: str, chars: list[str], preds: list[str] | None = None, lang: str = "en",
                    max_steps: int = 6, targets: list[str] | None = None, vocab: list[str] | None = None) -> go.Figure:
    """The network unrolled over the input: one copy of the cell per step, the SAME W_xh, W_hh, W_hy
    (same colours) reused at every step. preds: the predicted next characters; targets: the characters
    it should predict (the task); vocab: with at most MAX_ONE_HOT characters, each input's one-hot vector
    is written under it."""
    one_hot = vocab is not None and len(vocab) <= MAX_ONE_HOT
    T = len(chars)
    shown = list(range(min(T, max_steps)))
    compact = len(shown) > 4                     # narrow columns: short labels, one-hot vectors written upright
    upright = one_hot and (len(vocab) > 4 or len(shown) > 4)
    V = len(vocab) if one_hot else 0
    cell = {"rnn": "RNN", "lstm": "LSTM", "gru": "GRU"}[kind]
    state = "h, c" if kind == "lstm" else "h"
    col = {"xh": "#2ca02c", "hh": "#d62728", "hy": "#1f77b4"}
    fig = go.Figure()
    ann = []
    for i in shown:
        x = 2.2 * i
        fig.add_shape(type="rect", x0=x - 0.6, x1=x + 0.6, y0=-0.45, y1=0.45, line=dict(color="#444", width=2),
                      fillcolor="#fff4d6")
        ann.append(dict(x=x, y=0, text=f"<b>{cell}</b>", showarrow=False, font=dict(size=16)))
        ann.append(dict(x=x, y=-1.75, text=f"x<sub>{i + 1}</sub> = <b>{html.escape(show_char(chars[i]))}</b>",
                        showarrow=False, font=dict(size=17)))
        ann.append(dict(x=x, y=-0.5, ax=x, ay=-1.5, xref="x", yref="y", axref="x", ayref="y", text="",
                        showarrow=True, arrowhead=3, arrowwidth=2.5, arrowcolor=col["xh"]))
        ann.append(dict(x=x + 0.18, y=-1.0, text="W<sub>xh</sub>", showarrow=False, xanchor="left",
                        font=dict(color=col["xh"], size=15)))
        ann.append(dict(x=x, y=1.5, ax=x, ay=0.5, xref="x", yref="y", axref="x", ayref="y", text="",
                        showarrow=True, arrowhead=3, arrowwidth=2.5, arrowcolor=col["hy"]))
        ann.append(dict(x=x + 0.18, y=1.0, text="W<sub>hy</sub>", showarrow=False, xanchor="left",
                        font=dict(color=col["hy"], size=15)))
        out = f"y<sub>{i + 1}</sub>" + (f" → <b>{html.escape(show_char(preds[i]))}</b>" if preds else "")
        if targets:
            c = html.escape(show_char(targets[i]))
            out = f"y<sub>{i + 1}</sub> = <b>{c}</b>" if compact else tr_("fig.unrolled.target", lang, t=i + 1, c=c)
        ann.append(dict(x=x, y=1.75, text=out, showarrow=False, font=dict(size=17)))
        if one_hot:
            bits = ["1" if c == chars[i] else "0" for c in vocab]
            text = "<br>".join(bits) if upright else f"[{' '.join(bits)}]"      # a column vector, as in the notes
            ann.append(dict(x=x, y=-2.05, text=text, showarrow=False, yanchor="top",
                            font=dict(size=13 if upright else 14, family="monospace")))
        if i > 0 or True:
            x0 = x - 2.2 + 0.6 if i > 0 else x - 1.5
            ann.append(dict(x=x - 0.62, y=0, ax=x0, ay=0, xref="x", yref="y", axref="x", ayref="y", text="",
                            showarrow=True, arrowhead=3, arrowwidth=2.5, arrowcolor=col["hh"]))
            if i > 0:
                ann.append(dict(x=(x0 + x - 0.62) / 2, y=0.2, text="W<sub>hh</sub>", showarrow=False,
                                font=dict(color=col["hh"], size=14)))
            else:                                # the initial state: right-aligned, clear of the first box
                ann.append(dict(x=x - 0.75, y=0.22, xanchor="right", text=f"{state}<sub>0</sub> = 0", showarrow=False,
                                font=dict(color=col["hh"], size=14)))
    more = T > len(shown)
    if more:                                     # "…" on the chain; the words under the picture, full width
        ann.append(dict(x=2.2 * len(shown) - 0.9, y=0, text="…", showarrow=False, xanchor="left", font=dict(size=20)))
        ann.append(dict(x=0.5, y=0, xref="paper", yref="paper", yanchor="top", yshift=-6, showarrow=False, font=dict(size=14),
                        text=tr_("step.unrolled.more", lang, n=T - len(shown))))
    vec_h = (0.3 * V if upright else 0.45) if one_hot else 0.0      # y units the one-hot vectors take
    bottom = -2.1 - vec_h
    height = 330 + int(round(vec_h * 55)) + (28 if more else 0)
    fig.update_layout(template=TEMPLATE, annotations=ann, height=height, margin=dict(l=10, r=10, t=10, b=34 if more else 10),
                      xaxis=dict(visible=False, range=[-2.0, 2.2 * len(shown) + (0.2 if more else -0.9)]),
                      yaxis=dict(visible=False, range=[bottom, 2.1]), showlegend=False)
    return fig


def colored_text_html(chars: list[str], values: np.ndarray, vmax: float = 1.0, title: str = "") -> str:
    """HTML for a text with each character's background coloured by a value in [-vmax, vmax]
    (blue negative, red positive), LSTMVis / Karpathy style. Characters are HTML-escaped."""
    vmax = float(vmax) if vmax and np.isfinite(vmax) and vmax > 0 else 1.0
    spans = []
    for c, v in zip(chars, np.asarray(values, dtype=np.float64)):
        a = float(np.clip(abs(v) / vmax, 0.0, 1.0)) if np.isfinite(v) else 0.0
        rgb = "214,39,40" if v > 0 else "31,119,180"
        ch = "<br>" if c == "\n" else html.escape(c).replace(" ", "&nbsp;")
        spans.append(f'<span title="{v:+.3f}" style="background: rgba({rgb},{a:.2f}); padding: 2px 0;">{ch}</span>')
    head = f"<div style='font-size:0.85em;color:#666'>{html.escape(title)}</div>" if title else ""
    return (f"{head}<div class='rnnviz-text' style=\"font-family: 'DejaVu Sans Mono', 'NanumGothicCoding', monospace; "
            f"font-size: 1.35em; line-height: 2.0; word-break: break-all;\">{''.join(spans)}</div>")


MATCH_CONTEXT = 4      # characters drawn before and after each match


def matches_figure(matches: list[dict], values: np.ndarray, chars: list[str], units: list[int], lang: str = "en",
                   context: int = MATCH_CONTEXT) -> go.Figure:
    """LSTMVis's match view: one small heatmap per match (the selected units × the match's characters, with
    `context` characters either side), ranked top to bottom, the match framed, its characters under it.
    matches: `analysis.match_spans` output; values (N, H) and chars (N,) of the corpus."""
    v = np.asarray(values, dtype=np.float64)
    units = list(units)
    n = max(1, len(matches))
    titles = [tr_("step.match.row", lang, k=k, score=m["score"], a=m["start"] + 1, b=m["end"])
              for k, m in enumerate(matches, start=1)] or [""]
    fig = subplots(rows=n, cols=1, vertical_spacing=min(0.12, 0.5 / n), subplot_titles=titles)
    for r, m in enumerate(matches, start=1):
        lo, hi = max(0, m["start"] - context), min(len(chars), m["end"] + context)
        cols = np.arange(lo, hi)
        fig.add_trace(go.Heatmap(z=f32(v[lo:hi][:, units].T), x=cols, y=np.arange(len(units)), coloraxis="coloraxis",
                                 xgap=1, ygap=1, customdata=np.repeat(np.asarray(units)[:, None], len(cols), axis=1),
                                 hovertemplate=f"{tr_('fig.unit', lang)} %{{customdata}}<br>%{{z:.3f}}<extra></extra>"),
                      row=r, col=1)
        fig.add_shape(type="rect", x0=m["start"] - 0.5, x1=m["end"] - 0.5, y0=-0.5, y1=len(units) - 0.5,
                      line=dict(color="#222", width=2), row=r, col=1)
        fig.update_xaxes(tickmode="array", tickvals=list(cols), ticktext=[show_char(chars[i]) for i in cols],
                         tickfont=dict(size=14), row=r, col=1)
        fig.update_yaxes(title_text=tr_("fig.unit", lang) if len(units) <= 3 else None, tickmode="array",
                         tickvals=list(range(len(units))), ticktext=[str(u) for u in units], autorange="reversed",
                         row=r, col=1)
    per = 40 + 22 * len(units)
    fig.update_layout(template=TEMPLATE, height=max(160, n * (per + 60) + 40), margin=dict(l=60, r=20, t=40, b=30),
                      coloraxis=dict(colorscale=STYLE["signed"], cmin=-1, cmax=1,
                                     colorbar=dict(title="h", thickness=12, len=min(1.0, 300 / max(1, n * (per + 60))),
                                                   y=1, yanchor="top")))
    return fig
