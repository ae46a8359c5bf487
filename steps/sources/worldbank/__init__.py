"""World Bank indicators API v2: one stream per indicator over the configured countries and years.

The package: ``config.py`` (the ``sources.<name>`` keys), ``source.py`` (streams and parsing), ``suites/`` (the
bronze expectation suites). Quirks are described in ``source.py`` and docs/sources.md.
"""

from __future__ import annotations

from steps.sources.registry import Dataset, SourceSpec
from steps.sources.worldbank.config import WorldBankConfig

NAME = "worldbank"  # the kind, and the name of a source entry that sets none

INDICATOR_VALUES = Dataset(
    name="indicator_values",
    columns=(
        ("country_id", "string"),
        ("country_iso3", "string"),
        ("country_name", "string"),
        ("indicator_id", "string"),
        ("indicator_name", "string"),
        ("year", "int32"),
        ("value", "float64"),
        ("unit", "string"),
        ("obs_status", "string"),
        ("decimal", "int32"),
        ("last_updated", "date32"),
    ),
    key=("country_iso3", "indicator_id", "year"),
)

SOURCE = SourceSpec(
    kind=NAME,
    config=WorldBankConfig,
    implementation="steps.sources.worldbank.source:WorldBankSource",
    datasets=(INDICATOR_VALUES,),
    time_series=True,
    backfill="years",
)
