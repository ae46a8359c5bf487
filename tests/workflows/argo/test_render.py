"""The rendered WorkflowTemplate and CronWorkflow: goldens, Hera round trip, Argo's schema, and the rules we keep.

Goldens live in tests/workflows/argo/golden/<env>/; rewrite them on purpose with ``TRIBUTARY_REGENERATE=1``.
"""

from __future__ import annotations

import gzip
import json
import os
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from hera.workflows import CronWorkflow, WorkflowTemplate

from steps.config import load_config
from steps.names import STAGES, ingest_task
from workflows.argo.images import package_version
from workflows.argo.render import (
    CRON_WORKFLOW_FILE,
    PRUNE_CRON_WORKFLOW_FILE,
    WORKFLOW_TEMPLATE_FILE,
    Rendered,
    render,
    to_yaml,
)
from workflows.argo.settings import duration_seconds as parse_duration
from workflows.argo.templates import RETRY_EXPRESSION
from workflows.cli import main
from workflows.local.expressions import retry_condition

REPO = Path(__file__).resolve().parents[3]
GOLDEN = Path(__file__).parent / "golden"
SCHEMA = Path(__file__).parent / "schema" / "argo-workflows-v4.1-schema.json.gz"
ENVS = ("dev", "staging", "prod")


def _containers(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return [t for t in doc["spec"]["templates"] if "container" in t]


def _dag(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    dag = next(t for t in doc["spec"]["templates"] if t["name"] == doc["spec"]["entrypoint"])
    return {task["name"]: task for task in dag["dag"]["tasks"]}


@pytest.mark.parametrize("env", ENVS)
def test_rendered_yaml_matches_golden(rendered: dict[str, Rendered], env: str) -> None:
    for name, doc in rendered[env].files().items():
        golden = GOLDEN / env / name
        text = to_yaml(doc, env)
        if os.environ.get("TRIBUTARY_REGENERATE") == "1":
            golden.parent.mkdir(parents=True, exist_ok=True)
            golden.write_text(text)
        assert golden.exists(), f"{golden} missing; run with TRIBUTARY_REGENERATE=1 to create it"
        assert text == golden.read_text(), f"{golden} differs; review, then TRIBUTARY_REGENERATE=1 to accept"


def _dropped(original: Any, round_tripped: Any, path: str = "") -> list[str]:
    """Keys, items or values of ``original`` that ``round_tripped`` lost or changed."""
    if isinstance(original, dict):
        if not isinstance(round_tripped, dict):
            return [path or "/"]
        return [
            problem
            for key, value in original.items()
            for problem in (
                [f"{path}/{key}"] if key not in round_tripped else _dropped(value, round_tripped[key], f"{path}/{key}")
            )
        ]
    if isinstance(original, list):
        if not isinstance(round_tripped, list) or len(original) != len(round_tripped):
            return [path]
        return [
            p
            for i, (a, b) in enumerate(zip(original, round_tripped, strict=True))
            for p in _dropped(a, b, f"{path}/{i}")
        ]
    return [] if original == round_tripped else [f"{path}: {original!r} became {round_tripped!r}"]


@pytest.mark.parametrize("env", ENVS)
def test_manifests_load_back_through_hera_without_losing_anything(rendered: dict[str, Rendered], env: str) -> None:
    wt, cron = rendered[env].workflow_template, rendered[env].cron_workflow
    assert _dropped(wt, WorkflowTemplate.from_dict(wt).to_dict()) == []
    assert _dropped(cron, CronWorkflow.from_dict(cron).to_dict()) == []


def test_round_trip_check_catches_a_typo(rendered: dict[str, Rendered]) -> None:
    doc = json.loads(json.dumps(rendered["dev"].workflow_template))
    doc["spec"]["entrypiont"] = "pipeline"
    doc["spec"]["templates"][0]["container"]["imagePullPolicyy"] = "Always"
    lost = _dropped(doc, WorkflowTemplate.from_dict(doc).to_dict())
    assert sorted(lost) == ["/spec/entrypiont", "/spec/templates/0/container/imagePullPolicyy"]


@pytest.fixture(scope="module")
def argo_schema() -> dict[str, Any]:
    """Argo Workflows' api/jsonschema/schema.json (v4.1, vendored), with IntOrString and Quantity fixed.

    The upstream schema types both as strings although Argo accepts integers (Hera emits ``limit: 2``).
    """
    schema: dict[str, Any] = json.loads(gzip.decompress(SCHEMA.read_bytes()))
    defs = schema["definitions"]
    defs["io.k8s.apimachinery.pkg.util.intstr.IntOrString"] = {"anyOf": [{"type": "string"}, {"type": "integer"}]}
    defs["io.k8s.apimachinery.pkg.api.resource.Quantity"] = {"anyOf": [{"type": "string"}, {"type": "number"}]}
    return schema


@pytest.mark.parametrize("env", ENVS)
def test_manifests_validate_against_argo_schema(
    rendered: dict[str, Rendered], argo_schema: dict[str, Any], env: str
) -> None:
    for doc in rendered[env].files().values():
        kind_schema = {
            "$schema": argo_schema["$schema"],
            "definitions": argo_schema["definitions"],
            "$ref": f"#/definitions/io.argoproj.workflow.v1alpha1.{doc['kind']}",
        }
        errors = [
            f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
            for e in jsonschema.Draft202012Validator(kind_schema).iter_errors(doc)
        ]
        assert errors == []


@pytest.mark.parametrize("env", ENVS)
def test_every_template_is_a_hardened_stage_container(rendered: dict[str, Rendered], env: str) -> None:
    doc = rendered[env].workflow_template
    containers = _containers(doc)
    # the exit handler writes the report: no summary task in the DAG, one summary template (on-exit)
    # the held-back task is the validate image's second entry point (--held-back)
    assert {t["name"] for t in containers} == {*STAGES, "on-exit", "held-back"} - {"summary"}
    for t in containers:
        c, stage = t["container"], t["container"]["command"][2].removeprefix("steps.")
        assert c["command"] == ["python", "-m", f"steps.{stage}"]
        assert stage == {"on-exit": "summary", "held-back": "validate"}.get(t["name"], t["name"])
        # dev: the bare skaffold artifact name (skaffold rewrites it); staging/prod: <registry>/tributary-<stage>
        assert c["image"].rsplit("/", 1)[-1] == f"tributary-{stage}:{package_version()}"
        assert ("/" in c["image"]) is (env != "dev")
        assert set(c["resources"]["requests"]) == set(c["resources"]["limits"]) == {"cpu", "memory"}
        retry = t["retryStrategy"]
        assert retry["retryPolicy"] == "Always" and retry["expression"] == RETRY_EXPRESSION
        assert retry["limit"] >= 1 and set(retry["backoff"]) == {"duration", "factor", "cap", "maxDuration"}
        assert t["activeDeadlineSeconds"] > 0
        # Argo clips a retry's deadline to the first attempt's start + maxDuration: it must leave the last retry
        # its whole deadline after every earlier attempt ran out its own and every wait was waited
        waits = sum(
            min(
                parse_duration(retry["backoff"]["duration"]) * retry["backoff"]["factor"] ** n,
                parse_duration(retry["backoff"]["cap"]),
            )
            for n in range(retry["limit"])
        )
        assert (
            parse_duration(retry["backoff"]["maxDuration"]) >= (retry["limit"] + 1) * t["activeDeadlineSeconds"] + waits
        )
        assert c["securityContext"] == {
            "allowPrivilegeEscalation": False,
            "capabilities": {"drop": ["ALL"]},
            "readOnlyRootFilesystem": True,
            "runAsNonRoot": True,
        }
        assert c["envFrom"] == [{"configMapRef": {"name": "tributary-config"}}]
        for var in c.get("env", []):  # secrets only by reference, never as values
            assert "valueFrom" in var or var["value"].startswith("{{workflow.")
        assert {m["name"] for m in t["metrics"]["prometheus"]} >= {"tributary_stage_duration_seconds"}
    spec = doc["spec"]
    assert spec["securityContext"]["runAsNonRoot"] is True
    assert spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert spec["serviceAccountName"] == "tributary-workflow"
    assert spec["synchronization"] == {"mutexes": [{"name": "tributary"}]}
    assert spec["onExit"] == "on-exit" and spec["parallelism"] >= 1
    assert {"podGC", "ttlStrategy", "activeDeadlineSeconds"} <= set(spec)
    assert {m["name"] for m in spec["metrics"]["prometheus"]} == {
        "tributary_workflow_success",
        "tributary_workflow_duration_seconds",
    }
    assert doc["metadata"]["name"] == "tributary" and doc["metadata"]["namespace"] == "tributary"


def test_dag_shape_fan_out_and_conditions(rendered: dict[str, Rendered]) -> None:
    tasks = _dag(rendered["dev"].workflow_template)
    assert list(tasks) == [
        "verify",
        "freshness",
        "ingest-worldbank",
        "ingest-vn-provinces",
        "validate-bronze",
        "dbt-silver",
        "dbt-gold",
        "validate-gold",
        "held-back",
    ]
    assert tasks["ingest-vn-provinces"]["when"] == "{{tasks.freshness.outputs.parameters.vn_provinces}} == true"
    assert tasks["ingest-vn-provinces"]["depends"] == "freshness"
    # depends without a result means Succeeded || Skipped in Argo, so sources skipped as fresh do not block
    assert tasks["validate-bronze"]["depends"] == "ingest-worldbank && ingest-vn-provinces"
    assert tasks["dbt-silver"]["depends"] == "validate-bronze"
    # one naming rule: the metric's task label is the node's name, the one the stage records its result under
    assert {"name": "task", "value": "ingest-vn-provinces"} in tasks["ingest-vn-provinces"]["arguments"]["parameters"]
    assert ingest_task("vn_provinces") == "ingest-vn-provinces"
    ingest = next(t for t in _containers(rendered["dev"].workflow_template) if t["name"] == "ingest")
    gauge = next(m for m in ingest["metrics"]["prometheus"] if m["name"] == "tributary_stage_duration_seconds")
    assert {"key": "task", "value": "{{inputs.parameters.task}}"} in gauge["labels"]
    assert {"name": "force", "value": "{{workflow.parameters.force}}"} in tasks["freshness"]["arguments"]["parameters"]
    # freshness turns force (or a backfill) into the layers' rebuild
    rebuild = {"name": "force", "value": "{{tasks.freshness.outputs.parameters.rebuild-layers}}"}
    for name in ("dbt-silver", "dbt-gold"):
        assert rebuild in tasks[name]["arguments"]["parameters"]
    params = rendered["dev"].workflow_template["spec"]["arguments"]["parameters"]
    assert params[0]["name"] == "force" and params[0]["value"] == "false"
    freshness = next(t for t in _containers(rendered["dev"].workflow_template) if t["name"] == "freshness")
    assert freshness["outputs"]["parameters"] == [
        *(
            {"name": s, "valueFrom": {"default": "false", "path": f"/tmp/outputs/{s}"}}
            for s in ("worldbank", "vn_provinces")
        ),
        {"name": "backfill-range", "valueFrom": {"path": "/tmp/outputs/backfill-range"}},
        {"name": "rebuild-layers", "valueFrom": {"path": "/tmp/outputs/rebuild-layers"}},
    ]


def test_backfill_parameter_reaches_freshness_and_the_ingests(rendered: dict[str, Rendered]) -> None:
    doc = rendered["dev"].workflow_template
    params = {p["name"]: p for p in doc["spec"]["arguments"]["parameters"]}
    assert params["backfill"]["value"] == "" and "SOURCE:START:END" in params["backfill"]["description"]
    tasks = _dag(doc)
    args = {name: {a["name"]: a["value"] for a in t["arguments"]["parameters"]} for name, t in tasks.items()}
    assert args["freshness"]["backfill"] == "{{workflow.parameters.backfill}}"
    for ingest in ("ingest-worldbank", "ingest-vn-provinces"):
        assert args[ingest]["backfill"] == "{{tasks.freshness.outputs.parameters.backfill-range}}"
    containers = {t["name"]: t["container"]["args"] for t in _containers(doc)}
    for template in ("freshness", "ingest"):
        flag = containers[template].index("--backfill")
        assert containers[template][flag + 1] == "{{inputs.parameters.backfill}}"
    # a bad backfill fails freshness with exit 2, which the templates' retry expression never retries
    retried = retry_condition(RETRY_EXPRESSION)
    attempt = {"lastRetry.status": "Failed", "lastRetry.duration": "1", "lastRetry.message": "", "retries": "0"}
    assert not retried({**attempt, "lastRetry.exitCode": "2"})
    assert retried({**attempt, "lastRetry.exitCode": "75"})


def test_a_source_cannot_take_the_name_of_a_freshness_output(tmp_path: Path) -> None:
    from workflows.argo.pipeline import build_workflow_template
    from workflows.argo.settings import load_environment

    with pytest.raises(ValueError, match=r"source names \['rebuild-layers'\] are the freshness task's own outputs"):
        build_workflow_template(load_environment("dev"), ["worldbank", "rebuild-layers"])


@pytest.mark.parametrize("env", ENVS)
def test_cron_workflow_is_monthly_utc_forbid(rendered: dict[str, Rendered], env: str) -> None:
    cron = rendered[env].cron_workflow
    spec = cron["spec"]
    assert cron["metadata"]["name"] == "tributary-scheduled"
    assert spec["schedules"] == ["0 0 1 * *"] and "schedule" not in spec
    assert spec["timezone"] == "UTC" and spec["concurrencyPolicy"] == "Forbid"
    assert spec["startingDeadlineSeconds"] > 0
    assert spec["successfulJobsHistoryLimit"] >= 1 and spec["failedJobsHistoryLimit"] >= 1
    assert spec["workflowSpec"]["workflowTemplateRef"] == {"name": "tributary"}


def test_fan_out_follows_the_pipeline_configuration(tmp_path: Path) -> None:
    config = yaml.safe_load((REPO / "steps" / "defaults" / "pipeline.yaml").read_text())
    config["sources"]["worldbank"]["enabled"] = False
    path = tmp_path / "pipeline.yaml"
    path.write_text(yaml.safe_dump(config))
    doc = render("dev", config=path).workflow_template
    assert [t for t in _dag(doc) if t.startswith("ingest-")] == ["ingest-vn-provinces"]
    assert _dag(doc)["validate-bronze"]["depends"] == "ingest-vn-provinces"
    default = render("dev", config=None).workflow_template
    assert [t for t in _dag(default) if t.startswith("ingest-")] == [
        f"ingest-{s.replace('_', '-')}" for s in load_config(None).enabled_sources()
    ]


def test_render_command_writes_the_two_files(tmp_path: Path) -> None:
    assert (
        main(
            [
                "render",
                "--env",
                "staging",
                "--out",
                str(tmp_path / "files"),
                "--registry",
                "reg.example/x",
                "--tag",
                "1.2.3",
            ]
        )
        == 0
    )
    assert sorted(p.name for p in (tmp_path / "files").iterdir()) == sorted(
        [CRON_WORKFLOW_FILE, PRUNE_CRON_WORKFLOW_FILE, WORKFLOW_TEMPLATE_FILE]
    )
    doc = yaml.safe_load((tmp_path / "files" / WORKFLOW_TEMPLATE_FILE).read_text())
    assert {t["container"]["image"] for t in _containers(doc)} == {f"reg.example/x/tributary-{s}:1.2.3" for s in STAGES}


def test_render_refuses_latest(tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match="never 'latest'"):
        main(["render", "--env", "dev", "--out", str(tmp_path), "--tag", "latest"])


def test_source_credentials_come_from_their_secret(tmp_path: Path) -> None:
    import yaml

    from steps.config import DEFAULT_CONFIG
    from workflows.argo.render import render as render_env

    doc = yaml.safe_load((Path(__file__).resolve().parents[3] / "steps" / DEFAULT_CONFIG).read_text())
    doc["sources"]["fred"]["enabled"] = True
    config = tmp_path / "pipeline.yaml"
    config.write_text(yaml.safe_dump(doc))
    wt = render_env("prod", config=config).workflow_template
    by_name = {t["name"]: t for t in wt["spec"]["templates"]}
    for name in ("verify", "ingest"):
        env = {e["name"]: e for e in by_name[name]["container"]["env"]}
        ref = env["FRED_API_KEY"]["valueFrom"]["secretKeyRef"]
        assert ref == {"name": "tributary-source-credentials", "key": "FRED_API_KEY", "optional": True}
    assert "FRED_API_KEY" not in str(by_name["dbt"])  # only the stages that call the source see the key


@pytest.mark.parametrize("env", ENVS)
def test_exit_handler_exports_each_sources_freshness_as_gauges(rendered: dict[str, Rendered], env: str) -> None:
    """Per source: the exit handler writes one output per gauge, and a gauge reads it (emitted only when >= 0)."""
    from steps.summary.metrics import GAUGES, MISSING

    on_exit = next(t for t in _containers(rendered[env].workflow_template) if t["name"] == "on-exit")
    assert on_exit["container"]["args"][-2:] == ["--outputs", "/tmp/outputs"]
    outputs = {p["name"]: p["valueFrom"] for p in on_exit["outputs"]["parameters"]}
    gauges = [m for m in on_exit["metrics"]["prometheus"] if m["name"] != "tributary_stage_duration_seconds"]
    sources = ("worldbank", "vn_provinces")
    assert outputs == {
        f"{g.output}-{s}": {"default": MISSING, "path": f"/tmp/outputs/{g.output}-{s}"} for s in sources for g in GAUGES
    }
    assert [(m["name"], m["labels"]) for m in gauges] == [
        (g.name, [{"key": "source", "value": s}]) for s in sources for g in GAUGES
    ]
    for metric in gauges:
        gauge = next(g for g in GAUGES if g.name == metric["name"])
        value = f"{{{{outputs.parameters.{gauge.output}-{metric['labels'][0]['value']}}}}}"
        assert metric["help"] == gauge.help
        assert metric["gauge"] == {"realtime": False, "value": value}
        assert metric["when"] == f"{value} >= 0"


@pytest.mark.parametrize("env", ENVS)
def test_every_output_a_metric_reads_is_declared(rendered: dict[str, Rendered], env: str) -> None:
    for template in _containers(rendered[env].workflow_template):
        declared = {p["name"] for p in (template.get("outputs") or {}).get("parameters", [])}
        text = json.dumps(template.get("metrics", {}))
        read = set(re.findall(r"\{\{outputs\.parameters\.([-a-zA-Z0-9_]+)\}\}", text))
        assert read <= declared, (template["name"], read - declared)


def test_held_back_sources_fail_the_run_last_and_only_then(rendered: dict[str, Rendered]) -> None:
    """The bronze gate names held-back sources in an output; the last task fails the run when it is not empty."""
    doc = rendered["dev"].workflow_template
    tasks = _dag(doc)
    output = "{{tasks.validate-bronze.outputs.parameters.held-back}}"
    # after every build, so the other sources are published first; quoted: the value may be empty or hold commas
    assert tasks["held-back"]["depends"] == "validate-gold"
    assert tasks["held-back"]["when"] == f"'{output}' != ''"
    assert tasks["held-back"]["arguments"]["parameters"] == [{"name": "sources", "value": output}]
    templates = {t["name"]: t for t in _containers(doc)}
    validate, held_back = templates["validate"], templates["held-back"]
    assert validate["outputs"]["parameters"] == [
        {"name": "held-back", "valueFrom": {"default": "", "path": "/tmp/outputs/held-back"}}
    ]
    assert validate["container"]["args"][-2:] == ["--outputs", "/tmp/outputs"]
    assert held_back["container"]["args"] == [
        "--held-back",
        "{{inputs.parameters.sources}}",
        "--run-id",
        "{{workflow.name}}",
    ]


@pytest.mark.parametrize("env", ENVS)
def test_exit_handler_publishes_the_report_and_data_docs_as_artifacts_the_argo_ui_shows(
    rendered: dict[str, Rendered], env: str
) -> None:
    """Folders, not tarballs, under keys ending in / (what the UI opens as a folder), from the summary's --artifacts."""
    doc = rendered[env].workflow_template
    assert doc["spec"]["artifactRepositoryRef"] == {"configMap": "artifact-repositories", "key": "tributary"}
    on_exit = next(t for t in _containers(doc) if t["name"] == "on-exit")
    args = on_exit["container"]["args"]
    folder = args[args.index("--artifacts") + 1]
    assert folder.startswith("/tmp/")  # the pod's only writable path, its emptyDir
    artifacts = {a["name"]: a for a in on_exit["outputs"]["artifacts"]}
    assert {name: a["path"] for name, a in artifacts.items()} == {
        "report": folder,
        "data-docs-bronze": f"{folder}/gx/bronze/docs",
        "data-docs-gold": f"{folder}/gx/gold/docs",
    }
    for name, artifact in artifacts.items():
        assert artifact["archive"] == {"none": {}}
        assert artifact["s3"] == {"key": f"{{{{workflow.name}}}}/{name}/"}  # bucket and keys: the repository's
        assert artifact["optional"] is True  # a run that ended before a gate has no Data Docs for it
    # Only the exit handler publishes artifacts.
    assert [t["name"] for t in _containers(doc) if (t.get("outputs") or {}).get("artifacts")] == ["on-exit"]
