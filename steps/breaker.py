"""A circuit breaker per source and run: after N consecutive failed attempts the source stops at once.

Every attempt of the source's HTTP client reports to the breaker: a connection error, a timeout or a 5xx counts
as a failure, any answer from a healthy server (2xx, or a 4xx we refuse) resets the count, and a 429 is neither
(throttling is the rate limiter's business). When the count reaches the threshold the breaker opens for the rest
of the run: the attempt that tripped it and every later one (other threads, requests waiting in backoff or for a
rate-limit token) fail immediately with :class:`CircuitOpenError`, a transient error (exit 75). The ingest core
then cancels the source's remaining pages and streams; other sources are separate tasks and carry on.
"""

from __future__ import annotations

import threading
from typing import Literal

from steps.errors import TransientError

State = Literal["closed", "open"]


class CircuitOpenError(TransientError):
    """The source's circuit breaker is open: its remaining requests were not sent."""


class CircuitBreaker:
    """Consecutive-failure breaker shared by every thread of one source's client."""

    def __init__(self, source: str, threshold: int) -> None:
        """Open after ``threshold`` consecutive failures."""
        self.source = source
        self.threshold = threshold
        self.opened = threading.Event()  # set once open: waiters (backoff, rate limit) wake up and give up
        self._lock = threading.Lock()
        self._consecutive = 0
        self._failures_at_open = 0
        self._last_problem = ""

    @property
    def state(self) -> State:
        """``open`` once tripped, else ``closed``."""
        return "open" if self.opened.is_set() else "closed"

    def check(self) -> None:
        """Raise :class:`CircuitOpenError` when the breaker is open (call before every attempt)."""
        if self.opened.is_set():
            raise self._error()

    def success(self) -> None:
        """A healthy answer: the consecutive count starts again."""
        with self._lock:
            if not self.opened.is_set():
                self._consecutive = 0

    def failure(self, problem: str) -> None:
        """A failed attempt; opens the breaker (and raises) when it is the threshold-th in a row."""
        with self._lock:
            if not self.opened.is_set():
                self._consecutive += 1
                self._last_problem = problem
                if self._consecutive >= self.threshold:
                    self._failures_at_open = self._consecutive
                    self.opened.set()
        self.check()

    def snapshot(self) -> dict[str, object]:
        """For the stage metrics: ``{"state": "open", "failures": N}``."""
        with self._lock:
            failures = self._failures_at_open if self.opened.is_set() else self._consecutive
            return {"state": self.state, "failures": failures}

    def _error(self) -> CircuitOpenError:
        return CircuitOpenError(
            f"{self.source}: circuit breaker open after {self._failures_at_open} consecutive failed requests "
            f"(last: {self._last_problem}); the source's remaining requests were stopped",
            "the source is failing; other sources are unaffected, retry this one later",
        )
