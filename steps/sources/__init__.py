"""Source registry: configuration kind → source class. Adding a source means one module and one line here."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from steps.config import PipelineConfig
from steps.errors import ConfigError
from steps.http import HttpClient
from steps.sources.base import Backfill, Dataset, Incremental, PageRequest, ParsedPage, ReaderStream, Source, Stream
from steps.sources.eia import EiaSource
from steps.sources.files import FilesSource
from steps.sources.fred import FredSource
from steps.sources.noaa import NoaaSource
from steps.sources.postgres import PostgresSource
from steps.sources.vn_provinces import VnProvincesSource
from steps.sources.worldbank import WorldBankSource

__all__ = [
    "Backfill",
    "Dataset",
    "Incremental",
    "PageRequest",
    "ParsedPage",
    "ReaderStream",
    "Source",
    "Stream",
    "build_source",
    "check_reachable",
]

# kind → constructor(config, name). The config class of each kind is in steps/config.py (SOURCE_KINDS).
REGISTRY: dict[str, Callable[[Any, str], Source]] = {
    "worldbank": WorldBankSource,
    "vn_provinces": VnProvincesSource,
    "fred": FredSource,
    "eia": EiaSource,
    "noaa": NoaaSource,
    "postgres": PostgresSource,
    "files": FilesSource,
}

# Kinds that are not reached over HTTP: prepare() connects or lists, there is no probe request.
_NO_HTTP_PROBE = frozenset({"postgres", "files"})


def build_source(name: str, config: PipelineConfig) -> Source:
    """The configured source called ``name`` (its secrets are read from the environment when first needed)."""
    cfg = config.source(name)
    factory = REGISTRY.get(cfg.kind)
    if factory is None:
        raise ConfigError(f"source {name!r} has no implementation for kind {cfg.kind!r}", "check the source's kind")
    return factory(cfg, name)


def check_reachable(source: Source, client: HttpClient, kind: str) -> None:
    """Prove ``source`` answers: prepare it (credentials, catalog, listing), then send its probe request if any."""
    source.prepare(client)
    if kind in _NO_HTTP_PROBE:
        return
    probe = source.probe()
    client.get(probe.url, probe.params)
