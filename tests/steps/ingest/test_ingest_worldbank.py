"""``python -m steps.ingest --source worldbank`` through the replay server: pages, nulls, errors, state."""

import csv
import gzip
import hashlib
import json
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from tests.conftest import REPO, StageEnv, write_config
from workflows.replay.server import Fault, ReplayServer

SHIPPED = REPO / "workflows" / "replay" / "data" / "worldbank_VN_2010_2024.csv"


def _lake_files(lake: str) -> list[str]:
    root = Path(lake)
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) if root.exists() else []


def _expected_values() -> dict[tuple[str, int], float]:
    with SHIPPED.open() as fh:
        return {(r["indicator_code"], int(r["year"])): float(r["value"]) for r in csv.DictReader(fh)}


def test_several_pages_land_in_raw_bronze_manifest_and_state(
    local_stage: StageEnv, replay_server: ReplayServer, tmp_path: Path
) -> None:
    write_config(local_stage.config, replay_server, worldbank={"per_page": 4})
    proc = local_stage.run("ingest", "--source", "worldbank", "--run-id", "r1")
    assert proc.returncode == 0, proc.stderr
    lake = Path(local_stage.lake)

    # 11 years per indicator at 4 per page = 3 pages each, every page kept raw with provenance
    raw = sorted((lake / "raw/worldbank/indicator_values/r1").glob("*.json.gz"))
    assert len(raw) == 9
    provenance = [json.loads(line) for line in (lake / "raw/worldbank/indicator_values/r1/_provenance.jsonl").open()]
    assert len(provenance) == 9
    first = provenance[0]
    body = gzip.decompress((lake / "raw/worldbank/indicator_values/r1" / first["file"]).read_bytes())
    assert hashlib.sha256(body).hexdigest() == first["sha256"] and first["status"] == 200
    assert first["url"].startswith(replay_server.base_url("worldbank")) and "per_page=4" in first["url"]

    manifest = json.loads((lake / "bronze/worldbank/_manifests/r1.json").read_text())
    files = [p for p in _lake_files(local_stage.lake) if p.endswith(".parquet")]
    assert files == [manifest["datasets"]["indicator_values"]["path"]]
    indicators = ("NY.GDP.MKTP.CD", "FP.CPI.TOTL.ZG", "SL.UEM.TOTL.ZS")
    streams = {s["stream_id"]: (s["pages"], s["rows"], s["api_total"]) for s in manifest["streams"]}
    assert streams == dict.fromkeys(indicators, (3, 11, 11))
    table = pq.read_table(lake / files[0])
    assert table.num_rows == 33
    rows = table.to_pylist()
    expected = _expected_values()
    assert all(r["value"] == expected[(r["indicator_id"], r["year"])] for r in rows)
    assert {r["_run_id"] for r in rows} == {"r1"} and len({r["_ingested_at"] for r in rows}) == 1
    assert {r["country_iso3"] for r in rows} == {"VNM"}

    state = json.loads((lake / "state/worldbank.json").read_text())
    assert state["last_success"]["run_id"] == "r1" and state["last_success"]["rows"] == {"indicator_values": 33}
    result = json.loads((lake / "reports/r1/stages/ingest-worldbank.json").read_text())
    assert result["status"] == "succeeded" and result["metrics"]["pages"] == 9 and result["metrics"]["requests"] == 9


def test_null_values_are_kept_as_nulls(local_stage: StageEnv, replay_server: ReplayServer) -> None:
    write_config(local_stage.config, replay_server, worldbank={"start_year": 2023, "end_year": 2025})
    assert local_stage.run("ingest", "--source", "worldbank", "--run-id", "r1").returncode == 0
    path = next(Path(local_stage.lake).rglob("r1.parquet"))
    rows = pq.read_table(path).to_pylist()
    assert len(rows) == 9
    assert [r["value"] for r in rows if r["year"] == 2025] == [None, None, None]
    assert all(r["value"] is not None for r in rows if r["year"] < 2025)


def test_bad_indicator_is_one_clear_line_exit_2_and_nothing_committed(
    local_stage: StageEnv, replay_server: ReplayServer
) -> None:
    write_config(local_stage.config, replay_server, worldbank={"indicators": ["NY.GDP.MKTP.CD", "NOT.AN.INDICATOR"]})
    proc = local_stage.run("ingest", "--source", "worldbank", "--run-id", "r1")
    assert proc.returncode == 2
    line = proc.stderr.strip().splitlines()[-1]
    assert "'NOT.AN.INDICATOR'" in line and "The provided parameter value is not valid" in line
    assert "Fix: check sources.worldbank.indicators" in line
    files = _lake_files(local_stage.lake)
    assert not [f for f in files if f.startswith(("bronze/", "state/"))]


def test_retries_exhausted_exit_75_no_manifest_no_state(local_stage: StageEnv, replay_server: ReplayServer) -> None:
    replay_server.add_fault(Fault(path="FP.CPI", status=503))
    proc = local_stage.run("ingest", "--source", "worldbank", "--run-id", "r1")
    assert proc.returncode == 75
    assert "failed after 3 attempts (last: HTTP 503)" in proc.stderr.strip().splitlines()[-1]
    files = _lake_files(local_stage.lake)
    assert not [f for f in files if f.startswith(("bronze/", "state/"))], files
    result = json.loads((Path(local_stage.lake) / "reports/r1/stages/ingest-worldbank.json").read_text())
    assert result["status"] == "failed" and result["exit_code"] == 75


