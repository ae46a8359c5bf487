"""Reading rendered specs for the local runner: what it executes, and what it refuses with a clear error."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from workflows.cli import main
from workflows.expressions import ExpressionError, evaluate_when, parse_duration, parse_retry_expression
from workflows.render import Rendered
from workflows.spec import UnsupportedSpec, parse_workflow


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
    assert ingest.module == "steps.ingest" and ingest.inputs == {"source": None}
    assert ingest.retry is not None and ingest.retry.exit_codes == frozenset({75})
    assert (ingest.retry.limit, ingest.retry.duration_s, ingest.retry.factor) == (4, 60.0, 2.0)
    assert (ingest.retry.cap_s, ingest.retry.max_duration_s) == (600.0, 7200.0)
    assert set(ingest.mounts) == {"/tmp", "/etc/tributary"}
    assert {o.name: o.default for o in spec.templates["freshness"].outputs} == {
        "worldbank": "false",
        "vn_provinces": "false",
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
        lambda d: _template(d, "summary")["container"]["args"].append("{{workflow.status}}"),
        r"template summary: \{\{workflow.status\}\} cannot be resolved",
    ),
    (
        "output of a task that is not upstream",
        lambda d: _task(d, "verify").update(when="{{tasks.freshness.outputs.parameters.worldbank}} == true"),
        r"tasks\.verify: \{\{tasks\.freshness\.outputs\.parameters\.worldbank\}\} cannot be resolved",
    ),
    (
        "other retry expression",
        lambda d: _template(d, "dbt")["retryStrategy"].update(expression="lastRetry.status == 'Error'"),
        r"retry expression .* is not supported",
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


def test_run_refuses_an_unsupported_spec_file(doc: dict[str, Any], tmp_path: Path) -> None:
    doc["spec"]["hostNetwork"] = True
    path = tmp_path / "workflowtemplate.yaml"
    path.write_text(yaml.safe_dump(doc))
    with pytest.raises(SystemExit, match=r"the spec cannot run locally: spec\.hostNetwork: not supported"):
        main(["run", "--spec", str(path), "--lake", str(tmp_path / "lake")])


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


def test_retry_expression_and_durations() -> None:
    assert parse_retry_expression("asInt(lastRetry.exitCode) == 75 || asInt(lastRetry.exitCode) == 76") == {75, 76}
    assert [parse_duration(v) for v in ("30", "30s", "5m", "1h30m", "250ms", 7)] == [30, 30, 300, 5400, 0.25, 7]
    with pytest.raises(ExpressionError, match="Go duration"):
        parse_duration("5 minutes")
