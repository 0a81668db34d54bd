"""The cell, animated, with its numbers: a diagram of one RNN / LSTM / GRU cell (x_t and h_{t-1} in, every gate,
the candidate, the LSTM's cell-state "conveyor belt", h_t out) whose boxes are coloured and labelled by the real
values of the chosen units at step t, one Plotly frame per step, so ▶ and the slider play through time in the
browser without a server round trip. Hovering a box shows its equation with the numbers of each chosen unit.

Pure: `cell_figure(steps, cell, chars, units, lang)` takes `rnnviz.tracing.analysis.step_terms` of every step.
"""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from ..data.text import show_char
from ..i18n import t as tr_
from .style import STYLE, TEMPLATE

MAX_CELL_UNITS = 3          # units whose numbers a box writes (more would not fit a box)
GATE_SCALE = "Blues"
SIGNED_SCALE = STYLE["signed"]

# node: (x, y, symbol drawn in the box, term of step_terms, kind: "gate" (0..1) | "signed" (-1..1) | "state")
NODES = {
    "lstm": {
        "c_prev": (0.6, 6.0, "c<sub>t−1</sub>", "c_prev", "state"),
        "fc": (3.4, 6.0, "×", "f*c_prev", "state"),
        "c": (6.6, 6.0, "+", "c", "state"),
        "c_out": (11.4, 6.0, "c<sub>t</sub>", "c", "state"),
        "f": (3.4, 3.0, "σ f", "f", "gate"),
        "i": (5.2, 3.0, "σ i", "i", "gate"),
        "g": (6.9, 3.0, "tanh g", "g", "signed"),
        "o": (8.6, 3.0, "σ o", "o", "gate"),
        "ig": (6.0, 4.5, "×", "i*g", "signed"),
        "tanh_c": (9.9, 4.5, "tanh", "tanh_c", "signed"),
        "h": (9.9, 3.0, "×", "h", "signed"),
        "h_prev": (0.6, 1.4, "h<sub>t−1</sub>", "h_prev", "signed"),
        "x": (2.0, 0.2, "x<sub>t</sub>", None, "input"),
        "bus": (2.4, 1.4, "", None, "junction"),
        "h_out": (11.4, 1.4, "h<sub>t</sub>", "h", "signed"),
    },
    "gru": {
        "h_prev": (0.6, 6.0, "h<sub>t−1</sub>", "h_prev", "signed"),
        "zh": (5.2, 6.0, "×", "z*h_prev", "signed"),
        "sum": (9.0, 6.0, "+", "h", "signed"),
        "h_out": (11.4, 6.0, "h<sub>t</sub>", "h", "signed"),
        "r": (3.2, 3.0, "σ r", "r", "gate"),
        "z": (5.2, 3.0, "σ z", "z", "gate"),
        "one_minus_z": (7.2, 4.5, "1−z", "1-z", "gate"),
        "n": (7.2, 3.0, "tanh n", "n", "signed"),
        "zn": (9.0, 4.5, "×", "(1-z)*n", "signed"),
        "x": (2.0, 0.2, "x<sub>t</sub>", None, "input"),
        "h_prev_in": (0.6, 1.4, "h<sub>t−1</sub>", "h_prev", "signed"),
        "bus": (2.4, 1.4, "", None, "junction"),
    },
    "rnn": {
        "h_prev": (0.6, 3.0, "h<sub>t−1</sub>", "h_prev", "signed"),
        "x": (2.6, 0.6, "x<sub>t</sub>", None, "input"),
        "a": (5.2, 3.0, "Σ", "a", "state"),
        "h": (8.0, 3.0, "tanh", "h", "signed"),
        "h_out": (11.0, 3.0, "h<sub>t</sub>", "h", "signed"),
    },
}

