"""The dbt project end to end on DuckDB: bronze Parquet in, silver and gold out.

One warehouse goes through three ingests, each followed by the pipeline's two dbt stages
(`dbt build --select tag:silver`, then `tag:gold`):

1. first ingest: World Bank 2014-2024 and the pre-reform administrative units (API v1);
2. a forced re-ingest of the same data (plus a World Bank revision of one figure);
3. the post-reform units (API v2).

Then silver is rebuilt from every delivery at once (``--full-refresh``), as ``tributary rebuild`` does.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass
from typing import Any

import pyarrow.parquet as pq
import pytest

from tests.dbt.bronze_fixtures import (
    IngestRun,
    worldbank_csv_values,
    write_hidden_temp_files,
    write_provinces_v1,
    write_provinces_v2,
    write_uncommitted_file,
    write_worldbank,
)
from tests.dbt.dbt_runner import Lakehouse

FIRST = IngestRun("20260301T080000Z-first", dt.datetime(2026, 3, 1, 8, 0, tzinfo=dt.UTC))
REINGEST = IngestRun("20260308T080000Z-forced", dt.datetime(2026, 3, 8, 8, 0, tzinfo=dt.UTC))
REVISION = IngestRun("20260308T090000Z-revised", dt.datetime(2026, 3, 8, 9, 0, tzinfo=dt.UTC))
REFORM = IngestRun("20260401T080000Z-reform", dt.datetime(2026, 4, 1, 8, 0, tzinfo=dt.UTC))

YEARS = range(2014, 2025)
INDICATOR_COLUMNS = {
    "gdp_usd": "NY.GDP.MKTP.CD",
    "inflation_pct": "FP.CPI.TOTL.ZG",
    "unemployment_pct": "SL.UEM.TOTL.ZS",
}
REVISED_GDP_2024 = 480_000_000_000.0

SILVER_TABLES = (
    "stg_worldbank__indicator_values",
    "stg_vn_provinces__provinces",
    "stg_vn_provinces__districts",
    "stg_vn_provinces__wards",
    "int_locations_unioned",
)

# Each staging model with its unique key: change detection is compared key by key.
STAGING_KEYS = {
    "stg_worldbank__indicator_values": "observation_id",
    "stg_vn_provinces__provinces": "province_code",
    "stg_vn_provinces__districts": "district_code",
    "stg_vn_provinces__wards": "ward_code",
}
REVISED_KEY = "VNM-NY.GDP.MKTP.CD-2024"

PRE_REFORM = {"province": 63, "district": 696, "ward": 10_051}
POST_REFORM = {"province": 34, "ward": 3_321}


@dataclass
class Stage:
    """What the pipeline's two dbt stages returned after one ingest, and the tables they left."""

    silver_results: list[Any]
    gold_results: list[Any]
    silver_counts: dict[str, int]
    dim_location: dict[str, dict[str, Any]]  # by location_version_id
    dim_macro_indicators: dict[int, dict[str, Any]]  # VNM rows by year
    history: dict[str, dict[Any, dict[str, Any]]]  # staging model -> key -> change-detection columns


def change_history(house: Lakehouse) -> dict[str, dict[Any, dict[str, Any]]]:
    """Per staging model and key: row_hash, run_id, first_seen_at, last_changed_at and ingested_at."""
    return {
        table: {
            row.pop("row_key"): row
            for row in house.query(
                f"select {key} as row_key, row_hash, run_id, first_seen_at, last_changed_at, ingested_at"
                f" from silver.{table}"
            )
        }
        for table, key in STAGING_KEYS.items()
    }


def run_dbt_stages(house: Lakehouse) -> Stage:
    silver = house.dbt.build("tag:silver")
    gold = house.dbt.build("tag:gold")
    return Stage(
        silver_results=silver,
        gold_results=gold,
        history=change_history(house),
        silver_counts={table: house.scalar(f"select count(*) from silver.{table}") for table in SILVER_TABLES},
        dim_location={row["location_version_id"]: row for row in house.query("select * from gold.dim_location")},
        dim_macro_indicators={
            row["year"]: row
            for row in house.query("select * from gold.dim_macro_indicators where country_iso3 = 'VNM'")
        },
    )


@pytest.fixture(scope="module")
def first_stage(lakehouse: Lakehouse) -> Stage:
    write_worldbank(lakehouse.lake, FIRST, YEARS)
    write_provinces_v1(lakehouse.lake, FIRST)
    write_hidden_temp_files(lakehouse.lake, FIRST)
    write_uncommitted_file(lakehouse.lake, FIRST)
    return run_dbt_stages(lakehouse)


