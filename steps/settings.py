"""Process settings shared by every stage, read from ``TRIBUTARY_*`` environment variables.

Endpoints and secrets have no defaults: in a pod a missing variable fails at start-up with its name. The
embedded (laptop) defaults are set explicitly by ``tributary run``, never silently here.
"""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from steps.errors import ConfigError
from steps.redact import is_secret_name

SettingsT = TypeVar("SettingsT", bound=BaseSettings)


class StageSettings(BaseSettings):
    """Settings every stage needs: where the lake is and which pipeline configuration to use."""

    model_config = SettingsConfigDict(env_prefix="TRIBUTARY_", extra="ignore", env_ignore_empty=True)

    lake: str = Field(description="Lake root: a local folder or s3://bucket[/prefix].")
    s3_endpoint: str | None = Field(None, description="S3 API endpoint URL (MinIO); unset means AWS S3.")
    s3_region: str | None = Field(None, description="S3 region; unset lets the SDK decide.")
    config: Path | None = Field(None, description="Pipeline configuration YAML; unset means the packaged default.")

    @field_validator("lake")
    @classmethod
    def _lake_not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value.strip()

    @field_validator("s3_endpoint")
    @classmethod
    def _endpoint_has_scheme(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError(f"must start with http:// or https:// (got {value!r})")
        return value


def load_settings(cls: type[SettingsT]) -> SettingsT:
    """Instantiate ``cls`` from the environment, turning validation errors into one actionable line."""
    try:
        return cls()
    except ValidationError as exc:
        prefix = str(cls.model_config.get("env_prefix", ""))
        problems = []
        for err in exc.errors():
            name = f"{prefix}{'_'.join(str(p) for p in err['loc'])}".upper()
            if err["type"] == "missing":
                problems.append(f"{name} is not set")
            else:
                problems.append(f"{name} is invalid{_shown(name, err.get('input'), err['msg'])}: {err['msg']}")
        raise ConfigError("; ".join(problems), "set it in the environment (ConfigMap/Secret in the cluster)") from None


def _shown(name: str, value: object, message: str) -> str:
    """`` (got 'abc')``: the bad value, unless it is a secret's or the message already quotes it."""
    if not isinstance(value, str) or is_secret_name(name) or repr(value) in message:
        return ""
    return f" (got {value[:80]!r})"
