"""A made-up REST source (docs/adding-a-source.md's ``acme``): the whole of a new source is this package."""

from __future__ import annotations

from steps.sources.registry import Dataset, SourceSpec

from .config import AcmeConfig

NAME = "acme"

PRICES = Dataset("prices", (("item", "string"), ("day", "date32"), ("price", "float64")), key=("item", "day"))

SOURCE = SourceSpec(
    kind=NAME,
    config=AcmeConfig,
    implementation=f"{__name__}.source:AcmeSource",
    datasets=(PRICES,),
    time_series=True,
    backfill="dates",
)
