"""Reading the bronze batch one run ingested: its manifests, and the Parquet files they name in chunks of rows.

Only files named by the run's committed manifest ``bronze/<source>/_manifests/<run_id>.json`` are read, through
:class:`steps.lake.Lake` (a local folder or S3), so the gate sees exactly what the ingest committed. A file is
never read whole: the gate validates it chunk by chunk (:mod:`steps.validate.chunks`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
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


HEAD_ROWS = 1000  # rows of a large file's first chunk, the one validated with the whole suite


@dataclass
class BronzeBatch:
    """One dataset file of the batch: where it is in the lake, a local file to read it from, and its rows."""

    source: str
    dataset: str
    path: str
    file: Path
    rows: int

    @property
    def name(self) -> str:
        """``<source>.<dataset>``: the suite and the result file are named after it."""
        return f"{self.source}.{self.dataset}"

    def chunks(self, chunk_rows: int, head_rows: int = HEAD_ROWS) -> Iterator[pd.DataFrame]:
        """The file's rows as frames of at most ``chunk_rows`` rows, in file order (one empty frame for no rows).

        A file of more than one chunk starts with a chunk of ``head_rows``: GX runs the whole suite on that one
        (for its results' shape), only the row-level expectations on the rest. Each frame's index is its rows'
        positions in the file, so a sample row GX reports is a row of the file. Only the row groups a chunk needs
        are read: memory is one chunk, not the file.
        """
        import pandas as pd

        reader = self._open()
        start = 0
        try:
            for batch in reader.iter_batches(batch_size=chunk_rows):
                parts = [batch]
                if start == 0 and self.rows > chunk_rows and 0 < head_rows < batch.num_rows:
                    parts = [batch.slice(0, head_rows), batch.slice(head_rows)]
                del batch  # the parts share its memory; nothing to keep beyond them
                while parts:
                    frame = to_frame(pa.Table.from_batches([parts.pop(0)]))
                    frame.index = pd.RangeIndex(start, start + len(frame))
                    start += len(frame)
                    yield frame
                    del frame  # before the next chunk is read: one chunk in memory, not two
        except (pa.ArrowInvalid, OSError) as exc:
            raise self._unreadable(exc) from None
        if start == 0:
            yield to_frame(reader.schema_arrow.empty_table())

    def column_values(self, column: str) -> list[Any]:
        """Distinct non-null values of one column (read alone); empty when the file has no such column."""
        import pyarrow.compute as pc  # not at import time: a gate with nothing to check never needs it

        reader = self._open()
        if column not in reader.schema_arrow.names:
            return []
        return [v for v in pc.unique(reader.read(columns=[column]).column(column)).to_pylist() if v is not None]

    def _open(self) -> pq.ParquetFile:
        return _parquet(self.file, self.path, self.source)

    def _unreadable(self, exc: Exception) -> InputError:
        return _unreadable(self.path, self.source, exc)


def _parquet(file: Path, path: str, source: str) -> pq.ParquetFile:
    """The Parquet reader of ``file`` (lake path ``path``); an unreadable file is bad input of its source."""
    try:
        return pq.ParquetFile(file)
    except (pa.ArrowInvalid, OSError) as exc:
        raise _unreadable(path, source, exc) from None


def _unreadable(path: str, source: str, exc: Exception) -> InputError:
    return InputError(f"bronze file {path} is not readable Parquet ({exc})", f"re-run the ingest of {source}")


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


def read_batches(lake: Lake, manifest: ManifestView, folder: Path) -> list[BronzeBatch]:
    """Every dataset file the manifest names, opened for reading (in manifest order); rows from their footers.

    Files of an S3 lake are downloaded into ``folder`` (the caller's temporary folder) first.
    """
    batches = []
    for dataset, entry in manifest.datasets.items():
        try:
            file = lake.local_file(entry.path, folder)
        except FileNotFoundError:
            raise InputError(
                f"manifest of {manifest.source} run {manifest.run_id} names {entry.path}, which does not exist",
                f"re-run the ingest of {manifest.source}",
            ) from None
        rows = _parquet(file, entry.path, manifest.source).metadata.num_rows
        batches.append(BronzeBatch(manifest.source, dataset, entry.path, file, rows))
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
        if batch.dataset == dataset:
            return sorted(int(c) for c in batch.column_values("code"))
    return []
