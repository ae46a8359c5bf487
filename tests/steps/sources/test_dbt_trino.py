"""The new sources' models compile for the ``trino`` target and parse as Trino SQL (no Trino needed).

Like tests/dbt/test_dbt_trino_compile.py, relation lookups are stubbed to report existing tables, so incremental
models compile their incremental branch and bronze_source() picks the Hive table.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from unittest import mock

import pytest
import sqlglot
from dbt.adapters.contracts.relation import RelationType
from dbt.adapters.trino.impl import TrinoAdapter

from tests.dbt.dbt_runner import DbtProject, node_results

NEW = ["fred", "eia", "noaa", "app_db", "fx_files"]


def _existing_table(adapter: TrinoAdapter, database: str, schema: str, identifier: str) -> Any:
    return adapter.Relation.create(database=database, schema=schema, identifier=identifier, type=RelationType.Table)


def _no_queries(*args: Any, **kwargs: Any) -> Any:
    raise AssertionError(f"dbt tried to query Trino: {args[1:]!r}")


@pytest.fixture(scope="module")
def compiled(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    workdir: Path = tmp_path_factory.mktemp("trino-new")
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
                "--exclude",
                "test_type:unit",
                "--vars",
                "{tributary_sources: [worldbank, vn_provinces, fred, eia, noaa, app_db, fx_files]}",
            )
    assert result.success, f"dbt compile --target trino failed: {result.exception!r}"
    return {node.node.unique_id: node.node for node in node_results(result)}


def test_new_models_compile_and_parse_as_trino(compiled: dict[str, Any]) -> None:
    models = {n.name: n for n in compiled.values() if n.resource_type == "model"}
    for name in (
        "stg_fred__observations",
        "stg_fred__series",
        "stg_eia__observations",
        "stg_noaa__observations",
        "stg_app_db__orders",
        "stg_fx_files__fx_rates",
        "fct_economic_observations",
        "dim_series",
    ):
        assert name in models
    for unique_id, node in compiled.items():
        if node.resource_type == "operation":
            continue  # the bronze-views hook renders nothing on Trino (tests/dbt/test_dbt_trino_compile.py)
        try:
            sqlglot.parse_one(node.compiled_code, read="trino")
        except sqlglot.errors.ParseError as error:
            pytest.fail(f"{unique_id} is not valid Trino SQL: {error}")


def test_new_sources_read_hive_bronze_tables(compiled: dict[str, Any]) -> None:
    sql = {n.name: n.compiled_code for n in compiled.values() if n.resource_type == "model"}
    for source in NEW:
        staging = [code for name, code in sql.items() if name.startswith(f"stg_{source}__")]
        assert staging and all(f'"hive"."bronze_{source}".' in code for code in staging)
        assert not any("read_parquet" in code for code in staging)
    assert "timestamp(6) with time zone" in sql["stg_noaa__observations"]
    schemas = {n.name: (n.database, n.schema) for n in compiled.values() if n.resource_type == "model"}
    assert schemas["fct_economic_observations"] == ("iceberg", "gold")
    assert schemas["stg_eia__observations"] == ("iceberg", "silver")
