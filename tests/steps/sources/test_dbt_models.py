"""The dbt models of the new sources on DuckDB: bronze from real ingests (replay server, a real Postgres, files),
silver and gold built with the enabled sources passed as the ``tributary_sources`` var."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import FAST_HTTP, StageEnv
from tests.dbt.dbt_runner import DbtProject, Lakehouse
from tests.steps.sources.conftest import Postgres
from tests.steps.sources.helpers import KEYS, source_sections
from workflows.replay.server import Quota, ReplayServer

ALL = ["worldbank", "fred", "eia", "noaa", "app_db", "fx_files"]
T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


@dataclass
class World:
    house: Lakehouse
    stage: StageEnv
    server: ReplayServer
    orders: Any  # a psycopg connection to the orders database

    def ingest(self, run_id: str) -> None:
        for source in ALL:
            proc = self.stage.run("ingest", "--source", source, "--run-id", run_id)
            assert proc.returncode == 0, f"{source}: {proc.stderr}"

    def build(self, sources: list[str]) -> None:
        vars_ = yaml.safe_dump({"tributary_sources": sources}, default_flow_style=True).strip()
        for layer in ("silver", "gold"):
            result = self.house.dbt.invoke("build", "--select", f"tag:{layer}", "--vars", vars_)
            failures = (
                [
                    f"{r.node.unique_id}: {r.status} {r.message or ''}"
                    for r in result.result.results
                    if str(r.status) not in ("success", "pass")
                ]
                if result.result
                else [repr(result.exception)]
            )
            assert result.success and not failures, failures


def _orders_db(postgres: Postgres) -> Any:
    import psycopg

    admin: Any = postgres.connect()
    admin.execute('DROP DATABASE IF EXISTS "dbt_orders" WITH (FORCE)')
    admin.execute('CREATE DATABASE "dbt_orders"')
    admin.close()
    conn = psycopg.connect(
        host=postgres.host,
        port=postgres.port,
        user=postgres.user,
        password=postgres.password,
        dbname="dbt_orders",
        autocommit=True,
    )
    conn.execute(
        "CREATE TABLE orders (order_id integer PRIMARY KEY, customer text NOT NULL, amount numeric(12,2),"
        " status text, details jsonb, updated_at timestamptz)"
    )
    for i in range(1, 6):
        conn.execute(
            "INSERT INTO orders VALUES (%s, %s, %s, 'new', '{}', %s)",
            (i, f"c{i}", Decimal(i), T0 + timedelta(minutes=i)),
        )
    return conn


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, postgres: Postgres) -> Iterator[World]:
    root = tmp_path_factory.mktemp("economics")
    drop = root / "drop"
    drop.mkdir()
    (drop / "2026-01-02.csv").write_text("rate_date,currency,rate\n2026-01-02,USD,25300.5\n2026-01-02,EUR,27500\n")
    with ReplayServer() as server:
        for provider in ("fred", "eia", "noaa"):
            server.set_quota(provider, Quota(()))
        sections = source_sections(server)
        sections["noaa"]["start_date"] = "2024-10-01"
        config = {
            "http": dict(FAST_HTTP),
            "sources": {
                "worldbank": {
                    "base_url": server.base_url("worldbank"),
                    "indicators": ["NY.GDP.MKTP.CD", "FP.CPI.TOTL.ZG"],
                    "start_year": 2020,
                    "end_year": 2025,
                },
                **sections,
                "app_db": {
                    "kind": "postgres",
                    "host": postgres.host,
                    "port": postgres.port,
                    "dbname": "dbt_orders",
                    "user": postgres.user,
                    "password_env": "APP_DB_PASSWORD",
                    "sslmode": "disable",
                    "tables": [
                        {
                            "table": "orders",
                            "primary_key": ["order_id"],
                            "mode": "incremental",
                            "watermark_column": "updated_at",
                        }
                    ],
                },
                "fx_files": {
                    "kind": "files",
                    "location": str(drop),
                    "datasets": [{"name": "fx_rates", "pattern": "*.csv", "primary_key": ["rate_date", "currency"]}],
                },
            },
        }
        (root / "pipeline.yaml").write_text(yaml.safe_dump(config))
        stage = StageEnv(
            lake=str(root / "lake"), config=root / "pipeline.yaml", extra={**KEYS, "APP_DB_PASSWORD": postgres.password}
        )
        house = Lakehouse(lake=root / "lake", warehouse=root / "warehouse.duckdb", dbt=DbtProject(workdir=root / "dbt"))
        conn = _orders_db(postgres)
        with pytest.MonkeyPatch.context() as env:
            env.setenv("TRIBUTARY_LAKE", str(house.lake))
            env.setenv("TRIBUTARY_DUCKDB_PATH", str(house.warehouse))
            env.setenv("DO_NOT_TRACK", "1")
            yield World(house, stage, server, conn)
        conn.close()


@pytest.fixture(scope="module")
def first(world: World) -> World:
    world.ingest("r1")
    world.build(ALL)
    return world


@pytest.fixture(scope="module")
def second(first: World) -> World:
    # two months later: FRED revised its recent values; an order changed; one arrived at the last watermark
    first.server.snapshot = date(2025, 3, 1)
    first.orders.execute(
        "UPDATE orders SET status = 'paid', updated_at = %s WHERE order_id = 2", (T0 + timedelta(hours=1),)
    )
    first.orders.execute("INSERT INTO orders VALUES (6, 'c6', 6, 'new', '{}', %s)", (T0 + timedelta(minutes=5),))
    first.ingest("r2")
    first.build(ALL)
    return first


def test_fact_holds_every_valued_observation_of_every_source(first: World) -> None:
    house = first.house
    counts = {
        r["source_name"]: r["n"]
        for r in house.query("select source_name, count(*) as n from gold.fct_economic_observations group by 1")
    }
    expected = {
        "worldbank": house.scalar(
            "select count(*) from silver.stg_worldbank__indicator_values where indicator_value is not null"
        ),
        "fred": house.scalar("select count(*) from silver.stg_fred__observations where observation_value is not null"),
        "eia": house.scalar("select count(*) from silver.stg_eia__observations where observation_value is not null"),
        "noaa": house.scalar(
            "select count(*) from silver.stg_noaa__observations where observation_value is not null and is_quality_ok"
        ),
    }
    assert counts == expected and all(n > 0 for n in counts.values())
    assert house.scalar("select count(*) from silver.stg_fred__observations where observation_value is null") > 0


def test_dim_series_describes_each_series(first: World) -> None:
    rows = {r["series_id"]: r for r in first.house.query("select * from gold.dim_series")}
    assert rows["fred:UNRATE"]["series_title"] == "Unemployment Rate"
    assert (rows["fred:UNRATE"]["unit"], rows["fred:UNRATE"]["frequency"]) == ("Percent", "Monthly")
    assert rows["eia:RWTC"]["unit"] == "$/BBL" and rows["eia:RWTC"]["series_title"].startswith("Cushing")
    assert rows["noaa:GHCND:VM000048820:TMAX"]["unit"] == "degC"
    assert rows["noaa:GHCND:VM000048820:PRCP"]["series_title"] == "Precipitation at GHCND:VM000048820"
    assert rows["worldbank:NY.GDP.MKTP.CD:VNM"]["unit"] == "current US$"
    assert rows["worldbank:FP.CPI.TOTL.ZG:VNM"]["unit"] == "annual %"
    fact = first.house.scalar("select count(distinct series_id) from gold.fct_economic_observations")
    assert len(rows) == fact
    assert sum(r["observation_count"] for r in rows.values()) == first.house.scalar(
        "select count(*) from gold.fct_economic_observations"
    )


def test_reingest_keeps_latest_deliveries_and_unique_keys(second: World) -> None:
    house = second.house
    # FRED's revised values replaced the first delivery (run_id: the run that changed them); no key twice
    assert house.scalar("select count(*) - count(distinct observation_id) from silver.stg_fred__observations") == 0
    assert (
        house.scalar(
            "select count(*) from silver.stg_fred__observations where run_id = 'r2' and first_seen_at < last_changed_at"
        )
        > 0
    )
    # a key delivered again without a change (2024-12-31 has no value either time) keeps the run that delivered it
    (unchanged,) = house.query(
        "select run_id, ingested_at = (select max(ingested_at) from silver.stg_fred__observations) as redelivered"
        " from silver.stg_fred__observations where series_id = 'DGS10' and observation_date = date '2024-12-31'"
    )
    assert unchanged == {"run_id": "r1", "redelivered": True}
    # the Postgres boundary re-delivery is deduplicated; the changed and the late row are there
    orders = {r["order_id"]: r for r in house.query("select * from silver.stg_app_db__orders")}
    assert sorted(orders) == [1, 2, 3, 4, 5, 6]
    assert orders[2]["order_status"] == "paid" and orders[6]["customer_ref"] == "c6"
    assert house.scalar("select count(*) from silver.stg_fx_files__fx_rates") == 2
    assert house.scalar(
        "select max(observation_date) from gold.fct_economic_observations where series_id = 'fred:DGS10'"
    ) > date(2025, 1, 4)


def test_sources_enabled_but_never_ingested_build_empty(tmp_path: Path) -> None:
    house = Lakehouse(lake=tmp_path / "lake", warehouse=tmp_path / "w.duckdb", dbt=DbtProject(workdir=tmp_path / "dbt"))
    (tmp_path / "lake").mkdir()
    with pytest.MonkeyPatch.context() as env:
        env.setenv("TRIBUTARY_LAKE", str(house.lake))
        env.setenv("TRIBUTARY_DUCKDB_PATH", str(house.warehouse))
        env.setenv("DO_NOT_TRACK", "1")
        world = World(house, None, None, None)  # type: ignore[arg-type]
        world.build(["fred", "eia", "noaa", "app_db", "fx_files"])
        assert house.scalar("select count(*) from gold.fct_economic_observations") == 0
        assert house.scalar("select count(*) from silver.stg_app_db__orders") == 0
        columns = {
            r["column_name"]: r["data_type"]
            for r in house.query(
                "select column_name, data_type from information_schema.columns "
                "where table_name = 'stg_fred__observations'"
            )
        }
        assert columns["observation_date"] == "DATE" and columns["observation_value"] == "DOUBLE"


def test_manifest_of_the_first_ingest_is_committed(first: World) -> None:
    manifest = json.loads((first.house.lake / "bronze/app_db/_manifests/r1.json").read_text())
    assert manifest["datasets"]["orders"]["rows"] == 5
