"""One REST stream for every paged JSON API: a source declares its streams and maps records to columns.

A :class:`RestStream` is a request (URL and the first page's parameters, in the order they are sent) plus:

- a **paginator**: :class:`SinglePage`, :class:`PageNumber` (``page=N`` up to the pages the first page announced)
  or :class:`Offset` (offset/limit up to the total, 0- or 1-based);
- **selectors** (:class:`Path`) for the records, the total rows and the total pages of a page;
- an **error selector**: a function that raises the API's error payload as a ConfigError or InputError (APIs
  spell errors too differently to declare them);
- a **row mapper**: records (and the whole payload, for page-level fields) → the dataset's column lists;
- a **cursor** (the incremental parameter's other half): the column whose largest value becomes the stream's
  watermark. The source puts the resume value in the request (``observation_start``, ``start``, …).

Parsing runs the error selector, selects the records (a missing list is an InputError naming the API), maps them
(a KeyError/TypeError/ValueError becomes one line naming the page and the module to update), observes the cursor
and reports the totals. Paging, retries, rate limits, raw retention and bronze writing stay in the ingest core.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from steps.errors import InputError
from steps.http import Params
from steps.sources.base import PageRequest, ParsedPage, WatermarkTracker, offset_requests, page_number_requests
from steps.sources.registry import Dataset

RowMapper = Callable[[list[Any], Any], dict[str, list[Any]]]


@dataclass(frozen=True)
class Path:
    """A selector: the value at ``keys`` (dict keys or list indexes) of a payload, or ``default`` when absent."""

    keys: tuple[str | int, ...]
    default: Any = None

    def __call__(self, payload: Any) -> Any:
        """The selected value (``default`` when a step is missing or null)."""
        node = payload
        for key in self.keys:
            if isinstance(key, int) and isinstance(node, list) and -len(node) <= key < len(node):
                node = node[key]
            elif isinstance(key, str) and isinstance(node, dict):
                node = node.get(key)
            else:
                return self.default
            if node is None:
                return self.default
        return node

    def __str__(self) -> str:
        return ".".join(str(k) for k in self.keys)


def path(*keys: str | int, default: Any = None) -> Path:
    """A :class:`Path` selector: ``path("response", "data")``, ``path(0, "pages")``."""
    return Path(keys, default)


def count(value: Any) -> int | None:
    """A total as the APIs send it: a number or a numeric string; ``None`` or ``""`` means not reported."""
    return None if value is None or value == "" else int(value)


class Paginator(Protocol):
    """Plans the requests after the first page, from what the first page said."""

    def following(self, first: PageRequest, page: ParsedPage, source: str) -> Sequence[PageRequest]:
        """Requests for the remaining pages."""
        ...


@dataclass(frozen=True)
class SinglePage:
    """The first page is the only one."""

    def following(self, first: PageRequest, page: ParsedPage, source: str) -> Sequence[PageRequest]:
        """No more pages."""
        return ()


@dataclass(frozen=True)
class PageNumber:
    """``page=2..N`` where N is the page count the first page announced (its ``pages`` selector)."""

    def following(self, first: PageRequest, page: ParsedPage, source: str) -> Sequence[PageRequest]:
        """Pages 2..pages."""
        return page_number_requests(first.url, first.params, page.pages)


@dataclass(frozen=True)
class Offset:
    """Offset/limit paging up to the total the first page reported (``first_offset=1`` for 1-based APIs).

    The first page's parameters carry the page size and the first offset as the API spells them; this only
    advances ``offset_param`` by ``page_size`` per page, refusing more than ``max_pages`` pages.
    """

    page_size: int
    offset_param: str = "offset"
    first_offset: int = 0
    max_pages: int = 10_000

    def following(self, first: PageRequest, page: ParsedPage, source: str) -> Sequence[PageRequest]:
        """Offsets ``first_offset + page_size``, ``+ 2 * page_size``, … below the total."""
        return offset_requests(
            first,
            page.total,
            self.page_size,
            source=source,
            offset_param=self.offset_param,
            first_offset=self.first_offset,
            max_pages=self.max_pages,
        )


@dataclass(frozen=True)
class Cursor:
    """The incremental side of a stream: the largest value of ``column`` is the watermark of ``key``."""

    tracker: WatermarkTracker
    key: str
    column: str


def _absent(payload: Any) -> None:
    """Not reported by the API."""


def _no_error(payload: Any) -> None:
    """An API whose errors all come as HTTP statuses the client handles."""


def _no_warnings(_payload: Any) -> list[str]:
    return []


@dataclass(frozen=True)
class RestStream:
    """The pages of one request of a REST API, read into one dataset (see the module docstring).

    Attributes:
        source: The source's name (messages, paging limits).
        stream_id: Unique within the source: raw file names and logs, and the watermark's key by default.
        dataset: The dataset its rows land in; its name is also the raw folder (``raw/<source>/<dataset>/``).
        url: The endpoint.
        params: The first page's query parameters, in the order they are sent.
        rows: The row mapper: ``(records, payload) -> {column: values}``.
        records: Selects the list of records of a page; a page without one is refused.
        api: What the base URL should point at, for the message when a page has no records list.
        paginator: How the following pages are requested.
        total: Selects the rows the API reports for the whole stream.
        pages: Selects the pages the API reports for the whole stream.
        error: Raises the API's error payload, if the page is one (called first).
        warnings: Messages the API attached to the page.
        cursor: The watermark this stream advances, if incremental.
        accept: Error statuses whose body ``error`` explains (the client does not refuse them itself).
    """

    source: str
    stream_id: str
    dataset: Dataset
    url: str
    params: Params
    rows: RowMapper
    records: Path
    api: str
    paginator: Paginator = SinglePage()
    total: Callable[[Any], Any] = _absent
    pages: Callable[[Any], Any] = _absent
    error: Callable[[Any], None] = _no_error
    warnings: Callable[[Any], list[str]] = _no_warnings
    cursor: Cursor | None = None
    accept: frozenset[int] = field(default_factory=frozenset)

    @property
    def raw_name(self) -> str:
        """Pages are kept under ``raw/<source>/<dataset>/``."""
        return self.dataset.name

    def first_request(self) -> PageRequest:
        """The first page."""
        return PageRequest(self.url, dict(self.params), page=1, accept=self.accept)

    def following_requests(self, first: ParsedPage) -> Sequence[PageRequest]:
        """The remaining pages, as the paginator plans them from the first."""
        return self.paginator.following(self.first_request(), first, self.source)

    def parse(self, payload: Any, request: PageRequest) -> ParsedPage:
        """Error payload first, then the records into columns, the watermark and the totals."""
        self.error(payload)
        records = self.records(payload)
        if not isinstance(records, list):
            raise InputError(
                f"{self.source}: GET {request.url} for {self.stream_id} has no {self.records} list",
                f"the base_url is not {self.api} or the API changed",
            )
        try:
            columns = self.rows(records, payload)
        except (KeyError, TypeError, ValueError) as exc:
            module = self.rows.__module__.replace(".", "/")
            raise InputError(
                f"{self.source}: page {request.page} of {self.stream_id} has a bad record ({exc!r})",
                f"the API changed its record format; update {module}.py",
            ) from None
        if self.cursor is not None:
            self.cursor.tracker.observe(self.cursor.key, columns[self.cursor.column])
        return ParsedPage(
            columns={self.dataset.name: columns},
            total=count(self.total(payload)),
            pages=count(self.pages(payload)),
            warnings=self.warnings(payload),
        )
