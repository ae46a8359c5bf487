"""Column types as datasets declare them: Arrow's own spellings, as plain strings, read without pyarrow.

A dataset lists its columns as ``(name, type)`` pairs such as ``("year", "int32")``. Because the spellings are
Arrow's, the ingest stage turns them into Arrow types one to one (``steps/ingest/arrow.py``), and the dbt stage
turns them into Trino types (``steps/dbt/bronze_tables.py``) without loading pyarrow, which is most of an image.

The spellings:

- ``null``, ``bool``, ``int8``, ``int16``, ``int32``, ``int64``, ``float32``, ``float64``, ``string``,
  ``large_string``, ``binary``, ``date32``;
- ``time32[s]``, ``time32[ms]``, ``time64[us]``, ``time64[ns]``;
- ``timestamp[us]`` or ``timestamp[us, tz=UTC]`` (unit ``s``, ``ms``, ``us`` or ``ns``; any zone);
- ``decimal128(12, 2)``;
- ``list<item: T>`` and ``struct<name: T, other: T>``, for the nested values of JSON files.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

Columns = tuple[tuple[str, str], ...]  # (name, type) pairs, in order

SIMPLE = frozenset(
    {
        "null",
        "bool",
        "int8",
        "int16",
        "int32",
        "int64",
        "float32",
        "float64",
        "string",
        "large_string",
        "binary",
        "date32",
    }
)
_TIME = re.compile(r"(time32)\[(s|ms)\]|(time64)\[(us|ns)\]")
_TIMESTAMP = re.compile(r"timestamp\[(s|ms|us|ns)(?:, tz=([^\]]+))?\]")
_DECIMAL = re.compile(r"decimal128\((\d+), (\d+)\)")
_NESTED = re.compile(r"(list|struct)<(.*)>")

# Every bronze row carries the run that wrote it and when: declared here because ingest writes these columns
# and the dbt stage declares them to Trino.
LINEAGE: Columns = (("_run_id", "string"), ("_ingested_at", "timestamp[us, tz=UTC]"))


@dataclass(frozen=True)
class ColumnType:
    """A parsed spelling: the type's name and whichever parameters it has."""

    name: str  # "int32", "timestamp", "decimal128", "list", "struct", ...
    unit: str = ""  # time32, time64, timestamp
    tz: str | None = None  # timestamp
    precision: int = 0  # decimal128
    scale: int = 0  # decimal128
    fields: tuple[tuple[str, ColumnType], ...] = ()  # list (its one item field), struct


@cache
def parse_type(spelling: str) -> ColumnType:
    """The parsed form of ``spelling``; a ValueError when it is not one of the spellings above."""
    if spelling in SIMPLE:
        return ColumnType(spelling)
    if match := _TIME.fullmatch(spelling):
        return ColumnType(match[1] or match[3], unit=match[2] or match[4])
    if match := _TIMESTAMP.fullmatch(spelling):
        return ColumnType("timestamp", unit=match[1], tz=match[2])
    if match := _DECIMAL.fullmatch(spelling):
        return ColumnType("decimal128", precision=int(match[1]), scale=int(match[2]))
    if match := _NESTED.fullmatch(spelling):
        fields = tuple(_field(part, spelling) for part in _split(match[2]))
        if match[1] == "list" and len(fields) != 1:
            raise ValueError(f"column type {spelling!r}: a list has exactly one item field")
        return ColumnType(match[1], fields=fields)
    raise ValueError(f"{spelling!r} is not a column type (see steps/columns.py for the spellings)")


def _split(inner: str) -> list[str]:
    """The comma-separated parts of a nested type's inside, ignoring commas of deeper types."""
    parts, depth, start = [], 0, 0
    for i, char in enumerate(inner):
        depth += {"<": 1, ">": -1, "[": 1, "]": -1, "(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            parts.append(inner[start:i].strip())
            start = i + 1
    last = inner[start:].strip()
    return [*parts, last] if last or parts else []


def _field(part: str, spelling: str) -> tuple[str, ColumnType]:
    name, sep, child = part.partition(": ")
    if not sep or not name:
        raise ValueError(f"column type {spelling!r}: {part!r} is not 'name: type'")
    return name, parse_type(child)


def check_columns(columns: Columns, where: str) -> None:
    """Fail with a ValueError naming ``where`` and the column when a type is not one of the spellings."""
    for name, spelling in columns:
        try:
            parse_type(spelling)
        except ValueError as exc:
            raise ValueError(f"{where}, column {name!r}: {exc}") from None


def bronze_columns(columns: Columns) -> Columns:
    """A dataset's columns followed by the lineage columns every bronze row carries."""
    return (*columns, *LINEAGE)
