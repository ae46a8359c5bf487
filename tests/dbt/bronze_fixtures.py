"""Bronze Parquet fixtures for the dbt tests, built from the real shared API data.

Each writer lays files out exactly as the ingest stage's contract says:
``{lake}/bronze/<source>/<dataset>/ingest_date=YYYY-MM-DD/<run_id>.parquet``, one file per
dataset per run (empty datasets still get a file with the schema), every row of a run stamped
with the same ``_run_id`` and ``_ingested_at``.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from workflows.replay import data  # the project's own copy of the real API data (any machine, no ../shared needed)

INDICATOR_NAMES = {
    "NY.GDP.MKTP.CD": "GDP (current US$)",
    "FP.CPI.TOTL.ZG": "Inflation, consumer prices (annual %)",
    "SL.UEM.TOTL.ZS": "Unemployment, total (% of total labor force) (modeled ILO estimate)",
}

_PROVENANCE = [
    pa.field("_run_id", pa.string(), nullable=False),
    pa.field("_ingested_at", pa.timestamp("us", tz="UTC"), nullable=False),
]

INDICATOR_VALUES_SCHEMA = pa.schema(
    [
        pa.field("country_id", pa.string()),
        pa.field("country_iso3", pa.string()),
        pa.field("country_name", pa.string()),
        pa.field("indicator_id", pa.string()),
        pa.field("indicator_name", pa.string()),
        pa.field("year", pa.int32()),
        pa.field("value", pa.float64()),
        pa.field("unit", pa.string()),
        pa.field("obs_status", pa.string()),
        pa.field("decimal", pa.int32()),
        pa.field("last_updated", pa.date32()),
        *_PROVENANCE,
    ]
)
PROVINCES_SCHEMA = pa.schema(
    [
        pa.field("code", pa.int32()),
        pa.field("name", pa.string()),
        pa.field("division_type", pa.string()),
        pa.field("codename", pa.string()),
        pa.field("phone_code", pa.int32()),
        pa.field("source_api", pa.string()),
        *_PROVENANCE,
    ]
)
DISTRICTS_SCHEMA = pa.schema(
    [
        pa.field("code", pa.int32()),
        pa.field("name", pa.string()),
        pa.field("division_type", pa.string()),
        pa.field("codename", pa.string()),
        pa.field("province_code", pa.int32()),
        pa.field("source_api", pa.string()),
        *_PROVENANCE,
    ]
)
WARDS_SCHEMA = pa.schema(
    [
        pa.field("code", pa.int32()),
        pa.field("name", pa.string()),
        pa.field("division_type", pa.string()),
        pa.field("codename", pa.string()),
        pa.field("district_code", pa.int32()),
        pa.field("province_code", pa.int32()),
        pa.field("source_api", pa.string()),
        *_PROVENANCE,
    ]
)


@dataclass(frozen=True)
class IngestRun:
    """One ingest run: the id and the timestamp stamped on every row it writes."""

    run_id: str
    ingested_at: dt.datetime

    @property
    def ingest_date(self) -> str:
        return self.ingested_at.astimezone(dt.UTC).date().isoformat()


def worldbank_csv_values() -> dict[tuple[str, int], float]:
    """(indicator_id, year) -> value, exactly as in the shared CSV."""
    # The file has a stray carriage return after each value (before the source column), which
    # csv.reader would take for a line break: split on "\n" only and strip the value.
    lines = data.read_bytes(data.WORLDBANK_CSV).decode("utf-8").split("\n")
    header = lines[0].split(",")
    rows = [dict(zip(header, line.split(",", 3), strict=True)) for line in lines[1:] if line]
    return {(row["indicator_code"], int(row["year"])): float(row["value"].strip()) for row in rows}


def _table(rows: list[dict[str, Any]], schema: pa.Schema, run: IngestRun) -> pa.Table:
    """The rows plus the run's provenance columns (built as constants: far faster than per row)."""
    data_fields = [field for field in schema if field.name not in ("_run_id", "_ingested_at")]
    table = pa.Table.from_pylist(rows, schema=pa.schema(data_fields))
    # The timestamp as epoch microseconds: converting a tz-aware datetime imports pandas (~2 s).
    ingested_at_us = (run.ingested_at - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)) // dt.timedelta(microseconds=1)
    for name, value in (("_run_id", run.run_id), ("_ingested_at", ingested_at_us)):
        field = schema.field(name)
        table = table.append_column(field, pa.repeat(pa.scalar(value, field.type), len(rows)))
    return table.cast(schema)


def _write(lake: Path, source: str, dataset: str, table: pa.Table, run: IngestRun) -> Path:
    """Publish the file, then commit it in the run's manifest (as the ingest does: only committed files count)."""
    folder = lake / "bronze" / source / dataset / f"ingest_date={run.ingest_date}"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{run.run_id}.parquet"
    pq.write_table(table, path)
    manifest = lake / "bronze" / source / "_manifests" / f"{run.run_id}.json"
    manifest.parent.mkdir(parents=True, exist_ok=True)
    record = json.loads(manifest.read_text()) if manifest.exists() else {"run_id": run.run_id, "datasets": {}}
    record["finished_at"] = run.ingested_at.isoformat()
    record["datasets"][dataset] = {
        "path": path.relative_to(lake).as_posix(),
        "rows": table.num_rows,
        "bytes": path.stat().st_size,
    }
    manifest.write_text(json.dumps(record))
    return path


