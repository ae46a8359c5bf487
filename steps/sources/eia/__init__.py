"""EIA Open Data API v2 (api.eia.gov/v2): one route and frequency, one stream per series (a facet value).

The package: ``config.py`` (the ``sources.<name>`` keys), ``source.py`` (streams and parsing), ``suites/`` (the
bronze expectation suites). Quirks are described in ``source.py`` and docs/sources.md.
"""

from __future__ import annotations

from steps.sources.eia.config import EiaConfig
from steps.sources.registry import Dataset, SourceSpec

NAME = "eia"  # the kind, and the name of a source entry that sets none

OBSERVATIONS = Dataset(
    name="observations",
    columns=(
        ("route", "string"),
        ("frequency", "string"),
        ("series_id", "string"),
        ("period", "string"),
        ("period_date", "date32"),
        ("value", "float64"),
        ("units", "string"),
        ("series_description", "string"),
        ("attributes", "string"),
    ),
    key=("route", "frequency", "series_id", "period"),
)

SOURCE = SourceSpec(
    kind=NAME,
    config=EiaConfig,
    implementation="steps.sources.eia.source:EiaSource",
    datasets=(OBSERVATIONS,),
    time_series=True,
    backfill="dates",
)
