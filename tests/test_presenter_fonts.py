"""The presenter view's figures: every font size (and the margins) x PRESENTER_SCALE, nothing else changed
(`rnnviz.figures.style.presenter_spec`), drawn by `ui.plotly_chart` on every page when ?present=1."""
from __future__ import annotations

import ast
import copy
import json
from pathlib import Path

import plotly.graph_objects as go
import pytest
from plotly.subplots import make_subplots

from apptest import open_page
from rnnviz.figures.style import PRESENTER_SCALE, PRESENTER_SIZES, TEMPLATE, presenter_spec

ROOT = Path(__file__).resolve().parents[1]


def _font_sizes(node, in_font=False, path="") -> dict:
    """{path: size} of every font size in a spec."""
    out = {}
    if isinstance(node, dict):
        for k, v in node.items():
            if in_font and k == "size":
                out[f"{path}.{k}"] = v
            else:
                out.update(_font_sizes(v, k.endswith("font"), f"{path}.{k}"))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out.update(_font_sizes(v, False, f"{path}[{i}]"))
    return out


def _figure() -> go.Figure:
    fig = make_subplots(rows=1, cols=2, subplot_titles=("a", "b"))
    fig.add_trace(go.Scatter(x=[1, 2, 3], y=[1, 3, 2], mode="markers+text", text=["x", "y", "z"],
                             marker=dict(size=9), textfont=dict(size=[10, 11, 12])), 1, 1)
    fig.add_trace(go.Heatmap(z=[[1, 2], [3, 4]], colorbar=dict(title=dict(text="v", font=dict(size=13)),
                                                               tickfont=dict(size=11))), 1, 2)
    fig.add_annotation(x=1, y=1, text="note", font=dict(size=14, color="gray"))
    fig.update_layout(template=TEMPLATE, height=300, margin=dict(l=40, r=20, t=30, b=40, pad=2),
                      legend=dict(font=dict(size=12)), hoverlabel=dict(font=dict(size=13)),
                      xaxis=dict(tickfont=dict(size=12), title=dict(text="t", font=dict(size=14))))
    fig.frames = [go.Frame(name="1", layout=dict(annotations=[dict(text="f", font=dict(size=16))]))]
    return fig


def test_every_font_size_and_margin_is_scaled_and_nothing_else():
    spec = _figure().to_dict()
    before = copy.deepcopy(spec)
    big = presenter_spec(spec)
    assert spec == before                                    # the plain spec is left as it was
    sizes, big_sizes = _font_sizes(spec), _font_sizes(big)
    assert len(sizes) >= 10                                  # template, ticks, titles, colour bar, legend, frames
    for path, v in sizes.items():
        want = [round(x * PRESENTER_SCALE, 1) for x in v] if isinstance(v, list) else round(v * PRESENTER_SCALE, 1)
        assert big_sizes[path] == want, path
    assert big["layout"]["template"]["layout"]["font"]["size"] == round(15 * PRESENTER_SCALE, 1)
    assert big["layout"]["font"]["size"] == PRESENTER_SIZES["text"]          # the figure's base size, set
    for ax in ("xaxis", "xaxis2", "yaxis", "yaxis2"):                         # every axis: as set x1.25, or set
        want = round(12 * PRESENTER_SCALE, 1) if ax == "xaxis" else PRESENTER_SIZES["tick"]
        assert big["layout"][ax]["tickfont"]["size"] == want, ax
        want = round(14 * PRESENTER_SCALE, 1) if ax == "xaxis" else PRESENTER_SIZES["title"]
        assert big["layout"][ax]["title"]["font"]["size"] == want, ax
    assert big["layout"]["legend"]["font"]["size"] == round(12 * PRESENTER_SCALE, 1)
    assert big["data"][1]["colorbar"]["tickfont"]["size"] == round(11 * PRESENTER_SCALE, 1)
    assert big["data"][1]["colorbar"]["title"]["font"]["size"] == round(13 * PRESENTER_SCALE, 1)
    assert big["layout"]["margin"] == {"l": 50.0, "r": 25.0, "t": 37.5, "b": 50.0, "pad": 2}
    assert big["layout"]["height"] == round(300 + 7.5 + 10)  # the plot area keeps its height
    assert big["data"][0]["marker"] == spec["data"][0]["marker"]          # marker sizes are no font
    assert big["data"][1]["z"] == spec["data"][1]["z"]
    # with the font sizes and margins put back, the specs are the same
    undone = json.loads(json.dumps(big))
    undone["layout"]["margin"], undone["layout"]["height"] = spec["layout"]["margin"], spec["layout"]["height"]
    assert _drop_empty(_strip_sizes(undone)) == _drop_empty(_strip_sizes(spec))


