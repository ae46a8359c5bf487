"""``tributary submit``: start a run of the ``tributary`` WorkflowTemplate on an Argo server.

It is ``argo submit --from workflowtemplate/tributary -p force=…`` through Hera's ``WorkflowsService``: a POST to
``/api/v1/workflows/<namespace>/submit``. The server and token come from the same variables the ``argo`` CLI
reads: ``ARGO_SERVER`` (``host:port`` or a URL), ``ARGO_TOKEN`` (``Bearer …`` or the bare token, e.g.
``$(kubectl create token …)``), ``ARGO_NAMESPACE``, ``ARGO_SECURE`` (``false`` for plain HTTP) and
``ARGO_INSECURE_SKIP_VERIFY``.
"""

from __future__ import annotations

import getpass
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hera.workflows import WorkflowsService
from hera.workflows import models as m

from workflows.argo.pipeline import LABELS, NAME


class SubmitError(RuntimeError):
    """Missing or wrong Argo server settings, or a refusal by the server; the message says which."""


@dataclass(frozen=True)
class ArgoServer:
    """Where and how to reach the Argo server."""

    url: str
    token: str | None
    namespace: str
    verify_ssl: bool = True


def server_from_env(environ: Mapping[str, str], default_namespace: str) -> ArgoServer:
    """Read the ``argo`` CLI's variables.

    Raises:
        SubmitError: ``ARGO_SERVER`` is not set.
    """
    server = environ.get("ARGO_SERVER", "").strip()
    if not server:
        raise SubmitError(
            "ARGO_SERVER is not set; export ARGO_SERVER=argo.example.com:443 (or https://…) and ARGO_TOKEN"
        )
    if "://" not in server:
        secure = environ.get("ARGO_SECURE", "true").strip().lower() not in ("false", "0", "no")
        server = f"{'https' if secure else 'http'}://{server}"
    skip_verify = environ.get("ARGO_INSECURE_SKIP_VERIFY", "false").strip().lower() in ("true", "1", "yes")
    return ArgoServer(
        url=server.rstrip("/"),
        token=environ.get("ARGO_TOKEN", "").strip() or None,
        namespace=environ.get("ARGO_NAMESPACE", "").strip() or default_namespace,
        verify_ssl=not skip_verify,
    )


def submit_request(
    namespace: str, *, force: bool, env_name: str, submitter: str | None = None
) -> m.WorkflowSubmitRequest:
    """The request ``argo submit --from workflowtemplate/tributary -p force=<force>`` sends."""
    labels = {**LABELS, "tributary.io/environment": env_name, "tributary.io/trigger": "manual"}
    if submitter:
        labels["tributary.io/submitted-by"] = _label_value(submitter)
    return m.WorkflowSubmitRequest(
        namespace=namespace,
        resource_kind="WorkflowTemplate",
        resource_name=NAME,
        submit_options=m.SubmitOpts(
            generate_name=f"{NAME}-",
            parameters=[f"force={'true' if force else 'false'}"],
            labels=",".join(f"{k}={v}" for k, v in labels.items()),
        ),
    )


def request_body(request: m.WorkflowSubmitRequest) -> dict[str, Any]:
    """The JSON body Hera posts for ``request`` (what ``--dry-run`` prints)."""
    body: dict[str, Any] = json.loads(
        request.json(exclude_none=True, by_alias=True, exclude_unset=True, exclude_defaults=True)
    )
    return body


def submit(server: ArgoServer, request: m.WorkflowSubmitRequest, *, session: Any = None) -> str:
    """Submit ``request``; returns the new workflow's name.

    Args:
        server: Server URL, token and namespace.
        request: From :func:`submit_request`.
        session: A ``requests.Session``-like object (tests pass a fake one; default: a new session).

    Raises:
        SubmitError: the server refused the request or could not be reached.
    """
    service = WorkflowsService(
        host=server.url,
        token=server.token,
        namespace=server.namespace,
        verify_ssl=server.verify_ssl,
        session=session,
    )
    try:
        workflow = service.submit_workflow(request, namespace=server.namespace)
    except Exception as exc:  # Hera raises one exception type per HTTP status; all mean "not submitted"
        raise SubmitError(
            f"Argo server {server.url} did not accept the submission: {type(exc).__name__}: {exc}"
        ) from exc
    name = workflow.metadata.name if workflow.metadata else None
    if not name:
        raise SubmitError(f"Argo server {server.url} answered without a workflow name")
    return str(name)


def default_submitter() -> str | None:
    """Who submits: the local user name, for the ``tributary.io/submitted-by`` label."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return None


def _label_value(text: str) -> str:
    """A valid Kubernetes label value: at most 63 of ``[A-Za-z0-9_.-]``, alphanumeric at both ends."""
    cleaned = "".join(c if c.isalnum() or c in "_.-" else "-" for c in text)[:63]
    return cleaned.strip("_.-") or "unknown"
