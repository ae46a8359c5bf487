"""FRED (api.stlouisfed.org/fred): observations of each configured series, plus the series' metadata.

Per series, two streams: ``/series/observations`` paged with ``offset``/``limit`` until ``count`` (the total
matching rows, whatever the limit), and ``/series`` (one page: title, frequency, units — the gold ``dim_series``).

Quirks handled (reference/apis.md §3): ``value`` is always a string and ``"."`` means missing (stored as null);
errors come with a real HTTP status (400/404/423/429/500) and a JSON body ``{"error_code", "error_message"}``
with two spaces after each period — a refused key becomes a configuration error naming the variable; the
metadata key is spelled ``seriess``; ``last_updated`` reads ``2023-09-18 19:10:56-05``. The key travels as the
``api_key`` query parameter, added by the client and masked wherever a URL is reported.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from steps.config import FredConfig
from steps.errors import ConfigError, InputError
from steps.http import HttpClient
from steps.sources.base import Backfill, Dataset, PageRequest, ParsedPage, WatermarkTracker, offset_requests
from steps.sources.timeseries import ApiKey, KeyedSource, incremental_start
from steps.state import Checkpoint, SourceState

NAME = "fred"
_ERRORS = frozenset({400, 404, 423})  # answers whose JSON body says what is wrong (5xx and 429 are retried)

OBSERVATIONS = Dataset(
    name="observations",
    columns=(
        ("series_id", "string"),
        ("date", "date32"),
        ("value", "float64"),
        ("realtime_start", "date32"),
        ("realtime_end", "date32"),
    ),
    key=("series_id", "date"),
)
SERIES = Dataset(
    name="series",
    columns=(
        ("series_id", "string"),
        ("title", "string"),
        ("frequency", "string"),
        ("frequency_short", "string"),
        ("units", "string"),
        ("units_short", "string"),
        ("seasonal_adjustment", "string"),
        ("seasonal_adjustment_short", "string"),
        ("observation_start", "date32"),
        ("observation_end", "date32"),
        ("last_updated", "timestamp[us, tz=UTC]"),
        ("popularity", "int32"),
        ("notes", "string"),
    ),
    key=("series_id",),
)


def _error(source: str, payload: Any, what: str) -> None:
    """Raise the FRED error a payload carries, if it is one."""
    if not (isinstance(payload, dict) and "error_message" in payload):
        return
    message = " ".join(str(payload["error_message"]).split())
    code = payload.get("error_code", "?")
    if "api_key" in message:
        raise ConfigError(
            f"{source}: FRED refused the API key ({code}: {message})",
            "set the variable named by api_key_env to a registered 32-character FRED key",
        )
    raise InputError(f"{source}: FRED refused {what} ({code}: {message})", f"check sources.{source} (series ids)")


@dataclass(frozen=True)
class ObservationsStream:
    """The observations of one series from ``start`` (to ``end`` when set), oldest first."""

    source: str
    base_url: str
    series_id: str
    start: date
    end: date | None
    page_size: int
    max_pages: int
    tracker: WatermarkTracker

    @property
    def stream_id(self) -> str:
        """The series id."""
        return self.series_id

    @property
    def raw_name(self) -> str:
        """Pages are kept under raw/<source>/observations/."""
        return OBSERVATIONS.name

    def first_request(self) -> PageRequest:
        """Offset 0."""
        params = {
            "series_id": self.series_id,
            "file_type": "json",
            "observation_start": self.start.isoformat(),
            "sort_order": "asc",
            "limit": str(self.page_size),
            "offset": "0",
        }
        if self.end is not None:
            params["observation_end"] = self.end.isoformat()
        return PageRequest(f"{self.base_url}/series/observations", params, page=1, accept=_ERRORS)

    def following_requests(self, first: ParsedPage) -> Sequence[PageRequest]:
        """Offsets ``limit``, ``2 * limit``, … below ``count``."""
        return offset_requests(
            self.first_request(), first.total, self.page_size, source=self.source, max_pages=self.max_pages
        )

    def parse(self, payload: Any, request: PageRequest) -> ParsedPage:
        """``observations`` into columns; ``"."`` becomes null."""
        _error(self.source, payload, f"series {self.series_id!r}")
        if not isinstance(payload, dict) or not isinstance(payload.get("observations"), list):
            raise InputError(
                f"{self.source}: GET {request.url} for series {self.series_id} has no observations list",
                "the base_url is not the FRED API (…/fred) or the API changed",
            )
        records = payload["observations"]
        try:
            dates = [date.fromisoformat(r["date"]) for r in records]
            columns: dict[str, list[Any]] = {
                "series_id": [self.series_id] * len(records),
                "date": dates,
                "value": [_value(r["value"]) for r in records],
                "realtime_start": [_date(r.get("realtime_start")) for r in records],
                "realtime_end": [_date(r.get("realtime_end")) for r in records],
            }
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(
                f"{self.source}: page {request.page} of series {self.series_id} has a bad observation ({exc!r})",
                "the API changed its observation format; update steps/sources/fred.py",
            ) from None
        self.tracker.observe(self.series_id, dates)
        return ParsedPage(columns={OBSERVATIONS.name: columns}, total=_int(payload.get("count")))


@dataclass(frozen=True)
class SeriesStream:
    """The metadata of one series (one page)."""

    source: str
    base_url: str
    series_id: str

    @property
    def stream_id(self) -> str:
        """``<series id>.series``."""
        return f"{self.series_id}.series"

    @property
    def raw_name(self) -> str:
        """Pages are kept under raw/<source>/series/."""
        return SERIES.name

    def first_request(self) -> PageRequest:
        """``/series?series_id=…``."""
        params = {"series_id": self.series_id, "file_type": "json"}
        return PageRequest(f"{self.base_url}/series", params, accept=_ERRORS)

    def following_requests(self, first: ParsedPage) -> Sequence[PageRequest]:
        """One page."""
        return ()

    def parse(self, payload: Any, request: PageRequest) -> ParsedPage:
        """``seriess[0]`` (sic) into one row."""
        _error(self.source, payload, f"series {self.series_id!r}")
        items = payload.get("seriess") if isinstance(payload, dict) else None
        if not isinstance(items, list) or not items:
            raise InputError(
                f"{self.source}: GET {request.url} returned no metadata for series {self.series_id}",
                "the base_url is not the FRED API (…/fred) or the API changed",
            )
        s = items[0]
        row = {
            "series_id": s.get("id", self.series_id),
            "title": s.get("title"),
            "frequency": s.get("frequency"),
            "frequency_short": s.get("frequency_short"),
            "units": s.get("units"),
            "units_short": s.get("units_short"),
            "seasonal_adjustment": s.get("seasonal_adjustment"),
            "seasonal_adjustment_short": s.get("seasonal_adjustment_short"),
            "observation_start": _date(s.get("observation_start")),
            "observation_end": _date(s.get("observation_end")),
            "last_updated": _timestamp(s.get("last_updated")),
            "popularity": s.get("popularity"),
            "notes": s.get("notes"),
        }
        return ParsedPage(rows={SERIES.name: [row]}, total=1, pages=1)


def _value(text: Any) -> float | None:
    return None if text in (".", "", None) else float(text)


def _date(text: Any) -> date | None:
    return date.fromisoformat(text) if isinstance(text, str) and text else None


def _int(value: Any) -> int | None:
    return None if value is None or value == "" else int(value)


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
    """The configured FRED source."""

    config: FredConfig

    datasets: tuple[Dataset, ...] = (OBSERVATIONS, SERIES)

    def __init__(self, config: FredConfig, name: str = NAME) -> None:
        """Build from configuration; the API key is read from ``api_key_env`` when first needed."""
        self.name = name
        self.config = config
        self.concurrency = config.concurrency
        self.key = ApiKey("fred", name, config.api_key_env, "FRED API key")
        self.tracker = WatermarkTracker("date")
        self._ranges: dict[str, tuple[date, date | None]] = dict.fromkeys(config.series, (config.start_date, None))

    def prepare(self, client: HttpClient) -> None:
        """Send the key as ``api_key`` with every request."""
        self.key.as_param(client, "api_key")

    def resume(self, state: SourceState, backfill: Backfill | None) -> None:
        """Per series: from the watermark minus ``lookback_days``, or the backfill's range."""
        cfg = self.config
        if backfill is not None:
            first, last = backfill.dates()
            self._ranges = dict.fromkeys(cfg.series, (first, last))
            return
        marks = state.checkpoint.watermarks
        self._ranges = {
            s: (incremental_start(marks.get(s), cfg.start_date, cfg.lookback_days), None) for s in cfg.series
        }

    def streams(self) -> Sequence[ObservationsStream | SeriesStream]:
        """Observations and metadata of every series."""
        cfg = self.config
        out: list[ObservationsStream | SeriesStream] = []
        for series_id, (start, end) in self._ranges.items():
            out.append(
                ObservationsStream(
                    self.name, self.base_url, series_id, start, end, cfg.page_size, cfg.max_pages, self.tracker
                )
            )
            out.append(SeriesStream(self.name, self.base_url, series_id))
        return out

    def checkpoint(self) -> Checkpoint:
        """The last observation date delivered per series."""
        return Checkpoint(watermarks=self.tracker.watermarks())

    def probe(self) -> PageRequest:
        """The metadata of the first series."""
        return SeriesStream(self.name, self.base_url, self.config.series[0]).first_request()
