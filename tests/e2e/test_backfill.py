"""``tributary backfill`` end to end: World Bank 2000:2005 on a lake that holds 2014–2024 (issue 14's acceptance).

One lake for the module: a regular run, the backfill, then a regular run again. Bronze, silver and gold must hold
both ranges afterwards; the source's watermark and last success must not move, so the next run skips it as fresh.
"""

from __future__ import annotations

import csv
import json
import subprocess
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.parquet as pq
import pytest

from tests.cli import run_replay, tributary
from tests.conftest import REPO

pytestmark = pytest.mark.e2e

HISTORY = REPO / "workflows" / "replay" / "data" / "worldbank_VN_1990_2009.csv"
BACKFILLED, CONFIGURED = (2000, 2005), (2014, 2024)  # the backfill's years; the packaged configuration's
LINE = (
    "Backfill of worldbank for 2000:2005: only worldbank ingested (not its last success, so freshness is as before; "
    "its watermark never moves back); silver and gold rebuilt."
)


def _ranges(years: list[int]) -> dict[str, int]:
    """Rows per year range: the backfilled years, the configured years, anything else."""
    out: dict[str, int] = {}
    for year in years:
        span = next((s for s in (BACKFILLED, CONFIGURED) if s[0] <= year <= s[1]), None)
        key = f"{span[0]}-{span[1]}" if span else "other"
        out[key] = out.get(key, 0) + 1
    return out


def _warehouse(lake: Path, table: str) -> dict[str, int]:
    with duckdb.connect(str(lake / "warehouse.duckdb"), read_only=True) as con:
        return _ranges([year for (year,) in con.execute(f"select year from {table}").fetchall()])


def _bronze(lake: Path) -> dict[str, dict[str, int]]:
    """Rows per year range of each committed World Bank delivery, by run."""
    out = {}
    for path in sorted((lake / "bronze/worldbank/_manifests").glob("*.json")):
        manifest = json.loads(path.read_text())
        table = pq.read_table(lake / manifest["datasets"]["indicator_values"]["path"], columns=["year"])
        out[manifest["run_id"]] = _ranges(table.column("year").to_pylist())
    return out


def _state(lake: Path) -> dict[str, Any]:
    state: dict[str, Any] = json.loads((lake / "state/worldbank.json").read_text())
    return state


