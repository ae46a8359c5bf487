"""Replay of the World Bank Indicators API v2 data endpoint (``api.worldbank.org/v2``).

Served below ``/worldbank``::

    GET /worldbank/v2/country/{codes}/indicator/{indicator}?format=json&date=2014:2024&page=1&per_page=50
    GET /worldbank/v2/{lang}/country/{codes}/indicator/{indicator}?...

Behaviour follows ``shared/reference/apis.md`` section 1: ``[metadata, records]`` on success, HTTP 200 with a
``message`` array for an unknown country or indicator, and the recorded 85-byte body for a valid query without
data. Only Viet Nam has data (1990–2024 from the two shipped CSVs, plus 2025 with ``"value": null``; a year the
World Bank has no value for, such as inflation before 1996, is served with ``"value": null`` as the API does);
``all`` means Viet Nam.
``--revise worldbank:<indicator>:<year>=<value|null>`` serves a revised value for one indicator and year instead
(:mod:`workflows.replay.revisions`), as a later WDI vintage would.

Assumptions (not verified against the real API, see the open questions in apis.md):

* ``page`` beyond ``pages`` answers the metadata and an empty list ``[]``.
* a reversed range (``date=2024:2014``) is a valid query without data.
* malformed ``date``/``page``/``per_page``/``mrv``/``mrnev`` values answer the ``120 Invalid value`` message.
* without ``format=json`` the answer is a small XML rendering of the same content (XML is the API's default).
* paths under ``/worldbank`` that are not the data endpoint answer HTTP 404 with a JSON body.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import unquote
from xml.sax.saxutils import escape, quoteattr

from workflows.replay import data, scale
from workflows.replay.registry import Registration, Request, register
from workflows.replay.responses import Headers, Response, compact_json, json_response, query_params

PREFIX = "/worldbank"
LAST_UPDATED = "2026-07-01"
SOURCE_ID = "2"
FIRST_YEAR = 1990
LAST_YEAR = 2025
DEFAULT_PER_PAGE = 50

_JSON_HEADERS: Headers = (
    ("Content-Type", "application/json;charset=utf-8"),
    ("Access-Control-Allow-Origin", "*"),
    ("Cache-Control", "public, max-age=2592000"),
)
_XML_HEADERS: Headers = (
    ("Content-Type", "application/xml;charset=utf-8"),
    ("Access-Control-Allow-Origin", "*"),
    ("Cache-Control", "public, max-age=2592000"),
)
_PATH = re.compile(
    r"/v2(?:/(?P<lang>[A-Za-z]{2}))?/country/(?P<codes>[^/]+)/indicator/(?P<indicator>[^/]+)/?",
    re.IGNORECASE,
)
_DATE = re.compile(r"(?P<start>[0-9]{4})(?::(?P<end>[0-9]{4}))?")
_DIGITS = re.compile(r"[0-9]{1,9}")
_XML_NS = 'xmlns:wb="http://www.worldbank.org"'

EMPTY_BODY = b'[{"page":0,"pages":0,"per_page":0,"total":0,"sourceid":null,"lastupdated":null},null]'
"""The exact body of a valid query that matches no data (recorded, 85 bytes)."""


@dataclass(frozen=True)
class Indicator:
    """An indicator the replay server knows."""

    code: str
    name: str
    decimal: int


@dataclass(frozen=True)
class Country:
    """A country the replay server knows."""

    iso2: str
    iso3: str
    name: str


@dataclass(frozen=True)
class Message:
    """A World Bank API error message (answered with HTTP 200)."""

    id: str
    key: str
    value: str


INDICATORS: dict[str, Indicator] = {
    indicator.code: indicator
    for indicator in (
        Indicator("NY.GDP.MKTP.CD", "GDP (current US$)", 0),
        Indicator("FP.CPI.TOTL.ZG", "Inflation, consumer prices (annual %)", 1),
        Indicator("SL.UEM.TOTL.ZS", "Unemployment, total (% of total labor force) (modeled ILO estimate)", 1),
    )
}
VIET_NAM = Country("VN", "VNM", "Viet Nam")
COUNTRIES: tuple[Country, ...] = (VIET_NAM,)
_COUNTRY_BY_CODE = {code: country for country in COUNTRIES for code in (country.iso2, country.iso3)}

INVALID_VALUE = Message("120", "Invalid value", "The provided parameter value is not valid")


@dataclass(frozen=True)
class _Query:
    """A validated data query."""

    countries: tuple[Country, ...]
    indicator: Indicator
    first_year: int
    last_year: int
    page: int
    per_page: int
    mrv: int | None
    mrnev: int | None


Revisions = dict[tuple[str, int], float | None]


def parse_revision(key: str, value: str) -> tuple[tuple[str, int], float | None]:
    """A revision ``NY.GDP.MKTP.CD:2020`` = ``346615509519.5`` (or ``null``) as ``((indicator, year), value)``.

    Raises:
        ValueError: Naming the bad key or value and the expected form.
    """
    indicator, _, year = key.rpartition(":")
    if indicator not in INDICATORS or not year.isdigit() or not FIRST_YEAR <= int(year) <= LAST_YEAR:
        raise ValueError(
            f"bad World Bank revision key {key!r}: expected INDICATOR:YEAR with an indicator of "
            f"{', '.join(INDICATORS)} and a year {FIRST_YEAR}-{LAST_YEAR}"
        )
    if value.lower() == "null":
        return (indicator, int(year)), None
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not math.isfinite(number):
        raise ValueError(f"bad World Bank revision value {value!r} for {key}: expected a number or null")
    return (indicator, int(year)), number


@dataclass(frozen=True)
class WorldBank:
    """The provider: :func:`handle` with the revisions the server was asked to serve."""

    limiter: None = None

    def handle(self, request: Request) -> Response:
        """Answer one request, with the request's revisions applied."""
        revisions = dict(parse_revision(key, value) for key, value in request.revisions.items())
        return handle(request.path, request.query, request.snapshot, revisions)


