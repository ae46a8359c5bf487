"""A TCP proxy that cuts an endpoint mid-request: the object store going away in the middle of an upload.

Connections are forwarded to ``upstream`` until a client sends a request whose first bytes contain ``trigger``
(e.g. ``b"partNumber=2"``); after ``after_bytes`` more bytes of that request the proxy closes both sides and,
until :meth:`CuttingProxy.restore`, closes every new connection at once (the endpoint is down). With
``hold=True`` the trigger request is held instead: it never reaches the upstream and never gets an answer, and
:attr:`CuttingProxy.held` is set, so a test can kill the client at exactly that point.
"""

from __future__ import annotations

import socket
import threading
from urllib.parse import urlsplit

_CHUNK = 16 * 1024


class CuttingProxy:
    """Forward ``127.0.0.1:<port>`` to ``upstream`` (``http://host:port``) until the trigger request cuts it."""

    def __init__(self, upstream: str, trigger: bytes, after_bytes: int = 1024, *, hold: bool = False) -> None:
        """Listen on a free port; call :meth:`close` (or use ``with``) to stop."""
        parts = urlsplit(upstream)
        self.upstream = (parts.hostname or "127.0.0.1", parts.port or 80)
        self.trigger = trigger
        self.after_bytes = after_bytes
        self.cut = threading.Event()  # set from the moment of the cut until restore()
        self.cuts = 0
        self.hold = hold
        self.held = threading.Event()  # set once a trigger request is being held (hold=True)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def restore(self, trigger: bytes | None = None) -> None:
        """Bring the endpoint back; with ``trigger``, arm another cut."""
        self.trigger = trigger or b"\0never\0"
        self.cut.clear()

    def close(self) -> None:
        """Stop listening and drop every connection."""
        self._listener.close()
        with self._lock:
            for sock in self._open:
                _close(sock)

    def __enter__(self) -> CuttingProxy:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return  # closed
            if self.cut.is_set():
                _close(client)  # the endpoint is down: connection reset
                continue
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        try:
            server = socket.create_connection(self.upstream)
        except OSError:
            _close(client)
            return
        with self._lock:
            self._open.update((client, server))
        threading.Thread(target=self._pipe, args=(server, client, False), daemon=True).start()
        self._pipe(client, server, True)

    def _cut_all(self) -> None:
        """The endpoint goes away: every open connection is dropped, new ones are refused until restore()."""
        self.cuts += 1
        self.cut.set()
        with self._lock:
            for sock in self._open:
                _close(sock)
            self._open.clear()

    def _pipe(self, src: socket.socket, dst: socket.socket, upstream: bool) -> None:
        budget: int | None = None  # bytes left before the cut, once this connection carries the trigger request
        try:
            while True:
                data = src.recv(_CHUNK)
                if not data or self.cut.is_set():
                    break
                if upstream and budget is None and self.trigger in data:
                    if self.hold:
                        self.held.set()
                        self._drain(src)
                        break
                    budget = self.after_bytes
                if budget is not None:
                    if len(data) >= budget:
                        dst.sendall(data[:budget])
                        self._cut_all()
                        break
                    budget -= len(data)
                dst.sendall(data)
        except OSError:
            pass
        finally:
            _close(src)
            _close(dst)

    @staticmethod
    def _drain(src: socket.socket) -> None:
        """Read and drop what the client sends until it goes away: a request that is never answered."""
        while src.recv(_CHUNK):
            pass


def _close(sock: socket.socket) -> None:
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\1\0\0\0\0\0\0\0")  # RST, as a dropped link does
        sock.close()
    except OSError:
        pass
