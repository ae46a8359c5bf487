"""Per-environment values of the rendered Argo manifests, read from ``workflows/argo/environments.yaml``.

Only orchestration values live here (namespace, images, schedule, resources, retries); stage settings and secrets
reach pods through the ``tributary-config`` ConfigMap and Secrets, never through these values.
"""

from __future__ import annotations

import os
import re
from importlib import resources
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from steps.errors import ConfigError
from steps.names import STAGES
from steps.schedule import SEPARATOR
from steps.schedule import Schedule as CronSchedule

ENVIRONMENTS_FILE = "environments.yaml"
ENV_NAMES = ("dev", "staging", "prod")

# Argo duration strings: a number of seconds or a Go duration such as "30s", "5m", "1h30m".
_DURATION = re.compile(r"^(\d+|(\d+(ms|s|m|h))+)$")
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h)")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
_QUANTITY = re.compile(r"^\d+(\.\d+)?(m|Ki|Mi|Gi|Ti|k|M|G|T)?$")

Quantity = Annotated[str, Field(pattern=_QUANTITY.pattern)]
Duration = Annotated[str, Field(pattern=_DURATION.pattern)]


def duration_seconds(value: str | int | float) -> float:
    """Seconds of an Argo duration: a number of seconds or a Go duration such as ``30s``, ``5m``, ``1h30m``.

    Raises:
        ValueError: anything else.
    """
    if isinstance(value, int | float):
        return float(value)
    text = value.strip()
    try:
        return float(text)
    except ValueError:
        pass
    parts = _DURATION_PART.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise ValueError(f"duration {value!r} is not seconds or a Go duration such as '30s', '5m', '1h30m'")
    return sum(float(n) * _UNITS[u] for n, u in parts)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Images(_Strict):
    """Where the stage images come from: ``<registry>/tributary-<stage>:<tag>``."""

    registry: str = Field(description="Registry prefix; empty for bare skaffold artifact names (dev).")
    tag: str | None = None

    @field_validator("tag")
    @classmethod
    def _pinned(cls, value: str | None) -> str | None:
        if value is not None and (value == "latest" or not _TAG.match(value)):
            raise ValueError(f"image tag {value!r} is not a pinned tag; use a version such as 0.1.0, never 'latest'")
        return value


class Schedule(_Strict):
    """The CronWorkflow's timing and history."""

    schedules: Annotated[list[str], Field(min_length=1)]
    timezone: str
    starting_deadline_seconds: int = Field(ge=0)
    successful_jobs_history_limit: int = Field(ge=0)
    failed_jobs_history_limit: int = Field(ge=0)
    suspend: bool

    @field_validator("schedules")
    @classmethod
    def _cron_fields(cls, value: list[str]) -> list[str]:
        for expr in value:
            if len(expr.split()) != 5:
                raise ValueError(f"schedule {expr!r} is not a 5-field cron expression such as '0 0 1 * *'")
        return value

    @model_validator(mode="after")
    def _parses(self) -> Schedule:
        # The freshness stage reads these expressions and zone at run time (workflows/argo/scheduling.py): a value
        # it would refuse must fail the render, not the first scheduled run.
        try:
            CronSchedule.parse(SEPARATOR.join(self.schedules), self.timezone)
        except ConfigError as exc:
            raise ValueError(exc.what) from None
        return self


class WorkflowLimits(_Strict):
    """Workflow-level limits, garbage collection and pod identity."""

    parallelism: int = Field(ge=1)
    active_deadline_seconds: int = Field(gt=0)
    ttl_seconds_after_success: int = Field(ge=0)
    ttl_seconds_after_failure: int = Field(ge=0)
    pod_gc_strategy: Literal["OnPodCompletion", "OnPodSuccess", "OnWorkflowCompletion", "OnWorkflowSuccess"]
    pod_gc_delete_delay: Duration
    run_as_user: int = Field(gt=0)


class Retry(_Strict):
    """Retry policy of every template (what is retried: workflows.argo.templates.RETRY_EXPRESSION).

    There is no ``maxDuration`` setting: each template's is derived from its deadline, so that Argo's clipping of
    retry deadlines never shortens a retry (workflows.argo.templates.retry_budget_seconds).
    """

    limit: int = Field(ge=0)
    backoff_duration: Duration
    backoff_factor: int = Field(ge=1)
    backoff_cap: Duration


class StageResources(_Strict):
    """Requests, limits and the per-attempt deadline of one stage's pods."""

    cpu_request: Quantity
    memory_request: Quantity
    cpu_limit: Quantity
    memory_limit: Quantity
    deadline_seconds: int = Field(gt=0)


class Environment(_Strict):
    """Everything that differs between dev, staging and prod."""

    name: str
    namespace: str = Field(pattern=r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
    service_account: str
    images: Images
    schedule: Schedule
    workflow: WorkflowLimits
    retry: Retry
    stages: dict[str, StageResources]

    @field_validator("stages")
    @classmethod
    def _every_stage(cls, value: dict[str, StageResources]) -> dict[str, StageResources]:
        missing, unknown = set(STAGES) - set(value), set(value) - set(STAGES)
        if missing or unknown:
            raise ValueError(
                f"stages must be exactly {', '.join(STAGES)} (missing {sorted(missing)}, unknown {sorted(unknown)})"
            )
        return value


class SettingsError(ValueError):
    """The environment name or the environments file is wrong; the message names the key and the fix."""


def load_environment(name: str, *, registry: str | None = None, tag: str | None = None) -> Environment:
    """The settings of environment ``name``, with image overrides applied.

    Args:
        name: One of ``dev``, ``staging``, ``prod``.
        registry: Image registry override; else ``TRIBUTARY_IMAGE_REGISTRY``; else the environment's value.
        tag: Image tag override; else ``TRIBUTARY_IMAGE_TAG``; else the environment's value (default: the version).

    Raises:
        SettingsError: unknown environment or invalid values.
    """
    raw = yaml.safe_load(resources.files("workflows.argo").joinpath(ENVIRONMENTS_FILE).read_text(encoding="utf-8"))
    environments = raw.get("environments", {})
    if name not in environments:
        raise SettingsError(f"unknown environment {name!r}; use one of: {', '.join(environments)}")
    merged = _deep_merge(raw.get("defaults", {}), environments[name] or {})
    images = merged.setdefault("images", {})
    images["registry"] = registry or os.environ.get("TRIBUTARY_IMAGE_REGISTRY") or images.get("registry")
    images["tag"] = tag or os.environ.get("TRIBUTARY_IMAGE_TAG") or images.get("tag")
    try:
        return Environment.model_validate({"name": name, **merged})
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        raise SettingsError(
            f"workflows/argo/{ENVIRONMENTS_FILE} environment {name}: {where}: {err['msg']} (got {err.get('input')!r})"
        ) from None


def _deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged
