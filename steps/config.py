"""The pipeline configuration: which sources run and their parameters (YAML, validated by pydantic).

Secrets never live here: a source names the *environment variable* that holds its key, token or password
(``api_key_env: FRED_API_KEY``), and the value is read from the environment when the source is built.
"""

from __future__ import annotations

import os
import re
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from steps.errors import ConfigError

DEFAULT_CONFIG = "defaults/pipeline.yaml"

# An environment variable named like this has its value masked in logs and reports (steps/redact.py).
SECRET_ENV_NAME = re.compile(r"(PASSWORD|SECRET|TOKEN|API_KEY|ACCESS_KEY)", re.IGNORECASE)
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]*$")
# Keys that would put a secret value into the config file; refused with a pointer to the *_env key.
_SECRET_KEYS = {"api_key": "api_key_env", "token": "token_env", "password": "password_env", "dsn": "host/port/…"}


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


class RateLimit(_Strict):
    """A provider quota of ``requests`` per ``per_seconds`` window, enforced client-side by a token bucket.

    The bucket holds ``burst`` tokens and refills so that no window of ``per_seconds`` ever sees more than
    ``requests`` requests (see steps/ratelimit.py).
    """

    requests: int = Field(gt=0, description="At most this many requests ...")
    per_seconds: float = Field(gt=0, description="... in any window of this many seconds.")
    burst: int = Field(1, ge=1, description="Requests that may leave back to back after an idle spell.")

    @model_validator(mode="after")
    def _burst_fits(self) -> RateLimit:
        if self.burst > self.requests:
            raise ValueError(f"burst {self.burst} is more than requests {self.requests}")
        return self


class BreakerPolicy(_Strict):
    """The circuit breaker of one source: after ``failures`` consecutive failed attempts the source stops."""

    failures: int = Field(5, ge=1, le=1000)


def _secret_env(value: str | None) -> str | None:
    if value is None:
        return None
    if not _ENV_NAME.match(value):
        raise ValueError(f"{value!r} is not an environment variable name")
    if not SECRET_ENV_NAME.search(value):
        raise ValueError(
            f"{value!r} must contain API_KEY, TOKEN, SECRET or PASSWORD so that its value is masked in logs"
        )
    return value


class SourceConfig(_Strict):
    """Fields every source has."""

    enabled: bool = True
    # 0 would make every run ingest and then fail the gold freshness gate (data is never younger than 0 days)
    max_age_days: float = Field(30, gt=0, description="Skip the source when its last ingest is younger.")
    breaker: BreakerPolicy = BreakerPolicy()
    rate_limits: list[RateLimit] = Field(default_factory=list, description="Token buckets, all enforced.")
    daily_quota: int | None = Field(None, gt=0, description="Requests per UTC day, counted across runs.")


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


class _TimeSeriesConfig(SourceConfig):
    """What the keyed time-series APIs (FRED, EIA, NOAA) share: a key from the environment and a watermark."""

    base_url: str
    lookback_days: int = Field(0, ge=0, le=36500, description="Re-fetch this many days before the watermark.")
    concurrency: int = Field(2, ge=1, le=16)
    max_pages: int = Field(10_000, ge=1, description="Refuse a stream announcing more pages (a runaway total).")


class FredConfig(_TimeSeriesConfig):
    """FRED series observations (api.stlouisfed.org/fred): one stream per series, plus its metadata."""

    kind: Literal["fred"] = "fred"
    api_key_env: str = "FRED_API_KEY"
    series: Annotated[list[str], Field(min_length=1)]
    start_date: date
    page_size: int = Field(1000, ge=1, le=100_000)
    # 120 requests per minute per key (apis.md §3).
    rate_limits: list[RateLimit] = Field(default_factory=lambda: [RateLimit(requests=120, per_seconds=60)])

    _key_env = field_validator("api_key_env")(_secret_env)

    @field_validator("series")
    @classmethod
    def _series_ids(cls, value: list[str]) -> list[str]:
        bad = [s for s in value if not re.fullmatch(r"[A-Za-z0-9_]{1,25}", s)]
        if bad:
            raise ValueError(f"series ids {bad} are not 1-25 letters, digits or '_'")
        return value


