"""The bronze gate chunk by chunk: one result equal to what GX writes for the whole batch at once.

The equivalence test validates the same Parquet file twice, whole with GX (as the gate did before) and in chunks
with the batch-wide expectations computed by DuckDB, and compares every expectation's result field by field: the
failure messages, the metrics and the Data Docs are built from exactly these fields.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from steps.errors import ConfigError
from steps.validate.batchwide import BatchFile, Engine
from steps.validate.bronze import BronzeBatch, to_frame
from steps.validate.chunks import BATCH_WIDE, check_streamable, finish, map_result, merge
from steps.validate.report import condense
from steps.validate.runner import PARTIAL_UNEXPECTED_COUNT, ChunkedTarget, GxSession, Target
from steps.validate.suites import Suite, available_suites, load_suite

ROWS = 300
SCHEMA = pa.schema(
    [
        ("code", pa.int32()),
        ("kind", pa.string()),
        ("parent", pa.int32()),
        ("day", pa.date32()),
        ("name", pa.string()),
        ("value", pa.float64()),
    ]
)
# Every kind of expectation the shipped suites use, each failing in a way that spans chunks: codes repeat 250 rows
# apart (a duplicate in the first and in the last chunk), one parent is missing in the first rows, nulls at the end.
EXPECTATIONS = (
    {"type": "expect_table_columns_to_match_ordered_list", "kwargs": {"column_list": SCHEMA.names}},
    {"type": "expect_column_values_to_be_of_type", "kwargs": {"column": "kind", "type_": "str"}},
    {"type": "expect_column_values_to_be_of_type", "kwargs": {"column": "code", "type_": "int64"}},
    {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "code"}},
    {"type": "expect_column_values_to_be_unique", "kwargs": {"column": "code"}},
    {"type": "expect_compound_columns_to_be_unique", "kwargs": {"column_list": ["kind", "day"]}},
    {"type": "expect_table_row_count_to_equal", "kwargs": {"value": {"$PARAMETER": "expected_rows"}}},
    {"type": "expect_column_distinct_values_to_contain_set", "kwargs": {"column": "kind", "value_set": ["k1", "zz"]}},
    {"type": "expect_column_values_to_be_in_set", "kwargs": {"column": "parent", "value_set": [0, 1]}},
    {"type": "expect_column_values_to_be_between", "kwargs": {"column": "value", "min_value": 0, "mostly": 0.9}},
    {"type": "expect_column_values_to_match_regex", "kwargs": {"column": "name", "regex": "^n[0-9]+$"}},
    {
        "type": "expect_column_values_to_be_between",
        "kwargs": {
            "column": "value",
            "max_value": 100,
            "row_condition": {"type": "comparison", "column": {"name": "kind"}, "operator": "==", "parameter": "k2"},
        },
    },
)


def _rows() -> list[dict[str, Any]]:
    return [
        {
            "code": i % 250 if i < 290 else None,
            "kind": f"k{i % 7}",
            "parent": 2 if i == 3 else i % 2 if i != 5 else None,
            "day": date(2020, 1, 1 + i % 28),
            "name": f"n{i}" if i != 150 else "x150",
            "value": float(i) - 3,
        }
        for i in range(ROWS)
    ]


@pytest.fixture(scope="module")
def batch_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("chunks") / "batch.parquet"
    pq.write_table(pa.Table.from_pylist(_rows(), schema=SCHEMA), path, row_group_size=64)
    return path


def _suite(index: list[str]) -> Suite:
    return Suite(gate="bronze", dataset="t.x", expectations=EXPECTATIONS, meta={"tributary": {"index_columns": index}})


@pytest.mark.parametrize(
    ("index", "chunk_rows", "head_rows", "chunks"),
    [
        ([], 100, 1000, 3),  # a first chunk as large as the others
        (["code", "name"], 64, 10, 6),  # a small first chunk (10 rows), then 54, 64, 64, 64, 44
    ],
)
def test_chunked_results_equal_gx_on_the_whole_batch(
    batch_file: Path, tmp_path: Path, index: list[str], chunk_rows: int, head_rows: int, chunks: int
) -> None:
    suite, params = _suite(index), {"expected_rows": ROWS - 1}
    whole = GxSession(tmp_path / "whole", "r1").validate(
        Target(suite=suite, params=params, frame=to_frame(pq.read_table(batch_file)))
    )
    session = GxSession(tmp_path / "docs", "r1")
    with Engine() as engine:
        chunked = session.validate_chunked(
            ChunkedTarget(
                suite=suite,
                params=params,
                chunks=BronzeBatch("t", "x", "bronze/t/x.parquet", batch_file, ROWS).chunks(chunk_rows, head_rows),
                batch_wide=BatchFile(engine, batch_file, ROWS, index, PARTIAL_UNEXPECTED_COUNT).compute,
            )
        )

    assert [r["expectation_config"]["type"] for r in chunked["results"]] == [
        r["expectation_config"]["type"] for r in whole["results"]
    ]
    for one, many in zip(whole["results"], chunked["results"], strict=True):
        expected = dict(one["result"])
        if "partial_missing_list" in expected:  # GX lists a set's missing values in the set's (random) order
            expected["partial_missing_list"] = sorted(expected["partial_missing_list"])
        assert (many["success"], many["result"]) == (one["success"], expected), one["expectation_config"]["type"]
    assert (chunked["success"], chunked["statistics"]) == (whole["success"], whole["statistics"])
    assert chunked["meta"]["tributary"] == {"chunks": chunks}
    # Both halves of each duplicated code are found, 250 rows apart: in the first chunk and in the last.
    failures = {f.expectation: f for f in condense("t.x", chunked, index).failures}
    assert failures["expect_column_values_to_be_unique"].unexpected_count == 80
    assert failures["expect_column_values_to_be_in_set"].sample == [2]
    assert set(failures) >= BATCH_WIDE
    # One validation result and one suite, rendered in the Data Docs as before.
    site = session.build_docs().parent
    assert len(list((site / "validations").rglob("*.html"))) == 1
    assert [str(p.relative_to(site / "expectations")) for p in (site / "expectations").rglob("*.html")] == [
        "bronze/t/x.html"
    ]


def _map(
    element_count: int, missing: int, unexpected: list[Any], index: list[Any] | None, **kwargs: Any
) -> dict[str, Any]:
    return {
        "success": not unexpected,
        "expectation_config": {"type": "expect_column_values_to_be_in_set", "kwargs": kwargs, "id": "e1"},
        "result": map_result(
            element_count=element_count,
            nonnull_count=element_count - missing,
            unexpected_count=len(unexpected),
            unexpected_list=unexpected,
            index_list=index,
            index_names=None,
            partial=20,
        ),
        "exception_info": {"raised_exception": False},
    }


def _suite_result(*results: dict[str, Any]) -> dict[str, Any]:
    return {"success": all(r["success"] for r in results), "results": list(results), "statistics": {}}


def test_map_results_add_up_and_keep_the_first_samples_in_row_order() -> None:
    first = _suite_result(_map(10, 1, [7] * 15, list(range(15))))
    second = _suite_result(_map(10, 2, [8] * 10, list(range(10, 20))))
    merged = merge(merge(None, first, 20), second, 20)["results"][0]
    assert merged["result"] == map_result(
        element_count=20,
        nonnull_count=17,
        unexpected_count=25,
        unexpected_list=[7] * 15 + [8] * 5,
        index_list=[*range(15), *range(10, 15)],
        index_names=None,
        partial=20,
    )
    assert merged["result"]["partial_unexpected_counts"] == [{"value": 7, "count": 15}, {"value": 8, "count": 5}]
    assert merged["success"] is False


def test_mostly_is_a_share_of_the_whole_batch_not_of_each_chunk() -> None:
    # 3 bad rows of 10 in the first chunk fail mostly=0.9 there; 3 of 40 rows overall pass it.
    first = _suite_result(_map(10, 0, [1, 1, 1], [0, 1, 2], mostly=0.9))
    second = _suite_result(_map(30, 0, [], [], mostly=0.9))
    assert merge(merge(None, first, 20), second, 20)["results"][0]["success"] is True


def test_an_observation_keeps_the_first_failing_chunk_and_an_error_stays_visible() -> None:
    def observed(value: str, success: bool, raised: bool = False) -> dict[str, Any]:
        return {
            "success": success,
            "expectation_config": {"type": "expect_column_values_to_be_of_type", "kwargs": {}, "id": "t"},
            "result": {"observed_value": value},
            "exception_info": {"raised_exception": raised},
        }

    ok, bad, broken = observed("int32", True), observed("float64", False), observed("x", False, raised=True)
    assert merge(merge(None, _suite_result(ok), 20), _suite_result(bad), 20)["results"][0] == bad
    assert merge(merge(None, _suite_result(broken), 20), _suite_result(ok), 20)["results"][0] == broken


def test_finish_replaces_batch_wide_results_and_recounts() -> None:
    merged = _suite_result(_map(10, 0, [], []), _map(10, 0, [], []))
    done = finish(merged, {1: (False, {"observed_value": 11})})
    assert done["results"][1]["result"] == {"observed_value": 11} and done["success"] is False
    assert done["statistics"] == {
        "evaluated_expectations": 2,
        "successful_expectations": 1,
        "unsuccessful_expectations": 1,
        "success_percent": 50.0,
    }


def test_a_later_chunk_must_check_what_the_first_checked_row_by_row() -> None:
    first = _suite_result(_map(10, 0, [], [], value_set=[1]))
    other = _suite_result(_map(10, 0, [], [], value_set=[2]))  # another expectation: not in the first chunk's
    with pytest.raises(ValueError, match="which the first lacks"):
        merge(first, other, 20)
    with pytest.raises(ValueError, match="lacks row-level expectations"):
        merge(_suite_result(_map(10, 0, [], [], value_set=[1])), _suite_result(), 20)


def test_a_single_chunk_is_gx_own_result_and_a_large_file_starts_with_a_small_one(batch_file: Path) -> None:
    batch = BronzeBatch("t", "x", "bronze/t/x.parquet", batch_file, ROWS)
    assert [len(f) for f in batch.chunks(ROWS, head_rows=10)] == [ROWS]
    sizes = [(f.index[0], len(f)) for f in batch.chunks(128, head_rows=10)]
    assert sizes == [(0, 10), (10, 118), (128, 128), (256, 44)]


def test_every_shipped_bronze_suite_can_be_validated_in_chunks() -> None:
    for name in available_suites("bronze"):
        check_streamable(load_suite("bronze", name))


def test_an_expectation_over_the_whole_batch_that_is_not_computed_is_refused() -> None:
    suite = Suite(
        gate="bronze",
        dataset="t.x",
        expectations=({"type": "expect_column_mean_to_be_between", "kwargs": {"column": "value", "min_value": 0}},),
        origin="steps/sources/t/suites/t.x.yml",
    )
    with pytest.raises(ConfigError) as caught:
        check_streamable(suite)
    line = caught.value.line()
    assert line.startswith(
        "suite steps/sources/t/suites/t.x.yml uses expect_column_mean_to_be_between, which the bronze gate cannot "
        "evaluate chunk by chunk"
    )
    assert "expect_compound_columns_to_be_unique" in line and "\n" not in line
