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
