"""Postgres tables: each configured table is a stream read through a server-side (named) cursor in chunks.

``mode: full`` reads the whole table every run. ``mode: incremental`` reads the rows whose ``watermark_column`` is
at or after the last watermark (the largest value the previous runs delivered) minus ``lookback``.

Never losing a row at the boundary: the lower bound is inclusive (``>=``), so rows committed later with a
watermark *equal* to the last one are read again by the next run; rows read twice are the same key delivered
twice, which silver deduplicates (latest delivery per primary key wins). ``lookback`` widens the overlap for
writers whose transactions commit after a later watermark value was already read (a long transaction stamping
``updated_at = now()`` at its start): set it to the longest such transaction. Rows whose watermark is null are
never read incrementally.

Each run reads in one ``REPEATABLE READ, READ ONLY`` transaction per table (a consistent snapshot), ``chunk_rows``
rows at a time, each chunk written to bronze before the next is fetched: memory stays flat whatever the table size.
Column types come from the catalog when the source is prepared; types without an exact Arrow match (uuid, json,
interval, arrays, enums, unconstrained numeric, …) are read as text. There are no raw pages for a database: the
query and its bounds are recorded in the manifest's details.

The password comes from the environment variable named by ``password_env`` (none: trust/peer/.pgpass auth).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from steps.errors import ConfigError, InputError, TransientError
from steps.http import HttpClient
from steps.redact import redact_text
from steps.secrets import secret_from_env
from steps.sources.base import Backfill, Dataset, PageRequest, ParsedPage, RawSink
from steps.sources.postgres import NAME
from steps.sources.postgres.config import PostgresConfig, PostgresTable
from steps.state import Checkpoint, SourceState, Watermark, WatermarkKind

_NUMERIC = re.compile(r"numeric\((\d+),(\d+)\)")
# Catalog type → declared column type (steps/columns.py); the rest is read as text.
_SIMPLE: dict[str, str] = {
    "int2": "int16",
    "int4": "int32",
    "int8": "int64",
    "float4": "float32",
    "float8": "float64",
    "bool": "bool",
    "text": "string",
    "varchar": "string",
    "bpchar": "string",
    "name": "string",
    "date": "date32",
    "timestamp": "timestamp[us]",
    "timestamptz": "timestamp[us, tz=UTC]",
    "bytea": "binary",
}
_WATERMARK_KINDS: dict[str, WatermarkKind] = {
    "int2": "int",
    "int4": "int",
    "int8": "int",
    "numeric": "decimal",
    "date": "date",
    "timestamp": "timestamp",
    "timestamptz": "timestamp",
}


@dataclass(frozen=True)
class Column:
    """A column as the catalog describes it, and how it is read."""

    name: str
    typname: str  # pg_type.typname
    type: str  # declared column type (steps/columns.py)
    as_text: bool  # read with ::text (no exact Arrow type)


def column_type(typname: str, formatted: str) -> tuple[str, bool]:
    """The declared type of a Postgres column, and whether it is read as text."""
    if typname == "numeric":
        match = _NUMERIC.fullmatch(formatted.replace(" ", ""))
        if match and int(match[1]) <= 38:  # decimal128's widest precision
            return f"decimal128({int(match[1])}, {int(match[2])})", False
        return "string", True
    if typname in _SIMPLE:
        return _SIMPLE[typname], False
    return "string", True


class Connector:
    """Opens connections with the configured parameters (the password from the environment, on first use)."""

    def __init__(self, config: PostgresConfig, name: str) -> None:
        """Remember the parameters; the password is read when the first connection is opened."""
        self.config = config
        self.name = name
        self._password: str | None = None

    @property
    def password(self) -> str | None:
        """The password from ``password_env`` (None when the source names no variable)."""
        if self._password is None and self.config.password_env:
            self._password = secret_from_env(self.config.password_env, self.name, "database password")
        return self._password

    def connect(self) -> Any:
        """A new connection (transaction mode, not autocommit)."""
        import psycopg

        cfg = self.config
        password = self.password
        try:
            return psycopg.connect(
                host=cfg.host,
                port=cfg.port,
                dbname=cfg.dbname,
                user=cfg.user,
                password=password,
                sslmode=cfg.sslmode,
                connect_timeout=cfg.connect_timeout_s,
                application_name=f"tributary-{self.name}",
            )
        except psycopg.OperationalError as exc:
            text = redact_text(" ".join(str(exc).split()), [password] if password else [])
            if "password" in text.lower() or "authentication" in text.lower() or "role" in text.lower():
                raise ConfigError(
                    f"{self.name}: Postgres at {cfg.host}:{cfg.port} refused user {cfg.user!r}: {text[:200]}",
                    f"check sources.{self.name}.user and the variable named by password_env",
                ) from None
            if "does not exist" in text:
                raise ConfigError(f"{self.name}: {text[:200]}", f"check sources.{self.name}.dbname") from None
            raise TransientError(
                f"{self.name}: cannot connect to Postgres at {cfg.host}:{cfg.port}: {text[:200]}",
                "check the database is up and reachable, then retry",
            ) from None


@dataclass
class TableStream:
    """One table, read in chunks through a named cursor."""

    source: str
    connector: Connector
    table: PostgresTable
    columns: list[Column]
    dataset: Dataset
    watermark_kind: WatermarkKind | None
    low: Any | None  # inclusive lower bound on the watermark column (None: no lower bound)
    high: Any | None  # inclusive upper bound (backfill)
    high_exclusive: bool
    chunk_rows: int
    best: Any | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def stream_id(self) -> str:
        """The dataset name."""
        return self.dataset.name

    @property
    def raw_name(self) -> str:
        """Not used: a database has no raw pages."""
        return self.dataset.name

    def describe(self) -> str:
        """The read in one line, for the manifest."""
        where = []
        wm = self.table.watermark_column
        if self.low is not None:
            where.append(f"{wm} >= {_shown(self.low)}")
        if self.high is not None:
            where.append(f"{wm} {'<' if self.high_exclusive else '<='} {_shown(self.high)}")
        return f"{self.table.schema_name}.{self.table.table_name}" + (f" where {' and '.join(where)}" if where else "")

    def query(self) -> tuple[Any, dict[str, Any]]:
        """The select statement and its parameters."""
        from psycopg import sql

        cols = [
            sql.SQL("{}::text AS {}").format(sql.Identifier(c.name), sql.Identifier(c.name))
            if c.as_text
            else sql.Identifier(c.name)
            for c in self.columns
        ]
        stmt = sql.SQL("SELECT {} FROM {}").format(
            sql.SQL(", ").join(cols), sql.Identifier(self.table.schema_name, self.table.table_name)
        )
        params: dict[str, Any] = {}
        conditions = []
        wm = self.table.watermark_column
        if wm and self.low is not None:
            conditions.append(sql.SQL("{} >= %(low)s").format(sql.Identifier(wm)))
            params["low"] = self.low
        if wm and self.high is not None:
            op = "<" if self.high_exclusive else "<="
            conditions.append(sql.SQL("{} " + op + " %(high)s").format(sql.Identifier(wm)))
            params["high"] = self.high
        if conditions:
            stmt = stmt + sql.SQL(" WHERE ") + sql.SQL(" AND ").join(conditions)
        return stmt, params

    def read(self, raw: RawSink, cancelled: threading.Event) -> Iterator[ParsedPage]:
        """Chunks of the table, one transaction for the whole read."""
        import psycopg

        stmt, params = self.query()
        names = [c.name for c in self.columns]
        wm_index = names.index(self.table.watermark_column) if self.table.watermark_column else None
        conn = self.connector.connect()
        try:
            with conn.transaction():
                conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                with conn.cursor(name=f"tributary_{self.dataset.name}") as cur:
                    cur.itersize = self.chunk_rows
                    cur.execute(stmt, params)
                    while not cancelled.is_set():
                        rows = cur.fetchmany(self.chunk_rows)
                        if not rows:
                            break
                        columns = {n: [r[i] for r in rows] for i, n in enumerate(names)}
                        if wm_index is not None:
                            self._observe([r[wm_index] for r in rows])
                        yield ParsedPage(columns={self.dataset.name: columns}, total=len(rows))
        except psycopg.Error as exc:
            text = redact_text(" ".join(str(exc).split()))
            raise TransientError(
                f"{self.source}: reading {self.describe()} failed: {text[:200]}", "check the database, then retry"
            ) from None
        finally:
            conn.close()

    def _observe(self, values: list[Any]) -> None:
        present = [v for v in values if v is not None]
        if not present:
            return
        top = max(present)
        with self.lock:
            if self.best is None or top > self.best:
                self.best = top


def _shown(value: Any) -> str:
    return repr(value.isoformat()) if hasattr(value, "isoformat") else repr(value)


def _from_text(kind: WatermarkKind, text: str) -> Any:
    if kind == "int":
        return int(text)
    if kind == "decimal":
        return Decimal(text)
    if kind == "date":
        return date.fromisoformat(text)
    if kind == "timestamp":
        return datetime.fromisoformat(text)
    return text


def _minus(kind: WatermarkKind, value: Any, lookback: float) -> Any:
    if not lookback:
        return value
    if kind == "timestamp":
        return value - timedelta(seconds=lookback)
    if kind == "date":
        return value - timedelta(days=-(-int(lookback) // 86400))
    if kind == "int":
        return value - int(lookback)
    if kind == "decimal":
        return value - Decimal(str(lookback))
    return value


class PostgresSource:
    """The configured Postgres source."""

    def __init__(self, config: PostgresConfig, name: str = NAME) -> None:
        """Build from configuration; the password is read from ``password_env`` at the first connection."""
        self.name = name
        self.config = config
        self.concurrency = config.concurrency
        self.connector = Connector(config, name)
        self.columns: dict[str, list[Column]] = {}
        self.datasets: tuple[Dataset, ...] = ()
        self._bounds: dict[str, tuple[Any, Any, bool]] = {}
        self._streams: list[TableStream] = []

    def prepare(self, client: HttpClient) -> None:
        """Connect and read each table's columns from the catalog (this is also the reachability check)."""
        conn = self.connector.connect()
        try:
            datasets = []
            for table in self.config.tables:
                columns = self._describe(conn, table)
                self.columns[table.dataset_name] = columns
                declared = tuple((c.name, c.type) for c in columns)
                datasets.append(Dataset(table.dataset_name, declared, tuple(table.primary_key)))
            self.datasets = tuple(datasets)
        finally:
            conn.close()

    def _describe(self, conn: Any, table: PostgresTable) -> list[Column]:
        qualified = f"{table.schema_name}.{table.table_name}"
        ident = '"' + table.schema_name + '"."' + table.table_name + '"'
        rows = conn.execute(
            "SELECT a.attname, t.typname, format_type(a.atttypid, a.atttypmod) "
            "FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid "
            "WHERE a.attrelid = to_regclass(%s) AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
            (ident,),
        ).fetchall()
        conn.rollback()
        if not rows:
            raise ConfigError(
                f"{self.name}: table {qualified} does not exist or has no columns visible to {self.config.user!r}",
                f"check sources.{self.name}.tables and the user's privileges",
            )
        found = {r[0]: (r[1], r[2]) for r in rows}
        wanted = table.columns or [r[0] for r in rows]
        needed = [*wanted, *table.primary_key, *([table.watermark_column] if table.watermark_column else [])]
        missing = sorted({c for c in needed if c not in found})
        if missing:
            raise ConfigError(
                f"{self.name}: table {qualified} has no column(s) {missing}", f"correct sources.{self.name}.tables"
            )
        out = []
        for name in wanted:
            typname, formatted = found[name]
            declared, as_text = column_type(typname, formatted)
            out.append(Column(name, typname, declared, as_text))
        if table.watermark_column and found[table.watermark_column][0] not in _WATERMARK_KINDS:
            raise ConfigError(
                f"{self.name}: watermark column {qualified}.{table.watermark_column} has type "
                f"{found[table.watermark_column][1]}",
                "use an integer, numeric, date or timestamp column (updated_at, an increasing id)",
            )
        return out

    def resume(self, state: SourceState, backfill: Backfill | None) -> None:
        """Bounds per table: from the last watermark minus ``lookback`` (inclusive), or the backfill's range."""
        marks = state.checkpoint.watermarks
        for table in self.config.tables:
            kind = self._kind(table)
            if kind is None or (table.mode == "full" and backfill is None):
                self._bounds[table.dataset_name] = (None, None, False)
            elif backfill is not None:
                self._bounds[table.dataset_name] = self._backfill_bounds(table, kind, backfill)
            else:
                mark = marks.get(table.dataset_name)
                low = _minus(kind, _from_text(kind, mark.value), table.lookback) if mark else None
                self._bounds[table.dataset_name] = (low, None, False)

    def _typname(self, table: PostgresTable) -> str | None:
        found = [c.typname for c in self.columns[table.dataset_name] if c.name == table.watermark_column]
        return found[0] if found else None

    def _kind(self, table: PostgresTable) -> WatermarkKind | None:
        return _WATERMARK_KINDS.get(self._typname(table) or "") if table.watermark_column else None

    def _backfill_bounds(self, table: PostgresTable, kind: WatermarkKind, backfill: Backfill) -> tuple[Any, Any, bool]:
        try:
            if kind in ("date", "timestamp"):
                first, last = backfill.dates()
                if kind == "date":
                    return first, last, False
                tz = UTC if self._typname(table) == "timestamptz" else None
                start = datetime.combine(first, datetime.min.time(), tzinfo=tz)
                return start, datetime.combine(last + timedelta(days=1), datetime.min.time(), tzinfo=tz), True
            return _from_text(kind, backfill.start), _from_text(kind, backfill.end), False
        except (ValueError, ArithmeticError):
            raise ConfigError(
                f"backfill range {backfill} does not fit watermark column "
                f"{table.table}.{table.watermark_column} ({kind})",
                "pass two values of that column's type, e.g. 100:200 for an id",
            ) from None

    def streams(self) -> Sequence[TableStream]:
        """One stream per table."""
        if not self.datasets:
            raise InputError(f"{self.name}: streams requested before prepare()", "this is a bug")
        self._streams = []
        for table, dataset in zip(self.config.tables, self.datasets, strict=True):
            low, high, exclusive = self._bounds.get(dataset.name, (None, None, False))
            self._streams.append(
                TableStream(
                    self.name,
                    self.connector,
                    table,
                    self.columns[dataset.name],
                    dataset,
                    self._kind(table),
                    low,
                    high,
                    exclusive,
                    self.config.chunk_rows,
                )
            )
        return self._streams

    def checkpoint(self) -> Checkpoint:
        """The largest watermark value read per incremental table."""
        marks = {}
        for stream in self._streams:
            if stream.watermark_kind is not None and stream.best is not None and stream.table.mode == "incremental":
                value = stream.best.isoformat() if hasattr(stream.best, "isoformat") else str(stream.best)
                marks[stream.dataset.name] = Watermark(kind=stream.watermark_kind, value=value)
        return Checkpoint(watermarks=marks)

    @property
    def details(self) -> dict[str, str]:
        """What each table's read selected, for the manifest."""
        return {f"query.{s.dataset.name}": s.describe() for s in self._streams}

    def probe(self) -> PageRequest:
        """Postgres has no HTTP probe: :meth:`prepare` connects and reads the catalog instead."""
        raise ConfigError(
            f"{self.name}: a Postgres source is checked by connecting (prepare), not by an HTTP probe",
            "verify sources with steps.sources.check_reachable",
        )
