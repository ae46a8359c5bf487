"""What a source is: datasets with declared columns and natural keys, and streams of pages.

A source module only says *what* to request and *how to read a page*. Paging, retries, rate limits, raw
retention, bronze writing and state belong to the shared ingest core, so no source repeats them.

Two kinds of stream:

- :class:`Stream` — pages fetched over HTTP by the shared client: the first request, then (once the first page
  is read) the requests of the remaining pages, fetched concurrently. :func:`page_number_requests` and
  :func:`offset_requests` plan the usual paginations.
- :class:`ReaderStream` — pages the source reads itself (database cursor chunks, files): the core runs
  :meth:`ReaderStream.read` on its worker pool and writes each page to bronze as it arrives.

An :class:`Incremental` source resumes from its checkpoint (watermarks) and returns the next one once every page
of the run is committed; :class:`WatermarkTracker` collects the high-water marks from parsed pages.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import orjson

from steps.errors import InputError
from steps.http import HttpClient, MalformedBody, Params, Response
from steps.sources.backfill import Backfill as Backfill  # where the sources look for it
from steps.sources.dataset import Dataset as Dataset  # where the stages look for it
from steps.state import Checkpoint, SourceState, Watermark, WatermarkKind

if TYPE_CHECKING:
    # Only the ingest stage holds Arrow data; the stages that merely build sources (verify, dbt) never load it.
    import pyarrow as pa


@dataclass(frozen=True)
class PageRequest:
    """One GET request of a stream; ``accept`` lists error statuses whose body :meth:`Stream.parse` explains."""

    url: str
    params: Params = field(default_factory=dict)
    page: int = 1
    accept: frozenset[int] = frozenset()


@dataclass
class ParsedPage:
    """Data read from one page, per dataset, plus what the API said about the whole stream.

    A source gives either ``rows`` (dicts keyed by column) or ``columns`` (lists per column, faster for big
    pages); the ingest stage turns them into Arrow record batches of the dataset's columns
    (``steps.ingest.arrow.page_batches``). ``warnings`` are messages the API attached to the page (logged and
    counted by the core).
    """

    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    total: int | None = None  # rows the API reports for the whole stream
    pages: int | None = None  # pages the API reports for the whole stream
    columns: dict[str, dict[str, list[Any]]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    arrow: dict[str, pa.RecordBatch] = field(default_factory=dict)  # already typed (a file reader's batches)


class Stream(Protocol):
    """A sequence of page requests for one slice of a source (an indicator, a tree of divisions)."""

    @property
    def stream_id(self) -> str:
        """Unique within the source; used in raw file names and logs."""
        ...

    @property
    def raw_name(self) -> str:
        """Folder under ``raw/<source>/`` where this stream's pages are kept."""
        ...

    def first_request(self) -> PageRequest:
        """The request of the first page."""
        ...

    def parse(self, payload: Any, request: PageRequest) -> ParsedPage:
        """Read one decoded page; raise InputError for an error payload or an unexpected shape."""
        ...

    def following_requests(self, first: ParsedPage) -> Sequence[PageRequest]:
        """Requests for the remaining pages, known once the first page has been read."""
        ...


class RawSink(Protocol):
    """Where a reader stream keeps the exact bytes it read (``steps.ingest.raw.RawArchive``)."""

    def keep(self, raw_name: str, stream_id: str, page: int, resp: Response) -> str:
        """Store one page's bytes with provenance; returns its lake path."""
        ...


@runtime_checkable
class ReaderStream(Protocol):
    """A stream whose pages the source reads itself (a database cursor, a file) instead of over HTTP."""

    @property
    def stream_id(self) -> str:
        """Unique within the source; used in raw file names and logs."""
        ...

    @property
    def raw_name(self) -> str:
        """Folder under ``raw/<source>/`` for bytes the stream keeps."""
        ...

    def read(self, raw: RawSink, cancelled: threading.Event) -> Iterator[ParsedPage]:
        """Yield the stream's pages one at a time (stop early when ``cancelled`` is set)."""
        ...


