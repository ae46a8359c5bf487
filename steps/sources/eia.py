"""EIA Open Data API v2 (api.eia.gov/v2): one route and frequency, one stream per series (a facet value).

``GET /v2/<route>/data/?frequency=…&data[0]=value&facets[<facet>][]=<series>&start=…&sort[0][column]=period
&sort[0][direction]=asc&offset=…&length=…``, paged with ``offset += length`` while below ``response.total``.

Quirks handled (reference/apis.md §4): ``length`` is at most 5,000 (beyond, a ``warnings`` entry "incomplete
return" appears: logged and counted); since v2.1.6 every value and ``total`` is a JSON *string* (older answers:
numbers) and ``null`` means missing; ``request.params`` **echoes the api_key** — the raw page is stored with the
key masked (the key is a registered secret of the client) and the echo is never parsed into bronze; errors are
``{"error": "<text>", "code": 400}`` (bad parameter) or HTTP 403 ``{"error": {"code": "API_KEY_MISSING"|…}}``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import orjson

from steps.config import EiaConfig
from steps.errors import InputError
from steps.http import HttpClient
from steps.sources.base import Backfill, Dataset, PageRequest, ParsedPage, WatermarkTracker, offset_requests
from steps.sources.timeseries import ApiKey, KeyedSource, check_period, period_of, period_start
from steps.state import Checkpoint, SourceState, Watermark

NAME = "eia"
_ERRORS = frozenset({400, 404})
_KNOWN = {"period", "value", "units"}

OBSERVATIONS = Dataset(
    name="observations",
    columns=(
        ("route", "string"),
        ("frequency", "string"),
        ("series_id", "string"),
        ("period", "string"),
        ("period_date", "date32"),
        ("value", "float64"),
        ("units", "string"),
        ("series_description", "string"),
        ("attributes", "string"),
    ),
    key=("route", "frequency", "series_id", "period"),
)


@dataclass(frozen=True)
class SeriesStream:
    """The rows of one facet value (a series) from ``start`` (to ``end`` when set), oldest period first."""

    source: str
    base_url: str
    route: str
    frequency: str
    facet: str
    series_id: str
    start: str
    end: str | None
    page_size: int
    max_pages: int
    tracker: WatermarkTracker

    @property
    def stream_id(self) -> str:
        """The series (facet value)."""
        return self.series_id

    @property
    def raw_name(self) -> str:
        """Pages are kept under raw/<source>/observations/."""
        return OBSERVATIONS.name

    def first_request(self) -> PageRequest:
        """Offset 0."""
        params = {
            "frequency": self.frequency,
            "data[0]": "value",
            f"facets[{self.facet}][]": self.series_id,
            "start": self.start,
            "sort[0][column]": "period",
            "sort[0][direction]": "asc",
            "offset": "0",
            "length": str(self.page_size),
        }
        if self.end is not None:
            params["end"] = self.end
        return PageRequest(f"{self.base_url}/{self.route}/data/", params, page=1, accept=_ERRORS)

    def following_requests(self, first: ParsedPage) -> Sequence[PageRequest]:
        """Offsets ``length``, ``2 * length``, … below ``total``."""
        return offset_requests(
            self.first_request(), first.total, self.page_size, source=self.source, max_pages=self.max_pages
        )

    def parse(self, payload: Any, request: PageRequest) -> ParsedPage:
        """``response.data`` into columns; ``request`` (which echoes the key) is ignored."""
        if isinstance(payload, dict) and "error" in payload:
            err = payload["error"]
            text = err.get("message") or err.get("code") if isinstance(err, dict) else err
            raise InputError(
                f"{self.source}: EIA refused series {self.series_id!r} of route {self.route} "
                f"({payload.get('code', '?')}: {' '.join(str(text).split())})",
                f"check sources.{self.source} (route, frequency, facet, series)",
            )
        response = payload.get("response") if isinstance(payload, dict) else None
        if not isinstance(response, dict) or not isinstance(response.get("data"), list):
            raise InputError(
                f"{self.source}: GET {request.url} has no response.data list",
                "the base_url is not the EIA API v2 (…/v2) or the API changed",
            )
        records: list[dict[str, Any]] = response["data"]
        try:
            periods = [str(r["period"]) for r in records]
            columns: dict[str, list[Any]] = {
                "route": [self.route] * len(records),
                "frequency": [self.frequency] * len(records),
                "series_id": [str(r.get(self.facet, self.series_id)) for r in records],
                "period": periods,
                "period_date": [period_start(p, self.frequency) for p in periods],
                "value": [_number(r.get("value")) for r in records],
                "units": [r.get("units") for r in records],
                "series_description": [
                    r.get(f"{self.facet}-description") or r.get("series-description") for r in records
                ],
                "attributes": [_attributes(r, self.facet) for r in records],
            }
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(
                f"{self.source}: page {request.page} of series {self.series_id} has a bad row ({exc})",
                "the API changed its row format, or frequency does not match the route's periods",
            ) from None
        self.tracker.observe(self.series_id, periods)
        warnings = [_warning(w) for w in (response.get("warnings") or []) + (payload.get("warnings") or [])]
        return ParsedPage(columns={OBSERVATIONS.name: columns}, total=_int(response.get("total")), warnings=warnings)


def _number(value: Any) -> float | None:
    if value is None or value == "":
        return None
    return float(value)


def _int(value: Any) -> int | None:
    return None if value is None or value == "" else int(value)


def _attributes(row: dict[str, Any], facet: str) -> str | None:
    """The route-specific columns (facets and their names) as compact JSON."""
    rest = {
        k: v
        for k, v in row.items()
        if k not in _KNOWN and k != facet and k not in (f"{facet}-description", "series-description")
    }
    return orjson.dumps(rest, option=orjson.OPT_SORT_KEYS).decode() if rest else None


def _warning(item: Any) -> str:
    if isinstance(item, dict):
        return f"{item.get('warning', 'warning')}: {' '.join(str(item.get('description', '')).split())}"
    return str(item)


class EiaSource(KeyedSource):
    """The configured EIA source."""

    config: EiaConfig

    datasets: tuple[Dataset, ...] = (OBSERVATIONS,)

    def __init__(self, config: EiaConfig, name: str = NAME) -> None:
        """Build from configuration; the API key is read from ``api_key_env`` when first needed."""
        self.name = name
        self.config = config
        self.concurrency = config.concurrency
        self.key = ApiKey("eia", name, config.api_key_env, "EIA API key")
        self.first = check_period(config.start, config.frequency, f"sources.{name}.start")
        self.tracker = WatermarkTracker("period")
        self._ranges: dict[str, tuple[str, str | None]] = dict.fromkeys(config.series, (config.start, None))

    def prepare(self, client: HttpClient) -> None:
        """Send the key as ``api_key`` with every request (and mask it in the echoing bodies)."""
        self.key.as_param(client, "api_key")

    def resume(self, state: SourceState, backfill: Backfill | None) -> None:
        """Per series: from the watermark's period minus ``lookback_days``, or the backfill's range."""
        cfg = self.config
        if backfill is not None:
            first, last = backfill.dates()
            self._ranges = dict.fromkeys(cfg.series, (period_of(first, cfg.frequency), period_of(last, cfg.frequency)))
            return
        marks = state.checkpoint.watermarks
        self._ranges = {s: (self._start(marks.get(s)), None) for s in cfg.series}

    def _start(self, mark: Watermark | None) -> str:
        cfg = self.config
        if mark is None:
            return cfg.start
        resume = date.fromordinal(period_start(mark.value, cfg.frequency).toordinal() - cfg.lookback_days)
        return period_of(max(resume, self.first), cfg.frequency)

    def streams(self) -> Sequence[SeriesStream]:
        """One stream per series."""
        cfg = self.config
        return [
            SeriesStream(
                self.name,
                self.base_url,
                cfg.route,
                cfg.frequency,
                cfg.facet,
                series,
                start,
                end,
                cfg.page_size,
                cfg.max_pages,
                self.tracker,
            )
            for series, (start, end) in self._ranges.items()
        ]

    def checkpoint(self) -> Checkpoint:
        """The last period delivered per series."""
        return Checkpoint(watermarks=self.tracker.watermarks())

    def probe(self) -> PageRequest:
        """One row of the first series."""
        stream = self.streams()[0]
        first = stream.first_request()
        return PageRequest(first.url, {**first.params, "length": "1"})
