"""Correctness at scale: a batch with a duplicated key near its end and a missing parent near its start.

The replay server serves two doctored pages through its fault rules (a ``body`` instead of the real one): the first
page of the first generated indicator, where one observation names an indicator the source never requested (its
parent is missing), and the last page of the last indicator, whose last observation repeats the key of the first
observation of the first page. The ingest lands them like any page; the bronze gate must reject the batch for both,
however far apart the two copies of the key are in the file. Where the rows landed is read back from the
quarantined file, by chunk of the gate.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

from workflows.replay import scale
from workflows.replay.faults import Fault
from workflows.replay.server import ReplayServer

ORPHAN_INDICATOR = "BENCH.IND.9999"


def _page(indicator: int, page: int, per_page: int) -> list[object]:
    answer = scale.handle("all", f"BENCH.IND.{indicator:04d}", (scale.FIRST_YEAR, scale.LAST_YEAR), page, per_page)
    assert answer is not None
    doc: list[object] = json.loads(answer.body)
    return doc


def plant(server: ReplayServer, indicators: int, per_page: int) -> None:
    """Serve the first page of indicator 1 and the last page of indicator ``indicators`` doctored."""
    first = _page(1, 1, per_page)
    first_records = first[1]
    assert isinstance(first_records, list)
    first_records[1]["indicator"]["id"] = ORPHAN_INDICATOR
    last_page = math.ceil(scale.COUNTRY_COUNT * (scale.LAST_YEAR - scale.FIRST_YEAR + 1) / per_page)
    last = _page(indicators, last_page, per_page)
    last_records = last[1]
    assert isinstance(last_records, list)
    last_records[-1] = first_records[0]
    for n, page, body in ((1, 1, first), (indicators, last_page, last)):
        # \bpage= does not match inside per_page=; the query's parameter order does not matter
        server.add_fault(Fault(path=rf"indicator/BENCH\.IND\.{n:04d}\?(?=.*\bpage={page}\b)", body=json.dumps(body)))


@dataclass
class Landed:
    """Where the planted rows are in the file, as row positions and the gate's chunk numbers (from 1)."""

    rows: int
    duplicate_rows: list[int]
    orphan_rows: list[int]
    chunk_rows: int

    def chunk(self, row: int) -> int:
        """The gate's chunk holding ``row``."""
        return row // self.chunk_rows + 1

    def describe(self) -> str:
        """``duplicate key at rows 12 (chunk 1/51) and 9,999,990 (chunk 51/51); orphan at row 1 (chunk 1/51)``."""
        total = math.ceil(self.rows / self.chunk_rows)

        def at(rows: list[int]) -> str:
            return " and ".join(f"{r:,} (chunk {self.chunk(r)}/{total})" for r in rows)

        return f"duplicated key at rows {at(self.duplicate_rows)}; missing parent at row {at(self.orphan_rows)}"


def landed(parquet: Path, chunk_rows: int) -> Landed:
    """Find the planted rows in the (quarantined) bronze file."""
    import duckdb

    with duckdb.connect() as con:
        con.execute(f"create view b as select * from read_parquet('{parquet}', file_row_number = true)")
        (rows,) = con.execute("select count(*) from b").fetchone() or (0,)
        duplicates = con.execute(
            "select file_row_number from b join (select country_iso3, indicator_id, year from b group by all "
            "having count(*) > 1) using (country_iso3, indicator_id, year) order by 1"
        ).fetchall()
        orphans = con.execute(
            "select file_row_number from b where indicator_id = ? order by 1", [ORPHAN_INDICATOR]
        ).fetchall()
    return Landed(rows, [int(r[0]) for r in duplicates], [int(r[0]) for r in orphans], chunk_rows)
