"""A local HTTP server that speaks the Kubernetes list endpoint of Argo's Workflows and replays recorded objects.

``GET /apis/argoproj.io/v1alpha1/namespaces/<ns>/workflows?labelSelector=k=v,k2=v2`` answers a ``WorkflowList`` of
the recorded Workflow objects in that namespace whose labels match every term, as the API server does. Requests
need the bearer token of the kubeconfig it writes (401 otherwise, with a ``Status`` body); ``forbidden`` makes it
answer 403 the way RBAC refuses a list.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

RECORDED = Path(__file__).resolve().parent / "recorded"
TOKEN = "recorded-api-token-7f3a"
_LIST = re.compile(r"^/apis/argoproj\.io/v1alpha1/namespaces/([^/]+)/workflows$")


def recorded(*names: str) -> list[dict[str, Any]]:
    """The recorded Workflow objects (every file under recorded/, or those named)."""
    files = sorted(RECORDED.glob("*.json")) if not names else [RECORDED / n for n in names]
    return [json.loads(f.read_text()) for f in files]


@dataclass
class KubeApi:
    """What the server serves and what it was asked."""

    workflows: list[dict[str, Any]]
    forbidden: bool = False
    requests: list[dict[str, str]] = field(default_factory=list)
    url: str = ""

    def kubeconfig(self, path: Path, token: str = TOKEN) -> Path:
        """A kubeconfig whose current context is this server with a bearer token."""
        path.write_text(
            json.dumps(
                {
                    "apiVersion": "v1",
                    "kind": "Config",
                    "clusters": [{"name": "recorded", "cluster": {"server": self.url}}],
                    "users": [{"name": "reader", "user": {"token": token}}],
                    "contexts": [{"name": "recorded", "context": {"cluster": "recorded", "user": "reader"}}],
                    "current-context": "recorded",
                }
            )
        )
        return path


def _matches(labels: dict[str, str], selector: str) -> bool:
    for term in filter(None, selector.split(",")):
        key, _, value = term.partition("=")
        if labels.get(key) != value.lstrip("="):
            return False
    return True


def _status(code: int, reason: str, message: str) -> dict[str, Any]:
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "details": {"group": "argoproj.io", "kind": "workflows"},
        "code": code,
    }


@contextmanager
def kube_api(workflows: list[dict[str, Any]], *, forbidden: bool = False) -> Iterator[KubeApi]:
    """Serve ``workflows`` on a free port for the length of the block."""
    api = KubeApi(workflows=workflows, forbidden=forbidden)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            api.requests.append({"path": parts.path, "auth": self.headers.get("Authorization", ""), **query})
            found = _LIST.match(parts.path)
            if found is None:
                return self._send(404, _status(404, "NotFound", "the server could not find the requested resource"))
            if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                return self._send(401, _status(401, "Unauthorized", "Unauthorized"))
            namespace = found.group(1)
            if api.forbidden:
                message = (
                    'workflows.argoproj.io is forbidden: User "system:serviceaccount:tributary:reader" cannot list '
                    f'resource "workflows" in API group "argoproj.io" in the namespace "{namespace}"'
                )
                return self._send(403, _status(403, "Forbidden", message))
            selector = query.get("labelSelector", "")
            items = [
                w
                for w in api.workflows
                if w["metadata"]["namespace"] == namespace and _matches(w["metadata"].get("labels", {}), selector)
            ]
            body = {
                "apiVersion": "argoproj.io/v1alpha1",
                "kind": "WorkflowList",
                "metadata": {"resourceVersion": "1048576"},
                "items": items,
            }
            return self._send(200, body)

        def _send(self, code: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    api.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield api
    finally:
        server.shutdown()
        server.server_close()
