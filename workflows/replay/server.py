"""The replay server: a real local HTTP/1.1 server that answers like the public APIs, offline.

It is stdlib only (``http.server.ThreadingHTTPServer``, keep-alive, one thread per connection). Requests are
routed by prefix to the registered providers (:mod:`workflows.replay.registry`; one instance of each per server):
``/<name>/…`` goes to provider ``<name>``, e.g. :mod:`workflows.replay.providers.worldbank` below ``/worldbank``
and :mod:`workflows.replay.providers.provinces` below ``/provinces``. The keyed providers
(:mod:`~workflows.replay.providers.fred`, :mod:`~workflows.replay.providers.eia`,
:mod:`~workflows.replay.providers.noaa`) count requests per API key and answer HTTP 429 beyond their quotas
(:mod:`workflows.replay.limits`). :meth:`ReplayServer.base_url` gives the URL that stands in for a source's
``base_url``. :class:`~workflows.replay.faults.Fault` rules can turn any of them into errors, slow answers,
truncated or malformed bodies. Admin endpoints below ``/_replay`` (never faulted, never logged in
:attr:`ReplayServer.requests`)::

    GET    /_replay/health     {"ok": true, "snapshot": "2025-01-04"}
    GET    /_replay/faults     the rules (with what is left of ``times``)
    POST   /_replay/faults     replace the rules with a JSON list of rule objects
    DELETE /_replay/faults     remove every rule
    GET    /_replay/requests   the request log; DELETE clears it
    GET    /_replay/snapshot   {"snapshot": "..."}; POST {"date": "YYYY-MM-DD"} switches it
    GET    /_replay/limits     the keyed providers' quotas; POST {"provider": "fred", "windows": [[10, 2.0]],
                               "per_day": null} replaces one (and clears its counts); DELETE restores the defaults

Example:
    >>> with ReplayServer(snapshot=POST_REFORM_SNAPSHOT) as server:  # doctest: +SKIP
    ...     requests.get(f"{server.base_url('vn_provinces')}/api/v2/?depth=1").json()
"""

from __future__ import annotations

import json
import logging
import re
import socket
import threading
import time
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self
from urllib.parse import urlsplit

from workflows.replay.faults import Fault, FaultSet
from workflows.replay.limits import KeyedLimiter, Quota, Window
from workflows.replay.providers.provinces import REFORM_DATE
from workflows.replay.registry import Provider, Registration, Request, for_source, registrations
from workflows.replay.responses import Response, json_response
from workflows.replay.revisions import Revision, by_provider

__all__ = [
    "POST_REFORM_SNAPSHOT",
    "PRE_REFORM_SNAPSHOT",
    "REFORM_DATE",
    "Fault",
    "Quota",
    "ReplayServer",
    "RequestRecord",
    "Window",
    "parse_snapshot",
]

PRE_REFORM_SNAPSHOT = date(2025, 1, 4)
"""Data version of the pre-reform provinces file; the default snapshot."""
POST_REFORM_SNAPSHOT = date(2026, 2, 21)
"""Data version of the post-reform (v2) provinces file."""

ADMIN_PREFIX = "/_replay"
MAX_LOGGED_REQUESTS = 100_000
"""The request log keeps this many most recent records (a long-running server must not grow without bound)."""
MAX_ADMIN_BODY = 1 << 20

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RequestRecord:
    """One request the server answered (admin requests are not recorded).

    Attributes:
        method: HTTP method, e.g. ``GET``.
        path: The request path as sent, without the query string.
        query: The raw query string (``""`` when there is none).
        at: ``time.monotonic()`` when the request arrived (before any fault delay).
        status: The HTTP status sent back.
    """

    method: str
    path: str
    query: str
    at: float
    status: int


