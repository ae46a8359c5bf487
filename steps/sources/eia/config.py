"""The EIA source's configuration: route, frequency, facet, series and the key's variable."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import Field, field_validator

from steps.sources.config import RateLimit, TimeSeriesConfig, secret_env


class EiaConfig(TimeSeriesConfig):
    """EIA API v2 (api.eia.gov/v2): one route and frequency, one stream per value of a facet (a series)."""

    kind: Literal["eia"] = "eia"
    api_key_env: str = "EIA_API_KEY"
    route: str = Field(description="Dataset route below /v2, e.g. petroleum/pri/spt.")
    frequency: Literal["daily", "weekly", "monthly", "quarterly", "annual"] = "daily"
    facet: str = Field("series", description="The facet whose values name the series.")
    series: Annotated[list[str], Field(min_length=1)]
    start: str = Field(description="First period, in the frequency's format (2024-01-01, 2024-01, 2024-Q1, 2024).")
    page_size: int = Field(5000, ge=1, le=5000)
    # No published limit; the EIA FAQ: bursts under 5/s and under ~9,000/hour are safe (apis.md §4).
    rate_limits: list[RateLimit] = Field(
        default_factory=lambda: [RateLimit(requests=5, per_seconds=1), RateLimit(requests=9000, per_seconds=3600)]
    )

    _key_env = field_validator("api_key_env")(secret_env)

    @field_validator("route")
    @classmethod
    def _route(cls, value: str) -> str:
        route = value.strip("/")
        if not re.fullmatch(r"[a-z0-9-]+(/[a-z0-9-]+)*", route) or route.endswith("/data"):
            raise ValueError(f"route {value!r} is not an EIA route like petroleum/pri/spt (without /data)")
        return route
