"""OpenLineage run events of one task, as the JSON the ``openlineage-python`` client writes for them.

Every task is job ``<namespace>.<task>`` (``tributary.ingest-worldbank``) whose run id is derived from the
pipeline run id and the task (uuid5), so its START and its COMPLETE or FAIL, even from different attempts or
pods, are one run; a parent run facet points at the pipeline run (job ``<namespace>.pipeline``), so a whole
run is one graph in Marquez.

The events are built as plain data, field for field what the client's generated model and its serializer produce
(the facets' ``_producer`` is the client's, its schema URLs the spec versions of the installed client;
tests/steps/lineage/test_events.py compares the two): importing the client, whose package loads every transport,
cost each task's process, and the local runner's warm interpreter, a good third of a second before anything ran.
Sending (``emit.py``) still uses the client's HTTP transport, imported only when a server is configured.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from importlib import metadata
from typing import Any, Literal

from steps.lineage.datasets import DatasetRef, Lineage
from steps.redact import redact_text

EventType = Literal["START", "COMPLETE", "FAIL"]
PRODUCER = "https://github.com/tributary/tributary/tree/main/steps/lineage"
# What the client puts in a facet's ``_producer`` (openlineage.client.constants.DEFAULT_PRODUCER); looked up once,
# when the warm interpreter or the pod's process loads this module.
CLIENT_PRODUCER = (
    f"https://github.com/OpenLineage/OpenLineage/tree/{metadata.version('openlineage-python')}/client/python"
)
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
) -> dict[str, Any]:
    """The event of ``task`` at ``when``; a FAIL carries ``error`` (redacted) in an ``errorMessage`` facet."""
    run_facets: dict[str, Any] = {
        "parent": _facet(
            "1-2-0/ParentRunFacet.json#/$defs/ParentRunFacet",
            job={"facets": {}, "name": task_job(namespace, PIPELINE_JOB), "namespace": namespace},
            run={"facets": {}, "runId": run_uuid(namespace, run_id)},
        )
    }
    if event_type == "FAIL":
        message = redact_text(error or "failed without a message")
        run_facets["errorMessage"] = _facet(
            "1-0-1/ErrorMessageRunFacet.json#/$defs/ErrorMessageRunFacet", message=message, programmingLanguage="python"
        )
    job_type = _facet(
        "2-0-4/JobTypeJobFacet.json#/$defs/JobTypeJobFacet",
        integration="TRIBUTARY",
        jobType="TASK",
        processingType="BATCH",
    )
    return {
        "eventTime": when.isoformat(),
        "eventType": event_type,
        "inputs": [_input(ds) for ds in lineage.inputs],
        "job": {"facets": {"jobType": job_type}, "name": task_job(namespace, task), "namespace": namespace},
        "outputs": [
            {"facets": {}, "name": ds.name, "namespace": ds.namespace, "outputFacets": {}} for ds in lineage.outputs
        ],
        "producer": PRODUCER,
        "run": {"facets": run_facets, "runId": run_uuid(namespace, run_id, task)},
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
    }


def _input(ds: DatasetRef) -> dict[str, Any]:
    facets: dict[str, Any] = {}
    if ds.assertions:
        checks = [
            {"assertion": a.assertion, "success": a.success, "params": {}}
            | ({"column": a.column} if a.column is not None else {})
            for a in ds.assertions
        ]
        facets["dataQualityAssertions"] = _facet(
            "1-1-0/DataQualityAssertionsDatasetFacet.json#/$defs/DataQualityAssertionsDatasetFacet", assertions=checks
        )
    return {"facets": {}, "inputFacets": facets, "name": ds.name, "namespace": ds.namespace}


def _facet(schema: str, **fields: Any) -> dict[str, Any]:
    """A facet as the client writes it: its fields, the client as its producer, the URL of its schema."""
    return {"_producer": CLIENT_PRODUCER, "_schemaURL": f"https://openlineage.io/spec/facets/{schema}", **fields}


def to_json(event: dict[str, Any]) -> str:
    """The event as OpenLineage JSON: sorted keys, as the client serializes it."""
    return json.dumps(event, sort_keys=True)
