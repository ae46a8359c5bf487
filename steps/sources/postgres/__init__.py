"""Postgres tables, each read through a server-side cursor in chunks (full, or incrementally by a watermark column).

The package: ``config.py`` (the ``sources.<name>`` keys), ``source.py`` (catalog, cursors, watermarks),
``suites/`` (bronze expectation suites of configured instances, e.g. ``app_db``). Its datasets are its configured
tables, their columns read from the catalog when the source is prepared.
"""

from __future__ import annotations

from steps.sources.postgres.config import PostgresConfig
from steps.sources.registry import SourceSpec

NAME = "postgres"  # the kind, and the name of a source entry that sets none

SOURCE = SourceSpec(
    kind=NAME,
    config=PostgresConfig,
    implementation="steps.sources.postgres.source:PostgresSource",
    http_probe=False,
    backfill="watermark",
)