class EiaConfig(_TimeSeriesConfig):
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

    _key_env = field_validator("api_key_env")(_secret_env)

    @field_validator("route")
    @classmethod
    def _route(cls, value: str) -> str:
        route = value.strip("/")
        if not re.fullmatch(r"[a-z0-9-]+(/[a-z0-9-]+)*", route) or route.endswith("/data"):
            raise ValueError(f"route {value!r} is not an EIA route like petroleum/pri/spt (without /data)")
        return route


class NoaaConfig(_TimeSeriesConfig):
    """NOAA Climate Data Online v2, GHCND daily: one stream per station and ≤1-year window."""

    kind: Literal["noaa"] = "noaa"
    token_env: str = "NOAA_TOKEN"  # noqa: S105 - the name of a variable, not a token
    dataset: Literal["GHCND"] = "GHCND"
    stations: Annotated[list[str], Field(min_length=1)]
    datatypes: Annotated[list[str], Field(min_length=1)] = ["TMAX", "TMIN", "PRCP"]
    start_date: date
    end_date: date | None = Field(None, description="Last day to fetch; unset means today (UTC).")
    units: Literal["raw", "metric", "standard"] = Field(
        "metric", description="raw: GHCND's tenths of °C / mm, unscaled (no units parameter)."
    )
    page_size: int = Field(1000, ge=1, le=1000)
    # 5 requests per second and 10,000 per day per token (apis.md §5).
    rate_limits: list[RateLimit] = Field(default_factory=lambda: [RateLimit(requests=5, per_seconds=1)])
    daily_quota: int | None = Field(10_000, gt=0)

    _key_env = field_validator("token_env")(_secret_env)

    @model_validator(mode="after")
    def _dates_ordered(self) -> NoaaConfig:
        if self.end_date is not None and self.start_date > self.end_date:
            raise ValueError(f"start_date {self.start_date} is after end_date {self.end_date}")
        return self


class PostgresTable(_Strict):
    """One table of a Postgres source: read in full, or incrementally by a watermark column."""

    table: str = Field(description="schema.table, or table (schema public).")
    dataset: str | None = Field(None, description="Bronze dataset name; default: the table name.")
    primary_key: Annotated[list[str], Field(min_length=1)]
    mode: Literal["full", "incremental"] = "full"
    watermark_column: str | None = None
    lookback: float = Field(
        0, ge=0, description="Overlap re-read before the watermark: seconds for time columns, units for numbers."
    )
    columns: list[str] | None = Field(None, description="Columns to read; default: all.")

    @model_validator(mode="after")
    def _check(self) -> PostgresTable:
        parts = self.table.split(".")
        extra = [self.watermark_column] if self.watermark_column else []
        names = [*parts, *self.primary_key, *(self.columns or []), *extra]
        bad = [n for n in names if not _IDENTIFIER.match(n)]
        if len(parts) > 2 or bad:
            raise ValueError(f"{bad or self.table!r} are not plain SQL identifiers (letters, digits, '_')")
        if self.mode == "incremental" and not self.watermark_column:
            raise ValueError(f"table {self.table}: mode incremental needs a watermark_column")
        if self.columns is not None:
            missing = [c for c in [*self.primary_key, self.watermark_column] if c and c not in self.columns]
            if missing:
                raise ValueError(f"table {self.table}: columns must include {missing}")
        return self

    @property
    def schema_name(self) -> str:
        """The table's schema (``public`` when not given)."""
        return self.table.split(".")[0] if "." in self.table else "public"

    @property
    def table_name(self) -> str:
        """The table's name without its schema."""
        return self.table.rsplit(".", 1)[-1]

    @property
    def dataset_name(self) -> str:
        """The bronze dataset this table lands in."""
        return self.dataset or self.table_name


class PostgresConfig(SourceConfig):
    """Tables of a Postgres database, read through server-side cursors in chunks."""

    kind: Literal["postgres"] = "postgres"
    host: str = Field(description="Host name, or a folder holding the server's unix socket.")
    port: int = Field(5432, ge=1, le=65535)
    dbname: str
    user: str
    password_env: str | None = Field(None, description="Environment variable holding the password.")
    sslmode: Literal["disable", "allow", "prefer", "require", "verify-ca", "verify-full"] = "prefer"
    connect_timeout_s: int = Field(10, ge=1)
    chunk_rows: int = Field(10_000, ge=1, le=1_000_000)
    concurrency: int = Field(2, ge=1, le=16)
    tables: Annotated[list[PostgresTable], Field(min_length=1)]

    _password_env = field_validator("password_env")(_secret_env)

    @model_validator(mode="after")
    def _unique_datasets(self) -> PostgresConfig:
        names = [t.dataset_name for t in self.tables]
        if len(set(names)) != len(names):
            raise ValueError(f"two tables land in the same dataset: {names}; set dataset: on one")
        return self


