"""The pipeline configuration: which sources run and their parameters (YAML, validated by pydantic).

This module holds what belongs to the whole pipeline (the HTTP policy, the ``sources:`` mapping, loading and
environment overrides). Each source's own model lives in its package (``steps/sources/<kind>/config.py``); an
entry is validated with the model its ``kind`` names in the registry (``steps/sources/registry.py``).

Secrets never live here: a source names the *environment variable* that holds its key, token or password
(``api_key_env: FRED_API_KEY``), and the value is read from the environment when the source is built.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import SerializeAsAny, ValidationError, field_validator

from steps import yaml_text
from steps.errors import ConfigError
from steps.prune.policy import RetentionPolicy
from steps.sources.config import HttpPolicy as HttpPolicy  # where it used to be defined
from steps.sources.config import SourceConfig as SourceConfig  # the base of every source's model
from steps.sources.config import Strict

DEFAULT_CONFIG = "defaults/pipeline.yaml"

# Keys that would put a secret value into the config file; refused with a pointer to the *_env key.
_SECRET_KEYS = {"api_key": "api_key_env", "token": "token_env", "password": "password_env", "dsn": "host/port/…"}


class PipelineConfig(Strict):
    """The whole configuration file."""

    http: HttpPolicy = HttpPolicy()
    retention: RetentionPolicy = RetentionPolicy()  # what `tributary prune` removes (steps/prune)
    sources: dict[str, SerializeAsAny[SourceConfig]]

    @field_validator("sources", mode="before")
    @classmethod
    def _by_kind(cls, value: Any) -> Any:
        """Each entry validated with the model of its kind (a model already built passes through)."""
        if not isinstance(value, dict):
            return value
        return {
            name: body if isinstance(body, SourceConfig) else _source_model(name, body).model_validate(body)
            for name, body in value.items()
        }

    def enabled_sources(self) -> list[str]:
        """Names of enabled sources, in configuration order."""
        return [name for name, cfg in self.sources.items() if cfg.enabled]

    def secret_variables(self, name: str | None = None) -> list[str]:
        """Environment variables holding the secrets of the enabled sources (or of source ``name``), sorted.

        For deployments: the ingest and verify pods need exactly these from the sources' Secret.
        """
        names = [name] if name is not None else self.enabled_sources()
        return sorted({variable for n in names for variable in self.source(n).secret_variables()})

    def source(self, name: str) -> SourceConfig:
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
        raw = yaml_text.safe_load(text) or {}
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
    built: dict[str, Any] = {}
    for name, body in raw["sources"].items():  # each source with its kind's model: errors name sources.<name>.<key>
        try:
            built[name] = _source_model(name, body).model_validate(body)
        except ValidationError as exc:
            raise _config_error(where, exc, ("sources", name)) from None
    try:
        return PipelineConfig.model_validate({**raw, "sources": built})
    except ValidationError as exc:
        raise _config_error(where, exc) from None


def _config_error(where: str, exc: ValidationError, prefix: tuple[str, ...] = ()) -> ConfigError:
    err = exc.errors()[0]
    loc = ".".join(str(p) for p in (*prefix, *err["loc"]))
    return ConfigError(f"config {where}: {loc}: {err['msg']} (got {err.get('input')!r})", "correct that key")


def _source_model(name: str, body: dict[str, Any]) -> type[SourceConfig]:
    from steps.sources.registry import kinds, specs

    kind = body.get("kind", name)
    for spec in specs():
        if spec.kind == kind:
            return spec.config
    raise ConfigError(f"source {name!r} has unknown kind {kind!r}", f"use one of: {', '.join(kinds())}")


def _with_kind(name: str, raw: Any) -> dict[str, Any]:
    body: dict[str, Any] = dict(raw or {})
    body.setdefault("kind", name)
    _source_model(name, body)  # an unknown kind is refused before any key is read
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
