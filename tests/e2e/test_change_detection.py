"""Change detection end to end: ``tributary run --replay``, a forced rerun of the same data, then a World Bank revision.

A forced re-ingest of unchanged API data lands in bronze again (the audit trail) but changes no silver row: hashes,
``first_seen_at``, ``last_changed_at`` and ``run_id`` stay, no location gets a new version, and the summary counts
0 changed rows per source. A replay serving one revised figure (``--revise``) changes exactly that row.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import duckdb
import pytest

from tests.cli import run_replay

pytestmark = pytest.mark.e2e

# Each staging model with its unique key.
STAGING = {
    "stg_worldbank__indicator_values": "observation_id",
    "stg_vn_provinces__provinces": "province_code",
    "stg_vn_provinces__districts": "district_code",
    "stg_vn_provinces__wards": "ward_code",
}
REVISED_KEY = "VNM-NY.GDP.MKTP.CD-2020"
REVISED_GDP_2020 = 346_615_509_519.5  # a later WDI vintage's estimate, say
WORLDBANK_ROWS = 33  # 3 indicators x 2014-2024


def _run(lake: Path, run_id: str, *args: str) -> subprocess.CompletedProcess[str]:
    proc = run_replay(lake, "--run-id", run_id, *args)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


def _history(lake: Path) -> dict[str, dict[Any, tuple[Any, ...]]]:
    """Per staging model and key: (row_hash, run_id, first_seen_at, last_changed_at, ingested_at)."""
    with duckdb.connect(str(lake / "warehouse.duckdb"), read_only=True) as con:
        return {
            table: {
                row[0]: tuple(row[1:])
                for row in con.execute(
                    f"select {key}, row_hash, run_id, first_seen_at, last_changed_at, ingested_at from silver.{table}"
                ).fetchall()
            }
            for table, key in STAGING.items()
        }


def _location_versions(lake: Path) -> int:
    with duckdb.connect(str(lake / "warehouse.duckdb"), read_only=True) as con:
        (row,) = con.execute("select count(*) from gold.snp_locations").fetchall()
    return int(row[0])


def _changes(lake: Path, run_id: str) -> dict[str, dict[str, Any]]:
    summary = json.loads((lake / "reports" / run_id / "summary.json").read_text())
    return {entry["source"]: entry for entry in summary["changes"]}


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    lake = tmp_path_factory.mktemp("changes") / "lake"
    seen: dict[str, Any] = {"lake": lake}
    seen["first"] = _run(lake, "first")
    seen["first_history"], seen["first_versions"] = _history(lake), _location_versions(lake)
    seen["forced"] = _run(lake, "forced", "--force")
    seen["forced_history"], seen["forced_versions"] = _history(lake), _location_versions(lake)
    seen["revised"] = _run(lake, "revised", "--force", "--revise", f"worldbank:NY.GDP.MKTP.CD:2020={REVISED_GDP_2020}")
    seen["revised_history"] = _history(lake)
    return seen


def test_first_run_counts_every_row_as_new(runs: dict[str, Any]) -> None:
    changes = _changes(runs["lake"], "first")
    assert changes["worldbank"] == {
        "source": "worldbank",
        "delivered": WORLDBANK_ROWS,
        "new": WORLDBANK_ROWS,
        "changed": 0,
        "runs": ["first"],
    }
    assert changes["vn_provinces"]["new"] == 63 + 696 + 10_051
    assert "worldbank: 33 rows delivered, 33 new, 0 changed" in runs["first"].stdout


def test_forced_rerun_of_unchanged_data_changes_nothing(runs: dict[str, Any]) -> None:
    changes = _changes(runs["lake"], "forced")
    assert {source: (c["new"], c["changed"]) for source, c in changes.items()} == {
        "worldbank": (0, 0),
        "vn_provinces": (0, 0),
    }
    assert changes["worldbank"]["delivered"] == WORLDBANK_ROWS
    assert "worldbank: 33 rows delivered, 0 new, 0 changed" in runs["forced"].stdout
    # Bronze kept the second delivery (the audit trail) ...
    assert (runs["lake"] / "bronze" / "worldbank" / "_manifests" / "forced.json").is_file()
    # ... but silver keeps every row's hash, run and times; only the delivery time moved.
    before, after = runs["first_history"], runs["forced_history"]
    for table in STAGING:
        assert after[table].keys() == before[table].keys()
        for key, (row_hash, run_id, first_seen, last_changed, ingested) in after[table].items():
            assert (row_hash, run_id, first_seen, last_changed) == before[table][key][:4], (table, key)
            assert run_id == "first"
            assert ingested > before[table][key][4]
    assert runs["forced_versions"] == runs["first_versions"]  # no new SCD2 versions


def test_a_revised_figure_changes_exactly_its_row(runs: dict[str, Any]) -> None:
    changes = _changes(runs["lake"], "revised")
    assert (changes["worldbank"]["new"], changes["worldbank"]["changed"]) == (0, 1)
    assert (changes["vn_provinces"]["new"], changes["vn_provinces"]["changed"]) == (0, 0)
    assert "worldbank: 33 rows delivered, 0 new, 1 changed" in runs["revised"].stdout
    before, after = (
        runs["forced_history"]["stg_worldbank__indicator_values"],
        runs["revised_history"]["stg_worldbank__indicator_values"],
    )
    changed = {key for key, row in after.items() if row[:4] != before[key][:4]}
    assert changed == {REVISED_KEY}
    row_hash, run_id, first_seen, last_changed, ingested = after[REVISED_KEY]
    assert row_hash != before[REVISED_KEY][0]
    assert run_id == "revised"
    assert first_seen == before[REVISED_KEY][2]
    assert last_changed == ingested > before[REVISED_KEY][3]
    with duckdb.connect(str(runs["lake"] / "warehouse.duckdb"), read_only=True) as con:
        (gdp,) = con.execute("select gdp_usd from gold.dim_macro_indicators where year = 2020").fetchone() or ()
    assert gdp == REVISED_GDP_2020
