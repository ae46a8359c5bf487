"""Acme prices: ``GET /prices?item=…&since=…&offset=…&limit=…`` → ``{"total": N, "data": [...]}``.

Quirks: prices arrive as strings, ``"n/a"`` means missing; errors are ``{"error": "..."}`` with HTTP 400.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from steps.errors import InputError
from steps.sources.base import Backfill, PageRequest
from steps.sources.rest import Cursor, Offset, RestStream, path
from steps.sources.timeseries import KeyedSource, date_ranges
from steps.state import SourceState

from . import NAME, PRICES
from .config import AcmeConfig


def _rows(records: list[Any], _payload: Any) -> dict[str, list[Any]]:
    return {
        "item": [r["item"] for r in records],
        "day": [date.fromisoformat(r["day"]) for r in records],
        "price": [None if r["price"] == "n/a" else float(r["price"]) for r in records],
    }


def _error(payload: Any) -> None:
    if isinstance(payload, dict) and "error" in payload:
        raise InputError(f"acme: the API refused the request: {payload['error']}", "check sources.acme.items")


class AcmeSource(KeyedSource):
    """The configured acme source."""

    config: AcmeConfig
    key_header = "X-Api-Key"

    def __init__(self, config: AcmeConfig, name: str = NAME) -> None:
        super().__init__(config, name, "acme", config.api_key_env, "Acme API key", "date")
        self.datasets = (PRICES,)
        self._ranges: dict[str, tuple[date, date | None]] = dict.fromkeys(config.items, (config.start_date, None))

    def resume(self, state: SourceState, backfill: Backfill | None) -> None:
        cfg = self.config
        self._ranges = date_ranges(cfg.items, state, backfill, cfg.start_date, cfg.lookback_days, None)

    def streams(self) -> Sequence[RestStream]:
        return [
            RestStream(
                self.name,
                item,
                PRICES,
                f"{self.base_url}/prices",
                {"item": item, "since": start.isoformat(), "offset": "0", "limit": str(self.config.page_size)},
                rows=_rows,
                records=path("data"),
                api="the Acme API (…/v1)",
                paginator=Offset(self.config.page_size, max_pages=self.config.max_pages),
                total=path("total"),
                error=_error,
                cursor=Cursor(self.tracker, item, "day"),
                accept=frozenset({400}),
            )
            for item, (start, _end) in self._ranges.items()
        ]

    def probe(self) -> PageRequest:
        return self.streams()[0].first_request()
