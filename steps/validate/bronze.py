"""Reading the bronze batch one run ingested: its manifests and the Parquet files they name, as pandas frames.

Only files named by the run's committed manifest ``bronze/<source>/_manifests/<run_id>.json`` are read, through
:class:`steps.lake.Lake` (a local folder or S3), so the gate sees exactly what the ingest committed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.parquet as pq
from pydantic import BaseModel, ConfigDict, ValidationError

from steps import layout
from steps.errors import InputError
from steps.lake import Lake

if TYPE_CHECKING:
    import pandas as pd


class DatasetEntry(BaseModel):
    """One dataset file a manifest names."""

    model_config = ConfigDict(extra="ignore")

    path: str
    rows: int


class StreamEntry(BaseModel):
    """One stream a manifest records, with the total the API reported for it."""

    model_config = ConfigDict(extra="ignore")

    stream_id: str
    api_total: int | None = None


class ManifestView(BaseModel):
    """The parts of an ingest manifest (``steps.ingest.bronze.Manifest``) the gate needs.

    Its own small model so that the validate image does not need the ingest stage's HTTP dependencies.
    """

    model_config = ConfigDict(extra="ignore")

    source: str
    run_id: str
    datasets: dict[str, DatasetEntry]
    streams: list[StreamEntry]
    details: dict[str, str] = {}  # e.g. "backfill": the START:END range of a backfill run


@dataclass
class BronzeBatch:
    """One dataset file of the batch, read."""

    source: str
    dataset: str
    path: str
    frame: pd.DataFrame

    @property
    def name(self) -> str:
        """``<source>.<dataset>``: the suite and the result file are named after it."""
        return f"{self.source}.{self.dataset}"


def run_manifest(lake: Lake, source: str, run_id: str) -> tuple[ManifestView, dict[str, Any]] | None:
    """The committed manifest of ``source`` in run ``run_id`` (parsed, and as stored); None: it did not ingest."""
    rel = layout.manifest(source, run_id)
    raw = lake.read_json(rel)
    if raw is None:
        return None
    try:
        return ManifestView.model_validate(raw), raw
    except ValidationError as exc:
        first = exc.errors()[0]["msg"]
        raise InputError(
            f"manifest {rel} is not a valid ingest manifest ({exc.error_count()} problems, first: {first})",
            f"re-run the ingest of {source} for run {run_id}",
        ) from None


def read_batches(lake: Lake, manifest: ManifestView) -> list[BronzeBatch]:
    """Every dataset file the manifest names, as pandas frames (in manifest order)."""
    batches = []
    for dataset, entry in manifest.datasets.items():
        try:
            table = pq.read_table(pa.BufferReader(lake.read_bytes(entry.path)))
        except FileNotFoundError:
            raise InputError(
                f"manifest of {manifest.source} run {manifest.run_id} names {entry.path}, which does not exist",
                f"re-run the ingest of {manifest.source}",
            ) from None
        except pa.ArrowInvalid as exc:
            raise InputError(
                f"bronze file {entry.path} is not readable Parquet ({exc})", f"re-run the ingest of {manifest.source}"
            ) from None
        batches.append(BronzeBatch(manifest.source, dataset, entry.path, to_frame(table)))
    return batches


def to_frame(table: pa.Table) -> pd.DataFrame:
    """An Arrow table as a pandas frame whose dtypes keep the Parquet types and nulls.

    Plain ``to_pandas`` turns an int32 column with a null into float64, which would make every type expectation
    depend on the data. Nullable pandas dtypes keep ``int32`` an ``Int32`` (GX compares its ``numpy.int32``);
    dates become ``datetime64`` rather than Python objects so that their type is checkable too.
    """
    import pandas as pd

    mapping: dict[pa.DataType, Any] = {
        pa.int8(): pd.Int8Dtype(),
        pa.int16(): pd.Int16Dtype(),
        pa.int32(): pd.Int32Dtype(),
        pa.int64(): pd.Int64Dtype(),
        pa.float32(): pd.Float32Dtype(),
        pa.float64(): pd.Float64Dtype(),
        pa.bool_(): pd.BooleanDtype(),
        pa.string(): pd.StringDtype(),
        pa.large_string(): pd.StringDtype(),
    }
    return table.to_pandas(types_mapper=mapping.get, date_as_object=False)


def codes(batches: list[BronzeBatch], dataset: str) -> list[int]:
    """Distinct non-null ``code`` values of one dataset of the batch (parents for the referential checks)."""
    for batch in batches:
        if batch.dataset == dataset and "code" in batch.frame.columns:
            return sorted({int(c) for c in batch.frame["code"].dropna()})
    return []
