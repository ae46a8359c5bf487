"""The shared HTTP client against the replay server with faults switched on."""

import time

import pytest

from steps.config import HttpPolicy
from steps.errors import ConfigError, InputError, TransientError
from steps.http import HttpClient
from steps.retry_after import retry_after_seconds as _retry_after
from workflows.replay.server import Fault, ReplayServer

POLICY = HttpPolicy(connect_timeout_s=2, read_timeout_s=1, max_attempts=3, backoff_base_s=0.05, backoff_max_s=0.1)
GDP = "/worldbank/v2/country/VN/indicator/NY.GDP.MKTP.CD"
PARAMS = {"format": "json", "date": "2014:2024"}


def _client(sleeps: list[float] | None = None) -> HttpClient:
    def sleep(s: float) -> None:
        if sleeps is not None:
            sleeps.append(s)
        time.sleep(min(s, 0.01))

    return HttpClient("worldbank", POLICY, sleep=sleep)


def test_429_with_retry_after_is_honoured_then_succeeds(replay_server: ReplayServer) -> None:
    replay_server.add_fault(Fault(path="NY.GDP", status=429, times=1, retry_after=3))
    sleeps: list[float] = []
    resp = _client(sleeps).get(replay_server.url + GDP, PARAMS)
    assert resp.status == 200 and resp.attempts == 2
    assert sleeps == [3.0]  # the server's Retry-After, not our backoff


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_5xx_is_retried_with_backoff_then_succeeds(replay_server: ReplayServer, status: int) -> None:
    replay_server.add_fault(Fault(path="NY.GDP", status=status, times=2))
    sleeps: list[float] = []
    client = _client(sleeps)
    resp = client.get(replay_server.url + GDP, PARAMS)
    assert resp.attempts == 3 and client.stats.retries == 2
    assert 0.025 <= sleeps[0] <= 0.05 and 0.05 <= sleeps[1] <= 0.1  # exponential, jittered, capped


def test_retries_exhausted_is_transient(replay_server: ReplayServer) -> None:
    replay_server.add_fault(Fault(path="NY.GDP", status=503))
    with pytest.raises(TransientError) as err:
        _client().get(replay_server.url + GDP, PARAMS)
    assert "failed after 3 attempts (last: HTTP 503)" in err.value.line()
    assert err.value.exit_code == 75
    assert len([r for r in replay_server.requests if "NY.GDP" in r.path]) == 3


def test_truncated_body_and_slow_answer_are_retried(replay_server: ReplayServer) -> None:
    replay_server.add_fault(Fault(path="NY.GDP", truncate=20, times=1))
    replay_server.add_fault(Fault(path="NY.GDP", delay=1.5, times=1))  # longer than the 1 s read timeout
    resp = _client().get(replay_server.url + GDP, PARAMS)
    assert resp.attempts == 3 and resp.body.startswith(b"[{")


def test_404_is_bad_input_and_not_retried(replay_server: ReplayServer) -> None:
    with pytest.raises(InputError) as err:
        _client().get(replay_server.base_url("vn_provinces") + "/api/p/999", {"depth": "1"})
    assert "HTTP 404" in err.value.line() and err.value.exit_code == 2
    assert len(replay_server.requests) == 1


def test_401_is_a_configuration_problem(replay_server: ReplayServer) -> None:
    replay_server.add_fault(Fault(path="NY.GDP", status=401, body='{"error":"bad key"}'))
    with pytest.raises(ConfigError, match="check the API key"):
        _client().get(replay_server.url + GDP, PARAMS)


def test_a_retry_after_beyond_the_limit_fails_at_once(replay_server: ReplayServer) -> None:
    replay_server.add_fault(Fault(path="NY.GDP", status=429, retry_after=3600))
    with pytest.raises(TransientError, match="asked to retry after 3600s"):
        _client().get(replay_server.url + GDP, PARAMS)


def test_secret_query_parameters_are_masked_in_reported_urls(replay_server: ReplayServer) -> None:
    resp = _client().get(replay_server.url + GDP, {**PARAMS, "api_key": "abcdef123456"})
    assert ("abcdef123456" not in resp.url and "api_key=%2A%2A%2A" in resp.url) or "api_key=***" in resp.url


def test_retry_after_parsing() -> None:
    assert _retry_after("7") == 7.0
    assert _retry_after(None) is None
    assert _retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # a date in the past: retry now
    assert _retry_after("soon") is None
