"""Figures: pure builders that return `plotly.graph_objects.Figure` (no torch at import time).

- `style`: the one style (font, cell names and colours, the template, the time axis and its cursor).
- `timeline`: the Hello and Step pages' states-through-time figure and the loss curve.
- `step`: the Step page's unrolled picture, saturation, PCA trajectory and comparison.
- `gradients`: the Vanishing Gradients page's curves, heatmaps, toy and sweep.
- `lab`: the Sequence Tasks lab's curves, per-step inspection and forecasts.
"""
