"""The Postgres source against a real cluster: full and incremental reads, the watermark boundary, chunks."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

from tests.conftest import FAST_HTTP, StageEnv
from tests.steps.sources.conftest import Postgres
from tests.steps.sources.helpers import stage_result, state, watermarks

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def database(postgres: Postgres, request: pytest.FixtureRequest) -> Iterator[tuple[Any, str]]:
    """A fresh database with public.orders (incremental) and public.currencies (full)."""
    name = f"app_{abs(hash(request.node.nodeid)) % 10**8}"
    admin: Any = postgres.connect()
    admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
    admin.execute(f'CREATE DATABASE "{name}"')
    import psycopg

    conn = psycopg.connect(
        host=postgres.host,
        port=postgres.port,
        user=postgres.user,
        password=postgres.password,
        dbname=name,
        autocommit=True,
    )
    conn.execute(
        "CREATE TABLE public.orders (order_id integer PRIMARY KEY, customer text NOT NULL, amount numeric(12,2),"
        " status text, details jsonb, updated_at timestamptz)"
    )
    conn.execute("CREATE TABLE public.currencies (code char(3) PRIMARY KEY, name varchar(40), minor_units smallint)")
    conn.execute("INSERT INTO public.currencies VALUES ('VND', 'Dong', 0), ('USD', 'Dollar', 2)")
    for i in range(1, 11):
        _upsert(conn, i, f"c{i}", Decimal(f"{i}0.50"), "new", T0 + timedelta(minutes=i))
    yield conn, name
    conn.close()
    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


def _upsert(conn: Any, order_id: int, customer: str, amount: Decimal, status: str, at: datetime) -> None:
    conn.execute(
        "INSERT INTO public.orders VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (order_id) DO UPDATE SET"
        " customer = excluded.customer, amount = excluded.amount, status = excluded.status,"
        " details = excluded.details, updated_at = excluded.updated_at",
        (order_id, customer, amount, status, json.dumps({"lines": order_id % 3}), at),
    )


def _stage(tmp_path: Path, postgres: Postgres, dbname: str, **overrides: Any) -> StageEnv:
    section = {
        "kind": "postgres",
        "host": postgres.host,
        "port": postgres.port,
        "dbname": dbname,
        "user": postgres.user,
        "password_env": "APP_DB_PASSWORD",
        "sslmode": "disable",
        "chunk_rows": 3,
        "tables": [
            {
                "table": "public.orders",
                "primary_key": ["order_id"],
                "mode": "incremental",
                "watermark_column": "updated_at",
            },
            {"table": "currencies", "primary_key": ["code"]},
        ],
        **overrides,
    }
    config = tmp_path / "pipeline.yaml"
    config.write_text(yaml.safe_dump({"http": FAST_HTTP, "sources": {"app_db": section}}))
    return StageEnv(lake=str(tmp_path / "lake"), config=config, extra={"APP_DB_PASSWORD": postgres.password})


def _rows(lake: Path, dataset: str, run_id: str) -> list[dict[str, Any]]:
    return pq.read_table(next(lake.glob(f"bronze/app_db/{dataset}/*/{run_id}.parquet"))).to_pylist()


def test_first_run_reads_everything_in_chunks_with_catalog_types(
    tmp_path: Path, postgres: Postgres, database: Any
) -> None:
    _, dbname = database
    stage = _stage(tmp_path, postgres, dbname)
    proc = stage.run("ingest", "--source", "app_db", "--run-id", "r1")
    assert proc.returncode == 0, proc.stderr
    lake = Path(stage.lake)
    manifest = json.loads((lake / "bronze/app_db/_manifests/r1.json").read_text())
    streams = {s["stream_id"]: (s["pages"], s["rows"]) for s in manifest["streams"]}
    assert streams == {"orders": (4, 10), "currencies": (1, 2)}  # 10 rows in chunks of 3
    assert manifest["details"]["query.orders"] == "public.orders"  # no lower bound on the first run
    table = pq.read_table(next(lake.glob("bronze/app_db/orders/*/r1.parquet")))
    types = {f.name: f.type for f in table.schema}
    assert types["order_id"] == pa.int32() and types["amount"] == pa.decimal128(12, 2)
    assert types["details"] == pa.string() and types["updated_at"] == pa.timestamp("us", tz="UTC")
    rows = {r["order_id"]: r for r in table.to_pylist()}
    assert rows[3]["amount"] == Decimal("30.50") and json.loads(rows[3]["details"]) == {"lines": 0}
    assert {r["code"] for r in _rows(lake, "currencies", "r1")} == {"VND", "USD"}
    assert watermarks(lake, "app_db") == {"orders": (T0 + timedelta(minutes=10)).isoformat()}


def test_incremental_run_reads_new_changed_and_equal_watermark_rows_only(
    tmp_path: Path, postgres: Postgres, database: Any
) -> None:
    conn, dbname = database
    stage = _stage(tmp_path, postgres, dbname)
    assert stage.run("ingest", "--source", "app_db", "--run-id", "r1").returncode == 0
    last = T0 + timedelta(minutes=10)
    # committed after run 1 read the table:
    _upsert(conn, 11, "late", Decimal("1.00"), "new", last)  # the same watermark as the last one: must not be lost
    _upsert(conn, 4, "c4", Decimal("99.99"), "paid", last + timedelta(minutes=5))  # changed
    _upsert(conn, 12, "c12", Decimal("12.00"), "new", last + timedelta(minutes=6))  # new
    proc = stage.run("ingest", "--source", "app_db", "--run-id", "r2")
    assert proc.returncode == 0, proc.stderr
    lake = Path(stage.lake)
    rows = {r["order_id"]: r for r in _rows(lake, "orders", "r2")}
    # >= on the last watermark: order 10 (which set it) is read again, order 11 at the same instant arrives
    assert sorted(rows) == [4, 10, 11, 12]
    assert rows[4]["status"] == "paid" and rows[11]["customer"] == "late"
    assert {r["code"] for r in _rows(lake, "currencies", "r2")} == {"VND", "USD"}  # full table, every run
    assert watermarks(lake, "app_db") == {"orders": (last + timedelta(minutes=6)).isoformat()}
    manifest = json.loads((lake / "bronze/app_db/_manifests/r2.json").read_text())
    assert manifest["details"]["query.orders"] == f"public.orders where updated_at >= {last.isoformat()!r}"


def test_lookback_widens_the_overlap(tmp_path: Path, postgres: Postgres, database: Any) -> None:
    _, dbname = database
    tables = [
        {
            "table": "public.orders",
            "primary_key": ["order_id"],
            "mode": "incremental",
            "watermark_column": "updated_at",
            "lookback": 150,
        }
    ]
    stage = _stage(tmp_path, postgres, dbname, tables=tables)
    assert stage.run("ingest", "--source", "app_db", "--run-id", "r1").returncode == 0
    assert stage.run("ingest", "--source", "app_db", "--run-id", "r2").returncode == 0
    # 150 s before minute 10 reaches back to minute 7.5: orders 8, 9 and 10 are read again
    assert sorted(r["order_id"] for r in _rows(Path(stage.lake), "orders", "r2")) == [8, 9, 10]


def test_backfill_rereads_a_range_and_keeps_the_watermark(tmp_path: Path, postgres: Postgres, database: Any) -> None:
    conn, dbname = database
    stage = _stage(tmp_path, postgres, dbname)
    assert stage.run("ingest", "--source", "app_db", "--run-id", "r1").returncode == 0
    before = state(Path(stage.lake), "app_db")
    _upsert(conn, 20, "old", Decimal("5.00"), "archived", datetime(2025, 6, 1, tzinfo=UTC))  # far behind the mark
    proc = stage.run("ingest", "--source", "app_db", "--run-id", "bf", "--backfill", "2025-06-01:2025-06-30")
    assert proc.returncode == 0, proc.stderr
    assert [r["order_id"] for r in _rows(Path(stage.lake), "orders", "bf")] == [20]
    after = state(Path(stage.lake), "app_db")
    assert after["last_success"] == before["last_success"]
    assert watermarks(Path(stage.lake), "app_db") == {"orders": (T0 + timedelta(minutes=10)).isoformat()}


def test_missing_password_variable_exits_2_naming_it(tmp_path: Path, postgres: Postgres, database: Any) -> None:
    _, dbname = database
    stage = _stage(tmp_path, postgres, dbname)
    stage.extra.clear()
    proc = stage.run("ingest", "--source", "app_db", "--run-id", "r1")
    assert proc.returncode == 2
    assert "environment variable APP_DB_PASSWORD is not set" in proc.stderr.strip().splitlines()[-1]


def test_wrong_password_is_a_configuration_error_and_never_shown(
    tmp_path: Path, postgres: Postgres, database: Any
) -> None:
    _, dbname = database
    stage = _stage(tmp_path, postgres, dbname)
    stage.extra["APP_DB_PASSWORD"] = "wrong-password-123"
    proc = stage.run("ingest", "--source", "app_db", "--run-id", "r1")
    assert proc.returncode == 2
    assert "refused user 'tributary'" in proc.stderr.strip().splitlines()[-1]
    assert "wrong-password-123" not in proc.stderr
    result = stage_result(Path(stage.lake), "r1", "ingest-app-db")
    assert "wrong-password-123" not in json.dumps(result)


def test_unknown_column_is_a_configuration_error(tmp_path: Path, postgres: Postgres, database: Any) -> None:
    _, dbname = database
    tables = [{"table": "public.orders", "primary_key": ["id"], "mode": "incremental", "watermark_column": "ts"}]
    stage = _stage(tmp_path, postgres, dbname, tables=tables)
    proc = stage.run("ingest", "--source", "app_db", "--run-id", "r1")
    assert proc.returncode == 2
    assert "table public.orders has no column(s) ['id', 'ts']" in proc.stderr.strip().splitlines()[-1]
