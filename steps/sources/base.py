"""What a source is: datasets with declared Arrow schemas and natural keys, and streams of page requests.

A source module only says *what* to request and *how to read a page*. Paging, retries, raw retention and
bronze writing belong to the shared ingest core, so no source repeats them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import orjson
import pyarrow as pa

from steps.errors import InputError
from steps.http import HttpClient


@dataclass(frozen=True)
class Dataset:
    """One bronze table of a source: its columns (without lineage columns) and its natural key."""

    name: str
    schema: pa.Schema
    key: tuple[str, ...]


@dataclass(frozen=True)
class PageRequest:
    """One GET request of a stream."""

    url: str
    params: Mapping[str, str] = field(default_factory=dict)
    page: int = 1


@dataclass
class ParsedPage:
    """Data read from one page, per dataset, plus what the API said about the whole stream.

    A source gives either ``rows`` (dicts keyed by column) or ``columns`` (lists per column, faster for big
    pages); :meth:`batches` turns them into Arrow record batches of the dataset's schema.
    """

    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    total: int | None = None  # rows the API reports for the whole stream
    pages: int | None = None  # pages the API reports for the whole stream
    columns: dict[str, dict[str, list[Any]]] = field(default_factory=dict)

    def batches(self, datasets: Sequence[Dataset]) -> dict[str, pa.RecordBatch]:
        """One record batch per dataset that this page has data for."""
        out: dict[str, pa.RecordBatch] = {}
        for ds in datasets:
            if ds.name in self.columns:
                cols = self.columns[ds.name]
                out[ds.name] = _to_batch(ds, lambda f: cols[f.name])
            elif self.rows.get(ds.name):
                rows = self.rows[ds.name]
                out[ds.name] = _to_batch(ds, lambda f: [r.get(f.name) for r in rows])
        return out


def _to_batch(ds: Dataset, values: Callable[[pa.Field], list[Any]]) -> pa.RecordBatch:
    try:
        arrays = [pa.array(values(f), type=f.type) for f in ds.schema]
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError, OverflowError) as exc:
        raise InputError(
            f"a value of dataset {ds.name!r} does not fit its declared schema: {exc}",
            "the API changed its data types; update the source's schema",
        ) from None
    return pa.RecordBatch.from_arrays(arrays, schema=ds.schema)


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


class Source(Protocol):
    """A configured source."""

    name: str
    datasets: tuple[Dataset, ...]
    concurrency: int

    def prepare(self, client: HttpClient) -> None:
        """Settle anything that needs the network before streams are planned (e.g. which API version)."""
        ...

    def streams(self) -> Sequence[Stream]:
        """Every stream one ingest of this source fetches."""
        ...

    def probe(self) -> PageRequest:
        """A cheap request that proves the source is reachable (used by verify)."""
        ...


def decode_json(body: bytes, source: str, url: str) -> Any:
    """Decode a JSON body, or fail with one line naming the URL."""
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise InputError(
            f"{source}: response of GET {url} is not valid JSON ({exc}; {len(body)} bytes)",
            "the provider returned a malformed body; check the URL and the provider's status",
        ) from None


def page_number_requests(url: str, params: Mapping[str, str], pages: int | None) -> list[PageRequest]:
    """Requests for pages 2..pages of a ``page=N`` paginated endpoint."""
    return [PageRequest(url, {**params, "page": str(n)}, page=n) for n in range(2, (pages or 1) + 1)]
