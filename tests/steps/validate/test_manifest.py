"""Reading dbt's manifest: enabled models, their layer, declared columns, the sources they read, their tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from steps.errors import InputError
from steps.lake import Lake
from steps.validate.manifest import DbtManifest


def _model(name: str, schema: str, columns: list[str], depends_on: list[str]) -> dict[str, Any]:
    return {
        "resource_type": "model",
        "package_name": "tributary",
        "name": name,
        "schema": schema,
        "alias": name,
        "columns": {c: {"name": c, "data_type": "varchar"} for c in columns},
        "depends_on": {"nodes": depends_on},
    }


MANIFEST = {
    "nodes": {
        "model.tributary.stg_vn_provinces__wards": _model(
            "stg_vn_provinces__wards", "silver", ["ward_code", "ingested_at"], ["source.tributary.vn_provinces.wards"]
        ),
        "model.tributary.stg_vn_provinces__provinces": _model(
            "stg_vn_provinces__provinces",
            "silver",
            ["province_code", "ingested_at"],
            ["source.tributary.vn_provinces.provinces"],
        ),
        "model.tributary.dim_location": _model(
            "dim_location", "gold", ["location_id", "effective_from", "effective_to"], ["snapshot.tributary.snp"]
        ),
        "test.tributary.scd2_valid_history_dim_location.1": {
            "resource_type": "test",
            "attached_node": "model.tributary.dim_location",
            "test_metadata": {
                "name": "scd2_valid_history",
                "kwargs": {
                    "unique_key": "location_id",
                    "valid_from": "effective_from",
                    "valid_to": "effective_to",
                    "model": "{{ get_where_subquery(ref('dim_location')) }}",
                },
            },
        },
        "model.other_package.stg_x": {**_model("stg_x", "silver", [], []), "package_name": "other_package"},
    },
    "sources": {
        "source.tributary.vn_provinces.provinces": {"freshness": {"warn_after": {"count": 30, "period": "day"}}},
        "source.tributary.vn_provinces.wards": {"freshness": None},  # freshness: null
    },
    "disabled": {"model.tributary.dim_macro_indicators": [{"name": "dim_macro_indicators"}]},
}


def test_models_layers_columns_sources_and_tests() -> None:
    manifest = DbtManifest.from_json(MANIFEST)
    assert set(manifest.models) == {"stg_vn_provinces__wards", "stg_vn_provinces__provinces", "dim_location"}
    assert manifest.model("dim_macro_indicators") is None  # disabled: its source is off
    location = manifest.models["dim_location"]
    assert (location.schema, location.alias, list(location.columns)) == (
        "gold",
        "dim_location",
        ["location_id", "effective_from", "effective_to"],
    )
    assert location.tests == {
        "scd2_valid_history": {"unique_key": "location_id", "valid_from": "effective_from", "valid_to": "effective_to"}
    }
    assert [m.name for m in manifest.staging_models("vn_provinces")] == [
        "stg_vn_provinces__provinces",
        "stg_vn_provinces__wards",
    ]
    assert manifest.staging_models("fred") == []
    # A table whose age says nothing about its source's (no freshness policy) does not tell its newest ingest.
    assert [m.name for m in manifest.freshness_models("vn_provinces")] == ["stg_vn_provinces__provinces"]


def test_a_lake_without_a_published_manifest_says_to_build_first(tmp_path: Path) -> None:
    with pytest.raises(InputError) as err:
        DbtManifest.load(Lake(str(tmp_path)))
    line = err.value.line()
    assert "state/_dbt_manifest.json does not exist" in line and "python -m steps.dbt --layer" in line
