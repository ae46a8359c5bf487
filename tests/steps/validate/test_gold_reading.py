"""The gold check queries (run on a tiny DuckDB), freshness rows, and the Trino connection (no server needed)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from sqlalchemy.engine import make_url

from steps.errors import ConfigError, InputError
from steps.validate import gold
from steps.validate.manifest import Model
from steps.validate.settings import TrinoSettings

MACRO = Model(
    name="dim_macro_indicators",
    schema="gold",
    alias="dim_macro_indicators",
    columns={"macro_indicator_id": "varchar", "country_iso3": "varchar", "year": "integer", "gdp_usd": "double"},
)
LOCATION = Model(
    name="dim_location",
    schema="gold",
    alias="dim_location",
    columns={
        "location_version_id": "varchar",
        "location_id": "varchar",
        "location_level": "varchar",
        "is_current": "boolean",
        "effective_from": "timestamp with time zone",
        "effective_to": "timestamp with time zone",
    },
    tests={
        "scd2_valid_history": {"unique_key": "location_id", "valid_from": "effective_from", "valid_to": "effective_to"}
    },
)


def test_model_check_query_reads_the_declared_columns_of_the_layer() -> None:
    con = duckdb.connect()
    con.execute("create schema gold")
    con.execute(
        """create table gold.dim_macro_indicators as select * from (values
            ('VNM-2019', 'VNM', 2019, 200.0, 'not declared')
        ) as t(macro_indicator_id, country_iso3, year, gdp_usd, extra)"""
    )
    assert gold.check_sql(gold.Schemas(), MACRO) == gold.model_sql(gold.Schemas(), MACRO)
    frame = con.sql(gold.model_sql(gold.Schemas(), MACRO)).df()
    assert list(frame.columns) == list(MACRO.columns) == gold.query_columns(MACRO)
    # A renamed layer (settings) maps the model's dbt schema.
    assert "from reporting.dim_macro_indicators" in gold.model_sql(gold.Schemas(gold="reporting"), MACRO)


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
    rows = {r[0]: r[-1] for r in con.sql(gold.check_sql(gold.Schemas(), LOCATION)).fetchall()}
    assert rows["v1"] == datetime(2026, 2, 1, tzinfo=UTC)
    assert rows["v2"] is None and rows["v3"] is None
    assert gold.query_columns(LOCATION)[-1] == "next_version_from"


def test_names_spliced_into_sql_must_be_plain_identifiers() -> None:
    with pytest.raises(ConfigError):
        gold.Schemas(gold="gold; drop table x")
    with pytest.raises(ConfigError):
        gold.model_sql(gold.Schemas(), replace(MACRO, columns={"gdp usd": "double"}))
    with pytest.raises(ConfigError):
        gold.model_sql(gold.Schemas(), replace(MACRO, alias="x; drop table y"))
    with pytest.raises(ConfigError) as err:
        gold.versions_sql(gold.Schemas(), MACRO)
    assert "has no scd2_valid_history test" in err.value.line()


def test_newest_ingest_is_the_staging_model_holding_it() -> None:
    t1, t2 = datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC)
    assert gold.newest_of({"stg_b": t2, "stg_a": t1, "stg_c": t2}) == ("stg_b", t2)  # of equals, the first by name
    assert gold.newest_of({"stg_b": None, "stg_a": None}) == ("stg_a", None)
    models = [replace(MACRO, name="stg_x", schema="silver", alias="stg_x", columns={"ingested_at": "t"}), MACRO]
    sql = gold.newest_ingest_sql(gold.Schemas(), models)
    assert sql == "select 'stg_x' as model_name, max(ingested_at) as newest from silver.stg_x"
    assert gold.newest_ingest_sql(gold.Schemas(), [MACRO]) is None


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
