"""Request quotas of the keyed replay providers (FRED, EIA, NOAA): sliding windows and a daily count per key.

A request is admitted when, for every window of the provider, fewer than ``requests`` admitted requests of the
same key arrived in the last ``per_seconds`` seconds, and the key has daily quota left. Otherwise the provider
answers HTTP 429 with its own error body. Arrival times are the server's ``time.monotonic()`` readings, the same
``at`` the request log records, so a test can check the log against the windows exactly. Days are UTC dates.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Literal


@dataclass(frozen=True)
class Window:
    """At most ``requests`` per ``per_seconds`` seconds, per key."""

    requests: int
    per_seconds: float

    def __post_init__(self) -> None:
        """Validate."""
        if not isinstance(self.requests, int) or self.requests < 1 or not self.per_seconds > 0:
            raise ValueError(f"a window needs requests >= 1 and per_seconds > 0, got {self}")


@dataclass
class Quota:
    """The windows and the daily limit of one provider."""

    windows: tuple[Window, ...]
    per_day: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON form (admin endpoint)."""
        return {"windows": [[w.requests, w.per_seconds] for w in self.windows], "per_day": self.per_day}

    @classmethod
    def from_dict(cls, value: Any) -> Quota:
        """Parse the JSON form; ValueError on a bad shape."""
        if not isinstance(value, dict) or not isinstance(value.get("windows", []), list):
            raise ValueError('expected {"windows": [[requests, per_seconds], ...], "per_day": n|null}')
        windows = tuple(Window(int(w[0]), float(w[1])) for w in value.get("windows", []))
        per_day = value.get("per_day")
        if per_day is not None and (not isinstance(per_day, int) or per_day < 1):
            raise ValueError(f"per_day must be a positive integer or null, got {per_day!r}")
        return cls(windows, per_day)


Verdict = Literal["ok", "window", "day"]


@dataclass
class KeyedLimiter:
    """Admission control of one provider, per key."""

    quota: Quota
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _arrivals: dict[str, deque[float]] = field(default_factory=dict)
    _days: dict[str, tuple[date, int]] = field(default_factory=dict)

    def admit(self, key: str, at: float, today: date | None = None) -> tuple[Verdict, Window | None]:
        """Admit one request of ``key`` arriving at ``at`` (monotonic seconds), or say which limit refuses it."""
        day = today or datetime.now(UTC).date()
        with self._lock:
            arrivals = self._arrivals.setdefault(key, deque())
            longest = max((w.per_seconds for w in self.quota.windows), default=0.0)
            while arrivals and arrivals[0] <= at - longest:
                arrivals.popleft()
            for window in self.quota.windows:
                recent = sum(1 for t in arrivals if t > at - window.per_seconds)
                if recent >= window.requests:
                    return "window", window
            seen_day, used = self._days.get(key, (day, 0))
            if seen_day != day:
                used = 0
            if self.quota.per_day is not None and used >= self.quota.per_day:
                return "day", None
            arrivals.append(at)
            self._days[key] = (day, used + 1)
            return "ok", None

    def used_today(self, key: str) -> int:
        """Admitted requests of ``key`` today."""
        with self._lock:
            day, used = self._days.get(key, (datetime.now(UTC).date(), 0))
            return used if day == datetime.now(UTC).date() else 0

    def reset(self, quota: Quota | None = None) -> None:
        """Forget every count (and switch to ``quota`` when given)."""
        with self._lock:
            if quota is not None:
                self.quota = quota
            self._arrivals.clear()
            self._days.clear()
