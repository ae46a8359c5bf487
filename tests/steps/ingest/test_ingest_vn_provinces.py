"""``python -m steps.ingest --source vn_provinces`` before and after the 2025 reform."""

import json
from datetime import date
from pathlib import Path

import pyarrow.parquet as pq

from tests.conftest import StageEnv, write_config
from workflows.replay.server import POST_REFORM_SNAPSHOT, ReplayServer


def _table(lake: str, dataset: str, run_id: str) -> list[dict[str, object]]:
    path = next(Path(lake).glob(f"bronze/vn_provinces/{dataset}/ingest_date=*/{run_id}.parquet"))
    return pq.read_table(path).to_pylist()


def test_pre_reform_tree_flattens_with_parent_codes(local_stage: StageEnv) -> None:
    assert local_stage.run("ingest", "--source", "vn_provinces", "--run-id", "r1").returncode == 0
    provinces = _table(local_stage.lake, "provinces", "r1")
    districts = _table(local_stage.lake, "districts", "r1")
    wards = _table(local_stage.lake, "wards", "r1")
    assert (len(provinces), len(districts), len(wards)) == (63, 696, 10051)
    province_codes = {p["code"] for p in provinces}
    district_codes = {d["code"] for d in districts}
    assert all(d["province_code"] in province_codes for d in districts)
    assert all(w["district_code"] in district_codes and w["province_code"] in province_codes for w in wards)
    assert {p["source_api"] for p in provinces} == {"v1"}
    manifest = json.loads((Path(local_stage.lake) / "bronze/vn_provinces/_manifests/r1.json").read_text())
    assert manifest["details"] == {"api": "v1"}
    assert manifest["streams"][0]["api_total"] == 63 + 696 + 10051


def test_post_reform_uses_v2_provinces_and_wards_only(local_stage: StageEnv, replay_server: ReplayServer) -> None:
    replay_server.snapshot = POST_REFORM_SNAPSHOT
    assert local_stage.run("ingest", "--source", "vn_provinces", "--run-id", "r2").returncode == 0
    provinces = _table(local_stage.lake, "provinces", "r2")
    wards = _table(local_stage.lake, "wards", "r2")
    assert (len(provinces), len(_table(local_stage.lake, "districts", "r2")), len(wards)) == (34, 0, 3321)
    assert all(w["district_code"] is None for w in wards)
    assert {w["province_code"] for w in wards} == {p["code"] for p in provinces}
    assert {p["source_api"] for p in provinces} == {"v2"}


def test_api_can_be_pinned(local_stage: StageEnv, replay_server: ReplayServer) -> None:
    replay_server.snapshot = date(2026, 3, 1)
    write_config(local_stage.config, replay_server, vn_provinces={"api": "v1"})
    proc = local_stage.run("ingest", "--source", "vn_provinces", "--run-id", "r1")
    assert proc.returncode == 0, proc.stderr
    assert len(_table(local_stage.lake, "districts", "r1")) == 696


def test_backfill_is_refused_before_anything_is_written(local_stage: StageEnv) -> None:
    proc = local_stage.run("ingest", "--source", "vn_provinces", "--run-id", "bf", "--backfill", "2000:2005")
    assert proc.returncode == 2
    lines = [line for line in proc.stderr.strip().splitlines() if not line[:2].isdigit()]  # log lines start HH:
    assert lines == [
        "ingest-vn-provinces: source 'vn_provinces' has no time dimension to backfill (vn_provinces: reference data, "
        "fetched whole every run). Fix: re-ingest it whole with tributary run --sources vn_provinces --force "
        "(Argo: -p force=true)"
    ]
    lake = Path(local_stage.lake)
    assert not [p for p in ("raw", "bronze", "state") if (lake / p).exists()]