def handle(path: str, query: str, snapshot: date, revisions: Revisions | None = None) -> Response:
    """Answer one request below ``/worldbank``.

    Args:
        path: The request path with the ``/worldbank`` prefix removed, e.g. ``/v2/country/VN/indicator/X``.
        query: The raw query string.
        snapshot: The server's snapshot date (World Bank answers do not depend on it).
        revisions: Values served instead of the shipped ones, by (indicator, year).

    Returns:
        The response to send.
    """
    del snapshot  # one WDI vintage only (revisions stand in for a later one)
    match = _PATH.fullmatch(path)
    if match is None:
        return json_response(404, {"error": "not found", "path": PREFIX + path})
    params = {key.lower(): value for key, value in query_params(query).items()}
    as_json = params.get("format", "").lower() == "json"
    if scale.is_scale_indicator(unquote(match["indicator"])):
        years = _parse_date(params.get("date")) or (0, -1)
        page, per_page = _positive_int(params.get("page"), 1), _positive_int(params.get("per_page"), DEFAULT_PER_PAGE)
        answer = scale.handle(
            unquote(match["codes"]),
            unquote(match["indicator"]),
            years if params.get("date") else (scale.FIRST_YEAR, scale.LAST_YEAR),
            page or 1,
            per_page or DEFAULT_PER_PAGE,
        )
        if answer is not None:
            return answer
    parsed = _parse(unquote(match["codes"]), unquote(match["indicator"]), params)
    if parsed is None:
        return _message(INVALID_VALUE, as_json)
    records = _records(parsed, revisions or {})
    if not records:
        return Response(200, _JSON_HEADERS, EMPTY_BODY) if as_json else _xml_empty()
    pages = math.ceil(len(records) / parsed.per_page)
    metadata: dict[str, Any] = {
        "page": parsed.page,
        "pages": pages,
        "per_page": parsed.per_page,
        "total": len(records),
        "sourceid": SOURCE_ID,
        "lastupdated": LAST_UPDATED,
    }
    start = (parsed.page - 1) * parsed.per_page
    window = records[start : start + parsed.per_page]
    if as_json:
        return Response(200, _JSON_HEADERS, compact_json([metadata, window]))
    return _xml_data(metadata, window)


def _parse(codes: str, indicator_code: str, params: dict[str, str]) -> _Query | None:
    """Validate the path values and query parameters; ``None`` means "invalid value"."""
    countries = _parse_countries(codes)
    indicator = INDICATORS.get(indicator_code)
    years = _parse_date(params.get("date"))
    page = _positive_int(params.get("page"), 1)
    per_page = _positive_int(params.get("per_page"), DEFAULT_PER_PAGE)
    mrv = _positive_int(params.get("mrv"), 0)
    mrnev = _positive_int(params.get("mrnev"), 0)
    if countries is None or indicator is None or years is None:
        return None
    if page is None or per_page is None or mrv is None or mrnev is None:
        return None
    return _Query(countries, indicator, years[0], years[1], page, per_page, mrv or None, mrnev or None)


