"""Suite files: loading, checking, and the parameters they reference (pure; no GX import)."""

from __future__ import annotations

import pytest

from steps.errors import ConfigError
from steps.validate.suites import (
    Suite,
    available_suites,
    check_parameters,
    columns_of,
    load_suite,
    parameters_of,
    parse_suite,
)

BRONZE = [
    "app_db.orders",
    "eia.observations",
    "fred.observations",
    "fred.series",
    "fx_files.fx_rates",
    "noaa.observations",
    "vn_provinces.districts",
    "vn_provinces.provinces",
    "vn_provinces.wards",
    "worldbank.indicator_values",
]
GOLD = ["dim_location", "dim_macro_indicators", "freshness"]
# A bronze suite lives in its source's package; app_db and fx_files are configured instances of postgres and files.
PACKAGE = {"app_db": "postgres", "fx_files": "files"}


def _origin(gate: str, dataset: str) -> str:
    if gate == "bronze":
        source = dataset.split(".")[0]
        return f"steps/sources/{PACKAGE.get(source, source)}/suites/{dataset}.yml"
    return f"steps/validate/suites/{gate}/{dataset}.yml"


def test_every_dataset_has_a_reviewed_suite_file() -> None:
    assert available_suites("bronze") == BRONZE
    assert available_suites("gold") == GOLD


@pytest.mark.parametrize(("gate", "dataset"), [("bronze", d) for d in BRONZE] + [("gold", d) for d in GOLD])
def test_shipped_suites_load(gate: str, dataset: str) -> None:
    suite = load_suite(gate, dataset)  # type: ignore[arg-type]
    assert suite.name == f"{gate}.{dataset}"
    assert suite.origin == _origin(gate, dataset)
    assert suite.expectations and all(e["type"].startswith("expect_") for e in suite.expectations)
    assert suite.index_columns, "every suite names the columns that identify a bad row"


def test_parameters_referenced_by_the_shipped_suites() -> None:
    assert load_suite("bronze", "worldbank.indicator_values").parameters == {
        "run_ids",
        "expected_rows",
        "start_year",
        "end_year",
        "requested_years",
        "indicators",
    }
    assert load_suite("bronze", "vn_provinces.provinces").parameters == {"run_ids", "expected_rows"}
    assert load_suite("bronze", "vn_provinces.districts").parameters == {"run_ids", "expected_rows", "province_codes"}
    assert load_suite("bronze", "vn_provinces.wards").parameters == {
        "run_ids",
        "expected_rows",
        "province_codes",
        "district_codes",
    }
    assert load_suite("gold", "dim_macro_indicators").parameters == {"expected_macro_indicator_ids"}
    assert load_suite("gold", "dim_location").parameters == set()


def test_gold_suites_leave_transformation_invariants_to_dbt() -> None:
    # dbt owns year-over-year (its unit test) and the pivot; the gate checks keys and coverage only.
    suite = load_suite("gold", "dim_macro_indicators")
    assert columns_of(suite) == {"macro_indicator_id"}
    assert "indicator_columns" not in suite.meta["tributary"]
    assert columns_of(load_suite("gold", "dim_location")) == {
        "location_version_id",
        "location_id",
        "location_level",
        "is_current",
        "effective_from",
        "effective_to",
        "next_version_from",
    }


def test_missing_suite_names_the_file_to_add() -> None:
    with pytest.raises(ConfigError) as err:
        load_suite("bronze", "acme.prices")
    assert "steps/validate/suites/bronze/acme.prices.yml does not exist" in err.value.line()


GOOD = """
name: bronze.src.data
meta: {tributary: {index_columns: [id]}}
expectations:
  - type: expect_column_values_to_be_between
    kwargs: {column: year, min_value: {$PARAMETER: start_year}, max_value: {$PARAMETER: end_year}}
"""


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("name: [unclosed", "is not valid YAML"),
        ("- a list", "is not a mapping"),
        (GOOD.replace("bronze.src.data", "bronze.other"), "is named 'bronze.other'"),
        ("name: bronze.src.data\nexpectations: []", "has no expectations"),
        ("name: bronze.src.data\nexpectations: [{type: expect_x}]", "needs a 'type' string and a 'kwargs' mapping"),
        ("name: bronze.src.data\nexpectations: [{type: expect_x, kwargs: {}, colour: red}]", "unknown keys ['colour']"),
        ("name: bronze.src.data\nmeta: [1]\nexpectations: [{type: expect_x, kwargs: {}}]", "meta is not a mapping"),
    ],
)
def test_broken_suite_files_are_refused_with_the_reason(text: str, problem: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_suite(text, "bronze", "src.data", "suites/bronze/src.data.yml")
    assert problem in err.value.line() and "suites/bronze/src.data.yml" in err.value.line()


def test_parameters_are_found_anywhere_and_must_all_be_filled() -> None:
    suite = parse_suite(GOOD, "bronze", "src.data", "x.yml")
    assert suite.parameters == {"start_year", "end_year"}
    assert parameters_of({"a": [{"b": {"$PARAMETER": "deep"}}], "c": {"$PARAMETER": "top"}}) == {"deep", "top"}
    # only what the suite uses is passed on
    assert check_parameters(suite, {"start_year": 2014, "end_year": 2024, "unused": 1}) == {
        "end_year": 2024,
        "start_year": 2014,
    }
    with pytest.raises(ConfigError) as err:
        check_parameters(suite, {"start_year": 2014})
    assert "references parameters ['end_year'] that the stage does not fill" in err.value.line()


def test_suite_without_index_columns_has_none() -> None:
    suite = Suite(gate="gold", dataset="x", expectations=({"type": "expect_x", "kwargs": {}},))
    assert suite.index_columns == [] and suite.parameters == set()
