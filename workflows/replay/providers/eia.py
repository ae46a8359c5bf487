"""Replay of the EIA Open Data API v2 (``api.eia.gov/v2``), served below ``/eia``.

Routes::

    GET /eia/v2/petroleum/pri/spt/data/?api_key=…&frequency=daily&data[0]=value&facets[series][]=RWTC
        &start=2024-01-01&end=…&sort[0][column]=period&sort[0][direction]=asc&offset=0&length=5000
    GET /eia/v2/petroleum/pri/spt/          route metadata

Behaviour follows ``shared/reference/apis.md`` §4: every value and ``total`` is a JSON string and a missing value
is ``null``; ``request.params`` echoes the request **including the api_key**; ``length`` above 5,000 is cut to
5,000 with the "incomplete return" warning inside ``response``; a bad parameter is HTTP 400
``{"error": "…", "code": 400}``; a missing or unknown key is HTTP 403 ``{"error": {"code": "API_KEY_MISSING"|
"API_KEY_INVALID", "message": …}}``. Data are generated (:mod:`synthetic`): WTI (``RWTC``) and Brent
(``RBRTE``) spot prices on business days up to the day before the snapshot, about 2% of them ``null``.

Keys: any alphanumeric key of 20 characters or more is valid. Limit (the FAQ's "safe" figures, enforced):
5 requests per second and 9,000 per hour per key, HTTP 429 with the api.data.gov body beyond.

Assumptions (not verified): the 403 and 429 message texts; the 404 body of an unknown route; monthly and
annual values are means of the business days; ``total`` counts the rows matching the query (one 2026 client saw
the whole dataset's count instead: a client must compare the rows it received).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any
from urllib.parse import parse_qs

from workflows.replay.limits import KeyedLimiter, Quota, Window
from workflows.replay.registry import Registration, Request, register
from workflows.replay.responses import Headers, Response, compact_json
from workflows.replay.synthetic import days, first_value, unit, wave

PREFIX = "/eia"
API_VERSION = "2.1.13"
MAX_LENGTH = 5000
DEFAULT_QUOTA = Quota((Window(5, 1.0), Window(9000, 3600.0)))
_KEY = re.compile(r"[A-Za-z0-9]{20,}")
_FREQUENCIES = ("daily", "weekly", "monthly", "annual")
_ROUTE = "petroleum/pri/spt"
_SERIES = {
    "RWTC": ("YCUOK", "NA", "EPCWTI", "WTI Crude Oil", "Cushing, OK WTI Spot Price FOB (Dollars per Barrel)", 70.0),
    "RBRTE": ("RGC", "NA", "EPCBRENT", "UK Brent Crude Oil", "Europe Brent Spot Price FOB (Dollars per Barrel)", 74.0),
}
_FIRST_DAY = date(1986, 1, 2)
_HEADERS: Headers = (("Content-Type", "application/json"),)
_WARNING = {
    "warning": "incomplete return",
    "description": "The API can only return 5000 rows in JSON format.  Please consider constraining your request "
    "with facet, start, or end, or using offset to paginate results.",
}


def _json(status: int, value: Any, extra: Headers = ()) -> Response:
    return Response(status, _HEADERS + extra, compact_json(value))


def _bad(message: str) -> Response:
    return _json(400, {"error": message, "code": 400})


@functools.lru_cache(maxsize=32)
def daily_values(series: str, snapshot: date) -> tuple[tuple[date, float | None], ...]:
    """Business-day prices of a series up to the day before ``snapshot`` (None: not published that day)."""
    base = _SERIES[series][5]
    out: list[tuple[date, float | None]] = []
    for day in days(_FIRST_DAY, snapshot - timedelta(days=1)):
        if day.weekday() >= 5:
            continue
        if unit(series, day, "gap") < 0.02:
            out.append((day, None))
            continue
        value = wave(day, base, 12.0, 365.25 * 3, 0.9) + 6.0 * (unit(series, day) - 0.5)
        out.append((day, round(max(value, 5.0), 2)))
    return tuple(out)


def _period(day: date, frequency: str) -> str:
    if frequency == "monthly":
        return f"{day.year:04d}-{day.month:02d}"
    if frequency == "annual":
        return f"{day.year:04d}"
    if frequency == "weekly":
        return (day - timedelta(days=day.weekday()) + timedelta(days=4)).isoformat()  # weeks end on Friday
    return day.isoformat()


@functools.lru_cache(maxsize=64)
def series_values(series: str, frequency: str, snapshot: date) -> tuple[tuple[str, str | None], ...]:
    """(period, value as the API's string) of a series at a frequency; aggregates are means of the days."""
    if frequency == "daily":
        return tuple((d.isoformat(), None if v is None else f"{v:.2f}") for d, v in daily_values(series, snapshot))
    groups: dict[str, list[float]] = {}
    for day, value in daily_values(series, snapshot):
        bucket = groups.setdefault(_period(day, frequency), [])
        if value is not None:
            bucket.append(value)
    return tuple((p, f"{sum(v) / len(v):.2f}" if v else None) for p, v in sorted(groups.items()))


class EiaProvider:
    """The EIA replay: one route (petroleum spot prices), key checks and the per-key rate limit."""

    prefix = PREFIX

    def __init__(self) -> None:
        """A provider with the FAQ's safe quota."""
        self.limiter = KeyedLimiter(DEFAULT_QUOTA)

    def handle(self, request: Request) -> Response:
        """Answer one request below ``/eia``."""
        params = parse_qs(request.query, keep_blank_values=True)
        key = first_value(params, "api_key")
        if not key:
            return _json(
                403,
                {
                    "error": {
                        "code": "API_KEY_MISSING",
                        "message": "No api_key was supplied. Get one at https://www.eia.gov/opendata/register.php",
                    }
                },
            )
        if not _KEY.fullmatch(key):
            return _json(
                403,
                {
                    "error": {
                        "code": "API_KEY_INVALID",
                        "message": "An invalid api_key was supplied. Get one at https://www.eia.gov/opendata/register.php",
                    }
                },
            )
        verdict, _ = self.limiter.admit(key, request.at)
        if verdict != "ok":
            message = (
                "You have exceeded your rate limit. Try again later or contact us at "
                "https://www.eia.gov/opendata/ for assistance"
            )
            return _json(
                429,
                {"error": {"code": "OVER_RATE_LIMIT", "message": message}},
                (("X-RateLimit-Limit", "9000"), ("X-RateLimit-Remaining", "0")),
            )
        remaining = (
            ("X-RateLimit-Limit", "9000"),
            ("X-RateLimit-Remaining", str(max(0, 9000 - self.limiter.used_today(key)))),
        )
        route = request.path.strip("/")
        if route == f"v2/{_ROUTE}":
            return _json(200, _metadata(), remaining)
        if route != f"v2/{_ROUTE}/data":
            return _json(404, {"error": f"No route found for '/{route}'", "code": 404})
        return self._data(params, key, remaining, request.snapshot)

    def _data(self, params: dict[str, list[str]], key: str, headers: Headers, snapshot: date) -> Response:
        frequency = first_value(params, "frequency") or "daily"
        if frequency not in _FREQUENCIES:
            return _bad(
                f"Invalid frequency '{frequency}' provided. The only valid frequencies are 'daily', 'weekly', "
                "'monthly', and 'annual'."
            )
        data = params.get("data[0]") or params.get("data[]") or []
        if data and data != ["value"]:
            return _bad(f"Invalid data '{data[0]}' provided. The only valid data are 'value'.")
        facets = {k[len("facets[") : -len("][]")]: v for k, v in params.items() if k.startswith("facets[")}
        unknown = [f for f in facets if f not in ("series", "duoarea", "product", "process")]
        if unknown:
            return _bad(
                f"Invalid facet '{unknown[0]}' provided. The only valid facets are 'series', 'duoarea', "
                "'product', and 'process'."
            )
        wanted = [s for s in facets.get("series", list(_SERIES)) if s in _SERIES]
        start, end = first_value(params, "start"), first_value(params, "end")
        try:
            offset = int(first_value(params, "offset") or 0)
            length = int(first_value(params, "length") or MAX_LENGTH)
        except ValueError:
            return _bad("Invalid offset or length provided; both must be integers.")
        if offset < 0 or length < 0:
            return _bad("Offset and length must not be negative.")
        direction = first_value(params, "sort[0][direction]") or "asc"
        rows = []
        for series in wanted:
            for period, value in series_values(series, frequency, snapshot):
                if (start and period < start) or (end and period > end):
                    continue
                rows.append(_row(series, period, value))
        rows.sort(key=lambda r: (r["period"], r["series"]), reverse=direction == "desc")
        response: dict[str, Any] = {}
        if length > MAX_LENGTH:
            response["warnings"] = [_WARNING]
            length = MAX_LENGTH
        response.update(
            total=str(len(rows)),
            dateFormat="YYYY-MM-DD",
            frequency=frequency,
            data=rows[offset : offset + length],
            description="Spot prices for crude oil (generated).",
        )
        echo = _echo(params, frequency, key)
        body = {
            "response": response,
            "request": {"command": f"/v2/{_ROUTE}/data/", "params": echo},
            "apiVersion": API_VERSION,
            "ExcelAddInVersion": "2.1.0",
        }
        return _json(200, body, headers)


def _row(series: str, period: str, value: str | None) -> dict[str, Any]:
    duoarea, area, product, product_name, description, _ = _SERIES[series]
    return {
        "period": period,
        "duoarea": duoarea,
        "area-name": area,
        "product": product,
        "product-name": product_name,
        "process": "PF4",
        "process-name": "Spot Price FOB",
        "series": series,
        "series-description": description,
        "value": value,
        "units": "$/BBL",
    }


def _echo(params: Mapping[str, list[str]], frequency: str, key: str) -> dict[str, Any]:
    """``request.params`` as the API echoes it: parsed arrays and objects, the api_key included."""
    facets: dict[str, list[str]] = {}
    for name, values in params.items():
        if name.startswith("facets["):
            facets[name[len("facets[") : -len("][]")]] = values
    return {
        "frequency": frequency,
        "data": params.get("data[0]") or params.get("data[]") or [],
        "facets": facets,
        "start": first_value(params, "start"),
        "end": first_value(params, "end"),
        "sort": [
            {
                "column": first_value(params, "sort[0][column]") or "period",
                "direction": first_value(params, "sort[0][direction]") or "asc",
            }
        ],
        "offset": int(first_value(params, "offset") or 0),
        "length": int(first_value(params, "length") or MAX_LENGTH),
        "api_key": key,
    }


def _metadata() -> dict[str, Any]:
    return {
        "response": {
            "id": "spt",
            "name": "Spot Prices",
            "description": "Crude oil spot prices (generated).",
            "frequency": [
                {"id": f, "description": f, "query": f[0].upper(), "format": "YYYY-MM-DD"} for f in _FREQUENCIES
            ],
            "facets": [{"id": "series", "description": "Series Id"}, {"id": "duoarea", "description": "Area"}],
            "data": {"value": {"aggregation-method": "AVG", "alias": "Value", "units": "$/BBL"}},
            "startPeriod": _FIRST_DAY.isoformat(),
            "endPeriod": None,
            "defaultDateFormat": "YYYY-MM-DD",
            "defaultFrequency": "daily",
        },
        "apiVersion": API_VERSION,
    }


DEMO_KEY = "REPLAY" + "0" * 26
"""A key this replay accepts (20 or more alphanumerics): never a real key."""

register(
    Registration(
        name="eia", source="eia", base_path=f"{PREFIX}/v2", create=EiaProvider, quota=DEFAULT_QUOTA, key=DEMO_KEY
    )
)
