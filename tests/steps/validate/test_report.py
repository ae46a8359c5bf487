"""Condensing GX results and formatting the gate's one-line failure (pure, on GX's JSON result shape)."""

from __future__ import annotations

from typing import Any

import numpy as np

from steps.validate.report import Failure, condense, fmt_value, gate_line, plain


def _result(kind: str, kwargs: dict[str, Any], success: bool, **result: Any) -> dict[str, Any]:
    return {
        "success": success,
        "expectation_config": {"type": kind, "kwargs": kwargs, "meta": {}},
        "result": result,
        "exception_info": {"raised_exception": False, "exception_message": None},
    }


def _suite_result(*results: dict[str, Any]) -> dict[str, Any]:
    ok = sum(r["success"] for r in results)
    return {
        "success": ok == len(results),
        "results": list(results),
        "statistics": {"evaluated_expectations": len(results), "successful_expectations": ok},
    }


INDEX = ["country_iso3", "indicator_id", "year"]


def test_condense_counts_and_keeps_bad_values_with_their_rows() -> None:
    outcome = condense(
        "worldbank.indicator_values",
        _suite_result(
            _result(
                "expect_column_values_to_be_unique",
                {"column": "year"},
                False,
                unexpected_count=2,
                partial_unexpected_list=[np.int32(2020), np.int32(2020)],
                partial_unexpected_index_list=[{"country_iso3": "VNM", "indicator_id": "A", "year": 2020}] * 2,
            ),
            _result("expect_column_values_to_not_be_null", {"column": "year"}, True, unexpected_count=0),
            _result(
                "expect_column_values_to_not_be_null",
                {"column": "indicator_id"},
                False,
                unexpected_count=1,
                partial_unexpected_list=[None],
                partial_unexpected_index_list=[{"country_iso3": "VNM", "indicator_id": None, "year": 2019}],
            ),
        ),
        INDEX,
    )
    assert (outcome.success, outcome.evaluated, outcome.passed) == (False, 3, 1)
    unique, null = outcome.failures
    assert unique.short() == (
        "worldbank.indicator_values: expect_column_values_to_be_unique(year) 2 unexpected [2020, 2020]"
        " at country_iso3/indicator_id/year [VNM/A/2020, VNM/A/2020]"
    )
    assert null.short().endswith(
        "expect_column_values_to_not_be_null(indicator_id) 1 unexpected [null]"
        " at country_iso3/indicator_id/year [VNM/null/2019]"
    )
    metrics = unique.as_metrics()
    assert metrics["sample"] == [2020, 2020] and type(metrics["sample"][0]) is int
    assert metrics["short"] == unique.short()


def test_key_columns_are_not_repeated_as_row_locations() -> None:
    outcome = condense(
        "vn_provinces.provinces",
        _suite_result(
            _result(
                "expect_column_values_to_be_unique",
                {"column": "code"},
                False,
                unexpected_count=2,
                partial_unexpected_list=[7, 7],
                partial_unexpected_index_list=[{"code": 7}, {"code": 7}],
            )
        ),
        ["code"],
    )
    assert (
        outcome.failures[0].short()
        == "vn_provinces.provinces: expect_column_values_to_be_unique(code) 2 unexpected [7, 7]"
    )


def test_table_level_missing_values_observed_and_errors() -> None:
    outcome = condense(
        "x",
        _suite_result(
            _result("expect_table_row_count_to_equal", {"value": 33}, False, observed_value=30),
            _result(
                "expect_column_distinct_values_to_contain_set",
                {"column": "year", "value_set": [1, 2]},
                False,
                observed_value=None,
                missing_count=1,
                partial_missing_list=[2020],
            ),
            _result(
                "expect_column_values_to_be_of_type",
                {"column": "year", "type_": "int32"},
                False,
                observed_value="float64",
            ),
            _result(
                "expect_table_columns_to_match_ordered_list", {"column_list": ["a", "b"]}, False, observed_value=["a"]
            ),
            {
                **_result("expect_column_values_to_be_between", {"column": "nope"}, False),
                "exception_info": {"raised_exception": True, "exception_message": "column nope\n does not exist"},
            },
        ),
        [],
    )
    assert [f.short() for f in outcome.failures] == [
        "x: expect_table_row_count_to_equal observed 30, expected 33",
        "x: expect_column_distinct_values_to_contain_set(year) missing [2020]",
        'x: expect_column_values_to_be_of_type(year) observed "float64", expected "int32"',
        'x: expect_table_columns_to_match_ordered_list observed ("a"), expected ("a", "b")',
        "x: expect_column_values_to_be_between(nope) error: column nope does not exist",
    ]


