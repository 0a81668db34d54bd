"""The one figure style: font sizes, the cells' names and colours, the template, the time axis.

Every figure module builds on these so that a cell has one colour and one name on every page, and every
time axis labels the steps the same way (the input character under its step number). Arrays go to
Plotly as float32 (`f32`: Plotly sends them as typed arrays), and figures use a minimal template, so the
payload a browser receives stays small.
"""
from __future__ import annotations

import math
import re
import threading

import base64

import numpy as np
import plotly.graph_objects as go

from ..data.text import show_char

CELL_NAMES = {"rnn": "RNN", "lstm": "LSTM", "gru": "GRU"}           # every figure and page names the cells so
VECTOR_SYMBOLS = {   # each per-unit vector's letter in the lecture notes' equations (h_t, f_t, ...), per cell
    "rnn": {"h": "h"},
    "lstm": {"h": "h", "input": "i", "forget": "f", "candidate": "g", "output": "o", "c": "c"},
    "gru": {"h": "h", "reset": "r", "update": "z", "candidate": "n"},
}
CELL_COLORS = {"rnn": "#d62728", "lstm": "#1f77b4", "gru": "#2ca02c"}  # and draws them in these colours
STYLE = {
    "font_size": 15,                # readable on a projector
    "signed": "RdBu_r",             # values in [-1, 1]: blue negative, red positive
    "gate": "Blues",                # gate values in [0, 1]
    "prob": "Greens",
    "cursor": "rgba(255, 170, 0, 0.9)",
    "line": ["#1f77b4", "#d62728", "#2ca02c", "#9467bd"],
    "max_tick_labels": 60,          # above this many steps, the time axis shows numbers only
}
# Log axes: every tick labelled with its magnitude ("0.2", "1e-45"), never Plotly's bare "2, 5" between decades
LOG_AXIS = dict(type="log", tickformat="~g")


def log_ticks(*values, decades: float = 1.5) -> dict:
    """A log axis's tick spacing for data within `decades` decades: labels at 1, 2 and 5 of each decade
    (Plotly's dtick "D2"), where Plotly would label every digit (0.05, 0.06, ... 0.1 crowded together); {}
    for a wider range (Plotly's own choice) or no positive finite value."""
    v = np.concatenate([np.ravel(np.asarray(x, dtype=float)) for x in values]) if values else np.array([])
    v = v[np.isfinite(v) & (v > 0)]
    if v.size == 0 or math.log10(v.max() / v.min()) > decades:
        return {}
    return {"dtick": "D2"}


def hline(fig: go.Figure, y: float, text: str, log: bool = False, row: int | None = None, col: int | None = None,
          below: bool = False, **line) -> None:
    """A dashed reference line at y with its label at the right. On a log axis Plotly places an annotation
    at log10 of its y (add_hline's own label would land at 10**y: ln 8 = 2.08 drawn near 120), so the label
    is added here with the logarithm taken."""
    kw = {} if row is None else dict(row=row, col=col)
    fig.add_hline(y=y, line=dict(dict(color="gray", dash="dash"), **line), **kw)
    fig.add_annotation(x=1, xref="x domain", y=math.log10(y) if log else y, yref="y", text=text, showarrow=False,
                       xanchor="right", yanchor="top" if below else "bottom", font=dict(color="gray"), **kw)


TEMPLATE = go.layout.Template(layout=dict(font=dict(size=STYLE["font_size"])))


def f32(a) -> np.ndarray:
    return np.ascontiguousarray(a, dtype=np.float32)


def time_axis(chars: list[str]) -> dict:
    """x-axis settings for steps 1..T labelled with the character read at each step."""
    T = len(chars)
    ax = dict(range=[0.5, T + 0.5])
    if T <= STYLE["max_tick_labels"]:
        ax.update(tickmode="array", tickvals=list(range(1, T + 1)), ticktext=[show_char(c) for c in chars])
    return ax