def parse_snapshot(value: str) -> date:
    """Parse a snapshot date written as ``YYYY-MM-DD``.

    Args:
        value: The text to parse.

    Returns:
        The date.

    Raises:
        ValueError: With a message naming the bad value and the expected format.
    """
    text = value.strip()
    try:
        if _ISO_DATE.fullmatch(text):
            return date.fromisoformat(text)
    except ValueError:
        pass
    raise ValueError(f"bad snapshot date {value!r}: expected YYYY-MM-DD, e.g. {PRE_REFORM_SNAPSHOT.isoformat()}")


def _under(path: str, prefix: str) -> str | None:
    """Return the part of ``path`` below ``prefix``, or ``None`` when ``path`` is not under ``prefix``."""
    if path == prefix or path.startswith(prefix + "/"):
        return path[len(prefix) :]
    return None


class ReplayServer:
    """A local HTTP server replaying the World Bank, Vietnam provinces, FRED, EIA and NOAA CDO APIs.

    Args:
        host: Interface to listen on.
        port: Port to listen on; ``0`` picks a free port (read it back from :attr:`url`).
        snapshot: The date the APIs are replayed as of (switches the provinces API at :data:`REFORM_DATE`).
        revisions: Values to serve instead of the shipped data (:mod:`workflows.replay.revisions`).
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        snapshot: date = PRE_REFORM_SNAPSHOT,
        revisions: Sequence[Revision] = (),
    ) -> None:
        """Create a stopped server; call :meth:`start` (or use it as a context manager)."""
        self._revisions = by_provider(revisions)
        self._host = host
        self._port = port
        self._lock = threading.Lock()
        self._snapshot = snapshot
        self._faults = FaultSet()
        self._requests: deque[RequestRecord] = deque(maxlen=MAX_LOGGED_REQUESTS)
        self._registrations: dict[str, Registration] = {r.name: r for r in registrations()}
        self._providers: dict[str, Provider] = {name: r.create() for name, r in self._registrations.items()}
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._bound: tuple[str, int] | None = None

    # --- life cycle -----------------------------------------------------------------------------------------

    def start(self) -> Self:
        """Bind the port and serve in a daemon thread.

        Returns:
            The server itself, so ``server = ReplayServer().start()`` works.

        Raises:
            RuntimeError: If the server is already running.
            OSError: If the address cannot be bound (e.g. the port is in use).
        """
        if self._httpd is not None:
            raise RuntimeError("replay server is already running")
        httpd = _HTTPServer((self._host, self._port), self)
        self._bound = (self._host, httpd.server_address[1])
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever,
            kwargs={"poll_interval": 0.1},
            name=f"replay-server-{self._bound[1]}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, close every open connection and release the port (does nothing if not running)."""
        httpd, thread = self._httpd, self._thread
        if httpd is None:
            return
        self._httpd = self._thread = None
        httpd.shutdown()
        httpd.close_connections()
        httpd.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> Self:
        """Start the server if needed and return it."""
        return self if self._httpd is not None else self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Stop the server."""
        self.stop()

    @property
    def running(self) -> bool:
        """Whether the server is serving."""
        return self._httpd is not None

    # --- addresses ------------------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """Base URL of the server, e.g. ``http://127.0.0.1:54321``.

        Raises:
            RuntimeError: If the server was never started.
        """
        if self._bound is None:
            raise RuntimeError("replay server has not been started: call start() first")
        host, port = self._bound
        # a wildcard bind address is not a URL a client can use: point at loopback instead
        host = {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)  # noqa: S104
        return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"

    def base_url(self, source: str) -> str:
        """The URL that stands in for the ``base_url`` of a source of kind ``source``.

        Args:
            source: A source kind with a replay provider, e.g. ``worldbank``, ``vn_provinces``, ``eia``.

        Returns:
            E.g. ``http://127.0.0.1:54321/eia/v2`` for ``eia`` (replacing ``https://api.eia.gov/v2``).

        Raises:
            ValueError: If no provider replays that source.
            RuntimeError: If the server was never started.
        """
        registration = for_source(source)
        if registration is None:
            served = ", ".join(r.source for r in self._registrations.values())
            raise ValueError(f"no replay provider serves source {source!r}; the replay serves {served}")
        return f"{self.url}{registration.base_path}"

    # --- quotas of the keyed providers ----------------------------------------------------------------------

    def quota(self, provider: str) -> Quota:
        """The quota ``provider`` (``fred``, ``eia``, ``noaa``) enforces now."""
        return self._limiter(provider).quota

    def set_quota(self, provider: str, quota: Quota) -> None:
        """Enforce ``quota`` for ``provider`` from now on, forgetting the requests counted so far."""
        self._limiter(provider).reset(quota)

    def reset_quotas(self) -> None:
        """Restore every provider's published quota and forget every count."""
        for name, limiter in self._limiters().items():
            limiter.reset(self._registrations[name].quota)

    def _limiters(self) -> dict[str, KeyedLimiter]:
        """The keyed providers' limiters by provider name."""
        return {name: p.limiter for name, p in self._providers.items() if p.limiter is not None}

    def _limiter(self, name: str) -> KeyedLimiter:
        limiters = self._limiters()
        if name not in limiters:
            raise ValueError(f"unknown provider {name!r}; expected one of {sorted(limiters)}")
        return limiters[name]

    # --- state ----------------------------------------------------------------------------------------------

    @property
    def snapshot(self) -> date:
        """The date the APIs are replayed as of; can be switched while serving."""
        with self._lock:
            return self._snapshot

    @snapshot.setter
    def snapshot(self, value: date) -> None:
        if not isinstance(value, date):
            raise TypeError(f"snapshot must be a datetime.date, got {value!r}")
        with self._lock:
            self._snapshot = value

    @property
    def faults(self) -> list[Fault]:
        """Copies of the fault rules, in the order they are checked (``times`` shows what is left)."""
        return self._faults.rules()

    def add_fault(self, fault: Fault) -> None:
        """Append a fault rule (a copy is stored; ``fault`` itself is not mutated).

        Args:
            fault: The rule, checked after the existing ones.
        """
        self._faults.add(fault)

    def set_faults(self, faults: Iterable[Fault]) -> None:
        """Replace every fault rule.

        Args:
            faults: The new rules, in the order they are checked.
        """
        self._faults.replace_all(faults)

    def clear_faults(self) -> None:
        """Remove every fault rule."""
        self._faults.clear()

    @property
    def requests(self) -> list[RequestRecord]:
        """The request log, oldest first (admin requests are not recorded)."""
        with self._lock:
            return list(self._requests)

    def clear_requests(self) -> None:
        """Empty the request log."""
        with self._lock:
            self._requests.clear()

    # --- request processing (called by the connection threads) ----------------------------------------------

    def dispatch(
        self, method: str, target: str, body: bytes, at: float, headers: Mapping[str, str] | None = None
    ) -> tuple[Response, Fault | None]:
        """Answer one request: admin, or provider route with faults applied; record it in the log.

        Args:
            method: HTTP method.
            target: Request target as sent (path and optional ``?query``).
            body: Request body (only admin routes read it).
            at: ``time.monotonic()`` when the request arrived.
            headers: Request headers (the keyed providers read their token there).

        Returns:
            The response and the fault rule that applied, if any (the caller carries out its ``delay`` and
            ``truncate``).
        """
        if not target.startswith("/"):  # absolute-form target, e.g. through a proxy
            split = urlsplit(target)
            target = (split.path or "/") + (f"?{split.query}" if split.query else "")
        path, _, query = target.partition("?")
        if _under(path, ADMIN_PREFIX) is not None:
            return self._admin(method, path, body), None
        fault = self._faults.take(target)
        response = self._route(method, path, query, headers or {}, at)
        if fault is not None:
            response = fault.apply(response)
        with self._lock:
            self._requests.append(RequestRecord(method, path, query, at, response.status))
        return response, fault

    def _route(self, method: str, path: str, query: str, headers: Mapping[str, str], at: float) -> Response:
        """Find the provider handler for ``path`` and call it."""
        for name, provider in self._providers.items():
            rest = _under(path, self._registrations[name].prefix)
            if rest is None:
                continue
            if method not in ("GET", "HEAD"):
                return _not_allowed(method, path)
            lowered = {k.lower(): v for k, v in headers.items()}
            try:
                revised = self._revisions.get(name, {})
                return provider.handle(Request(rest, query, lowered, self.snapshot, at, revised))
            except Exception:  # a bug in a handler must not kill the connection thread
                logger.exception("replay provider %s failed for %s %s?%s", name, method, path, query)
                return json_response(500, {"error": "replay handler failed", "path": path})
        return json_response(404, {"error": "not found", "path": path})

    def _admin(self, method: str, path: str, body: bytes) -> Response:
        """Answer the admin endpoints below ``/_replay``."""
        route = path[len(ADMIN_PREFIX) :].rstrip("/")
        allowed = {
            "/health": ("GET",),
            "/faults": ("GET", "POST", "DELETE"),
            "/requests": ("GET", "DELETE"),
            "/snapshot": ("GET", "POST"),
            "/limits": ("GET", "POST", "DELETE"),
        }.get(route)
        if allowed is None:
            return json_response(404, {"error": "not found", "path": path})
        if method not in allowed:
            response = json_response(405, {"error": f"method {method} not allowed", "path": path})
            return response.with_headers((("Allow", ", ".join(allowed)),))
        try:
            payload: Any = json.loads(body) if method == "POST" else None
        except ValueError as exc:
            return json_response(400, {"error": f"request body is not valid JSON: {exc}"})
        try:
            return self._admin_action(method, route, payload)
        except (TypeError, ValueError) as exc:
            return json_response(400, {"error": str(exc)})

    def _admin_action(self, method: str, route: str, payload: Any) -> Response:
        """Carry out a validated admin request; ``ValueError`` means a bad payload."""
        if route == "/health":
            return json_response(200, {"ok": True, "snapshot": self.snapshot.isoformat()})
        if route == "/snapshot":
            if method == "POST":
                if not isinstance(payload, dict) or not isinstance(payload.get("date"), str):
                    raise ValueError('expected {"date": "YYYY-MM-DD"}')
                self.snapshot = parse_snapshot(payload["date"])
            return json_response(200, {"snapshot": self.snapshot.isoformat()})
        if route == "/limits":
            if method == "POST":
                if not isinstance(payload, dict) or not isinstance(payload.get("provider"), str):
                    raise ValueError('expected {"provider": "fred", "windows": [[requests, seconds]], "per_day": n}')
                self.set_quota(payload["provider"], Quota.from_dict(payload))
            elif method == "DELETE":
                self.reset_quotas()
            return json_response(200, {name: limiter.quota.to_dict() for name, limiter in self._limiters().items()})
        if route == "/faults":
            if method == "POST":
                if not isinstance(payload, list):
                    raise ValueError("expected a JSON list of fault rules")
                self.set_faults([Fault.from_dict(item) for item in payload])
            elif method == "DELETE":
                self.clear_faults()
            return json_response(200, [fault.to_dict() for fault in self.faults])
        if method == "DELETE":  # /requests
            self.clear_requests()
        return json_response(200, [asdict(record) for record in self.requests])


