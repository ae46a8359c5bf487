"""The change-detection hash (dbt/macros/row_hash.sql) on literal rows: its text, its nulls, and Trino's variant.

DuckDB runs the macro (``dbt show --inline``). Trino's variant is compiled for the ``trino`` target, parsed as
Trino SQL and, translated by sqlglot, run on DuckDB: both must give the md5 of the same documented text.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb
import sqlglot

from tests.dbt.dbt_runner import Lakehouse
from tests.dbt.trino_compile import compile_for_trino

# One row of each kind of business column, and the text row_hash() hashes for it: "<length>:<text>" per value,
# "~" for a null, joined by ",".
ROW = [
    "'Hà Nội'",
    "cast(null as varchar)",
    "''",
    "cast(42 as integer)",
    "hash_double('cast(429716969761.078 as double)')",
    "hash_double('cast(1e20 as double)')",
    "cast('2024-07-01' as date)",
    "cast(12.5 as decimal(12, 2))",
    'hash_timestamp("cast(\'2026-03-01 08:00:00.123+00\' as " ~ type_timestamp_tz() ~ ")")',
]
TEXT = (
    "6:Hà Nội,~,0:,2:42,25:429716969761.078000000000,34:100000000000000000000.000000000000,"
    "10:2024-07-01,5:12.50,13:1772352000123"
)


def _hash_sql(columns: list[str]) -> str:
    """A select of row_hash() over ``columns`` (each a Jinja expression rendering to SQL)."""
    return "select {{ row_hash([" + ", ".join(_jinja(c) for c in columns) + "]) }} as row_hash"


def _jinja(column: str) -> str:
    # Plain SQL goes in as a string literal; helper macro calls are evaluated by Jinja.
    return column if column.startswith(("hash_double(", "hash_timestamp(")) else repr(column)


def _duckdb_hash(house: Lakehouse, columns: list[str]) -> str:
    (row,) = house.show(_hash_sql(columns))
    return str(row["row_hash"])


def test_the_hash_is_the_md5_of_the_documented_text(house: Lakehouse) -> None:
    assert _duckdb_hash(house, ROW) == hashlib.md5(TEXT.encode()).hexdigest()


def test_equal_values_hash_equal_and_any_difference_shows(house: Lakehouse) -> None:
    rows = house.show(
        "select"
        " {{ row_hash(['a', 'b']) }} as same_1,"
        " {{ row_hash(['a', 'b']) }} as same_2,"
        " {{ row_hash(['cast(null as varchar)', 'b']) }} as null_first,"
        " {{ row_hash([\"''\", 'b']) }} as empty_first,"
        " {{ row_hash([\"'x,1:y'\", \"'z'\"]) }} as comma_inside,"
        " {{ row_hash([\"'x'\", \"'y,1:z'\"]) }} as comma_moved,"
        " {{ row_hash([hash_double('cast(0.1 as double)'), 'b']) }} as tenth,"
        " {{ row_hash([hash_double('cast(0.100000000001 as double)'), 'b']) }} as tenth_revised"
        " from (values ('a', 'b')) as t(a, b)",
    )
    (row,) = rows
    assert row["same_1"] == row["same_2"]
    assert row["null_first"] != row["empty_first"]  # null is not ""
    assert row["comma_inside"] != row["comma_moved"]  # a delimiter inside a value cannot shift fields
    assert row["tenth"] != row["tenth_revised"]  # a revision in the 12th decimal counts
    hashes = [row[c] for c in ("same_1", "null_first", "empty_first", "comma_inside", "comma_moved", "tenth")]
    assert len(set(hashes)) == len(hashes)
    assert all(len(h) == 32 and set(h) <= set("0123456789abcdef") for h in hashes)


def test_trino_variant_parses_and_gives_the_same_hash(tmp_path: Path, house: Lakehouse) -> None:
    nodes = compile_for_trino(tmp_path, "--inline", _hash_sql(ROW))
    (sql,) = [node.compiled_code for node in nodes.values()]
    assert "to_hex(md5(to_utf8(" in sql and "date_diff('millisecond'" in sql
    parsed = sqlglot.parse_one(sql, read="trino")  # raises on anything Trino would not parse
    # sqlglot's translation of Trino's functions (to_utf8, to_hex, date_diff ...) run by DuckDB: the same hex.
    translated = parsed.sql(dialect="duckdb")
    with duckdb.connect() as con:
        con.execute("set TimeZone = 'UTC'")
        (trino_hash,) = con.execute(translated).fetchone() or ()
    assert trino_hash == _duckdb_hash(house, ROW) == hashlib.md5(TEXT.encode()).hexdigest()


# Doubles DuckDB prints in every way it can: plainly with 1 to 12 decimals (the fast path), with more (rounded),
# in exponent notation (large and tiny), zero and negative zero, beyond decimal(38, 12), NaN and infinities.
EDGE_DOUBLES = (
    "0.0, 1, -1, 0.1, 25000, 25000.5, 429716969761.078, 123456789.123456789, 0.1234567890125, "
    "0.0000000000015, -0.0000000000015, 2.5e-12, 5e-13, 1e-5, 1.5e-7, 1e15 + 0.3, 1e16, 1e20, 1e25, 9.99e25, "
    "1e26, 1e27, 1.7976931348623157e308, 5e-324"
)
SPREAD_DOUBLES = (
    # 60,000 values over 31 magnitudes (1e-22 to 1e8) and 20,000 with 3 decimals, both signs: deterministic
    "select ((hash(i) % 2000001)::bigint - 1000000) / pow(10, (i % 31) - 8) as v from range(60000) as t(i) "
    "union all select (hash(i * 7) % 1000000007)::double / 1000.0 from range(20000) as t(i)"
)


def test_duckdb_s_fast_double_text_is_the_exact_text(house: Lakehouse) -> None:
    # The fast path must never change a hash: every value's text equals the definition's.
    sql = (
        "select count(*) as n, count(*) filter (where fast is distinct from exact) as differ, "
        "min(case when fast is distinct from exact then v end) as example from ("
        "  select v, {{ hash_double('v') }} as fast, {{ hash_double_exact('v') }} as exact from ("
        f"    select unnest([{EDGE_DOUBLES}])::double as v"
        "    union all select v from (values ('-0.0'::double), ('nan'::double), ('inf'::double), ('-inf'::double),"
        "      (null)) as s(v)"
        f"    union all {SPREAD_DOUBLES}"
        "  ) as doubles"
        ") as compared"
    )
    (row,) = house.show(sql)
    assert row["n"] == 24 + 5 + 80_000 and row["differ"] == 0, row
