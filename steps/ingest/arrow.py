"""Declared columns as Arrow: types and schemas, the record batches of parsed pages, and the way back.

The one module that knows how the column spellings of ``steps/columns.py`` map to Arrow. Sources declare
columns without pyarrow; the ingest stage converts here, and the files source uses :func:`declared_columns` to
declare the schema it inferred from a file.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cache
from typing import Any

import pyarrow as pa

from steps.columns import Columns, ColumnType, parse_type
from steps.errors import InputError
from steps.sources.base import Dataset, ParsedPage

_SIMPLE: dict[str, pa.DataType] = {
    "null": pa.null(),
    "bool": pa.bool_(),
    "int8": pa.int8(),
    "int16": pa.int16(),
    "int32": pa.int32(),
    "int64": pa.int64(),
    "float32": pa.float32(),
    "float64": pa.float64(),
    "string": pa.string(),
    "large_string": pa.large_string(),
    "binary": pa.binary(),
    "date32": pa.date32(),
}
_SPELLED = {arrow: spelling for spelling, arrow in _SIMPLE.items()}


@cache
def arrow_type(spelling: str) -> pa.DataType:
    """The Arrow type a column spelling names."""
    return _arrow(parse_type(spelling))


def _arrow(parsed: ColumnType) -> pa.DataType:
    if parsed.name in _SIMPLE:
        return _SIMPLE[parsed.name]
    if parsed.name == "time32":
        return pa.time32(parsed.unit)
    if parsed.name == "time64":
        return pa.time64(parsed.unit)
    if parsed.name == "timestamp":
        return pa.timestamp(parsed.unit, tz=parsed.tz)
    if parsed.name == "decimal128":
        return pa.decimal128(parsed.precision, parsed.scale)
    fields = [pa.field(name, _arrow(child)) for name, child in parsed.fields]
    return pa.list_(fields[0]) if parsed.name == "list" else pa.struct(fields)


@cache
def arrow_schema(columns: Columns) -> pa.Schema:
    """The Arrow schema of declared columns (cached: every page of a dataset asks for the same one)."""
    return pa.schema([(name, arrow_type(spelling)) for name, spelling in columns])


def declared_type(arrow: pa.DataType) -> str:
    """The spelling of an Arrow type; a ValueError for a type the spellings cannot name exactly."""
    spelling = _spell(arrow)
    back = arrow_type(spelling)
    # Equality ignores a list's item name and nested nullability; the text shows both.
    if back != arrow or str(back) != str(arrow):
        raise ValueError(f"Arrow type {arrow} has no exact column spelling")
    return spelling


def _spell(arrow: pa.DataType) -> str:
    if arrow in _SPELLED:
        return _SPELLED[arrow]
    if pa.types.is_timestamp(arrow):
        return f"timestamp[{arrow.unit}]" if arrow.tz is None else f"timestamp[{arrow.unit}, tz={arrow.tz}]"
    if pa.types.is_time(arrow) or pa.types.is_decimal128(arrow):
        return str(arrow)  # Arrow's own text is the spelling: time32[s], decimal128(12, 2)
    if pa.types.is_list(arrow):
        return f"list<{arrow.value_field.name}: {_spell(arrow.value_type)}>"
    if pa.types.is_struct(arrow):
        return "struct<" + ", ".join(f"{f.name}: {_spell(f.type)}" for f in arrow) + ">"
    raise ValueError(f"Arrow type {arrow} has no column spelling")


def declared_columns(schema: pa.Schema) -> Columns:
    """The ``(name, type)`` pairs of an Arrow schema; a ValueError naming the column that cannot be declared."""
    columns = []
    for f in schema:
        try:
            columns.append((f.name, declared_type(f.type)))
        except ValueError as exc:
            raise ValueError(f"column {f.name!r}: {exc}") from None
    return tuple(columns)


def page_batches(page: ParsedPage, datasets: Sequence[Dataset]) -> dict[str, pa.RecordBatch]:
    """One record batch of the declared columns per dataset that ``page`` has data for."""
    out: dict[str, pa.RecordBatch] = {}
    for ds in datasets:
        if ds.name in page.arrow:
            out[ds.name] = _cast(ds, page.arrow[ds.name])
        elif ds.name in page.columns:
            out[ds.name] = _to_batch(ds, _column_values(page.columns[ds.name]))
        elif page.rows.get(ds.name):
            out[ds.name] = _to_batch(ds, _row_values(page.rows[ds.name]))
    return out


def _column_values(cols: dict[str, list[Any]]) -> Callable[[pa.Field], list[Any]]:
    return lambda f: cols[f.name]


def _row_values(rows: list[dict[str, Any]]) -> Callable[[pa.Field], list[Any]]:
    return lambda f: [r.get(f.name) for r in rows]


def _cast(ds: Dataset, batch: pa.RecordBatch) -> pa.RecordBatch:
    schema = arrow_schema(ds.columns)
    if batch.schema.equals(schema):
        return batch
    try:
        return pa.RecordBatch.from_arrays([batch.column(f.name).cast(f.type) for f in schema], schema=schema)
    except (KeyError, pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise InputError(
            f"a batch of dataset {ds.name!r} does not fit its declared schema: {exc}",
            "the data changed shape; see the source's schema rules",
        ) from None


def _to_batch(ds: Dataset, values: Callable[[pa.Field], list[Any]]) -> pa.RecordBatch:
    schema = arrow_schema(ds.columns)
    try:
        arrays = [pa.array(values(f), type=f.type) for f in schema]
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError, OverflowError) as exc:
        raise InputError(
            f"a value of dataset {ds.name!r} does not fit its declared schema: {exc}",
            "the API changed its data types; update the source's schema",
        ) from None
    return pa.RecordBatch.from_arrays(arrays, schema=schema)
