"""NOAA streams: one per station and window of less than a year, 1-based offset paging.

GHCND requests may span less than a year, so each station's range is cut into windows of at most one year, each a
stream of its own. Pages are 1-based: ``offset`` 1, 1 + limit, … up to ``metadata.resultset.count``.

Quirks handled (reference/apis.md §5): the token travels in a ``token`` header (added by the client, never in a
URL); an empty result may be ``{}`` with no ``results`` or ``metadata``; ``date`` is ``YYYY-MM-DDT00:00:00``
without a time zone; ``attributes`` is ``MFLAG,QFLAG,SFLAG,OBS-TIME``; two error shapes (``statusCode`` /
``developerMessage`` and ``status`` / ``message``); raw values are tenths of °C and mm unless ``units`` is given.
Limits: 5 requests per second and 10,000 per day per token — the configured rate limit and daily quota.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any

from steps.errors import ConfigError, InputError
from steps.sources.base import Backfill, PageRequest, WatermarkTracker
from steps.sources.noaa import NAME, OBSERVATIONS
from steps.sources.noaa.config import NoaaConfig
from steps.sources.rest import Cursor, Offset, RestStream, path
from steps.sources.timeseries import KeyedSource, date_ranges, today, year_windows
from steps.state import SourceState

_ERRORS = frozenset({400, 401, 403, 404})


def _error(source: str, station: str) -> Callable[[Any], None]:
    def check(payload: Any) -> None:
        if not isinstance(payload, dict):
            raise InputError(f"{source}: NOAA did not return a JSON object for {station}", "check base_url")
        message = payload.get("developerMessage") or payload.get("message")
        status = payload.get("statusCode") or payload.get("status")
        if message is None or status is None:
            return
        text = " ".join(str(message).split())
        if "token" in text.lower():
            raise ConfigError(
                f"{source}: NOAA refused the token ({status}: {text})", "set the variable named by token_env"
            )
        raise InputError(
            f"{source}: NOAA refused the request for {station} ({status}: {text})", f"check sources.{source}"
        )

    return check


def _rows(units: str) -> Callable[[list[Any], Any], dict[str, list[Any]]]:
    def rows(records: list[Any], _payload: Any) -> dict[str, list[Any]]:
        """``results`` into columns (none when the body is ``{}``)."""
        flags = [_flags(r.get("attributes")) for r in records]
        return {
            "station": [r["station"] for r in records],
            "date": [datetime.fromisoformat(r["date"]).date() for r in records],
            "datatype": [r["datatype"] for r in records],
            "value": [None if r.get("value") is None else float(r["value"]) for r in records],
            "units": [units] * len(records),
            "mflag": [f[0] for f in flags],
            "qflag": [f[1] for f in flags],
            "sflag": [f[2] for f in flags],
            "obs_time": [f[3] for f in flags],
            "attributes": [r.get("attributes") for r in records],
        }

    return rows


def _flags(attributes: Any) -> tuple[str | None, str | None, str | None, str | None]:
    """GHCND ``MFLAG,QFLAG,SFLAG,OBS-TIME`` (empty parts are null)."""
    parts = (str(attributes).split(",") if attributes is not None else []) + [""] * 4
    return (parts[0] or None, parts[1] or None, parts[2] or None, parts[3] or None)


class NoaaSource(KeyedSource):
    """The configured NOAA CDO source: the token as the ``token`` header, a date watermark per station."""

    config: NoaaConfig
    key_header = "token"

    def __init__(self, config: NoaaConfig, name: str = NAME) -> None:
        """Build from configuration; the token is read from ``token_env`` when first needed."""
        super().__init__(config, name, "noaa", config.token_env, "NOAA CDO token", "date")
        self.datasets = (OBSERVATIONS,)
        end = config.end_date or today()
        self._ranges: dict[str, tuple[date, date | None]] = dict.fromkeys(config.stations, (config.start_date, end))

    def resume(self, state: SourceState, backfill: Backfill | None) -> None:
        """Per station: from the watermark minus ``lookback_days`` to the end date, or the backfill's range."""
        cfg = self.config
        end = cfg.end_date or today()
        self._ranges = date_ranges(cfg.stations, state, backfill, cfg.start_date, cfg.lookback_days, end)

    def streams(self) -> Sequence[RestStream]:
        """One stream per station and window of less than a year."""
        return [
            self._window(station, first, last, self.config.page_size, self.config.max_pages, self.tracker)
            for station, (start, end) in self._ranges.items()
            for first, last in year_windows(start, end or today())
        ]

    def _window(
        self, station: str, first: date, last: date, page_size: int, max_pages: int, tracker: WatermarkTracker
    ) -> RestStream:
        """Daily observations of one station over one window shorter than a year (offset 1: the API counts from 1)."""
        cfg = self.config
        params: dict[str, str | tuple[str, ...]] = {
            "datasetid": cfg.dataset,
            "stationid": station,
            "datatypeid": tuple(cfg.datatypes),
            "startdate": first.isoformat(),
            "enddate": last.isoformat(),
            "limit": str(page_size),
            "offset": "1",
        }
        if cfg.units != "raw":
            params["units"] = cfg.units
        return RestStream(
            self.name,
            f"{station}@{first.isoformat()}",
            OBSERVATIONS,
            f"{self.base_url}/data",
            params,
            rows=_rows(cfg.units),
            records=path("results", default=[]),
            api="the NOAA CDO API v2 (…/cdo-web/api/v2)",
            paginator=Offset(page_size, first_offset=1, max_pages=max_pages),
            total=path("metadata", "resultset", "count", default=0),
            error=_error(self.name, station),
            cursor=Cursor(tracker, station, "date"),
            accept=_ERRORS,
        )

    def probe(self) -> PageRequest:
        """One record of the first station's last week."""
        end = self.config.end_date or today()
        window = self._window(self.config.stations[0], end.replace(day=1), end, 1, 1, WatermarkTracker("date"))
        return window.first_request()
