"""The umbrella chart: its file:// dependencies build offline, and its per-environment values follow the charts'.

REGENERATE=1 rewrites charts/lakehouse/values-<env>.yaml from the data charts' values-<env>.yaml.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import helm_python as helm
import kubernetes_validate
import pytest
import yaml

from tests.deploy.manifests import (
    CHARTS,
    DATA_CHARTS,
    ENVS,
    INJECTED,
    K8S_VERSION,
    NAMESPACE,
    Render,
    env_values,
    merge,
)

HEADER = """\
# Generated from charts/<chart>/values-{env}.yaml by `REGENERATE=1 pytest tests/deploy/test_lakehouse.py`;
# edit those files, not this one. {note}
"""
NOTES = {
    "dev": "MinIO included.",
    "staging": "No MinIO: hive-metastore and trino use the staging object store.",
    "prod": "No MinIO: hive-metastore and trino use the managed S3.",
}


def expected_values(env: str) -> dict[str, Any]:
    """The umbrella's values-<env>.yaml: each data chart's values-<env>.yaml under its name."""
    out: dict[str, Any] = {chart: env_values(chart, env) for chart in DATA_CHARTS}
    out["minio"] = {"enabled": env == "dev", **(out["minio"] if env == "dev" else {})}
    return out


@pytest.mark.parametrize("env", ENVS)
def test_environment_values_follow_the_charts(env: str) -> None:
    path = CHARTS / "lakehouse" / f"values-{env}.yaml"
    expected = expected_values(env)
    if os.environ.get("REGENERATE") == "1":
        path.write_text(HEADER.format(env=env, note=NOTES[env]) + yaml.safe_dump(expected, sort_keys=False))
    assert path.exists() and yaml.safe_load(path.read_text()) == expected, (
        f"{path.relative_to(CHARTS.parent)} is out of date: REGENERATE=1 pytest tests/deploy/test_lakehouse.py"
    )


@pytest.fixture(scope="module")
def umbrella(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of charts/ with the umbrella's dependencies built (offline: file:// repositories only)."""
    root = tmp_path_factory.mktemp("charts")
    for chart in (*DATA_CHARTS, "lakehouse"):
        shutil.copytree(CHARTS / chart, root / chart, ignore=shutil.ignore_patterns("charts", "Chart.lock"))
    helm.dependency_update(root / "lakehouse", skip_refresh=True)
    assert {d["status"] for d in helm.dependency_list(root / "lakehouse")} == {"ok"}
    return root / "lakehouse"


def _umbrella_values(env: str) -> dict[str, Any]:
    values = yaml.safe_load((CHARTS / "lakehouse" / f"values-{env}.yaml").read_text())
    return merge(values, dict(INJECTED))


@pytest.mark.parametrize("env", ENVS)
def test_umbrella_installs_the_lakehouse_in_one_release(umbrella: Path, env: str) -> None:
    values = _umbrella_values(env)
    report = helm.lint(umbrella, values, strict=True, namespace=NAMESPACE, with_subcharts=True)
    assert not [m for m in report["messages"] if m["severity"] >= 2] + report["errors"], report
    with helm.Chart.load(umbrella) as loaded:
        rendered = Render(
            chart="lakehouse", env=env, files=loaded.render(values, name="lakehouse", namespace=NAMESPACE)
        )
    services = {s["metadata"]["name"] for s in rendered.of_kind("Service")}
    expected = {"postgres", "hive-metastore", "trino"} | ({"minio"} if env == "dev" else set())
    assert expected <= services, "the charts find each other by these Service names"
    assert ("minio" in services) == (env == "dev")
    for template, doc in rendered.docs:
        try:
            kubernetes_validate.validate(doc, K8S_VERSION, strict=True)
        except kubernetes_validate.ValidationError as exc:
            pytest.fail(f"lakehouse ({env}) {template}: {exc.message}")