def write_uncommitted_file(lake: Path, run: IngestRun) -> Path:
    """A visible provinces file no manifest names (a run killed between publishing it and its manifest)."""
    bogus = {
        "code": 998,
        "name": "Uncommitted province",
        "division_type": "tỉnh",
        "codename": "uncommitted_province",
        "phone_code": None,
        "source_api": "v1",
    }
    folder = lake / "bronze" / "vn_provinces" / "provinces" / f"ingest_date={run.ingest_date}"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{run.run_id}-crashed.parquet"
    pq.write_table(_table([bogus], PROVINCES_SCHEMA, run), path)
    return path


def write_worldbank(
    lake: Path,
    run: IngestRun,
    years: range,
    revisions: dict[tuple[str, int], float] | None = None,
) -> None:
    """indicator_values for Viet Nam, the three indicators, the given years.

    ``revisions`` replaces the CSV value of some (indicator_id, year) keys, as a re-ingest after
    the World Bank revised a figure would.
    """
    values = {**worldbank_csv_values(), **(revisions or {})}
    rows = [
        {
            "country_id": "VN",
            "country_iso3": "VNM",
            "country_name": "Viet Nam",
            "indicator_id": indicator_id,
            "indicator_name": INDICATOR_NAMES[indicator_id],
            "year": year,
            "value": value,
            "unit": "",
            "obs_status": "",
            "decimal": 1,
            "last_updated": dt.date(2026, 7, 1),
        }
        for (indicator_id, year), value in values.items()
        if year in years
    ]
    _write(lake, "worldbank", "indicator_values", _table(rows, INDICATOR_VALUES_SCHEMA, run), run)


def write_provinces_v1(lake: Path, run: IngestRun) -> None:
    """Pre-reform units (63 provinces, 696 districts, 10,051 wards) as served by API v1."""
    nested = json.loads(data.read_bytes(data.PROVINCES_V1_DERIVED))
    provinces, districts, wards = [], [], []
    for province in nested:
        provinces.append({**_unit(province), "phone_code": province["phone_code"]})
        for district in province["districts"]:
            districts.append({**_unit(district), "province_code": province["code"]})
            for ward in district["wards"]:
                wards.append(
                    {
                        **_unit(ward),
                        "district_code": district["code"],
                        "province_code": province["code"],
                    }
                )
    _write_provinces_run(lake, run, "v1", provinces, districts, wards)


def write_provinces_v2(lake: Path, run: IngestRun) -> None:
    """Post-reform units (34 provinces, 3,321 wards, no districts) as served by API v2."""
    nested = json.loads(data.read_bytes(data.PROVINCES_V2_NESTED))
    provinces, wards = [], []
    for province in nested:
        provinces.append({**_unit(province), "phone_code": province["phone_code"]})
        for ward in province["wards"]:
            wards.append({**_unit(ward), "district_code": None, "province_code": province["code"]})
    _write_provinces_run(lake, run, "v2", provinces, [], wards)


def write_hidden_temp_files(lake: Path, run: IngestRun) -> None:
    """In-flight writes (dot-prefixed names) next to a run's provinces file; readers must skip them.

    One is a complete file with a bogus province (reading it would add a row), the other a
    truncated file (reading it would fail).
    """
    folder = lake / "bronze" / "vn_provinces" / "provinces" / f"ingest_date={run.ingest_date}"
    folder.mkdir(parents=True, exist_ok=True)
    bogus = {
        "code": 999,
        "name": "Not a province",
        "division_type": "tỉnh",
        "codename": "not_a_province",
        "phone_code": None,
        "source_api": "v1",
    }
    complete = folder / f".{run.run_id}.complete.parquet"
    pq.write_table(_table([bogus], PROVINCES_SCHEMA, run), complete)
    truncated = folder / f".{run.run_id}.partial.parquet"
    truncated.write_bytes(complete.read_bytes()[:100])


def _unit(unit: dict[str, Any]) -> dict[str, Any]:
    return {
        "code": unit["code"],
        "name": unit["name"],
        "division_type": unit["division_type"],
        "codename": unit["codename"],
    }


def _write_provinces_run(
    lake: Path,
    run: IngestRun,
    source_api: str,
    provinces: list[dict[str, Any]],
    districts: list[dict[str, Any]],
    wards: list[dict[str, Any]],
) -> None:
    for dataset, rows, schema in (
        ("provinces", provinces, PROVINCES_SCHEMA),
        ("districts", districts, DISTRICTS_SCHEMA),
        ("wards", wards, WARDS_SCHEMA),
    ):
        rows = [{**row, "source_api": source_api} for row in rows]
        _write(lake, "vn_provinces", dataset, _table(rows, schema, run), run)
