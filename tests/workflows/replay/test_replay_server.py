"""Server plumbing: admin endpoints, snapshot switching, request log, keep-alive, life cycle and the CLI."""

from __future__ import annotations

import http.client
import re
import signal
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
import requests

from workflows.replay.__main__ import main
from workflows.replay.providers import provinces
from workflows.replay.server import (
    POST_REFORM_SNAPSHOT,
    PRE_REFORM_SNAPSHOT,
    REFORM_DATE,
    ReplayServer,
    RequestRecord,
)

REPO = Path(__file__).resolve().parents[3]


def test_constants() -> None:
    expected = (date(2025, 1, 4), date(2026, 2, 21), date(2025, 7, 1))
    assert expected == (PRE_REFORM_SNAPSHOT, POST_REFORM_SNAPSHOT, REFORM_DATE)


def test_urls(server: ReplayServer) -> None:
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", server.url)
    assert server.base_url("worldbank") == f"{server.url}/worldbank/v2"
    assert server.base_url("vn_provinces") == f"{server.url}/provinces"


def test_health(http: requests.Session, server: ReplayServer) -> None:
    response = http.get(f"{server.url}/_replay/health", timeout=10)

    assert response.json() == {"ok": True, "snapshot": "2025-01-04"}


def test_snapshot_switch_from_python(http: requests.Session, server: ReplayServer) -> None:
    url = f"{server.base_url('vn_provinces')}/api/v2/?depth=1"
    assert http.get(url, timeout=10).status_code == 404

    server.snapshot = date(2026, 3, 1)

    assert http.get(url, timeout=10).status_code == 200
    assert http.get(f"{server.url}/_replay/health", timeout=10).json()["snapshot"] == "2026-03-01"


def test_snapshot_switch_over_http(http: requests.Session, server: ReplayServer) -> None:
    response = http.post(f"{server.url}/_replay/snapshot", json={"date": "2026-03-01"}, timeout=10)

    assert response.json() == {"snapshot": "2026-03-01"}
    assert server.snapshot == date(2026, 3, 1)
    assert http.get(f"{server.base_url('vn_provinces')}/api/v2/?depth=1", timeout=10).status_code == 200


@pytest.mark.parametrize("payload", [{"date": "2026-13-01"}, {"date": "01/03/2026"}, {"when": "2026-03-01"}, []])
def test_bad_snapshot_over_http(http: requests.Session, server: ReplayServer, payload: object) -> None:
    response = http.post(f"{server.url}/_replay/snapshot", json=payload, timeout=10)

    assert response.status_code == 400
    assert server.snapshot == PRE_REFORM_SNAPSHOT


def test_snapshot_must_be_a_date(server: ReplayServer) -> None:
    with pytest.raises(TypeError):
        server.snapshot = "2026-03-01"  # type: ignore[assignment]


def test_request_log(http: requests.Session, server: ReplayServer) -> None:
    http.get(f"{server.base_url('vn_provinces')}/api/?depth=1", timeout=10)
    http.get(f"{server.url}/_replay/health", timeout=10)  # admin requests are not logged
    http.get(f"{server.url}/nowhere", timeout=10)

    records = server.requests
    assert [(r.method, r.path, r.query, r.status) for r in records] == [
        ("GET", "/provinces/api/", "depth=1", 200),
        ("GET", "/nowhere", "", 404),
    ]
    assert isinstance(records[0], RequestRecord)
    assert records[0].at <= records[1].at

    logged = http.get(f"{server.url}/_replay/requests", timeout=10).json()
    assert [(r["method"], r["path"], r["query"], r["status"]) for r in logged] == [
        ("GET", "/provinces/api/", "depth=1", 200),
        ("GET", "/nowhere", "", 404),
    ]
    assert set(logged[0]) == {"method", "path", "query", "at", "status"}

    assert http.delete(f"{server.url}/_replay/requests", timeout=10).json() == []
    assert server.requests == []


def test_unknown_paths_and_methods(http: requests.Session, server: ReplayServer) -> None:
    assert http.get(f"{server.url}/v2/country/VN", timeout=10).status_code == 404
    assert http.get(f"{server.url}/_replay/nothing", timeout=10).status_code == 404
    not_allowed = http.post(f"{server.base_url('vn_provinces')}/api/", timeout=10)
    assert not_allowed.status_code == 405
    assert not_allowed.json()["error"]
    assert http.put(f"{server.url}/_replay/health", timeout=10).status_code == 405


def test_head(http: requests.Session, server: ReplayServer) -> None:
    head = http.head(f"{server.base_url('vn_provinces')}/api/?depth=1", timeout=10)
    get = http.get(f"{server.base_url('vn_provinces')}/api/?depth=1", timeout=10)

    assert head.status_code == 200
    assert head.content == b""
    assert int(head.headers["Content-Length"]) == len(get.content)


def test_keep_alive_serves_several_requests_on_one_connection(server: ReplayServer) -> None:
    host, port = server.url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        for path in (
            "/provinces/api/?depth=1",
            "/worldbank/v2/country/VN/indicator/NY.GDP.MKTP.CD?format=json",
        ):
            connection.request("GET", path)
            response = connection.getresponse()
            assert response.status == 200
            assert response.getheader("Connection") is None
            response.read()
        assert connection.sock is not None  # still the same open socket
    finally:
        connection.close()


def test_handlers_are_pure_functions() -> None:
    response = provinces.handle("/api/v2/p/99", "", POST_REFORM_SNAPSHOT)

    assert response.status == 404
    assert ("Cache-Control", "s-maxage=30, stale-while-revalidate") in response.headers
    assert b"province-not-exist" in response.body


def test_stop_releases_the_port_and_drops_connections() -> None:
    server = ReplayServer().start()
    url = server.url
    port = int(url.rsplit(":", 1)[1])
    session = requests.Session()
    assert session.get(f"{url}/_replay/health", timeout=10).ok

    server.stop()
    server.stop()  # idempotent

    with pytest.raises(requests.exceptions.ConnectionError):
        session.get(f"{url}/_replay/health", timeout=2)
    with ReplayServer(port=port) as again:  # the listening socket is released
        assert again.url == url


def test_url_before_start_is_an_error() -> None:
    with pytest.raises(RuntimeError, match="start"):
        _ = ReplayServer().url


def test_context_manager_starts_and_stops() -> None:
    with ReplayServer(snapshot=POST_REFORM_SNAPSHOT) as server:
        assert server.running
        assert requests.get(f"{server.url}/_replay/health", timeout=10).json()["snapshot"] == "2026-02-21"
    assert not server.running


@pytest.mark.parametrize("value", ["2025-13-01", "tomorrow", "20250104"])
def test_cli_bad_snapshot(capsys: pytest.CaptureFixture[str], value: str) -> None:
    assert main(["--snapshot", value]) == 2

    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert repr(value) in err
    assert "YYYY-MM-DD" in err


def test_cli_bad_port(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--port", "http"]) == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_cli_serves_until_interrupted() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "workflows.replay", "--port", "0", "--snapshot", "2026-03-01"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stderr is not None
        line = process.stderr.readline()
        match = re.search(r"replay server listening on (http://\S+) \(snapshot 2026-03-01\)", line)
        assert match, line
        assert requests.get(f"{match[1]}/_replay/health", timeout=10).json() == {
            "ok": True,
            "snapshot": "2026-03-01",
        }
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0
        rest = process.stderr.read()
        assert "GET /_replay/health 200" in rest
        assert process.stdout is not None
        assert process.stdout.read() == ""
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
