"""FRED (api.stlouisfed.org/fred): observations of each configured series, plus the series' metadata.

The package: ``config.py`` (the ``sources.<name>`` keys), ``source.py`` (streams and parsing), ``suites/`` (the
bronze expectation suites). Quirks are described in ``source.py`` and docs/sources.md.
"""

from __future__ import annotations

from steps.sources.fred.config import FredConfig
from steps.sources.registry import Dataset, SourceSpec

NAME = "fred"  # the kind, and the name of a source entry that sets none

OBSERVATIONS = Dataset(
    name="observations",
    columns=(
        ("series_id", "string"),
        ("date", "date32"),
        ("value", "float64"),
        ("realtime_start", "date32"),
        ("realtime_end", "date32"),
    ),
    key=("series_id", "date"),
)
SERIES = Dataset(
    name="series",
    columns=(
        ("series_id", "string"),
        ("title", "string"),
        ("frequency", "string"),
        ("frequency_short", "string"),
        ("units", "string"),
        ("units_short", "string"),
        ("seasonal_adjustment", "string"),
        ("seasonal_adjustment_short", "string"),
        ("observation_start", "date32"),
        ("observation_end", "date32"),
        ("last_updated", "timestamp[us, tz=UTC]"),
        ("popularity", "int32"),
        ("notes", "string"),
    ),
    key=("series_id",),
)

SOURCE = SourceSpec(
    kind=NAME,
    config=FredConfig,
    implementation="steps.sources.fred.source:FredSource",
    datasets=(OBSERVATIONS, SERIES),
    time_series=True,
    backfill="dates",
)