@pytest.fixture(scope="module")
def reingest_stage(lakehouse: Lakehouse, first_stage: Stage) -> Stage:
    # Two World Bank runs land before dbt runs again: both must be read in one incremental
    # batch and the later one must win.
    write_worldbank(lakehouse.lake, REINGEST, YEARS)
    write_worldbank(lakehouse.lake, REVISION, YEARS, revisions={("NY.GDP.MKTP.CD", 2024): REVISED_GDP_2024})
    write_provinces_v1(lakehouse.lake, REINGEST)
    return run_dbt_stages(lakehouse)


@pytest.fixture(scope="module")
def reform_stage(lakehouse: Lakehouse, reingest_stage: Stage) -> Stage:
    write_provinces_v2(lakehouse.lake, REFORM)
    return run_dbt_stages(lakehouse)


def count_by_level(rows: dict[str, dict[str, Any]], **conditions: Any) -> dict[str, int]:
    counts: dict[str, int] = {}
    for row in rows.values():
        if all(row[column] == value for column, value in conditions.items()):
            counts[row["location_level"]] = counts.get(row["location_level"], 0) + 1
    return counts


# -- 1. first ingest -------------------------------------------------------------------------


def test_first_run_builds_silver_then_gold(first_stage: Stage) -> None:
    silver_nodes = {result.node.resource_type for result in first_stage.silver_results}
    gold_nodes = {result.node.resource_type for result in first_stage.gold_results}
    # "operation": the on-run-start hook that declares the bronze views, run before every build
    assert silver_nodes == {"operation", "model", "test"}
    assert gold_nodes == {"operation", "model", "snapshot", "test", "unit_test"}


def test_bronze_tables_are_warehouse_views_over_the_lake_files(lakehouse: Lakehouse, first_stage: Stage) -> None:
    views = {
        (row["schema_name"], row["view_name"]): row["sql"]
        for row in lakehouse.query("select schema_name, view_name, sql from duckdb_views() where not internal")
    }
    # One view per bronze table of the enabled sources (the hook ran before the build), over the files the
    # manifests commit as a list, never a glob: neither hidden temp files nor a visible uncommitted file are read.
    assert set(views) == {
        ("bronze_worldbank", "indicator_values"),
        ("bronze_vn_provinces", "provinces"),
        ("bronze_vn_provinces", "districts"),
        ("bronze_vn_provinces", "wards"),
    }
    assert "*.parquet" not in views[("bronze_vn_provinces", "provinces")]
    assert "list_value('" in views[("bronze_vn_provinces", "provinces")]
    assert "-crashed.parquet" not in views[("bronze_vn_provinces", "provinces")]
    files = [
        p
        for p in (lakehouse.lake / "bronze/vn_provinces/provinces").glob("*/*.parquet")
        if p.name[0] not in "._" and not p.name.endswith("-crashed.parquet")
    ]
    expected = sum(pq.ParquetFile(path).metadata.num_rows for path in files)
    assert lakehouse.scalar("select count(*) from bronze_vn_provinces.provinces") == expected > 0


def test_first_run_macro_indicators_equal_the_csv(first_stage: Stage) -> None:
    csv = worldbank_csv_values()
    rows = first_stage.dim_macro_indicators
    assert sorted(rows) == list(YEARS)
    for year, row in rows.items():
        assert row["macro_indicator_id"] == f"VNM-{year}"
        assert row["country_name"] == "Viet Nam"
        for column, indicator_id in INDICATOR_COLUMNS.items():
            value = csv[(indicator_id, year)]
            # 2013 was not ingested: the first year has no previous value.
            previous = csv[(indicator_id, year - 1)] if year - 1 in YEARS else None
            assert row[column] == value, (year, column)
            assert row[f"{column}_prev_year"] == previous, (year, column)
            if previous is None:
                assert row[f"{column}_yoy_change"] is None
                assert row[f"{column}_yoy_pct"] is None
            else:
                assert row[f"{column}_yoy_change"] == pytest.approx(value - previous)
                assert row[f"{column}_yoy_pct"] == pytest.approx(100 * (value - previous) / previous)


def test_first_run_every_pre_reform_unit_is_current(first_stage: Stage) -> None:
    rows = first_stage.dim_location
    assert count_by_level(rows) == PRE_REFORM
    assert count_by_level(rows, is_current=True, effective_to=None) == PRE_REFORM
    assert len({row["location_id"] for row in rows.values()}) == sum(PRE_REFORM.values())
    hanoi = next(row for row in rows.values() if row["location_id"] == "province-1")
    assert hanoi["location_name"] == "Thành phố Hà Nội"
    ward = next(row for row in rows.values() if row["location_id"] == "ward-1")
    assert ward["parent_location_id"] == "district-1"


