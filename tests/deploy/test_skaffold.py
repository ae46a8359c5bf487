"""skaffold.yaml: valid against skaffold's own v4beta14 schema, and wired the way docs/deploy.md says."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from steps.names import STAGES
from tests.deploy.manifests import ENVS, REPO

SKAFFOLD = yaml.safe_load((REPO / "skaffold.yaml").read_text())
# Vendored from GoogleContainerTools/skaffold docs-v2/content/en/schemas/v4beta14.json (v2.24 line).
SCHEMA = json.loads((Path(__file__).parent / "schemas/skaffold-v4beta14.json").read_text())
STAGE_IMAGES = [f"tributary-{s}" for s in STAGES]
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
    # Every stage image reaches the WorkflowTemplate as a chart value, in every profile: skaffold's post-render
    # rewrite only matches images named exactly like an artifact, which the staging/prod files are not.
    pipeline = next(r for r in _releases(env) if r["name"] == "tributary")
    assert pipeline["setValueTemplates"] == {
        f"images.{stage}": f"{{{{.IMAGE_FULLY_QUALIFIED_tributary_{stage}}}}}" for stage in STAGES
    }


def _sanitized(artifact: str) -> str:
    """skaffold's SanitizeHelmTemplateValue: / - . : become _ in template variable names."""
    return re.sub(r"[/\-.:]", "_", artifact)


def test_templates_name_only_variables_skaffold_sets() -> None:
    """Every {{.X}} in skaffold.yaml is an image variable of an artifact built here: nothing is read from the
    environment, so `skaffold run` needs no exported variable (an unset one renders as `<no value>`)."""
    text = (REPO / "skaffold.yaml").read_text()
    used = set(re.findall(r"\{\{\s*\.(\w+)\s*\}\}", text))
    assert used, "expected the image variables of setValueTemplates"
    prefixes = ("IMAGE_FULLY_QUALIFIED", "IMAGE_REPO", "IMAGE_TAG", "IMAGE_DIGEST", "IMAGE_DOMAIN")
    known = {f"{p}_{_sanitized(a)}" for p in (*prefixes, "IMAGE_REPO_NO_DOMAIN") for a in ARTIFACTS}
    assert used <= known, f"not set by skaffold: {sorted(used - known)}"
    # Build arguments are literals in this file: the stage images' STAGE and EXTRA, nothing for the others.
    for artifact in SKAFFOLD["build"]["artifacts"]:
        args = artifact["docker"].get("buildArgs") or {}
        assert set(args) == ({"STAGE", "EXTRA"} if artifact["image"] in STAGE_IMAGES else set()), artifact["image"]
        assert all(isinstance(v, str) and "{{" not in v for v in args.values()), f"{artifact['image']}: {args}"


def test_every_built_image_is_deployed_in_every_profile() -> None:
    built = [a["image"] for a in SKAFFOLD["build"]["artifacts"] if a["image"] != "tributary-base"]  # base: built on
    for env in ENVS:
        templates = " ".join(v for r in _releases(env) for v in (r.get("setValueTemplates") or {}).values())
        for artifact in built:
            assert f"_{_sanitized(artifact)}}}}}" in templates, f"{env}: {artifact} is built but never deployed"
    # ...and the pipeline chart has a value for every stage image skaffold builds.
    chart_values = yaml.safe_load((REPO / "charts/tributary/values.yaml").read_text())["images"]
    chart_schema = json.loads((REPO / "charts/tributary/values.schema.json").read_text())["properties"]["images"]
    stages = {a.removeprefix("tributary-") for a in built if a != "tributary-hive-metastore"}
    assert stages == set(chart_values) == set(chart_schema["properties"]) == set(STAGES)


def _seconds(duration: str) -> int:
    """A Go duration as helm takes it (15m, 900s, 1h30m) in seconds."""
    parts = re.findall(r"(\d+)(h|m|s)", duration)
    assert parts and "".join(n + u for n, u in parts) == duration, f"not a duration: {duration}"
    return sum(int(n) * {"h": 3600, "m": 60, "s": 1}[u] for n, u in parts)


@pytest.mark.parametrize("env", ENVS)
def test_waited_releases_get_a_timeout_that_fits_a_fresh_cluster(env: str) -> None:
    """helm --wait gives up after 5 minutes by default; a fresh kind node pulls Trino and runs the schema Job."""
    deploy = (_profile(env).get("deploy") or SKAFFOLD["deploy"])["helm"]
    waited = [r["name"] for r in deploy["releases"] if r.get("wait")]
    assert {"postgres", "hive-metastore", "trino"} <= set(waited)
    # deploy.helm.flags apply to every release of the deployer, on first install and on upgrade alike.
    for command in ("install", "upgrade"):
        flags = deploy.get("flags", {}).get(command, [])
        assert "--timeout" in flags, f"{env}: deploy.helm.flags.{command} has no --timeout"
        assert _seconds(flags[flags.index("--timeout") + 1]) >= 10 * 60, f"{env}: {command} timeout too short"


def test_profiles_and_port_forwards() -> None:
    assert [p["name"] for p in SKAFFOLD["profiles"]] == list(ENVS)
    forwards = {(f["resourceName"], f["port"]) for f in SKAFFOLD["portForward"]}
    assert {("trino", 8080), ("minio", 9001), ("argo-workflows-server", 2746)} <= forwards
    for env in ("staging", "prod"):
        assert ("minio", 9001) not in {(f["resourceName"], f["port"]) for f in _profile(env)["portForward"]}
