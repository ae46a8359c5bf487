"""Bronze exposed to Trino: external tables over the folders, views restricted to the committed files."""

import re
from pathlib import Path

import duckdb
import pytest
import sqlglot

from steps.config import load_config
from steps.dbt.bronze_tables import LEGACY_TABLES, ddl, legacy_drops, statements, trino_type
from steps.errors import ConfigError
from steps.lake import Lake
from steps.sources.worldbank import INDICATOR_VALUES

COMMITTED = "s3://lake/bronze/worldbank/indicator_values/ingest_date=2026-12-01/run-a.parquet"


def test_every_enabled_dataset_gets_table_partition_sync_and_committed_view() -> None:
    index = {"worldbank": {"indicator_values": [COMMITTED]}}
    sqls = statements(Lake("s3://lake"), load_config(), index)
    tables = [s for s in sqls if s.startswith("CREATE TABLE")]
    assert len(tables) == 4  # worldbank.indicator_values + provinces, districts, wards
    assert all(re.search(r"hive\.bronze_\w+\.\w+__files \(", s) for s in tables)
    views = [s for s in sqls if s.startswith("CREATE OR REPLACE VIEW")]
    assert [v.split()[4] for v in views] == ["hive.bronze_worldbank.indicator_values"]
    dropped = [s for s in sqls if s.startswith("DROP VIEW")]
    assert len(dropped) == 3  # the provinces datasets have no committed file: no view, bronze_exists() is false
    for sql in sqls:
        if sql.startswith("CALL"):
            assert re.fullmatch(
                r"CALL hive\.system\.sync_partition_metadata\(schema_name => '\w+', "
                r"table_name => '\w+__files', mode => 'FULL'\)",
                sql,
            )
        else:
            assert sqlglot.parse_one(sql, read="trino") is not None


def test_view_names_exactly_the_committed_files_in_both_spellings() -> None:
    view = ddl(Lake("s3://lake"), "worldbank", INDICATOR_VALUES, [COMMITTED])[-1]
    paths = re.findall(r"'([^']+)'", view.split('"$path" IN', 1)[1])
    key = COMMITTED.removeprefix("s3://")
    assert paths == [f"s3a://{key}", f"s3://{key}"]
    assert "FROM hive.bronze_worldbank.indicator_values__files" in view
    assert '"ingest_date"' in view and "read_parquet" not in view and "*" not in view


def test_committed_path_with_an_apostrophe_stays_one_literal() -> None:
    odd = "s3://lake/o'brien/bronze/worldbank/indicator_values/ingest_date=2026-12-01/run-a.parquet"
    view = ddl(Lake("s3://lake/o'brien"), "worldbank", INDICATOR_VALUES, [odd])[-1]
    assert "'s3a://lake/o''brien/bronze/" in view
    assert sqlglot.parse_one(view, read="trino") is not None


def test_view_filter_reads_only_committed_files(tmp_path: Path) -> None:
    """The view's WHERE clause, run for real: a published but uncommitted file in the folder stays out.

    DuckDB stands in for Trino's scan: the files table is the folder's rows with ``"$path"`` as Trino reports it
    (``s3a://`` under the table location); the view's SQL is Trino's, transpiled.
    """
    folder = tmp_path / "indicator_values"
    folder.mkdir()
    con = duckdb.connect()
    for run, rows in (("run-a", 33), ("run-crashed", 5)):
        con.execute(f"COPY (SELECT range AS year FROM range({rows})) TO '{folder / run}.parquet' (FORMAT PARQUET)")
    con.execute("CREATE SCHEMA bronze_worldbank")
    con.execute(
        "CREATE TABLE bronze_worldbank.indicator_values__files AS SELECT year, "
        "'s3a://lake/bronze/worldbank/indicator_values/ingest_date=2026-12-01/' "
        '|| parse_filename(filename) AS "$path" '
        f"FROM read_parquet('{folder}/*.parquet', filename = true)"
    )
    view = ddl(Lake("s3://lake"), "worldbank", INDICATOR_VALUES, [COMMITTED])[-1]
    where = view.split(" WHERE ", 1)[1]
    query = f"SELECT count(*) FROM hive.bronze_worldbank.indicator_values__files WHERE {where}"
    sql = sqlglot.transpile(query, read="trino", write="duckdb")[0].replace("hive.", "")
    assert con.execute(sql).fetchone() == (33,)


def test_tables_left_under_a_view_name_are_dropped_first() -> None:
    assert sqlglot.parse_one(LEGACY_TABLES, read="trino") is not None
    rows = [("bronze_worldbank", "indicator_values"), ("bronze_worldbank", "indicator_values__files")]
    assert legacy_drops(rows) == ["DROP TABLE hive.bronze_worldbank.indicator_values"]


def test_worldbank_table_matches_the_bronze_files() -> None:
    create = ddl(Lake("s3://lake"), "worldbank", INDICATOR_VALUES)[1]
    assert "hive.bronze_worldbank.indicator_values__files" in create
    assert "external_location = 's3a://lake/bronze/worldbank/indicator_values'" in create
    assert '"year" integer' in create and '"value" double' in create and '"last_updated" date' in create
    assert '"_ingested_at" timestamp(6)' in create and "partitioned_by = ARRAY['ingest_date']" in create


def test_type_mapping_and_refusals() -> None:
    assert trino_type("int64") == "bigint" and trino_type("decimal128(12, 2)") == "decimal(12, 2)"
    assert trino_type("timestamp[us, tz=UTC]") == trino_type("timestamp[us]") == "timestamp(6)"
    with pytest.raises(ConfigError, match="no Trino type"):
        trino_type("list<item: int32>")
    with pytest.raises(ConfigError, match="needs the lake on S3"):
        ddl(Lake("/tmp/lake"), "worldbank", INDICATOR_VALUES)
