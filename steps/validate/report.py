"""Condensing GX validation results into counts, failures with sample bad values, and the gate's one-line message.

Works on the JSON form of GX results (``ExpectationSuiteValidationResult.to_json_dict()``), so it is pure and needs
no GX import.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

SAMPLE_IN_LINE = 5  # bad values shown per failure in the one-line message
SAMPLE_IN_METRICS = 10  # bad values kept per failure in the stage metrics
FAILURES_IN_LINE = 6  # failures listed in the one-line message before "and N more"
_VALUE_CHARS = 60


@dataclass
class Failure:
    """One failed expectation of one dataset, with what GX observed."""

    dataset: str
    expectation: str
    columns: list[str] = field(default_factory=list)
    unexpected_count: int | None = None
    sample: list[Any] = field(default_factory=list)
    rows: list[str] = field(default_factory=list)  # index-column values of the sample's rows, "VNM/NY.GDP…/2020"
    index: list[str] = field(default_factory=list)  # the index columns ``rows`` holds, e.g. [country_iso3, year]
    missing: list[Any] = field(default_factory=list)
    observed: Any = None
    expected: Any = None
    error: str | None = None

    def short(self) -> str:
        """``dataset: expectation(columns) <what was wrong>``, as listed in the gate's message."""
        head = f"{self.dataset}: {self.expectation}" + (f"({', '.join(self.columns)})" if self.columns else "")
        return f"{head} {self.detail()}"

    def detail(self) -> str:
        """What was wrong: unexpected values, missing values, an observed value, or the error."""
        if self.error:
            return f"error: {self.error}"
        if self.unexpected_count:
            text = f"{self.unexpected_count} unexpected {fmt_list(self.sample[:SAMPLE_IN_LINE], self.unexpected_count)}"
            if self.rows:
                text += f" at {'/'.join(self.index)} {fmt_list(self.rows[:3], len(self.rows), quote=False)}"
            return text
        if self.missing:
            return f"missing {fmt_list(self.missing[:SAMPLE_IN_LINE], len(self.missing))}"
        text = f"observed {fmt_value(self.observed)}"
        return f"{text}, expected {fmt_value(self.expected)}" if self.expected is not None else text

    def as_metrics(self) -> dict[str, Any]:
        """JSON-ready form for the stage metrics (the summary shows it)."""
        data = asdict(self)
        data["sample"] = data["sample"][:SAMPLE_IN_METRICS]
        data["rows"] = data["rows"][:SAMPLE_IN_METRICS]
        data["missing"] = data["missing"][:SAMPLE_IN_METRICS]
        data["short"] = self.short()
        return data


@dataclass
class DatasetOutcome:
    """How one dataset fared."""

    dataset: str
    success: bool
    evaluated: int
    passed: int
    failures: list[Failure]
    rows: int | None = None
    result: str | None = None  # lake path of the GX result JSON
    checks: list[tuple[str, str | None, bool]] = field(default_factory=list)  # (expectation, column, success)

    def as_metrics(self) -> dict[str, Any]:
        """JSON-ready summary (failures are listed once, at the gate level)."""
        return {
            "dataset": self.dataset,
            "success": self.success,
            "evaluated": self.evaluated,
            "passed": self.passed,
            "failed": self.evaluated - self.passed,
            "rows": self.rows,
            "result": self.result,
        }


def condense(dataset: str, result: dict[str, Any], index_columns: list[str]) -> DatasetOutcome:
    """The outcome of one GX validation result (JSON form)."""
    failures = [_failure(dataset, r, index_columns) for r in result.get("results", []) if not r.get("success", False)]
    stats = result.get("statistics", {})
    evaluated = int(stats.get("evaluated_expectations", len(result.get("results", []))))
    passed = int(stats.get("successful_expectations", evaluated - len(failures)))
    checks = [_check(r) for r in result.get("results", [])]
    return DatasetOutcome(
        dataset, bool(result.get("success")) and not failures, evaluated, passed, failures, checks=checks
    )


def _check(r: dict[str, Any]) -> tuple[str, str | None, bool]:
    """One expectation as a lineage assertion: its type, its first column (if any), whether it held."""
    config = r.get("expectation_config", {})
    kind = str(config.get("type", "?"))
    columns = _columns(kind, config.get("kwargs", {}))
    return kind, columns[0] if columns else None, bool(r.get("success", False))


