"""The keyed providers: FRED, EIA and NOAA CDO formats, errors, and their per-key quotas (HTTP 429)."""

from __future__ import annotations

import pytest
import requests

from workflows.replay.server import Quota, ReplayServer, Window

FRED_KEY = "abcdefghij0123456789abcdefghij01"
EIA_KEY = "EIAkey0123456789abcdefgh"
NOAA = {"token": "NOAAtoken0123456789abcd"}


@pytest.fixture
def keyed(server: ReplayServer) -> ReplayServer:
    server.reset_quotas()
    return server


def fred(
    http: requests.Session, server: ReplayServer, route: str = "/series/observations", **params: str
) -> requests.Response:
    return http.get(
        f"{server.base_url('fred')}{route}", params={"api_key": FRED_KEY, "file_type": "json", **params}, timeout=10
    )


def test_fred_pages_count_and_missing_values(http: requests.Session, keyed: ReplayServer) -> None:
    first = fred(http, keyed, series_id="DGS10", observation_start="2024-01-01", limit="100").json()
    second = fred(http, keyed, series_id="DGS10", observation_start="2024-01-01", limit="100", offset="100").json()
    assert first["count"] == second["count"] > 200 and (first["limit"], second["offset"]) == (100, 100)
    dates = [o["date"] for o in first["observations"] + second["observations"]]
    assert dates == sorted(set(dates)) and len(dates) == 200
    values = [o["value"] for o in first["observations"]]
    assert all(isinstance(v, str) for v in values) and "." in values
    empty = fred(http, keyed, series_id="UNRATE", observation_start="2030-01-01").json()
    assert (empty["count"], empty["observations"]) == (0, [])


def test_fred_metadata_and_errors(http: requests.Session, keyed: ReplayServer) -> None:
    meta = fred(http, keyed, "/series", series_id="UNRATE").json()
    assert meta["seriess"][0]["units"] == "Percent" and meta["seriess"][0]["last_updated"].endswith("-05")
    missing = http.get(f"{keyed.base_url('fred')}/series", params={"series_id": "UNRATE"}, timeout=10)
    assert missing.status_code == 400
    assert missing.json()["error_message"].startswith("Bad Request.  Variable api_key is not set.")
    bad = http.get(f"{keyed.base_url('fred')}/series", params={"series_id": "UNRATE", "api_key": "KEY"}, timeout=10)
    assert "not a 32 character alpha-numeric lower-case string" in bad.json()["error_message"]
    unknown = fred(http, keyed, "/series", series_id="NOSUCH")
    assert unknown.status_code == 400
    assert unknown.json() == {"error_code": 400, "error_message": "Bad Request.  The series does not exist."}


def test_fred_answers_429_beyond_its_quota_per_key(http: requests.Session, keyed: ReplayServer) -> None:
    keyed.set_quota("fred", Quota((Window(3, 60.0),)))
    statuses = [fred(http, keyed, "/series", series_id="GDP").status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 429, 429]
    other = http.get(
        f"{keyed.base_url('fred')}/series",
        params={"series_id": "GDP", "api_key": "z" * 32, "file_type": "json"},
        timeout=10,
    )
    assert other.status_code == 200  # the quota is per key


def eia(http: requests.Session, server: ReplayServer, **params: str) -> requests.Response:
    base = {
        "api_key": EIA_KEY,
        "frequency": "daily",
        "data[0]": "value",
        "facets[series][]": "RWTC",
        "start": "2024-01-01",
    }
    return http.get(f"{server.base_url('eia')}/petroleum/pri/spt/data/", params={**base, **params}, timeout=10)


def test_eia_strings_echo_and_truncation_warning(http: requests.Session, keyed: ReplayServer) -> None:
    body = eia(http, keyed, length="2").json()
    response = body["response"]
    assert isinstance(response["total"], str) and int(response["total"]) > 200
    assert all(isinstance(r["value"], str | None) for r in response["data"]) and len(response["data"]) == 2
    assert body["request"]["params"]["api_key"] == EIA_KEY  # the real API echoes the key
    assert "warnings" not in response
    big = eia(http, keyed, start="1990-01-01", length="6000").json()["response"]
    assert len(big["data"]) == 5000 and big["warnings"][0]["warning"] == "incomplete return"
    monthly = eia(http, keyed, frequency="monthly", start="2024-01", end="2024-03").json()["response"]
    assert [r["period"] for r in monthly["data"]] == ["2024-01", "2024-02", "2024-03"]


