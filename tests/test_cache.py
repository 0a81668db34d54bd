"""The one cache helper: a bounded LRU, and the server-wide cache that hands out copies and builds once."""
from __future__ import annotations

import copy
import threading
import time

import pytest

from rnnviz.app.cache import LRU, SharedCache


def test_lru_keeps_the_newest_and_get_refreshes():
    lru = LRU(2)
    lru["a"], lru["b"] = 1, 2
    assert lru.get("a") == 1                   # a is now the newest
    lru["c"] = 3
    assert list(lru) == ["a", "c"] and lru.get("b") is None and lru.get("b", 0) == 0
    lru["a"] = 10                              # setting refreshes too
    lru["d"] = 4
    assert dict(lru) == {"a": 10, "d": 4}
    twin = copy.deepcopy(lru)
    twin["e"] = 5
    assert twin.max_entries == 2 and list(twin) == ["d", "e"] and list(lru) == ["a", "d"]
    for bad in (0, -1, 1.5, True, "3"):
        with pytest.raises(ValueError, match="positive integer"):
            LRU(bad)


def test_shared_cache_hands_out_copies_of_one_kept_value():
    cache, builds = SharedCache(2), []

    def build(name):
        builds.append(name)
        return {"name": name, "rows": [1, 2]}

    first, reused = cache.get_or_build("k", lambda: build("k"))
    assert not reused and first == {"name": "k", "rows": [1, 2]}
    first["rows"].append(99)                                       # the builder changes its copy ...
    again, reused = cache.get_or_build("k", lambda: build("k"))
    assert reused and again["rows"] == [1, 2] and builds == ["k"]  # ... nobody else sees it
    again["rows"].clear()
    assert cache.get("k")["rows"] == [1, 2] and cache.get("nope") is None
    cache.get_or_build("x", lambda: build("x"))
    cache.get_or_build("y", lambda: build("y"))                    # bound 2: "k" was the oldest
    assert "k" not in cache and "x" in cache and len(cache) == 2
    unkept, reused = cache.get_or_build("z", lambda: build("z"), keep=lambda v: False)
    assert not reused and "z" not in cache and unkept["name"] == "z"
    cache.clear()
    assert len(cache) == 0


def test_shared_cache_builds_once_for_callers_that_ask_together():
    cache, builds, out = SharedCache(4), [], []

    def slow():
        builds.append(1)
        time.sleep(0.2)
        return [1, 2, 3]

    threads = [threading.Thread(target=lambda: out.append(cache.get_or_build("k", slow))) for _ in range(5)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert builds == [1] and sorted(r for _, r in out) == [False, True, True, True, True]
    assert len({id(v) for v, _ in out}) == 5 and all(v == [1, 2, 3] for v, _ in out)
    assert not cache._building


def test_a_failed_build_reaches_its_caller_and_the_waiters_build_for_themselves():
    cache, started, results = SharedCache(4), threading.Event(), []

    def fails():
        started.set()
        time.sleep(0.2)
        raise RuntimeError("boom")

    def owner():
        with pytest.raises(RuntimeError, match="boom"):
            cache.get_or_build("k", fails)

    t1 = threading.Thread(target=owner)
    t1.start()
    started.wait(5)
    t2 = threading.Thread(target=lambda: results.append(cache.get_or_build("k", lambda: "mine")))
    t2.start()
    t1.join()
    t2.join()
    assert results == [("mine", False)] and cache.get("k") == "mine" and not cache._building


def test_shared_figures_are_kept_as_dicts_and_each_caller_gets_its_own_figure():
    """A shared figure is kept as its dict: every caller gets a figure of its own, equal to the built one, whose
    kept spec is that dict (drawing it makes none); a caller's changes reach nobody else; the subplot grid, the
    marks of the figure modules and a dict of figures come through."""
    import numpy as np
    import plotly.graph_objects as go

    from rnnviz.app.cache import clear_shared_figures, shared_figure
    from rnnviz.figures.style import kept_spec, subplots
    from rnnviz.figures.timeline import open_at
    clear_shared_figures()
    builds = []

    def build():
        builds.append(1)
        fig = subplots(rows=2, cols=1)
        fig.add_trace(go.Heatmap(z=np.arange(6.0).reshape(2, 3)), row=1, col=1)
        fig.add_trace(go.Scatter(y=[1, 2, 3], name="line"), row=2, col=1)
        fig.update_layout(title_text="built")
        fig.__dict__["_rnnviz_open_at"] = 2
        return {"main": fig, "n": [1, 2]}

    want = build()["main"].to_dict()
    builds.clear()
    a, b = shared_figure(("fig-test",), build), shared_figure(("fig-test",), build)
    assert builds == [1] and a["main"] is not b["main"] and a["n"] == [1, 2] and a["n"] is not b["n"]
    assert a["main"].to_dict() == want == b["main"].to_dict()
    assert a["main"].__dict__["_rnnviz_open_at"] == 2
    assert kept_spec(a["main"], 2) is kept_spec(b["main"], 2) == want          # the one kept dict, as it is
    a["main"].update_layout(title_text="changed")                             # a caller changes its figure ...
    a["main"].data[1].name = "mine"
    a["main"].add_trace(go.Scatter(y=[0, 1]), row=2, col=1)                   # ... on the grid it was built on
    assert a["main"].data[2].xaxis == "x2"
    assert b["main"].to_dict() == want == shared_figure(("fig-test",), build)["main"].to_dict()
    assert kept_spec(b["main"], 2) == want
    with pytest.raises(ValueError):                                           # validated as ever after
        a["main"].update_layout(height=-5)
    clear_shared_figures()


def test_a_shared_timeline_opens_where_it_was_built_and_open_at_makes_a_new_dict():
    from rnnviz.app.cache import clear_shared_figures, shared_figure
    from rnnviz.app.playground import PlaygroundConfig, run_playground
    from rnnviz.figures.style import kept_spec
    from rnnviz.figures.timeline import open_at, timeline_figure
    run = run_playground(PlaygroundConfig(steps=20))
    clear_shared_figures()
    build = lambda: timeline_figure(run.trace, run.input_chars, list(run.vocab.chars), "en")   # noqa: E731
    a, b = shared_figure(("tl-test",), build), shared_figure(("tl-test",), build)
    spec = kept_spec(b, 1)
    assert kept_spec(a, 1) is spec                                            # at step 1 as built: the kept dict
    open_at(a, 3)
    at3 = kept_spec(a, 3)
    assert at3 is not spec and at3["layout"]["sliders"][0]["active"] == 2
    assert at3 == open_at(build(), 3).to_dict()
    assert kept_spec(b, 1) is spec and spec["layout"]["sliders"][0]["active"] == 0
    clear_shared_figures()
