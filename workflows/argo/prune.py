"""The CronWorkflow ``tributary-prune``: retention and warehouse maintenance on a schedule (off by default).

One task, ``python -m steps.prune`` in the dbt image: that image ships ``steps/`` like every stage image, and it
is the one with what prune needs beyond the core, DuckDB (content fingerprints of bronze files) and the Trino
client (Iceberg's ``optimize``/``expire_snapshots``/``remove_orphan_files``), so no seventh image is built for a
monthly job. It takes the pipeline's mutex: a prune never runs while a pipeline run writes the lake, the
cluster's counterpart of the lake lock ``tributary prune`` takes on a laptop.

The chart installs it only with ``prune.enabled: true``, and replaces its schedule with ``prune.schedule``.
"""

from __future__ import annotations

from hera.workflows import CronWorkflow
from hera.workflows import models as m

from workflows.argo import pipeline, templates
from workflows.argo.settings import Environment

NAME = "tributary-prune"
SCHEDULE = "0 4 * * 0"  # Sundays 04:00; the chart's prune.schedule replaces it
ENTRYPOINT = "prune"


def build_prune_cron_workflow(env: Environment) -> CronWorkflow:
    """The prune CronWorkflow of ``env`` (the environment's time zone, suspended like the pipeline's when it is)."""
    labels = {**pipeline.LABELS, "tributary.io/environment": env.name}
    task = templates.stage_template(
        env,
        stage="dbt",
        name=ENTRYPOINT,
        metric_task="prune",
        args=[],
        secrets=[*templates.lake_credentials(), *templates.trino_password()],
    )
    task.command = ["python", "-m", "steps.prune"]
    wf = env.workflow
    return CronWorkflow(
        name=NAME,
        namespace=env.namespace,
        labels={**labels, "app.kubernetes.io/component": "prune-cron-workflow"},
        schedules=[SCHEDULE],
        timezone=env.schedule.timezone,
        concurrency_policy="Forbid",
        starting_deadline_seconds=env.schedule.starting_deadline_seconds,
        successful_jobs_history_limit=env.schedule.successful_jobs_history_limit,
        failed_jobs_history_limit=env.schedule.failed_jobs_history_limit,
        workflow_metadata=m.WorkflowMetadata(
            labels={**labels, "app.kubernetes.io/component": "workflow", "tributary.io/trigger": "prune"}
        ),
        entrypoint=ENTRYPOINT,
        templates=[task],
        service_account_name=env.service_account,
        active_deadline_seconds=wf.active_deadline_seconds,
        synchronization=m.Synchronization(mutexes=[m.Mutex(name=pipeline.MUTEX)]),
        security_context=pipeline.pod_security_context(wf.run_as_user),
        pod_gc=m.PodGC(strategy=wf.pod_gc_strategy, delete_delay_duration=wf.pod_gc_delete_delay),
    )
