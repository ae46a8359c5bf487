"""CSV and JSON files from a local folder or an S3 prefix: one stream per new or changed file.

Each configured dataset names a glob (``fx/*.csv``) below ``location``. A file is read when it is new or its
bytes changed: the state remembers each file's size, modification time and SHA-256, a file whose size and time
are unchanged is skipped without reading it, and one whose checksum matches is skipped after reading it.

Schema: inferred once, from the first file a dataset ever ingests (pyarrow's CSV inference; the rows' keys and
value types for JSON), then stored in the source's state and enforced on every later file: a file with missing
or extra columns, or a value that does not convert, fails the run with the file and column named. To accept a
new shape, change the data or reset the schema (``python -m steps.ingest … --backfill`` does not do it; delete
``memory.schemas.<dataset>`` from the newest checkpoint in state/<source>.json).

Every bronze row carries ``_source_file`` and ``_source_row`` (1-based line of data); without a configured
``primary_key`` those two are the key. The exact file bytes are kept in raw (gzip) with their checksum.
``json`` files hold an array of objects, ``jsonl`` one object per line. ``--backfill START:END`` re-reads the
files modified in that range (UTC dates) even if unchanged.
"""

from __future__ import annotations

import base64
import fnmatch
import hashlib
import io
import os
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import orjson

from steps.columns import Columns
from steps.errors import ConfigError, InputError, TransientError
from steps.http import HttpClient, Response
from steps.lake import Lake
from steps.sources.base import Backfill, Dataset, PageRequest, ParsedPage, RawSink
from steps.sources.files import NAME
from steps.sources.files.config import FileDataset, FilesConfig
from steps.state import Checkpoint, SourceState

if TYPE_CHECKING:
    # Only the ingest stage reads files into Arrow, so the functions that do import pyarrow themselves: verify
    # builds and prepares this source without it.
    import pyarrow as pa

FILE_COLUMNS: Columns = (("_source_file", "string"), ("_source_row", "int64"))
BATCH_ROWS = 65_536
_CONTENT_TYPES = {"csv": "text/csv", "json": "application/json", "jsonl": "application/x-ndjson"}


@dataclass(frozen=True)
class FileInfo:
    """A file under the location."""

    path: str  # relative to the location
    size: int
    mtime: str  # ISO timestamp (UTC)


def schema_to_text(schema: pa.Schema) -> dict[str, Any]:
    """A schema as stored in the state: readable columns plus the exact IPC form."""
    return {
        "columns": [f"{f.name}: {f.type}" for f in schema],
        "ipc": base64.b64encode(schema.serialize().to_pybytes()).decode(),
    }


def schema_from_text(stored: dict[str, Any]) -> pa.Schema:
    """The schema :func:`schema_to_text` stored."""
    import pyarrow as pa

    return pa.ipc.read_schema(pa.py_buffer(base64.b64decode(stored["ipc"])))


def read_table(body: bytes, spec: FileDataset, schema: pa.Schema | None, where: str) -> pa.Table:
    """Parse one file; with ``schema``, enforce it (columns and types), else infer one."""
    import pyarrow as pa

    try:
        if spec.format == "csv":
            return _read_csv(body, spec, schema, where)
        return _read_json(body, spec, schema, where)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, ValueError, TypeError) as exc:
        if isinstance(exc, InputError):
            raise
        raise InputError(
            f"{where}: does not fit the {'stored' if schema is not None else 'inferred'} schema of dataset "
            f"{spec.name!r}: {' '.join(str(exc).split())[:300]}",
            "correct the file, or reset the dataset's stored schema if the new shape is intended",
        ) from None


def _check_columns(found: list[str], schema: pa.Schema, spec: FileDataset, where: str, *, strict: bool) -> None:
    expected = schema.names
    missing = [c for c in expected if c not in found]
    extra = [c for c in found if c not in expected]
    if extra or (strict and missing):
        raise InputError(
            f"{where}: columns differ from the stored schema of dataset {spec.name!r}"
            + (f"; missing {missing}" if strict and missing else "")
            + (f"; unexpected {extra}" if extra else ""),
            "correct the file, or reset the dataset's stored schema if the new shape is intended",
        )


def infer_schema(body: bytes, spec: FileDataset, where: str) -> pa.Schema:
    """The schema of a dataset's first file, which every later file must keep."""
    import pyarrow as pa

    inferred = read_table(body, spec, None, where).schema
    # a column empty in the first file has no type yet: text is the safe guess
    return pa.schema([f.with_type(pa.string()) if pa.types.is_null(f.type) else f for f in inferred])


