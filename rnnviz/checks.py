"""Argument checks shared by the library: every bound a user can reach raises ValueError with a clear message."""
from __future__ import annotations

import math

import numpy as np


def is_int(v) -> bool:
    """An integer (Python or NumPy), not a bool."""
    return isinstance(v, (int, np.integer)) and not isinstance(v, bool)


def is_num(v) -> bool:
    """A real number (Python or NumPy), not a bool."""
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)


def check_int(name: str, value, lo: int, hi: int) -> None:
    if not is_int(value):
        raise ValueError(f"{name} must be an integer, not {value!r}")
    if not lo <= value <= hi:
        raise ValueError(f"{name} must be between {lo} and {hi}, not {value}")


def check_num(name: str, value, lo: float, hi: float, lo_open: bool = True) -> None:
    if not is_num(value) or not math.isfinite(value) or not (lo < value if lo_open else lo <= value) \
            or not value <= hi:
        raise ValueError(f"{name} must be in {'(' if lo_open else '['}{lo:g}, {hi:g}], not {value!r}")
