"""Bronze as Trino relations that read only committed files: an external table over the folder, a view over it.

On the ``trino`` target dbt reads bronze as ``hive.bronze_<source>.<dataset>`` (see ``dbt/macros/bronze_source``).
Before silver is built, this module declares, for every dataset of the enabled sources:

- ``<dataset>__files``: a Hive external table over the dataset's folder (every visible file), from the same
  declared columns the ingest stage writes (``steps/columns.py``, no pyarrow), its ``ingest_date=…`` partitions
  synced;
- ``<dataset>``: a view over that table restricted by the hidden ``"$path"`` column to the files the committed
  manifests name (``steps/dbt/committed.py``), as the DuckDB views are. A file an ingest published but never
  committed (killed before its manifest) or a quarantined batch is in the folder but not in the view. Trino's
  Hive connector prunes splits on a ``"$path"`` IN-list, so the filter also saves reading those files.

A dataset with no committed file gets no view, so ``bronze_exists()`` falls back to an empty relation. The
statements are idempotent; a ``<dataset>`` left as a table by an earlier version is dropped first (an external
table: its files stay).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from steps import layout
from steps.columns import bronze_columns, parse_type
from steps.config import PipelineConfig
from steps.errors import ConfigError, TransientError
from steps.lake import Lake
from steps.sources import build_source
from steps.sources.base import Dataset

log = logging.getLogger(__name__)

CATALOG = "hive"
PARTITION = "ingest_date"
FILES_SUFFIX = "__files"


# Declared type (its name, for the parameterised ones) → Hive-connector column type. Hive tables have no time zone
# types: every timestamp is a timestamp(6).
_TRINO = {
    "string": "varchar",
    "large_string": "varchar",
    "bool": "boolean",
    "int8": "integer",
    "int16": "integer",
    "int32": "integer",
    "int64": "bigint",
    "float32": "double",
    "float64": "double",
    "date32": "date",
    "timestamp": "timestamp(6)",
}


def trino_type(spelling: str) -> str:
    """The Hive-connector column type of a declared column type."""
    parsed = parse_type(spelling)
    if parsed.name in _TRINO:
        return _TRINO[parsed.name]
    if parsed.name == "decimal128":
        return f"decimal({parsed.precision}, {parsed.scale})"
    raise ConfigError(f"no Trino type for column type {spelling}", "extend steps/dbt/bronze_tables.trino_type")


def _s3a(lake: Lake, rel: str) -> str:
    # The metastore creates locations through Hadoop's S3A file system: s3a:// works without extra mapping.
    return lake.uri(rel).replace("s3://", "s3a://", 1)


def _literal(text: str) -> str:
    """A SQL string literal: quotes doubled, so a lake prefix with an apostrophe stays one literal."""
    return "'" + text.replace("'", "''") + "'"


def files_table(name: str) -> str:
    """The external table of every visible file of a dataset; the dataset's own name is the committed view."""
    return f"{name}{FILES_SUFFIX}"


def path_literals(uris: Iterable[str]) -> list[str]:
    """The ``"$path"`` values of committed files, in both spellings Trino may report for an S3 object.

    The table location is ``s3a://`` (below), and ``"$path"`` reports what the file system listed under it; both
    ``s3a://`` and ``s3://`` are listed so the view does not depend on how a Trino version spells it.
    """
    out: list[str] = []
    for uri in uris:
        key = uri.split("://", 1)[1]
        out += [_literal(f"s3a://{key}"), _literal(f"s3://{key}")]
    return out


def ddl(lake: Lake, source: str, dataset: Dataset, committed: list[str] | None = None) -> list[str]:
    """The statements exposing one bronze dataset: schema, external table, partition sync, committed view.

    ``committed`` is the dataset's committed file URIs (``s3://…``); without any, the view is dropped.
    """
    if lake.is_local:
        raise ConfigError("the trino target needs the lake on S3", "set TRIBUTARY_LAKE to s3://bucket")
    schema = f"bronze_{source}"
    table = files_table(dataset.name)
    declared = bronze_columns(dataset.columns)
    columns = ",\n  ".join(f'"{name}" {trino_type(spelling)}' for name, spelling in declared)
    out = [
        f"CREATE SCHEMA IF NOT EXISTS {CATALOG}.{schema} WITH (location = {_literal(_s3a(lake, f'bronze/{source}'))})",
        f'CREATE TABLE IF NOT EXISTS {CATALOG}.{schema}.{table} (\n  {columns},\n  "{PARTITION}" varchar\n)'
        f" WITH (external_location = {_literal(_s3a(lake, layout.bronze_dataset_dir(source, dataset.name)))},"
        f" format = 'PARQUET', partitioned_by = ARRAY['{PARTITION}'])",
        f"CALL {CATALOG}.system.sync_partition_metadata("
        f"schema_name => '{schema}', table_name => '{table}', mode => 'FULL')",
    ]
    view = f"{CATALOG}.{schema}.{dataset.name}"
    if not committed:
        return [*out, f"DROP VIEW IF EXISTS {view}"]
    names = ", ".join(f'"{name}"' for name, _ in declared) + f', "{PARTITION}"'
    return [
        *out,
        # Names are checked identifiers (source and dataset names), paths quoted literals (path_literals).
        f"CREATE OR REPLACE VIEW {view} AS SELECT {names} FROM {CATALOG}.{schema}.{table}"  # noqa: S608
        f' WHERE "$path" IN ({", ".join(path_literals(committed))})',
    ]


def statements(lake: Lake, config: PipelineConfig, index: dict[str, dict[str, list[str]]]) -> list[str]:
    """Every statement that exposes the enabled sources' committed bronze to Trino.

    ``index`` is ``{source: {dataset: [committed file URI, …]}}`` (:func:`steps.dbt.committed.bronze_index`).
    """
    out: list[str] = []
    for name in config.enabled_sources():
        source = build_source(name, config)
        for dataset in source.datasets:
            out += ddl(lake, name, dataset, index.get(name, {}).get(dataset.name, []))
    return out


# Tables (not views) in the bronze schemas: a dataset declared as a table by an earlier version has the name its
# committed view takes now.
LEGACY_TABLES = (
    f"SELECT table_schema, table_name FROM {CATALOG}.information_schema.tables"  # noqa: S608 - a constant catalog
    " WHERE table_type = 'BASE TABLE' AND table_schema LIKE 'bronze\\_%' ESCAPE '\\'"
)


def legacy_drops(rows: Iterable[tuple[str, str]]) -> list[str]:
    """``DROP TABLE`` for each bronze table that holds a view's name (external: the files stay)."""
    return [f"DROP TABLE {CATALOG}.{schema}.{table}" for schema, table in rows if not str(table).endswith(FILES_SUFFIX)]


def apply(sqls: Iterable[str], connect: Any) -> int:
    """Run the statements on a DB-API connection factory (``trino.dbapi.connect``); returns how many ran.

    Tables left under a view's name by an earlier version are dropped first.
    """
    count = 0
    try:
        con = connect()
        cur = con.cursor()
        cur.execute(LEGACY_TABLES)
        for sql in [*legacy_drops(cur.fetchall()), *sqls]:
            cur.execute(sql)
            cur.fetchall()
            count += 1
    except Exception as exc:  # noqa: BLE001 - any driver error: the warehouse is not usable right now
        raise TransientError(f"exposing bronze to Trino failed: {exc}", "check Trino and the metastore") from None
    log.info("bronze tables synced", extra={"statements": count})
    return count
