"""Filling suite parameters from the config and the run's manifest (pure)."""

from __future__ import annotations

from typing import Any

import pytest

from steps.config import PipelineConfig
from steps.errors import ConfigError
from steps.sources.vn_provinces.config import VnProvincesConfig
from steps.sources.worldbank.config import WorldBankConfig
from steps.validate.bronze import ManifestView
from steps.validate.params import bronze_parameters, gold_parameters
from steps.validate.suites import check_parameters, load_suite

WB = WorldBankConfig(
    base_url="http://wb",
    countries=["VN", "THA"],
    indicators=["NY.GDP.MKTP.CD", "FP.CPI.TOTL.ZG"],
    start_year=2020,
    end_year=2022,
)
VNP = VnProvincesConfig(base_url="http://vnp")


def _manifest(source: str, datasets: dict[str, int], totals: list[int | None]) -> ManifestView:
    return ManifestView.model_validate(
        {
            "source": source,
            "run_id": "r9",
            "datasets": {d: {"path": f"bronze/{source}/{d}/x.parquet", "rows": n} for d, n in datasets.items()},
            "streams": [{"stream_id": f"s{i}", "api_total": t} for i, t in enumerate(totals)],
            "requests": 3,  # extra manifest fields are ignored
        }
    )


def test_worldbank_expected_rows_is_the_sum_of_the_indicator_totals() -> None:
    params = bronze_parameters(WB, _manifest("worldbank", {"indicator_values": 11}, [6, 6]), {}, {})
    values = params.values["indicator_values"]
    assert values == {
        "run_ids": ["r9"],
        "start_year": 2020,
        "end_year": 2022,
        "requested_years": [2020, 2021, 2022],
        "indicators": ["NY.GDP.MKTP.CD", "FP.CPI.TOTL.ZG"],
        "expected_rows": 12,
    }
    assert not params.notes
    # exactly what the shipped suite needs
    assert check_parameters(load_suite("bronze", "worldbank.indicator_values"), values) == values


def test_a_worldbank_backfill_batch_is_checked_against_its_own_years() -> None:
    manifest = _manifest("worldbank", {"indicator_values": 12}, [6, 6]).model_copy(
        update={"details": {"backfill": "2000:2005", "api": "the World Bank v2 API"}}
    )
    values = bronze_parameters(WB, manifest, {}, {}).values["indicator_values"]
    assert (values["start_year"], values["end_year"]) == (2000, 2005)
    assert values["requested_years"] == [2000, 2001, 2002, 2003, 2004, 2005]
    assert check_parameters(load_suite("bronze", "worldbank.indicator_values"), values) == values


def test_worldbank_without_an_api_total_falls_back_to_the_rows_written_and_says_so() -> None:
    params = bronze_parameters(WB, _manifest("worldbank", {"indicator_values": 11}, [6, None]), {}, {})
    assert params.values["indicator_values"]["expected_rows"] == 11
    assert params.notes == ["worldbank.indicator_values: the API reported no total; expected_rows = rows written"]


def test_vn_provinces_share_of_the_tree_total_and_parent_codes() -> None:
    counts = {"provinces": 3, "districts": 4, "wards": 10}
    manifest = _manifest("vn_provinces", counts, [17])
    params = bronze_parameters(VNP, manifest, counts, {"provinces": [3, 1, 2], "districts": [10, 11]})
    assert {d: v["expected_rows"] for d, v in params.values.items()} == counts
    assert params.values["wards"]["province_codes"] == [1, 2, 3]
    assert params.values["wards"]["district_codes"] == [10, 11]
    # one extra ward row: only the wards file's expectation is off
    params = bronze_parameters(VNP, manifest, {**counts, "wards": 11}, {})
    assert {d: v["expected_rows"] for d, v in params.values.items()} == {"provinces": 2, "districts": 3, "wards": 10}
    for dataset, values in params.values.items():
        check_parameters(load_suite("bronze", f"vn_provinces.{dataset}"), values)


def test_other_sources_get_the_run_id_and_the_rows_written() -> None:
    from steps.config import SourceConfig

    params = bronze_parameters(SourceConfig(), _manifest("fred", {"observations": 7, "series": 2}, [7]), {}, {})
    assert params.values == {
        "observations": {"run_ids": ["r9"], "expected_rows": 7},
        "series": {"run_ids": ["r9"], "expected_rows": 2},
    }
    assert len(params.notes) == 2 and "no API-total rule" in params.notes[0]


def _config(**sources: Any) -> PipelineConfig:
    return PipelineConfig.model_validate({"sources": sources})


def test_gold_expected_ids_map_iso2_through_silver_and_keep_unknown_codes() -> None:
    wb = {
        "kind": "worldbank",
        "base_url": "http://wb",
        "countries": ["VN", "tha", "XX"],
        "indicators": ["NY.GDP.MKTP.CD"],
        "start_year": 2023,
        "end_year": 2024,
    }
    params = gold_parameters(_config(worldbank=wb), {"VN": "VNM", "TH": "THA"})
    assert params.values["dim_macro_indicators"]["expected_macro_indicator_ids"] == [
        "VNM-2023",
        "VNM-2024",
        "THA-2023",
        "THA-2024",
        "XX-2023",
        "XX-2024",
    ]


def test_gold_without_an_enabled_worldbank_source_expects_no_rows() -> None:
    params = gold_parameters(_config(vn_provinces={"kind": "vn_provinces", "base_url": "http://vnp"}), {})
    assert params.values["dim_macro_indicators"]["expected_macro_indicator_ids"] == []


def test_two_enabled_worldbank_sources_are_a_config_error() -> None:
    wb = {"kind": "worldbank", "base_url": "http://wb", "indicators": ["X"], "start_year": 2023, "end_year": 2024}
    with pytest.raises(ConfigError):
        gold_parameters(_config(a=wb, b=wb), {})
