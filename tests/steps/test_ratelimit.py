"""Token buckets, the daily quota, the circuit breaker and watermark merging, with fake clocks."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from steps.breaker import CircuitBreaker, CircuitOpenError
from steps.errors import ConfigError, InputError
from steps.lake import Lake
from steps.ratelimit import DailyQuota, QuotaExhaustedError, RateLimiter, TokenBucket, quota_path
from steps.sources.base import Backfill, PageRequest, offset_requests
from steps.sources.config import RateLimit
from steps.sources.timeseries import period_of, period_start, year_windows
from steps.state import Watermark, merge_watermarks


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def _send_times(limit: RateLimit, n: int) -> list[float]:
    clock = Clock()
    limiter = RateLimiter([limit], clock=clock, sleep=clock.sleep)
    times = []
    for _ in range(n):
        limiter.acquire()
        times.append(clock.now)
    return times


@pytest.mark.parametrize(
    "limit",
    [
        RateLimit(requests=5, per_seconds=1),
        RateLimit(requests=120, per_seconds=60, burst=10),
        RateLimit(requests=1, per_seconds=2),
    ],
)
def test_no_window_ever_holds_more_than_the_quota(limit: RateLimit) -> None:
    times = _send_times(limit, 300)
    for i, t in enumerate(times):
        inside = [u for u in times[: i + 1] if u > t - limit.per_seconds]
        assert len(inside) <= limit.requests


def test_burst_goes_at_once_then_the_refill_rate_paces() -> None:
    times = _send_times(RateLimit(requests=10, per_seconds=1, burst=4), 6)
    assert times[:4] == [100.0] * 4
    gap = (10 - 4) / 1 * 0.95
    assert times[4] == pytest.approx(100 + 1 / gap) and times[5] == pytest.approx(100 + 2 / gap)


def test_several_buckets_are_all_enforced() -> None:
    clock = Clock()
    limiter = RateLimiter(
        [RateLimit(requests=5, per_seconds=1), RateLimit(requests=6, per_seconds=60)], clock=clock, sleep=clock.sleep
    )
    for _ in range(8):
        limiter.acquire()
    assert clock.now - 100 > 60 * (8 - 6) / 6  # the hourly-style bucket dominates after its burst


def test_threads_share_one_limiter() -> None:
    limiter = RateLimiter([RateLimit(requests=20, per_seconds=1)])
    stamps: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(5):
            limiter.acquire()
            with lock:
                stamps.append(__import__("time").monotonic())

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stamps.sort()
    assert len(stamps) == 20
    one_stream = 19 / (19 * 0.95)  # 19 refills at 95% of 19 tokens per second
    assert stamps[-1] - stamps[0] >= one_stream * 0.9  # paced as one stream, not four


def test_bucket_validation() -> None:
    with pytest.raises(ValueError, match="burst 6 is more than requests 5"):
        RateLimit(requests=5, per_seconds=1, burst=6)
    assert TokenBucket(RateLimit(requests=5, per_seconds=1)).rate == pytest.approx(4 * 0.95)


def test_daily_quota_persists_and_resets_with_the_day(tmp_path: Path) -> None:
    lake = Lake(str(tmp_path))
    day = [datetime(2026, 5, 1, 23, 0, tzinfo=UTC)]
    quota = DailyQuota(lake, "noaa", "noaa-abc", 3, now=lambda: day[0])
    quota.take()
    quota.take()
    quota.flush()
    again = DailyQuota(lake, "noaa", "noaa-abc", 3, now=lambda: day[0])  # a second run the same day
    assert again.used == 2
    again.take()
    with pytest.raises(QuotaExhaustedError, match=r"resets at 2026-05-02T00:00:00Z"):
        again.take()
    assert lake.read_json(quota_path("noaa-abc"))["used"] == 3
    day[0] = datetime(2026, 5, 2, 0, 1, tzinfo=UTC)
    again.take()  # a new UTC day: a fresh quota
    assert again.used == 1 and again.day == date(2026, 5, 2)


def test_breaker_opens_after_consecutive_failures_only() -> None:
    breaker = CircuitBreaker("fred", 3)
    breaker.failure("HTTP 503")
    breaker.failure("HTTP 503")
    breaker.success()  # a healthy answer in between starts the count again
    breaker.failure("HTTP 503")
    breaker.failure("HTTP 502")
    assert breaker.snapshot() == {"state": "closed", "failures": 2}
    with pytest.raises(CircuitOpenError, match=r"open after 3 consecutive failed requests \(last: HTTP 500"):
        breaker.failure("HTTP 500")
    assert breaker.snapshot() == {"state": "open", "failures": 3}
    breaker.success()  # stays open for the rest of the run
    with pytest.raises(CircuitOpenError):
        breaker.check()
    assert breaker.opened.is_set()


def test_watermarks_never_move_backwards() -> None:
    old = {"A": Watermark(kind="date", value="2025-01-10"), "B": Watermark(kind="int", value="9")}
    new = {
        "A": Watermark(kind="date", value="2020-12-31"),
        "B": Watermark(kind="int", value="10"),
        "C": Watermark(kind="period", value="2024-Q3"),
    }
    merged = merge_watermarks(old, new)
    assert {k: v.value for k, v in merged.items()} == {"A": "2025-01-10", "B": "10", "C": "2024-Q3"}


def test_year_windows_are_shorter_than_a_year() -> None:
    assert year_windows(date(2023, 3, 1), date(2025, 1, 3)) == [
        (date(2023, 3, 1), date(2024, 2, 29)),
        (date(2024, 3, 1), date(2025, 1, 3)),
    ]
    assert year_windows(date(2024, 2, 29), date(2025, 3, 1)) == [
        (date(2024, 2, 29), date(2025, 2, 27)),
        (date(2025, 2, 28), date(2025, 3, 1)),
    ]
    assert year_windows(date(2025, 1, 2), date(2025, 1, 1)) == []


@pytest.mark.parametrize(
    ("period", "frequency", "start"),
    [
        ("2024-05-17", "daily", date(2024, 5, 17)),
        ("2024-05", "monthly", date(2024, 5, 1)),
        ("2024-Q3", "quarterly", date(2024, 7, 1)),
        ("2024", "annual", date(2024, 1, 1)),
    ],
)
def test_eia_periods_round_trip(period: str, frequency: str, start: date) -> None:
    assert period_start(period, frequency) == start
    assert period_of(start, frequency) == period


def test_offset_pagination_one_based_and_guarded() -> None:
    first = PageRequest("u", {"offset": "1", "limit": "100"})
    pages = offset_requests(first, 250, 100, source="noaa", first_offset=1)
    assert [p.params["offset"] for p in pages] == ["101", "201"] and [p.page for p in pages] == [2, 3]
    assert offset_requests(first, 100, 100, source="noaa") == []
    with pytest.raises(InputError, match=r"announces 5000 rows, 50 pages of 100 \(limit 10\)"):
        offset_requests(first, 5000, 100, source="eia", max_pages=10)


def test_backfill_ranges() -> None:
    assert Backfill.parse("2020-01-01:2020-12-31").dates() == (date(2020, 1, 1), date(2020, 12, 31))
    assert str(Backfill.parse(" 10 : 20 ")) == "10:20"
    with pytest.raises(ConfigError, match="is not START:END"):
        Backfill.parse("2020-01-01")
    with pytest.raises(ConfigError, match="starts after it ends"):
        Backfill.parse("2021-01-01:2020-01-01").dates()
