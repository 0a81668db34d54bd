"""Time series: generated ones, a column of an uploaded CSV, splits, normalised windows and the naive forecast."""
from __future__ import annotations

import csv
import io
import math
import re
from dataclasses import dataclass

import numpy as np
import torch

from .base import (MAX_CSV_BYTES, MAX_ELEMENTS, MAX_SERIES_LEN, MAX_WINDOW_T, MIN_SERIES_LEN, DataError, _fraction,
                   _int, _positive, _seed)
from .corpora import _decode_upload

# ---- 4. time series --------------------------------------------------------------------------------

def _series_args(n, seed) -> tuple[int, np.random.Generator]:
    return _int("n", n, MIN_SERIES_LEN, MAX_SERIES_LEN), np.random.default_rng(_seed(seed))


def noisy_sine(n: int = 1000, seed: int = 0, period: float = 40.0, noise: float = 0.1) -> np.ndarray:
    """(n,) float32: sin(2π t / period + phase) + noise · N(0, 1), phase random per seed."""
    n, rng = _series_args(n, seed)
    period = _positive("period", period, 1e6)
    noise = float(noise) if noise == 0 else _positive("noise", noise, 100.0)
    t = np.arange(n)
    phase = rng.uniform(0, 2 * np.pi)
    return (np.sin(2 * np.pi * t / period + phase) + noise * rng.standard_normal(n)).astype(np.float32)


def trend_seasonal(n: int = 1000, seed: int = 0, period: int = 12) -> np.ndarray:
    """(n,) float32: level + slope·t + a seasonal cycle of `period` steps (a main and a second harmonic)
    + noise; level, direction and amplitude drawn per seed. Rises or falls by 3-6 times the seasonal
    amplitude over the series."""
    n, rng = _series_args(n, seed)
    period = _int("period", period, 2, 10_000)
    t = np.arange(n)
    level = rng.uniform(5, 15)
    amp = rng.uniform(0.8, 1.5)
    slope = rng.choice((-1.0, 1.0)) * rng.uniform(3, 6) * amp / n
    season = amp * np.sin(2 * np.pi * t / period) + 0.4 * amp * np.sin(4 * np.pi * t / period + 1.0)
    return (level + slope * t + season + 0.2 * amp * rng.standard_normal(n)).astype(np.float32)


def random_walk_stock(n: int = 1000, seed: int = 0, start: float = 100.0, drift: float = 0.0003,
                      volatility: float = 0.015) -> np.ndarray:
    """(n,) float32 "stock prices": a geometric random walk, price[0] = start, each step multiplied by
    exp(drift + volatility · N(0, 1)); always positive. Its best next-value predictor is (almost) the
    last value, which is the lesson: a model should not beat the naive baseline by much."""
    n, rng = _series_args(n, seed)
    start = _positive("start", start, 1e9)
    volatility = _positive("volatility", volatility, 1.0)
    if isinstance(drift, bool) or not isinstance(drift, (int, float)) or not -1 <= drift <= 1:
        raise DataError(code="fraction", message=f"drift must be a number between -1 and 1, not {drift!r}", name="drift",
                        value=repr(drift), lo=-1, hi=1)
    steps = drift + volatility * rng.standard_normal(n - 1)
    return (start * np.exp(np.concatenate([[0.0], np.cumsum(steps)]))).astype(np.float32)


SERIES = {"noisy_sine": noisy_sine, "trend_seasonal": trend_seasonal, "random_walk_stock": random_walk_stock}


def _read_csv(data, max_bytes: int, max_rows: int,
              what: str = "CSV file") -> tuple[list[str], list[tuple[int, list[str]]], int, str]:
    """Uploaded CSV -> (header, [(line number, cells)] for the first max_rows rows, number of rows,
    delimiter), blank lines skipped. The delimiter is the one of , ; tab | that occurs most in the first
    line (comma when none does)."""
    text = _decode_upload(data, max_bytes, what)
    first = text.split("\n", 1)[0]
    delim = max(",;\t|", key=first.count) if any(d in first for d in ",;\t|") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delim)
    rows, n = [], 0
    try:
        header = None
        for cells in reader:
            if not cells or all(not c.strip() for c in cells):
                continue
            if header is None:
                header = [c.strip() for c in cells]
                continue
            n += 1
            if n <= max_rows:   # count the rest, keep no more than needed
                rows.append((reader.line_num, cells))
    except csv.Error as e:
        raise DataError(code="csv", message=f"the {what} cannot be read as CSV (line {reader.line_num}: {e})",
                        line=reader.line_num, reason=str(e)) from e
    if header is None:
        raise DataError(code="empty", message=f"the {what} holds no rows")
    return header, rows, n, delim


