"""A real OpenLineage HTTP receiver for tests: records what is POSTed to it (a Marquez stand-in)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    """One POST: its path, Authorization header and JSON body."""

    path: str
    authorization: str | None
    event: dict[str, Any]


@dataclass
class Receiver:
    """The receiver's address and what it got so far."""

    url: str
    received: list[Received] = field(default_factory=list)


@contextmanager
def receiver(status: int = 201) -> Iterator[Receiver]:
    """A receiver on a free loopback port answering every POST with ``status``."""
    got: list[Received] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            got.append(Received(self.path, self.headers.get("Authorization"), json.loads(body)))
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *_args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Receiver(f"http://127.0.0.1:{server.server_address[1]}", got)
    finally:
        server.shutdown()
        server.server_close()