def dataset_columns(schema: pa.Schema, spec: FileDataset, where: str) -> Columns:
    """A dataset's schema as declared columns, followed by the file and row of every bronze row."""
    from steps.ingest.arrow import declared_columns

    try:
        return (*declared_columns(schema), *FILE_COLUMNS)
    except ValueError as exc:
        raise InputError(
            f"{where}: the schema of dataset {spec.name!r} cannot be declared: {exc}",
            "give that column's values a plainer type in the file, or reset the dataset's stored schema",
        ) from None


def _read_csv(body: bytes, spec: FileDataset, schema: pa.Schema | None, where: str) -> pa.Table:
    import pyarrow as pa
    import pyarrow.csv as pacsv

    parse = pacsv.ParseOptions(delimiter=spec.delimiter)
    if schema is None:
        return pacsv.read_csv(
            pa.BufferReader(body), parse_options=parse, convert_options=pacsv.ConvertOptions(strings_can_be_null=True)
        )
    names = _csv_header(body, spec.delimiter)
    _check_columns(names, schema, spec, where, strict=True)
    convert = pacsv.ConvertOptions(column_types=schema, strings_can_be_null=True)
    return pacsv.read_csv(pa.BufferReader(body), parse_options=parse, convert_options=convert).select(schema.names)


def _csv_header(body: bytes, delimiter: str) -> list[str]:
    import pyarrow as pa
    import pyarrow.csv as pacsv

    reader = pacsv.open_csv(
        pa.BufferReader(body),
        parse_options=pacsv.ParseOptions(delimiter=delimiter),
        read_options=pacsv.ReadOptions(block_size=1 << 16),
    )
    return list(reader.schema.names)


def _read_json(body: bytes, spec: FileDataset, schema: pa.Schema | None, where: str) -> pa.Table:
    import pyarrow as pa

    try:
        if spec.format == "json":
            rows = orjson.loads(body)
            if not isinstance(rows, list):
                raise InputError(f"{where}: a json file must hold an array of objects", "use format: jsonl for lines")
        else:
            rows = [orjson.loads(line) for line in io.BytesIO(body) if line.strip()]
    except orjson.JSONDecodeError as exc:
        raise InputError(f"{where}: is not valid JSON ({exc})", "correct the file") from None
    if not all(isinstance(r, dict) for r in rows):
        raise InputError(f"{where}: every record must be a JSON object", "correct the file")
    keys = list(dict.fromkeys(k for r in rows for k in r))  # every key of any record, first seen first
    if schema is None:
        return pa.Table.from_pydict({k: [r.get(k) for r in rows] for k in keys})
    _check_columns(keys, schema, spec, where, strict=False)  # a missing key in JSON is a null
    return pa.Table.from_pylist(rows, schema=schema)


@dataclass
class FileStream:
    """One new or changed file of one dataset."""

    source: str
    store: Lake
    location: str
    spec: FileDataset
    info: FileInfo
    known_sha256: str | None  # checksum the state holds for this path (None: new file, or forced)
    schema: pa.Schema
    dataset: Dataset
    results: dict[str, dict[str, Any]]
    lock: threading.Lock

    @property
    def stream_id(self) -> str:
        """The file's path below the location."""
        return self.info.path

    @property
    def raw_name(self) -> str:
        """Files are kept under raw/<source>/<dataset>/."""
        return self.spec.name

    def read(self, raw: RawSink, cancelled: threading.Event) -> Iterator[ParsedPage]:
        """The file in batches; nothing when its checksum is unchanged."""
        import pyarrow as pa

        started = time.monotonic()
        body = self.store.read_bytes(self.info.path)
        digest = hashlib.sha256(body).hexdigest()
        record = {"sha256": digest, "size": self.info.size, "mtime": self.info.mtime}
        with self.lock:
            self.results[self.info.path] = record
        if digest == self.known_sha256:
            return
        where = f"{self.source}: file {self.location}/{self.info.path}"
        table = read_table(body, self.spec, self.schema, where)
        raw.keep(
            self.spec.name,
            self.info.path,
            1,
            Response(
                url=f"{self.location}/{self.info.path}",
                status=200,
                body=body,
                content_type=_CONTENT_TYPES[self.spec.format],
                fetched_at=datetime.now(UTC),
                elapsed_s=time.monotonic() - started,
                attempts=1,
            ),
        )
        del body
        n = table.num_rows
        table = table.append_column("_source_file", pa.array([self.info.path] * n, pa.string()))
        table = table.append_column("_source_row", pa.array(range(1, n + 1), pa.int64()))
        for batch in table.to_batches(max_chunksize=BATCH_ROWS):
            if cancelled.is_set():
                return
            yield ParsedPage(arrow={self.dataset.name: batch}, total=batch.num_rows)


