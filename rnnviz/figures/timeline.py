"""The states-through-time figure of the Hello and Step pages, its caption, and the loss curve.

`timeline_figure` stacks h_t, every gate and the LSTM's c_t (and the gradient ||dL/dh_t||) as heatmaps on
one time axis, and the predicted distribution under them. The time-step cursor moves inside the browser
(Plotly slider steps and frames), never through a script rerun.
"""
from __future__ import annotations

import base64
import math
from xml.sax.saxutils import escape as xml_escape
from typing import TYPE_CHECKING

import numpy as np
import plotly.graph_objects as go

from ..data.text import show_char
from ..i18n import t as tr_
from .style import LOG_AXIS, STYLE, TEMPLATE, VECTOR_SYMBOLS, cursor, f32, hline, time_axis, subplots, validating

MAX_TABLE_NUMBERS = 12_000   # the values table's numbers over all steps (sent once per slider step and frame)
MAX_TABLE_ROWS = 16          # units in the values table (the Hello default); hovering the heatmaps gives the rest
VALUES_TITLE_PX = 30           # the band above the values table, for its title
TABLE_ROW_PX, TABLE_COL_PX = 22, 86

if TYPE_CHECKING:
    from ..tracing.engine import Trace


def _rows(tr: Trace) -> list[tuple[str, np.ndarray, str]]:
    """(title key, (T, H) values, colour axis) for every panel of the states figure, top to bottom."""
    rows = [("fig.hidden", tr.hidden, "coloraxis")]
    from ..tracing.engine import GATES  # loaded by now (a Trace exists); not at the top, which must not import torch
    for g in GATES[tr.cell_type]:
        key = f"fig.gate.candidate.{tr.cell_type}" if g == "candidate" else f"fig.gate.{g}"
        rows.append((key, tr.gates[g], "coloraxis" if g == "candidate" else "coloraxis2"))
    if tr.cell is not None:
        rows.append(("fig.cell", tr.cell, "coloraxis3"))
    return rows


def _vectors(tr: Trace) -> dict[str, np.ndarray]:
    """Every per-unit vector over time, (T, H) each, in the lecture notes' order (`VECTOR_SYMBOLS`)."""
    return {k: tr.hidden if k == "h" else tr.cell if k == "c" else tr.gates[k] for k in VECTOR_SYMBOLS[tr.cell_type]}


def step_caption(tr: Trace, chars: list[str], vocab: list[str], t: int, lang: str = "en") -> str:
    """One line about step t: input, target, top prediction with its probability, right or wrong."""
    p = tr.probs[t - 1]
    k = int(p.argmax())
    text = tr_("fig.step_caption", lang, t=t, x=show_char(chars[t - 1]), p=show_char(vocab[k]), prob=float(p[k]))
    if tr.targets is not None:
        y = int(tr.targets[t - 1])
        mark = "<span style='color:#2ca02c'>✓</span>" if k == y else "<span style='color:#d62728'>✗</span>"
        text += " · " + tr_("fig.step_target", lang, y=show_char(vocab[y])) + " " + mark
    return text


