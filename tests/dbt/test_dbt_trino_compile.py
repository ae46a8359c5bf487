"""The project compiles for the `trino` target, and every compiled statement is valid Trino SQL.

`dbt compile` introspects the warehouse (which relations exist decides `is_incremental()`),
and there is no Trino here. The adapter's relation lookup is stubbed to report every relation
as an existing table, so incremental models compile their incremental branch (a superset of
the full-refresh SQL), and any query that would still reach Trino fails the test.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
import sqlglot
from dbt.adapters.contracts.relation import RelationType
from dbt.adapters.trino.impl import TrinoAdapter

from tests.dbt.dbt_runner import DbtProject, node_results


def _existing_table(adapter: TrinoAdapter, database: str, schema: str, identifier: str) -> Any:
    return adapter.Relation.create(database=database, schema=schema, identifier=identifier, type=RelationType.Table)


def _no_queries(*args: Any, **kwargs: Any) -> Any:
    raise AssertionError(f"dbt tried to query Trino: {args[1:]!r}")


@pytest.fixture(scope="module")
def compiled_nodes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    workdir: Path = tmp_path_factory.mktemp("trino")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("TRIBUTARY_LAKE", "s3://tributary-lake")
        env.setenv("DBT_TRINO_HOST", "trino.invalid")
        env.setenv("DBT_TRINO_PORT", "8080")
        env.setenv("DBT_TRINO_USER", "tributary")
        env.delenv("DBT_TRINO_PASSWORD", raising=False)
        env.setenv("DO_NOT_TRACK", "1")
        connections = "dbt.adapters.trino.connections.TrinoConnectionManager"
        with (
            mock.patch.object(TrinoAdapter, "get_relation", _existing_table),
            mock.patch(f"{connections}.execute", _no_queries),
            mock.patch(f"{connections}.add_query", _no_queries),
        ):
            result = DbtProject(workdir=workdir, target="trino").invoke(
                "compile",
                "--no-populate-cache",
                # Unit tests need the input models' column types from the warehouse.
                "--exclude",
                "test_type:unit",
            )
    assert result.success, f"dbt compile --target trino failed: {result.exception!r}"
    yield {node.node.unique_id: node.node for node in node_results(result)}


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
    for unique_id, node in compiled_nodes.items():
        if node.resource_type == "operation":
            continue  # the hook: nothing to run on Trino (see above)
        try:
            sqlglot.parse_one(node.compiled_code, read="trino")
        except sqlglot.errors.ParseError as error:
            pytest.fail(f"{unique_id} is not valid Trino SQL: {error}")


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