def _failure(dataset: str, r: dict[str, Any], index_columns: list[str]) -> Failure:
    config = r.get("expectation_config", {})
    kwargs = config.get("kwargs", {})
    res = r.get("result") or {}
    kind = str(config.get("type", "?"))
    columns = _columns(kind, kwargs)
    error = _exception(r.get("exception_info") or {})
    rows: list[str] = []
    # The rows' keys add nothing when the failing columns are the key itself (a duplicated code).
    if any(c not in columns for c in index_columns):
        for item in res.get("partial_unexpected_index_list") or []:
            if isinstance(item, dict):
                rows.append("/".join(fmt_value(item.get(c), quote=False) for c in index_columns))
    return Failure(
        dataset=dataset,
        expectation=kind,
        columns=columns,
        unexpected_count=res.get("unexpected_count"),
        sample=[plain(v) for v in res.get("partial_unexpected_list") or []],
        rows=rows,
        index=list(index_columns) if rows else [],
        missing=[plain(v) for v in res.get("partial_missing_list") or []],
        observed=plain(res.get("observed_value")),
        expected=plain(_expected(kind, kwargs)),
        error=error,
    )


def _exception(info: dict[str, Any]) -> str | None:
    """The first exception message GX recorded: flat for the expectation, or keyed by metric when a metric failed."""
    candidates = [info] if "raised_exception" in info else [v for v in info.values() if isinstance(v, dict)]
    for item in candidates:
        if item.get("raised_exception"):
            return " ".join(str(item.get("exception_message") or "exception").split())[:200]
    return None


def _columns(kind: str, kwargs: dict[str, Any]) -> list[str]:
    if kind.startswith("expect_table_"):
        return []  # table-level: a column_list there is the expected value, not the columns checked
    if "column" in kwargs:
        return [str(kwargs["column"])]
    if "column_list" in kwargs:
        return [str(c) for c in kwargs["column_list"]]
    if "column_A" in kwargs:
        return [str(kwargs["column_A"]), str(kwargs["column_B"])]
    return []


def _expected(kind: str, kwargs: dict[str, Any]) -> Any:
    if "type_" in kwargs:
        return kwargs["type_"]
    if kind == "expect_table_row_count_to_equal":
        return kwargs.get("value")
    if kind.startswith("expect_table_columns_to_match"):
        return kwargs.get("column_list") or kwargs.get("column_set")
    low, high = kwargs.get("min_value"), kwargs.get("max_value")
    if low is not None and high is not None:
        return f"{low}..{high}"
    if low is not None or high is not None:
        return f">= {low}" if high is None else f"<= {high}"
    return None


def gate_line(gate: str, failures: list[Failure], limit: int = FAILURES_IN_LINE) -> str:
    """``<gate> gate failed: <failure>; <failure>; … and N more`` (no trailing period; the fix follows)."""
    shown = "; ".join(f.short() for f in failures[:limit])
    more = f"; and {len(failures) - limit} more" if len(failures) > limit else ""
    return f"{gate} gate failed: {shown}{more}"


def fmt_list(values: list[Any], total: int, *, quote: bool = True) -> str:
    """``[a, b, …]`` with an ellipsis when ``total`` exceeds what is shown."""
    items = [fmt_value(v, quote=quote) for v in values]
    if total > len(values):
        items.append("…")
    return f"[{', '.join(items)}]"


def fmt_value(value: Any, *, quote: bool = True) -> str:
    """A short rendering: numbers as-is, strings in double quotes, null, tuples/records as ``(a, b)``."""
    if value is None:
        text = "null"
    elif isinstance(value, bool):
        text = str(value).lower()
    elif isinstance(value, int):
        text = str(value)
    elif isinstance(value, float):
        text = f"{value:.10g}"
    elif isinstance(value, dict):
        text = "(" + ", ".join(fmt_value(v, quote=quote) for v in value.values()) + ")"
    elif isinstance(value, list | tuple):
        text = "(" + ", ".join(fmt_value(v, quote=quote) for v in value) + ")"
    else:
        text = f'"{value}"' if quote else str(value)
    return text if len(text) <= _VALUE_CHARS else text[: _VALUE_CHARS - 1] + "…"


def plain(value: Any) -> Any:
    """A JSON-ready copy: numpy scalars to Python, NaN/NA to None, tuples to lists, timestamps to ISO strings."""
    if value is None or type(value) in (bool, int, str):
        return value
    if isinstance(value, str):  # numpy.str_
        return str(value)
    if isinstance(value, float):  # also numpy.float64, a float subclass
        return None if math.isnan(value) else float(value)
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [plain(v) for v in value]
    item = getattr(value, "item", None)  # numpy scalars
    if callable(item):
        try:
            return plain(item())
        except (TypeError, ValueError):
            pass
    isoformat = getattr(value, "isoformat", None)
    if callable(isoformat):
        return str(isoformat())
    text = str(value)
    return None if text in ("<NA>", "NaT", "nan") else text
