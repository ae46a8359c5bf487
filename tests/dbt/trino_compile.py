"""Compiling the dbt project for the ``trino`` target without a Trino, for the tests that check its SQL.

``dbt compile`` introspects the warehouse (which relations exist decides ``is_incremental()``), and there is no
Trino here. The adapter's relation lookup is stubbed to report every relation as an existing table, so
incremental models compile their incremental branch (a superset of the full-refresh SQL) and bronze_source()
picks the Hive table, and its column lookup to report a silver table with change detection; any query that would
still reach Trino fails the test.
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


def _existing_table(adapter: TrinoAdapter, database: str, schema: str, identifier: str) -> Any:
    return adapter.Relation.create(database=database, schema=schema, identifier=identifier, type=RelationType.Table)


def _tracked_columns(adapter: TrinoAdapter, relation: Any) -> list[Any]:
    # A silver table built with change detection (dbt/macros/row_changes.sql looks for row_hash).
    return [adapter.Column.create("row_hash", "varchar")]


def _no_queries(*args: Any, **kwargs: Any) -> Any:
    raise AssertionError(f"dbt tried to query Trino: {args[1:]!r}")


def compile_for_trino(workdir: Path, *args: str) -> dict[str, Any]:
    """``dbt compile --target trino <args>`` (unit tests excluded: they need the warehouse's column types);
    the compiled nodes by unique id."""
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
            mock.patch.object(TrinoAdapter, "get_columns_in_relation", _tracked_columns),
            mock.patch(f"{connections}.execute", _no_queries),
            mock.patch(f"{connections}.add_query", _no_queries),
        ):
            result = DbtProject(workdir=workdir, target="trino").invoke(
                "compile", "--no-populate-cache", "--exclude", "test_type:unit", *args
            )
    assert result.success, f"dbt compile --target trino failed: {result.exception!r}"
    return {node.node.unique_id: node.node for node in node_results(result)}


def not_trino_sql(nodes: dict[str, Any]) -> list[str]:
    """The compiled nodes sqlglot cannot parse as Trino SQL, with why. Project hooks are left out: the
    bronze-views hook renders nothing on Trino (tests/dbt/test_dbt_trino_compile.py checks that)."""
    problems = []
    for unique_id, node in nodes.items():
        if node.resource_type == "operation":
            continue
        try:
            sqlglot.parse_one(node.compiled_code, read="trino")
        except sqlglot.errors.ParseError as error:
            problems.append(f"{unique_id} is not valid Trino SQL: {error}")
    return problems