def _watermarks(state: dict[str, Any]) -> dict[str, str]:
    checkpoint = next(r["checkpoint"] for r in state["history"] if r["checkpoint"])
    return {k: v["value"] for k, v in checkpoint["watermarks"].items()}


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A regular run on a fresh lake, then the backfill; what the lake held in between."""
    lake = tmp_path_factory.mktemp("backfill") / "lake"
    first = run_replay(lake, "--run-id", "first")
    assert first.returncode == 0, first.stdout + first.stderr
    before = {
        "bronze": _bronze(lake),
        "silver": _warehouse(lake, "silver.stg_worldbank__indicator_values"),
        "gold": _warehouse(lake, "gold.dim_macro_indicators"),
        "state": _state(lake),
    }
    backfill = tributary("backfill", "worldbank", "2000:2005", "--replay", "--lake", str(lake), "--run-id", "bf")
    return {"lake": lake, "before": before, "backfill": backfill}


def test_the_backfill_succeeds_and_says_what_it_did(runs: dict[str, Any]) -> None:
    proc: subprocess.CompletedProcess[str] = runs["backfill"]
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (
        proc.stderr.startswith("tributary backfill bf: lake ")
        and "backfill of worldbank for 2000:2005 (other sources skipped, silver and gold rebuilt)" in proc.stderr
    )
    assert proc.stdout.splitlines()[:2] == [
        "Run bf: SUCCEEDED (tasks as local processes forked from warm interpreters)",
        LINE,
    ]
    summary = json.loads((runs["lake"] / "reports/bf/summary.json").read_text())
    assert summary["backfill"] == {"source": "worldbank", "range": "2000:2005"}
    sources = {s["source"]: s for s in summary["sources"]}
    assert (sources["worldbank"]["status"], sources["worldbank"]["rows"]) == ("succeeded", {"indicator_values": 18})
    assert (sources["vn_provinces"]["status"], sources["vn_provinces"]["reason"]) == (
        "skipped",
        "backfill of worldbank",
    )
    assert {layer["layer"]: layer["status"] for layer in summary["layers"]} == {
        "silver": "succeeded",
        "gold": "succeeded",
    }
    assert {g["gate"]: g["outcome"] for g in summary["validation"]} == {"bronze": "passed", "gold": "passed"}


def test_bronze_holds_both_deliveries(runs: dict[str, Any]) -> None:
    assert runs["before"]["bronze"] == {"first": {"2014-2024": 33}}
    assert _bronze(runs["lake"]) == {"bf": {"2000-2005": 18}, "first": {"2014-2024": 33}}


def test_silver_and_gold_hold_both_ranges(runs: dict[str, Any]) -> None:
    lake = runs["lake"]
    assert runs["before"]["silver"] == {"2014-2024": 33} and runs["before"]["gold"] == {"2014-2024": 11}
    assert _warehouse(lake, "silver.stg_worldbank__indicator_values") == {"2000-2005": 18, "2014-2024": 33}
    assert _warehouse(lake, "gold.dim_macro_indicators") == {"2000-2005": 6, "2014-2024": 11}

    with HISTORY.open() as fh:
        shipped = {(r["indicator_code"], int(r["year"])): float(r["value"]) for r in csv.DictReader(fh)}
    with duckdb.connect(str(lake / "warehouse.duckdb"), read_only=True) as con:
        rows = con.execute(
            "select year, gdp_usd, inflation_pct, unemployment_pct, gdp_usd_prev_year from gold.dim_macro_indicators "
            "where year <= 2005 or year = 2014 order by year"
        ).fetchall()
    for year, gdp, cpi, unemployment, gdp_prev in rows[:-1]:
        assert (gdp, cpi, unemployment) == tuple(
            shipped[(i, year)] for i in ("NY.GDP.MKTP.CD", "FP.CPI.TOTL.ZG", "SL.UEM.TOTL.ZS")
        )
        assert gdp_prev == (None if year == 2000 else shipped[("NY.GDP.MKTP.CD", year - 1)])
    assert rows[-1][0] == 2014 and rows[-1][4] is None  # 2013 is in neither range: still no previous year


def test_the_watermark_and_last_success_are_unchanged(runs: dict[str, Any]) -> None:
    before, after = runs["before"]["state"], _state(runs["lake"])
    assert after["last_success"] == before["last_success"] and after["last_success"]["run_id"] == "first"
    assert _watermarks(before) == dict.fromkeys(("NY.GDP.MKTP.CD", "FP.CPI.TOTL.ZG", "SL.UEM.TOTL.ZS"), "2024")
    assert _watermarks(after) == _watermarks(before)
    assert [(r["run_id"], r["backfill"]) for r in after["history"]] == [("bf", "2000:2005"), ("first", None)]


def test_the_next_run_skips_worldbank_as_fresh_as_before_the_backfill(runs: dict[str, Any]) -> None:
    lake = runs["lake"]
    proc = run_replay(lake, "--run-id", "after")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    summary = json.loads((lake / "reports/after/summary.json").read_text())
    reasons = {s["source"]: (s["status"], s["reason"]) for s in summary["sources"]}
    assert reasons["worldbank"][0] == "skipped"
    assert reasons["worldbank"][1].startswith("fresh: last ingest") and "(run first)" in reasons["worldbank"][1]
    assert "backfill" not in summary and "Backfill" not in proc.stdout
    assert [layer["status"] for layer in summary["layers"]] == ["skipped", "skipped"]
    assert _warehouse(lake, "gold.dim_macro_indicators") == {"2000-2005": 6, "2014-2024": 11}


@pytest.mark.parametrize(
    ("source", "span", "line"),
    [
        (
            "vn_provinces",
            "2000:2005",
            "tributary backfill: source 'vn_provinces' has no time dimension to backfill (vn_provinces: reference "
            "data, fetched whole every run). Fix: re-ingest it whole with tributary run --sources vn_provinces "
            "--force (Argo: -p force=true)",
        ),
        (
            "worldbank",
            "2005:2000",
            "tributary backfill: worldbank: backfill range 2005:2000 starts after it ends. Fix: put the earlier year "
            "first",
        ),
        (
            "worldbank",
            "abc",
            "tributary backfill: backfill range 'abc' is not START:END. Fix: pass e.g. 2020-01-01:2020-12-31 (dates), "
            "or 2000:2005 (years, World Bank)",
        ),
        (
            "worldbank",
            "2000-01-01:2005-12-31",
            "tributary backfill: worldbank: backfill range 2000-01-01:2005-12-31 is not a range of years. Fix: pass "
            "YYYY:YYYY, e.g. 2000:2005",
        ),
        (
            "nosuch",
            "2000:2005",
            "tributary backfill: unknown source 'nosuch'. Fix: use one of: worldbank, vn_provinces",
        ),
        (
            "fred",  # disabled in the packaged configuration
            "2020-01-01:2020-12-31",
            "tributary backfill: backfill source 'fred' is not one of this run's sources (worldbank, vn_provinces). "
            "Fix: enable fred in the pipeline configuration, or backfill one of those",
        ),
    ],
    ids=["no-time-dimension", "reversed", "malformed", "dates-for-years", "unknown", "disabled"],
)
def test_a_bad_backfill_is_one_line_exit_2_and_writes_nothing(
    tmp_path: Path, source: str, span: str, line: str
) -> None:
    lake = tmp_path / "lake"
    proc = tributary("backfill", source, span, "--replay", "--lake", str(lake), "--work-dir", str(tmp_path / "work"))
    assert proc.returncode == 2
    assert proc.stderr.startswith(line) and proc.stderr.count("\n") == 1 and proc.stdout == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # no lake, no work folder
