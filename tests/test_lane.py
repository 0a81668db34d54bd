"""The start lane (rnnviz.service.lane): script runs that start a training take turns, others never wait."""
import threading
import time

import pytest

from rnnviz.service.lane import Pass, StartLane, start_lane


def test_a_pass_holds_a_place_until_released_and_release_is_idempotent():
    lane = StartLane(width=1, wait_s=1.0)
    p = lane.enter(True)
    assert p.held and lane.inside == 1
    p.release()
    p.release()                                  # twice: the place is given back once
    assert not p.held and lane.inside == 0
    q, r = lane.enter(True), lane.enter(False)   # the place is free again; an empty pass takes none
    assert q.held and not r.held and lane.inside == 1
    q.release()
    assert lane.inside == 0


def test_runs_that_start_nothing_never_wait_for_the_lane():
    lane = StartLane(width=1, wait_s=5.0)
    with lane.enter(True):
        t0 = time.monotonic()
        with lane.enter(False) as p:
            assert not p.held
        assert time.monotonic() - t0 < 0.5 and p.waited_s == 0.0


def test_the_lane_lets_width_runs_in_at_once_and_the_others_in_turn():
    lane = StartLane(width=2, wait_s=10.0)
    inside, most, order, lock = [0], [0], [], threading.Lock()

    def run(i):
        with lane.enter(True) as p:
            assert p.held
            with lock:
                inside[0] += 1
                most[0] = max(most[0], inside[0])
                order.append(i)
            time.sleep(0.05)
            with lock:
                inside[0] -= 1

    threads = [threading.Thread(target=run, args=(i,)) for i in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(10)
    assert most[0] == 2 and sorted(order) == list(range(8))
    assert lane.inside == 0 and lane.timeouts == 0


def test_a_run_released_early_lets_the_next_one_in_at_once():
    lane = StartLane(width=1, wait_s=5.0)
    first = lane.enter(True)
    got = {}

    def second():
        with lane.enter(True) as p:
            got["held"], got["waited"] = p.held, p.waited_s

    th = threading.Thread(target=second)
    th.start()
    time.sleep(0.2)
    first.release()                               # its job is queued: the next run goes on
    th.join(5)
    assert got["held"] and 0.15 < got["waited"] < 2.0
    first.release()                               # the end of the first run's `with`: nothing more to give
    assert lane.inside == 0


def test_a_run_that_waits_too_long_goes_on_without_a_place():
    lane = StartLane(width=1, wait_s=0.2)
    stuck = lane.enter(True)                      # a run held up elsewhere: it never releases in time
    t0 = time.monotonic()
    with lane.enter(True) as p:
        assert not p.held
    assert 0.15 < time.monotonic() - t0 < 2.0 and lane.timeouts == 1
    assert lane.inside == 1                       # the late pass gave back nothing it did not hold
    stuck.release()
    assert lane.inside == 0


def test_an_exception_in_the_run_gives_its_place_back():
    lane = StartLane(width=1, wait_s=0.2)
    with pytest.raises(RuntimeError):
        with lane.enter(True):
            raise RuntimeError("the script was interrupted (a rerun, st.stop)")
    assert lane.inside == 0 and lane.enter(True).held


@pytest.mark.parametrize("kw", [{"width": 0}, {"width": 1.5}, {"width": True}, {"wait_s": -1}, {"wait_s": 1e9},
                                {"wait_s": "3"}])
def test_bad_lane_settings_are_refused_with_a_clear_message(kw):
    with pytest.raises(ValueError, match="lane's"):
        StartLane(**kw)


def test_the_server_has_one_lane():
    assert start_lane() is start_lane() and isinstance(start_lane().enter(False), Pass)