def _drop_empty(node):
    if isinstance(node, dict):
        kept = {k: _drop_empty(v) for k, v in node.items()}
        return {k: v for k, v in kept.items() if v != {}}
    if isinstance(node, list):
        return [_drop_empty(v) for v in node]
    return node


def _strip_sizes(node, in_font=False):
    if isinstance(node, dict):
        return {k: _strip_sizes(v, k.endswith("font")) for k, v in node.items() if not (in_font and k == "size")}
    if isinstance(node, list):
        return [_strip_sizes(v) for v in node]
    return node


def test_a_figure_without_sizes_gets_the_presenter_sizes():
    big = presenter_spec(go.Figure([go.Bar(y=[1, 2]), go.Scatter(y=[1, 2], xaxis="x3")]).to_dict())
    assert big["layout"]["font"]["size"] == PRESENTER_SIZES["text"]
    for ax in ("xaxis", "yaxis", "xaxis3"):                  # the axes the traces are drawn on
        assert big["layout"][ax]["tickfont"]["size"] == PRESENTER_SIZES["tick"]
        assert big["layout"][ax]["title"]["font"]["size"] == PRESENTER_SIZES["title"]
    assert presenter_spec({"data": []})["layout"]["font"]["size"] == PRESENTER_SIZES["text"]
    heat = presenter_spec(go.Figure(go.Heatmap(z=[[1]])).to_dict())
    assert heat["data"][0]["colorbar"]["tickfont"]["size"] == PRESENTER_SIZES["colorbar"]


def test_typed_array_sizes_are_left_alone():
    spec = {"data": [{"type": "scatter", "textfont": {"size": {"dtype": "f4", "bdata": "AACAPw=="}}}]}
    assert presenter_spec(spec)["data"][0]["textfont"]["size"] == spec["data"][0]["textfont"]["size"]


def test_no_page_draws_a_figure_but_through_ui_plotly_chart():
    """Every figure of every page is drawn by ui.plotly_chart (so the presenter view enlarges all of them)."""
    for p in [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py")), ROOT / "lecture_ui.py"]:
        for n in ast.walk(ast.parse(p.read_text())):
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "plotly_chart":
                assert isinstance(n.func.value, ast.Name) and n.func.value.id == "ui", f"{p.name}:{n.lineno}"


def _charts(at) -> dict:
    return {c.proto.id: json.loads(c.proto.spec) for c in at.get("plotly_chart")}


@pytest.mark.parametrize("page,params", [
    ("pages/1_Hello_Playground.py", {}),
    ("pages/2_Step_Through.py", {"tab": "states"}),
    ("pages/3_Vanishing_Gradients.py", {}),
])
def test_the_presenter_view_draws_every_figure_larger(page, params):
    plain = open_page(page, **params)
    big = open_page(page, present="1", **params)
    assert not plain.exception and not big.exception
    a, b = plain.get("plotly_chart"), big.get("plotly_chart")
    assert a and len(a) == len(b)
    for x, y in zip(a, b):
        sx, sy = json.loads(x.proto.spec), json.loads(y.proto.spec)
        assert sy == presenter_spec(sx)
        assert sy["layout"]["font"]["size"] >= PRESENTER_SIZES["text"]
