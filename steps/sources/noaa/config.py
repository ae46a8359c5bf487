"""The NOAA source's configuration: stations, datatypes, date range and the token's variable."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from steps.sources.config import RateLimit, TimeSeriesConfig, secret_env


class NoaaConfig(TimeSeriesConfig):
    """NOAA Climate Data Online v2, GHCND daily: one stream per station and ≤1-year window."""

    kind: Literal["noaa"] = "noaa"
    token_env: str = "NOAA_TOKEN"  # noqa: S105 - the name of a variable, not a token
    dataset: Literal["GHCND"] = "GHCND"
    stations: Annotated[list[str], Field(min_length=1)]
    datatypes: Annotated[list[str], Field(min_length=1)] = Field(default_factory=lambda: ["TMAX", "TMIN", "PRCP"])
    start_date: date
    end_date: date | None = Field(None, description="Last day to fetch; unset means today (UTC).")
    units: Literal["raw", "metric", "standard"] = Field(
        "metric", description="raw: GHCND's tenths of °C / mm, unscaled (no units parameter)."
    )
    page_size: int = Field(1000, ge=1, le=1000)
    # 5 requests per second and 10,000 per day per token (apis.md §5).
    rate_limits: list[RateLimit] = Field(default_factory=lambda: [RateLimit(requests=5, per_seconds=1)])
    daily_quota: int | None = Field(10_000, gt=0)

    _key_env = field_validator("token_env")(secret_env)

    @model_validator(mode="after")
    def _dates_ordered(self) -> NoaaConfig:
        if self.end_date is not None and self.start_date > self.end_date:
            raise ValueError(f"start_date {self.start_date} is after end_date {self.end_date}")
        return self
