"""The pipeline chart: RBAC, settings, Secret references, and the Hera-rendered Argo manifests kept verbatim."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import helm_python as helm
import pytest
import yaml
from hera.workflows import CronWorkflow, WorkflowTemplate

from tests.deploy.manifests import (
    CHARTS,
    ENVS,
    PIPELINE_POD,
    REPO,
    Render,
    deploy_values,
    merge,
    render,
)

CHART = CHARTS / "tributary"
ARGO_EXPRESSION = re.compile(r"\{\{.*?\}\}")
STAGES = ("verify", "freshness", "ingest", "validate", "dbt", "summary")


def test_service_account_and_minimal_rbac(renders: dict[tuple[str, str], Render]) -> None:
    rendered = renders[("tributary", "dev")]
    account = rendered.named("ServiceAccount", "tributary-workflow")
    assert account["automountServiceAccountToken"] is True, "the emissary executor reports outputs with this token"
    role = rendered.named("Role", "tributary-workflow")
    assert role["rules"] == [
        {"apiGroups": ["argoproj.io"], "resources": ["workflowtaskresults"], "verbs": ["create", "patch"]}
    ]
    binding = rendered.named("RoleBinding", "tributary-workflow")
    assert binding["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "tributary-workflow"}
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "tributary-workflow", "namespace": "tributary"}]
    assert not rendered.of_kind("Secret"), "the pipeline chart references Secrets, it never creates them"


def test_config_map_has_every_setting(renders: dict[tuple[str, str], Render]) -> None:
    data = renders[("tributary", "dev")].named("ConfigMap", "tributary-config")["data"]
    expected = {
        "TRIBUTARY_LAKE": "s3://tributary-lake",
        "TRIBUTARY_S3_ENDPOINT": "http://minio:9000",
        "TRIBUTARY_S3_REGION": "us-east-1",
        "TRIBUTARY_TARGET": "trino",
        "TRIBUTARY_DBT_PROJECT_DIR": "/app/dbt",
        "TRIBUTARY_CONFIG": "/etc/tributary/pipeline.yaml",
        "TRIBUTARY_LOG_FORMAT": "json",
        "DBT_TRINO_HOST": "trino",
        "DBT_TRINO_PORT": "8080",
        "DBT_TRINO_USER": "tributary",
    }
    assert {key: data.get(key) for key in expected} == expected
    assert "pipeline.yaml" in data
    default = (REPO / "steps/defaults/pipeline.yaml").read_text()
    assert yaml.safe_load(data["pipeline.yaml"]) == yaml.safe_load(default)
    prod = renders[("tributary", "prod")].named("ConfigMap", "tributary-config")["data"]
    assert "TRIBUTARY_S3_ENDPOINT" not in prod, "AWS S3: no endpoint override"


def test_packaged_pipeline_config_matches_the_steps_default() -> None:
    packaged = (CHART / "files/pipeline.yaml").read_text()
    source = (REPO / "steps/defaults/pipeline.yaml").read_text()
    assert packaged == source, "run: cp steps/defaults/pipeline.yaml charts/tributary/files/pipeline.yaml"


def test_pipeline_config_can_be_overridden() -> None:
    custom = "sources:\n  worldbank:\n    enabled: false\n"
    rendered = render(CHART, merge(deploy_values("tributary", "dev"), {"pipelineConfig": custom}), release="tributary")
    assert rendered.named("ConfigMap", "tributary-config")["data"]["pipeline.yaml"] == custom


@pytest.mark.parametrize("env", ENVS)
def test_argo_manifests_are_emitted_verbatim(renders: dict[tuple[str, str], Render], env: str) -> None:
    """Helm must not touch Argo's {{...}}: each rendered file contains its source byte for byte."""
    rendered = renders[("tributary", env)]
    for template, source in (
        ("workflowtemplate.yaml", "workflowtemplate.yaml"),
        ("cronworkflow.yaml", "cronworkflow.yaml"),
    ):
        text = next(t for n, t in rendered.files.items() if n.endswith(f"templates/{template}"))
        original = (CHART / "files" / env / source).read_text()
        assert original.strip() in text, f"{env}/{source} changed on its way through Helm"
        for expression in ARGO_EXPRESSION.findall(original):
            assert expression in text
    workflow = (CHART / "files" / env / "workflowtemplate.yaml").read_text()
    assert ARGO_EXPRESSION.search(workflow), "the WorkflowTemplate has Argo expressions to protect"


