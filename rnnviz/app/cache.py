"""The one cache helper of rnnviz: a bounded least-recently-used map, and on top of it the cache that
every session of a server shares.

`LRU(n)` keeps at most n entries and drops the least recently used one first (a session's last views
on the step page). `SharedCache(n)` is thread-safe and hands out private deep copies, so no session
can change what another one gets; with `get_or_build`, sessions that ask for a key while another
one builds it wait for that build instead of repeating it (a class opening the same link trains or
draws once).
"""
from __future__ import annotations

import copy
import threading
from collections import OrderedDict
from typing import Callable, Hashable


class LRU(OrderedDict):
    """A dict of at most `max_entries` items: setting an item, or reading it with `get`, makes it the
    newest; past the bound the oldest goes (plain `[]` reads do not reorder, so iterating is safe)."""

    def __init__(self, max_entries: int):
        if not isinstance(max_entries, int) or isinstance(max_entries, bool) or max_entries < 1:
            raise ValueError(f"max_entries must be a positive integer, not {max_entries!r}")
        super().__init__()
        self.max_entries = max_entries

    def get(self, key, default=None):
        if key not in self:
            return default
        self.move_to_end(key)
        return super().__getitem__(key)

    def __reduce__(self):                        # copy / deepcopy / pickle keep the bound
        return (type(self), (self.max_entries,), None, None, iter(self.items()))

    def __setitem__(self, key, value) -> None:
        super().__setitem__(key, value)
        self.move_to_end(key)
        while len(self) > self.max_entries:
            self.popitem(last=False)


class SharedCache:
    """Values shared by every session of a server, at most `max_entries` (least recently used dropped
    first). The kept values are never handed out: callers get copies, made by `copy` (a deep copy unless
    the cache is given another copier, as the figure cache below is)."""

    def __init__(self, max_entries: int, copy: Callable[[object], object] = copy.deepcopy):
        self._copy = copy                  # how a caller's private copy is made of a kept value
        self._items = LRU(max_entries)
        self._building: dict[Hashable, threading.Event] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable):
        """A private copy of the value kept under `key`, or None."""
        with self._lock:
            value = self._items.get(key)
        return None if value is None else self._copy(value)

    def get_or_build(self, key: Hashable, build: Callable[[], object],
                     keep: Callable[[object], bool] = lambda value: True,
                     wait_s: float | None = None) -> tuple[object, bool]:
        """(value, reused). A kept value: a copy of it. Otherwise `build()` runs (outside the lock), and
        its result is kept when `keep(result)` says so (keep may also stamp the result before it is kept),
        and every caller, the builder too, gets a copy of the kept value (an unkept result: itself). A caller that asks while another one builds
        the same key waits for it (at most `wait_s` seconds; None: no limit) and then takes its result,
        or builds for itself when it was not kept. An error in `build` reaches its caller; the waiters
        then build for themselves."""
        owner = False
        with self._lock:
            value = self._items.get(key)
            if value is None:
                event = self._building.get(key)
                if event is None:
                    owner, event = True, threading.Event()
                    self._building[key] = event
        if value is None and not owner:
            from ..service.slots import released
            with released():                          # a page run waiting here gives its run slot to others
                event.wait(timeout=wait_s)
            with self._lock:
                value = self._items.get(key)
        if value is not None:
            return self._copy(value), True
        try:
            value = build()
            if keep(value):
                with self._lock:
                    self._items[key] = value          # kept as built; the builder, like everyone, gets a copy
                value = self._copy(value)
        finally:
            if owner:
                with self._lock:
                    self._building.pop(key).set()
        return value, False

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

    def __contains__(self, key: Hashable) -> bool:
        with self._lock:
            return key in self._items


# ---- figures built once per server ------------------------------------------------------------------------
# A preset is the same model for everyone, and so is a shared Hello run (`playground.shared_run`), so the
# figures of their views are too: when a lecturer sends a class a link, the server builds a timeline
# (0.1-0.3 s) once, not once per student. A figure is kept as its dict (`fig.to_dict()`, plain data) and each
# caller gets a figure of its own made from it without plotly's validation (~3-7 ms; a deep copy of a
# go.Figure runs every validator again, 12-14 ms, and 30 sessions opening a view at once paid it 30 times in
# the server's one interpreter: bench/bench_load.py train-30). The shared dict is also the new figure's kept
# spec (`figures.style.keep_spec`), so drawing it makes no dict at all; nobody changes a kept spec, and a
# caller that changes its figure (`open_at`) gets a new dict made from its own figure.
SHARED_FIGURES = 24        # kept figures or figure sets (the largest, T = 299 × 64 units, about 1 MB), LRU


class _Frozen:
    """A figure as kept: its dict, its subplot grid, and the `_rnnviz_*` marks the figure modules set on it."""
    __slots__ = ("spec", "grid", "marks")

    def __init__(self, fig):
        self.spec = fig.to_dict()
        self.grid = {k: fig.__dict__[k] for k in ("_grid_str", "_grid_ref") if fig.__dict__.get(k) is not None}
        self.marks = {k: v for k, v in fig.__dict__.items() if k.startswith("_rnnviz_") and k != "_rnnviz_dict"}

    def thaw(self):
        import plotly.graph_objects as go
        from ..figures.style import keep_spec, validating
        fig = validating(go.Figure(dict(self.spec, **self.grid), _validate=False))   # later changes: validated
        fig.__dict__.update(self.marks)
        keep_spec(fig, self.spec, self.marks.get("_rnnviz_open_at"))   # a timeline's version: the step it opens at
        return fig


def _walk(value, leaf):
    """`value` with each dict rebuilt and `leaf(x)` for every other x: a figure, a kept figure or a copy."""
    if isinstance(value, dict):
        return {k: _walk(v, leaf) for k, v in value.items()}
    return leaf(value)


def _freeze(value):
    import plotly.graph_objects as go
    return _walk(value, lambda v: _Frozen(v) if isinstance(v, go.Figure) else copy.deepcopy(v))


def _thaw(value):
    return _walk(value, lambda v: v.thaw() if isinstance(v, _Frozen) else copy.deepcopy(v))


_shared_figs = SharedCache(SHARED_FIGURES, copy=_thaw)


def shared_figure(key: tuple, build):
    """A figure of the caller's own (or a dict of them) for `key`, made from the kept one's dict, built with
    `build()` the first time (sessions asking while it is built wait for it). Figures nested in a dict are
    kept as dicts too; any other value is deep-copied."""
    return _shared_figs.get_or_build(key, lambda: _freeze(build()))[0]


def clear_shared_figures() -> None:
    _shared_figs.clear()
