"""Each stage image imports every module its stage loads, on every path it serves, and stops cleanly without Trino.

The modules come from real runs of the stages on this machine (tests/containers/stage_paths.py): what a stage
loaded here, its image must be able to load, as user 10001 on a read-only root filesystem like the pod.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from steps.names import STAGES
from tests.conftest import FAST_HTTP, S3_KEYS
from tests.containers import stage_paths
from tests.containers.conftest import Images, free_port
from tests.steps.sources.conftest import Postgres
from workflows.replay.server import PRE_REFORM_SNAPSHOT, Quota, ReplayServer

POD = ["--read-only", "--tmpfs", "/tmp:rw,mode=1777", "--user", "10001:10001", "--cap-drop", "ALL"]
IMPORT_ALL = (
    "import importlib, json, sys\n"
    "failed = {}\n"
    "for name in sys.argv[1:]:\n"
    "    try:\n"
    "        importlib.import_module(name)\n"
    "    except BaseException as exc:\n"
    "        failed[name] = f'{type(exc).__name__}: {exc}'\n"
    "print(json.dumps(failed))\n"
)


@pytest.fixture(scope="module")
def server() -> Iterator[ReplayServer]:
    """The replay server for every API, without rate limits."""
    with ReplayServer(host="127.0.0.1", port=0, snapshot=PRE_REFORM_SNAPSHOT) as replay:
        for provider in ("fred", "eia", "noaa"):
            replay.set_quota(provider, Quota(()))
        yield replay


@pytest.fixture(scope="module")
def database(postgres: Postgres) -> dict[str, Any]:
    """A database with one table, as the Postgres source section names it."""
    admin: Any = postgres.connect()
    admin.execute('DROP DATABASE IF EXISTS "paths"')
    admin.execute('CREATE DATABASE "paths"')
    import psycopg

    with psycopg.connect(
        host=postgres.host, port=postgres.port, user=postgres.user, password=postgres.password, dbname="paths"
    ) as conn:
        # the shape the app_db bronze suite expects (steps/sources/postgres/suites/app_db.orders.yml)
        conn.execute(
            "CREATE TABLE orders (order_id integer PRIMARY KEY, customer text NOT NULL, amount numeric(12,2),"
            " status text, details jsonb, updated_at timestamptz)"
        )
        conn.execute(
            "INSERT INTO orders VALUES (1, 'c1', 10.50, 'new', '{\"lines\": 1}', now()),"
            " (2, 'c2', 20.25, 'paid', '{\"lines\": 2}', now())"
        )
    return {
        "host": postgres.host,
        "port": postgres.port,
        "dbname": "paths",
        "user": postgres.user,
        "password_env": "APP_DB_PASSWORD",
        "sslmode": "disable",
        "tables": [
            {"table": "orders", "primary_key": ["order_id"], "mode": "incremental", "watermark_column": "updated_at"}
        ],
        "_password": postgres.password,
    }


@pytest.fixture(scope="module")
def recorded(
    tmp_path_factory: pytest.TempPathFactory,
    server: ReplayServer,
    database: dict[str, Any],
    s3_server: str,
) -> stage_paths.Recorded:
    """Every stage run on every path, with the modules each loaded."""
    folder = tmp_path_factory.mktemp("paths")
    drop = folder / "drop"
    (drop / "fx").mkdir(parents=True)
    (drop / "fx" / "2026-01-02.csv").write_text("rate_date,currency,rate\n2026-01-02,USD,25300.5\n")
    password = database.pop("_password")
    apis = {
        "worldbank": server.base_url("worldbank"),
        "vn_provinces": server.base_url("vn_provinces"),
        "fred": server.base_url("fred"),
        "eia": server.base_url("eia"),
        "noaa": server.base_url("noaa"),
    }
    config = stage_paths.pipeline_config(folder, apis, drop, database)
    s3_config = folder / "s3-pipeline.yaml"  # the S3 lake gets the default sources (the gold gate needs both)
    everything = yaml.safe_load(config.read_text())
    everything["sources"] = {k: everything["sources"][k] for k in ("worldbank", "vn_provinces")}
    s3_config.write_text(yaml.safe_dump(everything))
    import boto3

    s3 = boto3.client("s3", endpoint_url=s3_server, region_name="us-east-1", **_boto_keys())
    s3.create_bucket(Bucket="paths-lake")
    runs = stage_paths.paths(
        config=config,
        s3_config=s3_config,
        folder_lake=folder / "lake",
        s3_lake="s3://paths-lake",
        s3_endpoint=s3_server,
        duckdb_file=folder / "s3-warehouse.duckdb",
        trino_port=free_port(),
        sources=["worldbank", "vn_provinces", "fred", "eia", "noaa", "fx_files", "app_db"],
        secrets={"APP_DB_PASSWORD": password},
    )
    return stage_paths.record(runs)


def _boto_keys() -> dict[str, str]:
    return {
        "aws_access_key_id": S3_KEYS["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": S3_KEYS["AWS_SECRET_ACCESS_KEY"],
    }


def test_every_path_ran_as_the_pipeline_runs_it(recorded: stage_paths.Recorded) -> None:
    wrong = [
        f"{p.stage} ({p.target}, {' '.join(p.args)}): exit {code}, expected {p.expect}\n{tail}"
        for p, code, tail in recorded.runs
        if code != p.expect
    ]
    assert not wrong, "\n\n".join(wrong)
    # the recording is real: each stage loaded its own package and its heavy libraries where it needs them
    loaded = recorded.modules
    assert "pyarrow.parquet" in loaded["ingest"] and "psycopg" in loaded["ingest"]
    assert "requests" in loaded["verify"] and "psycopg" in loaded["verify"]
    # dbt on trino stops at declaring the bronze tables (its Trino client); the image's build already loads the
    # trino adapter (dbt parse --target trino), so a broken one fails the build; the local path loads duckdb's
    assert "trino" in loaded["dbt"] and "dbt.adapters.duckdb" in loaded["dbt"]
    assert "great_expectations" in loaded["validate"]
    assert all(f"steps.{stage}.__main__" not in loaded[stage] for stage in STAGES)  # it runs as __main__


@pytest.mark.parametrize("stage", STAGES)
def test_the_stage_image_imports_every_module_its_stage_loads(
    images: Images, recorded: stage_paths.Recorded, stage: str
) -> None:
    modules = sorted(recorded.modules[stage])
    assert f"steps.{stage}" in modules and len(modules) > 10, modules
    proc = images.run(stage, ["python", "-c", IMPORT_ALL, *modules], flags=POD)
    assert proc.returncode == 0, proc.stderr[-2000:]
    failed = json.loads(proc.stdout.strip().splitlines()[-1])
    assert failed == {}, f"{images.reference(stage)} cannot import what steps.{stage} loads: {failed}"


@pytest.mark.parametrize("stage", STAGES)
def test_the_image_runs_its_own_stage_by_default(images: Images, stage: str) -> None:
    """No command: the fixed entrypoint ``python -m steps`` runs the stage its build argument STAGE baked in."""
    argv = [images.engine, "run", "--rm", "--no-healthcheck", *POD, images.reference(stage)]  # CMD: --help
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.startswith(f"usage: python -m steps.{stage} "), proc.stdout[:200]


@pytest.mark.parametrize("stage", STAGES)
def test_pyarrow_is_trimmed_where_the_extra_installs_it(images: Images, stage: str) -> None:
    probe = (
        "import importlib.util, pathlib\n"
        "spec = importlib.util.find_spec('pyarrow')\n"
        "folder = spec and pathlib.Path(spec.origin).parent\n"
        "print('absent' if not folder else 'untrimmed' if list(folder.glob('libarrow_flight.so*')) else 'trimmed')\n"
    )
    proc = images.run(stage, ["python", "-c", probe], flags=POD)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.split() == ["trimmed" if stage in ("ingest", "validate") else "absent"]


@pytest.mark.parametrize(
    ("stage", "args"),
    [
        ("verify", ["--run-id", "trino-path", "--sources", "worldbank"]),
        ("dbt", ["--layer", "silver", "--run-id", "trino-path", "--force", "true"]),
        ("validate", ["--suite", "gold", "--run-id", "trino-path"]),
    ],
)
def test_on_the_trino_target_a_missing_warehouse_is_one_line_and_exit_75(
    images: Images, server: ReplayServer, s3_server: str, tmp_path: Path, stage: str, args: list[str]
) -> None:
    config = tmp_path / "pipeline.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "http": dict(FAST_HTTP),
                "sources": {
                    "worldbank": {
                        "base_url": server.base_url("worldbank"),
                        "indicators": ["NY.GDP.MKTP.CD"],
                        "start_year": 2020,
                        "end_year": 2024,
                    }
                },
            }
        )
    )
    config.chmod(0o644)
    import boto3

    bucket = f"trino-path-{stage}"
    boto3.client("s3", endpoint_url=s3_server, region_name="us-east-1", **_boto_keys()).create_bucket(Bucket=bucket)
    env = {
        # the trino target reads bronze from S3 (Trino's hive catalog), so the lake is a bucket, as in the cluster
        "TRIBUTARY_LAKE": f"s3://{bucket}",
        "TRIBUTARY_S3_ENDPOINT": s3_server,
        **S3_KEYS,
        "TRIBUTARY_CONFIG": "/etc/tributary/pipeline.yaml",
        "TRIBUTARY_TARGET": "trino",
        "DBT_TRINO_HOST": "127.0.0.1",
        "DBT_TRINO_PORT": str(free_port()),
        "DBT_TRINO_USER": "tributary",
    }
    flags = [*POD, "--volume", f"{config}:/etc/tributary/pipeline.yaml:ro"]
    proc = images.run(stage, ["python", "-m", f"steps.{stage}", *args], env=env, flags=flags)
    assert proc.returncode == 75, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr and "ModuleNotFoundError" not in proc.stderr
    said = [line for line in proc.stderr.splitlines() if not line.startswith("{")]  # JSON lines are the log
    # the task's last line (what the runner shows) names the unreachable Trino, its port and the fix
    last = said[-1]
    assert "trino" in last.lower() and "Fix:" in last and env["DBT_TRINO_PORT"] in last, said
