"""Replay of the FRED API (``api.stlouisfed.org/fred``), served below ``/fred``.

Routes::

    GET /fred/series/observations?series_id=UNRATE&api_key=…&file_type=json&observation_start=…&limit=…&offset=…
    GET /fred/series?series_id=UNRATE&api_key=…&file_type=json

Behaviour follows ``shared/reference/apis.md`` §3: values are strings and ``"."`` marks a missing observation;
``count`` is the total whatever ``limit``; errors carry a real status and ``{"error_code", "error_message"}``
with two spaces after each period; the metadata key is ``seriess``. Data are generated (:mod:`synthetic`):
observations exist up to the server's snapshot date (minus a publication lag), and values of the last 90 days
before the snapshot are "preliminary": they change when the snapshot moves, as FRED's revised vintages do.

Keys: any 32-character lower-case alphanumeric string is registered; others get the recorded 400 messages.
Limit: 120 requests per minute per key, HTTP 429 beyond (apis.md: the working figure).

Assumptions (not verified against the real API): the 429 body text; ``file_type`` other than ``json`` gets a
minimal XML rendering; an ``offset`` beyond ``count`` returns an empty list.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import parse_qs
from xml.sax.saxutils import quoteattr

from workflows.replay.limits import KeyedLimiter, Quota, Window
from workflows.replay.registry import Registration, Request, register
from workflows.replay.responses import Headers, Response, compact_json
from workflows.replay.synthetic import days, first_value, months, unit, wave

PREFIX = "/fred"
DEFAULT_QUOTA = Quota((Window(120, 60.0),))
REVISION_DAYS = 90
_HEADERS: Headers = (("Content-Type", "application/json; charset=UTF-8"),)
_KEY = re.compile(r"[a-z0-9]{32}")
_DOCS = "Read https://fred.stlouisfed.org/docs/api/api_key.html for more information."


@dataclass(frozen=True)
class Series:
    """A series the replay knows."""

    id: str
    title: str
    frequency: str
    frequency_short: str
    units: str
    units_short: str
    seasonal_adjustment: str
    seasonal_adjustment_short: str
    start: date
    base: float
    amplitude: float
    trend: float
    noise: float
    decimals: int


SERIES: dict[str, Series] = {
    s.id: s
    for s in (
        Series(
            "GDP",
            "Gross Domestic Product",
            "Quarterly",
            "Q",
            "Billions of Dollars",
            "Bil. of $",
            "Seasonally Adjusted Annual Rate",
            "SAAR",
            date(1947, 1, 1),
            10000.0,
            150.0,
            520.0,
            40.0,
            3,
        ),
        Series(
            "UNRATE",
            "Unemployment Rate",
            "Monthly",
            "M",
            "Percent",
            "%",
            "Seasonally Adjusted",
            "SA",
            date(1948, 1, 1),
            5.5,
            1.5,
            0.0,
            0.3,
            1,
        ),
        Series(
            "CPIAUCSL",
            "Consumer Price Index for All Urban Consumers: All Items in U.S. City Average",
            "Monthly",
            "M",
            "Index 1982-1984=100",
            "Index 1982-1984=100",
            "Seasonally Adjusted",
            "SA",
            date(1947, 1, 1),
            170.0,
            2.0,
            4.5,
            0.4,
            3,
        ),
        Series(
            "DGS10",
            "Market Yield on U.S. Treasury Securities at 10-Year Constant Maturity, Quoted on an Investment Basis",
            "Daily",
            "D",
            "Percent",
            "%",
            "Not Seasonally Adjusted",
            "NSA",
            date(1962, 1, 2),
            4.0,
            1.2,
            -0.05,
            0.08,
            2,
        ),
    )
}


def _error(status: int, message: str) -> Response:
    return Response(status, _HEADERS, compact_json({"error_code": status, "error_message": message}))


def _dates(series: Series, snapshot: date) -> list[date]:
    """Observation dates published by ``snapshot`` (after the publication lag of the frequency)."""
    if series.frequency_short == "D":
        return [d for d in days(series.start, snapshot - timedelta(days=1)) if d.weekday() < 5]
    step, lag = (3, 120) if series.frequency_short == "Q" else (1, 35)
    return list(months(series.start, snapshot - timedelta(days=lag), step))


@functools.lru_cache(maxsize=64)
def observations(series_id: str, snapshot: date) -> tuple[tuple[str, str], ...]:
    """(date, value) of every observation of a series as of ``snapshot``; missing values are ``"."``."""
    series = SERIES[series_id]
    out = []
    for day in _dates(series, snapshot):
        if series.frequency_short == "D" and unit(series.id, day, "holiday") < 0.04:
            out.append((day.isoformat(), "."))  # a market holiday: FRED keeps the date with "."
            continue
        if series.id == "UNRATE" and day == date(2025, 10, 1):
            out.append((day.isoformat(), "."))  # not collected (recorded: the October 2025 shutdown)
            continue
        value = wave(day, series.base, series.amplitude, 365.25 * 7, series.trend)
        value += series.noise * (unit(series.id, day) - 0.5)
        if (snapshot - day).days <= REVISION_DAYS:  # preliminary: revised as the snapshot moves
            value += series.noise * (unit(series.id, day, snapshot) - 0.5)
        out.append((day.isoformat(), f"{value:.{series.decimals}f}"))
    return tuple(out)


class FredProvider:
    """The FRED replay: routes, key checks and the per-key rate limit."""

    prefix = PREFIX

    def __init__(self) -> None:
        """A provider with the published quota."""
        self.limiter = KeyedLimiter(DEFAULT_QUOTA)

    def handle(self, request: Request) -> Response:
        """Answer one request below ``/fred``."""
        params = parse_qs(request.query, keep_blank_values=True)
        route = request.path.rstrip("/")
        if route not in ("/series/observations", "/series"):
            return _error(404, "Not Found.  The requested resource does not exist.")
        key = first_value(params, "api_key")
        if not key:
            return _error(400, f"Bad Request.  Variable api_key is not set. {_DOCS}")
        if not _KEY.fullmatch(key):
            return _error(
                400,
                "Bad Request.  The value for variable api_key is not a 32 character alpha-numeric lower-case "
                f"string.  {_DOCS}",
            )
        verdict, _ = self.limiter.admit(key, request.at)
        if verdict != "ok":
            return _error(429, "Too Many Requests.  Exceeded Rate Limit")
        series_id = first_value(params, "series_id")
        if not series_id:
            return _error(400, "Bad Request.  Variable series_id is not set.")
        if "," in series_id or not re.fullmatch(r"[A-Za-z0-9_]{1,25}", series_id):
            return _error(400, "Bad Request.  Series IDs should be 25 or less alphanumeric characters.")
        series = SERIES.get(series_id.upper())
        if series is None:
            return _error(400, "Bad Request.  The series does not exist.")
        file_type = first_value(params, "file_type") or "xml"
        if file_type not in ("json", "xml"):
            return _error(400, "Bad Request.  Variable file_type is not one of the values: xml, json.")
        if route == "/series":
            return self._series(series, request.snapshot, file_type)
        return self._observations(series, params, request.snapshot, file_type)

    def _series(self, s: Series, snapshot: date, file_type: str) -> Response:
        obs = observations(s.id, snapshot)
        item = {
            "id": s.id,
            "realtime_start": snapshot.isoformat(),
            "realtime_end": snapshot.isoformat(),
            "title": s.title,
            "observation_start": s.start.isoformat(),
            "observation_end": obs[-1][0] if obs else s.start.isoformat(),
            "frequency": s.frequency,
            "frequency_short": s.frequency_short,
            "units": s.units,
            "units_short": s.units_short,
            "seasonal_adjustment": s.seasonal_adjustment,
            "seasonal_adjustment_short": s.seasonal_adjustment_short,
            "last_updated": f"{(snapshot - timedelta(days=1)).isoformat()} 07:46:02-05",
            "popularity": 80,
            "notes": "Generated by the Tributary replay server; not real data.",
        }
        if file_type == "xml":
            attrs = " ".join(f"{k}={quoteattr(str(v))}" for k, v in item.items())
            return _xml(f"<seriess><series {attrs}/></seriess>")
        body = {"realtime_start": snapshot.isoformat(), "realtime_end": snapshot.isoformat(), "seriess": [item]}
        return Response(200, _HEADERS, compact_json(body))

    def _observations(self, s: Series, params: dict[str, list[str]], snapshot: date, file_type: str) -> Response:
        start_text = first_value(params, "observation_start")
        end_text = first_value(params, "observation_end")
        try:
            start = date.fromisoformat(start_text) if start_text else date(1776, 7, 4)
            end = date.fromisoformat(end_text) if end_text else date(9999, 12, 31)
        except ValueError:
            return _error(400, "Bad Request.  Variable observation_start is not a valid date (YYYY-MM-DD).")
        try:
            limit = int(first_value(params, "limit") or 100000)
            offset = int(first_value(params, "offset") or 0)
        except ValueError:
            return _error(400, "Bad Request.  Variable limit or offset is not an integer.")
        if not 1 <= limit <= 100000:
            return _error(400, "Bad Request.  Variable limit is not between 1 and 100000.")
        if offset < 0:
            return _error(400, "Bad Request.  Variable offset is not 0 or greater.")
        order = first_value(params, "sort_order") or "asc"
        if order not in ("asc", "desc"):
            return _error(400, "Bad Request.  Variable sort_order is not one of the values: asc, desc.")
        units = first_value(params, "units") or "lin"
        if units != "lin":
            return _error(400, f"Bad Request.  The replay server only serves units lin, not {units}.")
        rows = [(d, v) for d, v in observations(s.id, snapshot) if start.isoformat() <= d <= end.isoformat()]
        if order == "desc":
            rows.reverse()
        page = rows[offset : offset + limit]
        stamp = snapshot.isoformat()
        if file_type == "xml":
            inner = "".join(
                f'<observation realtime_start="{stamp}" realtime_end="{stamp}" date="{d}" value="{v}"/>'
                for d, v in page
            )
            return _xml(f'<observations count="{len(rows)}" offset="{offset}" limit="{limit}">{inner}</observations>')
        body = {
            "realtime_start": stamp,
            "realtime_end": stamp,
            "observation_start": start_text or "1600-01-01",
            "observation_end": end_text or "9999-12-31",
            "units": "lin",
            "output_type": 1,
            "file_type": "json",
            "order_by": "observation_date",
            "sort_order": order,
            "count": len(rows),
            "offset": offset,
            "limit": limit,
            "observations": [{"realtime_start": stamp, "realtime_end": stamp, "date": d, "value": v} for d, v in page],
        }
        return Response(200, _HEADERS, compact_json(body))


def _xml(document: str) -> Response:
    body = '<?xml version="1.0" encoding="utf-8" ?>' + document
    return Response(200, (("Content-Type", "text/xml; charset=UTF-8"),), body.encode())


DEMO_KEY = "replay" + "0" * 26
"""A key this replay accepts (32 lower-case alphanumerics, as FRED's are): never a real key."""

register(
    Registration(name="fred", source="fred", base_path=PREFIX, create=FredProvider, quota=DEFAULT_QUOTA, key=DEMO_KEY)
)
