"""Replay of NOAA Climate Data Online web services v2 (``www.ncei.noaa.gov/cdo-web/api/v2``), below ``/noaa``.

Routes::

    GET /noaa/cdo-web/api/v2/data?datasetid=GHCND&stationid=GHCND:USW00013874&datatypeid=TMAX&datatypeid=TMIN
        &startdate=2024-01-01&enddate=2024-12-31&limit=1000&offset=1&units=metric      (header ``token: …``)

Behaviour follows ``shared/reference/apis.md`` §5: the token is a header; ``offset`` counts from 1 (0 is read
as 1); ``limit`` defaults to 25 and may not exceed 1000; a GHCND range must be shorter than a year; no data is
``{}`` (no ``metadata``, no ``results``); ``date`` is ``YYYY-MM-DDT00:00:00``; ``attributes`` is GHCND's
``MFLAG,QFLAG,SFLAG,OBS-TIME``; values are tenths of °C and of mm unless ``units`` is ``metric`` (°C, mm) or
``standard`` (°F, inches); the two recorded error shapes (``statusCode``/``developerMessage`` for a bad request,
``status``/``message`` for limits). Data are generated (:mod:`synthetic`) for four stations from 2000 to three
days before the snapshot; about 3% of station-days lack TMIN.

Limits (per token): 5 requests per second and 10,000 per day, HTTP 429 beyond with the recorded body.

Assumptions (not verified): the token-missing and daily-limit texts; sorting by date, then datatype, then station.
"""

from __future__ import annotations

import functools
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs

from workflows.replay.limits import KeyedLimiter, Quota, Window
from workflows.replay.registry import Registration, Request, register
from workflows.replay.responses import Headers, Response, compact_json
from workflows.replay.synthetic import add_years, days, first_value, unit, wave

PREFIX = "/noaa"
DEFAULT_QUOTA = Quota((Window(5, 1.0),), per_day=10_000)
FIRST_DAY = date(2000, 1, 1)
LAG_DAYS = 3
_HEADERS: Headers = (("Content-Type", "application/json;charset=UTF-8"),)
STATIONS = {
    # id: (name, mean temperature °C, seasonal amplitude, rainfall scale, has snow)
    "GHCND:USW00013874": ("ATLANTA HARTSFIELD INTERNATIONAL AIRPORT, GA US", 17.0, 9.0, 35.0, True),
    "GHCND:USW00094728": ("NY CITY CENTRAL PARK, NY US", 13.0, 12.0, 32.0, True),
    "GHCND:VM000048820": ("HA NOI, VM", 24.0, 6.0, 50.0, False),
    "GHCND:VM000048900": ("TAN SON HOA, VM", 28.0, 1.5, 55.0, False),
}
DATATYPES = ("PRCP", "SNOW", "TMAX", "TMIN")


def _bad(message: str) -> Response:
    body = {"statusCode": "400", "userMessage": "There was an error with the request.", "developerMessage": message}
    return Response(400, _HEADERS, compact_json(body))


def _limited(message: str) -> Response:
    # The recorded body has spaces around the colons.
    return Response(429, _HEADERS, f'{{"status" : "429", "message" : "{message}"}}'.encode())


@functools.lru_cache(maxsize=256)
def station_year(station: str, year: int) -> tuple[tuple[date, str, int, str], ...]:
    """Raw GHCND records (date, datatype, value in tenths, attributes) of one station and year."""
    _, mean, amplitude, rain, snows = STATIONS[station]
    out = []
    for day in days(date(year, 1, 1), date(year, 12, 31)):
        seasonal = wave(day, mean, amplitude, 365.25)
        tmax = seasonal + 4 + 3 * (unit(station, day, "tmax") - 0.5)
        tmin = seasonal - 5 + 3 * (unit(station, day, "tmin") - 0.5)
        wet = unit(station, day, "wet")
        prcp = 0.0 if wet < 0.65 else rain * (wet - 0.65) * 3
        source = "W" if station.startswith("GHCND:US") else "S"
        obs_time = "2400" if source == "W" else ""
        attrs = f",,{source},{obs_time}"
        records = [(day, "PRCP", round(prcp * 10), attrs)]
        if snows:
            records.append((day, "SNOW", round(prcp * 8) if tmax < 1 else 0, attrs))
        records.append((day, "TMAX", round(tmax * 10), attrs))
        if unit(station, day, "tmin-missing") >= 0.03:
            records.append((day, "TMIN", round(tmin * 10), attrs))
        out.extend(records)
    return tuple(out)


