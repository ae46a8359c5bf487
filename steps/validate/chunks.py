"""Validating a batch chunk by chunk: which expectations hold per chunk, and one result from many (pure).

The bronze gate validates a batch in slices of rows so that its memory does not grow with the batch. Most
expectations look at one row at a time (``ROW_LEVEL``): a value's range, its type, a null, a parent code in a
set; run on every chunk, their results add up exactly (counts summed, sample values in row order). A few need
every row at once (``BATCH_WIDE``): key uniqueness, the row count, the distinct values present; those are
computed out of core over the whole file (:mod:`steps.validate.batchwide`) and replace what the first chunk said
(GX runs the whole suite on a small first chunk only, for the result's shape: on a large chunk GX's own
uniqueness check can take minutes, and the answer would be discarded). A batch of one chunk is GX's own result.
A suite with any other expectation is refused rather than validated wrongly.

Works on the JSON form of GX results, and writes exactly what GX writes for the whole batch at once
(``SUMMARY`` format: GX's ``_format_map_output``), so the messages, metrics and Data Docs do not change.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from typing import Any

from steps.errors import ConfigError
from steps.validate.suites import Suite

# Expectations whose outcome on a batch is the sum of their outcomes on any split of its rows.
ROW_LEVEL = frozenset(
    {
        "expect_column_to_exist",
        "expect_table_columns_to_match_ordered_list",
        "expect_table_columns_to_match_set",
        "expect_table_column_count_to_equal",
        "expect_column_values_to_be_of_type",
        "expect_column_values_to_be_in_type_list",
        "expect_column_values_to_be_null",
        "expect_column_values_to_not_be_null",
        "expect_column_values_to_be_in_set",
        "expect_column_values_to_not_be_in_set",
        "expect_column_values_to_be_between",
        "expect_column_values_to_match_regex",
        "expect_column_values_to_not_match_regex",
        "expect_column_values_to_match_regex_list",
        "expect_column_values_to_match_strftime_format",
        "expect_column_value_lengths_to_be_between",
        "expect_column_value_lengths_to_equal",
        "expect_column_pair_values_a_to_be_greater_than_b",
        "expect_column_pair_values_to_be_equal",
        "expect_column_pair_values_to_be_in_set",
        "expect_select_column_values_to_be_unique_within_record",
        "expect_multicolumn_sum_to_equal",
    }
)
# Expectations about the batch as a whole: computed over every row at once, out of core.
BATCH_WIDE = frozenset(
    {
        "expect_table_row_count_to_equal",
        "expect_column_values_to_be_unique",
        "expect_compound_columns_to_be_unique",
        "expect_column_distinct_values_to_contain_set",
    }
)


def check_streamable(suite: Suite) -> None:
    """Refuse a suite with an expectation the chunked gate cannot evaluate exactly (a ConfigError naming it)."""
    unknown = sorted({str(e["type"]) for e in suite.expectations} - ROW_LEVEL - BATCH_WIDE)
    if unknown:
        raise ConfigError(
            f"suite {suite.origin} uses {', '.join(unknown)}, which the bronze gate cannot evaluate chunk by chunk",
            "use a row-level expectation or one of "
            f"{', '.join(sorted(BATCH_WIDE))}; or teach steps/validate/batchwide.py to compute it over the batch",
        )


def map_result(
    *,
    element_count: int,
    nonnull_count: int | None,
    unexpected_count: int,
    unexpected_list: list[Any],
    index_list: list[Any] | None,
    index_names: list[str] | None,
    partial: int,
) -> dict[str, Any]:
    """The ``result`` of a map expectation as GX writes it in the SUMMARY format (``_format_map_output``).

    ``unexpected_list`` and ``index_list`` are the first unexpected values and their rows, in row order.
    """
    missing_count = None if nonnull_count is None else element_count - nonnull_count
    missing_percent = percent_total = percent_nonmissing = None
    if element_count > 0:
        percent_total = unexpected_count / element_count * 100
        if missing_count is not None:
            missing_percent = missing_count / element_count * 100
            percent_nonmissing = unexpected_count / nonnull_count * 100 if nonnull_count else None
        else:
            percent_nonmissing = percent_total
    result: dict[str, Any] = {
        "element_count": element_count,
        "unexpected_count": unexpected_count,
        "unexpected_percent": percent_nonmissing,
        "partial_unexpected_list": unexpected_list[:partial],
    }
    if index_names is not None:
        result["unexpected_index_column_names"] = index_names
    if missing_count is not None:
        result.update(
            missing_count=missing_count,
            missing_percent=missing_percent,
            unexpected_percent_total=percent_total,
            unexpected_percent_nonmissing=percent_nonmissing,
        )
    counts = _value_counts(unexpected_list[:partial], partial)
    if counts is not None:
        result["partial_unexpected_counts"] = counts
    if index_list is not None:
        result["partial_unexpected_index_list"] = index_list[:partial]
    return result


def map_success(considered: int, unexpected: int, mostly: float = 1.0) -> bool:
    """Whether a map expectation holds: at least ``mostly`` of the rows it considered (non-null) are expected."""
    if considered == 0:
        return True  # vacuously, as GX has it
    return (considered - unexpected) / considered >= mostly


def _value_counts(values: list[Any], partial: int) -> list[dict[str, Any]] | None:
    """The most frequent sample values, most frequent first; None when they cannot be counted (as GX omits them)."""
    keys = [tuple(v.values()) if isinstance(v, dict) else v for v in values]
    try:
        ranked = sorted(Counter(keys).most_common(partial), key=lambda kv: (-kv[1], kv[0]))
    except TypeError:  # unhashable or incomparable values (None beside numbers): GX leaves the counts out too
        return None
    return [{"value": list(k) if isinstance(k, tuple) else k, "count": n} for k, n in ranked]


def row_level(suite: Suite) -> Suite:
    """The suite's row-level expectations alone, as a suite of its own (``<dataset>.rows``).

    GX runs it on every chunk but the first.
    """
    kept = tuple(e for e in suite.expectations if e["type"] not in BATCH_WIDE)
    return Suite(suite.gate, f"{suite.dataset}.rows", kept, dict(suite.meta), suite.origin)


def merge(merged: dict[str, Any] | None, chunk: dict[str, Any], partial: int) -> dict[str, Any]:
    """Fold one chunk's suite result (GX JSON) into the results of the chunks before it.

    The first chunk's result lists every expectation; a later chunk's (the row-level suite's) is matched to it by
    expectation type and arguments, and must cover every row-level expectation.
    """
    if merged is None:
        return chunk
    slots: dict[str, list[int]] = {}
    for i, entry in enumerate(merged["results"]):
        slots.setdefault(_identity(entry), []).append(i)
    for entry in chunk["results"]:
        positions = slots.get(_identity(entry))
        if not positions:
            raise ValueError(f"a chunk's result has {entry['expectation_config']['type']}, which the first lacks")
        i = positions.pop(0)
        merged["results"][i] = _merge_one(merged["results"][i], entry, partial)
    missed = [merged["results"][i] for left in slots.values() for i in left]
    if any(r["expectation_config"]["type"] not in BATCH_WIDE for r in missed):
        raise ValueError("a chunk's result lacks row-level expectations of the first")
    return merged


def _identity(entry: Mapping[str, Any]) -> str:
    """An expectation as its result names it: its type and arguments (the batch it ran on aside)."""
    config = entry["expectation_config"]
    kwargs = {k: v for k, v in config.get("kwargs", {}).items() if k != "batch_id"}
    return json.dumps([config["type"], kwargs], sort_keys=True, default=str)


def _merge_one(a: dict[str, Any], b: dict[str, Any], partial: int) -> dict[str, Any]:
    if _raised(a) or _raised(b):  # an error stays visible, whichever chunk hit it first
        return a if _raised(a) else b
    ra, rb = a.get("result") or {}, b.get("result") or {}
    if "unexpected_count" in ra and "element_count" in ra:
        result = map_result(
            element_count=ra["element_count"] + rb["element_count"],
            nonnull_count=_nonnull(ra) + _nonnull(rb) if "missing_count" in ra else None,
            unexpected_count=ra["unexpected_count"] + rb["unexpected_count"],
            unexpected_list=[*ra.get("partial_unexpected_list", []), *rb.get("partial_unexpected_list", [])],
            index_list=(
                [*ra["partial_unexpected_index_list"], *rb.get("partial_unexpected_index_list", [])]
                if "partial_unexpected_index_list" in ra
                else None
            ),
            index_names=ra.get("unexpected_index_column_names"),
            partial=partial,
        )
        mostly = a["expectation_config"].get("kwargs", {}).get("mostly")
        success = bool(a["success"]) and bool(b["success"])
        if mostly is not None:  # a share of all the rows: chunk by chunk it could pass or fail either way
            considered = result["element_count"] - result.get("missing_count", 0)
            success = map_success(considered, result["unexpected_count"], float(mostly))
        return {**a, "success": success, "result": result}
    # An observation the same on every chunk (a column's type, the column list): the first that failed tells.
    return a if not a["success"] or b["success"] else b


def _nonnull(result: Mapping[str, Any]) -> int:
    return int(result["element_count"]) - int(result["missing_count"])


def _raised(entry: Mapping[str, Any]) -> bool:
    info = entry.get("exception_info") or {}
    if "raised_exception" in info:
        return bool(info["raised_exception"])
    return any(isinstance(v, dict) and v.get("raised_exception") for v in info.values())


def batch_wide_positions(merged: Mapping[str, Any]) -> list[int]:
    """Positions of the results that must be computed over the whole batch."""
    return [i for i, r in enumerate(merged["results"]) if r["expectation_config"]["type"] in BATCH_WIDE]


def finish(merged: dict[str, Any], computed: Mapping[int, tuple[bool, dict[str, Any]]]) -> dict[str, Any]:
    """The batch's result: batch-wide results replaced, then success and statistics recounted as GX counts them.

    ``computed`` maps a result's position to its success and its ``result`` over the whole batch.
    """
    for i, (success, result) in computed.items():
        merged["results"][i] = {**merged["results"][i], "success": success, "result": result}
    evaluated = len(merged["results"])
    passed = sum(1 for r in merged["results"] if r["success"])
    merged["success"] = passed == evaluated
    merged["statistics"] = {
        "evaluated_expectations": evaluated,
        "successful_expectations": passed,
        "unsuccessful_expectations": evaluated - passed,
        "success_percent": passed / evaluated * 100 if evaluated else None,
    }
    return merged
