"""Sources: one package per source under ``steps/sources/<kind>/`` (config, streams, suites, metadata).

The registry (:mod:`steps.sources.registry`) finds the packages; :func:`build_source` and
:func:`check_reachable` are what the stages call. Shared pieces: :mod:`~steps.sources.base` (what a source and
a stream are), :mod:`~steps.sources.rest` (the REST stream every HTTP API declares), :mod:`~steps.sources.config`
(what every source's configuration has), :mod:`~steps.sources.timeseries` (keys, watermarks, date windows).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from steps.sources.registry import spec_for

if TYPE_CHECKING:
    from steps.config import PipelineConfig
    from steps.http import HttpClient
    from steps.sources.base import Source

__all__ = ["build_source", "check_reachable"]


def build_source(name: str, config: PipelineConfig) -> Source:
    """The configured source called ``name`` (its secrets are read from the environment when first needed)."""
    cfg = config.source(name)
    return spec_for(cfg.kind).factory()(cfg, name)


def check_reachable(source: Source, client: HttpClient, kind: str) -> None:
    """Prove ``source`` answers: prepare it (credentials, catalog, listing), then send its probe request if any."""
    source.prepare(client)
    if not spec_for(kind).http_probe:
        return
    probe = source.probe()
    client.get(probe.url, probe.params)
