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

from steps.names import STAGES
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


def test_a_status_reader_role_reads_workflows_and_is_bound_only_on_request(
    renders: dict[tuple[str, str], Render],
) -> None:
    """`tributary status --cluster` lists Workflows; the chart offers a read-only Role for it, bound to no one."""
    rendered = renders[("tributary", "dev")]
    reader = rendered.named("Role", "tributary-status-reader")
    assert reader["rules"] == [{"apiGroups": ["argoproj.io"], "resources": ["workflows"], "verbs": ["get", "list"]}]
    assert [d["metadata"]["name"] for d in rendered.of_kind("RoleBinding")] == ["tributary-workflow"]
    subjects = [{"kind": "User", "name": "alice"}, {"kind": "ServiceAccount", "name": "pipeline-probe"}]
    values = merge(deploy_values("tributary", "dev"), {"rbac": {"statusReader": {"subjects": subjects}}})
    binding = render(CHART, values, release="tributary").named("RoleBinding", "tributary-status-reader")
    assert binding["roleRef"] == {
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": "Role",
        "name": "tributary-status-reader",
    }
    assert binding["subjects"] == [
        {"kind": "User", "name": "alice", "apiGroup": "rbac.authorization.k8s.io"},
        {"kind": "ServiceAccount", "name": "pipeline-probe", "namespace": "tributary"},
    ]
    off = merge(deploy_values("tributary", "dev"), {"rbac": {"statusReader": {"create": False}}})
    assert not [d for d in render(CHART, off, release="tributary").of_kind("Role") if "status" in d["metadata"]["name"]]
    robot = merge(deploy_values("tributary", "dev"), {"rbac": {"statusReader": {"subjects": [{"kind": "Robot"}]}}})
    with helm.Chart.load(CHART) as loaded, pytest.raises(helm.HelmError) as caught:
        loaded.render(robot, name="tributary", namespace="tributary")
    assert "subjects" in str(caught.value)


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


def test_readme_lists_the_source_credentials_of_the_packaged_config() -> None:
    """The keys of the source credentials Secret come from the sources' own models (the registry), not by hand."""
    from steps.config import load_config

    config = load_config(CHART / "files" / "pipeline.yaml")
    keys = sorted({v for name in config.sources for v in config.source(name).secret_variables()})
    lines = (CHART / "README.md").read_text().splitlines()
    row = next(line for line in lines if line.startswith("| `tributary-source-credentials`"))
    assert re.findall(r"`([A-Z][A-Z0-9_]+)`", row.split("|")[2]) == keys


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


# What skaffold passes as {{.IMAGE_FULLY_QUALIFIED_tributary_<stage>}}: pushed (staging/prod, --default-repo),
# local (kind/k3d: the image ID as tag, no digest), and what a person may pass by hand.
DIGEST = "sha256:" + "0123456789abcdef" * 4
OVERRIDES = {
    "verify": f"registry.example.com/tributary/tributary-verify:4f2a1c0@{DIGEST}",
    "freshness": "tributary-freshness:" + "a1" * 32,
    "ingest": f"localhost:5000/tributary-ingest@{DIGEST}",
    "validate": "registry.example.com/tributary/tributary-validate:v1.2.3",
    "dbt": f"europe-docker.pkg.dev/acme/data/tributary-dbt:0.2.0@{DIGEST}",
    "summary": "registry.example.com:5443/team/tributary/tributary-summary:0.1.0-rc.1",
}
IMAGE_LINE = re.compile(r"^(\s*image:\s*)(\S+)\s*$")


def _stage_of(image: str) -> str:
    """tributary-<stage> of an image reference -> <stage>."""
    name = image.strip("\"'").split("@")[0].rsplit("/", 1)[-1].split(":")[0]
    assert name.startswith("tributary-"), image
    return name.removeprefix("tributary-")


def _expected_text(original: str, images: dict[str, str]) -> str:
    """The rendered file with the image lines of the overridden stages replaced (an independent re-implementation
    of what the chart does), every other byte unchanged."""
    out = []
    for line in original.splitlines(keepends=True):
        match = IMAGE_LINE.match(line)
        if match and images.get(_stage_of(match.group(2))):
            line = f'{match.group(1)}"{images[_stage_of(match.group(2))]}"\n'
        out.append(line)
    return "".join(out)


