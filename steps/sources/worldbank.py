"""World Bank indicators API v2: one stream per indicator over the configured countries and years.

Quirks handled (see reference/apis.md): errors arrive as HTTP 200 with a one-element ``[{"message": [...]}]``
array; "no data" is ``[{..."total":0...}, null]``; values are ``null`` for unpublished years; ``lastupdated`` is
stored with every row because values are revised between releases.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from steps.config import WorldBankConfig
from steps.errors import InputError
from steps.http import HttpClient
from steps.sources.base import Dataset, PageRequest, ParsedPage, page_number_requests

NAME = "worldbank"

INDICATOR_VALUES = Dataset(
    name="indicator_values",
    columns=(
        ("country_id", "string"),
        ("country_iso3", "string"),
        ("country_name", "string"),
        ("indicator_id", "string"),
        ("indicator_name", "string"),
        ("year", "int32"),
        ("value", "float64"),
        ("unit", "string"),
        ("obs_status", "string"),
        ("decimal", "int32"),
        ("last_updated", "date32"),
    ),
    key=("country_iso3", "indicator_id", "year"),
)


@dataclass(frozen=True)
class IndicatorStream:
    """All pages of one indicator for the configured countries and year range."""

    base_url: str
    countries: str
    indicator: str
    years: str
    per_page: int

    @property
    def stream_id(self) -> str:
        """The indicator code."""
        return self.indicator

    @property
    def raw_name(self) -> str:
        """Pages are kept under raw/worldbank/indicator_values/."""
        return INDICATOR_VALUES.name

    @property
    def _url(self) -> str:
        return f"{self.base_url}/country/{self.countries}/indicator/{self.indicator}"

    def first_request(self) -> PageRequest:
        """Page 1."""
        params = {"format": "json", "date": self.years, "per_page": str(self.per_page), "page": "1"}
        return PageRequest(self._url, params, page=1)

    def following_requests(self, first: ParsedPage) -> Sequence[PageRequest]:
        """Pages 2..pages, as the first page's metadata announced."""
        return page_number_requests(self._url, self.first_request().params, first.pages)

    def parse(self, payload: Any, request: PageRequest) -> ParsedPage:
        """Read ``[metadata, records]``; an API message array becomes one clear error."""
        if isinstance(payload, list) and len(payload) == 1 and isinstance(payload[0], dict) and "message" in payload[0]:
            messages = "; ".join(
                f"{m.get('value', '')} (id {m.get('id', '?')}, {m.get('key', '')})" for m in payload[0]["message"]
            )
            raise InputError(
                f"worldbank: the API rejected indicator {self.indicator!r} "
                f"for countries {self.countries!r}: {messages}",
                "check sources.worldbank.indicators and countries against https://data.worldbank.org/indicator",
            )
        if not (isinstance(payload, list) and len(payload) == 2 and isinstance(payload[0], dict)):
            raise InputError(
                f"worldbank: unexpected response shape for indicator {self.indicator!r} page {request.page}",
                "the API changed or the base_url is not the World Bank v2 API",
            )
        meta, records = payload
        return ParsedPage(
            columns={INDICATOR_VALUES.name: _columns(records or [], _parse_date(meta.get("lastupdated")), request)},
            total=_int(meta.get("total")),
            pages=_int(meta.get("pages")),
        )


def _columns(records: list[dict[str, Any]], updated: date | None, request: PageRequest) -> dict[str, list[Any]]:
    """Column lists straight from the records: one pass per column is much faster than a dict per row."""
    try:
        countries = [r["country"] for r in records]
        indicators = [r["indicator"] for r in records]
        return {
            "country_id": [c["id"] for c in countries],
            "country_iso3": [r.get("countryiso3code") or c["id"] for r, c in zip(records, countries, strict=True)],
            "country_name": [c["value"] for c in countries],
            "indicator_id": [i["id"] for i in indicators],
            "indicator_name": [i["value"] for i in indicators],
            "year": [int(r["date"]) for r in records],
            "value": [r.get("value") for r in records],
            "unit": [r.get("unit") or "" for r in records],
            "obs_status": [r.get("obs_status") or "" for r in records],
            "decimal": [r.get("decimal") for r in records],
            "last_updated": [updated] * len(records),
        }
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(
            f"worldbank: page {request.page} of {request.url} has a record without {exc}",
            "the API changed its record format; update steps/sources/worldbank.py",
        ) from None


def _int(value: Any) -> int | None:
    # per_page is a string on some endpoints; accept both.
    return None if value is None or value == "" else int(value)


def _parse_date(value: Any) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) and value else None


class WorldBankSource:
    """The configured World Bank source."""

    datasets: tuple[Dataset, ...] = (INDICATOR_VALUES,)

    def __init__(self, config: WorldBankConfig, name: str = NAME) -> None:
        """Build from the source's configuration."""
        self.name = name
        self.config = config
        self.concurrency = config.concurrency

    def prepare(self, client: HttpClient) -> None:
        """Nothing to resolve before fetching."""

    def streams(self) -> Sequence[IndicatorStream]:
        """One stream per indicator (countries joined with ';' in one request, as the API allows)."""
        cfg = self.config
        countries = ";".join(cfg.countries)
        years = f"{cfg.start_year}:{cfg.end_year}"
        return [
            IndicatorStream(cfg.base_url.rstrip("/"), countries, ind, years, cfg.per_page) for ind in cfg.indicators
        ]

    def probe(self) -> PageRequest:
        """One record of the first indicator."""
        first = self.streams()[0].first_request()
        return PageRequest(first.url, {**first.params, "per_page": "1"})
