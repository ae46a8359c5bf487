"""A stand-in Trino coordinator speaking the client protocol verify uses (POST /v1/statement, then nextUri).

It answers as Trino documents it: a first response with ``nextUri``, then the query's state until FINISHED with
its data, or an ``error`` object; 401 for a wrong password (Trino with password authentication). It records
the requests so tests can see what verify sent.
"""

from __future__ import annotations

import base64
import json
import ssl
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any


class TrinoStandin:
    """``with TrinoStandin(...) as trino:`` serves on 127.0.0.1 at ``trino.port``."""

    def __init__(
        self, *, password: str | None = None, fail_with: str | None = None, tls_dir: Path | None = None
    ) -> None:
        """Serve plain HTTP, or HTTPS with a fresh self-signed certificate in ``tls_dir`` (its ``cert.pem``)."""
        self.password = password
        self.scheme = "https" if tls_dir else "http"
        self.fail_with = fail_with  # an errorName every query ends with
        self.requests: list[tuple[str, str, dict[str, str], bytes]] = []
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _answer(self, status: int, body: dict[str, Any] | None = None) -> None:
                data = json.dumps(body or {}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _authorized(self) -> bool:
                if standin.password is None:
                    return True
                expected = base64.b64encode(f"{self.headers.get('X-Trino-User')}:{standin.password}".encode())
                return self.headers.get("Authorization", "") == f"Basic {expected.decode()}"

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                standin.requests.append(("POST", self.path, dict(self.headers), body))
                if not self._authorized():
                    self._answer(401)
                    return
                base = f"{standin.scheme}://127.0.0.1:{standin.port}"
                self._answer(
                    200, {"id": "q1", "nextUri": f"{base}/v1/statement/executing/q1/1", "stats": {"state": "QUEUED"}}
                )

            def do_GET(self) -> None:
                standin.requests.append(("GET", self.path, dict(self.headers), b""))
                if standin.fail_with:
                    error = {
                        "message": "no worker nodes",
                        "errorName": standin.fail_with,
                        "errorType": "INTERNAL_ERROR",
                    }
                    self._answer(200, {"id": "q1", "stats": {"state": "FAILED"}, "error": error})
                    return
                columns = [{"name": "_col0", "type": "integer"}]
                self._answer(200, {"id": "q1", "columns": columns, "data": [[1]], "stats": {"state": "FINISHED"}})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        if tls_dir is not None:
            self.cert = tls_dir / "cert.pem"
            key = tls_dir / "key.pem"
            subprocess.run(
                [
                    "openssl",
                    "req",
                    "-x509",
                    "-newkey",
                    "rsa:2048",
                    "-nodes",
                    "-days",
                    "1",
                    "-subj",
                    "/CN=127.0.0.1",
                    "-addext",
                    "subjectAltName=IP:127.0.0.1",
                    "-keyout",
                    str(key),
                    "-out",
                    str(self.cert),
                ],
                check=True,
                capture_output=True,
            )
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(self.cert, key)
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True)

    def __enter__(self) -> TrinoStandin:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
