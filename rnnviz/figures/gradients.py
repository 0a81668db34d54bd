"""Figure builders for vanishing and exploding gradients (pure functions: data in, go.Figure out)."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from ..data.text import show_char
from ..i18n import t as tr_
from .style import CELL_COLORS, CELL_NAMES, LOG_AXIS, STYLE, TEMPLATE, f32, hline, subplots  # noqa: F401 (CELL_NAMES: the pages' too)


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
    fig = subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.12,
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


# ---- where the gradient comes from (RNNbow's view, for every cell) ---------------------------------------

SOURCE_BINS = (0, 1, 5, 20, 50)      # how many steps after the state its loss is: 0, 1-4, 5-19, 20-49, 50+
SOURCE_BIN_COLORS = ("#fde725", "#5ec962", "#21918c", "#3b528b", "#440154")


def _log10_or_nan(a) -> np.ndarray:
    a = np.asarray(a, dtype=np.float64)
    with np.errstate(divide="ignore"):
        return np.where(a > 0, np.log10(np.where(a > 0, a, 1.0)), np.nan)


def sources_figure(sources: dict[str, dict], tau: int, lang: str = "en") -> go.Figure:
    """RNNbow's triangle for each cell side by side: log10 ||∂L_τ/∂h_s|| for every loss step τ (rows) and
    state step s ≤ τ (columns), ONE colour scale for all cells; under each, the row of the chosen loss step τ
    on a log axis (one y range for all cells). sources: {cell: `gradient_sources` output}, same T."""
    cells = list(sources)
    T = next(iter(sources.values()))["norms"].shape[0]
    if not 1 <= tau <= T:
        raise ValueError(f"loss step must be between 1 and {T}, not {tau}")
    logs = {c: _log10_or_nan(s["norms"]) for c, s in sources.items()}
    finite = np.concatenate([v[np.isfinite(v)] for v in logs.values()] or [np.zeros(1)])
    zmin, zmax = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    fig = subplots(rows=2, cols=len(cells), row_heights=[0.64, 0.36], vertical_spacing=0.16,
                        horizontal_spacing=0.05, shared_yaxes="rows",
                        subplot_titles=[CELL_NAMES.get(c, c) for c in cells]
                        + [tr_("grad.src.row_title", lang, tau=tau) for _ in cells])
    steps = np.arange(1, T + 1)
    hover = (f"{tr_('grad.src.loss_step', lang)} τ = %{{y}}<br>{tr_('grad.src.state_step', lang)} s = %{{x}}<br>"
             "log₁₀ ‖∂L_τ/∂h_s‖ = %{z:.2f}<extra>%{meta}</extra>")
    row_vals = [sources[c]["norms"][tau - 1, :tau] for c in cells]
    pos = np.concatenate([v[v > 0] for v in row_vals] or [np.ones(1)])
    lo, hi = (float(np.log10(pos.min())), float(np.log10(pos.max()))) if pos.size else (-1.0, 1.0)
    pad = max(0.3, 0.05 * (hi - lo))
    for k, c in enumerate(cells, start=1):
        fig.add_trace(go.Heatmap(z=f32(logs[c]), x=steps, y=steps, coloraxis="coloraxis", meta=CELL_NAMES.get(c, c),
                                 hovertemplate=hover), row=1, col=k)
        fig.add_shape(type="rect", x0=0.5, x1=tau + 0.5, y0=tau - 0.5, y1=tau + 0.5, row=1, col=k,
                      line=dict(color=STYLE["cursor"], width=2))
        fig.add_trace(go.Scatter(x=steps[:tau], y=_positive(row_vals[k - 1]), mode="lines", showlegend=False,
                                 line=dict(color=CELL_COLORS.get(c), width=3), name=CELL_NAMES.get(c, c),
                                 hovertemplate="s = %{x}<br>‖∂L_τ/∂h_s‖ = %{y:.3e}<extra>%{fullData.name}</extra>"),
                      row=2, col=k)
        fig.update_yaxes(autorange="reversed", row=1, col=k)
        fig.update_xaxes(range=[0.5, T + 0.5], row=1, col=k)
        fig.update_xaxes(range=[0.5, T + 0.5], title_text=tr_("grad.src.state_step", lang) + " s", row=2, col=k)
        fig.update_yaxes(**LOG_AXIS, range=[lo - pad, hi + pad], row=2, col=k)
    fig.update_yaxes(title_text=tr_("grad.src.loss_step", lang) + " τ", row=1, col=1)
    fig.update_yaxes(title_text="‖∂L_τ/∂h_s‖", row=2, col=1)
    fig.update_layout(template=TEMPLATE, height=640, margin=dict(l=70, r=20, t=40, b=50),
                      coloraxis=dict(colorscale="Viridis", cmin=zmin, cmax=zmax,
                                     colorbar=dict(title="log₁₀", thickness=14, len=0.62, y=1, yanchor="top")))
    return fig


def source_shares(source: dict, bins: tuple[int, ...] = SOURCE_BINS) -> np.ndarray:
    """(len(bins), T): the share of ||∂L/∂h_s|| that comes from the losses d = τ - s steps after s, summed per
    bin of d (bins[i] <= d < bins[i + 1], the last open), as fractions of ||∂L/∂h_s|| (each column sums to 1
    where the total is not 0). From `gradient_sources`' "share"."""
    share, total = np.asarray(source["share"], dtype=np.float64), np.asarray(source["total"], dtype=np.float64)
    T = share.shape[0]
    d = np.arange(T)[:, None] - np.arange(T)[None, :]          # [tau - 1, s - 1] = tau - s
    edges = list(bins) + [T + 1]
    out = np.stack([np.where((d >= a) & (d < b), share, 0.0).sum(axis=0) for a, b in zip(edges[:-1], edges[1:])])
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, out / np.where(total > 0, total, 1.0), 0.0)