def check_row_count(n_rows: int, n_kept: int, max_rows: int, min_rows: int) -> None:
    """DataError unless a CSV file's `n_rows` rows are at most `max_rows` and the `n_kept` usable ones at least `min_rows`."""
    if n_rows > max_rows:
        raise DataError(code="too_many_rows", message=f"the CSV file has {n_rows:,} rows; the limit is {max_rows:,}",
                        n=n_rows, limit=max_rows)
    if n_kept < min_rows:
        raise DataError(code="too_few_rows", message=f"the CSV file has {n_kept} rows; at least {min_rows} are needed",
                        n=n_kept, need=min_rows)


def csv_columns(data, max_bytes: int = MAX_CSV_BYTES) -> list[str]:
    """The header of an uploaded CSV file (for a column picker)."""
    return _read_csv(data, max_bytes, 0)[0]


def _column_index(header: list[str], column, name: str) -> int:
    if isinstance(column, str):
        if column in header:
            return header.index(column)
        folded = [h.strip().casefold() for h in header]
        if column.strip().casefold() in folded:
            return folded.index(column.strip().casefold())
    elif isinstance(column, (int, np.integer)) and not isinstance(column, bool):
        if 0 <= column < len(header):
            return int(column)
    else:
        raise DataError(code="type", message=f"{name} must be a column name or a 0-based index, not {column!r}",
                        name=name, expected="column")
    cols = ", ".join(header)
    raise DataError(code="missing_column", message=f"the CSV file has no column {column!r}; its columns are: {cols}",
                    column=str(column), columns=cols)


_DECIMAL_COMMA = re.compile(r"^[+-]?\d+,\d+$")


def parse_csv_column(data, column, max_bytes: int = MAX_CSV_BYTES, max_rows: int = MAX_SERIES_LEN,
                     min_rows: int = MIN_SERIES_LEN) -> np.ndarray:
    """One numeric column of an uploaded CSV file (first line: the header) -> (n,) float32, in file
    order. `column`: a header name (exact, else ignoring case and spaces) or a 0-based index. The
    delimiter is guessed from the header line (, ; tab |); with ";" a decimal comma ("1,5") is read.
    Raises DataError: "too_large", "empty", "encoding", "binary", "csv", "missing_column", "short_row"
    (a row without that column), "non_numeric" (an empty cell, text, nan or inf; the message names the
    line), "too_few_rows" (under min_rows), "too_many_rows" (over max_rows)."""
    max_rows = _int("max_rows", max_rows, 1, MAX_SERIES_LEN)
    min_rows = _int("min_rows", min_rows, 1, max_rows)
    header, rows, n_rows, delim = _read_csv(data, max_bytes, max_rows)
    j = _column_index(header, column, "column")
    name = header[j]
    check_row_count(n_rows, len(rows), max_rows, min_rows)
    out = np.empty(len(rows), dtype=np.float64)
    for i, (line, cells) in enumerate(rows):
        if j >= len(cells):
            raise DataError(code="short_row", message=f"line {line} has no value in column {name!r}", line=line, column=name)
        cell = cells[j].strip()
        if delim == ";" and _DECIMAL_COMMA.match(cell):
            cell = cell.replace(",", ".")
        try:
            value = float(cell)
        except ValueError:
            value = math.nan
        if not math.isfinite(value):
            shown = cell if len(cell) <= 30 else cell[:30] + "…"
            raise DataError(code="non_numeric", message=f"line {line}, column {name!r}: {shown!r} is not a number",
                            line=line, column=name, value=shown)
        out[i] = value
    return out.astype(np.float32)


def split_series(series, val_fraction: float = 0.2) -> tuple[np.ndarray, np.ndarray]:
    """(n,) -> (train (n - m,), validation (m,)) float32, in time order, m = n - int(n * (1 - val_fraction)).
    To predict the first validation values from the end of training, window
    `series[len(train) - T:]` with the training normalisation."""
    s = _series(series)
    val_fraction = _fraction("val_fraction", val_fraction)
    n_train = int(len(s) * (1 - val_fraction))
    if n_train < 2 or len(s) - n_train < 2:
        raise DataError(code="too_short", message=f"the series has {len(s)} values, too few to split", n=len(s),
                        need=math.ceil(2 / min(val_fraction, 1 - val_fraction)) + 1)
    return s[:n_train], s[n_train:]


