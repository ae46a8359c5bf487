"""Bronze writing: typed Parquet per dataset, streamed in row groups, published atomically, then a manifest."""

from __future__ import annotations

import hashlib
import threading
from datetime import date, datetime

import pyarrow as pa
import pyarrow.parquet as pq
from pydantic import BaseModel

from steps import layout
from steps.columns import bronze_columns
from steps.ingest.arrow import arrow_schema
from steps.lake import Lake
from steps.sources.base import Dataset

ROW_GROUP_ROWS = 32_000  # rows buffered before a row group is written: bounds memory, keeps files scannable


class DatasetFile(BaseModel):
    """One committed bronze file."""

    path: str
    rows: int
    bytes: int
    schema_fingerprint: str


class StreamStats(BaseModel):
    """What one stream fetched, and what the API said it would."""

    stream_id: str
    pages: int
    rows: int
    api_total: int | None


class Manifest(BaseModel):
    """The commit record of one ingest: only bronze files named by a manifest count."""

    source: str
    run_id: str
    ingest_date: date
    started_at: datetime
    finished_at: datetime
    datasets: dict[str, DatasetFile]
    streams: list[StreamStats]
    requests: int
    retries: int
    response_bytes: int
    raw_bytes: int
    details: dict[str, str] = {}


def bronze_schema(dataset: Dataset) -> pa.Schema:
    """The dataset's columns followed by the lineage columns every bronze row carries."""
    return arrow_schema(bronze_columns(dataset.columns))


def schema_fingerprint(schema: pa.Schema) -> str:
    """A short stable hash of column names and types, to detect drift between runs."""
    text = ",".join(f"{f.name}:{f.type}" for f in schema)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


class BronzeWriter:
    """Streams rows of one dataset into a hidden temporary Parquet file, published by :meth:`commit`."""

    def __init__(self, lake: Lake, source: str, dataset: Dataset, run_id: str, ingested_at: datetime) -> None:
        """Open the temporary file for ``dataset`` of ``source`` in run ``run_id``."""
        self.lake = lake
        self.source = source
        self.dataset = dataset
        self.schema = bronze_schema(dataset)
        self.final = layout.bronze_file(source, dataset.name, ingested_at.date(), run_id)
        folder, _, name = self.final.rpartition("/")
        self.temp = f"{folder}/.{name}.inprogress"
        self._lineage = [
            pa.scalar(run_id, self.schema.field("_run_id").type),
            pa.scalar(ingested_at, self.schema.field("_ingested_at").type),
        ]
        self._lock = threading.Lock()
        self._buffer: list[pa.RecordBatch] = []
        self._buffered = 0
        self.rows = 0
        self._committed = False
        self._stream = lake.open_output(self.temp)
        self._writer = pq.ParquetWriter(self._stream, self.schema, compression="zstd")

    def add_batch(self, batch: pa.RecordBatch) -> None:
        """Append a record batch of the dataset's schema (lineage columns are added here); thread-safe."""
        n = batch.num_rows
        if not n:
            return
        columns = [*batch.columns, *(pa.repeat(v, n) for v in self._lineage)]
        full = pa.RecordBatch.from_arrays(columns, schema=self.schema)
        with self._lock:
            self._buffer.append(full)
            self._buffered += n
            self.rows += n
            if self._buffered >= ROW_GROUP_ROWS:
                self._flush()

    def _flush(self) -> None:
        if self._buffer:
            self._writer.write_table(pa.Table.from_batches(self._buffer, self.schema))
            self._buffer, self._buffered = [], 0

    def commit(self) -> DatasetFile:
        """Finish the file and move it to its final name."""
        with self._lock:
            self._flush()
            self._writer.close()
            self._stream.close()
        self.lake.move(self.temp, self.final)
        self._committed = True
        return DatasetFile(
            path=self.final,
            rows=self.rows,
            bytes=self.lake.size(self.final),
            schema_fingerprint=schema_fingerprint(self.schema),
        )

    def abort(self) -> None:
        """Drop the temporary file, or the published one when the run fails later (no manifest will name it)."""
        if self._committed:
            self.lake.delete(self.final)
            return
        try:
            self._writer.close()
        except Exception:  # noqa: BLE001, S110 - closing a broken writer may fail; the file is deleted anyway
            pass
        abort = getattr(self._stream, "abort", None)
        if abort is not None:
            abort()  # an S3 upload: dropping it leaves no object behind (closing would publish it)
        elif not self._stream.closed:
            self._stream.close()
        self.lake.delete(self.temp)


def committed_files(lake: Lake, source: str) -> set[str]:
    """Bronze files named by any committed manifest of ``source``."""
    files: set[str] = set()
    for rel in lake.list_files(layout.manifests_dir(source)):
        if rel.endswith(".json") and not rel.rsplit("/", 1)[1].startswith("."):
            data = lake.read_json(rel) or {}
            files.update(d["path"] for d in data.get("datasets", {}).values())
    return files


def remove_uncommitted(lake: Lake, source: str) -> list[str]:
    """Delete bronze objects of ``source`` no manifest names (leftovers of crashed runs); returns them."""
    keep = committed_files(lake, source)
    prefix = f"bronze/{source}/"
    stale = [
        rel
        for rel in lake.list_files(prefix)
        if not rel.startswith(f"{layout.manifests_dir(source)}/") and rel not in keep
    ]
    for rel in stale:
        lake.delete(rel)
    return stale
