"""Which deliveries a silver build merged, the query counting what they changed, and the per-source result."""

from __future__ import annotations

import sqlglot

from steps.dbt.changes import (
    SourceChanges,
    as_metrics,
    changes_sql,
    duckdb_relation,
    merged_deliveries,
    summarize,
    tracked_models,
)
from steps.dbt.committed import CommittedFile, Delivery
from steps.validate.manifest import DbtManifest, Model

WORLDBANK = Model("stg_worldbank__indicator_values", "silver", "stg_worldbank__indicator_values", {"row_hash": ""})
FX = Model("stg_fx_files__fx_rates", "silver", "stg_fx_files__fx_rates", {"row_hash": ""})


def _delivery(source: str, run_id: str, finished_at: str, rows: int) -> Delivery:
    files = (CommittedFile("values", f"bronze/{source}/values/{run_id}.parquet", rows, None),)
    return Delivery(source, run_id, finished_at, {}, files)


COMMITTED = [
    _delivery("worldbank", "r1", "2026-01-01", 33),
    _delivery("vn_provinces", "r1", "2026-01-01", 10),
    _delivery("worldbank", "r2", "2026-02-01", 33),
    _delivery("worldbank", "r3", "2026-03-01", 34),
]


def _state(**upstream: str | None) -> dict[str, object]:
    return {"layer": "silver", "inputs": {"upstream": upstream, "project": "abc"}}


def test_a_first_build_merges_every_delivery() -> None:
    merged = merged_deliveries(COMMITTED, None)
    assert {s: [d.run_id for d in ds] for s, ds in merged.items()} == {
        "worldbank": ["r1", "r2", "r3"],
        "vn_provinces": ["r1"],
    }


def test_a_later_build_merges_the_deliveries_after_its_inputs() -> None:
    merged = merged_deliveries(COMMITTED, _state(worldbank="r1", vn_provinces="r1"))
    # vn_provinces brought nothing new: it has no entry (nor has a source this build did not read).
    assert {s: [d.run_id for d in ds] for s, ds in merged.items()} == {"worldbank": ["r2", "r3"]}


def test_a_recorded_run_no_longer_committed_counts_only_the_newest_delivery() -> None:
    merged = merged_deliveries(COMMITTED, _state(worldbank="quarantined", vn_provinces=None))
    assert {s: [d.run_id for d in ds] for s, ds in merged.items()} == {"worldbank": ["r3"], "vn_provinces": ["r1"]}


def test_the_count_query_reads_each_tracked_model_of_the_merged_runs() -> None:
    models = {"worldbank": [WORLDBANK], "fx_files": [FX]}
    sql = changes_sql(models, {"worldbank": ["r2", "it's"]})
    assert sql is not None
    assert "{{ ref('stg_worldbank__indicator_values') }}" in sql  # dbt show resolves it on Trino
    assert "run_id in ('r2', 'it''s')" in sql  # literals, quotes doubled
    assert "fx_files" not in sql  # no delivery merged
    direct = changes_sql(models, {"worldbank": ["r2"]}, duckdb_relation)
    assert direct is not None and 'from "silver"."stg_worldbank__indicator_values"' in direct
    for dialect in ("duckdb", "trino"):
        sqlglot.parse_one(direct, read=dialect)
    assert changes_sql({"worldbank": [WORLDBANK]}, {}) is None


def test_tracked_models_are_the_staging_models_declaring_row_hash() -> None:
    manifest = DbtManifest.from_json(
        {
            "nodes": {
                "model.tributary.stg_worldbank__indicator_values": {
                    "resource_type": "model",
                    "package_name": "tributary",
                    "name": "stg_worldbank__indicator_values",
                    "schema": "silver",
                    "columns": {"row_hash": {"name": "row_hash"}},
                    "depends_on": {"nodes": ["source.tributary.worldbank.indicator_values"]},
                },
                "model.tributary.stg_old": {
                    "resource_type": "model",
                    "package_name": "tributary",
                    "name": "stg_old",
                    "schema": "silver",
                    "columns": {"x": {"name": "x"}},
                    "depends_on": {"nodes": ["source.tributary.old.values"]},
                },
            }
        }
    )
    assert {s: [m.name for m in ms] for s, ms in tracked_models(manifest).items()} == {
        "worldbank": ["stg_worldbank__indicator_values"]
    }


def test_summarize_adds_the_delivered_rows_and_defaults_to_no_change() -> None:
    merged = merged_deliveries(COMMITTED, None)
    changes = summarize(merged, [{"source_name": "worldbank", "new_rows": 33, "changed_rows": 2}])
    assert changes == [
        SourceChanges("vn_provinces", ("r1",), delivered=10, new=0, changed=0),
        SourceChanges("worldbank", ("r1", "r2", "r3"), delivered=100, new=33, changed=2),
    ]
    assert as_metrics(changes)["worldbank"] == {"runs": ("r1", "r2", "r3"), "delivered": 100, "new": 33, "changed": 2}
