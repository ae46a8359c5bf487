"""The FRED source's configuration: series, start date, page size and the key's variable."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Literal

from pydantic import Field, field_validator

from steps.sources.config import RateLimit, TimeSeriesConfig, secret_env


class FredConfig(TimeSeriesConfig):
    """FRED series observations (api.stlouisfed.org/fred): one stream per series, plus its metadata."""

    kind: Literal["fred"] = "fred"
    api_key_env: str = "FRED_API_KEY"
    series: Annotated[list[str], Field(min_length=1)]
    start_date: date
    page_size: int = Field(1000, ge=1, le=100_000)
    # 120 requests per minute per key (apis.md §3).
    rate_limits: list[RateLimit] = Field(default_factory=lambda: [RateLimit(requests=120, per_seconds=60)])

    _key_env = field_validator("api_key_env")(secret_env)

    @field_validator("series")
    @classmethod
    def _series_ids(cls, value: list[str]) -> list[str]:
        bad = [s for s in value if not re.fullmatch(r"[A-Za-z0-9_]{1,25}", s)]
        if bad:
            raise ValueError(f"series ids {bad} are not 1-25 letters, digits or '_'")
        return value
