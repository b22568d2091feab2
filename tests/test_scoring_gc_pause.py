"""The cyclic GC pause around card building is shared by threads: it ends with the last one,
and never leaves the collector off (a bare isenabled()/disable() pair could, in a race)."""

from __future__ import annotations

import gc
import threading

from coaching.scoring.engine import _no_cycle_collection


def test_the_pause_ends_with_the_last_thread_and_the_collector_is_back_on():
    assert gc.isenabled()
    a_in, b_in, a_out, b_out = (threading.Event() for _ in range(4))
    seen: dict[str, bool] = {}

    def a() -> None:
        with _no_cycle_collection():
            a_in.set()
            b_in.wait(5)
        a_out.set()

    def b() -> None:
        a_in.wait(5)
        with _no_cycle_collection():
            b_in.set()
            a_out.wait(5)
            seen["after a left"] = gc.isenabled()
        b_out.set()

    ts = [threading.Thread(target=a), threading.Thread(target=b)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(10)
    assert seen == {"after a left": False}  # b still building: still paused
    assert gc.isenabled()


def test_a_collector_turned_off_by_someone_else_stays_off():
    gc.disable()
    try:
        with _no_cycle_collection():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
