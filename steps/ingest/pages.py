"""Bounded concurrent page fetching: every page of every stream goes through one pool of ``concurrency`` workers.

A stream's first page is fetched first (it says how many pages follow); its following pages are then queued as
tasks of their own, so pages of one stream and of different streams download side by side. At most
``concurrency`` pages are held in memory at once: a queued task is only a request, its body exists while a worker
handles it. Streams are fed to the pool as it has room (:meth:`PagePool.submit_when_room`), not all at once: a
source of thousands of streams would otherwise queue every stream's first page, then every following page, a
task object each (about 3 KB a page: 30 MB at 10 M rows). A reader stream (database cursor, files) is one task
that yields its pages one at a time. The first failure cancels everything still queued, and reader streams stop
at their next page.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any


class Cancelled(Exception):
    """Raised inside tasks that start after another task failed."""


class PagePool:
    """Runs page tasks on a thread pool and waits for all of them, including the ones tasks add."""

    def __init__(self, workers: int, name: str) -> None:
        """Create a pool of ``workers`` threads."""
        self.workers = max(1, workers)
        self._executor = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix=name)
        self._lock = threading.Condition()
        self._pending = 0
        self._error: BaseException | None = None
        self.cancelled = threading.Event()

    def submit(self, fn: Callable[..., None], *args: Any) -> None:
        """Queue one task ``fn(*args)`` (callable from inside another task)."""
        with self._lock:
            self._pending += 1
        future: Future[None] = self._executor.submit(self._guard, fn, *args)
        future.add_done_callback(self._done)

    def submit_when_room(self, fn: Callable[..., None], *args: Any) -> None:
        """Queue ``fn(*args)`` once fewer than two tasks per worker are pending (or a task failed).

        For the caller that feeds the pool from outside; a task must use :meth:`submit`, or it could wait for
        itself.
        """
        with self._lock:
            while self._pending >= 2 * self.workers and self._error is None:
                self._lock.wait()
        self.submit(fn, *args)

    def _guard(self, fn: Callable[..., None], *args: Any) -> None:
        if self.cancelled.is_set():
            raise Cancelled
        fn(*args)

    def _done(self, future: Future[None]) -> None:
        exc = future.exception()
        with self._lock:
            if exc is not None and not isinstance(exc, Cancelled) and self._error is None:
                self._error = exc
                self.cancelled.set()
            self._pending -= 1
            self._lock.notify_all()

    def join(self) -> None:
        """Wait until no task is pending, shut the pool down, and re-raise the first failure."""
        with self._lock:
            while self._pending:
                self._lock.wait()
        self._executor.shutdown(wait=True)
        if self._error is not None:
            raise self._error
