"""Per-environment settings and image references."""

from __future__ import annotations

import pytest

from steps.names import STAGES
from workflows.argo.images import image, package_version
from workflows.argo.settings import ENV_NAMES, Images, SettingsError, load_environment


@pytest.mark.parametrize("name", ENV_NAMES)
def test_every_environment_loads_with_every_stage(name: str) -> None:
    env = load_environment(name)
    assert env.name == name and env.namespace == "tributary" and set(env.stages) == set(STAGES)
    assert env.schedule.schedules == ["0 0 1 * *"] and env.schedule.timezone == "UTC"


def test_environments_differ_where_they_should() -> None:
    dev, prod = load_environment("dev"), load_environment("prod")
    assert dev.images.registry != prod.images.registry
    assert dev.retry.limit < prod.retry.limit and dev.workflow.parallelism < prod.workflow.parallelism
    assert prod.stages["dbt"].memory_limit == "4Gi"
    assert prod.stages["verify"] == load_environment("staging").stages["verify"]  # defaults apply where not overridden


def test_image_overrides_flag_then_environment_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRIBUTARY_IMAGE_REGISTRY", "env.example/r")
    monkeypatch.setenv("TRIBUTARY_IMAGE_TAG", "2.0.0")
    assert image("dbt", load_environment("prod").images) == "env.example/r/tributary-dbt:2.0.0"
    assert image("dbt", load_environment("prod", registry="flag.example", tag="3.0.0").images) == (
        "flag.example/tributary-dbt:3.0.0"
    )


def test_default_tag_is_the_package_version() -> None:
    assert image("ingest", Images(registry="r.example/")) == f"r.example/tributary-ingest:{package_version()}"


@pytest.mark.parametrize("tag", ["latest", "", "has space"])
def test_unpinned_tags_are_refused(tag: str) -> None:
    with pytest.raises(SettingsError, match=r"images\.tag"):
        load_environment("dev", tag=tag or " ")


def test_unknown_environment_and_stage() -> None:
    with pytest.raises(SettingsError, match="unknown environment 'qa'; use one of: dev, staging, prod"):
        load_environment("qa")
    with pytest.raises(ValueError, match="no image for stage 'spark'"):
        image("spark", Images(registry="r"))


def test_an_empty_registry_gives_the_bare_artifact_name() -> None:
    assert image("verify", Images(registry="")) == f"tributary-verify:{package_version()}"
