"""The freshness stage under ``--backfill SOURCE:START:END``: one source ingested, its range handed on, refusals."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import StageEnv


def _outputs(folder: Path) -> dict[str, str]:
    return {p.name: p.read_text() for p in sorted(folder.iterdir())}


def test_only_the_backfilled_source_is_ingested_and_the_layers_rebuild(local_stage: StageEnv, tmp_path: Path) -> None:
    assert local_stage.run("ingest", "--source", "worldbank", "--run-id", "r1").returncode == 0
    out = tmp_path / "out"
    proc = local_stage.run("freshness", "--run-id", "bf", "--backfill", "worldbank:2000:2005", "--outputs", str(out))
    assert proc.returncode == 0, proc.stderr
    # worldbank is fresh, vn_provinces never ingested: a backfill ingests the one and not the other all the same
    assert _outputs(out) == {
        "backfill-range": "2000:2005",
        "rebuild-layers": "true",
        "vn_provinces": "false",
        "worldbank": "true",
    }
    stored = json.loads((Path(local_stage.lake) / "reports/bf/freshness.json").read_text())
    assert stored["backfill"] == {"source": "worldbank", "range": "2000:2005"}
    reasons = {d["source"]: (d["ingest"], d["reason"]) for d in stored["decisions"]}
    assert reasons == {"worldbank": (True, "backfill 2000:2005"), "vn_provinces": (False, "backfill of worldbank")}
    assert stored["decisions"][0]["last_success_run"] == "r1"


def test_a_regular_run_hands_on_no_range_and_rebuilds_only_when_forced(local_stage: StageEnv, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert local_stage.run("freshness", "--run-id", "r1", "--backfill", "", "--outputs", str(out)).returncode == 0
    assert _outputs(out)["backfill-range"] == "" and _outputs(out)["rebuild-layers"] == "false"
    assert json.loads((Path(local_stage.lake) / "reports/r1/freshness.json").read_text())["backfill"] is None
    assert local_stage.run("freshness", "--run-id", "r2", "--force", "true", "--outputs", str(out)).returncode == 0
    assert _outputs(out)["rebuild-layers"] == "true" and _outputs(out)["worldbank"] == "true"


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (
            ["--backfill", "nosuch:2000:2005"],
            "unknown source 'nosuch'. Fix: use one of: worldbank, vn_provinces",
        ),
        (
            ["--backfill", "vn_provinces:2000:2005"],
            "source 'vn_provinces' has no time dimension to backfill",
        ),
        (["--backfill", "worldbank:2005:2000"], "worldbank: backfill range 2005:2000 starts after it ends"),
        (["--backfill", "abc"], "backfill 'abc' is not SOURCE:START:END"),
        (
            ["--backfill", "worldbank:2000:2005", "--sources", "vn_provinces"],
            "backfill source 'worldbank' is not one of this run's sources (vn_provinces)",
        ),
        (
            ["--backfill", "worldbank:2000:2005", "--force", "true"],
            "force=true and backfill=worldbank:2000:2005 were both given",
        ),
    ],
    ids=["unknown", "no-time-dimension", "reversed", "malformed", "not-in-run", "with-force"],
)
def test_a_bad_backfill_fails_at_once_with_exit_2_and_decides_nothing(
    local_stage: StageEnv, tmp_path: Path, args: list[str], line: str
) -> None:
    out = tmp_path / "out"
    proc = local_stage.run("freshness", "--run-id", "bf", *args, "--outputs", str(out))
    assert proc.returncode == 2
    last = proc.stderr.strip().splitlines()[-1]
    assert line in last and "Traceback" not in proc.stderr
    assert not out.exists()
    assert not (Path(local_stage.lake) / "reports/bf/freshness.json").exists()
