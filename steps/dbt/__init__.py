"""dbt stage: ``dbt build`` of one warehouse layer (``silver`` or ``gold``): its models, snapshots and tests.

Reads: committed bronze (through the dbt sources) for silver, silver for gold; ``state/<source>.json`` and
``state/_layer_<layer>.json`` to tell whether anything is new.
Writes: the layer's tables in the warehouse (DuckDB file locally, Iceberg through Trino in the cluster) and
``state/_layer_<layer>.json`` (which ingests and which project version the layer has been built from).
Idempotent: incremental models merge on natural keys; with nothing new the build is skipped (``--force`` builds
anyway). Exit codes: 0 ok, 2 a model or test failed (bad data or SQL), 75 the warehouse is busy or unreachable.
"""

# What the local runner preloads for this stage (workflows/local/warm.py): DuckDB to look at the warehouse; dbt and
# the project's parse (``module:function``, called once imported), in an interpreter of their own, once an ingest
# is coming. dbt reads the tracking switch when it is imported.
PRELOAD = ("duckdb",)
PRELOAD_FOR_WORK = ("dbt.cli.main", "dbt.adapters.duckdb", "steps.dbt.warmup:prepare")
PRELOAD_ENV = {"DO_NOT_TRACK": "true"}