def test_hidden_temp_files_in_bronze_are_ignored(first_stage: Stage, lakehouse: Lakehouse) -> None:
    assert first_stage.silver_counts["stg_vn_provinces__provinces"] == 63
    assert lakehouse.scalar("select count(*) from silver.stg_vn_provinces__provinces where province_code = 999") == 0
    # A visible file no manifest commits (province 998) is not read either.
    assert lakehouse.scalar("select count(*) from silver.stg_vn_provinces__provinces where province_code = 998") == 0


def test_unit_tests_pass(first_stage: Stage) -> None:
    unit_tests = [result for result in first_stage.gold_results if result.node.resource_type == "unit_test"]
    assert [result.node.name for result in unit_tests] == ["dim_macro_indicators_year_over_year"]
    assert all(result.status == "pass" for result in unit_tests)


# -- 2. forced re-ingest of the same data ----------------------------------------------------


def test_reingest_changes_no_silver_row_counts(first_stage: Stage, reingest_stage: Stage) -> None:
    assert reingest_stage.silver_counts == first_stage.silver_counts


def test_reingest_creates_no_new_location_versions(first_stage: Stage, reingest_stage: Stage) -> None:
    assert reingest_stage.dim_location == first_stage.dim_location


def test_reingest_keeps_each_keys_latest_delivery(reingest_stage: Stage, lakehouse: Lakehouse) -> None:
    # run_id is the run that delivered the row's values: the first run, but for the one revised figure.
    assert lakehouse.query(
        "select run_id, count(*) as n from silver.stg_worldbank__indicator_values group by run_id order by run_id"
    ) == [{"run_id": FIRST.run_id, "n": 3 * len(YEARS) - 1}, {"run_id": REVISION.run_id, "n": 1}]
    assert lakehouse.query("select distinct run_id, is_in_latest_ingest from silver.int_locations_unioned") == [
        {"run_id": FIRST.run_id, "is_in_latest_ingest": True}
    ]

    gdp_2023 = worldbank_csv_values()[("NY.GDP.MKTP.CD", 2023)]
    row_2024 = reingest_stage.dim_macro_indicators[2024]
    assert row_2024["gdp_usd"] == REVISED_GDP_2024
    assert row_2024["gdp_usd_yoy_change"] == pytest.approx(REVISED_GDP_2024 - gdp_2023)


def test_first_run_every_row_is_first_seen_and_changed_by_its_delivery(first_stage: Stage) -> None:
    for table, rows in first_stage.history.items():
        assert rows, table
        for key, row in rows.items():
            assert row["first_seen_at"] == row["last_changed_at"] == row["ingested_at"] == FIRST.ingested_at, key
            assert row["run_id"] == FIRST.run_id
            assert len(row["row_hash"]) == 32 and set(row["row_hash"]) <= set("0123456789abcdef")


def test_reingest_of_unchanged_values_changes_nothing_but_the_delivery_time(
    first_stage: Stage, reingest_stage: Stage
) -> None:
    for table, before in first_stage.history.items():
        after = reingest_stage.history[table]
        assert after.keys() == before.keys(), table
        newest = REVISION if table == "stg_worldbank__indicator_values" else REINGEST
        for key, row in after.items():
            assert row["ingested_at"] == newest.ingested_at, (table, key)
            if key == REVISED_KEY:
                continue
            unchanged = {column: value for column, value in row.items() if column != "ingested_at"}
            assert unchanged == {column: value for column, value in before[key].items() if column != "ingested_at"}


def test_a_revised_value_changes_exactly_its_row(first_stage: Stage, reingest_stage: Stage) -> None:
    # The revision landed in the same batch as an unchanged re-delivery: only the revision changed the row.
    before = first_stage.history["stg_worldbank__indicator_values"]
    after = reingest_stage.history["stg_worldbank__indicator_values"]
    changed = {key for key, row in after.items() if row["row_hash"] != before[key]["row_hash"]}
    assert changed == {REVISED_KEY}
    revised = after[REVISED_KEY]
    assert revised["first_seen_at"] == FIRST.ingested_at
    assert revised["last_changed_at"] == REVISION.ingested_at
    assert revised["run_id"] == REVISION.run_id


# -- 3. the post-reform ingest ---------------------------------------------------------------


