"""NOAA Climate Data Online v2 (``/cdo-web/api/v2/data``), GHCND daily summaries: one stream per station and window.

GHCND requests may span less than a year, so each station's range is cut into windows of at most one year,
each a stream of its own. Pages are 1-based: ``offset`` 1, 1 + limit, … up to ``metadata.resultset.count``.

Quirks handled (reference/apis.md §5): the token travels in a ``token`` header (added by the client, never in a
URL); an empty result may be ``{}`` with no ``results`` or ``metadata``; ``date`` is ``YYYY-MM-DDT00:00:00``
without a time zone; ``attributes`` is ``MFLAG,QFLAG,SFLAG,OBS-TIME``; two error shapes (``statusCode`` /
``developerMessage`` and ``status`` / ``message``); raw values are tenths of °C and mm unless ``units`` is given.
Limits: 5 requests per second and 10,000 per day per token — the configured rate limit and daily quota.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from steps.config import NoaaConfig
from steps.errors import ConfigError, InputError
from steps.http import HttpClient
from steps.sources.base import Backfill, Dataset, PageRequest, ParsedPage, WatermarkTracker, offset_requests
from steps.sources.timeseries import ApiKey, KeyedSource, incremental_start, today, year_windows
from steps.state import Checkpoint, SourceState

NAME = "noaa"
_ERRORS = frozenset({400, 401, 403, 404})

OBSERVATIONS = Dataset(
    name="observations",
    columns=(
        ("station", "string"),
        ("date", "date32"),
        ("datatype", "string"),
        ("value", "float64"),
        ("units", "string"),
        ("mflag", "string"),
        ("qflag", "string"),
        ("sflag", "string"),
        ("obs_time", "string"),
        ("attributes", "string"),
    ),
    key=("station", "date", "datatype"),
)


@dataclass(frozen=True)
class WindowStream:
    """Daily observations of one station over one window shorter than a year."""

    source: str
    base_url: str
    dataset: str
    station: str
    datatypes: tuple[str, ...]
    units: str
    first: date
    last: date
    page_size: int
    max_pages: int
    tracker: WatermarkTracker

    @property
    def stream_id(self) -> str:
        """``<station>@<first day>``."""
        return f"{self.station}@{self.first.isoformat()}"

    @property
    def raw_name(self) -> str:
        """Pages are kept under raw/<source>/observations/."""
        return OBSERVATIONS.name

    def first_request(self) -> PageRequest:
        """Offset 1 (the API counts from 1)."""
        params: dict[str, str | tuple[str, ...]] = {
            "datasetid": self.dataset,
            "stationid": self.station,
            "datatypeid": self.datatypes,
            "startdate": self.first.isoformat(),
            "enddate": self.last.isoformat(),
            "limit": str(self.page_size),
            "offset": "1",
        }
        if self.units != "raw":
            params["units"] = self.units
        return PageRequest(f"{self.base_url}/data", params, page=1, accept=_ERRORS)

    def following_requests(self, first: ParsedPage) -> Sequence[PageRequest]:
        """Offsets 1 + limit, 1 + 2 * limit, … up to ``count``."""
        return offset_requests(
            self.first_request(),
            first.total,
            self.page_size,
            source=self.source,
            first_offset=1,
            max_pages=self.max_pages,
        )

    def parse(self, payload: Any, request: PageRequest) -> ParsedPage:
        """``results`` into columns (none when the body is ``{}``)."""
        if not isinstance(payload, dict):
            raise InputError(f"{self.source}: GET {request.url} did not return a JSON object", "check base_url")
        _error(self.source, payload, self.station)
        records = payload.get("results") or []
        count = ((payload.get("metadata") or {}).get("resultset") or {}).get("count")
        try:
            dates = [datetime.fromisoformat(r["date"]).date() for r in records]
            flags = [_flags(r.get("attributes")) for r in records]
            columns = {
                "station": [r["station"] for r in records],
                "date": dates,
                "datatype": [r["datatype"] for r in records],
                "value": [None if r.get("value") is None else float(r["value"]) for r in records],
                "units": [self.units] * len(records),
                "mflag": [f[0] for f in flags],
                "qflag": [f[1] for f in flags],
                "sflag": [f[2] for f in flags],
                "obs_time": [f[3] for f in flags],
                "attributes": [r.get("attributes") for r in records],
            }
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(
                f"{self.source}: page {request.page} of {self.stream_id} has a bad record ({exc!r})",
                "the API changed its record format; update steps/sources/noaa.py",
            ) from None
        self.tracker.observe(self.station, dates)
        return ParsedPage(columns={OBSERVATIONS.name: columns}, total=int(count) if count is not None else 0)


def _error(source: str, payload: dict[str, Any], station: str) -> None:
    message = payload.get("developerMessage") or payload.get("message")
    status = payload.get("statusCode") or payload.get("status")
    if message is None or status is None:
        return
    text = " ".join(str(message).split())
    if "token" in text.lower():
        raise ConfigError(f"{source}: NOAA refused the token ({status}: {text})", "set the variable named by token_env")
    raise InputError(f"{source}: NOAA refused the request for {station} ({status}: {text})", f"check sources.{source}")


def _flags(attributes: Any) -> tuple[str | None, str | None, str | None, str | None]:
    """GHCND ``MFLAG,QFLAG,SFLAG,OBS-TIME`` (empty parts are null)."""
    parts = (str(attributes).split(",") if attributes is not None else []) + [""] * 4
    return (parts[0] or None, parts[1] or None, parts[2] or None, parts[3] or None)


class NoaaSource(KeyedSource):
    """The configured NOAA CDO source."""

    config: NoaaConfig

    datasets: tuple[Dataset, ...] = (OBSERVATIONS,)

    def __init__(self, config: NoaaConfig, name: str = NAME) -> None:
        """Build from configuration; the token is read from ``token_env`` when first needed."""
        self.name = name
        self.config = config
        self.concurrency = config.concurrency
        self.key = ApiKey("noaa", name, config.token_env, "NOAA CDO token")
        self.tracker = WatermarkTracker("date")
        end = config.end_date or today()
        self._ranges = dict.fromkeys(config.stations, (config.start_date, end))

    def prepare(self, client: HttpClient) -> None:
        """Send the token as the ``token`` header with every request."""
        self.key.as_header(client, "token")

    def resume(self, state: SourceState, backfill: Backfill | None) -> None:
        """Per station: from the watermark minus ``lookback_days`` to the end date, or the backfill's range."""
        cfg = self.config
        if backfill is not None:
            self._ranges = dict.fromkeys(cfg.stations, backfill.dates())
            return
        end = cfg.end_date or today()
        marks = state.checkpoint.watermarks
        self._ranges = {
            s: (incremental_start(marks.get(s), cfg.start_date, cfg.lookback_days), end) for s in cfg.stations
        }

    def streams(self) -> Sequence[WindowStream]:
        """One stream per station and window of less than a year."""
        cfg = self.config
        return [
            WindowStream(
                self.name,
                self.base_url,
                cfg.dataset,
                station,
                tuple(cfg.datatypes),
                cfg.units,
                first,
                last,
                cfg.page_size,
                cfg.max_pages,
                self.tracker,
            )
            for station, (start, end) in self._ranges.items()
            for first, last in year_windows(start, end)
        ]

    def checkpoint(self) -> Checkpoint:
        """The last observation date delivered per station."""
        return Checkpoint(watermarks=self.tracker.watermarks())

    def probe(self) -> PageRequest:
        """One record of the first station's last week."""
        end = self.config.end_date or today()
        stream = WindowStream(
            self.name,
            self.base_url,
            self.config.dataset,
            self.config.stations[0],
            tuple(self.config.datatypes),
            self.config.units,
            end.replace(day=1),
            end,
            1,
            1,
            WatermarkTracker("date"),
        )
        return stream.first_request()
