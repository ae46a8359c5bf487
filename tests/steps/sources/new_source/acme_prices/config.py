"""The acme source's configuration."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import Field, field_validator

from steps.sources.config import RateLimit, TimeSeriesConfig, secret_env


class AcmeConfig(TimeSeriesConfig):
    """Acme prices: one stream per item."""

    kind: Literal["acme"] = "acme"
    api_key_env: str = "ACME_API_KEY"
    items: Annotated[list[str], Field(min_length=1)]
    start_date: date
    page_size: int = Field(500, ge=1, le=1000)
    rate_limits: list[RateLimit] = Field(default_factory=lambda: [RateLimit(requests=10, per_seconds=1)])

    _key_env = field_validator("api_key_env")(secret_env)
