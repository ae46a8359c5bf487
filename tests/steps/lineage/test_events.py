"""Lineage events and dataset names: deterministic run ids, the parent run, errors redacted, no credentials."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from steps.lineage.datasets import Assertion, DatasetRef, Lineage, endpoint, lake_dataset, table
from steps.lineage.events import run_event, run_uuid, to_json

WHEN = datetime(2026, 12, 5, 7, 0, tzinfo=UTC)
# The required fields of a RunEvent in OpenLineage's JSON schema (2-0-2): the client ships no schema file.
REQUIRED = ("eventTime", "producer", "schemaURL", "run", "job")


def _built(event_type: str, error: str | None, lineage: Lineage | None, task: str = "ingest-worldbank") -> Any:
    return run_event(
        event_type,  # type: ignore[arg-type]
        namespace="tributary",
        run_id="local-20261205T070000Z",
        task=task,
        when=WHEN,
        lineage=lineage or Lineage(),
        error=error,
    )


def _event(event_type: str = "COMPLETE", error: str | None = None, lineage: Lineage | None = None) -> dict:
    return json.loads(to_json(_built(event_type, error, lineage)))


def test_run_ids_are_uuids_derived_from_the_pipeline_run_and_the_task() -> None:
    first, again = run_uuid("tributary", "r1", "verify"), run_uuid("tributary", "r1", "verify")
    assert first == again and uuid.UUID(first).version == 5
    assert len({first, run_uuid("tributary", "r1", "freshness"), run_uuid("tributary", "r2", "verify")}) == 3


def test_an_event_has_the_required_fields_and_points_at_the_pipeline_run() -> None:
    event = _event()
    assert all(key in event for key in REQUIRED)
    assert event["eventType"] == "COMPLETE" and event["eventTime"] == WHEN.isoformat()
    assert event["job"] == {**event["job"], "namespace": "tributary", "name": "tributary.ingest-worldbank"}
    assert event["run"]["runId"] == run_uuid("tributary", "local-20261205T070000Z", "ingest-worldbank")
    parent = event["run"]["facets"]["parent"]
    assert parent["job"]["name"] == "tributary.pipeline"
    assert parent["run"]["runId"] == run_uuid("tributary", "local-20261205T070000Z")
    assert "errorMessage" not in event["run"]["facets"]


def test_a_failure_carries_its_error_redacted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FRED_API_KEY", "abcdef0123456789abcdef0123456789")
    event = _event("FAIL", error="GET /fred?api_key=abcdef0123456789abcdef0123456789 answered 403")
    facet = event["run"]["facets"]["errorMessage"]
    assert facet["message"] == "GET /fred?api_key=*** answered 403" and facet["programmingLanguage"] == "python"


def test_gates_attach_their_assertions_to_the_datasets_they_read() -> None:
    checked = DatasetRef("file:///lake", "bronze/worldbank/indicator_values", (Assertion("expect_x", False, "year"),))
    lineage = Lineage()
    lineage.read(DatasetRef("file:///lake", "bronze/worldbank/indicator_values"))
    lineage.read(checked)  # declared again, now with what the gate found: replaces the first
    event = _event(lineage=lineage)
    (read,) = event["inputs"]
    assertions = read["inputFacets"]["dataQualityAssertions"]["assertions"]
    assert assertions == [{"assertion": "expect_x", "success": False, "column": "year", "params": {}}]


@pytest.mark.parametrize(
    ("url", "namespace", "name"),
    [
        ("https://api.worldbank.org/v2", "https://api.worldbank.org", "/v2"),
        ("http://user:secret@127.0.0.1:8080/fred/?api_key=k", "http://127.0.0.1:8080", "/fred"),
        ("https://provinces.open-api.vn", "https://provinces.open-api.vn", "/"),
    ],
)
def test_an_endpoint_is_its_scheme_and_host_and_its_path(url: str, namespace: str, name: str) -> None:
    assert endpoint(url) == DatasetRef(namespace, name)


def test_lake_and_warehouse_names() -> None:
    assert lake_dataset("/data/lake", "bronze/a/b") == DatasetRef("file:///data/lake", "bronze/a/b")
    assert lake_dataset("s3://bucket/pre/fix", "bronze/a/b") == DatasetRef("s3://bucket", "pre/fix/bronze/a/b")
    assert lake_dataset("s3://bucket", "raw/a") == DatasetRef("s3://bucket", "raw/a")
    assert table("trino://trino:8080", "iceberg", "gold", "dim_location").name == "iceberg.gold.dim_location"


def _client_event(event_type: str, lineage: Lineage, error: str | None) -> str:
    """The reference: the same event built with the openlineage-python client's model and serialized by it."""
    from openlineage.client.event_v2 import InputDataset, Job, OutputDataset, Run, RunEvent, RunState
    from openlineage.client.generated import data_quality_assertions_dataset as dq
    from openlineage.client.generated import error_message_run, job_type_job, parent_run
    from openlineage.client.serde import Serde

    run_id, task = "local-20261205T070000Z", "validate-bronze"
    facets: dict[str, object] = {
        "parent": parent_run.ParentRunFacet(
            run=parent_run.Run(runId=run_uuid("tributary", run_id)),
            job=parent_run.Job(namespace="tributary", name="tributary.pipeline"),
        )
    }
    if error is not None:
        facets["errorMessage"] = error_message_run.ErrorMessageRunFacet(message=error, programmingLanguage="python")

    def one_input(ds: DatasetRef) -> InputDataset:
        if not ds.assertions:
            return InputDataset(namespace=ds.namespace, name=ds.name)
        checks = [dq.Assertion(assertion=a.assertion, success=a.success, column=a.column) for a in ds.assertions]
        facet = dq.DataQualityAssertionsDatasetFacet(assertions=checks)
        return InputDataset(namespace=ds.namespace, name=ds.name, inputFacets={"dataQualityAssertions": facet})

    job_type = job_type_job.JobTypeJobFacet(processingType="BATCH", integration="TRIBUTARY", jobType="TASK")
    event = RunEvent(
        eventType=RunState[event_type],
        eventTime=WHEN.isoformat(),
        run=Run(runId=run_uuid("tributary", run_id, task), facets=facets),  # type: ignore[arg-type]
        job=Job(namespace="tributary", name=f"tributary.{task}", facets={"jobType": job_type}),
        inputs=[one_input(ds) for ds in lineage.inputs],
        outputs=[OutputDataset(namespace=ds.namespace, name=ds.name) for ds in lineage.outputs],
        producer="https://github.com/tributary/tributary/tree/main/steps/lineage",
    )
    return str(Serde.to_json(event))


@pytest.mark.parametrize("event_type", ["START", "COMPLETE", "FAIL"])
def test_events_are_exactly_the_json_the_openlineage_client_writes(event_type: str) -> None:
    lineage = Lineage()
    if event_type != "START":
        checks = (Assertion("expect_table_row_count_to_equal", True), Assertion("expect_x", False, "year"))
        lineage.read(DatasetRef("file:///lake", "bronze/worldbank/indicator_values", checks))
        lineage.read(DatasetRef("file:///lake", "bronze/vn_provinces/wards"))
        lineage.wrote(DatasetRef("file:///lake", "state/_gate_bronze.json"))
    error = "the gate failed: 3 rows" if event_type == "FAIL" else None
    ours = _built(event_type, error, lineage, task="validate-bronze")
    assert to_json(ours) == _client_event(event_type, lineage, error)
