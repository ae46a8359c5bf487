"""The CronWorkflow ``tributary-scheduled``: runs the ``tributary`` WorkflowTemplate on the environment's schedule."""

from __future__ import annotations

from hera.workflows import CronWorkflow
from hera.workflows import models as m

from workflows.argo import pipeline, scheduling
from workflows.argo.settings import Environment

NAME = "tributary-scheduled"


def build_cron_workflow(env: Environment) -> CronWorkflow:
    """The CronWorkflow of ``env``.

    ``concurrencyPolicy: Forbid`` skips a tick while the previous scheduled run is still going; the template's
    mutex also keeps a scheduled run from overlapping one submitted by hand. A tick missed by more than
    ``startingDeadlineSeconds`` (controller down) is skipped rather than started late. Each run gets the schedule
    and its scheduled time as parameters (workflows.argo.scheduling), so freshness judges it as that period's run.
    """
    sched = env.schedule
    labels = {**pipeline.LABELS, "tributary.io/environment": env.name}
    return CronWorkflow(
        name=NAME,
        namespace=env.namespace,
        labels={**labels, "app.kubernetes.io/component": "cron-workflow"},
        schedules=list(sched.schedules),
        timezone=sched.timezone,
        concurrency_policy="Forbid",
        starting_deadline_seconds=sched.starting_deadline_seconds,
        successful_jobs_history_limit=sched.successful_jobs_history_limit,
        failed_jobs_history_limit=sched.failed_jobs_history_limit,
        cron_suspend=sched.suspend,
        workflow_metadata=m.WorkflowMetadata(
            labels={**labels, "app.kubernetes.io/component": "workflow", "tributary.io/trigger": "schedule"}
        ),
        workflow_template_ref=m.WorkflowTemplateRef(name=pipeline.NAME),
        arguments=scheduling.cron_arguments(sched),
    )