def _not_allowed(method: str, path: str) -> Response:
    response = json_response(405, {"error": f"method {method} not allowed", "path": path})
    return response.with_headers((("Allow", "GET, HEAD"),))


class _HTTPServer(ThreadingHTTPServer):
    """A ``ThreadingHTTPServer`` that knows its :class:`ReplayServer` and can drop keep-alive connections."""

    daemon_threads = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], replay: ReplayServer) -> None:
        """Bind ``address`` (IPv6 when the host contains ``:``)."""
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.replay = replay
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, _RequestHandler)

    def track(self, connection: socket.socket) -> None:
        """Remember an open connection."""
        with self._connections_lock:
            self._connections.add(connection)

    def untrack(self, connection: socket.socket) -> None:
        """Forget a closed connection."""
        with self._connections_lock:
            self._connections.discard(connection)

    def close_connections(self) -> None:
        """Shut down every open connection, so idle keep-alive threads end and clients see the server go."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class _RequestHandler(BaseHTTPRequestHandler):
    """Reads one request at a time from a keep-alive connection and writes the replay answer."""

    protocol_version = "HTTP/1.1"
    server_version = "tributary-replay/1"
    timeout = 120  # seconds an idle keep-alive connection is kept
    disable_nagle_algorithm = True  # headers and body are separate writes: avoid the 40 ms delayed-ACK stall
    server: _HTTPServer

    def setup(self) -> None:
        """Register the connection with the server."""
        super().setup()
        self.server.track(self.connection)

    def finish(self) -> None:
        """Unregister the connection."""
        try:
            super().finish()
        finally:
            self.server.untrack(self.connection)

    def do_GET(self) -> None:
        """Serve GET."""
        self._serve()

    def do_HEAD(self) -> None:
        """Serve HEAD (the GET answer without its body)."""
        self._serve()

    def do_POST(self) -> None:
        """Serve POST (admin endpoints)."""
        self._serve()

    def do_PUT(self) -> None:
        """Serve PUT (always 404/405)."""
        self._serve()

    def do_DELETE(self) -> None:
        """Serve DELETE (admin endpoints)."""
        self._serve()

    def do_PATCH(self) -> None:
        """Serve PATCH (always 404/405)."""
        self._serve()

    def _read_body(self) -> bytes | None:
        """Read the request body; ``None`` (after answering an error) when it cannot be read."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            self.close_connection = True
            self._write(json_response(411, {"error": "send a Content-Length, chunked bodies are not supported"}))
            return None
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if not 0 <= length <= MAX_ADMIN_BODY:
            self.close_connection = True
            self._write(json_response(413, {"error": f"Content-Length must be 0-{MAX_ADMIN_BODY}"}))
            return None
        return self.rfile.read(length) if length else b""

    def _serve(self) -> None:
        """Answer the request just parsed by ``BaseHTTPRequestHandler``."""
        started = time.monotonic()
        body = self._read_body()
        if body is None:
            return
        headers = dict(self.headers.items())
        response, fault = self.server.replay.dispatch(self.command, self.path, body, started, headers)
        if fault is not None and fault.delay:
            time.sleep(fault.delay)
        truncate = None if fault is None else fault.truncate
        try:
            self._write(response, truncate)
        except OSError as exc:  # the client went away
            self.close_connection = True
            logger.debug("client %s gone while answering %s: %s", self.client_address[0], self.path, exc)
        elapsed_ms = (time.monotonic() - started) * 1000
        note = "" if fault is None else f" fault={fault.path!r}"
        logger.info(
            "%s %s %d %dB %.1fms%s",
            self.command,
            self.path,
            response.status,
            len(response.body),
            elapsed_ms,
            note,
        )

    def _write(self, response: Response, truncate: int | None = None) -> None:
        """Write status, headers and (possibly truncated) body; truncation then closes the connection."""
        self.send_response(response.status)
        for name, value in response.headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body if truncate is None else response.body[:truncate])
        if truncate is not None:
            self.wfile.flush()
            self.close_connection = True

    def version_string(self) -> str:
        """The ``Server`` header value."""
        return self.server_version

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Silence the stdlib access log; :meth:`_serve` logs one line per request instead."""

    def log_message(self, format: str, *args: Any) -> None:
        """Route the stdlib's messages (e.g. malformed request lines) to :mod:`logging`."""
        logger.warning("%s: %s", self.client_address[0], format % args)