def test_argo_expressions_survive_helm(tmp_path: Path) -> None:
    """Independent of what `tributary render` writes today: expressions Helm would choke on come out intact."""
    chart = tmp_path / "tributary"
    shutil.copytree(CHART, chart)
    (chart / "files/expressions").mkdir()
    tricky = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "WorkflowTemplate",
        "metadata": {"name": "tributary"},
        "spec": {
            "entrypoint": "main",
            "templates": [
                {
                    "name": "main",
                    "dag": {
                        "tasks": [
                            {"name": "freshness", "template": "noop"},
                            {
                                "name": "ingest",
                                "template": "noop",
                                "depends": "freshness",
                                "when": "{{tasks.freshness.outputs.parameters.worldbank}} == true",
                                "arguments": {
                                    "parameters": [
                                        {"name": "run", "value": "{{workflow.name}}"},
                                        {"name": "expr", "value": "{{=sprig.trim(inputs.parameters.x)}}"},
                                        {"name": "helm-looking", "value": '{{ .Values.nothing }} {{- include "x" . }}'},
                                    ]
                                },
                            },
                        ]
                    },
                },
                {"name": "noop", "container": {"image": "tributary-summary:0.1.0"}},
            ],
        },
    }
    body = yaml.safe_dump(tricky, sort_keys=False)
    (chart / "files/expressions/workflowtemplate.yaml").write_text(body)
    values = {"environment": "expressions", "workflows": {"workflowTemplate": True, "cronWorkflow": False}}
    rendered = render(chart, values, release="tributary")
    emitted = rendered.named("WorkflowTemplate", "tributary")
    assert emitted == tricky
    for expression in (
        "{{tasks.freshness.outputs.parameters.worldbank}}",
        "{{workflow.name}}",
        "{{=sprig.trim(inputs.parameters.x)}}",
        "{{ .Values.nothing }}",
    ):
        assert expression in yaml.safe_dump(emitted, width=1000)


def test_missing_environment_fails_with_the_render_command() -> None:
    with helm.Chart.load(CHART) as loaded, pytest.raises(helm.HelmError) as caught:
        loaded.render({"environment": "qa"}, name="tributary", namespace="tributary")
    assert "tributary render --env qa --out charts/tributary/files/qa/" in str(caught.value)


def _dropped_keys(doc: Any, round_trip: Any, path: str = "") -> list[str]:
    """Keys of ``doc`` that Hera's models did not keep (unknown fields, typos)."""
    out: list[str] = []
    if isinstance(doc, dict):
        for key, value in doc.items():
            if key not in round_trip:
                out.append(f"{path}/{key}")
            else:
                out += _dropped_keys(value, round_trip[key], f"{path}/{key}")
    elif isinstance(doc, list):
        for i, (a, b) in enumerate(zip(doc, round_trip, strict=False)):
            out += _dropped_keys(a, b, f"{path}/{i}")
    return out


def _containers(spec: dict[str, Any]) -> list[dict[str, Any]]:
    return [t["container"] for t in spec.get("templates", []) if "container" in t]


@pytest.mark.parametrize("env", ENVS)
def test_workflow_template_loads_in_hera_and_keeps_the_contract(
    renders: dict[tuple[str, str], Render], env: str
) -> None:
    doc = renders[("tributary", env)].named("WorkflowTemplate", "tributary")
    model = WorkflowTemplate.from_dict(doc)
    assert not _dropped_keys(doc, model.to_dict()), "fields Argo would not understand"
    spec = doc["spec"]
    values = deploy_values("tributary", env)
    assert (
        spec["serviceAccountName"]
        == merge({"serviceAccount": {"name": "tributary-workflow"}}, values)["serviceAccount"]["name"]
    )
    assert spec["securityContext"]["runAsNonRoot"] is True
    # The NetworkPolicies of Trino, the metastore, PostgreSQL and MinIO admit pods with these labels only.
    labels = spec.get("podMetadata", {}).get("labels", {})
    assert labels.items() >= PIPELINE_POD.items(), "spec.podMetadata.labels must carry the pipeline pod labels"
    images = {c["image"] for c in _containers(spec)}
    assert images, "no container templates"
    for image in images:
        repo = image.split("@")[0].rsplit(":", 1)[0]
        name = repo.rsplit("/", 1)[-1]
        assert name in {f"tributary-{s}" for s in STAGES}, f"{image}: not a stage image"
        if env == "dev":
            assert repo == name, f"{image}: dev uses the bare skaffold artifact name so skaffold can rewrite it"
        else:
            assert "/" in repo, f"{image}: staging/prod images name their registry"
    refs = {e["configMapRef"]["name"] for c in _containers(spec) for e in c.get("envFrom", []) if "configMapRef" in e}
    assert refs <= {"tributary-config"}


@pytest.mark.parametrize("env", ENVS)
def test_cron_workflow_loads_in_hera(renders: dict[tuple[str, str], Render], env: str) -> None:
    doc = renders[("tributary", env)].named("CronWorkflow", "tributary-scheduled")
    model = CronWorkflow.from_dict(doc)
    assert not _dropped_keys(doc, model.to_dict())
    spec = doc["spec"]
    assert spec["schedules"] and "schedule" not in spec, "Argo v4 removed `schedule`"
    assert spec["concurrencyPolicy"] == "Forbid"
    assert spec["workflowSpec"]["workflowTemplateRef"]["name"] == "tributary"
