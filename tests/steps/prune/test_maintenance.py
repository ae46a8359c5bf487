"""Iceberg maintenance SQL from the dbt manifest: the tables, the order, the quoting (parsed as Trino's)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
import sqlglot
from sqlglot import exp
from sqlglot.tokens import TokenType

from steps.errors import ConfigError
from steps.prune.maintenance import Table, checkpoint, tables, trino_statements

MANIFEST = {
    "nodes": {
        "model.t.stg_a": {
            "resource_type": "model",
            "database": "iceberg",
            "schema": "silver",
            "name": "stg_a",
            "alias": "stg_a",
            "config": {"materialized": "incremental"},
        },
        "model.t.v": {
            "resource_type": "model",
            "database": "iceberg",
            "schema": "silver",
            "name": "v",
            "config": {"materialized": "view"},
        },
        "snapshot.t.snp": {
            "resource_type": "snapshot",
            "database": "iceberg",
            "schema": "gold",
            "name": "snp",
            "config": {"materialized": "snapshot"},
        },
        "test.t.x": {"resource_type": "test", "database": "iceberg", "schema": "dbt_test__audit", "name": "x"},
        "model.t.elsewhere": {
            "resource_type": "model",
            "database": "iceberg",
            "schema": "scratch",
            "name": "e",
            "config": {"materialized": "table"},
        },
    }
}


def test_only_silver_and_gold_tables_are_maintained() -> None:
    assert tables(MANIFEST) == [Table("iceberg", "gold", "snp"), Table("iceberg", "silver", "stg_a")]


def test_each_table_gets_optimize_then_expiry_then_orphans_and_parses_as_trino() -> None:
    statements = trino_statements(tables(MANIFEST))
    assert len(statements) == 6
    assert statements[:3] == [
        'ALTER TABLE "iceberg"."gold"."snp" EXECUTE optimize',
        'ALTER TABLE "iceberg"."gold"."snp" EXECUTE expire_snapshots(retention_threshold => \'7d\')',
        'ALTER TABLE "iceberg"."gold"."snp" EXECUTE remove_orphan_files(retention_threshold => \'7d\')',
    ]
    for sql in statements:
        _check(sql, Table("iceberg", "gold", "snp") if '"snp"' in sql else Table("iceberg", "silver", "stg_a"))


def test_a_hostile_table_name_stays_one_identifier() -> None:
    evil = Table("iceberg", "gold", 'x" EXECUTE drop_everything --')
    for sql in trino_statements([evil], "14d"):
        _check(sql, evil)


def test_a_retention_that_is_not_a_duration_is_refused() -> None:
    with pytest.raises(ConfigError, match="not a Trino duration"):
        trino_statements([Table("iceberg", "gold", "t")], "7 days'); drop table x; --")


def _check(sql: str, table: Table) -> None:
    """ALTER TABLE <one qualified name> EXECUTE <procedure>[(<named arguments>)], by Trino's tokenizer and parser."""
    tokens = sqlglot.tokenize(sql, read="trino")
    assert [t.token_type for t in tokens[:2]] == [TokenType.ALTER, TokenType.TABLE]
    execute = next(
        i for i, t in enumerate(tokens) if t.text.upper() == "EXECUTE" and t.token_type != TokenType.IDENTIFIER
    )
    name = sql[tokens[2].start : tokens[execute - 1].end + 1]
    parsed = sqlglot.parse_one(f"SELECT * FROM {name}", read="trino").find(exp.Table)
    assert parsed is not None
    assert (parsed.catalog, parsed.db, parsed.name) == (table.catalog, table.schema, table.name)
    call = sql[tokens[execute + 1].start :]
    procedure = sqlglot.parse_one(f"SELECT {call}", read="trino").find(exp.Anonymous)
    if "(" in call:
        assert procedure is not None and procedure.name in ("expire_snapshots", "remove_orphan_files")
        assert [a.sql("trino") for a in procedure.expressions] == [
            f"retention_threshold => '{sql.rsplit(chr(39), 2)[1]}'"
        ]
    else:
        assert call == "optimize"


def test_checkpoint_reports_the_file_size_before_and_after(tmp_path: Path) -> None:
    path = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("set checkpoint_threshold = '1TB'")  # the writes stay in the WAL until the checkpoint
        con.execute("create table t as select range as i from range(200000)")
        con.execute("drop table t")
    before, after = checkpoint(path)
    assert before > 0 and after > 0
    assert not path.with_name("warehouse.duckdb.wal").exists()