def _emitted(rendered: Render, template: str) -> str:
    return next(t for n, t in rendered.files.items() if n.endswith(f"templates/{template}"))


@pytest.mark.parametrize("env", ENVS)
def test_image_overrides_replace_exactly_the_stage_images(env: str) -> None:
    original = (CHART / "files" / env / "workflowtemplate.yaml").read_text()
    rendered = render(CHART, merge(deploy_values("tributary", env), {"images": OVERRIDES}), release="tributary")
    text = _emitted(rendered, "workflowtemplate.yaml")
    # Byte for byte the rendered file, except the image lines...
    assert _expected_text(original, OVERRIDES).strip() in text
    # ...and every container of every template now runs the image given for its stage.
    doc = rendered.named("WorkflowTemplate", "tributary")
    containers = _containers(doc["spec"])
    originals = [_stage_of(m.group(2)) for m in map(IMAGE_LINE.match, original.splitlines()) if m]
    assert len(containers) == len(originals) >= len(STAGES)
    assert {c["image"] for c in containers} == set(OVERRIDES.values())
    for container, stage in zip(containers, originals, strict=True):
        assert container["image"] == OVERRIDES[stage]
    # Argo's expressions are untouched: the same ones, as often, as in the rendered file.
    assert sorted(ARGO_EXPRESSION.findall(text)) == sorted(ARGO_EXPRESSION.findall(original))
    assert not _dropped_keys(doc, WorkflowTemplate.from_dict(doc).to_dict())
    # The CronWorkflow refers to the template by name; it has no image to change.
    cron = (CHART / "files" / env / "cronworkflow.yaml").read_text()
    assert cron.strip() in _emitted(rendered, "cronworkflow.yaml")


def test_an_empty_override_keeps_the_rendered_reference() -> None:
    original = (CHART / "files/staging/workflowtemplate.yaml").read_text()
    only_dbt = dict.fromkeys(STAGES, "") | {"dbt": OVERRIDES["dbt"]}
    rendered = render(CHART, merge(deploy_values("tributary", "staging"), {"images": only_dbt}), release="tributary")
    text = _emitted(rendered, "workflowtemplate.yaml")
    assert _expected_text(original, {"dbt": OVERRIDES["dbt"]}).strip() in text
    images = {c["image"] for c in _containers(rendered.named("WorkflowTemplate", "tributary")["spec"])}
    assert OVERRIDES["dbt"] in images
    assert images - {OVERRIDES["dbt"]} == {f"ghcr.io/tributary/tributary-{s}:0.1.0" for s in STAGES if s != "dbt"}


def test_an_override_without_its_image_line_fails(tmp_path: Path) -> None:
    chart = tmp_path / "tributary"
    shutil.copytree(CHART, chart)
    body = (CHART / "files/dev/workflowtemplate.yaml").read_text()
    (chart / "files/qa").mkdir()
    (chart / "files/qa/workflowtemplate.yaml").write_text(body.replace("tributary-ingest:", "tributary-ingester:"))
    values = {"environment": "qa", "workflows": {"workflowTemplate": True, "cronWorkflow": False}}
    with helm.Chart.load(chart) as loaded, pytest.raises(helm.HelmError) as caught:
        loaded.render(merge(values, {"images": {"ingest": OVERRIDES["ingest"]}}), name="tributary", namespace="x")
    assert "images.ingest is set, but charts/tributary/files/qa/workflowtemplate.yaml has no `image:` line" in str(
        caught.value
    )


