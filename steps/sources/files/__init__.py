"""CSV and JSON files from a local folder or an S3 prefix: one stream per new or changed file.

The package: ``config.py`` (the ``sources.<name>`` keys), ``source.py`` (listing, change detection, schema
inference and reading), ``suites/`` (bronze expectation suites of configured instances, e.g. ``fx_files``). Its
datasets are its configured globs, their columns inferred from the first file.
"""

from __future__ import annotations

from steps.sources.files.config import FilesConfig
from steps.sources.registry import SourceSpec

NAME = "files"  # the kind, and the name of a source entry that sets none

SOURCE = SourceSpec(
    kind=NAME,
    config=FilesConfig,
    implementation="steps.sources.files.source:FilesSource",
    http_probe=False,
    backfill="dates",
)
