"""Ingest one source: pages fetched concurrently, kept raw, written to bronze as they arrive, then committed."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from steps import layout
from steps.errors import ConfigError
from steps.http import HttpClient
from steps.ingest.arrow import page_batches
from steps.ingest.bronze import BronzeWriter, Manifest, StreamStats
from steps.ingest.leftovers import drop_run, remove_leftovers
from steps.ingest.pages import Cancelled, PagePool
from steps.ingest.raw import RawArchive
from steps.lake import Lake
from steps.sources.base import (
    Backfill,
    Incremental,
    PageRequest,
    ParsedPage,
    ReaderStream,
    Source,
    Stream,
    json_body,
)
from steps.state import Checkpoint, IngestRecord, advance_state, merge_watermarks, read_state

log = logging.getLogger(__name__)


@dataclass
class _Progress:
    """Pages and rows of one stream so far, and the API's total from its first page."""

    pages: int = 0
    rows: int = 0
    api_total: int | None = None
    started: float = 0.0


def ingest_source(
    source: Source,
    lake: Lake,
    client: HttpClient,
    run_id: str,
    *,
    backfill: Backfill | None = None,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> Manifest:
    """Fetch every stream of ``source`` into raw and bronze, write the manifest, then advance the state.

    On any failure the temporary bronze files are removed and neither manifest nor state is written.
    """
    started_at = now()
    incremental = source if isinstance(source, Incremental) else None
    if backfill is not None and incremental is None:
        raise ConfigError(
            f"source {source.name!r} does not support --backfill (it fetches its whole configured range every run)",
            "run it without --backfill",
        )
    removed = remove_leftovers(lake, source.name)
    if removed:
        log.info(
            "removed leftovers of failed ingests",
            extra={
                "source": source.name,
                "bronze_files": removed.bronze_files,
                "uploads": removed.uploads,
                "raw_files": removed.raw_files,
            },
        )
    source.prepare(client)
    state = read_state(lake, source.name)
    if incremental is not None:
        incremental.resume(state, backfill)
    raw = RawArchive(lake, source.name, run_id, secrets=client.secrets)
    writers = {ds.name: BronzeWriter(lake, source.name, ds, run_id, started_at) for ds in source.datasets}
    streams = list(source.streams())
    progress = {s.stream_id: _Progress(started=time.monotonic()) for s in streams}
    warnings: list[str] = []
    lock = threading.Lock()
    pool = PagePool(source.concurrency, source.name)

    def write(stream_id: str, parsed: ParsedPage) -> None:
        rows = 0
        for name, batch in page_batches(parsed, source.datasets).items():
            writers[name].add_batch(batch)
            rows += batch.num_rows
        for warning in parsed.warnings:
            log.warning("the API warned", extra={"source": source.name, "stream": stream_id, "warning": warning})
        with lock:
            p = progress[stream_id]
            p.pages, p.rows = p.pages + 1, p.rows + rows
            warnings.extend(parsed.warnings)

    def fetch(stream: Stream, request: PageRequest) -> ParsedPage:
        # parsed inside the client's retries: a malformed page is requested again before it counts as bad input
        resp = client.get(request.url, request.params, accept=request.accept, parse=json_body)
        raw.keep(stream.raw_name, stream.stream_id, request.page, resp)
        parsed = stream.parse(resp.parsed, request)
        write(stream.stream_id, parsed)
        return parsed

    def first_page(stream: Stream, request: PageRequest) -> None:
        first = fetch(stream, request)
        progress[stream.stream_id].api_total = first.total
        for following in stream.following_requests(first):
            pool.submit(next_page, stream, following)

    def next_page(stream: Stream, request: PageRequest) -> None:
        fetch(stream, request)

    def read_all(stream: ReaderStream) -> None:
        totals: list[int] = []
        for parsed in stream.read(raw, pool.cancelled):
            if pool.cancelled.is_set():
                raise Cancelled
            write(stream.stream_id, parsed)
            if parsed.total is not None:
                totals.append(parsed.total)
        progress[stream.stream_id].api_total = sum(totals) if totals else None

    try:
        for stream in streams:
            if isinstance(stream, ReaderStream):
                pool.submit_when_room(read_all, stream)
            else:
                pool.submit_when_room(first_page, stream, stream.first_request())
        pool.join()
        files = {name: w.commit() for name, w in writers.items()}
    except BaseException:
        pool.cancelled.set()
        for w in writers.values():
            try:
                w.abort()
            except Exception as exc:  # noqa: BLE001 - the error that stopped the run is the one to report
                log.warning("bronze upload left for the next ingest", extra={"file": w.temp, "problem": exc})
        drop_run(lake, source.name, run_id)
        raise
    raw.close()
    stats = [
        StreamStats(stream_id=s.stream_id, pages=p.pages, rows=p.rows, api_total=p.api_total)
        for s, p in ((s, progress[s.stream_id]) for s in streams)
    ]
    for s in stats:
        log.info(
            "stream fetched",
            extra={
                "source": source.name,
                "stream": s.stream_id,
                "pages": s.pages,
                "rows": s.rows,
                "api_total": s.api_total,
            },
        )
    details = _details(source)
    if backfill is not None:
        details["backfill"] = str(backfill)
    if warnings:
        details["api_warnings"] = str(len(warnings))
    manifest = Manifest(
        source=source.name,
        run_id=run_id,
        ingest_date=started_at.date(),
        started_at=started_at,
        finished_at=now(),
        datasets=files,
        streams=stats,
        requests=client.stats.requests,
        retries=client.stats.retries,
        response_bytes=client.stats.bytes,
        raw_bytes=raw.bytes_stored,
        details=details,
    )
    lake.write_json(layout.manifest(source.name, run_id), manifest.model_dump(mode="json"))
    checkpoint: Checkpoint | None = None
    if incremental is not None:
        new = incremental.checkpoint()
        checkpoint = Checkpoint(
            watermarks=merge_watermarks(state.checkpoint.watermarks, new.watermarks), memory=new.memory
        )
    advance_state(
        lake,
        source.name,
        IngestRecord(
            run_id=run_id,
            finished_at=manifest.finished_at,
            manifest=layout.manifest(source.name, run_id),
            rows={name: f.rows for name, f in files.items()},
            backfill=str(backfill) if backfill is not None else None,
            checkpoint=checkpoint,
        ),
    )
    return manifest


def _details(source: Source) -> dict[str, str]:
    api = getattr(source, "api", None)
    details = {"api": str(api)} if api else {}
    extra = getattr(source, "details", None)  # e.g. the queries of a database source
    if isinstance(extra, dict):
        details.update({str(k): str(v) for k, v in extra.items()})
    return details