class FilesSource:
    """The configured files source."""

    def __init__(self, config: FilesConfig, name: str = NAME) -> None:
        """Open the location (S3 credentials: the standard AWS_* variables)."""
        self.name = name
        self.config = config
        self.concurrency = config.concurrency
        self.location = config.location.rstrip("/")
        endpoint = config.s3_endpoint or os.environ.get("TRIBUTARY_S3_ENDPOINT") or None
        self.store = Lake(self.location, s3_endpoint=endpoint, s3_region=config.s3_region)
        self.datasets: tuple[Dataset, ...] = ()
        self._listing: dict[str, list[FileInfo]] = {}
        self._schemas: dict[str, pa.Schema] = {}
        self._stored: dict[str, Any] = {}
        self._streams: list[FileStream] = []
        self._results: dict[str, dict[str, dict[str, Any]]] = {}
        self._lock = threading.Lock()

    def prepare(self, client: HttpClient) -> None:
        """List the location (this is also the reachability check)."""
        if self.store.is_local and not os.path.isdir(self.store.base):
            raise ConfigError(f"{self.name}: location {self.location} is not a folder", f"check sources.{self.name}")
        try:
            infos = self.store.list_infos("")
        except OSError as exc:
            raise TransientError(
                f"{self.name}: cannot list {self.location}: {' '.join(str(exc).split())[:200]}",
                "check the location, its endpoint and the AWS_* credentials, then retry",
            ) from None
        files = [
            FileInfo(i.path, i.size, _iso(i.mtime)) for i in infos if not i.path.rpartition("/")[2].startswith(".")
        ]
        self._listing = {
            d.name: sorted((f for f in files if fnmatch.fnmatchcase(f.path, d.pattern)), key=lambda f: f.path)
            for d in self.config.datasets
        }

    def resume(self, state: SourceState, backfill: Backfill | None) -> None:
        """Pick the new and changed files; infer a dataset's schema from its first file if none is stored."""
        memory = state.checkpoint.memory
        self._stored = memory
        stored_schemas = memory.get("schemas", {})
        known_files: dict[str, dict[str, Any]] = memory.get("files", {})
        window = backfill.dates() if backfill is not None else None
        datasets = []
        self._streams = []
        for spec in self.config.datasets:
            known = known_files.get(spec.name, {})
            self._results[spec.name] = {}
            todo = []
            for info in self._listing.get(spec.name, []):
                before = known.get(info.path)
                forced = window is not None and window[0].isoformat() <= info.mtime[:10] <= window[1].isoformat()
                if before and not forced and before.get("size") == info.size and before.get("mtime") == info.mtime:
                    self._results[spec.name][info.path] = before  # untouched since last run: not even read
                    continue
                todo.append((info, None if forced or not before else before.get("sha256")))
            if spec.name in stored_schemas:
                schema = schema_from_text(stored_schemas[spec.name])
                where = f"{self.name}: stored schema"
            elif todo:
                first = todo[0][0]
                where = f"{self.name}: file {self.location}/{first.path}"
                schema = infer_schema(self.store.read_bytes(first.path), spec, where)
            else:
                continue  # nothing ever ingested and nothing to ingest: no dataset this run
            self._schemas[spec.name] = schema
            key = tuple(spec.primary_key) or ("_source_file", "_source_row")
            missing = [k for k in spec.primary_key if k not in schema.names]
            if missing:
                raise ConfigError(
                    f"{self.name}: primary_key {missing} of dataset {spec.name!r} is not among its columns "
                    f"{schema.names}",
                    f"correct sources.{self.name}.datasets",
                )
            dataset = Dataset(spec.name, dataset_columns(schema, spec, where), key)
            datasets.append(dataset)
            self._streams += [
                FileStream(
                    self.name,
                    self.store,
                    self.location,
                    spec,
                    info,
                    sha,
                    schema,
                    dataset,
                    self._results[spec.name],
                    self._lock,
                )
                for info, sha in todo
            ]
        self.datasets = tuple(datasets)

    def streams(self) -> Sequence[FileStream]:
        """One stream per new or changed file."""
        return self._streams

    def checkpoint(self) -> Checkpoint:
        """Checksums of the files present now, and the schemas."""
        schemas = dict(self._stored.get("schemas", {}))
        schemas.update({name: schema_to_text(schema) for name, schema in self._schemas.items()})
        return Checkpoint(memory={"schemas": schemas, "files": self._results})

    @property
    def details(self) -> dict[str, str]:
        """Files read, per dataset, for the manifest."""
        counts: dict[str, int] = {}
        for s in self._streams:
            counts[s.spec.name] = counts.get(s.spec.name, 0) + 1
        return {f"files.{name}": str(n) for name, n in counts.items()}

    def probe(self) -> PageRequest:
        """A files source has no HTTP probe: :meth:`prepare` lists the location instead."""
        raise ConfigError(
            f"{self.name}: a files source is checked by listing its location (prepare), not by an HTTP probe",
            "verify sources with steps.sources.check_reachable",
        )


def _iso(mtime: datetime) -> str:
    return mtime.astimezone(UTC).isoformat()
