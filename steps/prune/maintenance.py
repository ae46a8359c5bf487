"""Warehouse maintenance after a prune: Iceberg's table procedures on Trino, a checkpoint of the DuckDB file.

On Trino every silver and gold table dbt materialises (tables, incremental models, snapshots; read from the dbt
manifest the last build saved, ``state/_dbt_manifest.json``) gets, in this order:

1. ``optimize``: small files merged (each incremental merge adds some);
2. ``expire_snapshots``: snapshots older than the retention dropped, with the data files only they held;
3. ``remove_orphan_files``: files no snapshot names (failed writes) older than the retention deleted.

Trino refuses a retention below its catalog's ``iceberg.expire-snapshots.min-retention`` and
``iceberg.remove-orphan-files.min-retention`` (both 7d by default; before Trino 465 spelled with ``_``), so the
default is 7d. Views and ephemeral models have no files and are left out.

Locally, DuckDB's ``CHECKPOINT`` writes the write-ahead log into the file and returns the blocks freed by dropped
and rewritten tables to the file's free list; the file size before and after is reported.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from steps.errors import ConfigError, TransientError
from steps.prune.options import DEFAULT_RETENTION

LAYERS = ("silver", "gold")
MATERIALISED = ("table", "incremental", "snapshot")

_DURATION = re.compile(r"^[0-9]+(\.[0-9]+)?(ms|s|m|h|d)$")  # Trino's duration literal


@dataclass(frozen=True)
class Table:
    """One warehouse table: catalog (dbt's database), schema and name."""

    catalog: str
    schema: str
    name: str

    def sql(self) -> str:
        """The table's name, each part double-quoted (a quote inside doubled)."""
        return ".".join(quote(part) for part in (self.catalog, self.schema, self.name))


def quote(identifier: str) -> str:
    """A SQL identifier in double quotes, safe whatever it contains."""
    return '"' + identifier.replace('"', '""') + '"'


def check_retention(text: str) -> str:
    """``text`` when it is a Trino duration of at least a day's shape (``7d``, ``168h``), else a ConfigError."""
    if not _DURATION.match(text):
        raise ConfigError(
            f"Iceberg retention {text!r} is not a Trino duration",
            "use a number and a unit, e.g. 7d or 168h (at least the catalog's min-retention, 7d by default)",
        )
    return text


def tables(manifest: Mapping[str, Any]) -> list[Table]:
    """The silver and gold tables a dbt manifest materialises, sorted."""
    nodes = manifest.get("nodes") if isinstance(manifest.get("nodes"), dict) else {}
    found = set()
    for node in (nodes or {}).values():
        if not isinstance(node, dict) or node.get("resource_type") not in ("model", "snapshot"):
            continue
        config = node.get("config") if isinstance(node.get("config"), dict) else {}
        if (config or {}).get("materialized") not in MATERIALISED or node.get("schema") not in LAYERS:
            continue
        found.add(Table(str(node["database"]), str(node["schema"]), str(node.get("alias") or node["name"])))
    return sorted(found, key=lambda t: (t.schema, t.name))


def trino_statements(found: Iterable[Table], retention: str = DEFAULT_RETENTION) -> list[str]:
    """The maintenance statements of each table, in the order they must run (see the module docstring)."""
    literal = "'" + check_retention(retention) + "'"
    statements = []
    for table in found:
        name = table.sql()
        statements += [
            f"ALTER TABLE {name} EXECUTE optimize",
            f"ALTER TABLE {name} EXECUTE expire_snapshots(retention_threshold => {literal})",
            f"ALTER TABLE {name} EXECUTE remove_orphan_files(retention_threshold => {literal})",
        ]
    return statements


def run_trino(statements: list[str]) -> None:
    """Run ``statements`` on the Trino that dbt uses (``DBT_TRINO_HOST``/``PORT``/``USER``/``PASSWORD``)."""
    import trino  # the dbt image's client (dbt-trino depends on it)

    missing = [v for v in ("DBT_TRINO_HOST", "DBT_TRINO_PORT", "DBT_TRINO_USER") if not os.environ.get(v)]
    if missing:
        raise ConfigError(f"{', '.join(missing)} not set", "set them as for the dbt stage (the chart does)")
    password = os.environ.get("DBT_TRINO_PASSWORD")
    auth = trino.auth.BasicAuthentication(os.environ["DBT_TRINO_USER"], password) if password else None
    try:
        con = trino.dbapi.connect(  # type: ignore[no-untyped-call]
            host=os.environ["DBT_TRINO_HOST"],
            port=int(os.environ["DBT_TRINO_PORT"]),
            user=os.environ["DBT_TRINO_USER"],
            http_scheme="https" if password else "http",
            auth=auth,
        )
        cur = con.cursor()
        for statement in statements:
            cur.execute(statement)
            cur.fetchall()
    except trino.exceptions.TrinoUserError as exc:  # a refused statement: the SQL or the catalog's settings
        raise ConfigError(f"Trino refused maintenance: {exc.message}", "check the catalog's min-retention") from None
    except (trino.exceptions.TrinoConnectionError, trino.exceptions.TrinoExternalError, OSError) as exc:
        raise TransientError(f"Trino maintenance failed: {type(exc).__name__}", "retry when Trino answers") from None


def checkpoint(path: Path) -> tuple[int, int]:
    """``CHECKPOINT`` the DuckDB file at ``path``; returns its size in bytes (with its WAL) before and after."""
    import duckdb

    before = _size(path)
    try:
        with duckdb.connect(str(path)) as con:
            con.execute("checkpoint")
    except duckdb.IOException as exc:  # held by a running build
        raise TransientError(f"warehouse {path} cannot be opened ({exc})", "wait for the run, then retry") from None
    return before, _size(path)


def _size(path: Path) -> int:
    wal = path.with_name(path.name + ".wal")
    return sum(p.stat().st_size for p in (path, wal) if p.exists())
