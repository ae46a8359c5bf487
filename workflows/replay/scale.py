"""Scale mode of the World Bank replay: deterministic generated data for ``country/all`` × many indicators.

Indicators named ``BENCH.IND.0001``, ``BENCH.IND.0002``, … exist for 266 synthetic countries and aggregates over
1960–2025 (17,556 records per indicator), newest year first within a country, about 6% of values ``null`` and
2025 always ``null`` (unpublished, as on the real API). Records are serialised once per indicator and cached, so
a page is a slice joined into bytes: the server is not the bottleneck of a benchmark. ``make bench`` asks for 12,
114 and 570 indicators: 0.2 M, 2 M and 10 M rows (up to 9,999 indicators, 175 M rows, are served).
"""

from __future__ import annotations

import functools
import math
import re

from workflows.replay.responses import Headers, Response

COUNTRY_COUNT = 266
FIRST_YEAR, LAST_YEAR = 1960, 2025
INDICATOR = re.compile(r"BENCH\.IND\.(?P<n>[0-9]{4})")
_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_HEADERS: Headers = (("Content-Type", "application/json;charset=utf-8"),)


def is_scale_indicator(code: str) -> bool:
    """Whether ``code`` names a generated indicator."""
    return INDICATOR.fullmatch(code) is not None


def _country(i: int) -> tuple[str, str, str]:
    """(ISO2, ISO3, name) of synthetic country ``i``."""
    a, b, c = _LETTERS[i // 676 % 26], _LETTERS[i // 26 % 26], _LETTERS[i % 26]
    return f"{b}{c}", f"X{b}{c}" if a == "A" else f"{a}{b}{c}", f"Country {i + 1:03d}"


def _value(country: int, year: int, indicator: int) -> bytes:
    if year == LAST_YEAR or (country * 31 + year * 7 + indicator * 13) % 17 == 0:
        return b"null"
    raw = (country * 7919 + year * 104729 + indicator * 1299709) % 10_000_000
    return f"{raw / 100:.2f}".encode()


@functools.lru_cache(maxsize=16)
def _records(indicator: int, first: int, last: int) -> tuple[bytes, ...]:
    """Every serialised record of one indicator and year range, grouped by country, newest year first."""
    code = f"BENCH.IND.{indicator:04d}"
    head = f'{{"indicator":{{"id":"{code}","value":"Benchmark indicator {indicator}"}},'.encode()
    records: list[bytes] = []
    for i in range(COUNTRY_COUNT):
        iso2, iso3, name = _country(i)
        prefix = head + f'"country":{{"id":"{iso2}","value":"{name}"}},"countryiso3code":"{iso3}","date":"'.encode()
        records.extend(
            prefix
            + str(year).encode()
            + b'","value":'
            + _value(i, year, indicator)
            + b',"unit":"","obs_status":"","decimal":2}'
            for year in range(last, first - 1, -1)
        )
    return tuple(records)


def handle(codes: str, indicator_code: str, years: tuple[int, int], page: int, per_page: int) -> Response | None:
    """Answer a scale query, or None when it is not one (``codes`` must be ``all``)."""
    match = INDICATOR.fullmatch(indicator_code)
    if match is None or codes.strip().lower() != "all":
        return None
    first, last = max(years[0], FIRST_YEAR), min(years[1], LAST_YEAR)
    records = _records(int(match["n"]), first, last) if first <= last else ()
    if not records:
        empty = b'[{"page":0,"pages":0,"per_page":0,"total":0,"sourceid":null,"lastupdated":null},null]'
        return Response(200, _HEADERS, empty)
    total = len(records)
    meta = (
        f'[{{"page":{page},"pages":{math.ceil(total / per_page)},"per_page":{per_page},"total":{total},'
        f'"sourceid":"2","lastupdated":"2026-07-01"}},['
    ).encode()
    start = (page - 1) * per_page
    return Response(200, _HEADERS, meta + b",".join(records[start : start + per_page]) + b"]]")
