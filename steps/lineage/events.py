"""OpenLineage run events of one task, built with the ``openlineage-python`` client's generated model.

Every task is job ``<namespace>.<task>`` (``tributary.ingest-worldbank``) whose run id is derived from the
pipeline run id and the task (uuid5), so its START and its COMPLETE or FAIL, even from different attempts or
pods, are one run; a parent run facet points at the pipeline run (job ``<namespace>.pipeline``), so a whole
run is one graph in Marquez.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from openlineage.client.event_v2 import InputDataset, Job, OutputDataset, Run, RunEvent, RunState
from openlineage.client.generated import data_quality_assertions_dataset as dq
from openlineage.client.generated import error_message_run, job_type_job, parent_run
from openlineage.client.serde import Serde

from steps.lineage.datasets import DatasetRef, Lineage
from steps.redact import redact_text

EventType = Literal["START", "COMPLETE", "FAIL"]
PRODUCER = "https://github.com/tributary/tributary/tree/main/steps/lineage"
PIPELINE_JOB = "pipeline"


def task_job(namespace: str, task: str) -> str:
    """The job name of a task: ``tributary.ingest-worldbank``; ``task`` ``pipeline`` names the whole run."""
    return f"{namespace}.{task}"


def run_uuid(namespace: str, run_id: str, task: str = PIPELINE_JOB) -> str:
    """The OpenLineage run id of ``task`` in pipeline run ``run_id``: the same for every attempt and emitter."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"openlineage:{namespace}/{run_id}/{task}"))


def run_event(
    event_type: EventType,
    *,
    namespace: str,
    run_id: str,
    task: str,
    when: datetime,
    lineage: Lineage,
    error: str | None = None,
) -> RunEvent:
    """The event of ``task`` at ``when``; a FAIL carries ``error`` (redacted) in an ``errorMessage`` facet."""
    facets: dict[str, object] = {
        "parent": parent_run.ParentRunFacet(
            run=parent_run.Run(runId=run_uuid(namespace, run_id)),
            job=parent_run.Job(namespace=namespace, name=task_job(namespace, PIPELINE_JOB)),
        )
    }
    if event_type == "FAIL":
        message = redact_text(error or "failed without a message")
        facets["errorMessage"] = error_message_run.ErrorMessageRunFacet(message=message, programmingLanguage="python")
    job_type = job_type_job.JobTypeJobFacet(processingType="BATCH", integration="TRIBUTARY", jobType="TASK")
    return RunEvent(
        eventType=RunState[event_type],
        eventTime=when.isoformat(),
        run=Run(runId=run_uuid(namespace, run_id, task), facets=facets),  # type: ignore[arg-type]
        job=Job(namespace=namespace, name=task_job(namespace, task), facets={"jobType": job_type}),
        inputs=[_input(ds) for ds in lineage.inputs],
        outputs=[OutputDataset(namespace=ds.namespace, name=ds.name) for ds in lineage.outputs],
        producer=PRODUCER,
    )


def _input(ds: DatasetRef) -> InputDataset:
    if not ds.assertions:
        return InputDataset(namespace=ds.namespace, name=ds.name)
    checks = [dq.Assertion(assertion=a.assertion, success=a.success, column=a.column) for a in ds.assertions]
    facet = dq.DataQualityAssertionsDatasetFacet(assertions=checks)
    return InputDataset(namespace=ds.namespace, name=ds.name, inputFacets={"dataQualityAssertions": facet})


def to_json(event: RunEvent) -> str:
    """The event as OpenLineage JSON (None fields left out, as the client sends it)."""
    return Serde.to_json(event)
