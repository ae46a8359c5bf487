"""``python -m steps.validate --suite bronze`` on batches ingested through the replay server, clean and corrupted.

Every corrupted batch is rejected (files and manifest quarantined, state not advanced) and its source held back: the
gate succeeds so the other source is built, and the ``held-back`` task fails (exit 2) with one line naming the
expectation and the bad values. When every source is rejected the gate itself fails (exit 2).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import StageEnv, s3_referee
from tests.steps.validate.conftest import RUN, Ingested, bronze_file, lake_json, last_line, rewrite, row

Rows = list[dict[str, Any]]


def test_clean_batch_passes_and_publishes_results_and_data_docs(ingested: Ingested, tmp_path: Path) -> None:
    stage = ingested.copy(tmp_path / "run")
    state_before = {s: lake_json(stage, f"state/{s}.json") for s in ("worldbank", "vn_provinces")}

    proc = stage.run("validate", "--suite", "bronze", "--run-id", RUN)

    assert proc.returncode == 0, proc.stderr
    assert "Calculating Metrics" not in proc.stderr, "GX progress bars must be off"
    result = lake_json(stage, f"reports/{RUN}/stages/validate-bronze.json")
    metrics = result["metrics"]
    assert result["status"] == "succeeded" and metrics["outcome"] == "passed"
    assert metrics["expectations"]["failed"] == 0 and metrics["expectations"]["evaluated"] > 50
    assert {d["dataset"]: d["rows"] for d in metrics["datasets"]} == {
        "worldbank.indicator_values": 33,
        "vn_provinces.provinces": 63,
        "vn_provinces.districts": 696,
        "vn_provinces.wards": 10_051,
    }
    lake = Path(stage.lake)
    index = lake / metrics["docs"]
    assert metrics["docs"] == f"reports/{RUN}/gx/bronze/docs/index.html" and index.is_file()
    # The site opens: every local file the index and its pages link to exists.
    pages = sorted((index.parent / "validations").rglob("*.html"))
    assert len(pages) == 4 and all(p.stat().st_size > 1000 for p in pages)
    for page in [index, *pages]:
        links = _local_links(page.read_text())
        assert links, page
        # GX puts the favicon of validation pages one folder too high (its bug); a page opens without it.
        missing = [
            link for link in links if not (page.parent / link).resolve().exists() and not link.endswith("favicon.ico")
        ]
        assert missing == [], (page, missing)
    for d in metrics["datasets"]:
        gx_result = json.loads((lake / d["result"]).read_text())
        assert gx_result["success"] is True and gx_result["meta"]["run_id"]["run_name"] == RUN
    # Passing changes nothing about the batch.
    assert {s: lake_json(stage, f"state/{s}.json") for s in state_before} == state_before
    assert not (lake / "quarantine").exists()


def _local_links(html: str) -> list[str]:
    """Relative href/src targets of a page (no scheme, no fragment-only links)."""
    from html.parser import HTMLParser

    found: list[str] = []

    class Links(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            for name, value in attrs:
                if name in ("href", "src") and value and not value.startswith(("#", "http:", "https:", "mailto:")):
                    found.append(value.split("#")[0].split("?")[0])

    Links().feed(html)
    return [f for f in found if f]


def test_nothing_ingested_in_the_run_passes_and_says_so(ingested: Ingested, tmp_path: Path) -> None:
    stage = ingested.copy(tmp_path / "run")
    # The fixture's batches were never gated: a later run's gate validates them (their own run never got there,
    # e.g. because another source's ingest failed), so silver never reads an unvalidated batch.
    proc = stage.run("validate", "--suite", "bronze", "--run-id", "r-later")
    assert proc.returncode == 0, proc.stderr
    first = lake_json(stage, "reports/r-later/stages/validate-bronze.json")
    assert first["status"] == "succeeded" and sorted(first["metrics"]["sources"]) == ["vn_provinces", "worldbank"]
    proc = stage.run("validate", "--suite", "bronze", "--run-id", "r-without-ingest")
    assert proc.returncode == 0, proc.stderr
    result = lake_json(stage, "reports/r-without-ingest/stages/validate-bronze.json")
    assert result["status"] == "skipped"
    assert result["metrics"]["outcome"] == "nothing new"
    assert "every source's current bronze batch was validated before" in result["metrics"]["reason"]


def _duplicate_row(rows: Rows) -> None:
    rows.append(dict(row(rows, indicator_id="FP.CPI.TOTL.ZG", year=2020)))


def _null_key(rows: Rows) -> None:
    row(rows, indicator_id="SL.UEM.TOTL.ZS", year=2019)["indicator_id"] = None


def _missing_year(rows: Rows) -> None:
    rows[:] = [r for r in rows if r["year"] != 2020]


def _out_of_range(rows: Rows) -> None:
    row(rows, indicator_id="NY.GDP.MKTP.CD", year=2019)["value"] = -1.5


def _orphan_district(rows: Rows) -> None:
    rows[5]["province_code"] = 999


CORRUPTIONS: dict[str, tuple[str, str, Callable[[Rows], None], list[str]]] = {
    "duplicated row": (
        "worldbank",
        "indicator_values",
        _duplicate_row,
        [
            "worldbank.indicator_values: expect_compound_columns_to_be_unique(country_iso3, indicator_id, year)"
            ' 2 unexpected [("VNM", "FP.CPI.TOTL.ZG", 2020), ("VNM", "FP.CPI.TOTL.ZG", 2020)]',
            "expect_table_row_count_to_equal observed 34, expected 33",
        ],
    ),
    "null key": (
        "worldbank",
        "indicator_values",
        _null_key,
        [
            "worldbank.indicator_values: expect_column_values_to_not_be_null(indicator_id) 1 unexpected [null]"
            " at country_iso3/indicator_id/year [VNM/null/2019]"
        ],
    ),
    "missing year": (
        "worldbank",
        "indicator_values",
        _missing_year,
        [
            "worldbank.indicator_values: expect_column_distinct_values_to_contain_set(year) missing [2020]",
            "expect_table_row_count_to_equal observed 30, expected 33",
        ],
    ),
    "out-of-range value": (
        "worldbank",
        "indicator_values",
        _out_of_range,
        [
            "worldbank.indicator_values: expect_column_values_to_be_between(value) 1 unexpected [-1.5]"
            " at country_iso3/indicator_id/year [VNM/NY.GDP.MKTP.CD/2019]"
        ],
    ),
    "district whose province is missing": (
        "vn_provinces",
        "districts",
        _orphan_district,
        ["vn_provinces.districts: expect_column_values_to_be_in_set(province_code) 1 unexpected [999] at code ["],
    ),
}


@pytest.mark.parametrize("case", list(CORRUPTIONS))
def test_corrupted_batch_is_rejected_and_its_source_held_back(case: str, ingested: Ingested, tmp_path: Path) -> None:
    source, dataset, corrupt, expected = CORRUPTIONS[case]
    other = "vn_provinces" if source == "worldbank" else "worldbank"
    stage = ingested.copy(tmp_path / "run")
    rewrite(stage, source, dataset, corrupt)
    files = {
        d: bronze_file(stage, source, d) for d in lake_json(stage, f"bronze/{source}/_manifests/{RUN}.json")["datasets"]
    }
    other_state = lake_json(stage, f"state/{other}.json")
    assert lake_json(stage, f"state/{source}.json")["last_success"]["run_id"] == RUN  # the ingest advanced it
    outputs = tmp_path / "outputs"

    proc = stage.run("validate", "--suite", "bronze", "--run-id", RUN, "--outputs", str(outputs))

    # The other source passed: the gate holds the failing one back and succeeds, so the DAG builds the other.
    assert proc.returncode == 0, proc.stderr
    assert (outputs / "held-back").read_text() == source
    # Not advanced: this was the source's first ingest, so it has no state at all again.
    assert lake_json(stage, f"state/{source}.json") is None
    assert lake_json(stage, f"state/{other}.json") == other_state
    # The batch is out of bronze (dbt reads bronze by glob) and its manifest no longer commits it.
    lake = Path(stage.lake)
    assert not (lake / f"bronze/{source}/_manifests/{RUN}.json").exists()
    assert not any(p.exists() for p in files.values())
    quarantined = lake / f"quarantine/{source}/{RUN}"
    assert (quarantined / "_manifest.json").is_file()
    assert all((quarantined / p.relative_to(lake / f"bronze/{source}")).is_file() for p in files.values())
    rejection = json.loads((quarantined / "rejection.json").read_text())
    assert rejection["complete"] is True and rejection["state_restored_to"] is None
    assert all(f.startswith(f"{source}.") for f in rejection["failures"])
    # The other source's batch passed and stays committed.
    assert (lake / f"bronze/{other}/_manifests/{RUN}.json").exists()
    # The stage result carries what the summary shows.
    result = lake_json(stage, f"reports/{RUN}/stages/validate-bronze.json")
    metrics = result["metrics"]
    assert result["status"] == "succeeded" and result["exit_code"] == 0 and metrics["outcome"] == "held back"
    assert metrics["held_back"] == [source]
    assert metrics["expectations"]["failed"] == len(metrics["failures"]) >= 1
    assert all(f["dataset"] == f"{source}.{dataset}" for f in metrics["failures"])
    assert metrics["rejected"][source]["quarantine"] == f"quarantine/{source}/{RUN}"
    assert (lake / metrics["docs"]).is_file()

    # The DAG's last task fails the run with one line naming the source and why.
    held = stage.run("validate", "--held-back", source, "--run-id", RUN)

    assert held.returncode == 2, held.stderr
    line = last_line(held.stderr)
    assert line.startswith(f"held-back: held back by the bronze gate (the other sources were published): {source} (")
    for text in expected:
        assert text in line, f"{text!r} not in {line!r}"
    assert f"Fix: the rejected batches are in quarantine/{source}/{RUN}/" in line
    task = lake_json(stage, f"reports/{RUN}/stages/held-back.json")
    assert task["status"] == "failed" and task["exit_code"] == 2
    assert [f["short"] for f in task["metrics"]["failures"]] == rejection["failures"]


def test_a_batch_read_in_chunks_fails_a_key_repeated_across_chunks_and_a_parent_missing_in_the_first(
    ingested: Ingested, tmp_path: Path
) -> None:
    """The gate never holds a whole file: a duplicate split between the first and the last chunk is still found."""
    stage = ingested.copy(tmp_path / "run")
    stage.extra["TRIBUTARY_BRONZE_CHUNK_ROWS"] = "2500"  # 10,051 wards: 1,000 rows first, 1,500, 3 × 2,500, 51
    planted: dict[str, int] = {}

    def plant(rows: Rows) -> None:
        planted.update(first=rows[0]["code"], orphan=rows[1]["code"])
        rows[-1]["code"] = rows[0]["code"]  # the last row repeats the first row's key
        rows[1]["province_code"] = 999  # no such province

    rewrite(stage, "vn_provinces", "wards", plant)

    assert stage.run("validate", "--suite", "bronze", "--run-id", RUN).returncode == 0  # held back
    held = stage.run("validate", "--held-back", "vn_provinces", "--run-id", RUN)

    line = last_line(held.stderr)
    first, orphan = planted["first"], planted["orphan"]
    assert f"vn_provinces.wards: expect_column_values_to_be_unique(code) 2 unexpected [{first}, {first}]" in line
    assert f"expect_column_values_to_be_in_set(province_code) 1 unexpected [999] at code [{orphan}]" in line
    result = lake_json(stage, f"reports/{RUN}/gx/bronze/results/vn_provinces.wards.json")
    assert result["meta"]["tributary"] == {"chunks": 6}
    assert lake_json(stage, "state/vn_provinces.json") is None


def test_every_source_rejected_fails_the_gate(ingested: Ingested, tmp_path: Path) -> None:
    """Nothing would be left to build: the gate fails itself (exit 2) and the DAG stops before silver."""
    stage = ingested.copy(tmp_path / "run")
    rewrite(stage, "worldbank", "indicator_values", _out_of_range)
    rewrite(stage, "vn_provinces", "districts", _orphan_district)
    outputs = tmp_path / "outputs"

    proc = stage.run("validate", "--suite", "bronze", "--run-id", RUN, "--outputs", str(outputs))

    assert proc.returncode == 2, proc.stderr
    line = last_line(proc.stderr)
    assert line.startswith("validate-bronze: bronze gate failed: "), line
    assert "worldbank.indicator_values" in line and "vn_provinces.districts" in line
    assert not (outputs / "held-back").exists()  # Argo's default, empty, applies; the DAG stops anyway
    metrics = lake_json(stage, f"reports/{RUN}/stages/validate-bronze.json")["metrics"]
    assert metrics["outcome"] == "failed" and metrics["held_back"] == []
    assert sorted(metrics["rejected"]) == ["vn_provinces", "worldbank"]
    assert lake_json(stage, "state/worldbank.json") is None and lake_json(stage, "state/vn_provinces.json") is None


def test_rerun_after_rejection_holds_back_again_without_revalidating(ingested: Ingested, tmp_path: Path) -> None:
    stage = ingested.copy(tmp_path / "run")
    rewrite(stage, "vn_provinces", "districts", _orphan_district)
    first = stage.run("validate", "--suite", "bronze", "--run-id", RUN)
    assert first.returncode == 0, first.stderr

    again = stage.run("validate", "--suite", "bronze", "--run-id", RUN, "--outputs", str(tmp_path / "outputs"))

    assert again.returncode == 0, again.stderr
    assert (tmp_path / "outputs" / "held-back").read_text() == "vn_provinces"
    assert lake_json(stage, "state/vn_provinces.json") is None
    metrics = lake_json(stage, f"reports/{RUN}/stages/validate-bronze.json")["metrics"]
    assert metrics["rejected"]["vn_provinces"]["rejected_earlier"] is True
    assert metrics["held_back"] == ["vn_provinces"]
    held = stage.run("validate", "--held-back", "vn_provinces", "--run-id", RUN)
    assert held.returncode == 2
    assert "vn_provinces (vn_provinces.districts: expect_column_values_to_be_in_set(province_code)" in last_line(
        held.stderr
    )


def test_rerun_after_every_source_was_rejected_fails_again(ingested: Ingested, tmp_path: Path) -> None:
    stage = ingested.copy(tmp_path / "run")
    rewrite(stage, "worldbank", "indicator_values", _out_of_range)
    rewrite(stage, "vn_provinces", "districts", _orphan_district)
    assert stage.run("validate", "--suite", "bronze", "--run-id", RUN).returncode == 2

    again = stage.run("validate", "--suite", "bronze", "--run-id", RUN)

    assert again.returncode == 2, again.stderr
    line = last_line(again.stderr)
    assert (
        "vn_provinces rejected earlier: vn_provinces.districts: expect_column_values_to_be_in_set(province_code)"
        in line
    )


def test_interrupted_rejection_is_finished_by_the_next_attempt(ingested: Ingested, tmp_path: Path) -> None:
    """The decision was recorded but the process died before moving anything: a re-run completes it."""
    stage = ingested.copy(tmp_path / "run")
    lake = Path(stage.lake)
    manifest = lake_json(stage, f"bronze/worldbank/_manifests/{RUN}.json")
    record = {
        "source": "worldbank",
        "run_id": RUN,
        "gate": "bronze",
        "failures": ["worldbank.x: recorded"],
        "docs": None,
        "manifest": manifest,
        "complete": False,
    }
    (lake / f"quarantine/worldbank/{RUN}").mkdir(parents=True)
    (lake / f"quarantine/worldbank/{RUN}/rejection.json").write_text(json.dumps(record))

    proc = stage.run("validate", "--suite", "bronze", "--run-id", RUN)

    assert proc.returncode == 0, proc.stderr  # worldbank held back, vn_provinces passed
    metrics = lake_json(stage, f"reports/{RUN}/stages/validate-bronze.json")["metrics"]
    assert metrics["held_back"] == ["worldbank"] and metrics["rejected"]["worldbank"]["rejected_earlier"] is True
    assert not (lake / f"bronze/worldbank/_manifests/{RUN}.json").exists()
    assert lake_json(stage, "state/worldbank.json") is None
    assert lake_json(stage, f"quarantine/worldbank/{RUN}/rejection.json")["complete"] is True
    # vn_provinces was validated normally in the same attempt.
    assert lake_json(stage, "state/vn_provinces.json")["last_success"]["run_id"] == RUN
    held = stage.run("validate", "--held-back", "worldbank", "--run-id", RUN)
    assert held.returncode == 2 and "worldbank (worldbank.x: recorded)" in last_line(held.stderr)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("noaa", "the bronze gate of run r1 did not hold back noaa"),
        ("fx files!", "--held-back 'fx files!' is not a comma-separated list of source names"),
    ],
)
def test_held_back_task_refuses_sources_the_gate_did_not_hold_back(
    value: str, expected: str, ingested: Ingested, tmp_path: Path
) -> None:
    stage = ingested.copy(tmp_path / "run")
    rewrite(stage, "worldbank", "indicator_values", _out_of_range)
    assert stage.run("validate", "--suite", "bronze", "--run-id", RUN).returncode == 0

    proc = stage.run("validate", "--held-back", value, "--run-id", RUN)

    assert proc.returncode == 2
    assert expected in last_line(proc.stderr) and "Traceback" not in proc.stderr


def test_bronze_gate_on_an_s3_lake(module_replay: Any, tmp_path: Path, s3_server: str, s3_bucket: str) -> None:

    from tests.conftest import S3_KEYS, write_config

    config = write_config(tmp_path / "pipeline.yaml", module_replay)
    stage = StageEnv(
        lake=f"s3://{s3_bucket}/lake", config=config, extra={"TRIBUTARY_S3_ENDPOINT": s3_server, **S3_KEYS}
    )
    proc = stage.run("ingest", "--source", "worldbank", "--run-id", RUN)
    assert proc.returncode == 0, proc.stderr
    s3 = s3_referee(s3_server)
    # corrupt the committed file on S3: drop the year 2020
    import io

    import pyarrow as pa
    import pyarrow.parquet as pq

    manifest = json.loads(
        s3.get_object(Bucket=s3_bucket, Key=f"lake/bronze/worldbank/_manifests/{RUN}.json")["Body"].read()
    )
    key = f"lake/{manifest['datasets']['indicator_values']['path']}"
    table = pq.read_table(io.BytesIO(s3.get_object(Bucket=s3_bucket, Key=key)["Body"].read()))
    rows = [r for r in table.to_pylist() if r["year"] != 2020]
    out = io.BytesIO()
    pq.write_table(pa.Table.from_pylist(rows, schema=table.schema), out)
    s3.put_object(Bucket=s3_bucket, Key=key, Body=out.getvalue())

    proc = stage.run("validate", "--suite", "bronze", "--run-id", RUN)

    assert proc.returncode == 0, proc.stderr  # held back (vn_provinces, enabled, is not rejected)
    held = stage.run("validate", "--held-back", "worldbank", "--run-id", RUN)
    assert held.returncode == 2, held.stderr
    assert "expect_column_distinct_values_to_contain_set(year) missing [2020]" in last_line(held.stderr)
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket=s3_bucket, Prefix="lake/")["Contents"]}
    assert f"lake/reports/{RUN}/gx/bronze/docs/index.html" in keys
    assert f"lake/reports/{RUN}/gx/bronze/results/worldbank.indicator_values.json" in keys
    assert key not in keys and f"lake/bronze/worldbank/_manifests/{RUN}.json" not in keys
    assert f"lake/quarantine/worldbank/{RUN}/_manifest.json" in keys
    assert "lake/state/worldbank.json" not in keys


def test_post_reform_tree_passes_with_an_empty_districts_file(tmp_path: Path) -> None:
    from tests.conftest import write_config
    from workflows.replay.server import POST_REFORM_SNAPSHOT, ReplayServer

    with ReplayServer(host="127.0.0.1", port=0, snapshot=POST_REFORM_SNAPSHOT) as server:
        stage = StageEnv(lake=str(tmp_path / "lake"), config=write_config(tmp_path / "pipeline.yaml", server), extra={})
        assert stage.run("ingest", "--source", "vn_provinces", "--run-id", RUN).returncode == 0

    proc = stage.run("validate", "--suite", "bronze", "--run-id", RUN)

    assert proc.returncode == 0, proc.stderr
    metrics = lake_json(stage, f"reports/{RUN}/stages/validate-bronze.json")["metrics"]
    assert {d["dataset"]: (d["rows"], d["success"]) for d in metrics["datasets"]} == {
        "vn_provinces.provinces": (34, True),
        "vn_provinces.districts": (0, True),
        "vn_provinces.wards": (3321, True),
    }
