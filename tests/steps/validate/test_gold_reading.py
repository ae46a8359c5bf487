"""The gold check queries (run on a tiny DuckDB), freshness rows, and the Trino connection (no server needed)."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from sqlalchemy.engine import make_url

from steps.errors import ConfigError, InputError
from steps.validate import gold
from steps.validate.settings import TrinoSettings

COLUMNS = {"gdp_usd": "GDP", "inflation_pct": "CPI"}


def _macro_db() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("create schema silver; create schema gold")
    con.execute(
        """create table silver.stg_worldbank__indicator_values as select * from (values
            ('VNM', 'VN', 'GDP', 2019, 200.0), ('VNM', 'VN', 'GDP', 2020, 250.0), ('VNM', 'VN', 'GDP', 2021, 300.0),
            ('VNM', 'VN', 'CPI', 2019, 2.0), ('VNM', 'VN', 'CPI', 2020, null), ('VNM', 'VN', 'CPI', 2021, 3.0)
        ) as t(country_iso3, country_iso2, indicator_id, year, indicator_value)"""
    )
    con.execute(
        """create table gold.dim_macro_indicators as select * from (values
            ('VNM-2019', 'VNM', 2019, 200.0, null, null, null, 2.0, null, null, null),
            ('VNM-2020', 'VNM', 2020, 250.0, 200.0, 50.0, 25.000000000001, null, 2.0, null, null),
            ('VNM-2021', 'VNM', 2021, 300.0, 250.0, 50.0, 21.0, 3.0, null, null, null)
        ) as t(macro_indicator_id, country_iso3, year,
               gdp_usd, gdp_usd_prev_year, gdp_usd_yoy_change, gdp_usd_yoy_pct,
               inflation_pct, inflation_pct_prev_year, inflation_pct_yoy_change, inflation_pct_yoy_pct)"""
    )
    return con


def test_macro_check_query_recomputes_from_the_table_and_reads_silver() -> None:
    con = _macro_db()
    rows = {
        r["macro_indicator_id"]: r
        for r in con.sql(gold.macro_indicators_sql(gold.Schemas(), COLUMNS)).df().to_dict(orient="records")
    }
    r2020, r2021 = rows["VNM-2020"], rows["VNM-2021"]
    assert r2020["gdp_usd__in_silver"] == 250.0 and r2020["gdp_usd_prev_year__recomputed"] == 200.0
    assert r2020["gdp_usd_yoy_change__recomputed"] == 50.0
    # within tolerance of 25.0: the stored value is repeated, so the equality check passes on rounding noise
    assert r2020["gdp_usd_yoy_pct__recomputed"] == 25.000000000001
    # 2021 stores 21 %, the table says 20 %: the recomputed value shows
    assert r2021["gdp_usd_yoy_pct__recomputed"] == 20.0
    assert math.isnan(r2020["inflation_pct__in_silver"])  # silver has null → gold may be null
    assert math.isnan(r2021["inflation_pct_prev_year__recomputed"])  # 2020 was null
    assert math.isnan(rows["VNM-2019"]["gdp_usd_prev_year__recomputed"])  # no 2018 row


def test_location_check_query_finds_each_versions_successor() -> None:
    con = duckdb.connect()
    con.execute("create schema gold")
    con.execute(
        """create table gold.dim_location as select * from (values
            ('v1', 'province-1', 'province', false,
             timestamptz '2026-01-01 00:00:00+00', timestamptz '2026-02-01 00:00:00+00'),
            ('v2', 'province-1', 'province', true, timestamptz '2026-02-01 00:00:00+00', null),
            ('v3', 'province-2', 'province', true, timestamptz '2026-01-01 00:00:00+00', null)
        ) as t(location_version_id, location_id, location_level, is_current, effective_from, effective_to)"""
    )
    con.execute("set TimeZone = 'UTC'")
    rows = {r[0]: r[-1] for r in con.sql(gold.location_sql(gold.Schemas())).fetchall()}
    assert rows["v1"] == datetime(2026, 2, 1, tzinfo=UTC)
    assert rows["v2"] is None and rows["v3"] is None


def test_names_spliced_into_sql_must_be_plain_identifiers() -> None:
    with pytest.raises(ConfigError):
        gold.Schemas(gold="gold; drop table x")
    with pytest.raises(ConfigError):
        gold.macro_indicators_sql(gold.Schemas(), {"gdp usd": "GDP"})
    sql = gold.macro_indicators_sql(gold.Schemas(), {"gdp_usd": "it's"})
    assert "'it''s'" in sql  # indicator ids are quoted literals


def test_freshness_rows_give_age_and_allowed_age_in_days() -> None:
    now = datetime(2026, 3, 31, tzinfo=UTC)
    frame = gold.freshness_frame(
        [
            gold.NewestIngest("worldbank", now - timedelta(days=45), 30, "max(silver.x.ingested_at)"),
            gold.NewestIngest("vn_provinces", None, 30, "state/vn_provinces.json"),
        ],
        now,
    )
    records = frame.to_dict(orient="records")
    assert records[0]["age_days"] == 45.0 and records[0]["max_age_days"] == 30.0
    assert records[0]["newest_ingest_at"] == "2026-02-14T00:00:00+00:00"
    assert pd.isna(records[1]["newest_ingest_at"]) and pd.isna(records[1]["age_days"])


def test_as_utc_reads_every_engines_timestamp() -> None:
    expected = datetime(2026, 3, 1, 8, tzinfo=UTC)
    assert gold.as_utc("2026-03-01 08:00:00.000000") == expected  # SQLite text, naive UTC
    assert gold.as_utc("2026-03-01T09:00:00+01:00") == expected
    assert gold.as_utc(datetime(2026, 3, 1, 8)) == expected
    assert gold.as_utc(None) is None and gold.as_utc(float("nan")) is None


def test_trino_engine_matches_the_dbt_profile(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DBT_TRINO_HOST", "trino.example")
    monkeypatch.setenv("DBT_TRINO_PORT", "8443")
    monkeypatch.setenv("DBT_TRINO_USER", "pipeline")
    monkeypatch.setenv("DBT_TRINO_PASSWORD", "p@ss/w:rd+1")
    engine = gold.trino_engine(TrinoSettings())
    url = make_url(engine.url)
    assert (url.drivername, url.host, url.port, url.username, url.database) == (
        "trino",
        "trino.example",
        8443,
        "pipeline",
        "iceberg",
    )
    assert url.password == "p@ss/w:rd+1"  # quoted in the URL, intact after parsing
    assert engine.engine_kwargs == {"connect_args": {"http_scheme": "https"}}  # LDAP needs TLS, as in dbt
    monkeypatch.delenv("DBT_TRINO_PASSWORD")
    assert gold.trino_engine(TrinoSettings()).engine_kwargs == {"connect_args": {"http_scheme": "http"}}


def test_missing_duckdb_warehouse_is_bad_input(tmp_path: Path) -> None:
    with pytest.raises(InputError) as err:
        gold.DuckDBWarehouse(tmp_path / "none.duckdb")
    assert "does not exist" in err.value.line() and "python -m steps.dbt --layer" in err.value.line()