def _parse_countries(codes: str) -> tuple[Country, ...] | None:
    """Parse ``VN``, ``vnm``, ``VN;VNM`` or ``all`` into known countries, without duplicates."""
    found: list[Country] = []
    for code in codes.split(";"):
        code = code.strip().upper()
        matched = COUNTRIES if code == "ALL" else (_COUNTRY_BY_CODE.get(code),)
        for country in matched:
            if country is None:
                return None
            if country not in found:
                found.append(country)
    return tuple(found)


def _parse_date(value: str | None) -> tuple[int, int] | None:
    """Parse ``YYYY`` or ``YYYY:YYYY`` (no value: every known year)."""
    if value is None:
        return FIRST_YEAR, LAST_YEAR
    match = _DATE.fullmatch(value.strip())
    if match is None:
        return None
    start = int(match["start"])
    return start, int(match["end"] or start)


def _positive_int(value: str | None, default: int) -> int | None:
    """Parse a positive integer parameter (no value: ``default``; not a positive integer: ``None``)."""
    if value is None:
        return default
    value = value.strip()
    if not _DIGITS.fullmatch(value) or int(value) < 1:
        return None
    return int(value)


def _records(query: _Query, revisions: Revisions) -> list[dict[str, Any]]:
    """Build the records of a query, grouped by country, newest year first."""
    values = {**data.worldbank_values(), **revisions}
    first = max(query.first_year, FIRST_YEAR)
    last = min(query.last_year, LAST_YEAR)
    records: list[dict[str, Any]] = []
    for country in query.countries:
        series = [(year, values.get((query.indicator.code, year))) for year in range(last, first - 1, -1)]
        if query.mrnev is not None:
            series = [item for item in series if item[1] is not None][: query.mrnev]
        elif query.mrv is not None:
            series = series[: query.mrv]
        records.extend(_record(query.indicator, country, year, value) for year, value in series)
    return records


def _record(indicator: Indicator, country: Country, year: int, value: float | None) -> dict[str, Any]:
    """One data record, keys in the order the API serves them."""
    return {
        "indicator": {"id": indicator.code, "value": indicator.name},
        "country": {"id": country.iso2, "value": country.name},
        "countryiso3code": country.iso3,
        "date": str(year),
        "value": value,
        "unit": "",
        "obs_status": "",
        "decimal": indicator.decimal,
    }


def _message(message: Message, as_json: bool) -> Response:
    """An error message, answered with HTTP 200 like the real API."""
    if as_json:
        body = [{"message": [{"id": message.id, "key": message.key, "value": message.value}]}]
        return Response(200, _JSON_HEADERS, compact_json(body))
    xml = (
        f"<wb:error {_XML_NS}><wb:message id={quoteattr(message.id)} key={quoteattr(message.key)}>"
        f"{escape(message.value)}</wb:message></wb:error>"
    )
    return _xml(xml)


def _xml_empty() -> Response:
    """The XML rendering of a query without data."""
    return _xml(f'<wb:data page="0" pages="0" per_page="0" total="0" sourceid="" lastupdated="" {_XML_NS} />')


def _xml_data(metadata: dict[str, Any], records: list[dict[str, Any]]) -> Response:
    """The XML rendering of ``[metadata, records]``."""
    attributes = " ".join(f"{key}={quoteattr(str(value))}" for key, value in metadata.items())
    parts = [f"<wb:data {attributes} {_XML_NS}>"]
    for record in records:
        value = record["value"]
        parts.append(
            "<wb:data>"
            f"<wb:indicator id={quoteattr(record['indicator']['id'])}>"
            f"{escape(record['indicator']['value'])}</wb:indicator>"
            f"<wb:country id={quoteattr(record['country']['id'])}>"
            f"{escape(record['country']['value'])}</wb:country>"
            f"<wb:countryiso3code>{record['countryiso3code']}</wb:countryiso3code>"
            f"<wb:date>{record['date']}</wb:date>"
            + ("<wb:value />" if value is None else f"<wb:value>{value!r}</wb:value>")
            + f"<wb:unit /><wb:obs_status /><wb:decimal>{record['decimal']}</wb:decimal></wb:data>"
        )
    parts.append("</wb:data>")
    return _xml("".join(parts))


def _xml(document: str) -> Response:
    """Wrap an XML document in a response."""
    body = '<?xml version="1.0" encoding="utf-8"?>' + document
    return Response(200, _XML_HEADERS, body.encode("utf-8"))


register(
    Registration(
        name="worldbank", source="worldbank", base_path=f"{PREFIX}/v2", create=WorldBank, revise=parse_revision
    )
)
