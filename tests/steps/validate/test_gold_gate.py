"""Both gates around real dbt builds: a clean replay passes; tampered gold fails; a rejected batch stops at bronze.

Gold is built once for the module (ingest → bronze gate → dbt silver → dbt gold → gold gate, about a minute);
destructive tests work on copies of that lake and warehouse.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pytest

from tests.conftest import StageEnv
from tests.steps.validate.conftest import RUN, Ingested, lake_json, last_line, rewrite, row, run_ok, stage_env


@dataclass
class Built:
    """A lake whose gold was built from run r1, both gates having passed."""

    root: Path
    stage: StageEnv

    def copy(self, dst: Path) -> StageEnv:
        shutil.copytree(self.root, dst, ignore=shutil.ignore_patterns("dbt"))
        return stage_env(dst)


@pytest.fixture(scope="module")
def built(ingested: Ingested, tmp_path_factory: pytest.TempPathFactory) -> Built:
    root = tmp_path_factory.mktemp("built") / "run"
    stage = ingested.copy(root)
    run_ok(stage, "validate", "--suite", "bronze", "--run-id", RUN)
    run_ok(stage, "dbt", "--layer", "silver", "--run-id", RUN)
    run_ok(stage, "dbt", "--layer", "gold", "--run-id", RUN)
    run_ok(stage, "validate", "--suite", "gold", "--run-id", RUN)
    return Built(root, stage)


def _warehouse(stage: StageEnv) -> Path:
    return Path(stage.lake) / "warehouse.duckdb"


def _sql(stage: StageEnv, *statements: str) -> list[Any]:
    with duckdb.connect(str(_warehouse(stage))) as con:
        out: list[Any] = []
        for s in statements:
            out = con.execute(s).fetchall()
        return out


def test_clean_replay_passes_both_gates(built: Built) -> None:
    lake = Path(built.stage.lake)
    for gate, datasets in (
        (
            "bronze",
            {"worldbank.indicator_values", "vn_provinces.provinces", "vn_provinces.districts", "vn_provinces.wards"},
        ),
        ("gold", {"dim_macro_indicators", "dim_location", "freshness"}),
    ):
        result = lake_json(built.stage, f"reports/{RUN}/stages/validate-{gate}.json")
        metrics = result["metrics"]
        assert result["status"] == "succeeded" and metrics["outcome"] == "passed", metrics["failures"]
        assert {d["dataset"] for d in metrics["datasets"]} == datasets
        assert metrics["expectations"]["failed"] == 0
        index = lake / f"reports/{RUN}/gx/{gate}/docs/index.html"
        assert index.is_file() and metrics["docs"] == f"reports/{RUN}/gx/{gate}/docs/index.html"
        html = index.read_text()
        assert "<html" in html.lower() and all(d in html for d in datasets)
        assert (lake / f"reports/{RUN}/gx/{gate}/outcome.json").is_file()
    gold = lake_json(built.stage, f"reports/{RUN}/stages/validate-gold.json")["metrics"]
    assert {f["source"]: f["basis"] for f in gold["freshness"]} == {
        "worldbank": "max(silver.stg_worldbank__indicator_values.ingested_at)",
        "vn_provinces": "max(silver.stg_vn_provinces__provinces.ingested_at)",
    }
    assert all(0 <= f["age_days"] < 1 for f in gold["freshness"])
    assert {d["dataset"]: d["rows"] for d in gold["datasets"]}["dim_macro_indicators"] == 11


def test_second_current_version_fails_the_gold_gate(built: Built, tmp_path: Path) -> None:
    stage = built.copy(tmp_path / "run")
    _sql(
        stage,
        """insert into gold.dim_location
           select 'tampered-' || location_version_id, location_id, parent_location_id, location_level,
                  location_name || ' (copy)', division_type, codename, location_code, province_code, district_code,
                  true, effective_from + interval 1 hour, null
           from gold.dim_location where location_id = 'province-1'""",
    )

    proc = stage.run("validate", "--suite", "gold", "--run-id", RUN)

    assert proc.returncode == 2, proc.stderr
    line = last_line(proc.stderr)
    assert line.startswith("validate-gold: gold gate failed: "), line
    assert (
        'dim_location: expect_column_values_to_be_unique(location_id) 2 unexpected ["province-1", "province-1"]' in line
    )
    assert "dim_location: expect_column_values_to_be_null(next_version_from) 1 unexpected [" in line
    assert "at location_id [province-1]" in line
    assert "Fix: gold is not fit for use; see " in line and "gx/gold/docs/index.html" in line
    metrics = lake_json(stage, f"reports/{RUN}/stages/validate-gold.json")["metrics"]
    assert metrics["outcome"] == "failed"
    assert {f["dataset"] for f in metrics["failures"]} == {"dim_location"}
    assert (Path(stage.lake) / metrics["docs"]).is_file()


def test_gold_missing_year_fails_the_gold_gate(built: Built, tmp_path: Path) -> None:
    # Year-over-year arithmetic is dbt's (its unit test dim_macro_indicators_year_over_year); the gate checks coverage.
    stage = built.copy(tmp_path / "run")
    _sql(stage, "delete from gold.dim_macro_indicators where year = 2020")

    proc = stage.run("validate", "--suite", "gold", "--run-id", RUN)

    assert proc.returncode == 2, proc.stderr
    line = last_line(proc.stderr)
    assert 'expect_column_distinct_values_to_contain_set(macro_indicator_id) missing ["VNM-2020"]' in line
    metrics = lake_json(stage, f"reports/{RUN}/stages/validate-gold.json")["metrics"]
    assert {f["dataset"] for f in metrics["failures"]} == {"dim_macro_indicators"}


def test_suite_naming_a_column_the_model_lacks_is_a_config_error(built: Built, tmp_path: Path) -> None:
    stage = built.copy(tmp_path / "run")
    manifest = Path(stage.lake) / "state/_dbt_manifest.json"
    data = json.loads(manifest.read_text())
    del data["nodes"]["model.tributary.dim_location"]["columns"]["is_current"]
    manifest.write_text(json.dumps(data))
    (Path(stage.lake) / "state/_gate_gold.json").unlink()  # gold itself is unchanged: make the gate run

    proc = stage.run("validate", "--suite", "gold", "--run-id", RUN)

    assert proc.returncode == 2, proc.stderr
    line = last_line(proc.stderr)
    assert "steps/validate/suites/gold/dim_location.yml checks columns ['is_current'] that dbt model" in line
    assert "Fix: update steps/validate/suites/gold/dim_location.yml or the model's columns" in line


def test_rejected_batch_leaves_silver_gold_and_state_untouched(built: Built, tmp_path: Path) -> None:
    stage = built.copy(tmp_path / "run")
    run_ok(stage, "ingest", "--source", "worldbank", "--run-id", "r2")  # a second ingest, then it goes bad
    rewrite(
        stage,
        "worldbank",
        "indicator_values",
        lambda rows: rows.append(dict(row(rows, year=2015, indicator_id="NY.GDP.MKTP.CD"))),
        run_id="r2",
    )
    state = Path(stage.lake) / "state/worldbank.json"
    advanced = json.loads(state.read_text())
    assert advanced["last_success"]["run_id"] == "r2"
    before = {**advanced, "last_success": advanced["history"][1], "history": advanced["history"][1:]}
    warehouse = hashlib.sha256(_warehouse(stage).read_bytes()).hexdigest()

    proc = stage.run("validate", "--suite", "bronze", "--run-id", "r2")

    assert proc.returncode == 0, proc.stderr  # held back: vn_provinces may still be built
    metrics = lake_json(stage, "reports/r2/stages/validate-bronze.json")["metrics"]
    assert metrics["held_back"] == ["worldbank"]
    assert "expect_compound_columns_to_be_unique(country_iso3, indicator_id, year)" in metrics["failures"][0]["short"]
    assert json.loads(state.read_text()) == before  # exactly what r1 left
    assert metrics["rejected"]["worldbank"]["state_restored_to"] == RUN
    assert hashlib.sha256(_warehouse(stage).read_bytes()).hexdigest() == warehouse
    # Even if something ran dbt silver now, it would find nothing new …
    run_ok(stage, "dbt", "--layer", "silver", "--run-id", "r2")
    assert lake_json(stage, "reports/r2/stages/dbt-silver.json")["status"] == "skipped"
    assert hashlib.sha256(_warehouse(stage).read_bytes()).hexdigest() == warehouse
    # … and a forced build cannot see the rejected file: it is out of bronze.
    run_ok(stage, "dbt", "--layer", "silver", "--run-id", "r2", "--force", "true")
    runs = _sql(stage, "select run_id, count(*) from silver.stg_worldbank__indicator_values group by run_id")
    assert runs == [(RUN, 33)]


def test_same_gold_suites_run_on_the_sql_engine(built: Built, tmp_path: Path) -> None:
    """The trino path: check queries as GX query assets over SQLAlchemy (SQLite here: no Trino server offline)."""
    import sqlalchemy

    from steps.config import load_config
    from steps.lake import Lake
    from steps.validate import gold
    from steps.validate.manifest import DbtManifest
    from steps.validate.params import gold_parameters
    from steps.validate.report import condense
    from steps.validate.runner import GxSession, SqlEngine, Target
    from steps.validate.suites import load_suite

    db = tmp_path / "warehouse.sqlite"
    engine = sqlalchemy.create_engine(f"sqlite:///{db}")
    with duckdb.connect(str(_warehouse(built.stage)), read_only=True) as con:
        con.execute("set TimeZone = 'UTC'")
        for table in ("silver.stg_worldbank__indicator_values", "gold.dim_macro_indicators", "gold.dim_location"):
            con.sql(f"select * from {table}").df().to_sql(table.split(".")[1], engine, index=False)
    sql = SqlEngine(f"sqlite:///{db}")
    schemas = gold.Schemas(silver="main", gold="main")
    warehouse = gold.SqlWarehouse(sql, "sqlite")
    manifest = DbtManifest.load(Lake(built.stage.lake))
    codes = gold.country_codes(warehouse, schemas, manifest.staging_models("worldbank"))
    params = gold_parameters(load_config(built.stage.config), codes)
    suites = {d: load_suite("gold", d) for d in ("dim_macro_indicators", "dim_location")}
    queries = {d: gold.check_sql(schemas, manifest.models[d]) for d in suites}

    def validate(docs: Path) -> dict[str, Any]:
        session = GxSession(docs, RUN, sql=sql)
        outcomes = {}
        for name, suite in suites.items():
            values = params.values.get(name, {})
            result = session.validate(Target(suite=suite, params=values, query=queries[name]))
            outcomes[name] = condense(name, result, suite.index_columns)
        session.build_docs()
        return outcomes

    clean = validate(tmp_path / "docs-clean")
    assert all(o.success for o in clean.values()), [f.short() for o in clean.values() for f in o.failures]
    assert clean["dim_macro_indicators"].evaluated == len(suites["dim_macro_indicators"].expectations)

    with engine.begin() as con:
        con.execute(
            sqlalchemy.text(
                "insert into dim_location select 'tampered', location_id, parent_location_id, location_level,"
                " location_name, division_type, codename, location_code, province_code, district_code, is_current,"
                " effective_from, effective_to from dim_location where location_id = 'province-1'"
            )
        )
    tampered = validate(tmp_path / "docs-tampered")
    shorts = [f.short() for f in tampered["dim_location"].failures]
    assert (
        'dim_location: expect_column_values_to_be_unique(location_id) 2 unexpected ["province-1", "province-1"]'
        in shorts
    )
    assert tampered["dim_macro_indicators"].success


def test_unchanged_gold_skips_the_gate_without_great_expectations(built: Built, tmp_path: Path) -> None:
    stage = built.copy(tmp_path / "run")
    # the module's build already passed the gate once; nothing changed since (copy keeps the file's mtime)
    proc = stage.run("validate", "--suite", "gold", "--run-id", "r-again")
    assert proc.returncode == 0, proc.stderr
    result = lake_json(stage, "reports/r-again/stages/validate-gold.json")
    if result["status"] != "skipped":  # copy2 could not keep the mtime: the gate ran and passed, then must skip
        proc = stage.run("validate", "--suite", "gold", "--run-id", "r-again2")
        result = lake_json(stage, "reports/r-again2/stages/validate-gold.json")
    assert result["status"] == "skipped" and result["metrics"]["reason"].startswith("nothing new: gold unchanged")
    assert result["duration_s"] < 2  # Great Expectations (seconds to import) was not loaded
