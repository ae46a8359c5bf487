"""The freshness rule and stage."""

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from steps.freshness.core import decide
from steps.state import IngestRecord, SourceState
from tests.conftest import StageEnv

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def _state(age: timedelta | None) -> SourceState:
    if age is None:
        return SourceState(source="worldbank")
    rec = IngestRecord(run_id="r0", finished_at=NOW - age, manifest="m", rows={})
    return SourceState(source="worldbank", last_success=rec, history=[rec])


def test_never_ingested_is_due() -> None:
    d = decide(_state(None), 30, NOW)
    assert d.ingest and d.reason == "never ingested"


def test_younger_than_max_age_is_skipped_with_reason() -> None:
    d = decide(_state(timedelta(days=2)), 30, NOW)
    assert not d.ingest
    assert d.reason == "fresh: last ingest 2.0d ago (run r0), max_age 30d" and d.age_days == 2.0


def test_older_than_max_age_is_due() -> None:
    d = decide(_state(timedelta(days=31)), 30, NOW)
    assert d.ingest and d.reason.startswith("stale: 31.0d old")


def test_exactly_max_age_is_due() -> None:
    assert decide(_state(timedelta(days=30)), 30, NOW).ingest


def test_force_overrides_freshness() -> None:
    d = decide(_state(timedelta(minutes=1)), 30, NOW, force=True)
    assert d.ingest and d.reason == "forced" and d.last_success_run == "r0"


def test_stage_writes_decisions_for_argo_and_the_summary(local_stage: StageEnv, tmp_path: Path) -> None:
    assert local_stage.run("ingest", "--source", "worldbank", "--run-id", "r1").returncode == 0
    out = tmp_path / "out"
    proc = local_stage.run("freshness", "--run-id", "r2", "--outputs", str(out))
    assert proc.returncode == 0, proc.stderr
    assert (out / "worldbank").read_text() == "false" and (out / "vn_provinces").read_text() == "true"
    printed = {d["source"]: d for d in json.loads(proc.stdout)}
    assert printed["worldbank"]["reason"].startswith("fresh: last ingest")
    stored = json.loads((Path(local_stage.lake) / "reports/r2/freshness.json").read_text())
    assert [d["ingest"] for d in stored["decisions"]] == [False, True]

    forced = local_stage.run("freshness", "--run-id", "r3", "--force", "true", "--outputs", str(out))
    assert forced.returncode == 0 and (out / "worldbank").read_text() == "true"


def test_bad_force_flag_is_exit_2(local_stage: StageEnv) -> None:
    proc = local_stage.run("freshness", "--run-id", "r1", "--force", "maybe")
    assert proc.returncode == 2 and "--force 'maybe' is not a boolean" in proc.stderr.splitlines()[-1]


def test_bad_run_id_is_exit_2(local_stage: StageEnv) -> None:
    proc = local_stage.run("freshness", "--run-id", "../etc")
    assert proc.returncode == 2 and "run id '../etc' is not usable" in proc.stderr


def test_missing_lake_setting_names_the_variable(local_stage: StageEnv) -> None:
    local_stage.lake = ""
    proc = local_stage.run("freshness", "--run-id", "r1")
    assert proc.returncode == 2 and "TRIBUTARY_LAKE is not set" in proc.stderr.splitlines()[-1]