EDGES = {
    "lstm": [("c_prev", "fc"), ("fc", "c"), ("c", "c_out"), ("f", "fc"), ("i", "ig"), ("g", "ig"), ("ig", "c"),
             ("c", "tanh_c"), ("tanh_c", "h"), ("o", "h"), ("h", "h_out"),
             ("h_prev", "bus"), ("x", "bus"), ("bus", "f"), ("bus", "i"), ("bus", "g"), ("bus", "o")],
    "gru": [("h_prev", "zh"), ("zh", "sum"), ("sum", "h_out"), ("z", "zh"), ("z", "one_minus_z"),
            ("one_minus_z", "zn"), ("n", "zn"), ("zn", "sum"), ("r", "n"),
            ("h_prev_in", "bus"), ("x", "bus"), ("bus", "r"), ("bus", "z"), ("bus", "n")],
    "rnn": [("h_prev", "a"), ("x", "a"), ("a", "h"), ("h", "h_out")],
}

# the equation each box computes (hover), with {u} filled per unit by its numbers
EQUATIONS = {
    "lstm": {"f": "f = σ({a_f}) = {f}", "i": "i = σ({a_i}) = {i}", "g": "g = tanh({a_g}) = {g}", "o": "o = σ({a_o}) = {o}",
             "fc": "f·c<sub>t−1</sub> = {f} × {c_prev} = {f*c_prev}", "ig": "i·g = {i} × {g} = {i*g}",
             "c": "c<sub>t</sub> = f·c<sub>t−1</sub> + i·g = {f*c_prev} + {i*g} = {c}", "c_out": "c<sub>t</sub> = {c}",
             "c_prev": "c<sub>t−1</sub> = {c_prev}", "tanh_c": "tanh(c<sub>t</sub>) = tanh({c}) = {tanh_c}",
             "h": "h<sub>t</sub> = o·tanh(c<sub>t</sub>) = {o} × {tanh_c} = {h}", "h_out": "h<sub>t</sub> = {h}",
             "h_prev": "h<sub>t−1</sub> = {h_prev}"},
    "gru": {"r": "r = σ({a_r}) = {r}", "z": "z = σ({a_z}) = {z}", "one_minus_z": "1 − z = {1-z}",
            "n": "n = tanh({Wn_x} + {r} × {Wn_h}) = tanh({a_n}) = {n}", "zh": "z·h<sub>t−1</sub> = {z} × {h_prev} = {z*h_prev}",
            "zn": "(1−z)·n = {1-z} × {n} = {(1-z)*n}", "sum": "h<sub>t</sub> = (1−z)·n + z·h<sub>t−1</sub> = {(1-z)*n} + {z*h_prev} = {h}",
            "h_out": "h<sub>t</sub> = {h}", "h_prev": "h<sub>t−1</sub> = {h_prev}", "h_prev_in": "h<sub>t−1</sub> = {h_prev}"},
    "rnn": {"a": "W<sub>xh</sub>x + W<sub>hh</sub>h<sub>t−1</sub> + b = {Wx} + {Wh} + {b} = {a}",
            "h": "h<sub>t</sub> = tanh({a}) = {h}", "h_out": "h<sub>t</sub> = {h}", "h_prev": "h<sub>t−1</sub> = {h_prev}"},
}


def _colour(kind: str, v: float) -> float:
    """A node's colour value on its scale: gates 0..1 as they are; signed values squashed into -1..1."""
    return float(v) if kind == "gate" else float(np.tanh(v)) if kind == "state" else float(v)


