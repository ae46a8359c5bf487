"""EIA streams: one per series, paged with ``offset += length`` while below ``response.total``.

``GET /v2/<route>/data/?frequency=…&data[0]=value&facets[<facet>][]=<series>&start=…&sort[0][column]=period
&sort[0][direction]=asc&offset=…&length=…``.

Quirks handled (reference/apis.md §4): ``length`` is at most 5,000 (beyond, a ``warnings`` entry "incomplete
return" appears: logged and counted); since v2.1.6 every value and ``total`` is a JSON *string* (older answers:
numbers) and ``null`` means missing; ``request.params`` **echoes the api_key** — the raw page is stored with the
key masked (the key is a registered secret of the client) and the echo is never parsed into bronze; errors are
``{"error": "<text>", "code": 400}`` (bad parameter) or HTTP 403 ``{"error": {"code": "API_KEY_MISSING"|…}}``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

import orjson

from steps.errors import InputError
from steps.sources.base import Backfill, PageRequest
from steps.sources.eia import NAME, OBSERVATIONS
from steps.sources.eia.config import EiaConfig
from steps.sources.rest import Cursor, Offset, RestStream, path
from steps.sources.timeseries import KeyedSource, check_period, period_of, period_start
from steps.state import SourceState, Watermark

_ERRORS = frozenset({400, 404})
_KNOWN = {"period", "value", "units"}


def _error(source: str, series_id: str, route: str) -> Callable[[Any], None]:
    def check(payload: Any) -> None:
        if not (isinstance(payload, dict) and "error" in payload):
            return
        err = payload["error"]
        text = err.get("message") or err.get("code") if isinstance(err, dict) else err
        raise InputError(
            f"{source}: EIA refused series {series_id!r} of route {route} "
            f"({payload.get('code', '?')}: {' '.join(str(text).split())})",
            f"check sources.{source} (route, frequency, facet, series)",
        )

    return check


def _rows(cfg: EiaConfig, series_id: str) -> Callable[[list[Any], Any], dict[str, list[Any]]]:
    facet, frequency = cfg.facet, cfg.frequency

    def rows(records: list[Any], _payload: Any) -> dict[str, list[Any]]:
        """``response.data`` into columns; ``request`` (which echoes the key) is ignored."""
        periods = [str(r["period"]) for r in records]
        return {
            "route": [cfg.route] * len(records),
            "frequency": [frequency] * len(records),
            "series_id": [str(r.get(facet, series_id)) for r in records],
            "period": periods,
            "period_date": [period_start(p, frequency) for p in periods],
            "value": [_number(r.get("value")) for r in records],
            "units": [r.get("units") for r in records],
            "series_description": [r.get(f"{facet}-description") or r.get("series-description") for r in records],
            "attributes": [_attributes(r, facet) for r in records],
        }

    return rows


def _warnings(payload: Any) -> list[str]:
    """The warnings of ``response`` and of the payload (an incomplete return, a capped length)."""
    listed = (path("response", "warnings", default=[])(payload) or []) + (path("warnings", default=[])(payload) or [])
    return [_warning(w) for w in listed]


def _number(value: Any) -> float | None:
    if value is None or value == "":
        return None
    return float(value)


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
    """The configured EIA source: the key as the ``api_key`` parameter, a period watermark per series."""

    config: EiaConfig
    key_param = "api_key"

    def __init__(self, config: EiaConfig, name: str = NAME) -> None:
        """Build from configuration; the API key is read from ``api_key_env`` when first needed."""
        super().__init__(config, name, "eia", config.api_key_env, "EIA API key", "period")
        self.datasets = (OBSERVATIONS,)
        self.first = check_period(config.start, config.frequency, f"sources.{name}.start")
        self._ranges: dict[str, tuple[str, str | None]] = dict.fromkeys(config.series, (config.start, None))

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

    def streams(self) -> Sequence[RestStream]:
        """One stream per series, oldest period first."""
        return [self._stream(series, start, end) for series, (start, end) in self._ranges.items()]

    def _stream(self, series_id: str, start: str, end: str | None) -> RestStream:
        cfg = self.config
        params = {
            "frequency": cfg.frequency,
            "data[0]": "value",
            f"facets[{cfg.facet}][]": series_id,
            "start": start,
            "sort[0][column]": "period",
            "sort[0][direction]": "asc",
            "offset": "0",
            "length": str(cfg.page_size),
        }
        if end is not None:
            params["end"] = end
        return RestStream(
            self.name,
            series_id,
            OBSERVATIONS,
            f"{self.base_url}/{cfg.route}/data/",
            params,
            rows=_rows(cfg, series_id),
            records=path("response", "data"),
            api="the EIA API v2 (…/v2)",
            paginator=Offset(cfg.page_size, max_pages=cfg.max_pages),
            total=path("response", "total"),
            error=_error(self.name, series_id, cfg.route),
            warnings=_warnings,
            cursor=Cursor(self.tracker, series_id, "period"),
            accept=_ERRORS,
        )

    def probe(self) -> PageRequest:
        """One row of the first series."""
        first = self.streams()[0].first_request()
        return PageRequest(first.url, {**first.params, "length": "1"})
