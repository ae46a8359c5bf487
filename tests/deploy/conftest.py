"""Session fixtures: every chart rendered for every environment once, and one checkov run per framework."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deploy.manifests import CHARTS_PER_ENV, ENVS, IMAGES, Render, render_env, run_checkov

# A deliberately bad Deployment scanned together with the real manifests: it must fail, which proves checkov
# really evaluated the directory (a run that silently checks nothing would otherwise look clean).
CANARY = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "checkov-canary", "namespace": "canary"},
    "spec": {
        "selector": {"matchLabels": {"app": "checkov-canary"}},
        "template": {
            "metadata": {"labels": {"app": "checkov-canary"}},
            "spec": {"containers": [{"name": "c", "image": "busybox:latest"}]},
        },
    },
}
CANARY_MUST_FAIL = {"CKV_K8S_8", "CKV_K8S_13", "CKV_K8S_14", "CKV_K8S_22", "CKV_K8S_43", "CKV2_K8S_6"}


@pytest.fixture(scope="session")
def renders() -> dict[tuple[str, str], Render]:
    """(chart, env) -> rendered manifests, for the pipeline chart and the four data charts."""
    return {(chart, env): render_env(chart, env) for chart in CHARTS_PER_ENV for env in ENVS}


@pytest.fixture(scope="session")
def manifests_dir(renders: dict[tuple[str, str], Render], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The rendered manifests on disk, one folder per chart and environment, plus the canary."""
    root = tmp_path_factory.mktemp("rendered")
    for (chart, env), render in renders.items():
        folder = root / f"{chart}-{env}"
        folder.mkdir()
        for template, text in render.files.items():
            if not template.endswith("NOTES.txt") and text.strip():
                (folder / Path(template).name).write_text(text)
    (root / "canary").mkdir()
    (root / "canary" / "canary.yaml").write_text(yaml.safe_dump(CANARY))
    return root


@pytest.fixture(scope="session")
def checkov_manifests(manifests_dir: Path) -> dict[str, dict[str, Any]]:
    """checkov's kubernetes and argo_workflows reports over all rendered manifests (one run)."""
    return {r["check_type"]: r for r in run_checkov(manifests_dir, ["kubernetes", "argo_workflows"])}


@pytest.fixture(scope="session")
def checkov_dockerfiles() -> dict[str, dict[str, Any]]:
    """checkov's dockerfile report over images/ (one run)."""
    return {r["check_type"]: r for r in run_checkov(IMAGES, ["dockerfile"])}