def test_pair_and_compound_samples() -> None:
    outcome = condense(
        "dim_macro_indicators",
        _suite_result(
            _result(
                "expect_column_pair_values_to_be_equal",
                {"column_A": "a", "column_B": "b"},
                False,
                unexpected_count=1,
                partial_unexpected_list=[(np.float64(13.816838688726381), None)],
                partial_unexpected_index_list=[{"macro_indicator_id": "VNM-2021", "a": 1.0, "b": None}],
            ),
            _result(
                "expect_compound_columns_to_be_unique",
                {"column_list": ["k", "y"]},
                False,
                unexpected_count=2,
                partial_unexpected_list=[{"k": "VNM", "y": 2020}] * 2,
            ),
        ),
        ["macro_indicator_id"],
    )
    pair, compound = outcome.failures
    assert pair.short() == (
        "dim_macro_indicators: expect_column_pair_values_to_be_equal(a, b) 1 unexpected [(13.81683869, null)]"
        " at macro_indicator_id [VNM-2021]"
    )
    assert compound.short().endswith('(k, y) 2 unexpected [("VNM", 2020), ("VNM", 2020)]')


def test_gate_line_lists_a_few_failures_then_counts_the_rest() -> None:
    failures = [Failure(dataset="d", expectation=f"expect_{i}", observed=i) for i in range(8)]
    line = gate_line("bronze", failures, limit=3)
    assert line == (
        "bronze gate failed: d: expect_0 observed 0; d: expect_1 observed 1; d: expect_2 observed 2; and 5 more"
    )


def test_long_samples_are_cut_with_an_ellipsis() -> None:
    f = Failure(dataset="d", expectation="e", columns=["c"], unexpected_count=100, sample=list(range(20)))
    assert f.short() == "d: e(c) 100 unexpected [0, 1, 2, 3, 4, …]"
    assert fmt_value("x" * 100).endswith("…") and len(fmt_value("x" * 100)) == 60


def test_plain_makes_values_json_ready() -> None:
    import pandas as pd

    assert plain(np.int64(3)) == 3 and type(plain(np.int64(3))) is int
    assert plain(np.float64("nan")) is None and plain(pd.NA) is None
    assert plain(pd.Timestamp("2026-01-02T03:04:05Z")) == "2026-01-02T03:04:05+00:00"
    assert plain((1, np.bool_(True))) == [1, True]
    assert plain({"a": np.str_("x")}) == {"a": "x"}


def test_metric_errors_are_reported_from_gx_nested_exception_info() -> None:
    failed = _result("expect_column_max_to_be_between", {"column": "c", "min_value": 0}, False, observed_value=None)
    failed["exception_info"] = {
        "MetricConfigurationID(metric_name='column.max', ...)": {
            "raised_exception": True,
            "exception_message": 'The column "c" in BatchData does not exist.',
            "exception_traceback": "Traceback …",
        }
    }
    observed = _result(
        "expect_column_max_to_be_between", {"column": "c", "min_value": 0, "max_value": 9}, False, observed_value=12
    )
    outcome = condense("x", _suite_result(failed, observed), [])
    assert [f.short() for f in outcome.failures] == [
        'x: expect_column_max_to_be_between(c) error: The column "c" in BatchData does not exist.',
        'x: expect_column_max_to_be_between(c) observed 12, expected "0..9"',
    ]
