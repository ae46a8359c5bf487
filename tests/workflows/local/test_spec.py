"""Reading rendered specs for the local runner: what it executes, and what it refuses with a clear error."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from workflows.argo.render import Rendered
from workflows.cli import main
from workflows.local.expressions import ExpressionError, evaluate_when, parse_duration, retry_condition
from workflows.local.spec import UnsupportedSpec, parse_workflow


@pytest.fixture
def doc(rendered: dict[str, Rendered]) -> dict[str, Any]:
    return copy.deepcopy(rendered["prod"].workflow_template)


def _template(doc: dict[str, Any], name: str) -> dict[str, Any]:
    return next(t for t in doc["spec"]["templates"] if t["name"] == name)


def _task(doc: dict[str, Any], name: str) -> dict[str, Any]:
    return next(t for t in _template(doc, "pipeline")["dag"]["tasks"] if t["name"] == name)


def test_rendered_spec_parses_into_what_the_runner_needs(doc: dict[str, Any]) -> None:
    spec = parse_workflow(doc)
    assert [t.name for t in spec.tasks][:3] == ["verify", "freshness", "ingest-worldbank"]
    assert spec.on_exit == "on-exit" and spec.mutexes == ("tributary",) and spec.parallelism == 6
    ingest = spec.templates["ingest"]
    assert ingest.module == "steps.ingest" and ingest.inputs == {"source": None, "task": None, "backfill": None}
    assert ingest.retry is not None and ingest.retry.expression.startswith("asInt(lastRetry.exitCode) == 75 ||")
    assert (ingest.retry.limit, ingest.retry.duration_s, ingest.retry.factor) == (4, 60.0, 2.0)
    # maxDuration: 5 attempts of the 3600 s deadline plus the waits 60+120+240+480 s
    assert (ingest.retry.cap_s, ingest.retry.max_duration_s) == (600.0, 5 * 3600 + 900.0)
    assert set(ingest.mounts) == {"/tmp", "/etc/tributary"}
    # what the container launcher runs: the image, the limits, the pod's and the container's security
    assert ingest.image.endswith("/tributary-ingest:0.1.0") and ingest.command == ("python", "-m", "steps.ingest")
    assert (ingest.limits.cpu, ingest.limits.memory) == ("2", "2Gi")
    assert ingest.security.read_only_root_filesystem and ingest.security.drop_capabilities == ("ALL",)
    assert not ingest.security.allow_privilege_escalation and ingest.read_only_mounts == {"/etc/tributary"}
    assert (spec.security.run_as_user, spec.security.fs_group, spec.security.seccomp_profile) == (
        10001,
        10001,
        "RuntimeDefault",
    )
    assert {o.name: o.default for o in spec.templates["freshness"].outputs} == {
        "worldbank": "false",
        "vn_provinces": "false",
        "backfill-range": None,  # written by every freshness run: missing is a failure, not a regular run
        "rebuild-layers": None,
    }


Mutation = Callable[[dict[str, Any]], None]
REFUSALS: list[tuple[str, Mutation, str]] = [
    ("unknown spec key", lambda d: d["spec"].update(hostNetwork=True), r"spec\.hostNetwork: not supported"),
    (
        "unknown container key",
        lambda d: _template(d, "verify")["container"].update(workingDir="/x"),
        r"template verify\.container\.workingDir: not supported",
    ),
    (
        "when with &&",
        lambda d: _task(d, "ingest-worldbank").update(
            when="{{tasks.freshness.outputs.parameters.worldbank}} == true && 1 == 1"
        ),
        r"when expression .* is not supported",
    ),
    (
        "depends on a result",
        lambda d: _task(d, "dbt-silver").update(depends="validate-bronze.Succeeded"),
        r"depends 'validate-bronze\.Succeeded' is not supported",
    ),
    (
        "expression tag",
        lambda d: _template(d, "verify")["container"]["args"].append("{{=workflow.name}}"),
        r"expression tag .* is not supported",
    ),
    (
        "unknown variable",
        lambda d: _template(d, "verify")["container"]["args"].append("{{workflow.uid}}"),
        r"template verify: \{\{workflow.uid\}\} cannot be resolved",
    ),
    (
        "exit-handler variable outside it",
        lambda d: _template(d, "verify")["container"]["args"].append("{{workflow.status}}"),
        r"template verify: \{\{workflow.status\}\} cannot be resolved",
    ),
    (
        "output of a task that is not upstream",
        lambda d: _task(d, "verify").update(when="{{tasks.freshness.outputs.parameters.worldbank}} == true"),
        r"tasks\.verify: \{\{tasks\.freshness\.outputs\.parameters\.worldbank\}\} cannot be resolved",
    ),
    (
        "retry expression with an unknown variable",
        lambda d: _template(d, "dbt")["retryStrategy"].update(expression="lastRetry.node == 'x'"),
        r"retry expression .* is not supported by the local runner \(unknown name 'lastRetry.node'\)",
    ),
    (
        "retry without expression",
        lambda d: _template(d, "dbt")["retryStrategy"].pop("expression"),
        r"without an expression every failure would be retried",
    ),
    (
        "OnError policy",
        lambda d: _template(d, "dbt")["retryStrategy"].update(retryPolicy="OnError"),
        r"retryPolicy 'OnError'",
    ),
    (
        "command not python -m",
        lambda d: _template(d, "dbt")["container"].update(command=["sh", "-c"]),
        r"runs 'python -m <module>' commands only",
    ),
    (
        "script template",
        lambda d: d["spec"]["templates"].append({"name": "s", "script": {"image": "x", "source": "y"}}),
        r"template s\.script: not supported",
    ),
    (
        "secretRef envFrom",
        lambda d: _template(d, "dbt")["container"]["envFrom"].append({"secretRef": {"name": "x"}}),
        r"envFrom\[1\]\.secretRef: not supported",
    ),
    (
        "semaphore",
        lambda d: d["spec"]["synchronization"].update(semaphores=[{"configMapKeyRef": {"name": "s", "key": "k"}}]),
        r"spec\.synchronization\.semaphores: not supported",
    ),
    (
        "hostPath volume",
        lambda d: _template(d, "dbt")["volumes"].append({"name": "h", "hostPath": {"path": "/"}}),
        r"volumes\.h\.hostPath: not supported",
    ),
    (
        "missing argument",
        lambda d: _task(d, "dbt-gold")["arguments"]["parameters"].pop(),
        r"arguments do not match template dbt's inputs \(unknown \[\], missing \['force'\]\)",
    ),
    (
        "unknown securityContext field",
        lambda d: _template(d, "dbt")["container"]["securityContext"].update(privileged=True),
        r"container\.securityContext\.privileged: not supported",
    ),
    (
        "output outside emptyDir",
        lambda d: _template(d, "freshness")["outputs"]["parameters"][0]["valueFrom"].update(path="/var/x"),
        r"path /var/x is not under an emptyDir mount",
    ),
]


@pytest.mark.parametrize(("mutate", "message"), [(m, msg) for _, m, msg in REFUSALS], ids=[r[0] for r in REFUSALS])
def test_unsupported_spec_is_refused_naming_it(doc: dict[str, Any], mutate: Mutation, message: str) -> None:
    mutate(doc)
    with pytest.raises(UnsupportedSpec, match=message):
        parse_workflow(doc)


def test_run_refuses_an_unsupported_spec_file(
    doc: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc["spec"]["hostNetwork"] = True
    path = tmp_path / "workflowtemplate.yaml"
    path.write_text(yaml.safe_dump(doc))
    assert main(["run", "--spec", str(path), "--lake", str(tmp_path / "lake")]) == 2
    line = capsys.readouterr().err.strip()
    assert re.fullmatch(r"tributary run: the spec cannot run locally: spec\.hostNetwork: not supported.*", line)


@pytest.mark.parametrize(
    ("expression", "values", "expected"),
    [
        ("{{a}} == true", {"a": "true"}, True),
        ("{{a}} == true", {"a": "false"}, False),
        ("{{a}} != true", {"a": "false"}, True),
        ("{{a}} == 1", {"a": "1.0"}, True),
        ("'{{a}}' == 'x y'", {"a": "x y"}, True),
    ],
)
def test_when_evaluation(expression: str, values: dict[str, str], expected: bool) -> None:
    assert evaluate_when(expression, values.__getitem__) is expected


def test_when_that_stops_being_a_comparison_after_substitution_is_refused() -> None:
    with pytest.raises(ExpressionError, match=r"became 'x y == true'"):
        evaluate_when("{{a}} == true", {"a": "x y"}.__getitem__)


RENDERED_RETRY = (
    "asInt(lastRetry.exitCode) == 75 || (asInt(retries) < 1 && "
    '(asInt(lastRetry.exitCode) == -1 || lastRetry.message matches "OOMKilled"))'
)


@pytest.mark.parametrize(
    ("code", "status", "message", "retries", "expected"),
    [
        ("75", "Failed", "", "0", True),  # transient: retried every time the limit allows
        ("75", "Failed", "", "3", True),
        ("2", "Failed", "bad input", "0", False),  # bad input: never
        ("1", "Failed", "a bug", "0", False),
        ("-1", "Error", "pod deleted", "0", True),  # pod-level failure: once
        ("-1", "Error", "pod deleted", "1", False),
        ("137", "Failed", "OOMKilled (exit code 137)", "0", True),
        ("137", "Failed", "OOMKilled (exit code 137)", "1", False),
        ("137", "Failed", "killed", "0", False),
    ],
)
def test_the_rendered_retry_expression_evaluates_as_argo_would(
    code: str, status: str, message: str, retries: str, expected: bool
) -> None:
    condition = retry_condition(RENDERED_RETRY)
    variables = {
        "lastRetry.exitCode": code,
        "lastRetry.status": status,
        "lastRetry.message": message,
        "lastRetry.duration": "12.5",
        "retries": retries,
    }
    assert condition(variables) is expected


def test_retry_expressions_users_write_are_understood_or_refused() -> None:
    variables = {
        "lastRetry.exitCode": "5",
        "lastRetry.status": "Failed",
        "lastRetry.message": "",
        "lastRetry.duration": "3",
        "retries": "0",
    }
    # Argo's own examples
    assert retry_condition(
        'lastRetry.status == "Failed" && asInt(lastRetry.exitCode) not in [-1,0,1] or lastRetry.status == "Error"'
    )(variables)
    assert not retry_condition('asInt(lastRetry.exitCode) > 1 && lastRetry.status != "Failed"')(variables)
    assert retry_condition("!(asInt(lastRetry.duration) >= 120) and asInt(lastRetry.exitCode) in [5, 6]")(variables)
    for bad in ("asInt(lastRetry.exitCode) ==", "sprig.trim(x)", "lastRetry.exitCode === 1", "(a"):
        with pytest.raises(ExpressionError, match="is not supported by the local runner"):
            retry_condition(bad)


def test_durations() -> None:
    assert [parse_duration(v) for v in ("30", "30s", "5m", "1h30m", "250ms", 7)] == [30, 30, 300, 5400, 0.25, 7]
    with pytest.raises(ExpressionError, match="Go duration"):
        parse_duration("5 minutes")
