"""One Argo Workflow object as a run of the pipeline: name, trigger, phase, times, failed nodes (pure).

The labels read are Argo's own and ours:

- ``workflows.argoproj.io/cron-workflow: tributary-scheduled``: the CronWorkflow controller sets it on the runs
  it starts (with the annotation ``workflows.argoproj.io/scheduled-time``), so they are the ``schedule`` trigger;
- ``workflows.argoproj.io/workflow-template: tributary``: set when a run is submitted from the template (``argo
  submit --from``, the UI, ``tributary submit``);
- ``tributary.io/trigger``: ours (``schedule`` from the CronWorkflow's workflowMetadata, ``manual`` from
  ``tributary submit``), used when Argo's labels do not say.

Failed nodes are the pods that failed (a retried task's attempts are ``verify(0)``, ``verify(1)``, …: the last
attempt stands for the task) and their message (``Error (exit code 2)``, ``OOMKilled (exit code 137)``, …).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

CRON_LABEL = "workflows.argoproj.io/cron-workflow"
TEMPLATE_LABEL = "workflows.argoproj.io/workflow-template"
SCHEDULED_TIME = "workflows.argoproj.io/scheduled-time"
TRIGGER_LABEL = "tributary.io/trigger"
FAILED = frozenset({"Failed", "Error"})
_ATTEMPT = re.compile(r"\(\d+\)$")


@dataclass(frozen=True)
class FailedNode:
    """A task of the run that failed, with Argo's message."""

    name: str
    template: str
    phase: str
    message: str


@dataclass(frozen=True)
class ClusterRun:
    """One Workflow of the pipeline."""

    name: str
    trigger: str  # schedule or manual
    phase: str  # Pending, Running, Succeeded, Failed, Error
    started_at: datetime | None
    finished_at: datetime | None
    scheduled_at: datetime | None = None
    message: str = ""
    failed_nodes: tuple[FailedNode, ...] = ()

    @property
    def failed(self) -> bool:
        """Whether the run ended in failure."""
        return self.phase in FAILED

    def duration(self, now: datetime) -> timedelta | None:
        """Wall time: until it finished, or until ``now`` while it runs."""
        if self.started_at is None:
            return None
        return (self.finished_at or now) - self.started_at


def parse_workflow(obj: Mapping[str, Any]) -> ClusterRun:
    """The run a Workflow object (as the Kubernetes API returns it) describes; missing fields are unknown."""
    meta = _dict(obj.get("metadata"))
    status = _dict(obj.get("status"))
    labels = _dict(meta.get("labels"))
    annotations = _dict(meta.get("annotations"))
    return ClusterRun(
        name=str(meta.get("name") or "?"),
        trigger=trigger(labels),
        phase=str(status.get("phase") or "Pending"),
        started_at=_time(status.get("startedAt")) or _time(meta.get("creationTimestamp")),
        finished_at=_time(status.get("finishedAt")),
        scheduled_at=_time(annotations.get(SCHEDULED_TIME)),
        message=" ".join(str(status.get("message") or "").split()),
        failed_nodes=failed_nodes(_dict(status.get("nodes"))),
    )


def trigger(labels: Mapping[str, Any]) -> str:
    """``schedule`` for a run the CronWorkflow started, else our label's value, else ``manual``."""
    if labels.get(CRON_LABEL):
        return "schedule"
    return str(labels.get(TRIGGER_LABEL) or "manual")


def failed_nodes(nodes: Mapping[str, Any]) -> tuple[FailedNode, ...]:
    """The failed pods, one per task (its last attempt), in the order they started."""
    last: dict[str, tuple[str, FailedNode]] = {}
    for node in nodes.values():
        node = _dict(node)
        if node.get("type") != "Pod" or node.get("phase") not in FAILED:
            continue
        name = _ATTEMPT.sub("", str(node.get("displayName") or node.get("name") or "?"))
        started = str(node.get("startedAt") or "")
        found = FailedNode(
            name=name,
            template=str(node.get("templateName") or ""),
            phase=str(node["phase"]),
            message=" ".join(str(node.get("message") or "").split()),
        )
        if name not in last or started >= last[name][0]:
            last[name] = (started, found)
    return tuple(node for _, node in sorted(last.values(), key=lambda pair: pair[0]))


def newest_first(runs: list[ClusterRun]) -> list[ClusterRun]:
    """Runs ordered by start, newest first; runs not started yet (Pending) come before them."""
    pending = [r for r in runs if r.started_at is None]
    started = [(r.started_at, r) for r in runs if r.started_at is not None]
    return [*pending, *(r for _, r in sorted(started, key=lambda pair: pair[0], reverse=True))]


def _time(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}
