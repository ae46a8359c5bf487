"""Where things live in the lake (design.md "Lake layout"): every path any stage reads or writes."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from steps.errors import ConfigError

_RUN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


def check_run_id(run_id: str) -> str:
    """Return ``run_id`` if it is safe to use in object keys, else fail with the rule."""
    if not _RUN_ID.match(run_id):
        raise ConfigError(
            f"run id {run_id!r} is not usable in lake paths",
            "use 1-128 characters from letters, digits, '.', '_' and '-', starting with a letter or digit",
        )
    return run_id


def new_run_id(now: datetime | None = None) -> str:
    """A sortable run id for local runs, e.g. ``local-20261123T151744Z``."""
    return f"local-{(now or datetime.now(UTC)).strftime('%Y%m%dT%H%M%SZ')}"


def raw_dir(source: str, raw_name: str, run_id: str) -> str:
    """Exact response bytes of one run of one stream family."""
    return f"raw/{source}/{raw_name}/{run_id}"


def bronze_dataset_dir(source: str, dataset: str) -> str:
    """All bronze files of one dataset (hive-partitioned by ingest date below it)."""
    return f"bronze/{source}/{dataset}"


def bronze_file(source: str, dataset: str, ingest_date: date, run_id: str) -> str:
    """The bronze Parquet file one run writes for one dataset."""
    return f"{bronze_dataset_dir(source, dataset)}/ingest_date={ingest_date.isoformat()}/{run_id}.parquet"


def manifests_dir(source: str) -> str:
    """Manifests of every committed ingest of a source."""
    return f"bronze/{source}/_manifests"


def manifest(source: str, run_id: str) -> str:
    """The manifest of one ingest: written last, it is what makes that run's bronze files count."""
    return f"{manifests_dir(source)}/{run_id}.json"


def state(source: str) -> str:
    """Per-source state: the last successful ingest."""
    return f"state/{source}.json"


def layer_state(layer: str) -> str:
    """Per-layer state of the warehouse build: which manifests it has consumed."""
    return f"state/_layer_{layer}.json"


def dbt_manifest() -> str:
    """The ``manifest.json`` of the last dbt build: the gold gate reads model and column names from it."""
    return "state/_dbt_manifest.json"


def report_dir(run_id: str) -> str:
    """Everything a run reports."""
    return f"reports/{run_id}"


def stage_result(run_id: str, task: str) -> str:
    """The result record one stage task writes (``ingest-worldbank``, ``dbt-silver``, …)."""
    return f"{report_dir(run_id)}/stages/{task}.json"


def freshness_decisions(run_id: str) -> str:
    """Freshness decisions of a run."""
    return f"{report_dir(run_id)}/freshness.json"
