"""The local runner executing the rendered dev WorkflowTemplate, with stand-in commands for the stages."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.workflows.conftest import StandinRun
from workflows.local.runner import ERROR, FAILED, OMITTED, SKIPPED, SUCCEEDED

DOWNSTREAM = [
    "ingest-worldbank",
    "ingest-vn-provinces",
    "validate-bronze",
    "dbt-silver",
    "dbt-gold",
    "validate-gold",
]


def test_happy_path_runs_every_task_in_order_with_rendered_args(standin_run: Callable[..., StandinRun]) -> None:
    run = standin_run({"fresh": {"worldbank": "true", "vn_provinces": "true"}}, parameters={"force": "true"})
    assert run.workflow.run() is True
    phases = run.phases()
    assert phases.pop("held-back") == SKIPPED  # the bronze gate held nothing back
    assert set(phases.values()) == {SUCCEEDED}
    order = [c["key"] for c in run.calls()]
    assert order[:2] == ["verify", "freshness"]
    assert set(order[2:4]) == {"ingest-worldbank", "ingest-vn_provinces"}
    assert order[4:] == ["validate-bronze", "dbt-silver", "dbt-gold", "validate-gold", "on-exit"]
    freshness = run.calls("freshness")[0]["argv"]
    assert freshness[:6] == ["--run-id", "local-test", "--sources", "worldbank,vn_provinces", "--force", "true"]
    outputs = Path(freshness[freshness.index("--outputs") + 1])  # /tmp/outputs mapped into the node's emptyDir
    assert outputs.parts[-4:] == ("freshness", "mounts", "tmp", "outputs")
    assert run.calls("dbt-gold")[0]["argv"] == ["--layer", "gold", "--run-id", "local-test", "--force", "true"]


def test_transient_exit_75_is_retried_with_backoff_then_fails_and_exit_handler_runs(
    standin_run: Callable[..., StandinRun],
) -> None:
    run = standin_run({"exit": {"verify": [75]}})
    assert run.workflow.run() is False
    assert len(run.calls("verify")) == 3  # dev: limit 2 → first attempt + 2 retries
    assert run.sleeps == [10.0, 20.0]  # dev backoff: 10s × 2^n, capped at 1m
    phases = run.phases()
    assert phases["verify"] == FAILED
    assert all(phases[t] == OMITTED for t in ["freshness", *DOWNSTREAM])
    handler = run.calls("on-exit")
    assert len(handler) == 1 and phases["onExit"] == SUCCEEDED
    env = handler[0]["env"]
    assert env["TRIBUTARY_WORKFLOW_STATUS"] == "Failed"
    failures = json.loads(env["TRIBUTARY_WORKFLOW_FAILURES"])
    assert [(f["displayName"], f["templateName"], f["phase"]) for f in failures] == [("verify", "verify", "Failed")]
    assert "stand-in failure with exit code 75" in failures[0]["message"]
    nodes = json.loads(Path(env["TRIBUTARY_WORKFLOW_NODES"]).read_text())
    assert {n["task"]: n["attempts"] for n in nodes}["verify"] == 3


def test_bad_input_exit_2_is_not_retried(standin_run: Callable[..., StandinRun]) -> None:
    run = standin_run({"exit": {"ingest-worldbank": [2]}, "fresh": {"worldbank": "true", "vn_provinces": "true"}})
    assert run.workflow.run() is False
    assert len(run.calls("ingest-worldbank")) == 1 and run.sleeps == []
    phases = run.phases()
    assert phases["ingest-worldbank"] == FAILED and phases["ingest-vn-provinces"] == SUCCEEDED
    assert phases["validate-bronze"] == OMITTED and phases["onExit"] == SUCCEEDED


def test_held_back_sources_let_the_builds_run_then_fail_the_run(standin_run: Callable[..., StandinRun]) -> None:
    """The gate's held-back output is not empty: silver and gold run, then the last task fails the workflow."""
    run = standin_run(
        {
            "fresh": {"worldbank": "true", "vn_provinces": "true"},
            "outputs": {"validate-bronze": {"held-back": "vn_provinces"}},
            "exit": {"held-back": [2]},
        }
    )
    assert run.workflow.run() is False
    phases = run.phases()
    assert all(phases[t] == SUCCEEDED for t in DOWNSTREAM)
    assert phases["held-back"] == FAILED and phases["onExit"] == SUCCEEDED
    order = [c["key"] for c in run.calls()]
    assert order[-3:] == ["validate-gold", "held-back", "on-exit"]
    assert run.calls("held-back")[0]["argv"] == ["--held-back", "vn_provinces", "--run-id", "local-test"]
    assert len(run.calls("held-back")) == 1  # exit 2: bad data, never retried
    failures = json.loads(run.calls("on-exit")[0]["env"]["TRIBUTARY_WORKFLOW_FAILURES"])
    assert [f["displayName"] for f in failures] == ["held-back"]


