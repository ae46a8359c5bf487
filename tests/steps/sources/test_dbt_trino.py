"""The new sources' models compile for the ``trino`` target and parse as Trino SQL (no Trino needed).

Relation lookups are stubbed to report existing tables (tests/dbt/trino_compile.py), so incremental models
compile their incremental branch and bronze_source() picks the Hive table.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.dbt.trino_compile import compile_for_trino, not_trino_sql

NEW = ["fred", "eia", "noaa", "app_db", "fx_files"]


@pytest.fixture(scope="module")
def compiled(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    workdir: Path = tmp_path_factory.mktemp("trino-new")
    return compile_for_trino(
        workdir, "--vars", "{tributary_sources: [worldbank, vn_provinces, fred, eia, noaa, app_db, fx_files]}"
    )


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
    assert not_trino_sql(compiled) == []


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
