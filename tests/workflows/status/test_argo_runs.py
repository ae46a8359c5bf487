"""Recorded Argo v3.5 Workflow objects read as runs: trigger, phase, times, the failed tasks and their messages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.workflows.status.kube_api import recorded
from workflows.status.argo_runs import ClusterRun, FailedNode, newest_first, parse_workflow, trigger


def test_a_scheduled_run_whose_verify_failed() -> None:
    (doc,) = recorded("03-scheduled-verify-failed.json")
    run = parse_workflow(doc)
    assert run.name == "tributary-scheduled-1767225600" and run.trigger == "schedule" and run.failed
    assert run.scheduled_at == datetime(2026, 1, 1, tzinfo=UTC)
    assert run.started_at == datetime(2026, 1, 1, 0, 0, 2, tzinfo=UTC)
    assert run.duration(datetime(2030, 1, 1, tzinfo=UTC)) == timedelta(seconds=20)  # finished: now does not matter
    assert run.failed_nodes == (FailedNode("verify", "verify", "Failed", "Error (exit code 2)"),)
    assert run.message.startswith("child 'tributary-scheduled-1767225600-") and run.message.endswith("' failed")


def test_a_retried_task_is_one_failed_node() -> None:
    (doc,) = recorded("02-manual-ingest-oom.json")
    run = parse_workflow(doc)
    attempts = [n for n in doc["status"]["nodes"].values() if n["type"] == "Pod" and n["phase"] == "Failed"]
    assert len(attempts) == 3
    assert run.trigger == "manual"
    assert run.failed_nodes == (FailedNode("ingest-worldbank", "ingest", "Failed", "OOMKilled (exit code 137)"),)


def test_triggers() -> None:
    assert trigger({"workflows.argoproj.io/cron-workflow": "tributary-scheduled"}) == "schedule"
    assert trigger({"workflows.argoproj.io/workflow-template": "tributary", "tributary.io/trigger": "manual"}) == (
        "manual"
    )
    assert trigger({"workflows.argoproj.io/workflow-template": "tributary"}) == "manual"  # argo submit --from


def test_a_pending_workflow_and_the_order() -> None:
    pending = parse_workflow({"metadata": {"name": "tributary-new"}, "status": {}})
    assert pending == ClusterRun("tributary-new", "manual", "Pending", None, None)
    runs = [parse_workflow(d) for d in recorded()]
    ordered = newest_first([*runs, pending])
    assert ordered[0] is pending
    starts = [r.started_at for r in ordered[1:]]
    assert starts == sorted(starts, reverse=True)  # type: ignore[type-var]