def timeline_figure(tr: Trace, chars: list[str], vocab: list[str], lang: str = "en", start: int = 1,
                    panels: tuple[str, ...] = ("states", "probs", "grad")) -> go.Figure:
    """Everything the network computed, on ONE shared time axis with ONE time-step cursor.

    Panels (top to bottom): "states": heatmaps (units x time) of h, every gate and (LSTM) c; "probs":
    softmax over the vocabulary with the true next character circled; "grad": ||dL/dh_t|| (and
    ||dL/dc_t||) on a log axis; "values": a table of every vector's value per unit at the cursor step
    (h_t, the gates, c_t; at most MAX_TABLE_NUMBERS numbers over all steps, so for long texts and many
    units the first units only, said in its header). The cursor, a caption of the step and the table
    move with ONE slider and play/pause buttons inside the figure: one Plotly frame per step, so
    scrubbing through time runs in the browser without a server round trip.
    chars: the T input characters; vocab: id -> character.
    """
    T, H, V = tr.T, tr.hidden.shape[1], len(vocab)
    if "grad" in panels and tr.grad_hidden is None:
        raise ValueError("the trace has no gradients: trace the model with targets")
    state_rows = _rows(tr) if "states" in panels else []
    spec = [(tr_(k, lang), "state", (vals, cax)) for k, vals, cax in state_rows]
    if "probs" in panels:
        spec.append((tr_("hello.probs", lang), "probs", None))
    if "grad" in panels:
        spec.append((tr_("fig.grad_title_lstm" if tr.grad_cell is not None else "fig.grad_title", lang), "grad", None))
    vectors = {f"{VECTOR_SYMBOLS[tr.cell_type][k]}_t": v for k, v in _vectors(tr).items()}
    shown_units = min(H, MAX_TABLE_ROWS, max(1, MAX_TABLE_NUMBERS // (T * len(vectors))))
    if "values" in panels:
        spec.append((tr_("fig.values_at_cursor", lang) if shown_units == H else
                     tr_("fig.values_at_cursor_first", lang, k=shown_units - 1, H=H), "values", None))
    # compact panels, so that on a 1280x720 projector the controls (at the top) and the first panels fit one screen
    unit_px = int(min(max(70, 4 * H + 40), 180))         # H = 16: 104 px, from H = 35 on 180 px
    px = {"state": unit_px, "probs": int(min(max(90, 16 * V + 30), 360)), "grad": 170,
          "values": TABLE_ROW_PX * (shown_units + 1) + 10 + VALUES_TITLE_PX}
    heights = [px[kind] for _, kind, _ in spec]
    fig = subplots(rows=len(spec), cols=1, row_heights=heights, vertical_spacing=min(0.045, 0.3 / len(spec)),
                        subplot_titles=[title for title, _, _ in spec])
    steps = np.arange(1, T + 1)
    hover = (f"%{{meta}}<br>{tr_('fig.unit', lang)} %{{y}}, t = %{{x}}<br>"
             f"{tr_('fig.value', lang)} %{{z:.3f}}<extra></extra>")
    values_row = None
    last_time_row = max(r for r, (_, kind, _) in enumerate(spec, start=1) if kind != "values")

    def table_texts(t: int) -> list[str]:
        """The values table's numbers at step t, row by row (unit 0: h_t, gates, c_t; unit 1: ...)."""
        rows = np.stack([f32(v[t - 1, :shown_units]) for v in vectors.values()], axis=1)
        return [f"{x:.4f}" for x in rows.ravel().tolist()]

    header = [tr_("fig.unit", lang)] + list(vectors)
    table_image = lambda t: dict(source=table_source(header, table_texts(t), shown_units))   # noqa: E731
    for r, (title, kind, extra) in enumerate(spec, start=1):
        if kind == "state":
            vals, cax = extra
            fig.add_trace(go.Heatmap(z=f32(vals.T), x=steps, y=np.arange(H), coloraxis=cax, meta=title,
                                     hovertemplate=hover, xgap=1 if T <= 60 else 0, ygap=1 if H <= 32 else 0), row=r, col=1)
            fig.update_yaxes(title_text=tr_("fig.unit", lang), autorange="reversed", dtick=1 if H <= 8 else None,
                             title_standoff=8, row=r, col=1)
        elif kind == "probs":
            fig.add_trace(go.Heatmap(z=f32(tr.probs.T), x=steps, y=np.arange(V), coloraxis="coloraxis4",
                                     xgap=1 if T <= 60 else 0, ygap=1 if V <= 40 else 0,
                                     hovertemplate="t = %{x}<br>P = %{z:.3f}<extra></extra>"), row=r, col=1)
            if tr.targets is not None:
                fig.add_trace(go.Scatter(x=steps, y=f32(tr.targets), mode="markers", name=tr_("fig.target", lang),
                                         marker=dict(symbol="circle-open", size=14 if T <= 60 else 6, color="#d62728",
                                                     line=dict(width=2.5)),
                                         hovertemplate=tr_("fig.target", lang) + "<extra></extra>"), row=r, col=1)
            ticks = dict(tickmode="array", tickvals=list(range(V)), ticktext=[show_char(c) for c in vocab]) if V <= 40 else {}
            fig.update_yaxes(title_text=tr_("fig.next_char", lang), autorange="reversed", row=r, col=1, **ticks)
        elif kind == "grad":
            series = [("fig.grad_h", tr.grad_hidden)] + ([("fig.grad_c", tr.grad_cell)] if tr.grad_cell is not None else [])
            for i, (key, g) in enumerate(series):
                g = np.asarray(g, dtype=np.float64)               # as computed: float32 would cut below 1e-45
                fig.add_trace(go.Scatter(x=steps, y=np.where(g > 0, g, np.nan), mode="lines+markers", name=tr_(key, lang),
                                         line=dict(color=STYLE["line"][i], width=3), marker=dict(size=7),
                                         hovertemplate="t = %{x}<br>%{y:.3e}<extra>" + tr_(key, lang) + "</extra>"),
                              row=r, col=1)
            fig.update_yaxes(**LOG_AXIS, title_text="‖∂L/∂h‖", dtick=1, row=r, col=1)
        else:  # values: a picture of the table (a layout image), so a cursor move swaps one image: Plotly redraws
            # that image alone, where new table cells or annotation texts make it recompute and redraw every heatmap
            values_row = r
            fig.update_xaxes(range=[0, 1], visible=False, fixedrange=True, row=r, col=1)
            fig.update_yaxes(range=[0, 1], visible=False, fixedrange=True, row=r, col=1)
        if kind != "values":
            # one time axis: the characters under the last time panel only, so no panel title sits on them
            fig.update_xaxes(matches="x", showticklabels=r == last_time_row, row=r, col=1, **time_axis(chars))
    if values_row is None:                   # with the table below, the time axis title would collide with its title
        fig.update_xaxes(title_text=tr_("fig.step", lang), row=last_time_row, col=1)
    y_name = "yaxis" if last_time_row == 1 else f"yaxis{last_time_row}"
    cursor_y0 = float(fig.layout[y_name].domain[0])      # the cursor spans the time-axis panels only
    caption = lambda t: step_caption(tr, chars, vocab, t, lang)

    # Cursor: one layout image moved by its x (see cursor). A slider step changes that x, the caption and the
    # values table's picture (a second layout image): Plotly redraws those in place without touching the heatmaps.
    images = [cursor(start, cursor_y0)]
    if values_row is not None:
        # the table's title inside its own panel, in a band above the table: the time axis's characters (larger
        # in the presenter view) keep the spacing between the panels to themselves
        fig.layout.annotations[values_row - 1].update(yanchor="top")
        below = 1 - VALUES_TITLE_PX / px["values"]
        images.append(dict(table_image(start), xref=f"x{values_row}", yref=f"y{values_row}", x=0.5, y=below, sizex=1,
                           sizey=below, sizing="contain", xanchor="center", yanchor="top", layer="above", name="values"))

    def _step_args(t: int) -> list:
        lay = {"images[0].x": t - 0.5, "title.text": caption(t)}
        if values_row is not None:
            lay["images[1].source"] = table_image(t)["source"]
        return [lay]

    fig.frames = [go.Frame(name=str(t), layout=dict(images=[dict(x=t - 0.5)] + ([table_image(t)] if values_row else []),
                                                    title=dict(text=caption(t)), sliders=[dict(active=t - 1)]),
                           _validate=False)        # T frames: plotly's validation alone would take most of the build
                  for t in range(1, T + 1)]

    def colorbar(axis: str, title: str) -> dict:
        """Beside the first panel that uses the colour axis, as tall as that panel."""
        rows = [r for r, (_, kind, extra) in enumerate(spec, start=1)
                if (kind == "state" and extra[1] == axis) or (kind == "probs" and axis == "coloraxis4")]
        if not rows:
            return dict(title=title)
        lo, hi = fig.layout["yaxis" if rows[0] == 1 else f"yaxis{rows[0]}"].domain
        return dict(title=title, y=hi, yanchor="top", len=hi - lo, thickness=12, nticks=3)   # 3 ticks fit 70 px

    cmax = float(np.abs(tr.cell).max()) if tr.cell is not None else 1.0
    cmax = cmax if np.isfinite(cmax) and cmax > 0 else 1.0
    play_anim = dict(mode="immediate", frame=dict(duration=700, redraw=True), transition=dict(duration=0), fromcurrent=True)
    fig.update_layout(
        template=TEMPLATE, height=sum(heights) + 300, margin=dict(l=70, r=20, t=240, b=60),
        title=dict(text=caption(start), x=0, xanchor="left", y=0.995, yanchor="top", yref="container",
                   font=dict(size=18)),
        images=images, showlegend=False,
        coloraxis=dict(colorscale=STYLE["signed"], cmin=-1, cmax=1, colorbar=colorbar("coloraxis", "h")),
        coloraxis2=dict(colorscale=STYLE["gate"], cmin=0, cmax=1, showscale=tr.cell_type != "rnn",
                        colorbar=colorbar("coloraxis2", "σ")),
        coloraxis3=dict(colorscale=STYLE["signed"], cmin=-cmax, cmax=cmax, showscale=tr.cell is not None,
                        colorbar=colorbar("coloraxis3", "c")),
        coloraxis4=dict(colorscale=STYLE["prob"], cmin=0, cmax=1, showscale="probs" in panels,
                        colorbar=colorbar("coloraxis4", "P")),
        # the controls sit at the top, under the caption: ▶ and the first panels fit one projector screen
        updatemenus=[dict(type="buttons", direction="left", x=0, xanchor="left", y=1, yanchor="bottom", pad=dict(b=100),
                          buttons=[dict(label="▶ " + tr_("step.play", lang), method="animate", args=[None, play_anim]),
                                   dict(label="❚❚ " + tr_("step.pause", lang), method="animate",
                                        args=[[None], dict(mode="immediate", frame=dict(duration=0, redraw=False))])])],
    )
    # The slider's T steps are built here, not typed by a user: plotly's validation of them alone took
    # ~150 ms at T = 90 (most of the figure's build), so it is skipped for them as for the frames.
    fig._validate = False
    try:
        fig.update_layout(sliders=[dict(
            active=start - 1, x=0, len=1.0, y=1, yanchor="bottom", pad=dict(b=40, t=0),
            currentvalue=dict(prefix=tr_("hello.cursor", lang) + ": ", font=dict(size=15), xanchor="right"),
            steps=[dict(method="relayout", label=f"{t} · {show_char(chars[t - 1])}",
                        args=_step_args(t)) for t in range(1, T + 1)])])
    finally:
        validating(fig)                            # what a caller changes later is validated as ever
    fig.__dict__["_rnnviz_open_at"] = start        # as `open_at(fig, start)` leaves it
    return fig


def opens_at(spec: dict) -> int:
    """The step a timeline's dict (`timeline_figure(...).to_dict()`) opens at: its slider's active step + 1."""
    return int(spec["layout"]["sliders"][0].get("active", 0)) + 1


def open_at(fig: go.Figure, t: int) -> go.Figure:
    """A timeline (of `timeline_figure`) set to open at step t, in place: the cursor, the caption, the
    slider and the values table as its frame t has them. t outside 1..T: ValueError."""
    if not 1 <= t <= len(fig.frames):
        raise ValueError(f"time step must be between 1 and {len(fig.frames)}, not {t}")
    if fig.__dict__.get("_rnnviz_open_at") == t:       # at t already (a page sets it every rerun: ~4 ms of
        return fig                                     # plotly's validators each time, for nothing)
    frame = fig.frames[t - 1]
    fig.layout.sliders[0].active = t - 1
    fig.layout.images[0].x = t - 0.5
    fig.layout.title.text = frame.layout.title.text
    if len(frame.layout.images) > 1:
        fig.layout.images[1].source = frame.layout.images[1].source
    fig.__dict__["_rnnviz_open_at"] = t
    return fig


def table_source(header: list[str], numbers: list[str], n_rows: int) -> str:
    """The values table as an SVG picture (a data URL for a layout image): a header row (the unit column and one
    column per vector; "h_t" drawn h with a subscript t), then n_rows rows of the unit number and its numbers
    (`numbers` row by row), right-aligned, alternate rows shaded."""
    n_cols = len(header)
    if len(numbers) != n_rows * (n_cols - 1):
        raise ValueError(f"{len(numbers)} numbers do not fill {n_rows} rows of {n_cols - 1} values")
    w, h, cw = n_cols * TABLE_COL_PX, (n_rows + 1) * TABLE_ROW_PX, TABLE_COL_PX
    right = lambda j: (j + 1) * cw - 12                    # noqa: E731  (text anchored at its column's right edge)
    out = [f"<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 {w} {h}' width='{w}' height='{h}' "
           "font-family='sans-serif' font-size='14' text-anchor='end'>",
           f"<rect width='{w}' height='{TABLE_ROW_PX}' fill='#e3e9f1'/>"]
    out += [f"<rect y='{(i + 1) * TABLE_ROW_PX}' width='{w}' height='{TABLE_ROW_PX}' fill='#f4f6f8'/>"
            for i in range(1, n_rows, 2)]
    base = TABLE_ROW_PX - 6
    for j, name in enumerate(header):                      # one text per cell: a subscript's shift ends with it
        main, _, sub = name.partition("_")
        sub = f"<tspan font-size='10' dy='3'>{xml_escape(sub)}</tspan>" if sub else ""
        out.append(f"<text x='{right(j)}' y='{base}' font-weight='bold' fill='#222'>{xml_escape(main)}{sub}</text>")
    per_row = n_cols - 1
    for i in range(n_rows):
        row = numbers[i * per_row:(i + 1) * per_row]
        out.append(f"<text y='{(i + 1) * TABLE_ROW_PX + base}' fill='#222'><tspan x='{right(0)}' fill='#666'>{i}</tspan>"
                   + "".join(f"<tspan x='{right(j + 1)}'>{v}</tspan>" for j, v in enumerate(row)) + "</text>")
    out.append("</svg>")
    return "data:image/svg+xml;base64," + base64.b64encode("".join(out).encode()).decode()


def loss_figure(losses, accuracies, vocab_size: int, lang: str = "en") -> go.Figure:
    """Training loss (log axis, with the uniform-guess loss ln V) above training accuracy, per training step."""
    steps = np.arange(1, len(losses) + 1)
    fig = subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.68, 0.32], vertical_spacing=0.06)
    fig.add_trace(go.Scatter(x=steps, y=f32(losses), name=tr_("fig.loss", lang),
                             line=dict(color=STYLE["line"][0], width=3)), row=1, col=1)
    fig.add_trace(go.Scatter(x=steps, y=f32(accuracies), name=tr_("fig.accuracy", lang),
                             line=dict(color=STYLE["line"][2], width=3)), row=2, col=1)
    if vocab_size > 1:
        hline(fig, math.log(vocab_size), tr_("fig.uniform", lang), log=True, row=1, col=1)
    fig.update_yaxes(**LOG_AXIS, title_text=tr_("fig.loss", lang), row=1, col=1)
    fig.update_yaxes(range=[-0.05, 1.05], title_text=tr_("fig.accuracy", lang), tickformat=".0%", row=2, col=1,
                     tickmode="array", tickvals=[0, 0.5, 1.0])
    fig.update_xaxes(title_text=tr_("fig.train_step", lang), row=2, col=1)
    fig.update_layout(template=TEMPLATE, height=340, margin=dict(l=70, r=20, t=20, b=50), showlegend=False)
    return fig