def _convert(datatype: str, tenths: int, units: str | None) -> float | int:
    if units is None:
        return tenths
    if datatype in ("TMAX", "TMIN"):
        celsius = tenths / 10
        return round(celsius, 1) if units == "metric" else round(celsius * 9 / 5 + 32, 1)
    millimetres = tenths / 10 if datatype == "PRCP" else tenths
    return round(millimetres, 1) if units == "metric" else round(millimetres / 25.4, 2)


class NoaaProvider:
    """The NOAA CDO replay: ``/data`` for GHCND, the token header and the per-token limits."""

    prefix = PREFIX

    def __init__(self) -> None:
        """A provider with the published quota."""
        self.limiter = KeyedLimiter(DEFAULT_QUOTA)

    def handle(self, request: Request) -> Response:
        """Answer one request below ``/noaa``."""
        route = request.path.rstrip("/")
        if not route.startswith("/cdo-web/api/v2"):
            return Response(404, _HEADERS, compact_json({"status": "404", "message": "Not Found"}))
        token = request.headers.get("token", "")
        if not token:
            return Response(400, _HEADERS, compact_json({"status": "400", "message": "Token parameter is required."}))
        if len(token) < 16 or not token.isalnum():
            return Response(400, _HEADERS, compact_json({"status": "400", "message": "Invalid token."}))
        verdict, _ = self.limiter.admit(token, request.at)
        if verdict == "window":
            return _limited("This token has reached its temporary request limit of 5 per second.")
        if verdict == "day":
            return _limited("This token has reached its daily request limit of 10000.")
        if route == "/cdo-web/api/v2/data":
            return self._data(parse_qs(request.query, keep_blank_values=True), request.snapshot)
        if route == "/cdo-web/api/v2/datasets/GHCND":
            return Response(
                200,
                _HEADERS,
                compact_json(
                    {
                        "mindate": FIRST_DAY.isoformat(),
                        "maxdate": "9999-12-31",
                        "name": "Daily Summaries",
                        "datacoverage": 1,
                        "id": "GHCND",
                    }
                ),
            )
        return Response(404, _HEADERS, compact_json({"status": "404", "message": "Not Found"}))

    def _data(self, params: dict[str, list[str]], snapshot: date) -> Response:
        dataset = first_value(params, "datasetid")
        if not dataset:
            return _bad("Required parameter 'datasetid' is missing.")
        if dataset != "GHCND":
            return _bad(f"The replay server only serves datasetid GHCND, not {dataset}.")
        try:
            start = _day(first_value(params, "startdate"))
            end = _day(first_value(params, "enddate"))
        except ValueError:
            return _bad("The startdate and enddate parameters are required and must be valid dates.")
        if end < start:
            return _bad("The enddate must be after the startdate.")
        if end >= add_years(start, 1):
            return _bad("The date range must be less than 1 year.")
        try:
            limit = int(first_value(params, "limit") or 25)
            offset = max(1, int(first_value(params, "offset") or 1))
        except ValueError:
            return _bad("The limit and offset parameters must be integers.")
        if not 1 <= limit <= 1000:
            return _bad("The limit parameter must be between 1 and 1000.")
        units = first_value(params, "units")
        if units not in (None, "metric", "standard"):
            return _bad("The units parameter must be standard or metric.")
        wanted = params.get("stationid")
        stations = [s for s in wanted if s in STATIONS] if wanted else list(STATIONS)
        datatypes = set(params.get("datatypeid", [])) or set(DATATYPES)
        last = min(end, snapshot - timedelta(days=LAG_DAYS))
        rows: list[dict[str, Any]] = []
        for year in range(start.year, last.year + 1) if start <= last else ():
            for station in stations:
                for day, datatype, tenths, attrs in station_year(station, year):
                    if start <= day <= last and datatype in datatypes:
                        rows.append(
                            {
                                "date": f"{day.isoformat()}T00:00:00",
                                "datatype": datatype,
                                "station": station,
                                "attributes": attrs,
                                "value": _convert(datatype, tenths, units),
                            }
                        )
        if not rows:
            return Response(200, _HEADERS, b"{}")
        rows.sort(key=lambda r: (r["date"], r["datatype"], r["station"]))
        page = rows[offset - 1 : offset - 1 + limit]
        body = {"metadata": {"resultset": {"offset": offset, "count": len(rows), "limit": limit}}, "results": page}
        return Response(200, _HEADERS, compact_json(body))


def _day(text: str | None) -> date:
    if not text:
        raise ValueError("missing")
    return datetime.fromisoformat(text).date()


DEMO_TOKEN = "Replay" + "0" * 26
"""A token this replay accepts (16 or more alphanumerics): never a real token."""

register(
    Registration(
        name="noaa",
        source="noaa",
        base_path=f"{PREFIX}/cdo-web/api/v2",
        create=NoaaProvider,
        quota=DEFAULT_QUOTA,
        key=DEMO_TOKEN,
    )
)
