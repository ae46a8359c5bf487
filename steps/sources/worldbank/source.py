"""World Bank streams: one per indicator, ``page=N`` paging.

``/country/<countries>/indicator/<indicator>?format=json&date=…&per_page=…&page=N``, the countries joined with
``;`` in one request as the API allows; pages 2..N as the first page announced.

Quirks handled (see reference/apis.md): errors arrive as HTTP 200 with a one-element ``[{"message": [...]}]``
array; "no data" is ``[{..."total":0...}, null]``; values are ``null`` for unpublished years; ``lastupdated`` is
stored with every row because values are revised between releases; ``per_page`` is a string on some endpoints.

Every run fetches the whole configured year range (the World Bank revises past years), so the watermark (per
indicator, the newest year with a published value) only records how far the data reaches. A backfill
(``--backfill 2000:2005``, years) fetches that range instead: ``date=2000:2005``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from steps.errors import InputError
from steps.http import HttpClient
from steps.sources.base import Backfill, PageRequest, WatermarkTracker
from steps.sources.registry import Dataset
from steps.sources.rest import PageNumber, RestStream, RowMapper, path
from steps.sources.worldbank import INDICATOR_VALUES, NAME
from steps.sources.worldbank.config import WorldBankConfig
from steps.state import Checkpoint, SourceState


def _error(indicator: str, countries: str) -> Callable[[Any], None]:
    def check(payload: Any) -> None:
        """An API message array becomes one clear error; any other shape than ``[metadata, records]`` too."""
        if isinstance(payload, list) and len(payload) == 1 and isinstance(payload[0], dict) and "message" in payload[0]:
            messages = "; ".join(
                f"{m.get('value', '')} (id {m.get('id', '?')}, {m.get('key', '')})" for m in payload[0]["message"]
            )
            raise InputError(
                f"worldbank: the API rejected indicator {indicator!r} for countries {countries!r}: {messages}",
                "check sources.worldbank.indicators and countries against https://data.worldbank.org/indicator",
            )
        if not (isinstance(payload, list) and len(payload) == 2 and isinstance(payload[0], dict)):
            raise InputError(
                f"worldbank: unexpected response shape for indicator {indicator!r}",
                "the API changed or the base_url is not the World Bank v2 API",
            )

    return check


def _rows(records: list[Any], payload: Any) -> dict[str, list[Any]]:
    """Column lists straight from the records: one pass per column is much faster than a dict per row."""
    updated = _date(path(0, "lastupdated")(payload))
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


def _date(value: Any) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) and value else None


def _published(tracker: WatermarkTracker, indicator: str) -> RowMapper:
    """:func:`_rows`, noting the newest year with a value (a null value is a year not published yet)."""

    def rows(records: list[Any], payload: Any) -> dict[str, list[Any]]:
        columns = _rows(records, payload)
        years = [y for y, v in zip(columns["year"], columns["value"], strict=True) if v is not None]
        tracker.observe(indicator, years)
        return columns

    return rows


class WorldBankSource:
    """The configured World Bank source."""

    datasets: tuple[Dataset, ...] = (INDICATOR_VALUES,)

    def __init__(self, config: WorldBankConfig, name: str = NAME) -> None:
        """Build from the source's configuration."""
        self.name = name
        self.config = config
        self.concurrency = config.concurrency
        self.years = (config.start_year, config.end_year)
        self.tracker = WatermarkTracker("int")

    def prepare(self, client: HttpClient) -> None:
        """Nothing to resolve before fetching."""

    def resume(self, state: SourceState, backfill: Backfill | None) -> None:
        """The configured years, whatever the state says (past years get revised), or the backfill's years."""
        if backfill is not None:
            self.years = backfill.years()

    def checkpoint(self) -> Checkpoint:
        """Per indicator, the newest year delivered with a value (merged with the stored one, never lowered)."""
        return Checkpoint(watermarks=self.tracker.watermarks())

    def streams(self) -> Sequence[RestStream]:
        """One stream per indicator."""
        cfg = self.config
        countries = ";".join(cfg.countries)
        first, last = self.years
        params = {"format": "json", "date": f"{first}:{last}", "per_page": str(cfg.per_page)}
        return [
            RestStream(
                self.name,
                indicator,
                INDICATOR_VALUES,
                f"{cfg.base_url.rstrip('/')}/country/{countries}/indicator/{indicator}",
                {**params, "page": "1"},
                rows=_published(self.tracker, indicator),
                records=path(1, default=[]),
                api="the World Bank v2 API",
                paginator=PageNumber(),
                total=path(0, "total"),
                pages=path(0, "pages"),
                error=_error(indicator, countries),
            )
            for indicator in cfg.indicators
        ]

    def probe(self) -> PageRequest:
        """One record of the first indicator."""
        first = self.streams()[0].first_request()
        return PageRequest(first.url, {**first.params, "per_page": "1"})