CURSOR_KEYS = {"prev": "J", "play": "K", "next": "L"}   # YouTube's back / play-pause / forward (the Step page's too)


def element_class(key: str) -> str:
    """The CSS class Streamlit gives the element made with `key=` (its frontend: "st-key-" + the key trimmed,
    every character other than a-z A-Z 0-9 _ - made "-")."""
    import re
    return "st-key-" + re.sub(r"[^a-zA-Z0-9_-]", "-", key.strip())


def cursor_keys_html(chart_key: str, keys: dict[str, str] = CURSOR_KEYS) -> str:
    """Keyboard keys for the in-browser time cursor of a `timeline_figure` shown with `st.plotly_chart(key=chart_key)`:
    keys["prev"] / keys["next"] move it a step back / on, keys["play"] plays (from the start when at the last step)
    and pauses. A script for `st.html(..., unsafe_allow_javascript=True)`, run in the app's own page: it drives the
    figure with Plotly's own `Plotly.animate` to the figure's frames (the slider, its caption, the cursor and the
    values picture move as when the slider or ▶ is used) and the figure's own ▶ / ❚❚ arguments, so a key press
    never reaches the server. ONE keydown listener per browser tab (a second run only updates the table of charts
    and keys); keys typed in a text box, with Ctrl / Alt / ⌘, or on a page without the chart do nothing."""
    import json
    acts = {"prev", "play", "next"}
    if set(keys) != acts or not all(isinstance(k, str) and len(k) == 1 and k.isalpha() for k in keys.values()):
        raise ValueError(f"keys must map {sorted(acts)} to one letter each, not {keys!r}")
    if len({k.lower() for k in keys.values()}) != 3:
        raise ValueError(f"the three keys must differ: {keys!r}")
    table = json.dumps({k.lower(): act for act, k in keys.items()})
    # a JSON string in a script: "</" could end the script element, so it is written "<\/" (the same string)
    cls = json.dumps(element_class(chart_key)).replace("</", "<\\/")
    return f"""<script>
(() => {{
  const w = window, reg = w.__rnnvizCursorKeys || (w.__rnnvizCursorKeys = {{}});
  reg[{cls}] = {table};
  if (w.__rnnvizCursorKeysOn) return;
  w.__rnnvizCursorKeysOn = true;
  const typing = el => !!el && (el.isContentEditable || !!(el.closest && el.closest("input, textarea, select")));
  const go = (P, gd, act, repeat) => {{
    const s = gd._fullLayout.sliders[0], n = s.steps.length, at = s.active;
    const playing = !!(gd._transitionData && gd._transitionData._animationRaf);
    const [play, pause] = gd.layout.updatemenus[0].buttons;
    if (act === "play") {{
      if (repeat) return;
      if (playing) P.animate(gd, ...pause.args);
      else if (at >= n - 1) P.animate(gd, Array.from({{length: n}}, (_, i) => String(i + 1)), play.args[1]);
      else P.animate(gd, ...play.args);
      return;
    }}
    const t = Math.min(Math.max(at + (act === "next" ? 1 : -1), 0), n - 1);
    if (t !== at || playing)
      P.animate(gd, [String(t + 1)], {{mode: "immediate", frame: {{duration: 0, redraw: true}}, transition: {{duration: 0}}}});
  }};
  w.document.addEventListener("keydown", e => {{
    if (e.defaultPrevented || e.ctrlKey || e.altKey || e.metaKey || typing(e.target) || !e.key) return;
    for (const [cls, table] of Object.entries(reg)) {{
      const act = table[e.key.toLowerCase()];
      const gd = act && w.document.querySelector("." + cls + " .js-plotly-plot");
      if (!gd || !w.Plotly || !gd._fullLayout || !(gd._fullLayout.sliders || []).length) continue;
      e.preventDefault();
      go(w.Plotly, gd, act, e.repeat);
      return;
    }}
  }});
}})();
</script>"""