class FileDataset(_Strict):
    """Files of one shape under the source's location, landing in one bronze dataset."""

    name: str = Field(description="Bronze dataset name.")
    pattern: str = Field(description="Glob relative to the location, e.g. fx/*.csv or **/*.jsonl.")
    format: Literal["csv", "json", "jsonl"] = "csv"
    primary_key: list[str] = Field(default_factory=list, description="Natural key; default: file and row.")
    delimiter: str = Field(",", min_length=1, max_length=1)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not _IDENTIFIER.match(value):
            raise ValueError(f"dataset name {value!r} is not a plain identifier")
        return value


class FilesConfig(SourceConfig):
    """CSV/JSON files from a local folder or an S3 prefix; a file is ingested again only when its bytes change."""

    kind: Literal["files"] = "files"
    location: str = Field(description="A folder, or s3://bucket/prefix (credentials: the AWS_* variables).")
    s3_endpoint: str | None = Field(None, description="S3 API URL (MinIO); unset: AWS, or TRIBUTARY_S3_ENDPOINT.")
    s3_region: str | None = None
    datasets: Annotated[list[FileDataset], Field(min_length=1)]
    concurrency: int = Field(2, ge=1, le=16)

    @model_validator(mode="after")
    def _unique_datasets(self) -> FilesConfig:
        names = [d.name for d in self.datasets]
        if len(set(names)) != len(names):
            raise ValueError(f"dataset names repeat: {names}")
        return self


AnySourceConfig = Annotated[
    WorldBankConfig | VnProvincesConfig | FredConfig | EiaConfig | NoaaConfig | PostgresConfig | FilesConfig,
    Field(discriminator="kind"),
]
SourceConfigs = WorldBankConfig | VnProvincesConfig | FredConfig | EiaConfig | NoaaConfig | PostgresConfig | FilesConfig
SOURCE_KINDS: dict[str, type[SourceConfig]] = {
    "worldbank": WorldBankConfig,
    "vn_provinces": VnProvincesConfig,
    "fred": FredConfig,
    "eia": EiaConfig,
    "noaa": NoaaConfig,
    "postgres": PostgresConfig,
    "files": FilesConfig,
}


class PipelineConfig(_Strict):
    """The whole configuration file."""

    http: HttpPolicy = HttpPolicy()
    sources: dict[str, AnySourceConfig]

    def enabled_sources(self) -> list[str]:
        """Names of enabled sources, in configuration order."""
        return [name for name, cfg in self.sources.items() if cfg.enabled]

    def secret_variables(self, name: str | None = None) -> list[str]:
        """Environment variables holding the secrets of the enabled sources (or of source ``name``), sorted.

        For deployments: the ingest and verify pods need exactly these from the sources' Secret.
        """
        names = [name] if name is not None else self.enabled_sources()
        found = {
            value
            for n in names
            for key, value in self.source(n).model_dump().items()
            if key.endswith("_env") and isinstance(value, str)
        }
        return sorted(found)

    def source(self, name: str) -> SourceConfigs:
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
        mark = getattr(exc, "problem_mark", None)
        if getattr(exc, "problem", None) and mark is not None:  # the problem and where, without the source excerpt
            detail = f"{exc.problem} (line {mark.line + 1}, column {mark.column + 1})"  # type: ignore[attr-defined]
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
    for key, instead in _SECRET_KEYS.items():
        if key in body:
            raise ConfigError(
                f"source {name!r} has a secret {key!r} in the configuration file",
                f"remove it: put the value in an environment variable (a Secret) and name it with {instead}",
            )
    return body


def _apply_env_overrides(raw: dict[str, Any]) -> None:
    """``TRIBUTARY_SOURCE_<NAME>_BASE_URL`` points a source elsewhere (the replay server, a mirror)."""
    for name, body in raw["sources"].items():
        override = os.environ.get(f"TRIBUTARY_SOURCE_{name.upper()}_BASE_URL")
        if override:
            body["base_url"] = override
