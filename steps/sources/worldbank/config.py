"""The World Bank source's configuration: countries × indicators over a year range."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from steps.sources.config import HttpSourceConfig


class WorldBankConfig(HttpSourceConfig):
    """World Bank indicators API v2: countries × indicators over a year range."""

    kind: Literal["worldbank"] = "worldbank"
    countries: Annotated[list[str], Field(min_length=1)] = Field(default_factory=lambda: ["VN"])
    indicators: Annotated[list[str], Field(min_length=1)]
    start_year: int = Field(ge=1960, le=2100)
    end_year: int = Field(ge=1960, le=2100)
    per_page: int = Field(1000, ge=1, le=32500)
    concurrency: int = Field(4, ge=1, le=64)

    @model_validator(mode="after")
    def _years_ordered(self) -> WorldBankConfig:
        if self.start_year > self.end_year:
            raise ValueError(f"start_year {self.start_year} is after end_year {self.end_year}")
        return self
