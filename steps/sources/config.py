"""What every source's configuration has: the base model, rate limits, the breaker and the secret-variable rule.

Each source package declares its own model (``steps/sources/<kind>/config.py``) on :class:`SourceConfig`;
``steps/config.py`` validates a ``sources:`` entry with the model its ``kind`` names in the registry.

Secrets never live in the configuration: a source names the *environment variable* that holds its key, token or
password (``api_key_env: FRED_API_KEY``), and the value is read from the environment when the source is built.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, model_validator

from steps.lineage.datasets import DatasetRef, endpoint

# An environment variable named like this has its value masked in logs and reports (steps/redact.py).
SECRET_ENV_NAME = re.compile(r"(PASSWORD|SECRET|TOKEN|API_KEY|ACCESS_KEY)", re.IGNORECASE)
IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]*$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# Configuration keys that name an environment variable holding a secret end like this.
SECRET_SUFFIX = "_env"  # noqa: S105 - a key suffix, not a secret


class Strict(BaseModel):
    """A frozen model that refuses unknown keys."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class HttpPolicy(Strict):
    """Timeouts and retry policy shared by every HTTP source (``http:`` in the configuration)."""

    connect_timeout_s: float = Field(5, gt=0)
    read_timeout_s: float = Field(60, gt=0)
    max_attempts: int = Field(5, ge=1, le=20)
    backoff_base_s: float = Field(1.0, ge=0)
    backoff_max_s: float = Field(30.0, ge=0)
    max_retry_after_s: float = Field(120, ge=0)


class RateLimit(Strict):
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


class BreakerPolicy(Strict):
    """The circuit breaker of one source: after ``failures`` consecutive failed attempts the source stops."""

    failures: int = Field(5, ge=1, le=1000)


def secret_env(value: str | None) -> str | None:
    """Check a ``*_env`` key: a variable name whose value will be masked (a field validator of source models)."""
    if value is None:
        return None
    if not _ENV_NAME.match(value):
        raise ValueError(f"{value!r} is not an environment variable name")
    if not SECRET_ENV_NAME.search(value):
        raise ValueError(
            f"{value!r} must contain API_KEY, TOKEN, SECRET or PASSWORD so that its value is masked in logs"
        )
    return value


class SourceConfig(Strict):
    """Fields every source has; ``kind`` names its package in the registry (``steps/sources/<kind>/``)."""

    kind: str = Field("", description="The source's package in the registry; each source model fixes it.")
    enabled: bool = True
    # 0 would make every run ingest and then fail the gold freshness gate (data is never younger than 0 days)
    max_age_days: float = Field(30, gt=0, description="Skip the source when its last ingest is younger.")
    breaker: BreakerPolicy = BreakerPolicy()
    rate_limits: list[RateLimit] = Field(default_factory=list, description="Token buckets, all enforced.")
    daily_quota: int | None = Field(None, gt=0, description="Requests per UTC day, counted across runs.")

    def secret_variables(self) -> list[str]:
        """The environment variables this source reads secrets from (its ``*_env`` keys that are set), sorted."""
        found = {
            value for key, value in self.model_dump().items() if key.endswith(SECRET_SUFFIX) and isinstance(value, str)
        }
        return sorted(found)

    def lineage_inputs(self) -> list[DatasetRef]:
        """What an ingest of this source reads, as lineage datasets (never a credential)."""
        return []


class HttpSourceConfig(SourceConfig):
    """A source reached over HTTP at ``base_url`` (``TRIBUTARY_SOURCE_<NAME>_BASE_URL`` overrides it)."""

    base_url: str

    def lineage_inputs(self) -> list[DatasetRef]:
        """The API: namespace its scheme and host, name its base path."""
        return [endpoint(self.base_url)]


class TimeSeriesConfig(HttpSourceConfig):
    """What the keyed time-series APIs (FRED, EIA, NOAA) share: a key from the environment and a watermark."""

    lookback_days: int = Field(0, ge=0, le=36500, description="Re-fetch this many days before the watermark.")
    concurrency: int = Field(2, ge=1, le=16)
    max_pages: int = Field(10_000, ge=1, description="Refuse a stream announcing more pages (a runaway total).")