def source_share_figure(sources: dict[str, dict], lang: str = "en", bins: tuple[int, ...] = SOURCE_BINS) -> go.Figure:
    """The total ||∂L/∂h_s|| of each state step split by where it comes from: stacked bars of the losses
    0, 1-4, 5-19, 20-49, 50+ steps later (fractions of the total; a negative part pulls against the rest)."""
    cells = list(sources)
    fig = subplots(rows=1, cols=len(cells), shared_yaxes=True, horizontal_spacing=0.04,
                        subplot_titles=[CELL_NAMES.get(c, c) for c in cells])
    labels = [tr_("grad.src.bin_same", lang)] + [
        tr_("grad.src.bin", lang, a=a, b=b - 1) for a, b in zip(bins[1:-1], bins[2:])] + [
        tr_("grad.src.bin_last", lang, a=bins[-1])]
    for k, c in enumerate(cells, start=1):
        parts = source_shares(sources[c], bins)
        steps = np.arange(1, parts.shape[1] + 1)
        for i, (label, row) in enumerate(zip(labels, parts)):
            fig.add_trace(go.Bar(x=steps, y=f32(row), name=label, legendgroup=label, showlegend=k == 1,
                                 marker=dict(color=SOURCE_BIN_COLORS[i % len(SOURCE_BIN_COLORS)], line=dict(width=0)),
                                 hovertemplate="s = %{x}<br>%{y:.0%}<extra>" + label + "</extra>"), row=1, col=k)
        fig.update_xaxes(title_text=tr_("grad.src.state_step", lang) + " s", row=1, col=k)
    fig.update_yaxes(title_text=tr_("grad.src.share_axis", lang), tickformat=".0%", row=1, col=1)
    fig.update_layout(template=TEMPLATE, barmode="relative", bargap=0, height=380, margin=dict(l=70, r=20, t=40, b=50),
                      legend=dict(orientation="h", y=-0.25, yanchor="top", x=0, title_text=tr_("grad.src.bins_title", lang)))
    return fig


ATTRIBUTION_WRAP = 40     # characters per line of the attribution text


def relative_attribution(attr: np.ndarray, chars: list[str], tau: int) -> np.ndarray:
    """The two attribution views' numbers, checked against the text and the step: (T, T) ||∂L_τ/∂x_s|| divided by
    the largest of its row over s <= τ (0 where that is 0), NaN for s > τ (a later input cannot matter)."""
    attr = np.asarray(attr, dtype=np.float64)
    T = attr.shape[0]
    if attr.shape != (T, T):
        raise ValueError(f"the attribution must be (T, T), got {attr.shape}")
    if len(chars) != T:
        raise ValueError(f"{len(chars)} characters for {T} steps")
    if not 1 <= tau <= T:
        raise ValueError(f"prediction step must be between 1 and {T}, not {tau}")
    low = np.tril(attr)
    m = low.max(axis=1, keepdims=True)
    rel = np.divide(low, m, out=np.zeros_like(low), where=m > 0)
    rel[np.triu_indices(T, k=1)] = np.nan
    return rel


