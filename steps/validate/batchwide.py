"""The bronze gate's batch-wide expectations, computed out of core by DuckDB over the batch's Parquet file.

Key uniqueness, the row count and the distinct values present need every row of a batch at once; a pandas frame of
ten million rows does not fit a validate pod. DuckDB reads the file itself, in its memory limit
(:mod:`steps.duckdb_limits`, spilling to the pod's ``/tmp`` beyond it), and answers with counts and the first
offending rows in file order. Each answer is shaped as GX shapes the result of the same expectation on the whole
batch (:func:`steps.validate.chunks.map_result`), with the same sample values: the rows come back through the same
Arrow-to-pandas conversion as the chunks GX validates.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from steps.validate.bronze import to_frame
from steps.validate.chunks import map_result, map_success

if TYPE_CHECKING:
    import duckdb

ROW = "file_row_number"  # DuckDB's row position in the file: the row index the chunks give GX
Computed = tuple[bool, dict[str, Any]]


class Engine:
    """An in-memory DuckDB bounded by this process's container (memory, threads, spill folder).

    It connects on first use: a gate whose batches all fit in one chunk never needs it. Close it (or use it as a
    context manager) when the gate is done: its spill folder goes with it.
    """

    def __init__(self) -> None:
        """No connection yet."""
        self._connection: duckdb.DuckDBPyConnection | None = None

    @property
    def connection(self) -> duckdb.DuckDBPyConnection:
        """The connection, opened and bounded the first time."""
        if self._connection is None:
            import duckdb

            from steps.duckdb_limits import VALIDATE_SHARE, apply, process_settings

            self._connection = duckdb.connect()
            apply(self._connection, process_settings(VALIDATE_SHARE))
        return self._connection

    def close(self) -> None:
        """Close the connection if there is one."""
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def __enter__(self) -> Engine:
        """The engine itself."""
        return self

    def __exit__(self, *_: object) -> None:
        """Close it."""
        self.close()


class BatchFile:
    """One Parquet file of a batch, as DuckDB reads it: the view ``batch`` with each row's position.

    The view belongs to the connection, which serves every file of the gate in turn.
    """

    def __init__(self, engine: Engine, file: Path, rows: int, index_columns: list[str], partial: int) -> None:
        """``file`` has ``rows`` rows (from its footer); samples name ``index_columns``."""
        self.engine = engine
        self.file = file
        self.rows = rows
        self.index_columns = index_columns
        self.partial = partial

    def compute(self, results: list[dict[str, Any]], positions: list[int]) -> dict[int, Computed]:
        """Success and result of the expectations at ``positions`` of a suite result (GX JSON), over the file."""
        rules: dict[str, Callable[[Mapping[str, Any]], Computed]] = {
            "expect_table_row_count_to_equal": self._row_count,
            "expect_column_values_to_be_unique": lambda kw: self._duplicates(
                [kw["column"]], "any_value_is_missing", kw
            ),
            "expect_compound_columns_to_be_unique": lambda kw: self._duplicates(
                list(kw["column_list"]), kw.get("ignore_row_if") or "all_values_are_missing", kw
            ),
            "expect_column_distinct_values_to_contain_set": self._contains,
        }
        self.con = self.engine.connection
        path = str(self.file).replace("'", "''")  # the view is the connection's: point it at this file now
        self.con.execute(f"create or replace temp view batch as select * from read_parquet('{path}', {ROW} = true)")  # noqa: S608
        out = {}
        for i in positions:
            config = results[i]["expectation_config"]
            out[i] = rules[config["type"]](config.get("kwargs", {}))
        return out

    def _row_count(self, kwargs: Mapping[str, Any]) -> Computed:
        return self.rows == int(kwargs["value"]), {"observed_value": self.rows}

    def _duplicates(self, columns: list[str], ignore_row_if: str, kwargs: Mapping[str, Any]) -> Computed:
        """Rows whose key occurs more than once (GX: ``duplicated(keep=False)``; nulls equal one another)."""
        sql = duplicates_sql(columns, self.index_columns, ignore_row_if, self.partial)
        self.con.execute(sql.keys)
        unexpected, considered = self._scalar(sql.unexpected), self._scalar(sql.considered)
        records = to_frame(self.con.execute(sql.sample).fetch_arrow_table()).to_dict(orient="records")
        values: list[Any] = [{c: r[c] for c in columns} if len(columns) > 1 else r[columns[0]] for r in records]
        index: list[Any] = (
            [{c: r[c] for c in sql.shown} for r in records] if self.index_columns else [int(r[ROW]) for r in records]
        )
        result = map_result(
            element_count=self.rows,
            nonnull_count=considered,
            unexpected_count=unexpected,
            unexpected_list=values,
            index_list=index,
            index_names=self.index_columns or None,
            partial=self.partial,
        )
        return map_success(considered, unexpected, float(kwargs.get("mostly") or 1.0)), result

    def _contains(self, kwargs: Mapping[str, Any]) -> Computed:
        column = _quote(kwargs["column"])
        sql = f"select distinct {column} from batch where {column} is not null"  # noqa: S608 - a quoted name
        found = {r[0] for r in self.con.execute(sql).fetchall()}
        found |= {str(v) for v in found}  # a configured 2020 matches a text column's "2020", as GX coerces them
        missing = [v for v in dict.fromkeys(kwargs["value_set"]) if v not in found and str(v) not in found]
        result = {
            "observed_value": None,
            "missing_count": len(missing),
            "partial_missing_list": missing[: self.partial],
        }
        return not missing, result

    def _scalar(self, sql: str) -> int:
        row = self.con.execute(sql).fetchone()
        return int(row[0]) if row else 0


@dataclass(frozen=True)
class DuplicatesSql:
    """The statements of a uniqueness check over the view ``batch``: the duplicated keys first, then the rest."""

    keys: str  # creates the table duplicated_keys: each key that occurs more than once
    unexpected: str  # rows holding such a key
    considered: str  # rows the check considers (GX leaves out rows whose key is missing)
    sample: str  # the first such rows in file order: the key, the index columns and the position
    shown: list[str]  # the columns of a sample row GX shows: the key's, then the index columns


def duplicates_sql(columns: list[str], index_columns: list[str], ignore_row_if: str, partial: int) -> DuplicatesSql:
    """The SQL of a uniqueness check of ``columns`` (pure); every name is quoted."""
    keys = ", ".join(_quote(c) for c in columns)
    present = {
        "all_values_are_missing": " or ".join(f"{_quote(c)} is not null" for c in columns),
        "any_value_is_missing": " and ".join(f"{_quote(c)} is not null" for c in columns),
    }.get(ignore_row_if, "true")
    same = " and ".join(f"b.{_quote(c)} is not distinct from d.{_quote(c)}" for c in columns)
    joined = f"batch b join duplicated_keys d on {same}"
    shown = list(dict.fromkeys([*columns, *index_columns]))
    selected = ", ".join(f"b.{_quote(c)}" for c in shown)
    return DuplicatesSql(
        keys=f"create or replace temp table duplicated_keys as select {keys} from batch where {present} "  # noqa: S608
        "group by all having count(*) > 1",
        unexpected=f"select count(*) from {joined}",  # noqa: S608 - quoted names
        considered=f"select count(*) from batch where {present}",  # noqa: S608 - quoted names
        sample=f"select {selected}, b.{ROW} from {joined} order by b.{ROW} limit {int(partial)}",  # noqa: S608
        shown=shown,
    )


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
