"""A figure as a file a student can keep: one standalone HTML page that works offline (plotly.js inside it, no
network request), interactive as on the page (zoom, hover, the slider of a timeline, the toolbar's PNG button)."""
from __future__ import annotations


def figure_html(fig, title: str | None = None) -> bytes:
    """`fig` (a plotly Figure) as a complete UTF-8 HTML document with plotly.js embedded (about 5 MB)."""
    html = fig.to_html(include_plotlyjs=True, full_html=True, config={"displaylogo": False})
    if title:
        import html as _html
        html = html.replace("<head>", f"<head><title>{_html.escape(title)}</title>", 1)
    return html.encode("utf-8")
