"""Names the cluster and the stages share: the stages, the ConfigMap and Secrets, and how DAG tasks are named.

The Argo side (``workflows/argo``), the local runner (``workflows/local``) and the stages all read them here, so
a rename happens once. Nothing here imports more than the standard library: every stage image ships it.
"""

from __future__ import annotations

# One ``python -m steps.<stage>`` package and one image per stage (images/stage/Dockerfile, skaffold.yaml).
STAGES = ("verify", "freshness", "ingest", "validate", "dbt", "summary")

# The ConfigMap every pod gets through ``envFrom``, and its key holding the pipeline configuration file.
CONFIG_MAP = "tributary-config"
CONFIG_KEY = "pipeline.yaml"

# Names of Kubernetes Secrets (their values never appear in code or manifests).
LAKE_SECRET = "tributary-lake-credentials"  # noqa: S105 - a Secret's name
TRINO_SECRET = "tributary-trino"  # noqa: S105 - a Secret's name
NOTIFY_SECRET = "tributary-notify"  # noqa: S105 - a Secret's name
SOURCE_SECRET = "tributary-source-credentials"  # noqa: S105 - a Secret's name
WEBHOOK_KEY = "TRIBUTARY_WEBHOOK_URL"  # the notify Secret's key: a Secret, never a ConfigMap value
LINEAGE_SECRET = "tributary-lineage"  # noqa: S105 - a Secret's name
# Its keys: where every task sends its OpenLineage events (Marquez), and the key to send them with (both optional).
LINEAGE_KEYS = ("OPENLINEAGE_URL", "OPENLINEAGE_API_KEY")


# Outputs of the freshness task besides its true/false per source: the backfill's START:END (each ingest task's
# --backfill; empty in a regular run) and whether dbt rebuilds the layers (force, or a backfill). No source may
# take either name.
BACKFILL_RANGE_OUTPUT = "backfill-range"
REBUILD_OUTPUT = "rebuild-layers"

# Workflow parameters of a scheduled run (empty: a manual run): its cron expressions, their zone and its fire time.
SCHEDULE_PARAMETER, TIMEZONE_PARAMETER, SCHEDULED_AT_PARAMETER = "schedule", "timezone", "scheduled-at"


def ingest_task(source: str) -> str:
    """The DAG task (and stage result) name of a source's ingest: Argo task names cannot contain ``_``."""
    return f"ingest-{source.replace('_', '-')}"


# The DAG task that fails a run whose bronze gate held sources back (after every other source was published), and
# the gate's output parameter naming those sources (comma-separated, empty when none): steps.validate.held_back.
HELD_BACK_TASK = "held-back"
HELD_BACK_OUTPUT = "held-back"
