"""skaffold.yaml: valid against skaffold's own v4beta14 schema, and wired the way docs/deploy.md says."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from tests.deploy.manifests import ENVS, REPO

SKAFFOLD = yaml.safe_load((REPO / "skaffold.yaml").read_text())
# Vendored from GoogleContainerTools/skaffold docs-v2/content/en/schemas/v4beta14.json (v2.24 line).
SCHEMA = json.loads((Path(__file__).parent / "schemas/skaffold-v4beta14.json").read_text())
STAGE_IMAGES = [f"tributary-{s}" for s in ("verify", "freshness", "ingest", "validate", "dbt", "summary")]
ARTIFACTS = ["tributary-base", *STAGE_IMAGES, "tributary-hive-metastore"]
RELEASE_ORDER = ["postgres", "minio", "hive-metastore", "trino", "tributary"]


def _profile(name: str) -> dict[str, Any]:
    return next(p for p in SKAFFOLD["profiles"] if p["name"] == name)


def _releases(env: str) -> list[dict[str, Any]]:
    deploy = _profile(env).get("deploy") or SKAFFOLD["deploy"]
    return deploy["helm"]["releases"]


def test_matches_the_skaffold_schema() -> None:
    assert SKAFFOLD["apiVersion"] == "skaffold/v4beta14" and SKAFFOLD["kind"] == "Config"
    errors = list(jsonschema.Draft7Validator(SCHEMA).iter_errors(SKAFFOLD))
    assert not errors, [e.message[:300] for e in errors]


def test_every_image_is_an_artifact_with_its_dockerfile() -> None:
    artifacts = SKAFFOLD["build"]["artifacts"]
    assert [a["image"] for a in artifacts] == ARTIFACTS
    for artifact in artifacts:
        dockerfile = REPO / artifact["context"] / artifact["docker"]["dockerfile"]
        assert dockerfile.is_file(), f"{artifact['image']}: {dockerfile} is missing"
        requires = artifact.get("requires", [])
        if artifact["image"] in STAGE_IMAGES:
            assert requires == [{"image": "tributary-base", "alias": "BASE"}], artifact["image"]
            assert artifact["context"] == ".", "stage images need pyproject.toml, the lock and steps/"
            assert "ARG BASE" in dockerfile.read_text()
        else:
            assert not requires


def test_dev_releases_install_in_dependency_order() -> None:
    releases = _releases("dev")
    assert [r["name"] for r in releases] == RELEASE_ORDER
    for index, release in enumerate(releases):
        assert (REPO / release["chartPath"]).is_dir()
        assert release["valuesFiles"] == [f"charts/{release['name']}/values-dev.yaml"]
        assert set(release.get("dependsOn", [])) <= set(RELEASE_ORDER[:index]), release["name"]
        assert release["namespace"] == "tributary"


@pytest.mark.parametrize("env", ["staging", "prod"])
def test_staging_and_prod_have_no_minio(env: str) -> None:
    releases = _releases(env)
    assert [r["name"] for r in releases] == [n for n in RELEASE_ORDER if n != "minio"]
    for release in releases:
        assert release["valuesFiles"] == [f"charts/{release['name']}/values-{env}.yaml"]
        assert (REPO / release["valuesFiles"][0]).is_file()
    assert _profile(env)["build"]["local"]["push"] is True


@pytest.mark.parametrize("env", ENVS)
def test_built_images_are_injected(env: str) -> None:
    metastore = next(r for r in _releases(env) if r["name"] == "hive-metastore")
    assert metastore["setValueTemplates"] == {
        "image.repository": "{{.IMAGE_REPO_tributary_hive_metastore}}",
        "image.tag": "{{.IMAGE_TAG_tributary_hive_metastore}}",
        "image.digest": "{{.IMAGE_DIGEST_tributary_hive_metastore}}",
    }
    # The stage images reach the cluster through the WorkflowTemplate, whose image fields skaffold rewrites
    # (test_pipeline_chart.py checks the dev render names them exactly like the artifacts).


def test_profiles_and_port_forwards() -> None:
    assert [p["name"] for p in SKAFFOLD["profiles"]] == list(ENVS)
    forwards = {(f["resourceName"], f["port"]) for f in SKAFFOLD["portForward"]}
    assert {("trino", 8080), ("minio", 9001), ("argo-workflows-server", 2746)} <= forwards
    for env in ("staging", "prod"):
        assert ("minio", 9001) not in {(f["resourceName"], f["port"]) for f in _profile(env)["portForward"]}