@pytest.mark.parametrize(
    ("stage", "image", "valid"),
    [
        ("verify", "", True),
        ("verify", OVERRIDES["verify"], True),
        ("freshness", OVERRIDES["freshness"], True),
        ("ingest", OVERRIDES["ingest"], True),
        ("summary", OVERRIDES["summary"], True),
        ("verify", "tributary-verify", False),  # no tag, no digest: latest in disguise
        ("verify", "tributary-verify:latest", False),
        ("verify", f"ghcr.io/tributary/tributary-verify:latest@{DIGEST}", False),
        ("verify", OVERRIDES["dbt"], False),  # another stage's image
        ("verify", "registry.example.com/tributary/verify:1.0", False),
        ("verify", "<no value>", False),  # what an unset skaffold template variable renders to
        ("verify", "tributary-verify:1.0@sha256:abc", False),
        ("verify", "tributary-verify:1.0 ", False),
        ("spark", "tributary-spark:1.0", False),  # no such stage
    ],
)
def test_image_values_schema(stage: str, image: str, valid: bool) -> None:
    values = merge(deploy_values("tributary", "dev"), {"images": {stage: image}})
    with helm.Chart.load(CHART) as loaded:
        if valid:
            loaded.validate_schema(values)
        else:
            with pytest.raises(helm.HelmError):
                loaded.validate_schema(values)


def test_the_charts_default_names_are_the_ones_the_workflows_and_stages_use() -> None:
    """The ConfigMap and Secret names in values.yaml are steps/names.py's, which the rendered templates reference."""
    from steps import names

    values = yaml.safe_load((CHART / "values.yaml").read_text())
    assert values["config"]["name"] == names.CONFIG_MAP
    assert values["secrets"] == {
        "lakeCredentials": names.LAKE_SECRET,
        "trino": names.TRINO_SECRET,
        "notify": names.NOTIFY_SECRET,
        "lineage": names.LINEAGE_SECRET,
    }


def _rule(values: dict[str, Any]) -> dict[str, Any]:
    rendered = render(CHART, merge(deploy_values("tributary", "dev"), values), release="tributary")
    return rendered.named("PrometheusRule", "tributary-alerts")


def test_the_overdue_rule_reads_the_gauges_the_exit_handler_sets(renders: dict[tuple[str, str], Render]) -> None:
    from steps.summary.metrics import LAST_SUCCESS, MAX_AGE

    for env in ENVS:  # it needs the Prometheus Operator's CRD: opt in
        assert not renders[("tributary", env)].of_kind("PrometheusRule")
    rule = _rule({"prometheusRule": {"enabled": True, "labels": {"release": "kube-prometheus-stack"}}})
    assert rule["apiVersion"] == "monitoring.coreos.com/v1" and rule["metadata"]["namespace"] == "tributary"
    assert rule["metadata"]["labels"]["release"] == "kube-prometheus-stack"
    (group,) = rule["spec"]["groups"]
    (alert,) = group["rules"]
    assert alert["alert"] == "TributarySourceOverdue"
    # Argo prefixes custom metrics with argo_workflows_; the names are the ones steps.summary.metrics exports
    assert alert["expr"] == (f"time() - argo_workflows_{LAST_SUCCESS.name} > argo_workflows_{MAX_AGE.name} + 172800")
    assert alert["for"] == "1h" and alert["labels"] == {"severity": "warning"}
    # Prometheus' templates reach Prometheus, not Helm
    assert alert["annotations"]["summary"] == "Tributary source {{ $labels.source }} is overdue"
    assert (
        "{{ $value | humanizeDuration }} old, past its max_age_days plus 48h of grace"
        in (alert["annotations"]["description"])
    )
    assert "runbook_url" not in alert["annotations"]


def test_the_rule_follows_its_values() -> None:
    from steps.summary.metrics import LAST_SUCCESS, MAX_AGE

    values = {"metricPrefix": "", "graceSeconds": 5400, "for": "30m", "severity": "page"}
    alert = _rule({"prometheusRule": {"enabled": True, **values, "runbookUrl": "https://wiki.example/ops"}})
    alert = alert["spec"]["groups"][0]["rules"][0]
    assert alert["expr"] == f"time() - {LAST_SUCCESS.name} > {MAX_AGE.name} + 5400"  # node-exporter's textfile
    assert (alert["for"], alert["labels"]["severity"]) == ("30m", "page")
    assert alert["annotations"]["runbook_url"] == "https://wiki.example/ops"
    assert "plus 5400s of grace" in alert["annotations"]["description"]


