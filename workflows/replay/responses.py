"""The response value every replay route returns, and helpers to build one.

Route handlers are pure functions ``(path, query, snapshot) -> Response``; the HTTP plumbing in
:mod:`workflows.replay.server` only writes them out (adding ``Content-Length``), so handlers can be tested
without sockets and their results can be cached as immutable values.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from typing import Any, NamedTuple
from urllib.parse import parse_qsl

Headers = tuple[tuple[str, str], ...]

JSON_CONTENT_TYPE = "application/json"


class Response(NamedTuple):
    """One HTTP answer: status code, headers (without ``Content-Length``) and the exact body bytes."""

    status: int
    headers: Headers
    body: bytes

    def with_headers(self, extra: Headers) -> Response:
        """Return a copy with ``extra`` headers appended.

        Args:
            extra: Header name/value pairs to add after the existing ones.

        Returns:
            A new response; this one is left unchanged.
        """
        return self._replace(headers=self.headers + extra)


Handler = Callable[[str, str, date], Response]
"""A route handler: (path below the provider prefix, raw query string, snapshot date) -> response."""


def compact_json(value: Any) -> bytes:
    """Serialize like most JSON APIs do: no spaces, UTF-8, non-ASCII characters kept as they are.

    Args:
        value: Any JSON-serializable value.

    Returns:
        The UTF-8 encoded JSON text.
    """
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode("utf-8")


def json_response(status: int, value: Any, content_type: str = JSON_CONTENT_TYPE) -> Response:
    """Build a compact JSON response.

    Args:
        status: HTTP status code.
        value: The JSON-serializable body.
        content_type: The ``Content-Type`` header value.

    Returns:
        The response.
    """
    return Response(status, (("Content-Type", content_type),), compact_json(value))


def query_params(query: str) -> dict[str, str]:
    """Parse a raw query string; when a key repeats, the last value wins (as in Starlette).

    Args:
        query: The query string without the leading ``?``.

    Returns:
        A mapping of parameter name to value; blank values are kept as ``""``.
    """
    return dict(parse_qsl(query, keep_blank_values=True))
