"""What the dbt stage reads of the warehouse to decide whether a layer must be rebuilt."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import duckdb

PROBE = (
    "import json, pathlib, sys\nfrom steps.dbt.rebuild import warehouse_tables\n"
    "tables = warehouse_tables(pathlib.Path(sys.argv[1]))\n"
    "print(json.dumps({'tables': sorted(tables or ()), 'pandas': 'pandas' in sys.modules}))\n"
)


def test_the_layers_tables_are_read_without_importing_pandas(tmp_path: Path) -> None:
    path = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(path)) as con:
        for schema in ("silver", "gold", "scratch"):
            con.execute(f"create schema {schema}")
        con.execute("create table silver.stg_a (x int)")
        con.execute("create view gold.dim_b as select 1 as y")
        con.execute("create table scratch.other (z int)")
    # a process of its own: whether pandas gets imported is what a dbt task with nothing to build pays (~0.5 s)
    out = subprocess.run([sys.executable, "-c", PROBE, str(path)], capture_output=True, text=True, check=True).stdout
    assert json.loads(out) == {"tables": ["gold.dim_b", "silver.stg_a"], "pandas": False}