@pytest.mark.parametrize(
    "override",
    [
        {"graceSeconds": -1},
        {"graceSeconds": "2d"},
        {"for": "1 hour"},
        {"metricPrefix": "argo-workflows-"},
        {"severity": ""},
        {"runbookUrl": "wiki/ops"},
        {"labels": {"release": 1}},
        {"enable": True},
    ],
)
def test_the_rule_values_schema_refuses_nonsense(override: dict[str, Any]) -> None:
    good = {"enabled": True, "graceSeconds": 0, "for": "90m", "labels": {"team": "data"}, "runbookUrl": "https://x/y"}
    with helm.Chart.load(CHART) as loaded:
        loaded.validate_schema(merge(deploy_values("tributary", "dev"), {"prometheusRule": good}))
        with pytest.raises(helm.HelmError):
            loaded.validate_schema(merge(deploy_values("tributary", "dev"), {"prometheusRule": {**good, **override}}))


@pytest.mark.parametrize(
    ("env", "bucket", "endpoint", "insecure", "region"),
    [
        ("dev", "argo-artifacts", "minio:9000", True, "us-east-1"),
        ("staging", "tributary-argo-artifacts", "s3.staging.example.com", False, "us-east-1"),
        ("prod", "tributary-prod-argo-artifacts", "s3.amazonaws.com", False, "eu-west-1"),
    ],
)
def test_the_artifact_repository_the_workflow_template_names_is_configured_per_environment(
    renders: dict[tuple[str, str], Render], env: str, bucket: str, endpoint: str, insecure: bool, region: str
) -> None:
    rendered = renders[("tributary", env)]
    template = rendered.named("WorkflowTemplate", "tributary")
    ref = template["spec"]["artifactRepositoryRef"]
    config_map = rendered.named("ConfigMap", ref["configMap"])
    assert config_map["metadata"]["namespace"] == "tributary"
    repository = yaml.safe_load(config_map["data"][ref["key"]])
    assert repository == {
        "s3": {
            "bucket": bucket,
            "endpoint": endpoint,
            "insecure": insecure,
            "region": region,
            # the lake user's keys (in dev the minio chart lets it write the argo-artifacts bucket)
            "accessKeySecret": {"name": "tributary-lake-credentials", "key": "AWS_ACCESS_KEY_ID"},
            "secretKeySecret": {"name": "tributary-lake-credentials", "key": "AWS_SECRET_ACCESS_KEY"},
        }
    }
    if env == "dev":
        minio = yaml.safe_load((CHARTS / "minio" / "values.yaml").read_text())
        assert bucket in minio["buckets"] and bucket in minio["lakeUser"]["buckets"]


def test_the_artifact_repository_can_use_the_pods_identity_or_an_existing_config_map() -> None:
    irsa = render(
        CHART,
        merge(deploy_values("tributary", "prod"), {"artifactRepository": {"useLakeCredentials": False}}),
        release="tributary",
    )
    repository = yaml.safe_load(irsa.named("ConfigMap", "artifact-repositories")["data"]["tributary"])
    assert repository["s3"]["useSDKCreds"] is True and "accessKeySecret" not in repository["s3"]
    existing = render(
        CHART, merge(deploy_values("tributary", "dev"), {"artifactRepository": {"create": False}}), release="tributary"
    )
    assert not [d for d in existing.of_kind("ConfigMap") if d["metadata"]["name"] == "artifact-repositories"]


@pytest.mark.parametrize(
    "override",
    [
        {"endpoint": "http://minio:9000"},
        {"bucket": "Not_A_Bucket"},
        {"insecure": "yes"},
        {"region": ""},
        {"keyFormat": "x"},
    ],
)
def test_the_artifact_repository_values_schema_refuses_nonsense(override: dict[str, Any]) -> None:
    with helm.Chart.load(CHART) as loaded, pytest.raises(helm.HelmError):
        loaded.validate_schema(merge(deploy_values("tributary", "dev"), {"artifactRepository": override}))