def cursor_source(color: str) -> str:
    """The cursor's picture: a rectangle outline, 3 px wide whatever size Plotly stretches it to."""
    svg = ("<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 10 10' preserveAspectRatio='none'>"
           f"<rect x='0' y='0' width='10' height='10' fill='none' stroke='{color}' stroke-width='6' "
           "vector-effect='non-scaling-stroke'/></svg>")
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def cursor(t: int, y0: float = 0.0) -> dict:
    """The time-step cursor as a layout *image* over step t, from the paper height y0 to the top.

    Why an image and not a shape: moving an image (`images[0].x`) only redraws that image, while moving a
    shape makes Plotly recompute every trace (a shape can change the autorange), and toggling one shape per
    step costs a redraw per shape. Measured in Chromium on the Step page's figure (T = 90, six 64-unit
    heatmaps): 12 ms per move against 35 ms (opacities of 90 shapes) and 105 ms (moving one shape)."""
    return dict(source=cursor_source(STYLE["cursor"]), xref="x", yref="paper", x=t - 0.5, y=1.0, sizex=1.0,
                sizey=1.0 - y0, sizing="stretch", xanchor="left", yanchor="top", layer="above", name="cursor")


_SUBPLOTS: dict = {}          # make_subplots' layout per arguments (the figure builders use a few dozen at most)
_SUBPLOTS_MAX = 64
_SUBPLOTS_LOCK = threading.Lock()


def subplots(**kw) -> go.Figure:
    """`plotly.subplots.make_subplots(**kw)`, made once per arguments: a new figure each call, from a copy of the
    grid's layout kept from the first (the same dict and the same grid for add_trace(row=, col=) and
    update_xaxes(row=, col=)). make_subplots itself is plotly's object model at work: ~40 ms for the timeline's
    nine panels, a fifth of the figure's build, on every training's figures."""
    import copy
    key = repr(sorted(kw.items()))
    with _SUBPLOTS_LOCK:
        kept = _SUBPLOTS.get(key)
    if kept is None:
        from plotly.subplots import make_subplots
        base = make_subplots(**kw)
        kept = (base.layout.to_plotly_json(), base._grid_str, base._grid_ref)
        with _SUBPLOTS_LOCK:
            if len(_SUBPLOTS) >= _SUBPLOTS_MAX:
                _SUBPLOTS.pop(next(iter(_SUBPLOTS)))
            _SUBPLOTS[key] = kept
    layout, grid_str, grid_ref = kept
    fig = go.Figure({"layout": copy.deepcopy(layout), "_grid_str": grid_str, "_grid_ref": grid_ref}, _validate=False)
    return validating(fig)                        # what the builder adds to it is validated as ever


def validating(fig: go.Figure) -> go.Figure:
    """A figure made with `_validate=False` validates what is set on it from now on, as any other: the flag is
    set again on the figure and on every object in its layout and traces (plotly gives each its own)."""
    fig._validate = True
    stack = [fig.layout, *fig.data]
    while stack:
        obj = stack.pop()
        obj._validate = True
        stack.extend(obj._compound_props.values())
        for children in obj._compound_array_props.values():
            stack.extend(children)
    return fig


def keep_spec(fig: go.Figure, spec: dict, version=None) -> list:
    """Keep `spec` (fig.to_dict() of `fig` as it is at `version`) on the figure, for `kept_spec`: what the app
    hands Streamlit instead of making the dict again (ui.plotly_chart), [version, spec, presenter spec]."""
    kept = [version, spec, None]
    fig.__dict__["_rnnviz_dict"] = kept          # past plotly's __setattr__ (no validation, no property)
    return kept


def kept_spec(fig: go.Figure, version=None, presenter: bool = False) -> dict:
    """fig.to_dict(), made once per `version` and kept on the figure (a caller that changes a drawn figure in
    place names each state by its own version); with `presenter`, its `presenter_spec`, kept beside it."""
    kept = fig.__dict__.get("_rnnviz_dict")
    if kept is None or kept[0] != version:
        kept = keep_spec(fig, fig.to_dict(), version)
    if not presenter:
        return kept[1]
    if kept[2] is None:
        kept[2] = presenter_spec(kept[1])
    return kept[2]


PRESENTER_SCALE = 1.25   # the presenter view's text: a figure's own font sizes x1.25 (the page's goes 16 -> 19 px)
# In the app Streamlit's chart theme replaces a figure's template: ticks, legends and hover text 0.75 rem (12 px,
# 14.25 px under the presenter stylesheet's 19 px), axis titles 0.875 rem. The presenter view sets these sizes:
PRESENTER_SIZES = {"tick": 16, "title": 18, "legend": 16, "text": 16, "colorbar": 14}
_PLOTLY_FONT_SIZE = 12   # plotly.js's own default, for a figure that sets none
_CARTESIAN = {"scatter", "scattergl", "bar", "heatmap", "histogram", "box", "violin", "contour", "image",
              "candlestick", "ohlc", "waterfall", "funnel", "histogram2d", "histogram2dcontour"}
