"""Source registry: configuration kind → source class. Adding a source means one module and one line here."""

from __future__ import annotations

from steps.config import PipelineConfig, VnProvincesConfig, WorldBankConfig
from steps.errors import ConfigError
from steps.sources.base import Dataset, PageRequest, ParsedPage, Source, Stream
from steps.sources.vn_provinces import VnProvincesSource
from steps.sources.worldbank import WorldBankSource

__all__ = ["Dataset", "PageRequest", "ParsedPage", "Source", "Stream", "build_source"]


def build_source(name: str, config: PipelineConfig) -> Source:
    """The configured source called ``name``."""
    cfg = config.source(name)
    if isinstance(cfg, WorldBankConfig):
        return WorldBankSource(cfg, name)
    if isinstance(cfg, VnProvincesConfig):
        return VnProvincesSource(cfg, name)
    raise ConfigError(f"source {name!r} has no implementation for kind {cfg.kind!r}", "check the source's kind")
