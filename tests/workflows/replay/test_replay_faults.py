"""Fault injection: statuses with Retry-After, delays, truncated and malformed bodies, rule bookkeeping."""

from __future__ import annotations

import socket
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from workflows.replay.server import Fault, ReplayServer

GDP_PATH = "/worldbank/v2/country/VN/indicator/NY.GDP.MKTP.CD"


def gdp(http: requests.Session, server: ReplayServer, timeout: float = 10, **params: str) -> requests.Response:
    """GET the GDP series as JSON."""
    return http.get(f"{server.url}{GDP_PATH}", params={"format": "json", **params}, timeout=timeout)


def test_status_and_retry_after_apply_times_then_normal(http: requests.Session, server: ReplayServer) -> None:
    server.add_fault(Fault(path=r"/worldbank/.*indicator/NY\.GDP", status=503, times=2, retry_after=1))

    first, second, third = (gdp(http, server) for _ in range(3))

    for response in (first, second):
        assert response.status_code == 503
        assert response.headers["Retry-After"] == "1"
        assert response.json() == {"error": "injected fault", "status": 503}
    assert third.status_code == 200
    assert "Retry-After" not in third.headers
    assert third.json()[0]["total"] == 36  # every year the server knows, 1990–2025
    assert [r.status for r in server.requests] == [503, 503, 200]
    assert server.faults[0].times == 0


def test_rules_only_touch_matching_requests(http: requests.Session, server: ReplayServer) -> None:
    server.add_fault(Fault(path=r"FP\.CPI", status=500))

    assert gdp(http, server).status_code == 200
    cpi = http.get(f"{server.base_url('worldbank')}/country/VN/indicator/FP.CPI.TOTL.ZG?format=json", timeout=10)
    assert cpi.status_code == 500


def test_pattern_sees_the_query_string(http: requests.Session, server: ReplayServer) -> None:
    server.add_fault(Fault(path=r"[?&]page=2(&|$)", status=502))

    assert gdp(http, server, per_page="5", page="1").status_code == 200
    assert gdp(http, server, per_page="5", page="2").status_code == 502


def test_first_rule_with_times_left_wins(http: requests.Session, server: ReplayServer) -> None:
    server.set_faults([Fault(path="NY.GDP", status=429, times=1), Fault(path="NY.GDP", status=500, times=1)])

    assert [gdp(http, server).status_code for _ in range(3)] == [429, 500, 200]


def test_delay(http: requests.Session, server: ReplayServer) -> None:
    server.add_fault(Fault(path="NY.GDP", delay=0.3, times=1))

    started = time.monotonic()
    response = gdp(http, server)
    assert time.monotonic() - started >= 0.3
    assert response.status_code == 200


def test_delay_longer_than_client_timeout(http: requests.Session, server: ReplayServer) -> None:
    server.add_fault(Fault(path="NY.GDP", delay=1.0, times=1))

    with pytest.raises(requests.exceptions.ReadTimeout):
        gdp(http, server, timeout=0.2)


def test_truncated_body_makes_requests_raise(http: requests.Session, server: ReplayServer) -> None:
    server.add_fault(Fault(path="NY.GDP", truncate=20, times=1))

    with pytest.raises((requests.exceptions.ChunkedEncodingError, requests.exceptions.ConnectionError)):
        gdp(http, server)
    assert gdp(http, server).status_code == 200  # the next request gets a fresh connection and a full body


def test_truncated_body_declares_full_length(http: requests.Session, server: ReplayServer) -> None:
    full = gdp(http, server).content
    server.add_fault(Fault(path="NY.GDP", truncate=20, times=1))
    host, port = server.url.removeprefix("http://").split(":")

    with socket.create_connection((host, int(port)), timeout=10) as connection:
        connection.sendall(f"GET {GDP_PATH}?format=json HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
        received = b""
        while chunk := connection.recv(65536):  # the server closes the connection after 20 body bytes
            received += chunk

    head, _, body = received.partition(b"\r\n\r\n")
    assert f"Content-Length: {len(full)}".encode() in head
    assert body == full[:20]


def test_malformed_body(http: requests.Session, server: ReplayServer) -> None:
    server.add_fault(Fault(path="NY.GDP", body='[{"page":1,', times=1))

    response = gdp(http, server)

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json;charset=utf-8"
    assert response.content == b'[{"page":1,'
    with pytest.raises(requests.exceptions.JSONDecodeError):
        response.json()


def test_faults_apply_to_provinces_too(http: requests.Session, server: ReplayServer) -> None:
    server.add_fault(Fault(path=r"^/provinces/api/\?depth=3$", status=429, retry_after=30))

    response = http.get(f"{server.base_url('vn_provinces')}/api/?depth=3", timeout=10)
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "30"
    assert http.get(f"{server.base_url('vn_provinces')}/api/?depth=1", timeout=10).status_code == 200


def test_times_is_decremented_atomically(server: ReplayServer) -> None:
    server.add_fault(Fault(path="NY.GDP", status=503, times=5))

    with ThreadPoolExecutor(max_workers=10) as pool:
        statuses = list(pool.map(lambda _: requests.get(f"{server.url}{GDP_PATH}", timeout=10).status_code, range(30)))

    assert statuses.count(503) == 5
    assert statuses.count(200) == 25


def test_clear_faults(http: requests.Session, server: ReplayServer) -> None:
    server.add_fault(Fault(path=".*", status=500))
    server.clear_faults()

    assert server.faults == []
    assert gdp(http, server).status_code == 200


def test_callers_fault_object_is_not_mutated(http: requests.Session, server: ReplayServer) -> None:
    fault = Fault(path="NY.GDP", status=503, times=1)
    server.add_fault(fault)
    gdp(http, server)

    assert fault.times == 1
    assert server.faults[0].times == 0


@pytest.mark.parametrize(
    "kwargs",
    [
        {"path": "("},
        {"path": "x", "status": 700},
        {"path": "x", "times": -1},
        {"path": "x", "delay": -0.5},
        {"path": "x", "truncate": 1.5},
        {"path": "x", "status": True},
    ],
)
def test_invalid_rules_are_rejected(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="fault"):
        Fault(**kwargs)  # type: ignore[arg-type]


def test_rules_over_http(http: requests.Session, server: ReplayServer) -> None:
    rules = [
        {"path": "NY\\.GDP", "status": 503, "times": 1, "retry_after": 2},
        {"path": "FP", "body": "oops"},
    ]

    posted = http.post(f"{server.url}/_replay/faults", json=rules, timeout=10)
    assert posted.status_code == 200
    assert [rule["path"] for rule in posted.json()] == ["NY\\.GDP", "FP"]

    first = gdp(http, server)
    assert (first.status_code, first.headers["Retry-After"]) == (503, "2")
    listed = http.get(f"{server.url}/_replay/faults", timeout=10).json()
    assert listed[0]["times"] == 0

    assert http.delete(f"{server.url}/_replay/faults", timeout=10).json() == []
    assert server.faults == []


@pytest.mark.parametrize(
    "payload",
    [{"path": "x"}, [{"path": "x", "colour": "red"}], [{"status": 500}], [{"path": "x", "status": "500"}]],
)
def test_bad_rules_over_http_are_400(http: requests.Session, server: ReplayServer, payload: object) -> None:
    response = http.post(f"{server.url}/_replay/faults", json=payload, timeout=10)

    assert response.status_code == 400
    assert response.json()["error"]
    assert server.faults == []
