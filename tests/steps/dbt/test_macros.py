"""Which dbt macros the warm-up compiles ahead of a build (steps.dbt.macros)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from steps.dbt.macros import called_macros


def _macro(package: str, name: str, *calls: str) -> tuple[str, Any]:
    unique_id = f"macro.{package}.{name}"
    return unique_id, SimpleNamespace(name=name, package_name=package, depends_on=SimpleNamespace(macros=list(calls)))


def _node(kind: str, materialized: str | None, *calls: str) -> Any:
    return SimpleNamespace(
        resource_type=kind,
        config=SimpleNamespace(materialized=materialized),
        depends_on=SimpleNamespace(macros=list(calls)),
    )


MACROS = dict(
    [
        _macro("shop", "row_hash", "macro.dbt.hash"),
        _macro("dbt", "hash"),  # dispatches: duckdb's implementation is what runs
        _macro("dbt", "default__hash"),
        _macro("dbt_duckdb", "duckdb__hash", "macro.dbt.cast"),
        _macro("dbt", "cast"),
        _macro("dbt", "default__cast"),  # no duckdb__cast: the default runs
        _macro("dbt", "materialization_incremental_default"),
        _macro("dbt_duckdb", "materialization_incremental_duckdb", "macro.dbt.run_hooks"),
        _macro("dbt", "run_hooks"),
        _macro("dbt", "materialization_test_default"),
        _macro("shop", "materialization_test_default"),  # the project's own overrides dbt's
        _macro("dbt", "materialization_snapshot_default"),  # no snapshot in the project
        _macro("dbt", "list_schemas"),  # the adapter calls it from Python
        _macro("dbt_duckdb", "duckdb__list_schemas"),
        _macro("dbt", "get_catalog"),  # docs only
        _macro("shop", "unused_helper"),
    ]
)


def test_the_macros_a_build_calls_are_its_nodes_materializations_dispatches_and_adapter_calls() -> None:
    nodes = [_node("model", "incremental", "macro.shop.row_hash"), _node("test", None)]
    assert called_macros(MACROS, nodes, "shop", "duckdb") == sorted(
        [
            "macro.shop.row_hash",
            "macro.dbt.hash",
            "macro.dbt_duckdb.duckdb__hash",
            "macro.dbt.cast",
            "macro.dbt.default__cast",
            "macro.dbt_duckdb.materialization_incremental_duckdb",
            "macro.dbt.run_hooks",
            "macro.shop.materialization_test_default",
            "macro.dbt.list_schemas",
            "macro.dbt_duckdb.duckdb__list_schemas",
        ]
    )


def test_another_adapter_gets_the_default_materialization() -> None:
    nodes = [_node("model", "incremental")]
    got = called_macros(MACROS, nodes, "shop", "trino")
    assert "macro.dbt.materialization_incremental_default" in got
    assert "macro.dbt_duckdb.materialization_incremental_duckdb" not in got


def test_a_call_to_a_macro_the_manifest_lacks_is_skipped() -> None:
    assert called_macros(MACROS, [_node("model", None, "macro.gone.x")], "shop", "duckdb") == sorted(
        ["macro.dbt.list_schemas", "macro.dbt_duckdb.duckdb__list_schemas"]
    )


def test_a_macro_that_does_not_compile_is_left_to_the_build() -> None:
    from dbt_common.clients.jinja import template_cache

    from steps.dbt.macros import precompile

    def macro(name: str, sql: str) -> Any:
        return SimpleNamespace(
            name=name,
            unique_id=f"macro.shop.{name}",
            package_name="shop",
            macro_sql=sql,
            depends_on=SimpleNamespace(macros=[]),
            original_file_path=f"macros/{name}.sql",
        )

    good = macro("good", "{% macro good() %}select 1{% endmacro %}")
    bad = macro("bad", "{% macro bad() %}{% if %}{% endmacro %}")
    model = SimpleNamespace(
        resource_type="model",
        package_name="shop",
        config=SimpleNamespace(materialized=None),
        depends_on=SimpleNamespace(macros=["macro.shop.good", "macro.shop.bad"]),
    )
    manifest = SimpleNamespace(
        nodes={"model.shop.m": model},
        unit_tests={},
        macros={"macro.shop.good": good, "macro.shop.bad": bad},
        metadata=SimpleNamespace(adapter_type="duckdb"),
    )
    assert precompile(manifest) == 1
    assert good.macro_sql in template_cache.file_cache and bad.macro_sql not in template_cache.file_cache