def test_reform_closes_units_missing_from_the_latest_ingest(reingest_stage: Stage, reform_stage: Stage) -> None:
    before, after = reingest_stage.dim_location, reform_stage.dim_location
    # No version is ever deleted; only its effective_to is set.
    assert before.keys() <= after.keys()
    for version_id, old in before.items():
        new = after[version_id]
        assert new["effective_from"] == old["effective_from"]
        assert new["is_current"] is False
        assert new["effective_to"] is not None
        assert new["effective_to"] > new["effective_from"]
    # Every pre-reform district was retired, and so were the provinces and wards whose code
    # the reform did not reuse.
    assert count_by_level(after, location_level="district", is_current=True) == {}
    current_ids = {row["location_id"] for row in after.values() if row["is_current"]}
    assert "province-2" not in current_ids  # Hà Giang merged into Tuyên Quang
    assert len(current_ids) == sum(POST_REFORM.values())


def test_reform_opens_a_current_version_for_every_post_reform_unit(reingest_stage: Stage, reform_stage: Stage) -> None:
    new_versions = {
        version_id: row
        for version_id, row in reform_stage.dim_location.items()
        if version_id not in reingest_stage.dim_location
    }
    assert count_by_level(new_versions) == POST_REFORM
    assert count_by_level(new_versions, is_current=True, effective_to=None) == POST_REFORM
    hanoi = next(row for row in new_versions.values() if row["location_id"] == "province-1")
    assert hanoi["codename"] == "ha_noi"
    # Post-reform wards hang directly off their province.
    ward_4 = next(row for row in new_versions.values() if row["location_id"] == "ward-4")
    assert (ward_4["location_name"], ward_4["parent_location_id"]) == (
        "Phường Ba Đình",
        "province-1",
    )


def test_reform_keeps_one_current_version_per_location_without_overlaps(
    reform_stage: Stage,
) -> None:
    versions_by_location: dict[str, list[dict[str, Any]]] = {}
    for row in reform_stage.dim_location.values():
        versions_by_location.setdefault(row["location_id"], []).append(row)
    for location_id, versions in versions_by_location.items():
        versions.sort(key=lambda row: row["effective_from"])
        assert sum(row["is_current"] for row in versions) <= 1, location_id
        for earlier, later in itertools.pairwise(versions):
            assert earlier["effective_to"] is not None, location_id
            assert earlier["effective_to"] <= later["effective_from"], location_id
    reused = [versions for versions in versions_by_location.values() if len(versions) == 2]
    assert len(reused) == 34 + 3_310  # codes the reform reused for a changed unit


def test_reform_silver_keeps_every_code_and_flags_the_latest_ingest(reform_stage: Stage, lakehouse: Lakehouse) -> None:
    assert reform_stage.silver_counts["stg_vn_provinces__provinces"] == 63
    assert reform_stage.silver_counts["stg_vn_provinces__districts"] == 696
    assert lakehouse.query(
        """
        select location_level, count(*) as units
        from silver.int_locations_unioned
        where is_in_latest_ingest
        group by location_level
        order by location_level
        """
    ) == [{"location_level": "province", "units": 34}, {"location_level": "ward", "units": 3_321}]


def test_reform_dbt_tests_pass(reform_stage: Stage) -> None:
    tests = [
        result
        for result in reform_stage.silver_results + reform_stage.gold_results
        if result.node.resource_type in {"test", "unit_test"}
    ]
    assert any(result.node.name.startswith("scd2_valid_history") for result in tests)
    assert all(result.status == "pass" for result in tests)


def test_reform_changes_the_units_whose_values_changed(reingest_stage: Stage, reform_stage: Stage) -> None:
    before = reingest_stage.history["stg_vn_provinces__provinces"]
    after = reform_stage.history["stg_vn_provinces__provinces"]
    hanoi_before, hanoi = before[1], after[1]  # renamed "Hà Nội" (from "Thành phố Hà Nội")
    assert hanoi["row_hash"] != hanoi_before["row_hash"]
    assert (hanoi["first_seen_at"], hanoi["last_changed_at"], hanoi["run_id"]) == (
        FIRST.ingested_at,
        REFORM.ingested_at,
        REFORM.run_id,
    )
    # A province the reform retired was not delivered: its row is left exactly as it was.
    assert after[2] == before[2]


def test_full_rebuild_of_silver_gives_the_incremental_history(reform_stage: Stage, lakehouse: Lakehouse) -> None:
    # Every delivery read in one batch, as `tributary rebuild` does: the same hashes, runs and times per key.
    result = lakehouse.dbt.invoke("build", "--select", "tag:silver", "--full-refresh")
    assert result.success, result.exception
    assert change_history(lakehouse) == reform_stage.history
