"""Bronze as Trino tables: the ``hive`` catalog's external tables over the bronze prefix, partitions synced.

On the ``trino`` target dbt reads bronze as ``hive.bronze_<source>.<dataset>`` (see ``dbt/macros/bronze_source``).
Before silver is built, this module declares those tables from the same declared columns the ingest stage writes
(one source of truth for the columns; ``steps/columns.py``, no pyarrow) and registers the ``ingest_date=…``
partitions the ingests added. The statements are idempotent. DuckDB needs none of this: it reads the Parquet
files directly.
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


def ddl(lake: Lake, source: str, dataset: Dataset) -> list[str]:
    """CREATE SCHEMA / CREATE TABLE / partition sync for one bronze dataset."""
    if lake.is_local:
        raise ConfigError("the trino target needs the lake on S3", "set TRIBUTARY_LAKE to s3://bucket")
    schema = f"bronze_{source}"
    columns = ",\n  ".join(f'"{name}" {trino_type(spelling)}' for name, spelling in bronze_columns(dataset.columns))
    return [
        f"CREATE SCHEMA IF NOT EXISTS {CATALOG}.{schema} WITH (location = {_literal(_s3a(lake, f'bronze/{source}'))})",
        f"CREATE TABLE IF NOT EXISTS {CATALOG}.{schema}.{dataset.name} (\n  {columns},\n  \"{PARTITION}\" varchar\n)"
        f" WITH (external_location = {_literal(_s3a(lake, layout.bronze_dataset_dir(source, dataset.name)))},"
        f" format = 'PARQUET', partitioned_by = ARRAY['{PARTITION}'])",
        f"CALL {CATALOG}.system.sync_partition_metadata("
        f"schema_name => '{schema}', table_name => '{dataset.name}', mode => 'FULL')",
    ]


def statements(lake: Lake, config: PipelineConfig) -> list[str]:
    """Every statement that exposes the enabled sources' bronze to Trino."""
    out: list[str] = []
    for name in config.enabled_sources():
        source = build_source(name, config)
        for dataset in source.datasets:
            out += ddl(lake, name, dataset)
    return out


def apply(sqls: Iterable[str], connect: Any) -> int:
    """Run the statements on a DB-API connection factory (``trino.dbapi.connect``); returns how many ran."""
    count = 0
    try:
        con = connect()
        cur = con.cursor()
        for sql in sqls:
            cur.execute(sql)
            cur.fetchall()
            count += 1
    except Exception as exc:  # noqa: BLE001 - any driver error: the warehouse is not usable right now
        raise TransientError(f"exposing bronze to Trino failed: {exc}", "check Trino and the metastore") from None
    log.info("bronze tables synced", extra={"statements": count})
    return count
