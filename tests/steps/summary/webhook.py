"""A webhook receiver for the tests: a real HTTP server recording every POSTed JSON body and how it answered."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self


class WebhookReceiver:
    """Answers POSTs by a script of statuses (the last one repeats), or never answers (``hang``).

    ``received`` holds every body (parsed JSON) in arrival order, ``times`` when each arrived (monotonic).
    """

    def __init__(
        self, statuses: Sequence[int] = (200,), *, hang: bool = False, headers: dict[str, str] | None = None
    ) -> None:
        """Prepare the receiver; it listens from ``__enter__`` on a free port of 127.0.0.1."""
        self.statuses = list(statuses)
        self.hang = hang
        self.headers = headers or {}
        self.received: list[dict[str, Any]] = []
        self.times: list[float] = []
        self.paths: list[str] = []
        self._release = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append(json.loads(body))
                receiver.times.append(time.monotonic())
                receiver.paths.append(self.path)
                if receiver.hang:
                    receiver._release.wait(120)  # never answers while the test runs
                    return
                status = receiver.statuses[min(len(receiver.received), len(receiver.statuses)) - 1]
                self.send_response(status)
                for key, value in receiver.headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True

    def url(self, path: str = "/hook") -> str:
        """The webhook URL (``path`` may carry a query, as Slack's token-bearing URLs do)."""
        return f"http://127.0.0.1:{self._server.server_port}{path}"

    def __enter__(self) -> Self:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._release.set()
        self._server.shutdown()
        self._server.server_close()
