"""The project compiles for the `trino` target, and every compiled statement is valid Trino SQL.

No Trino is needed: see tests/dbt/trino_compile.py for how relations are stubbed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.dbt.trino_compile import compile_for_trino, not_trino_sql


@pytest.fixture(scope="module")
def compiled_nodes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    workdir: Path = tmp_path_factory.mktemp("trino")
    return compile_for_trino(workdir)


def test_every_model_snapshot_and_data_test_compiles(compiled_nodes: dict[str, Any]) -> None:
    kinds = {unique_id.split(".")[0] for unique_id in compiled_nodes}
    assert kinds == {"operation", "model", "snapshot", "test"}
    assert {node.name for node in compiled_nodes.values() if node.resource_type == "model"} == {
        "stg_worldbank__indicator_values",
        "stg_vn_provinces__provinces",
        "stg_vn_provinces__districts",
        "stg_vn_provinces__wards",
        "int_locations_unioned",
        "dim_macro_indicators",
        "dim_location",
    }


def test_the_bronze_views_hook_is_a_no_op_on_trino(compiled_nodes: dict[str, Any]) -> None:
    # On Trino the dbt stage declares Hive external tables; the DuckDB views must not be attempted there.
    hooks = [node for node in compiled_nodes.values() if node.resource_type == "operation"]
    assert [hook.compiled_code.strip() for hook in hooks] == [""]


def test_compiled_sql_parses_as_trino(compiled_nodes: dict[str, Any]) -> None:
    assert not_trino_sql(compiled_nodes) == []


def test_sources_resolve_to_hive_bronze_tables(compiled_nodes: dict[str, Any]) -> None:
    staging = {node.name: node.compiled_code for node in compiled_nodes.values() if node.name.startswith("stg_")}
    assert '"hive"."bronze_worldbank"."indicator_values"' in staging["stg_worldbank__indicator_values"]
    for dataset in ("provinces", "districts", "wards"):
        sql = staging[f"stg_vn_provinces__{dataset}"]
        assert f'"hive"."bronze_vn_provinces"."{dataset}"' in sql
        assert "read_parquet" not in sql
        # The incremental branch: only rows ingested after what the model holds.
        assert f'from "iceberg"."silver"."stg_vn_provinces__{dataset}"' in sql
        assert "timestamp(6) with time zone" in sql


def test_models_land_in_the_silver_and_gold_schemas(compiled_nodes: dict[str, Any]) -> None:
    schemas = {node.name: (node.database, node.schema) for node in compiled_nodes.values()}
    assert schemas["stg_vn_provinces__wards"] == ("iceberg", "silver")
    assert schemas["int_locations_unioned"] == ("iceberg", "silver")
    assert schemas["snp_locations"] == ("iceberg", "gold")
    assert schemas["dim_location"] == ("iceberg", "gold")
    assert schemas["dim_macro_indicators"] == ("iceberg", "gold")
