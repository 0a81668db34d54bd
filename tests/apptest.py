"""What the AppTest files share: open a page of the multipage app, read a Plotly chart as the browser gets it."""
from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import numpy as np
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]
HOME = str(ROOT / "app.py")


def open_page(page: str | None = None, timeout: float = 60, **query) -> AppTest:
    """Run `page` ("pages/…py", or None for the home page) of the app whose entry point is app.py, with URL
    query parameters."""
    at = AppTest.from_file(HOME, default_timeout=timeout)
    if page is not None:
        at.switch_page(page)
    for k, v in query.items():
        at.query_params[k] = v
    return at.run()


def chart(at, key_part: str) -> dict:
    """The one Plotly chart whose widget key contains key_part, as the spec the browser receives."""
    hits = [json.loads(el.proto.spec) for el in at.get("plotly_chart") if key_part in el.proto.id]
    assert len(hits) == 1, f"expected one chart with key {key_part!r}, got {[el.proto.id for el in at.get('plotly_chart')]}"
    return hits[0]


def plotly_array(v) -> np.ndarray:
    """A Plotly array as sent to the browser: a typed array {'dtype', 'bdata', 'shape'} or a list."""
    if isinstance(v, dict) and "bdata" in v:
        a = np.frombuffer(base64.b64decode(v["bdata"]), dtype=np.dtype(v["dtype"]))
        return a.reshape([int(s) for s in str(v["shape"]).split(",")]) if "shape" in v else a
    return np.asarray(v)


def markdown_tables(at) -> list[list[list[str]]]:
    """Every Markdown table the page wrote (st.markdown), as rows of cells with character references
    decoded; the header row first, the alignment row left out."""
    import html
    tables = []
    for md in at.markdown:
        lines = [ln for ln in md.value.splitlines() if ln.startswith("|")]
        if len(lines) >= 2 and set(lines[1].replace("|", "").replace(" ", "")) <= set(":-"):
            tables.append([[html.unescape(c.strip()) for c in ln.strip().strip("|").split("|")]
                           for i, ln in enumerate(lines) if i != 1])
    return tables


def markdown_table(at, first_header: str) -> list[list[str]]:
    """The one Markdown table whose first column is headed first_header."""
    hits = [tab for tab in markdown_tables(at) if tab[0][0] == first_header]
    assert len(hits) == 1, f"expected one table headed {first_header!r}, got {[tab[0] for tab in markdown_tables(at)]}"
    return hits[0]


def table_numbers(source: str) -> tuple[list[str], list[int], list[str]]:
    """(header, unit numbers, values row by row) drawn in a values-table picture (timeline.table_source)."""
    svg = base64.b64decode(source.split(",", 1)[1]).decode()
    head = [re.sub(r"<[^>]+>", "_", m).rstrip("_").replace("__", "_") for m in re.findall(r"font-weight='bold'[^>]*>(.*?)</text>", svg)]
    units = [int(u) for u in re.findall(r"fill='#666'>(\d+)</tspan>", svg)]
    return head, units, re.findall(r"<tspan x='\d+'>(-?\d+\.\d{4})</tspan>", svg)
