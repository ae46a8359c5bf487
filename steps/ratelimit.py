"""Client-side rate limiting: token buckets per provider, and daily quota accounting kept in the lake.

Token bucket. A quota "at most N requests in any window of T seconds" becomes a bucket of ``burst`` (b) tokens
refilled at ``(N - b) / T`` tokens per second, slowed by :data:`HEADROOM` to absorb network jitter: starting
full, a window of T seconds sees at most ``b + (N - b)`` requests, so the quota holds for *every* window, not
just on average. A request takes a token before it is sent (each retry too); without one it waits. Tokens are
reserved under a lock (the count may go negative), so threads queue fairly and each sleeps outside the lock.
All threads of a source share one :class:`RateLimiter`; it may hold several buckets (EIA: 5/s and 9,000/h).

Daily quota. NOAA allows 10,000 requests a day per token. :class:`DailyQuota` counts every request sent and
keeps the count in ``state/_quota/<provider>-<key fingerprint>.json`` (days are UTC), so the second run of a day
starts from the first one's count. Reaching the quota fails the request with a :class:`QuotaExhaustedError`
(transient, exit 75) naming when the quota resets. The count is written back every
:data:`FLUSH_EVERY` requests and when the client closes, adding this process's requests to what the file holds
then (two sources sharing a key lose at most the requests of an unflushed interval).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from typing import Any

from steps.errors import TransientError
from steps.lake import Lake
from steps.sources.config import RateLimit

HEADROOM = 0.95  # refill at 95% of the quota's rate
FLUSH_EVERY = 50
QUOTA_DIR = "state/_quota"


class QuotaExhaustedError(TransientError):
    """The provider's daily quota is used up; retry after it resets."""


class TokenBucket:
    """One ``requests`` per ``per_seconds`` quota."""

    def __init__(self, limit: RateLimit, clock: Callable[[], float] = time.monotonic) -> None:
        """A full bucket for ``limit``."""
        self.limit = limit
        self.capacity = float(limit.burst)
        room = limit.requests - limit.burst if limit.requests > limit.burst else 1
        self.rate = room / limit.per_seconds * HEADROOM  # tokens per second
        self._clock = clock
        self._tokens = self.capacity
        self._updated = clock()

    def reserve(self) -> float:
        """Take a token (possibly one not there yet); returns the seconds to wait before sending."""
        now = self._clock()
        self._tokens = min(self.capacity, self._tokens + (now - self._updated) * self.rate)
        self._updated = now
        self._tokens -= 1
        return 0.0 if self._tokens >= 0 else -self._tokens / self.rate


class RateLimiter:
    """Every bucket of one source, shared by all its threads."""

    def __init__(
        self,
        limits: Sequence[RateLimit],
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], object] = time.sleep,
    ) -> None:
        """Buckets for ``limits`` (none: no limit)."""
        self.buckets = [TokenBucket(limit, clock) for limit in limits]
        self._sleep = sleep
        self._lock = threading.Lock()
        self.waits = 0
        self.waited_s = 0.0

    def acquire(self, cancel: threading.Event | None = None) -> float:
        """Block until a request may be sent; returns the seconds waited (0 without buckets).

        With ``cancel``, the wait ends early when the event is set (the caller then checks why).
        """
        if not self.buckets:
            return 0.0
        with self._lock:
            wait = max(bucket.reserve() for bucket in self.buckets)
            if wait > 0:
                self.waits += 1
                self.waited_s += wait
        if wait > 0:
            if cancel is not None:
                cancel.wait(wait)
            else:
                self._sleep(wait)
        return wait

    def metrics(self) -> dict[str, Any]:
        """For the stage metrics."""
        with self._lock:
            return {
                "limits": [f"{b.limit.requests}/{b.limit.per_seconds:g}s" for b in self.buckets],
                "waits": self.waits,
                "waited_s": round(self.waited_s, 3),
            }


def quota_path(account: str) -> str:
    """Lake path of one account's daily count."""
    return f"{QUOTA_DIR}/{account}.json"


class DailyQuota:
    """Requests sent today by one account (provider + key), persisted in the lake across runs."""

    def __init__(
        self,
        lake: Lake,
        source: str,
        account: str,
        per_day: int,
        *,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        """Load today's count of ``account``."""
        self.lake = lake
        self.source = source
        self.account = account
        self.per_day = per_day
        self._now = now
        self._lock = threading.Lock()
        self.day = now().date()
        self._stored = self._read(self.day)  # what the file held for the day when last read
        self._unflushed = 0
        self.sent = 0  # by this process

    @property
    def used(self) -> int:
        """Requests counted for the current day (stored plus not yet flushed)."""
        return self._stored + self._unflushed

    def take(self) -> None:
        """Count one request about to be sent, or raise :class:`QuotaExhaustedError` when none is left."""
        flush = False
        with self._lock:
            today = self._now().date()
            if today != self.day:  # a new UTC day: the provider reset the quota
                self._write_locked()
                self.day, self._stored, self._unflushed = today, self._read(today), 0
            if self.used >= self.per_day:
                self._write_locked()
                raise QuotaExhaustedError(
                    f"{self.source}: the daily quota of {self.per_day} requests is used up "
                    f"({self.used} counted for {self.day.isoformat()} UTC in {quota_path(self.account)}); "
                    f"it resets at {_reset(self.day)}",
                    f"retry after {_reset(self.day)}, or raise daily_quota if the provider granted more",
                )
            self._unflushed += 1
            self.sent += 1
            flush = self._unflushed >= FLUSH_EVERY
        if flush:
            self.flush()

    def flush(self) -> None:
        """Add the requests not yet written to the stored count."""
        with self._lock:
            self._write_locked()

    def metrics(self) -> dict[str, Any]:
        """For the stage metrics."""
        with self._lock:
            return {"day": self.day.isoformat(), "used": self.used, "per_day": self.per_day, "sent": self.sent}

    def _write_locked(self) -> None:
        if not self._unflushed:
            return
        current = self._read(self.day)  # another process of the same account may have counted meanwhile
        total = max(current, self._stored) + self._unflushed
        self.lake.write_json(
            quota_path(self.account),
            {
                "account": self.account,
                "day": self.day.isoformat(),
                "used": total,
                "per_day": self.per_day,
                "resets_at": _reset(self.day),
            },
        )
        self._stored, self._unflushed = total, 0

    def _read(self, day: date) -> int:
        raw = self.lake.read_json(quota_path(self.account)) or {}
        return int(raw.get("used", 0)) if raw.get("day") == day.isoformat() else 0


def _reset(day: date) -> str:
    return datetime.combine(day + timedelta(days=1), dtime(0, 0), tzinfo=UTC).isoformat().replace("+00:00", "Z")
