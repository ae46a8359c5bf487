"""Running ``tributary`` the way a user does, in a subprocess on a tmp lake, and reading what it left."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import duckdb

from tests.cli import run_replay

REPO = Path(__file__).resolve().parents[2]


def run(lake: Path, run_id: str, *args: str) -> subprocess.CompletedProcess[str]:
    """``tributary run --replay`` on ``lake``."""
    return run_replay(lake, "--run-id", run_id, *args)


def query(lake: Path, sql: str) -> list[tuple[Any, ...]]:
    """Rows of ``sql`` on the lake's warehouse, opened read-only."""
    with duckdb.connect(str(lake / "warehouse.duckdb"), read_only=True) as con:
        return con.execute(sql).fetchall()


def location_history(lake: Path) -> dict[str, int]:
    """Rows, closed versions, current versions and duplicate version keys of ``gold.dim_location``."""
    ((rows, closed, current, keys),) = query(
        lake,
        "select count(*), count(*) filter (where not is_current), count(*) filter (where is_current),"
        " count(distinct location_version_id) from gold.dim_location",
    )
    return {"rows": rows, "closed": closed, "current": current, "duplicate_keys": rows - keys}


def location_versions(lake: Path) -> list[tuple[Any, ...]]:
    """Every version of every unit without its timestamps (a replay stamps its own clock), sorted."""
    return sorted(
        query(
            lake,
            "select location_id, location_name, division_type, codename, parent_location_id, is_current"
            " from gold.dim_location",
        ),
        key=repr,
    )


def silver_counts(lake: Path) -> dict[str, int]:
    """Rows per silver table."""
    listed = query(lake, "select table_name from information_schema.tables where table_schema = 'silver'")
    tables = [row[0] for row in listed]
    return {t: query(lake, f'select count(*) from silver."{t}"')[0][0] for t in sorted(tables)}