_SCALED = {"heatmap", "contour", "histogram2d", "histogram2dcontour"}      # the traces with a colour bar


def presenter_spec(spec: dict, scale: float = PRESENTER_SCALE) -> dict:
    """A copy of a figure's dict (`fig.to_dict()`, or a spec) for the presenter view:
    - every font size the figure sets (its layout's and template's, each axis's ticks and titles, annotations,
      legends, colour bars, hover labels, traces' text, the frames' too) and the layout's margins x `scale`
      (a figure of a set height grows by what its top and bottom margins grew: the plot area keeps its size);
    - every size it leaves to the chart theme set (`PRESENTER_SIZES`): the ticks and titles of every axis
      and colour bar, the legend, annotations and the figure's base font.
    Marker and line sizes, data and everything else are as they were; `spec` itself is not changed (its data
    arrays are shared, not copied)."""
    def walk(node, in_font: bool):
        if isinstance(node, dict):
            return {k: (_scaled(v, scale) if in_font and k == "size" else walk(v, k.endswith("font")))
                    for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v, False) for v in node]
        return node

    out = walk(spec, False)
    layout = out.setdefault("layout", {})
    _size(layout, "font", PRESENTER_SIZES["text"])
    _size(layout, "legend", PRESENTER_SIZES["legend"], "font")
    _size(layout, "hoverlabel", PRESENTER_SIZES["legend"], "font")
    axes = {k for k in layout if re.fullmatch(r"[xy]axis\d*", k)}
    for tr in out.get("data", []):
        if tr.get("type", "scatter") in _CARTESIAN:
            axes |= {"xaxis" + tr.get("xaxis", "x")[1:], "yaxis" + tr.get("yaxis", "y")[1:]}
        if isinstance(tr.get("colorbar"), dict) or tr.get("type") in _SCALED:
            _colorbar(tr.setdefault("colorbar", {}))
        if isinstance(tr.get("marker"), dict) and isinstance(tr["marker"].get("colorbar"), dict):
            _colorbar(tr["marker"]["colorbar"])
    for k in axes:
        ax = layout.setdefault(k, {})
        _size(ax, "tickfont", PRESENTER_SIZES["tick"])
        _size(ax, "title", PRESENTER_SIZES["title"], "font")
    for k, v in layout.items():
        if k.startswith("coloraxis") and isinstance(v, dict):
            _colorbar(v.setdefault("colorbar", {}))
    for a in layout.get("annotations", []):
        _size(a, "font", PRESENTER_SIZES["legend"])
    margin = layout.get("margin")
    if isinstance(margin, dict):
        layout["margin"] = {k: (_scaled(v, scale) if k in ("l", "r", "t", "b") else v) for k, v in margin.items()}
        grown = sum(layout["margin"].get(k, 0) - margin.get(k, 0) for k in ("t", "b")
                    if isinstance(margin.get(k), (int, float)))
        if isinstance(layout.get("height"), (int, float)):     # the plot area keeps its height: the figure grows
            layout["height"] = round(layout["height"] + grown)
    return out


def _colorbar(cb: dict) -> None:
    _size(cb, "tickfont", PRESENTER_SIZES["colorbar"])      # a short bar beside one panel: 3 labels, no more
    _size(cb, "title", PRESENTER_SIZES["colorbar"], "font")


def _size(node: dict, key: str, size: float, sub: str | None = None) -> None:
    """node[key](.sub).size = size unless set (the path made as needed; a title given as text kept)."""
    d = node.get(key)
    if not isinstance(d, dict):
        d = node[key] = {} if d is None else ({"text": d} if isinstance(d, str) else d)
        if not isinstance(d, dict):
            return
    if sub is not None:
        d = d.setdefault(sub, {})
        if not isinstance(d, dict):
            return
    d.setdefault("size", size)


def _scaled(v, scale: float):
    if isinstance(v, bool):
        return v
    if isinstance(v, (int, float)):
        return round(v * scale, 1)
    if isinstance(v, list) and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in v):
        return [round(x * scale, 1) for x in v]
    return v                                    # a typed array (per-point sizes): left as drawn