def test_eia_errors(http: requests.Session, keyed: ReplayServer) -> None:
    bad = eia(http, keyed, frequency="yearly")
    assert bad.status_code == 400 and bad.json()["error"].startswith("Invalid frequency 'yearly' provided.")
    missing = http.get(f"{keyed.base_url('eia')}/petroleum/pri/spt/data/", timeout=10)
    assert missing.status_code == 403 and missing.json()["error"]["code"] == "API_KEY_MISSING"
    assert eia(http, keyed, api_key="short").json()["error"]["code"] == "API_KEY_INVALID"


def test_eia_bursts_above_five_per_second_are_refused(http: requests.Session, keyed: ReplayServer) -> None:
    statuses = [eia(http, keyed, length="1").status_code for _ in range(7)]
    assert statuses[:5] == [200] * 5 and 429 in statuses[5:]


def noaa(
    http: requests.Session, server: ReplayServer, headers: dict[str, str] | None = None, **params: str | list[str]
) -> requests.Response:
    base: dict[str, str | list[str]] = {
        "datasetid": "GHCND",
        "stationid": "GHCND:USW00094728",
        "startdate": "2024-01-01",
        "enddate": "2024-01-10",
    }
    sent = NOAA if headers is None else headers
    return http.get(f"{server.base_url('noaa')}/data", params={**base, **params}, headers=sent, timeout=10)


def test_noaa_one_based_pages_and_empty_object(http: requests.Session, keyed: ReplayServer) -> None:
    first = noaa(http, keyed, datatypeid=["TMAX", "TMIN"], limit="5", offset="1").json()
    zero = noaa(http, keyed, datatypeid=["TMAX", "TMIN"], limit="5", offset="0").json()
    second = noaa(http, keyed, datatypeid=["TMAX", "TMIN"], limit="5", offset="6").json()
    assert first == zero and first["metadata"]["resultset"]["offset"] == 1
    assert first["metadata"]["resultset"]["count"] <= 20
    assert first["results"][0]["date"] == "2024-01-01T00:00:00" and isinstance(first["results"][0]["value"], int)
    assert first["results"][-1] != second["results"][0]
    assert noaa(http, keyed, startdate="2030-01-01", enddate="2030-01-31").content == b"{}"


def test_noaa_errors(http: requests.Session, keyed: ReplayServer) -> None:
    too_long = noaa(http, keyed, startdate="2023-01-01", enddate="2024-01-01")
    assert too_long.status_code == 400
    assert too_long.json()["developerMessage"] == "The date range must be less than 1 year."
    assert noaa(http, keyed, startdate="2023-01-02", enddate="2024-01-01").status_code == 200
    assert noaa(http, keyed, limit="1001").status_code == 400
    assert noaa(http, keyed, headers={}).json() == {"status": "400", "message": "Token parameter is required."}


def test_noaa_limits_per_second_and_per_day(http: requests.Session, keyed: ReplayServer) -> None:
    statuses = [noaa(http, keyed, limit="1").status_code for _ in range(7)]
    assert statuses[:5] == [200] * 5 and 429 in statuses[5:]
    refused = noaa(http, keyed, limit="1")
    if refused.status_code == 429:
        assert refused.content == (
            b'{"status" : "429", "message" : "This token has reached its temporary request limit of 5 per second."}'
        )
    keyed.set_quota("noaa", Quota((), per_day=2))
    assert [noaa(http, keyed).status_code for _ in range(3)] == [200, 200, 429]
    assert "daily request limit" in noaa(http, keyed).json()["message"]
    assert [r.status for r in keyed.requests][-4:] == [200, 200, 429, 429]  # the log keeps every answer


def test_limits_admin_endpoint(http: requests.Session, keyed: ReplayServer) -> None:
    limits = http.get(f"{keyed.url}/_replay/limits", timeout=10).json()
    assert limits["noaa"] == {"windows": [[5, 1.0]], "per_day": 10000}
    assert limits["fred"] == {"windows": [[120, 60.0]], "per_day": None}
    changed = http.post(f"{keyed.url}/_replay/limits", json={"provider": "fred", "windows": [[2, 1]]}, timeout=10)
    assert changed.json()["fred"] == {"windows": [[2, 1.0]], "per_day": None}
    assert keyed.quota("fred") == Quota((Window(2, 1.0),))
    assert http.post(f"{keyed.url}/_replay/limits", json={"provider": "nope"}, timeout=10).status_code == 400
    assert http.delete(f"{keyed.url}/_replay/limits", timeout=10).json()["fred"]["windows"] == [[120, 60.0]]
