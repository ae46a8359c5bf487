"""The HTTP client with credentials, a shared rate limiter and a circuit breaker, against the replay server."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from steps.breaker import CircuitBreaker, CircuitOpenError
from steps.config import HttpPolicy
from steps.errors import TransientError
from steps.http import HttpClient
from steps.ratelimit import RateLimiter
from steps.sources.config import RateLimit
from tests.steps.sources.helpers import max_in_window
from workflows.replay.server import Fault, ReplayServer

POLICY = HttpPolicy(connect_timeout_s=2, read_timeout_s=2, max_attempts=4, backoff_base_s=0.5, backoff_max_s=1)
GDP = "/worldbank/v2/country/VN/indicator/NY.GDP.MKTP.CD"


def test_credentials_are_sent_and_masked(replay_server: ReplayServer) -> None:
    client = HttpClient("fred", POLICY)
    key = "k" * 32
    client.authorize(params={"api_key": key}, headers={"token": "header-secret-value"})
    resp = client.get(f"{replay_server.base_url('fred')}/series", {"series_id": "GDP", "file_type": "json"})
    assert resp.status == 200 and "api_key=%2A%2A%2A" in resp.url and key not in resp.url
    assert key in client.secrets and "header-secret-value" in client.secrets
    assert f"api_key={key}" in replay_server.requests[-1].query


def test_breaker_stops_every_thread_quickly(replay_server: ReplayServer) -> None:
    replay_server.add_fault(Fault(path="NY.GDP", status=503))
    client = HttpClient("worldbank", POLICY, breaker=CircuitBreaker("worldbank", 3))
    started = time.monotonic()

    def fetch(_: int) -> str:
        try:
            client.get(replay_server.url + GDP, {"format": "json"})
        except CircuitOpenError as exc:
            return exc.line()
        except TransientError as exc:  # pragma: no cover - would mean the breaker did not trip
            return f"transient: {exc.line()}"
        return "ok"

    with ThreadPoolExecutor(4) as pool:
        outcomes = list(pool.map(fetch, range(8)))
    assert all("circuit breaker open after 3 consecutive failed requests" in o for o in outcomes)
    assert len(replay_server.requests) <= 3 + 3  # the trip, plus at most one attempt in flight per other thread
    assert time.monotonic() - started < 2  # backoff waits end as soon as the breaker opens
    assert client.breaker is not None and client.breaker.snapshot() == {"state": "open", "failures": 3}


def test_a_shared_limiter_paces_concurrent_requests(replay_server: ReplayServer) -> None:
    limiter = RateLimiter([RateLimit(requests=4, per_seconds=1)])
    client = HttpClient("worldbank", POLICY, limiter=limiter)
    with ThreadPoolExecutor(6) as pool:
        list(pool.map(lambda _: client.get(replay_server.url + GDP, {"format": "json"}), range(10)))
    times = [r.at for r in replay_server.requests]
    assert len(times) == 10 and max_in_window(times, 1.0) <= 4
    assert limiter.metrics()["waits"] >= 8


def test_429_does_not_count_towards_the_breaker(replay_server: ReplayServer) -> None:
    replay_server.add_fault(Fault(path="NY.GDP", status=429, times=3))
    breaker = CircuitBreaker("worldbank", 2)
    sleeps: list[float] = []
    client = HttpClient("worldbank", POLICY, breaker=breaker, sleep=sleeps.append)
    assert client.get(replay_server.url + GDP, {"format": "json"}).attempts == 4
    assert breaker.snapshot() == {"state": "closed", "failures": 0} and len(sleeps) == 3


@pytest.mark.parametrize("value", [["TMAX", "TMIN"], ("PRCP",)])
def test_sequence_parameters_repeat(replay_server: ReplayServer, value: list[str] | tuple[str, ...]) -> None:
    client = HttpClient("noaa", POLICY)
    client.get(replay_server.url + "/nowhere", {"datatypeid": value}, accept=frozenset({404}))
    assert replay_server.requests[-1].query == "&".join(f"datatypeid={v}" for v in value)