def test_false_when_skips_the_ingest_and_the_dag_goes_on(standin_run: Callable[..., StandinRun]) -> None:
    run = standin_run({"fresh": {"worldbank": "false", "vn_provinces": "true"}})
    assert run.workflow.run() is True
    phases = run.phases()
    assert phases["ingest-worldbank"] == SKIPPED and phases["ingest-vn-provinces"] == SUCCEEDED
    assert phases["validate-bronze"] == SUCCEEDED  # a Skipped dependency counts as done, as in Argo
    assert run.calls("ingest-worldbank") == []
    assert "ingest-worldbank" in run.progress.getvalue() and "Skipped" in run.progress.getvalue()


def test_unwritten_decision_takes_the_output_default(standin_run: Callable[..., StandinRun]) -> None:
    run = standin_run({"fresh": {"vn_provinces": "true"}})  # no file for worldbank: default "false"
    assert run.workflow.run() is True
    assert run.phases()["ingest-worldbank"] == SKIPPED


def test_ingests_of_different_sources_run_concurrently(standin_run: Callable[..., StandinRun]) -> None:
    plan = {
        "fresh": {"worldbank": "true", "vn_provinces": "true"},
        "sleep": {"ingest-worldbank": 1.0, "ingest-vn_provinces": 1.0},
    }
    run = standin_run(plan)
    assert run.workflow.run() is True
    a, b = run.calls("ingest-worldbank")[0], run.calls("ingest-vn_provinces")[0]
    assert a["start"] < b["end"] and b["start"] < a["end"]  # the two intervals overlap


def test_stage_gets_only_what_the_spec_declares(
    standin_run: Callable[..., StandinRun], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOME_UNRELATED_SECRET", "leak")
    run = standin_run(
        {"fresh": {"worldbank": "true", "vn_provinces": "true"}},
        secrets={"AWS_ACCESS_KEY_ID": "k", "AWS_SECRET_ACCESS_KEY": "s", "DBT_TRINO_PASSWORD": "pw"},
    )
    assert run.workflow.run() is True
    verify_env, ingest_env = run.calls("verify")[0]["env"], run.calls("ingest-worldbank")[0]["env"]
    assert "SOME_UNRELATED_SECRET" not in verify_env
    assert verify_env["AWS_ACCESS_KEY_ID"] == "k" and verify_env["DBT_TRINO_PASSWORD"] == "pw"
    assert "DBT_TRINO_PASSWORD" not in ingest_env  # ingest does not declare the warehouse password
    assert verify_env["STANDIN_DIR"]  # the ConfigMap's keys come through envFrom


def test_required_secret_absent_is_a_clear_error_optional_is_skipped(standin_run: Callable[..., StandinRun]) -> None:
    run = standin_run(secrets={})
    assert run.workflow.run() is False
    verify = run.workflow.runner.runs["verify"]
    assert verify.phase == ERROR
    assert "Secret tributary-lake-credentials key AWS_ACCESS_KEY_ID is required" in verify.message
    assert run.calls("verify") == []


def test_secret_not_needed_by_this_run_is_skipped(standin_run: Callable[..., StandinRun]) -> None:
    run = standin_run(
        {"fresh": {"worldbank": "true", "vn_provinces": "true"}},
        secrets={},
        not_needed={"tributary-lake-credentials": "the lake is a local folder"},
    )
    assert run.workflow.run() is True
    assert "AWS_ACCESS_KEY_ID" not in run.calls("verify")[0]["env"]


def test_webhook_secret_reaches_only_the_exit_handler(standin_run: Callable[..., StandinRun]) -> None:
    secrets = {"AWS_ACCESS_KEY_ID": "k", "AWS_SECRET_ACCESS_KEY": "s", "TRIBUTARY_WEBHOOK_URL": "https://hook"}
    run = standin_run({"fresh": {"worldbank": "false", "vn_provinces": "false"}}, secrets=secrets)
    assert run.workflow.run() is True
    assert run.calls("on-exit")[0]["env"]["TRIBUTARY_WEBHOOK_URL"] == "https://hook"
    assert run.calls("on-exit")[0]["env"]["TRIBUTARY_WORKFLOW_STATUS"] == "Succeeded"
    assert "TRIBUTARY_WEBHOOK_URL" not in run.calls("validate-gold")[0]["env"]


def test_parameter_outside_its_enum_is_refused(standin_run: Callable[..., StandinRun]) -> None:
    with pytest.raises(ValueError, match=r"force='yes' is not one of \['false', 'true'\]"):
        standin_run(parameters={"force": "yes"})


def test_missing_required_secrets_are_listed_before_anything_runs(standin_run: Callable[..., StandinRun]) -> None:
    run = standin_run(secrets={"AWS_ACCESS_KEY_ID": "k"})
    assert run.workflow.missing_secrets() == ["tributary-lake-credentials/AWS_SECRET_ACCESS_KEY"]
    assert (
        standin_run(secrets={}, not_needed={"tributary-lake-credentials": "folder lake"}).workflow.missing_secrets()
        == []
    )
