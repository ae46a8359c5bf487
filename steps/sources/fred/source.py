"""FRED streams: per series, its observations (offset/limit paging) and its metadata (one page).

``/series/observations`` is paged with ``offset``/``limit`` until ``count`` (the total matching rows, whatever the
limit); ``/series`` is one page: title, frequency, units — the gold ``dim_series``.

Quirks handled (reference/apis.md §3): ``value`` is always a string and ``"."`` means missing (stored as null);
errors come with a real HTTP status (400/404/423/429/500) and a JSON body ``{"error_code", "error_message"}``
with two spaces after each period — a refused key becomes a configuration error naming the variable; the
metadata key is spelled ``seriess``; ``last_updated`` reads ``2023-09-18 19:10:56-05``. The key travels as the
``api_key`` query parameter, added by the client and masked wherever a URL is reported.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from typing import Any

from steps.errors import ConfigError, InputError
from steps.sources.base import Backfill, PageRequest
from steps.sources.fred import NAME, OBSERVATIONS, SERIES
from steps.sources.fred.config import FredConfig
from steps.sources.rest import Cursor, Offset, RestStream, SinglePage, path
from steps.sources.timeseries import KeyedSource, date_ranges
from steps.state import SourceState

API = "the FRED API (…/fred)"
_ERRORS = frozenset({400, 404, 423})  # answers whose JSON body says what is wrong (5xx and 429 are retried)


def _error(source: str, series_id: str) -> Callable[[Any], None]:
    """The FRED error a payload carries, raised."""

    def check(payload: Any) -> None:
        if not (isinstance(payload, dict) and "error_message" in payload):
            return
        message = " ".join(str(payload["error_message"]).split())
        code = payload.get("error_code", "?")
        if "api_key" in message:
            raise ConfigError(
                f"{source}: FRED refused the API key ({code}: {message})",
                "set the variable named by api_key_env to a registered 32-character FRED key",
            )
        raise InputError(
            f"{source}: FRED refused series {series_id!r} ({code}: {message})", f"check sources.{source} (series ids)"
        )

    return check


def _observations(series_id: str) -> Callable[[list[Any], Any], dict[str, list[Any]]]:
    def rows(records: list[Any], _payload: Any) -> dict[str, list[Any]]:
        """``observations`` into columns; ``"."`` becomes null."""
        return {
            "series_id": [series_id] * len(records),
            "date": [date.fromisoformat(r["date"]) for r in records],
            "value": [_value(r["value"]) for r in records],
            "realtime_start": [_date(r.get("realtime_start")) for r in records],
            "realtime_end": [_date(r.get("realtime_end")) for r in records],
        }

    return rows


def _series(source: str, series_id: str) -> Callable[[list[Any], Any], dict[str, list[Any]]]:
    def rows(records: list[Any], _payload: Any) -> dict[str, list[Any]]:
        """``seriess[0]`` (sic) into one row."""
        if not records:
            raise InputError(
                f"{source}: FRED returned no metadata for series {series_id}", f"the base_url is not {API}"
            )
        s = records[0]
        return {
            "series_id": [s.get("id", series_id)],
            "title": [s.get("title")],
            "frequency": [s.get("frequency")],
            "frequency_short": [s.get("frequency_short")],
            "units": [s.get("units")],
            "units_short": [s.get("units_short")],
            "seasonal_adjustment": [s.get("seasonal_adjustment")],
            "seasonal_adjustment_short": [s.get("seasonal_adjustment_short")],
            "observation_start": [_date(s.get("observation_start"))],
            "observation_end": [_date(s.get("observation_end"))],
            "last_updated": [_timestamp(s.get("last_updated"))],
            "popularity": [s.get("popularity")],
            "notes": [s.get("notes")],
        }

    return rows


def _value(text: Any) -> float | None:
    return None if text in (".", "", None) else float(text)


def _date(text: Any) -> date | None:
    return date.fromisoformat(text) if isinstance(text, str) and text else None


def _timestamp(text: Any) -> datetime | None:
    """``2023-09-18 19:10:56-05`` (FRED's format) in UTC."""
    if not isinstance(text, str) or not text:
        return None
    stamp = text.strip()
    if len(stamp) >= 3 and stamp[-3] in "+-" and stamp[-2:].isdigit():
        stamp += ":00"  # -05 → -05:00, which fromisoformat reads
    try:
        parsed = datetime.fromisoformat(stamp)
    except ValueError:
        return None
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)


class FredSource(KeyedSource):
    """The configured FRED source: the key as the ``api_key`` parameter, a date watermark per series."""

    config: FredConfig
    key_param = "api_key"

    def __init__(self, config: FredConfig, name: str = NAME) -> None:
        """Build from configuration; the API key is read from ``api_key_env`` when first needed."""
        super().__init__(config, name, "fred", config.api_key_env, "FRED API key", "date")
        self.datasets = (OBSERVATIONS, SERIES)
        self._ranges: dict[str, tuple[date, date | None]] = dict.fromkeys(config.series, (config.start_date, None))

    def resume(self, state: SourceState, backfill: Backfill | None) -> None:
        """Per series: from the watermark minus ``lookback_days``, or the backfill's range."""
        cfg = self.config
        self._ranges = date_ranges(cfg.series, state, backfill, cfg.start_date, cfg.lookback_days, None)

    def streams(self) -> Sequence[RestStream]:
        """Observations and metadata of every series."""
        out: list[RestStream] = []
        for series_id, (start, end) in self._ranges.items():
            out += [self._observations(series_id, start, end), self._series(series_id)]
        return out

    def _observations(self, series_id: str, start: date, end: date | None) -> RestStream:
        cfg = self.config
        params = {
            "series_id": series_id,
            "file_type": "json",
            "observation_start": start.isoformat(),
            "sort_order": "asc",
            "limit": str(cfg.page_size),
            "offset": "0",
        }
        if end is not None:
            params["observation_end"] = end.isoformat()
        return RestStream(
            self.name,
            series_id,
            OBSERVATIONS,
            f"{self.base_url}/series/observations",
            params,
            rows=_observations(series_id),
            records=path("observations"),
            api=API,
            paginator=Offset(cfg.page_size, max_pages=cfg.max_pages),
            total=path("count"),
            error=_error(self.name, series_id),
            cursor=Cursor(self.tracker, series_id, "date"),
            accept=_ERRORS,
        )

    def _series(self, series_id: str) -> RestStream:
        return RestStream(
            self.name,
            f"{series_id}.series",
            SERIES,
            f"{self.base_url}/series",
            {"series_id": series_id, "file_type": "json"},
            rows=_series(self.name, series_id),
            records=path("seriess"),
            api=API,
            paginator=SinglePage(),
            total=lambda _: 1,
            pages=lambda _: 1,
            error=_error(self.name, series_id),
            accept=_ERRORS,
        )

    def probe(self) -> PageRequest:
        """The metadata of the first series."""
        return self._series(self.config.series[0]).first_request()
