"""What the keyed time-series sources (FRED, EIA, NOAA) share.

Where an incremental run starts, date windows, EIA periods, and the API key read from the environment.

Incremental rule: a stream starts at its watermark (the last observation date it delivered) minus the source's
``lookback_days`` (providers revise recent values: FRED's vintages, EIA's preliminary weeks, NOAA's late
station reports), never before the configured start; without a watermark at the configured start. A backfill
replaces both ends with its range.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta

from steps.errors import ConfigError
from steps.http import HttpClient
from steps.secrets import fingerprint, secret_from_env
from steps.sources.base import Backfill, WatermarkTracker
from steps.sources.config import TimeSeriesConfig
from steps.sources.registry import Dataset
from steps.state import Checkpoint, SourceState, Watermark, WatermarkKind


def incremental_start(watermark: Watermark | None, configured: date, lookback_days: int) -> date:
    """Where a stream resumes: ``watermark - lookback_days``, not before ``configured``."""
    if watermark is None:
        return configured
    return max(configured, date.fromisoformat(watermark.value[:10]) - timedelta(days=lookback_days))


def today() -> date:
    """Today in UTC (the providers' calendars)."""
    return datetime.now(UTC).date()


def add_years(day: date, years: int) -> date:
    """``day`` moved by whole years (29 February becomes 28 February)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def year_windows(first: date, last: date) -> list[tuple[date, date]]:
    """``[first, last]`` cut into windows shorter than a year (NOAA: "the date range must be less than 1 year")."""
    windows = []
    start = first
    while start <= last:
        nxt = add_years(start, 1)
        windows.append((start, min(last, nxt - timedelta(days=1))))
        start = nxt
    return windows


class ApiKey:
    """A source's credential, read from the environment variable its configuration names when first needed.

    Building a source reads no secret (stages that only need its datasets, like dbt, have none); the ingest reads
    it before fetching anything (the quota account) and verify when it prepares the source. A missing variable
    fails there with exit 2, naming it.
    """

    def __init__(self, provider: str, source: str, variable: str, what: str) -> None:
        """Remember where the key is."""
        self.provider = provider
        self.source = source
        self.variable = variable
        self.what = what
        self._value: str | None = None

    @property
    def value(self) -> str:
        """The key (read from the environment once)."""
        if self._value is None:
            self._value = secret_from_env(self.variable, self.source, self.what)
        return self._value

    @property
    def account(self) -> str:
        """``<provider>-<fingerprint>``: names the key's quota without revealing it."""
        return f"{self.provider}-{fingerprint(self.value)}"

    def as_param(self, client: HttpClient, name: str) -> None:
        """Send the key as query parameter ``name`` with every request of ``client``."""
        client.authorize(params={name: self.value})

    def as_header(self, client: HttpClient, name: str) -> None:
        """Send the key as header ``name`` with every request of ``client``."""
        client.authorize(headers={name: self.value})


# -- EIA periods ------------------------------------------------------------------------------------------------

_PERIOD = {
    "daily": re.compile(r"(\d{4})-(\d{2})-(\d{2})"),
    "weekly": re.compile(r"(\d{4})-(\d{2})-(\d{2})"),
    "monthly": re.compile(r"(\d{4})-(\d{2})"),
    "quarterly": re.compile(r"(\d{4})-Q([1-4])"),
    "annual": re.compile(r"(\d{4})"),
}


class KeyedSource:
    """What the keyed HTTP sources (FRED, EIA, NOAA) share: a credential, a base URL and per-key watermarks.

    The credential's fingerprint names the account providers count quotas for; it travels as the query parameter
    ``key_param`` or the header ``key_header`` (one of them is set by the subclass), added by the client.
    """

    key_param: str | None = None
    key_header: str | None = None
    config: TimeSeriesConfig
    datasets: tuple[Dataset, ...]

    def __init__(
        self, config: TimeSeriesConfig, name: str, provider: str, variable: str, what: str, kind: WatermarkKind
    ) -> None:
        """Remember the configuration; the key is read from ``variable`` when first needed."""
        self.name = name
        self.config = config
        self.concurrency = config.concurrency
        self.key = ApiKey(provider, name, variable, what)
        self.tracker = WatermarkTracker(kind)

    @property
    def account(self) -> str:
        """``<provider>-<key fingerprint>``: providers count limits per key."""
        return self.key.account

    @property
    def base_url(self) -> str:
        """Base URL without a trailing slash."""
        return self.config.base_url.rstrip("/")

    def prepare(self, client: HttpClient) -> None:
        """Send the key with every request (masked wherever a URL or body is reported)."""
        if self.key_param is not None:
            self.key.as_param(client, self.key_param)
        if self.key_header is not None:
            self.key.as_header(client, self.key_header)

    def checkpoint(self) -> Checkpoint:
        """The last value delivered per key (series, station)."""
        return Checkpoint(watermarks=self.tracker.watermarks())


def date_ranges(
    keys: Sequence[str],
    state: SourceState,
    backfill: Backfill | None,
    start: date,
    lookback_days: int,
    end: date | None,
) -> dict[str, tuple[date, date | None]]:
    """Per key, where this run starts and ends: the backfill's range, else the incremental rule up to ``end``."""
    if backfill is not None:
        return dict.fromkeys(keys, backfill.dates())
    marks = state.checkpoint.watermarks
    return {k: (incremental_start(marks.get(k), start, lookback_days), end) for k in keys}


def period_start(period: str, frequency: str) -> date:
    """The first day of an EIA period (``2024-01-15``, ``2024-01``, ``2024-Q1``, ``2024``); ValueError if malformed."""
    match = _PERIOD[frequency].fullmatch(period)
    if match is None:
        raise ValueError(f"{period!r} is not a {frequency} period")
    year = int(match[1])
    if frequency in ("daily", "weekly"):
        return date(year, int(match[2]), int(match[3]))
    if frequency == "monthly":
        return date(year, int(match[2]), 1)
    if frequency == "quarterly":
        return date(year, 3 * int(match[2]) - 2, 1)
    return date(year, 1, 1)


def period_of(day: date, frequency: str) -> str:
    """The EIA period holding ``day``."""
    if frequency in ("daily", "weekly"):
        return day.isoformat()
    if frequency == "monthly":
        return f"{day.year:04d}-{day.month:02d}"
    if frequency == "quarterly":
        return f"{day.year:04d}-Q{(day.month - 1) // 3 + 1}"
    return f"{day.year:04d}"


def check_period(period: str, frequency: str, where: str) -> date:
    """:func:`period_start`, or a ConfigError naming the configuration key."""
    try:
        return period_start(period, frequency)
    except ValueError:
        examples = {
            "daily": "2024-01-31",
            "weekly": "2024-01-29",
            "monthly": "2024-01",
            "quarterly": "2024-Q1",
            "annual": "2024",
        }
        raise ConfigError(
            f"{where} {period!r} is not a {frequency} period", f"write it like {examples[frequency]}"
        ) from None
