"""NOAA Climate Data Online v2 (``/cdo-web/api/v2/data``), GHCND daily summaries: one stream per station and window.

The package: ``config.py`` (the ``sources.<name>`` keys), ``source.py`` (streams and parsing), ``suites/`` (the
bronze expectation suites). Quirks are described in ``source.py`` and docs/sources.md.
"""

from __future__ import annotations

from steps.sources.noaa.config import NoaaConfig
from steps.sources.registry import Dataset, SourceSpec

NAME = "noaa"  # the kind, and the name of a source entry that sets none

OBSERVATIONS = Dataset(
    name="observations",
    columns=(
        ("station", "string"),
        ("date", "date32"),
        ("datatype", "string"),
        ("value", "float64"),
        ("units", "string"),
        ("mflag", "string"),
        ("qflag", "string"),
        ("sflag", "string"),
        ("obs_time", "string"),
        ("attributes", "string"),
    ),
    key=("station", "date", "datatype"),
)

SOURCE = SourceSpec(
    kind=NAME,
    config=NoaaConfig,
    implementation="steps.sources.noaa.source:NoaaSource",
    datasets=(OBSERVATIONS,),
    time_series=True,
    backfill="dates",
)