def test_retried_429_and_5xx_then_success(local_stage: StageEnv, replay_server: ReplayServer) -> None:
    replay_server.add_fault(Fault(path="NY.GDP", status=429, retry_after=1, times=1))
    replay_server.add_fault(Fault(path="SL.UEM", status=502, times=2))
    proc = local_stage.run("ingest", "--source", "worldbank", "--run-id", "r1")
    assert proc.returncode == 0, proc.stderr
    result = json.loads((Path(local_stage.lake) / "reports/r1/stages/ingest-worldbank.json").read_text())
    assert result["metrics"]["retries"] == 3 and result["metrics"]["rows"] == {"indicator_values": 33}


def test_malformed_json_exit_2_names_the_url(local_stage: StageEnv, replay_server: ReplayServer) -> None:
    replay_server.add_fault(Fault(path="SL.UEM", body='[{"page":1,'))
    proc = local_stage.run("ingest", "--source", "worldbank", "--run-id", "r1")
    assert proc.returncode == 2
    line = proc.stderr.strip().splitlines()[-1]
    assert "returned a malformed body 3 times (not valid JSON" in line and "/indicator/SL.UEM.TOTL.ZS" in line
    assert not [f for f in _lake_files(local_stage.lake) if f.startswith(("bronze/", "state/"))]


def test_rerun_same_run_id_is_idempotent_and_leftovers_are_removed(local_stage: StageEnv) -> None:
    assert local_stage.run("ingest", "--source", "worldbank", "--run-id", "r1").returncode == 0
    before = _lake_files(local_stage.lake)
    # a crashed run left an unpublished temp file and a published file without a manifest
    part = next(Path(local_stage.lake).rglob("r1.parquet")).parent
    (part / ".crashed.parquet.inprogress").write_bytes(b"partial")
    (part / "crashed.parquet").write_bytes(b"PAR1")
    assert local_stage.run("ingest", "--source", "worldbank", "--run-id", "r1").returncode == 0
    # what a run records of each attempt (its stage result, its lineage events) is not its output
    after = [f for f in _lake_files(local_stage.lake) if "/stages/" not in f and "/lineage/" not in f]
    assert after == [f for f in before if "/stages/" not in f and "/lineage/" not in f]


def test_outputs_rows_for_the_argo_gauge(local_stage: StageEnv, tmp_path: Path) -> None:
    out = tmp_path / "outputs"
    proc = local_stage.run("ingest", "--source", "vn_provinces", "--run-id", "r1", "--outputs", str(out))
    assert proc.returncode == 0, proc.stderr
    assert (out / "rows").read_text() == str(63 + 696 + 10051)
    assert (Path(local_stage.lake) / "reports/r1/stages/ingest-vn-provinces.json").exists()


HISTORY = REPO / "workflows" / "replay" / "data" / "worldbank_VN_1990_2009.csv"
INDICATORS = ("NY.GDP.MKTP.CD", "FP.CPI.TOTL.ZG", "SL.UEM.TOTL.ZS")


def _state(lake: Path) -> dict[str, Any]:
    state: dict[str, Any] = json.loads((lake / "state/worldbank.json").read_text())
    return state


def test_backfill_fetches_its_years_and_keeps_the_watermark_and_last_success(local_stage: StageEnv) -> None:
    lake = Path(local_stage.lake)
    assert local_stage.run("ingest", "--source", "worldbank", "--run-id", "r1").returncode == 0
    before = _state(lake)
    # the newest year with a published value, per indicator
    marks = before["history"][0]["checkpoint"]["watermarks"]
    assert marks == {i: {"kind": "int", "value": "2024"} for i in INDICATORS}

    proc = local_stage.run("ingest", "--source", "worldbank", "--run-id", "bf", "--backfill", "2000:2005")
    assert proc.returncode == 0, proc.stderr

    provenance = [json.loads(line) for line in (lake / "raw/worldbank/indicator_values/bf/_provenance.jsonl").open()]
    assert len(provenance) == 3 and all("date=2000:2005" in p["url"] for p in provenance)
    rows = pq.read_table(next(lake.glob("bronze/worldbank/indicator_values/*/bf.parquet"))).to_pylist()
    with HISTORY.open() as fh:
        shipped = {(r["indicator_code"], int(r["year"])): float(r["value"]) for r in csv.DictReader(fh)}
    assert sorted({r["year"] for r in rows}) == list(range(2000, 2006)) and len(rows) == 18
    assert all(r["value"] == shipped[(r["indicator_id"], r["year"])] for r in rows)
    manifest = json.loads((lake / "bronze/worldbank/_manifests/bf.json").read_text())
    assert manifest["details"]["backfill"] == "2000:2005"

    after = _state(lake)
    assert after["last_success"] == before["last_success"]  # freshness keeps measuring the regular ingest
    assert after["history"][0]["run_id"] == "bf" and after["history"][0]["backfill"] == "2000:2005"
    assert after["history"][0]["checkpoint"]["watermarks"] == marks  # never lowered


def test_backfill_in_dates_is_refused_for_a_yearly_source(local_stage: StageEnv) -> None:
    proc = local_stage.run("ingest", "--source", "worldbank", "--run-id", "bf", "--backfill", "2000-01-01:2005-12-31")
    assert proc.returncode == 2
    last = proc.stderr.strip().splitlines()[-1]
    assert last.endswith(
        "worldbank: backfill range 2000-01-01:2005-12-31 is not a range of years. Fix: pass YYYY:YYYY, e.g. 2000:2005"
    )
    assert not any(p.startswith(("raw/", "bronze/", "state/")) for p in _lake_files(local_stage.lake))
