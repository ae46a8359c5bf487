"""The project's macros on their own: the latest-delivery dedupe on literal rows (``dbt show --inline`` on DuckDB),
and which models each enabled source brings (``dbt ls`` with the ``tributary_sources`` var)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from tests.dbt.dbt_runner import DbtProject, Lakehouse

DELIVERIES = """
    select * from (values
        (1, 'Thành phố Hà Nội', 'r1', timestamptz '2026-03-01 08:00:00+00', 'a.csv'),
        (1, 'Hà Nội', 'r2', timestamptz '2026-04-01 08:00:00+00', 'a.csv'),
        (2, 'Tỉnh Hà Giang', 'r1', timestamptz '2026-03-01 08:00:00+00', 'a.csv'),
        (4, 'Cao Bằng (r3a)', 'r3a', timestamptz '2026-03-08 08:00:00+00', 'b.csv'),
        (4, 'Cao Bằng (r3b)', 'r3b', timestamptz '2026-03-08 08:00:00+00', 'a.csv')
    ) as deliveries(code, name, _run_id, _ingested_at, _source_file)
"""


def test_latest_delivery_keeps_each_keys_newest_delivery(house: Lakehouse) -> None:
    rows = house.show(
        f"with source as ({DELIVERIES}), latest as ({{{{ latest_delivery('source', ['code']) }}}})"
        " select code, name, _run_id, delivery_rank from latest order by code",
    )
    # The newest ingest wins; two runs stamped at the same time are ordered by run id; a single delivery stays.
    assert [(r["code"], r["name"], r["_run_id"], r["delivery_rank"]) for r in rows] == [
        (1, "Hà Nội", "r2", 1),
        (2, "Tỉnh Hà Giang", "r1", 1),
        (4, "Cao Bằng (r3b)", "r3b", 1),
    ]


def test_the_warehouse_duckdb_spills_under_the_temp_dir_of_this_process(house: Lakehouse) -> None:
    """The profile's plugin (steps/dbt/duckdb_plugin.py) bounds dbt's DuckDB like the validate stage's."""
    (row,) = house.show("select current_setting('temp_directory') as spill")
    # not DuckDB's default (<warehouse>.tmp beside the file, in the lake): the pod's /tmp, one folder per process
    assert row["spill"] == os.path.join(tempfile.gettempdir(), f"tributary-duckdb-{os.getpid()}")


def test_latest_delivery_takes_another_order(house: Lakehouse) -> None:
    rows = house.show(
        f"with source as ({DELIVERIES}), latest as ("
        "{{ latest_delivery('source', ['code'], order_by=['_source_file desc', '_run_id']) }})"
        " select code, _run_id from latest order by code",
    )
    # e.g. app_db's: the newest version first (updated_at desc), then the delivery order
    assert [(r["code"], r["_run_id"]) for r in rows] == [(1, "r1"), (2, "r1"), (4, "r3a")]


@pytest.mark.parametrize(
    ("sources", "expected"),
    [
        # A staging model comes with the source it reads; the economics marts with any observation source but the
        # World Bank, and a source's conformed model with them.
        (
            ["fred", "noaa"],
            {
                "stg_fred__observations",
                "stg_fred__series",
                "stg_noaa__observations",
                "int_fred__observations_conformed",
                "int_noaa__observations_conformed",
                "fct_economic_observations",
                "dim_series",
            },
        ),
        (["worldbank", "app_db"], {"stg_worldbank__indicator_values", "dim_macro_indicators", "stg_app_db__orders"}),
    ],
)
def test_models_are_enabled_with_their_sources(
    tmp_path: Path, house: Lakehouse, sources: list[str], expected: set[str]
) -> None:
    project = DbtProject(workdir=tmp_path / "dbt")
    result = project.invoke(
        "ls",
        "--resource-type",
        "model",
        "--resource-type",
        "snapshot",
        "--output",
        "name",
        "--vars",
        f"{{tributary_sources: [{', '.join(sources)}]}}",
    )
    assert result.success, f"dbt ls failed: {result.exception!r}"
    assert set(result.result) == expected