def attribution_figure(attr: np.ndarray, chars: list[str], tau: int, lang: str = "en",
                       wrap: int = ATTRIBUTION_WRAP) -> go.Figure:
    """Distill's connectivity: the text, each character's background coloured by ||∂L_τ/∂x_s|| for the
    prediction at step τ (relative to the largest for that τ; later characters blank: they cannot matter).
    One slider step per τ moves the colours in the browser (restyle: no server round trip); the character
    whose next one is predicted is framed. attr: `input_attribution` output (T, T); chars: the T inputs."""
    rel_all = relative_attribution(attr, chars, tau)
    attr = np.asarray(attr, dtype=np.float64)
    T = attr.shape[0]
    W = max(1, min(T, wrap))
    R = -(-T // W)

    def grid(values) -> np.ndarray:
        g = np.full(R * W, np.nan)
        g[:T] = values
        return g.reshape(R, W)

    def rel(t: int) -> np.ndarray:
        return rel_all[t - 1]

    text = grid(np.arange(T)).astype(object)
    labels = [show_char(c) for c in chars]
    text = np.array([[labels[int(v)] if v == v else "" for v in r] for r in text])
    raw = [grid(attr[t - 1]) for t in range(1, T + 1)]
    steps_grid = grid(np.arange(1, T + 1))

    def frame_shape(t: int) -> dict:
        r, c = divmod(t - 1, W)
        return dict(type="rect", x0=c - 0.5, x1=c + 0.5, y0=r - 0.5, y1=r + 0.5, line=dict(color="#d62728", width=3))

    fig = go.Figure(go.Heatmap(
        z=f32(grid(rel(tau))), text=text, texttemplate="%{text}", textfont=dict(size=18), customdata=np.dstack(
            [steps_grid, raw[tau - 1]]), colorscale="Oranges", zmin=0, zmax=1, xgap=2, ygap=2,
        colorbar=dict(title=tr_("grad.attr.scale", lang), thickness=12),
        hovertemplate=f"{tr_('grad.src.state_step', lang)} s = %{{customdata[0]}}: %{{text}}<br>"
                      "‖∂L_τ/∂x_s‖ = %{customdata[1]:.3e}<extra></extra>"))
    fig.update_xaxes(visible=False, range=[-0.5, W - 0.5])
    fig.update_yaxes(visible=False, autorange="reversed", scaleanchor="x", scaleratio=1)
    steps = [dict(method="update", label=f"{t} · {show_char(chars[t - 1])}",
                  args=[{"z": [f32(grid(rel(t)))], "customdata": [np.dstack([steps_grid, raw[t - 1]])]},
                        {"shapes": [frame_shape(t)], "title.text": tr_("grad.attr.title", lang, tau=t,
                                                                         c=show_char(chars[t - 1]))}])
             for t in range(1, T + 1)]
    fig.update_layout(template=TEMPLATE, height=max(220, 46 * R + 170), margin=dict(l=20, r=20, t=50, b=20),
                      shapes=[frame_shape(tau)],
                      title=dict(text=tr_("grad.attr.title", lang, tau=tau, c=show_char(chars[tau - 1])), x=0,
                                 font=dict(size=16)),
                      sliders=[dict(active=tau - 1, steps=steps, x=0, len=1.0, pad=dict(t=10),
                                    currentvalue=dict(prefix=tr_("grad.attr.slider", lang) + " τ = "))])
    return fig


def attribution_html(attr: np.ndarray, chars: list[str], tau: int, lang: str = "en") -> str:
    """The input attribution as a text whose characters the reader hovers: hovering (or tapping) the character
    read at step τ recolours every earlier character by ||∂L_τ/∂x_s|| relative to the largest for that τ (later
    characters blank), all in the browser (a few lines of script in the component's own frame; the numbers are
    the server's, rounded to 3 digits). A self-contained HTML page for `st.iframe`."""
    import html as _html
    import json as _json
    rel = relative_attribution(attr, chars, tau)
    T = rel.shape[0]
    rows = [[round(float(v), 3) for v in rel[t - 1, :t]] for t in range(1, T + 1)]
    spans = "".join(f'<span data-s="{s}" title="s = {s + 1}">{_html.escape(show_char(c))}</span>'
                    for s, c in enumerate(chars))
    labels = [show_char(c) for c in chars]
    caption = _json.dumps(tr_("grad.attr.hover_caption", lang))
    return f"""<!doctype html><html><head><meta charset="utf-8"><style>
body {{ margin: 0; font-family: "Source Sans Pro", "Source Sans", "Noto Sans KR", "NanumGothic", sans-serif; }}
#txt span {{ display: inline-block; min-width: 1.05em; padding: 0.18em 0.08em; margin: 0 1px 4px 0; text-align: center;
            font: 20px/1.2 "Source Code Pro", monospace; border-radius: 3px; cursor: pointer; border: 2px solid transparent; }}
#txt span.tau {{ border-color: #d62728; }}
#cap {{ font-size: 15px; margin: 4px 0 8px 0; color: #31333f; }}
</style></head><body><div id="cap"></div><div id="txt">{spans}</div><script>
const rows = {_json.dumps(rows)}, labels = {_json.dumps(labels, ensure_ascii=False)}, cap = {caption};
const spans = document.querySelectorAll("#txt span");
function show(t) {{
  const row = rows[t - 1];
  spans.forEach((el, s) => {{
    const v = s < t ? row[s] : null;
    el.style.background = v === null ? "transparent" : `rgba(255, 127, 14, ${{Math.max(0.04, v)}})`;
    el.style.color = v === null ? "#bbb" : "#111";
    el.classList.toggle("tau", s === t - 1);
  }});
  document.getElementById("cap").textContent = cap.replace("{{tau}}", t).replace("{{c}}", labels[t - 1]);
}}
spans.forEach((el, s) => {{ el.addEventListener("mouseenter", () => show(s + 1)); el.addEventListener("click", () => show(s + 1)); }});
show({int(tau)});
</script></body></html>"""
