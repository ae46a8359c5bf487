"""The page pool: every task runs, the first failure cancels the rest, and a feeder never queues without bound."""

from __future__ import annotations

import threading
import time

import pytest

from steps.ingest.pages import PagePool


def test_a_feeder_waits_for_room_so_the_queue_stays_small_however_many_streams() -> None:
    pool = PagePool(2, "test")
    lock = threading.Lock()
    submitted = finished = 0
    backlog: list[int] = []

    def page() -> None:
        nonlocal finished
        time.sleep(0.001)
        with lock:
            finished += 1

    def first_page() -> None:
        page()
        for _ in range(3):  # following pages, queued by the task itself
            pool.submit(page)

    for _ in range(300):
        pool.submit_when_room(first_page)
        with lock:
            submitted += 1
            backlog.append(submitted - finished)
    pool.join()
    assert finished == 300 * 4
    # Queued first pages stay below two per worker; with their following pages, a handful, not 300.
    assert max(backlog) <= 4 * 4


def test_the_first_failure_is_raised_and_stops_a_waiting_feeder() -> None:
    pool = PagePool(1, "test")

    def fail() -> None:
        raise ValueError("bad page")

    for _ in range(50):  # the feeder does not wait for room forever once a task failed
        pool.submit_when_room(fail)
    with pytest.raises(ValueError, match="bad page"):
        pool.join()
