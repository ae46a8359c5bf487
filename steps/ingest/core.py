"""Ingest one source: streams fetched concurrently, pages kept raw and written to bronze, then committed."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from datetime import UTC, datetime

from steps import layout
from steps.http import HttpClient
from steps.ingest.bronze import BronzeWriter, Manifest, StreamStats, remove_uncommitted
from steps.ingest.raw import RawArchive
from steps.lake import Lake
from steps.sources.base import PageRequest, ParsedPage, Source, Stream, decode_json
from steps.state import IngestRecord, advance_state

log = logging.getLogger(__name__)


class _Cancelled(Exception):
    """Another stream failed; this one stops at the next page boundary."""


def ingest_source(
    source: Source,
    lake: Lake,
    client: HttpClient,
    run_id: str,
    *,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> Manifest:
    """Fetch every stream of ``source`` into raw and bronze, write the manifest, then advance the state.

    On any failure the temporary bronze files are removed and neither manifest nor state is written.
    """
    started_at = now()
    stale = remove_uncommitted(lake, source.name)
    if stale:
        log.info("removed uncommitted bronze leftovers", extra={"source": source.name, "files": len(stale)})
    source.prepare(client)
    raw = RawArchive(lake, source.name, run_id, secrets=client.secrets)
    writers = {ds.name: BronzeWriter(lake, source.name, ds, run_id, started_at) for ds in source.datasets}
    cancelled = threading.Event()

    def fetch(stream: Stream, request: PageRequest) -> ParsedPage:
        if cancelled.is_set():
            raise _Cancelled
        resp = client.get(request.url, request.params)
        raw.keep(stream.raw_name, stream.stream_id, request.page, resp)
        parsed = stream.parse(decode_json(resp.body, source.name, resp.url), request)
        for name, rows in parsed.rows.items():
            writers[name].add(rows)
        return parsed

    def run_stream(stream: Stream) -> StreamStats:
        t0 = time.monotonic()
        first = fetch(stream, stream.first_request())
        rows, pages = sum(map(len, first.rows.values())), 1
        for request in stream.following_requests(first):
            page = fetch(stream, request)
            rows, pages = rows + sum(map(len, page.rows.values())), pages + 1
        log.info(
            "stream fetched",
            extra={
                "source": source.name,
                "stream": stream.stream_id,
                "pages": pages,
                "rows": rows,
                "api_total": first.total,
                "seconds": round(time.monotonic() - t0, 3),
            },
        )
        return StreamStats(stream_id=stream.stream_id, pages=pages, rows=rows, api_total=first.total)

    try:
        streams = list(source.streams())
        with ThreadPoolExecutor(max_workers=max(1, source.concurrency), thread_name_prefix=source.name) as pool:
            futures = [pool.submit(run_stream, s) for s in streams]
            done, _ = wait(futures, return_when=FIRST_EXCEPTION)
            if any(f.exception() for f in done):
                cancelled.set()
                for f in futures:
                    f.cancel()
            wait(futures)
        errors = [f.exception() for f in futures if not f.cancelled() and f.exception()]
        real = [e for e in errors if not isinstance(e, _Cancelled)]
        if real:
            raise real[0]  # type: ignore[misc]
        stats = [f.result() for f in futures]
        files = {name: w.commit() for name, w in writers.items()}
    except BaseException:
        for w in writers.values():
            w.abort()
        raise
    raw.close()
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
        details=_details(source),
    )
    lake.write_json(layout.manifest(source.name, run_id), manifest.model_dump(mode="json"))
    advance_state(
        lake,
        source.name,
        IngestRecord(
            run_id=run_id,
            finished_at=manifest.finished_at,
            manifest=layout.manifest(source.name, run_id),
            rows={name: f.rows for name, f in files.items()},
        ),
    )
    return manifest


def _details(source: Source) -> dict[str, str]:
    api = getattr(source, "api", None)
    return {"api": str(api)} if api else {}