class Source(Protocol):
    """A configured source."""

    name: str
    datasets: tuple[Dataset, ...]
    concurrency: int

    def prepare(self, client: HttpClient) -> None:
        """Settle anything that needs the network before streams are planned (API version, credentials)."""
        ...

    def streams(self) -> Sequence[Stream | ReaderStream]:
        """Every stream one ingest of this source fetches."""
        ...

    def probe(self) -> PageRequest:
        """A cheap request that proves the source is reachable (used by verify)."""
        ...


@runtime_checkable
class Incremental(Protocol):
    """A source that resumes from its checkpoint and can backfill a range."""

    def resume(self, state: SourceState, backfill: Backfill | None) -> None:
        """Plan this run from the stored state (called after :meth:`Source.prepare`, before ``streams``)."""
        ...

    def checkpoint(self) -> Checkpoint:
        """What to store after every page of the run is committed (watermarks are merged, never lowered)."""
        ...


class WatermarkTracker:
    """The largest value seen per key across pages parsed on several threads."""

    def __init__(self, kind: WatermarkKind) -> None:
        """Track watermarks of one ``kind`` (values must order correctly as the given Python values)."""
        self.kind = kind
        self._lock = threading.Lock()
        self._best: dict[str, Any] = {}

    def observe(self, key: str, values: Sequence[Any]) -> None:
        """Note the values a page held for ``key`` (None values are ignored)."""
        present = [v for v in values if v is not None]
        if not present:
            return
        top = max(present)
        with self._lock:
            if key not in self._best or top > self._best[key]:
                self._best[key] = top

    def watermarks(self) -> dict[str, Watermark]:
        """The tracked maxima as stored watermarks."""
        with self._lock:
            return {k: Watermark(kind=self.kind, value=_text(v)) for k, v in self._best.items()}


def _text(value: Any) -> str:
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def json_body(body: bytes) -> Any:
    """Decode a JSON page inside the HTTP client's retries (``HttpClient.get(..., parse=json_body)``)."""
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise MalformedBody(f"not valid JSON ({exc})") from None


def page_number_requests(url: str, params: Params, pages: int | None) -> list[PageRequest]:
    """Requests for pages 2..pages of a ``page=N`` paginated endpoint."""
    return [PageRequest(url, {**params, "page": str(n)}, page=n) for n in range(2, (pages or 1) + 1)]


def offset_requests(
    first: PageRequest,
    total: int | None,
    page_size: int,
    *,
    source: str,
    offset_param: str = "offset",
    first_offset: int = 0,
    max_pages: int = 10_000,
) -> list[PageRequest]:
    """Requests for the pages after ``first`` of an offset/limit endpoint that reported ``total`` rows.

    Offsets go ``first_offset + page_size``, ``+ 2 * page_size``, … while they stay within the total: 0-based
    for FRED and EIA, 1-based for NOAA (``first_offset=1``: page k starts at ``1 + k * limit``). A total that
    would take more than ``max_pages`` pages is refused (a runaway count, or a page size far too small).
    """
    if not total or total <= page_size:
        return []
    pages = math.ceil(total / page_size)
    if pages > max_pages:
        raise InputError(
            f"{source}: GET {first.url} announces {total} rows, {pages} pages of {page_size} (limit {max_pages})",
            "narrow the request (dates, series) or raise max_pages if this is expected",
        )
    return [
        PageRequest(
            first.url,
            {**first.params, offset_param: str(first_offset + n * page_size)},
            page=n + 1,
            accept=first.accept,
        )
        for n in range(1, pages)
    ]


@runtime_checkable
class Keyed(Protocol):
    """A source whose requests carry a credential: quotas are accounted per credential, not per source."""

    @property
    def account(self) -> str:
        """``<provider>-<fingerprint of the credential>``: never the credential itself."""
        ...


def quota_account(source: Source, kind: str) -> str:
    """Whose daily quota ``source`` spends: its credential's account when it is keyed, else ``<kind>-<name>``.

    The ingest counts requests under this name and ``tributary status`` reads the count back by it. Reading a keyed
    source's account reads its key from the environment (a StepError when it is not set).
    """
    return source.account if isinstance(source, Keyed) else f"{kind}-{source.name}"
