"""Bronze exposed to Trino: the DDL generated from the datasets' declared columns parses as Trino SQL."""

import re

import pytest
import sqlglot

from steps.config import load_config
from steps.dbt.bronze_tables import ddl, statements, trino_type
from steps.errors import ConfigError
from steps.lake import Lake
from steps.sources.worldbank import INDICATOR_VALUES


def test_every_enabled_dataset_gets_schema_table_and_partition_sync() -> None:
    sqls = statements(Lake("s3://lake/prefix"), load_config())
    tables = [s for s in sqls if s.startswith("CREATE TABLE")]
    assert len(tables) == 4  # worldbank.indicator_values + provinces, districts, wards
    for sql in sqls:
        if sql.startswith("CALL"):
            assert re.fullmatch(r"CALL hive\.system\.sync_partition_metadata\(schema_name => '\w+', "
                                r"table_name => '\w+', mode => 'FULL'\)", sql)
        else:
            assert sqlglot.parse_one(sql, read="trino") is not None


def test_worldbank_table_matches_the_bronze_files() -> None:
    create = ddl(Lake("s3://lake"), "worldbank", INDICATOR_VALUES)[1]
    assert "hive.bronze_worldbank.indicator_values" in create
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
