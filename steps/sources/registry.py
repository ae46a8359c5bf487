"""The source registry: one :class:`SourceSpec` per package under ``steps/sources/<kind>/``.

It is the one list of sources every consumer reads.

A source package's ``__init__.py`` holds its metadata as ``SOURCE = SourceSpec(...)``: its kind, its configuration
model, its datasets and natural keys, whether its data has a time dimension, and where its implementation is
(imported only when a source is built, so that reading the registry costs pydantic models and nothing more).
Packages are found by listing ``steps/sources/``: adding a source is adding its package.

Who reads it: the configuration (``steps/config.py`` validates a ``sources:`` entry with its kind's model), the
stages that build sources (ingest, verify, the Trino bronze tables), the bronze suite loader (a package's
``suites/`` folder), the DAG fan-out and the credentials it mounts (``workflows/argo/render.py``), and
``tributary run --replay`` (a replay provider per kind).
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from typing import TYPE_CHECKING, Any, Literal

from steps.errors import ConfigError
from steps.sources.config import SECRET_SUFFIX, SourceConfig
from steps.sources.dataset import Dataset as Dataset  # the packages declare theirs through the registry

if TYPE_CHECKING:
    from steps.sources.base import Source

SPEC_ATTRIBUTE = "SOURCE"
SUITES_FOLDER = "suites"

BackfillForm = Literal["dates", "years", "watermark"]
"""How a source's backfill range is written: ``YYYY-MM-DD:YYYY-MM-DD``, ``YYYY:YYYY``, or two values of its
watermark column (checked against the column's type when the source connects)."""


@dataclass(frozen=True)
class SourceSpec:
    """A source package as the registry knows it.

    Attributes:
        kind: The ``kind`` of its ``sources:`` entries (by default the entry's name), e.g. ``fred``.
        config: The configuration model of its entries.
        implementation: ``module:Class`` of the source, built as ``Class(config, name)`` (imported on first use).
        datasets: Its bronze datasets and natural keys; empty when the configuration decides them (Postgres
            tables, file datasets).
        time_series: Whether its rows are observations over time (a date or period column), as opposed to
            reference data (administrative units, metadata).
        http_probe: Whether verify proves it reachable with its probe request (HTTP APIs); ``False`` for
            sources that connect or list instead (databases, files), for which preparing is the check.
        backfill: How a backfill range of it is written (:data:`BackfillForm`); None when it has no time
            dimension to backfill (reference data, fetched whole every run).
        package: The Python package it lives in (set by the registry; its ``suites/`` folder holds its bronze
            expectation suites).
    """

    kind: str
    config: type[SourceConfig]
    implementation: str
    datasets: tuple[Dataset, ...] = ()
    time_series: bool = False
    http_probe: bool = True
    backfill: BackfillForm | None = None
    package: str = ""

    def factory(self) -> Callable[[Any, str], Source]:
        """The source class (imported now)."""
        module, _, name = self.implementation.partition(":")
        factory: Callable[[Any, str], Source] = getattr(importlib.import_module(module), name)
        return factory

    @property
    def secret_keys(self) -> tuple[str, ...]:
        """Configuration keys that name a secret's environment variable (``api_key_env``, ``password_env``)."""
        return tuple(k for k in self.config.model_fields if k.endswith(SECRET_SUFFIX))

    @property
    def default_secret_variables(self) -> tuple[str, ...]:
        """The variables those keys name by default (``FRED_API_KEY``); a deployment may name others."""
        defaults = (self.config.model_fields[k].default for k in self.secret_keys)
        return tuple(d for d in defaults if isinstance(d, str))

    def suites(self) -> Traversable | None:
        """The package's folder of bronze expectation suites, if it has one."""
        if not self.package:
            return None
        folder = resources.files(self.package).joinpath(SUITES_FOLDER)
        return folder if folder.is_dir() else None


_specs: dict[str, SourceSpec] = {}
_discovered = False


def register(spec: SourceSpec, package: str | None = None) -> SourceSpec:
    """Add a source to the registry (the packages under ``steps/sources/`` are added when first needed).

    Args:
        spec: The source.
        package: The package holding it (its ``suites/`` folder); default: the spec's own ``package``.

    Returns:
        The spec as registered.

    Raises:
        ValueError: If another package already registered its kind.
    """
    if package is not None:
        spec = SourceSpec(**{**spec.__dict__, "package": package})
    existing = _specs.get(spec.kind)
    if existing is not None and existing != spec:
        raise ValueError(
            f"source kind {spec.kind!r} of {spec.package or spec.implementation} is already registered by "
            f"{existing.package or existing.implementation}: give each source package its own kind"
        )
    _specs[spec.kind] = spec
    return spec


def unregister(kind: str) -> None:
    """Remove a kind again (tests that register a throwaway source)."""
    _specs.pop(kind, None)


def specs() -> tuple[SourceSpec, ...]:
    """Every registered source, in kind order (the packages under ``steps/sources/`` are imported on first call)."""
    global _discovered
    if not _discovered:
        import steps.sources as package

        for module in pkgutil.iter_modules(package.__path__):
            if not module.ispkg:
                continue
            name = f"{package.__name__}.{module.name}"
            spec = getattr(importlib.import_module(name), SPEC_ATTRIBUTE, None)
            if isinstance(spec, SourceSpec):
                register(spec, package=name)
        _discovered = True
    return tuple(sorted(_specs.values(), key=lambda s: s.kind))


def kinds() -> tuple[str, ...]:
    """Every registered kind, sorted."""
    return tuple(s.kind for s in specs())


def spec_for(kind: str) -> SourceSpec:
    """The source of ``kind``, or a ConfigError naming the known kinds."""
    for spec in specs():
        if spec.kind == kind:
            return spec
    raise ConfigError(f"no source package for kind {kind!r}", f"use one of: {', '.join(kinds())}")
