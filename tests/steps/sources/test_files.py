"""The files source: CSV/JSON from a folder or an S3 prefix, schema inferred once then enforced, checksums."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import boto3
import pyarrow as pa
import pyarrow.parquet as pq
import yaml

from tests.conftest import FAST_HTTP, S3_KEYS, StageEnv
from tests.steps.sources.helpers import state

RATES = "rate_date,currency,rate\n2026-01-02,USD,25300.5\n2026-01-02,EUR,27500\n"


def _stage(tmp_path: Path, location: str, extra: dict[str, str] | None = None, **source: Any) -> StageEnv:
    section = {
        "kind": "files",
        "location": location,
        "datasets": [
            {"name": "fx_rates", "pattern": "fx/*.csv", "primary_key": ["rate_date", "currency"]},
            {"name": "events", "pattern": "events/*.jsonl", "format": "jsonl"},
        ],
        **source,
    }
    config = tmp_path / "pipeline.yaml"
    config.write_text(yaml.safe_dump({"http": FAST_HTTP, "sources": {"fx_files": section}}))
    return StageEnv(lake=str(tmp_path / "lake"), config=config, extra=extra or {})


def _rows(lake: Path, dataset: str, run_id: str) -> list[dict[str, Any]]:
    return pq.read_table(next(lake.glob(f"bronze/fx_files/{dataset}/*/{run_id}.parquet"))).to_pylist()


def _memory(lake: Path) -> dict[str, Any]:
    return next(r["checkpoint"]["memory"] for r in state(lake, "fx_files")["history"] if r.get("checkpoint"))


def test_infer_once_skip_unchanged_reingest_changed(tmp_path: Path) -> None:
    drop = tmp_path / "drop"
    (drop / "fx").mkdir(parents=True)
    (drop / "events").mkdir()
    (drop / "fx" / "2026-01-02.csv").write_text(RATES)
    (drop / "fx" / ".partial.csv").write_text("ignored: hidden")
    (drop / "events" / "a.jsonl").write_text('{"id": 1, "kind": "open"}\n{"id": 2, "kind": "close", "note": null}\n')
    stage = _stage(tmp_path, str(drop))
    proc = stage.run("ingest", "--source", "fx_files", "--run-id", "r1")
    assert proc.returncode == 0, proc.stderr
    lake = Path(stage.lake)
    table = pq.read_table(next(lake.glob("bronze/fx_files/fx_rates/*/r1.parquet")))
    assert [(f.name, f.type) for f in table.schema][:3] == [
        ("rate_date", pa.date32()),
        ("currency", pa.string()),
        ("rate", pa.float64()),
    ]
    rows = table.to_pylist()
    assert [(r["currency"], r["rate"], r["_source_file"], r["_source_row"]) for r in rows] == [
        ("USD", 25300.5, "fx/2026-01-02.csv", 1),
        ("EUR", 27500.0, "fx/2026-01-02.csv", 2),
    ]
    memory = _memory(lake)
    assert memory["schemas"]["fx_rates"]["columns"] == ["rate_date: date32[day]", "currency: string", "rate: double"]
    assert set(memory["files"]["fx_rates"]) == {"fx/2026-01-02.csv"}
    raw = list(lake.glob("raw/fx_files/fx_rates/r1/*.json.gz"))
    assert len(raw) == 1  # the exact file bytes, gzip

    # unchanged: nothing re-read; a new file and a rewritten one are read
    (drop / "fx" / "2026-01-03.csv").write_text("rate_date,currency,rate\n2026-01-03,USD,25310\n")
    assert stage.run("ingest", "--source", "fx_files", "--run-id", "r2").returncode == 0
    assert {r["_source_file"] for r in _rows(lake, "fx_rates", "r2")} == {"fx/2026-01-03.csv"}
    assert _rows(lake, "events", "r2") == []
    (drop / "fx" / "2026-01-02.csv").write_text(RATES.replace("27500", "27510"))
    os.utime(drop / "fx" / "2026-01-02.csv", (1, 1))  # a rewrite with another time: the checksum decides
    assert stage.run("ingest", "--source", "fx_files", "--run-id", "r3").returncode == 0
    assert [r["rate"] for r in _rows(lake, "fx_rates", "r3")] == [25300.5, 27510.0]
    # touched but identical bytes: read, checksum equal, skipped
    os.utime(drop / "fx" / "2026-01-03.csv", (2, 2))
    assert stage.run("ingest", "--source", "fx_files", "--run-id", "r4").returncode == 0
    assert _rows(lake, "fx_rates", "r4") == []


def test_stored_schema_is_enforced(tmp_path: Path) -> None:
    drop = tmp_path / "drop"
    (drop / "fx").mkdir(parents=True)
    (drop / "fx" / "a.csv").write_text(RATES)
    stage = _stage(tmp_path, str(drop))
    assert stage.run("ingest", "--source", "fx_files", "--run-id", "r1").returncode == 0
    (drop / "fx" / "b.csv").write_text("rate_date,currency,rate,source\n2026-01-04,USD,1,x\n")
    proc = stage.run("ingest", "--source", "fx_files", "--run-id", "r2")
    assert proc.returncode == 2
    line = proc.stderr.strip().splitlines()[-1]
    assert "file" in line and "fx/b.csv" in line and "unexpected ['source']" in line
    (drop / "fx" / "b.csv").write_text("rate_date,currency,rate\n2026-01-04,USD,not-a-number\n")
    proc = stage.run("ingest", "--source", "fx_files", "--run-id", "r3")
    assert proc.returncode == 2
    assert "fx/b.csv: does not fit the stored schema of dataset 'fx_rates'" in proc.stderr.strip().splitlines()[-1]
    assert state(Path(stage.lake), "fx_files")["last_success"]["run_id"] == "r1"


def test_json_arrays_and_an_s3_prefix(tmp_path: Path, s3_server: str, s3_bucket: str) -> None:
    s3 = boto3.client(
        "s3",
        endpoint_url=s3_server,
        region_name="us-east-1",
        aws_access_key_id=S3_KEYS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=S3_KEYS["AWS_SECRET_ACCESS_KEY"],
    )
    body = json.dumps([{"code": "VN", "gdp": 4.7e11, "tags": ["asean"]}, {"code": "TH", "gdp": 5.1e11, "tags": []}])
    s3.put_object(Bucket=s3_bucket, Key="drop/countries/2026.json", Body=body.encode())
    s3.put_object(Bucket=s3_bucket, Key="drop/other/ignored.txt", Body=b"x")
    stage = _stage(
        tmp_path,
        f"s3://{s3_bucket}/drop",
        {"TRIBUTARY_S3_ENDPOINT": s3_server, **S3_KEYS},
        datasets=[{"name": "countries", "pattern": "countries/*.json", "format": "json", "primary_key": ["code"]}],
    )
    proc = stage.run("ingest", "--source", "fx_files", "--run-id", "r1")
    assert proc.returncode == 0, proc.stderr
    rows = _rows(Path(stage.lake), "countries", "r1")
    assert [(r["code"], r["gdp"], r["tags"]) for r in rows] == [("VN", 4.7e11, ["asean"]), ("TH", 5.1e11, [])]
    assert stage.run("ingest", "--source", "fx_files", "--run-id", "r2").returncode == 0
    assert _rows(Path(stage.lake), "countries", "r2") == []  # unchanged object: skipped
