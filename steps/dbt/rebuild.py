"""Rebuild silver and gold from the lake alone, gold's SCD2 history included.

Silver keeps each key's latest delivery, so building it once from every committed file gives what the incremental
runs gave. Gold's snapshots (``snp_locations``) are different: each build records the versions it sees, so their
history exists only in the warehouse. To rebuild it, the committed deliveries are replayed in ingest order: bronze
as it stood after each ingest run (:func:`steps.dbt.committed.replay_steps`) is built into silver and snapshotted,
exactly as the pipeline's runs did. The versions come out the same; their ``effective_from``/``effective_to``
are the replay's times, as a snapshot stamps its own clock.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from steps.dbt.committed import Delivery, bronze_files_env, bronze_index, replay_steps
from steps.dbt.runner import DbtProject, LayerBuild, dbt_build
from steps.errors import ConfigError, TransientError
from steps.lake import Lake

log = logging.getLogger(__name__)

LAYER_SCHEMAS = ("silver", "gold")  # dbt's layer schemas (macros/generate_schema_name.sql)
SNAPSHOTS = "resource_type:snapshot,tag:gold"  # gold's history: every snapshot


def warehouse_tables(path: Path) -> set[str] | None:
    """``schema.table`` of every table and view in the layer schemas of a DuckDB warehouse; None: no file."""
    if not path.exists():
        return None
    import duckdb

    try:
        with duckdb.connect(str(path), read_only=True) as con:
            # Filtered here, not by a bound parameter: binding a Python value makes duckdb import pandas (half a
            # second), and this runs in every dbt task, those with nothing to build too.
            rows = con.execute("select table_schema, table_name from information_schema.tables").fetchall()
    except duckdb.IOException as exc:  # held by another process: a rebuild decision cannot be made now
        raise TransientError(
            f"warehouse {path} cannot be opened ({exc})", "wait for the other run, then retry"
        ) from None
    return {f"{schema}.{table}" for schema, table in rows if schema in LAYER_SCHEMAS}


def missing_layer(tables: set[str] | None, layer: str) -> bool:
    """Whether the warehouse lacks ``layer`` entirely (no file, or no table in the layer's schema)."""
    return tables is None or not any(t.startswith(f"{layer}.") for t in tables)


def drop_layers(path: Path, schemas: tuple[str, ...] = LAYER_SCHEMAS) -> None:
    """Drop layer schemas of a DuckDB warehouse, both by default (a rebuild starts from nothing)."""
    if not path.exists():
        return
    import duckdb

    with duckdb.connect(str(path)) as con:
        for schema in schemas:
            con.execute(f'drop schema if exists "{schema}" cascade')


def replay(lake: Lake, project: DbtProject, committed: list[Delivery]) -> tuple[int, LayerBuild]:
    """Build silver and snapshot gold once per ingest run of ``committed``, in order.

    Returns how many ingest runs were replayed and the last silver build.

    The warehouse must hold neither layer (:func:`drop_layers`). Afterwards silver is built from every committed
    file and the snapshots hold the history; the caller builds gold's models.
    """
    if project.target != "local":
        raise ConfigError(
            f"rebuilding gold's history is implemented for the local target only, not {project.target}",
            "rebuild on the local target, or restore the Iceberg tables from their snapshots",
        )
    steps = replay_steps(committed)
    silver = LayerBuild(success=True)
    for i, step in enumerate(steps, 1):
        log.info("replaying ingest", extra={"step": i, "of": len(steps), "run": step[-1].run_id})
        os.environ.update(bronze_files_env(bronze_index(lake, step)))
        silver = dbt_build(project, "silver")
        dbt_build(project, "gold", select=SNAPSHOTS)
    os.environ.update(bronze_files_env(bronze_index(lake, committed)))
    return len(steps), silver