@dataclass(frozen=True)
class Normalisation:
    """value -> (value - mean) / std, and back. std is 1 for a constant series."""
    mean: float
    std: float

    @classmethod
    def fit(cls, series) -> "Normalisation":
        s = np.asarray(series, dtype=np.float64)
        std = float(s.std())
        return cls(float(s.mean()), std if std > 1e-12 * max(1.0, abs(float(s.mean()))) else 1.0)

    def apply(self, values):
        """numpy array, torch tensor or float -> the same kind, normalised."""
        return (values - self.mean) / self.std

    def invert(self, values):
        """Normalised values (e.g. a model's predictions) -> the series' own units."""
        return values * self.std + self.mean


def _series(series) -> np.ndarray:
    if isinstance(series, torch.Tensor):
        series = series.detach().cpu().numpy()
    try:
        s = np.asarray(series, dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise DataError(code="type", message="the series must be a 1-D sequence of numbers", name="series",
                        expected="1-D numbers") from e
    if s.ndim != 1:
        raise DataError(code="type", message=f"the series must be 1-D, not of shape {s.shape}", name="series",
                        expected="1-D numbers")
    if len(s) > MAX_SERIES_LEN:
        raise DataError(code="too_many_rows", message=f"the series has {len(s):,} values; the limit is {MAX_SERIES_LEN:,}",
                        n=len(s), limit=MAX_SERIES_LEN)
    if not np.isfinite(s).all():
        i = int(np.flatnonzero(~np.isfinite(s))[0])
        raise DataError(code="non_finite", message=f"value {i} of the series is {s[i]}, not a finite number", index=i)
    return s.astype(np.float32)


def windows(series, T: int, norm: Normalisation | None = None,
            stride: int = 1) -> tuple[torch.Tensor, torch.Tensor, Normalisation]:
    """Next-value prediction: series (n,) -> (x (N, T, 1), y (N,), norm), float32, x[i] the normalised
    values series[i*stride : i*stride + T] and y[i] the normalised value right after them;
    N = (n - T - 1) // stride + 1, N * T at most MAX_ELEMENTS. `norm`: the normalisation to use (e.g. the training one, for
    validation windows); None fits one on this series. Map predictions back with `norm.invert(pred)`.
    Raises DataError "too_short" when n < T + 1."""
    s = _series(series)
    T = _int("T", T, 1, MAX_WINDOW_T)
    stride = _int("stride", stride, 1, MAX_WINDOW_T)
    if norm is None:
        norm = Normalisation.fit(s)
    elif not isinstance(norm, Normalisation):
        raise DataError(code="type", message="norm must be a Normalisation or None", name="norm", expected="Normalisation")
    if len(s) < T + 1:
        raise DataError(code="too_short", message=f"the series has {len(s)} values, too few for windows of {T} steps "
                        f"(need at least {T + 1})", n=len(s), need=T + 1)
    n = (len(s) - T - 1) // stride + 1
    if n * T > MAX_ELEMENTS:
        raise DataError(code="too_many_windows", message=f"{n:,} windows of {T} steps are {n * T:,} numbers; the limit is "
                        f"{MAX_ELEMENTS:,} (use a larger stride or shorter windows)", n=n * T, limit=MAX_ELEMENTS)
    z = torch.from_numpy(norm.apply(s.astype(np.float64)).astype(np.float32))
    w = z.unfold(0, T + 1, stride)   # (N, T+1)
    return w[:, :T].unsqueeze(-1).contiguous(), w[:, T].contiguous(), norm


def naive_last_value_mse(x, y, norm: Normalisation | None = None) -> float:
    """The baseline "the next value equals the last one": mean of (x[:, -1, 0] - y)^2 for windows from
    `windows` (torch or numpy). With `norm`, in the series' own units; without, in normalised units
    (the same units as a model's normalised MSE)."""
    x = torch.as_tensor(x, dtype=torch.float64)
    y = torch.as_tensor(y, dtype=torch.float64)
    if x.ndim != 3 or x.shape[-1] != 1 or y.shape != x.shape[:1] or len(y) == 0:
        raise DataError(code="type", message=f"x must be (N, T, 1) and y (N,), not {tuple(x.shape)} and {tuple(y.shape)}",
                        name="x, y", expected="(N, T, 1), (N,)")
    last = x[:, -1, 0]
    if norm is not None:
        last, y = norm.invert(last), norm.invert(y)
    return float(((last - y) ** 2).mean())
