"""The pipeline configuration: which sources run and their parameters (YAML, validated by pydantic)."""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from steps.errors import ConfigError

DEFAULT_CONFIG = "defaults/pipeline.yaml"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class HttpPolicy(_Strict):
    """Timeouts and retry policy shared by every HTTP source."""

    connect_timeout_s: float = Field(5, gt=0)
    read_timeout_s: float = Field(60, gt=0)
    max_attempts: int = Field(5, ge=1, le=20)
    backoff_base_s: float = Field(1.0, ge=0)
    backoff_max_s: float = Field(30.0, ge=0)
    max_retry_after_s: float = Field(120, ge=0)


class SourceConfig(_Strict):
    """Fields every source has."""

    enabled: bool = True
    max_age_days: float = Field(30, ge=0, description="Skip the source when its last ingest is younger.")


class WorldBankConfig(SourceConfig):
    """World Bank indicators API v2: countries × indicators over a year range."""

    kind: Literal["worldbank"] = "worldbank"
    base_url: str
    countries: Annotated[list[str], Field(min_length=1)] = ["VN"]
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


class VnProvincesConfig(SourceConfig):
    """Vietnam provinces API: provinces, districts and wards (v1) or provinces and wards (v2, post-reform)."""

    kind: Literal["vn_provinces"] = "vn_provinces"
    base_url: str
    api: Literal["auto", "v1", "v2"] = "auto"


AnySourceConfig = Annotated[WorldBankConfig | VnProvincesConfig, Field(discriminator="kind")]
SOURCE_KINDS: dict[str, type[SourceConfig]] = {"worldbank": WorldBankConfig, "vn_provinces": VnProvincesConfig}


class PipelineConfig(_Strict):
    """The whole configuration file."""

    http: HttpPolicy = HttpPolicy()
    sources: dict[str, AnySourceConfig]

    def enabled_sources(self) -> list[str]:
        """Names of enabled sources, in configuration order."""
        return [name for name, cfg in self.sources.items() if cfg.enabled]

    def source(self, name: str) -> WorldBankConfig | VnProvincesConfig:
        """The configuration of one source, or a ConfigError naming the known ones."""
        if name not in self.sources:
            known = ", ".join(self.sources) or "none"
            raise ConfigError(f"unknown source {name!r}", f"use one of: {known}")
        return self.sources[name]


def load_config(path: Path | None = None) -> PipelineConfig:
    """Read, env-override and validate the pipeline configuration (the packaged default when ``path`` is None)."""
    if path is None:
        text = resources.files("steps").joinpath(DEFAULT_CONFIG).read_text(encoding="utf-8")
        where = f"packaged {DEFAULT_CONFIG}"
    else:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"cannot read config file {path}: {exc.strerror}", "check TRIBUTARY_CONFIG") from None
        where = str(path)
    try:
        raw = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        detail = " ".join(str(exc).split())
        raise ConfigError(f"config {where} is not valid YAML: {detail}", "fix the YAML syntax") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("sources"), dict):
        raise ConfigError(f"config {where} has no 'sources' mapping", "add a 'sources:' section")
    raw["sources"] = {name: _with_kind(name, body) for name, body in raw["sources"].items()}
    _apply_env_overrides(raw)
    try:
        return PipelineConfig.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        parts = list(err["loc"])
        if len(parts) >= 3 and parts[0] == "sources" and parts[2] in SOURCE_KINDS:
            del parts[2]  # the discriminator tag pydantic inserts
        loc = ".".join(str(p) for p in parts)
        raise ConfigError(
            f"config {where}: {loc}: {err['msg']} (got {err.get('input')!r})", "correct that key"
        ) from None


def _with_kind(name: str, raw: Any) -> dict[str, Any]:
    body: dict[str, Any] = dict(raw or {})
    kind = body.setdefault("kind", name)
    if kind not in SOURCE_KINDS:
        raise ConfigError(f"source {name!r} has unknown kind {kind!r}", f"use one of: {', '.join(SOURCE_KINDS)}")
    return body


def _apply_env_overrides(raw: dict[str, Any]) -> None:
    """``TRIBUTARY_SOURCE_<NAME>_BASE_URL`` points a source elsewhere (the replay server, a mirror)."""
    for name, body in raw["sources"].items():
        override = os.environ.get(f"TRIBUTARY_SOURCE_{name.upper()}_BASE_URL")
        if override:
            body["base_url"] = override