def cell_figure(steps: list[dict], cell: str, chars: list[str], units: list[int], lang: str = "en",
                start: int = 1, nonlinearity: str = "tanh") -> go.Figure:
    """The cell diagram for every step (see the module). steps: `step_terms` of steps 1..T; units: the units whose
    numbers are written (at most MAX_CELL_UNITS; the box colour is their mean); nonlinearity: the RNN's."""
    if cell not in NODES:
        raise ValueError(f"no diagram for cell {cell!r}")
    T = len(steps)
    if T < 1 or len(chars) != T:
        raise ValueError(f"{len(chars)} characters for {T} steps")
    if not 1 <= start <= T:
        raise ValueError(f"time step must be between 1 and {T}, not {start}")
    units = list(dict.fromkeys(int(u) for u in units))[:MAX_CELL_UNITS]
    H = len(steps[0]["h"])
    if not units or any(not 0 <= u < H for u in units):
        raise ValueError(f"units must be between 0 and {H - 1}, not {units}")
    nodes, eqs = dict(NODES[cell]), dict(EQUATIONS[cell])
    if cell == "rnn" and nonlinearity == "relu":
        nodes["h"] = nodes["h"][:2] + ("relu",) + nodes["h"][3:]
        eqs["h"] = "h<sub>t</sub> = relu({a}) = {h}"
    names = list(nodes)
    xs = [nodes[n][0] for n in names]
    ys = [nodes[n][1] for n in names]

    gate_nodes = [n for n in names if nodes[n][4] == "gate"]
    value_nodes = [n for n in names if nodes[n][4] in ("signed", "state")]
    fixed_nodes = [n for n in names if nodes[n][4] in ("input", "junction")]

    def values(t: int) -> tuple[list, list, list, list, list]:
        """At step t: the gate boxes' colours and hovers, the other boxes' colours and hovers, every node's numbers."""
        terms = steps[t - 1]
        colour, hover, text = {}, {}, {}
        for n in names:
            term, kind = nodes[n][3], nodes[n][4]
            if kind == "junction":
                text[n] = ""
                continue
            if term is None:                                      # the input: the character read
                text[n] = f"<b>{show_char(chars[t - 1])}</b>"
                continue
            vals = np.asarray(terms[term], dtype=np.float64)[units]
            colour[n] = _colour(kind, float(vals.mean()))
            text[n] = " · ".join(f"{v:.2f}" if kind == "gate" else f"{v:+.2f}" for v in vals)
            lines = []
            for u in units:
                fill = {key: f"{float(np.asarray(val)[u]):.3f}" for key, val in terms.items()
                        if key not in ("x", "logits", "probs")}
                lines.append(f"{tr_('fig.unit', lang)} {u}: " + eqs.get(n, "").format(**fill))
            hover[n] = "<br>".join(lines)
        return ([colour[n] for n in gate_nodes], [hover[n] for n in gate_nodes],
                [colour[n] for n in value_nodes], [hover[n] for n in value_nodes], [text[n] for n in names])

    def at(which: list[str], k: int) -> list[float]:
        return [nodes[n][k] for n in which]

    gc0, gh0, vc0, vh0, text0 = values(start)
    box = dict(symbol="square", size=46, line=dict(color="#444", width=1.5))
    fig = go.Figure()
    # 0: gate boxes (Blues, 0..1); 1: the other boxes (RdBu, -1..1); 2: inputs and the bus (fixed);
    # 3: the numbers under each box; 4: the box names
    fig.add_trace(go.Scatter(x=at(gate_nodes, 0), y=at(gate_nodes, 1), mode="markers", hovertext=gh0, hoverinfo="text",
                             showlegend=False, marker=dict(box, color=gc0, colorscale=GATE_SCALE, cmin=0, cmax=1,
                                                           colorbar=dict(title="σ", x=1.0, len=0.45, y=0.25,
                                                                         thickness=12))))
    fig.add_trace(go.Scatter(x=at(value_nodes, 0), y=at(value_nodes, 1), mode="markers", hovertext=vh0, hoverinfo="text",
                             showlegend=False, marker=dict(box, color=vc0, colorscale=SIGNED_SCALE, cmin=-1, cmax=1,
                                                           colorbar=dict(title="tanh", x=1.0, len=0.45, y=0.75,
                                                                         thickness=12))))
    fig.add_trace(go.Scatter(x=at(fixed_nodes, 0), y=at(fixed_nodes, 1), mode="markers", hoverinfo="skip",
                             showlegend=False, marker=dict(
                                 symbol=["square" if nodes[n][4] == "input" else "circle" for n in fixed_nodes],
                                 size=[40 if nodes[n][4] == "input" else 10 for n in fixed_nodes],
                                 color=["#fff3d6" if nodes[n][4] == "input" else "#9a9a9a" for n in fixed_nodes],
                                 line=dict(color="#444", width=1.5))))
    fig.add_trace(go.Scatter(x=xs, y=[y - 0.62 for y in ys], mode="text", text=text0, hoverinfo="skip",
                             textfont=dict(size=13 if len(units) < 3 else 11, color="#222"), showlegend=False))
    fig.add_trace(go.Scatter(x=xs, y=ys, mode="text", text=[nodes[n][2] for n in names], hoverinfo="skip",
                             textfont=dict(size=14, color="#111"), showlegend=False))
    for a, b in EDGES[cell]:
        (x0, y0), (x1, y1) = nodes[a][:2], nodes[b][:2]
        fig.add_annotation(x=x1, y=y1, ax=x0, ay=y0, xref="x", yref="y", axref="x", ayref="y", text="",
                           showarrow=True, arrowhead=3 if nodes[b][4] != "junction" else 0, arrowsize=1.2,
                           arrowwidth=1.6, arrowcolor="#9a9a9a", standoff=6 if nodes[b][4] == "junction" else 24,
                           startstandoff=6 if nodes[a][4] == "junction" else 24)
    if cell == "lstm":                                          # the conveyor belt: the cell state's own path
        fig.add_shape(type="line", x0=0.6, x1=11.4, y0=6.0, y1=6.0, line=dict(color="rgba(255,170,0,0.45)", width=14),
                      layer="below")

    def caption(t: int) -> str:
        return tr_("cell.fig.caption", lang, t=t, c=show_char(chars[t - 1]), units=", ".join(map(str, units)))

    def frame_data(t: int) -> list:
        gc, gh, vc, vh, text = values(t)
        return [dict(marker=dict(color=gc), hovertext=gh), dict(marker=dict(color=vc), hovertext=vh), dict(text=text)]

    fig.frames = [go.Frame(name=str(t), data=frame_data(t), traces=[0, 1, 3], layout=dict(title=dict(text=caption(t))),
                           _validate=False) for t in range(1, T + 1)]
    play = dict(mode="immediate", frame=dict(duration=800, redraw=True), transition=dict(duration=0), fromcurrent=True)
    fig.update_xaxes(visible=False, range=[-0.4, 12.4], fixedrange=True)
    fig.update_yaxes(visible=False, range=[-0.9, 6.9], fixedrange=True)
    fig.update_layout(
        template=TEMPLATE, height=560, margin=dict(l=10, r=10, t=70, b=10), plot_bgcolor="white",
        title=dict(text=caption(start), x=0, font=dict(size=17)),
        updatemenus=[dict(type="buttons", direction="left", x=0, xanchor="left", y=-0.02, yanchor="top",
                          buttons=[dict(label="▶ " + tr_("step.play", lang), method="animate", args=[None, play]),
                                   dict(label="❚❚ " + tr_("step.pause", lang), method="animate",
                                        args=[[None], dict(mode="immediate", frame=dict(duration=0, redraw=False))])])],
        sliders=[dict(active=start - 1, x=0.2, len=0.8, y=-0.02, yanchor="top",
                      currentvalue=dict(prefix=tr_("hello.cursor", lang) + ": ", font=dict(size=14)),
                      steps=[dict(method="animate", label=f"{t} · {show_char(chars[t - 1])}",
                                  args=[[str(t)], dict(mode="immediate", frame=dict(duration=0, redraw=True),
                                                       transition=dict(duration=0))]) for t in range(1, T + 1)])])
    return fig
