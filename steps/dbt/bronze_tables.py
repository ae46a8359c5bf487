"""Bronze as Trino tables: the ``hive`` catalog's external tables over the bronze prefix, partitions synced.

On the ``trino`` target dbt reads bronze as ``hive.bronze_<source>.<dataset>`` (see ``dbt/macros/bronze_source``).
Before silver is built, this module declares those tables from the same Arrow schemas the ingest stage writes
(one source of truth for the columns) and registers the ``ingest_date=…`` partitions the ingests added. The
statements are idempotent. DuckDB needs none of this: it reads the Parquet files directly.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

import pyarrow as pa

from steps import layout
from steps.config import PipelineConfig
from steps.errors import ConfigError, TransientError
from steps.ingest.bronze import bronze_schema
from steps.lake import Lake
from steps.sources import build_source
from steps.sources.base import Dataset

log = logging.getLogger(__name__)

CATALOG = "hive"
PARTITION = "ingest_date"


def trino_type(arrow: pa.DataType) -> str:
    """The Hive-connector column type of an Arrow type (Hive tables have no time zone types)."""
    if pa.types.is_string(arrow) or pa.types.is_large_string(arrow):
        return "varchar"
    if pa.types.is_boolean(arrow):
        return "boolean"
    if pa.types.is_int8(arrow) or pa.types.is_int16(arrow) or pa.types.is_int32(arrow):
        return "integer"
    if pa.types.is_int64(arrow):
        return "bigint"
    if pa.types.is_floating(arrow):
        return "double"
    if pa.types.is_date(arrow):
        return "date"
    if pa.types.is_timestamp(arrow):
        return "timestamp(6)"
    if pa.types.is_decimal(arrow):
        return f"decimal({arrow.precision}, {arrow.scale})"
    raise ConfigError(f"no Trino type for Arrow type {arrow}", "extend steps/dbt/bronze_tables.trino_type")


def _s3a(lake: Lake, rel: str) -> str:
    # The metastore creates locations through Hadoop's S3A file system: s3a:// works without extra mapping.
    return lake.uri(rel).replace("s3://", "s3a://", 1)


def ddl(lake: Lake, source: str, dataset: Dataset) -> list[str]:
    """CREATE SCHEMA / CREATE TABLE / partition sync for one bronze dataset."""
    if lake.is_local:
        raise ConfigError("the trino target needs the lake on S3", "set TRIBUTARY_LAKE to s3://bucket")
    schema = f"bronze_{source}"
    columns = ",\n  ".join(f'"{f.name}" {trino_type(f.type)}' for f in bronze_schema(dataset))
    return [
        f"CREATE SCHEMA IF NOT EXISTS {CATALOG}.{schema} WITH (location = '{_s3a(lake, f'bronze/{source}')}')",
        f"CREATE TABLE IF NOT EXISTS {CATALOG}.{schema}.{dataset.name} (\n  {columns},\n  \"{PARTITION}\" varchar\n)"
        f" WITH (external_location = '{_s3a(lake, layout.bronze_dataset_dir(source, dataset.name))}',"
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
