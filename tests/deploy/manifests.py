"""Rendering the charts the way a deployment does, offline, and reading the result (Helm SDK, no cluster)."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import helm_python as helm
import yaml

REPO = Path(__file__).resolve().parents[2]
CHARTS = REPO / "charts"
IMAGES = REPO / "images"
ENVS = ("dev", "staging", "prod")
DATA_CHARTS = ("postgres", "minio", "hive-metastore", "trino")
CHARTS_PER_ENV = (*DATA_CHARTS, "tributary")
NAMESPACE = "tributary"
# kubernetes-validate ships schemas up to 1.37; 1.33 is the oldest minor still supported upstream in 2026.
K8S_VERSION = "1.33"
ARGO_KINDS = {"WorkflowTemplate", "CronWorkflow", "Workflow", "ClusterWorkflowTemplate"}
WORKLOAD_KINDS = {"Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob", "Pod"}
SERVER_KINDS = {"Deployment", "StatefulSet"}

# What skaffold (dev) or CI (staging, prod) passes for the images this repository builds; the charts refuse
# to render staging/prod without a digest, exactly as a deployment would.
CI_DIGEST = "sha256:" + "0123456789abcdef" * 4
INJECTED: dict[str, dict[str, Any]] = {
    "hive-metastore": {"image": {"tag": "0.1.0-test", "digest": CI_DIGEST}},
}

# Labels of the pods that talk to the data services (what the NetworkPolicies must admit or refuse).
PIPELINE_POD = {"app.kubernetes.io/part-of": "tributary", "app.kubernetes.io/component": "pipeline"}
TRINO_POD = {
    "app.kubernetes.io/name": "trino",
    "app.kubernetes.io/instance": "trino",
    "app.kubernetes.io/component": "coordinator",
}
METASTORE_POD = {
    "app.kubernetes.io/name": "hive-metastore",
    "app.kubernetes.io/instance": "hive-metastore",
    "app.kubernetes.io/component": "metastore",
}
STRANGER_POD = {"app.kubernetes.io/name": "something-else"}


def merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Deep-merge ``override`` into a copy of ``base`` (maps merge, everything else is replaced), like ``-f``."""
    out = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def env_values(chart: str, env: str) -> dict[str, Any]:
    """The chart's values-<env>.yaml as a dict."""
    return yaml.safe_load((CHARTS / chart / f"values-{env}.yaml").read_text()) or {}


def deploy_values(chart: str, env: str) -> dict[str, Any]:
    """values-<env>.yaml plus what skaffold/CI inject (the image digest of images built here)."""
    return merge(env_values(chart, env), INJECTED.get(chart, {}))


@dataclass
class Render:
    """One chart rendered for one environment: its documents, by template file."""

    chart: str
    env: str
    files: dict[str, str]
    docs: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def __post_init__(self) -> None:
        for template, text in sorted(self.files.items()):
            if template.endswith("NOTES.txt"):
                continue
            for doc in yaml.safe_load_all(text):
                if doc:
                    self.docs.append((template, doc))

    def of_kind(self, kind: str) -> list[dict[str, Any]]:
        return [d for _, d in self.docs if d["kind"] == kind]

    def named(self, kind: str, name: str) -> dict[str, Any]:
        found = [d for d in self.of_kind(kind) if d["metadata"]["name"] == name]
        names = [d["metadata"]["name"] for d in self.of_kind(kind)]
        assert found, f"{self.chart}/{self.env}: no {kind} named {name}; have {names}"
        return found[0]

    @property
    def notes(self) -> str:
        return next((t for n, t in self.files.items() if n.endswith("NOTES.txt")), "")


def render(chart_dir: Path, values: dict[str, Any], release: str, chart: str = "", env: str = "") -> Render:
    """``helm template`` equivalent through the Helm SDK."""
    with helm.Chart.load(chart_dir) as loaded:
        files = loaded.render(values, name=release, namespace=NAMESPACE)
    return Render(chart=chart or chart_dir.name, env=env, files=files)


def render_env(chart: str, env: str) -> Render:
    return render(CHARTS / chart, deploy_values(chart, env), release=chart, chart=chart, env=env)


def pod_templates(doc: dict[str, Any]) -> Iterator[tuple[dict[str, str], dict[str, Any]]]:
    """(pod labels, pod spec) of a workload document."""
    kind = doc["kind"]
    if kind == "Pod":
        yield doc["metadata"].get("labels", {}), doc["spec"]
    elif kind == "CronJob":
        tpl = doc["spec"]["jobTemplate"]["spec"]["template"]
        yield tpl["metadata"].get("labels", {}), tpl["spec"]
    elif kind in WORKLOAD_KINDS:
        tpl = doc["spec"]["template"]
        yield tpl["metadata"].get("labels", {}), tpl["spec"]


def selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    """Whether a LabelSelector (matchLabels only; the charts use no expressions) selects ``labels``."""
    assert not selector.get("matchExpressions"), "matchExpressions are not used by these charts"
    return all(labels.get(k) == v for k, v in (selector.get("matchLabels") or {}).items())


def admits(policy: dict[str, Any], client: dict[str, str], port: str | int) -> bool:
    """Whether ``policy`` lets a same-namespace pod labelled ``client`` in on ``port`` (name or number)."""
    for rule in policy["spec"].get("ingress") or []:
        ports = [p.get("port") for p in rule.get("ports") or []]
        if ports and port not in ports:
            continue
        peers = rule.get("from")
        if not peers:
            return True
        for peer in peers:
            if "podSelector" in peer and "namespaceSelector" not in peer and selects(peer["podSelector"], client):
                return True
    return False


def run_checkov(target: Path, frameworks: list[str]) -> list[dict[str, Any]]:
    """One checkov run over a directory; returns its per-framework JSON reports.

    Offline: no guideline download, no external checks; checkov's own check set only.
    """
    checkov = Path(sys.executable).with_name("checkov")
    command = [str(checkov)] if checkov.exists() else [sys.executable, "-m", "checkov.main"]
    env = {**os.environ, "BC_SKIP_MAPPING": "TRUE", "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false", "LOG_LEVEL": "ERROR"}
    proc = subprocess.run(
        [*command, "-d", str(target), "--framework", *frameworks, "-o", "json", "--skip-download", "--compact"],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=False,
    )
    if proc.returncode not in (0, 1) or not proc.stdout.strip():
        raise AssertionError(f"checkov did not run (rc={proc.returncode}): {proc.stderr[-2000:]}")
    report = json.loads(proc.stdout)
    return report if isinstance(report, list) else [report]
