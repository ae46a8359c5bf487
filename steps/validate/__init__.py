"""Validate stage: Great Expectations gates on the bronze batch just ingested and on the finished gold tables.

``python -m steps.validate --suite bronze --run-id ID`` runs after the ingests and before dbt silver; ``--suite
gold`` runs after dbt gold and before the summary. The expectation suites are reviewed YAML files under
``steps/validate/suites/<gate>/`` (one per dataset); values that depend on the configuration or the batch (years,
API totals, parent codes) are GX suite parameters (``{$PARAMETER: name}``) filled in at run time
(:mod:`steps.validate.params`).

Reads: the pipeline configuration; for bronze the run's manifests ``bronze/<source>/_manifests/<run_id>.json`` and
the Parquet files they name; for gold the warehouse (DuckDB file, or Trino through SQLAlchemy).
Writes: ``reports/<run_id>/gx/<gate>/`` (one validation result JSON per dataset, ``outcome.json``, and the Data
Docs site with its ``index.html``). When the bronze gate fails it also rejects the failing sources' batches: the
files and the manifest move to ``quarantine/<source>/<run_id>/`` and ``state/<source>.json`` is restored to what it
was before the ingest (:mod:`steps.validate.quarantine`).
Idempotent: the same inputs give the same verdict; re-running a rejected run fails again with the recorded reason.
Exit codes: 0 the gate passed (or there was nothing new, or the bronze gate held some sources back: their names are
in its ``held-back`` output, :mod:`steps.validate.held_back`), 2 the gate failed (for bronze: every enabled source
rejected), the configuration is bad, or ``--held-back`` reports held-back sources, 75 the lake or the warehouse is
unreachable.
Great Expectations takes seconds to import: only this stage imports it, and only inside the functions that run it.
"""

# What the local runner preloads for this stage (workflows/local/warm.py): nothing beyond the stage runtime when a
# gate has nothing to check; Great Expectations (imported as the stage imports it, steps/validate/gx_import.py), in an
# interpreter of its own, once an ingest is coming, with the Data Docs templates compiled (docs_views.py). GX reads
# the analytics switch when it is imported; pyarrow its memory pool when it loads: the system allocator gives the
# bronze gate's freed chunks back, where pyarrow's default pool kept them while DuckDB counted keys beside them
# (make bench: peak RSS +12% from 2 M to 10 M rows instead of +38%). ``python -m steps.validate`` sets both itself.
PRELOAD: tuple[str, ...] = ()
PRELOAD_FOR_WORK = ("steps.validate.gx_import:import_gx", "steps.validate.docs_views:compile_templates")
PRELOAD_ENV = {"GX_ANALYTICS_ENABLED": "false", "ARROW_DEFAULT_MEMORY_POOL": "system"}
