"""Read the pipeline's Workflow objects from the Kubernetes API with the ``kubernetes`` client (``--cluster``).

Credentials: in a pod (``KUBERNETES_SERVICE_HOST`` set, no ``--kubeconfig``) its service account's token;
elsewhere a kubeconfig (``--kubeconfig``, else ``$KUBECONFIG``, else ``~/.kube/config``). Two list calls, one per
label Argo puts on the pipeline's runs (the template's and the CronWorkflow's), merged by name.

Failures are one line: an API that does not answer is transient (exit 75); a refusal (401, 403), a missing
Workflow API (404) or a kubeconfig that cannot be read is bad input (exit 2), naming the RBAC it needs.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from steps.errors import ConfigError, StepError, TransientError
from workflows.argo.pipeline import NAME as TEMPLATE
from workflows.argo.schedule import NAME as CRON_WORKFLOW
from workflows.status.argo_runs import CRON_LABEL, TEMPLATE_LABEL

GROUP, VERSION, PLURAL = "argoproj.io", "v1alpha1", "workflows"
SELECTORS = (f"{TEMPLATE_LABEL}={TEMPLATE}", f"{CRON_LABEL}={CRON_WORKFLOW}")
POD_NAMESPACE = Path("/var/run/secrets/kubernetes.io/serviceaccount/namespace")
TIMEOUT_S = (5.0, 30.0)  # connect, read
RBAC_FIX = (
    "grant get and list on workflows.argoproj.io in namespace {ns}: bind the tributary chart's Role "
    "tributary-status-reader (values rbac.statusReader.subjects, or kubectl create rolebinding tributary-status "
    "--role=tributary-status-reader --user=NAME -n {ns}; --serviceaccount={ns}:NAME for a pod)"
)


def in_cluster(kubeconfig: Path | None, environ: Mapping[str, str]) -> bool:
    """Whether to use the pod's service account: in a pod, unless a kubeconfig is named."""
    return kubeconfig is None and bool(environ.get("KUBERNETES_SERVICE_HOST"))


def default_namespace(kubeconfig: Path | None, environ: Mapping[str, str]) -> str | None:
    """``$ARGO_NAMESPACE``, else in a pod its own namespace; None when neither says."""
    if environ.get("ARGO_NAMESPACE"):
        return environ["ARGO_NAMESPACE"]
    if in_cluster(kubeconfig, environ) and POD_NAMESPACE.is_file():
        return POD_NAMESPACE.read_text(encoding="utf-8").strip() or None
    return None


def list_workflows(namespace: str, kubeconfig: Path | None, environ: Mapping[str, str]) -> list[dict[str, Any]]:
    """The Workflow objects of the pipeline in ``namespace``, as the API returns them.

    Raises:
        ConfigError: no usable credentials, access refused, or no Workflow API in the cluster.
        TransientError: the API server did not answer, or answered with a server error.
    """
    from kubernetes import client

    api = client.CustomObjectsApi(_api_client(kubeconfig, environ))
    found: dict[str, dict[str, Any]] = {}
    for selector in SELECTORS:
        for item in _list(api, namespace, selector):
            meta = item.get("metadata") or {}
            found[str(meta.get("uid") or meta.get("name"))] = item
    return list(found.values())


def _api_client(kubeconfig: Path | None, environ: Mapping[str, str]) -> Any:
    import yaml
    from kubernetes import client, config
    from kubernetes.config.config_exception import ConfigException

    configuration = client.Configuration()
    try:
        if in_cluster(kubeconfig, environ):
            config.load_incluster_config(client_configuration=configuration)  # type: ignore[no-untyped-call]
        else:
            path = str(kubeconfig) if kubeconfig is not None else None
            config.load_kube_config(  # type: ignore[no-untyped-call]
                config_file=path, client_configuration=configuration, persist_config=False
            )
    # whatever a hand-edited file can make the loader raise: not YAML, a list where a mapping belongs, a missing key
    except (ConfigException, OSError, ValueError, TypeError, KeyError, AttributeError, yaml.YAMLError) as exc:
        where = (
            "the pod's service account"
            if in_cluster(kubeconfig, environ)
            else f"kubeconfig {_kubeconfig(kubeconfig, environ)}"
        )
        detail = " ".join(str(exc).split())[:200]
        raise ConfigError(
            f"cannot load Kubernetes credentials from {where} ({detail})",
            "pass --kubeconfig FILE or set KUBECONFIG (outside a pod), or run in a pod with a service account",
        ) from None
    configuration.retries = 2  # a refused connection fails in well under a second; a silent one within the timeouts
    return client.ApiClient(configuration)


def _kubeconfig(kubeconfig: Path | None, environ: Mapping[str, str]) -> str:
    return str(kubeconfig or environ.get("KUBECONFIG") or os.path.expanduser("~/.kube/config"))


def _list(api: Any, namespace: str, selector: str) -> list[dict[str, Any]]:
    from kubernetes.client.exceptions import ApiException
    from urllib3.exceptions import HTTPError, SSLError

    what = f"workflows.argoproj.io in namespace {namespace}"
    try:
        doc = api.list_namespaced_custom_object(
            GROUP, VERSION, namespace, PLURAL, label_selector=selector, _request_timeout=TIMEOUT_S
        )
    except ApiException as exc:
        raise _refused(what, namespace, int(exc.status or 0), exc.reason, exc.body) from None
    except HTTPError as exc:
        host = api.api_client.configuration.host
        reason = getattr(exc, "reason", None) or exc
        detail = " ".join(str(reason).split())[:200]
        if isinstance(reason, SSLError):
            raise ConfigError(
                f"the Kubernetes API at {host} failed TLS verification ({detail})",
                "check the kubeconfig's certificate-authority for that cluster",
            ) from None
        raise TransientError(
            f"the Kubernetes API at {host} did not answer listing {what} ({detail})",
            "check the cluster is up and the kubeconfig's server address, then retry",
        ) from None
    items = doc.get("items") if isinstance(doc, dict) else None
    return [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []


def _refused(what: str, namespace: str, status: int, reason: str | None, body: Any) -> StepError:
    message = _status_message(body) or reason or ""
    detail = f"HTTP {status}{f': {message}' if message else ''}"[:300]
    if status == 403:
        return ConfigError(f"the Kubernetes API refused to list {what} ({detail})", RBAC_FIX.format(ns=namespace))
    if status == 401:
        return ConfigError(
            f"the Kubernetes API did not accept our credentials listing {what} ({detail})",
            "check the kubeconfig's user (token, certificate) or the pod's service account token",
        )
    if status == 404:
        return ConfigError(
            f"the cluster has no Argo Workflow API ({detail})",
            "install Argo Workflows (its CRDs), or point --kubeconfig at the cluster that runs the pipeline",
        )
    return TransientError(f"the Kubernetes API failed listing {what} ({detail})", "retry later")


def _status_message(body: Any) -> str:
    """The ``message`` of a Kubernetes ``Status`` error body, if it is one."""
    try:
        doc = json.loads(body) if isinstance(body, str | bytes) else body
    except ValueError:
        return ""
    return " ".join(str(doc.get("message") or "").split()) if isinstance(doc, dict) else ""
