"""The Postgres source's configuration: connection parameters and the tables to read."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from steps.lineage.datasets import DatasetRef
from steps.sources.config import IDENTIFIER, SourceConfig, Strict, secret_env


class PostgresTable(Strict):
    """One table of a Postgres source: read in full, or incrementally by a watermark column."""

    table: str = Field(description="schema.table, or table (schema public).")
    dataset: str | None = Field(None, description="Bronze dataset name; default: the table name.")
    primary_key: Annotated[list[str], Field(min_length=1)]
    mode: Literal["full", "incremental"] = "full"
    watermark_column: str | None = None
    lookback: float = Field(
        0, ge=0, description="Overlap re-read before the watermark: seconds for time columns, units for numbers."
    )
    columns: list[str] | None = Field(None, description="Columns to read; default: all.")

    @model_validator(mode="after")
    def _check(self) -> PostgresTable:
        parts = self.table.split(".")
        extra = [self.watermark_column] if self.watermark_column else []
        names = [*parts, *self.primary_key, *(self.columns or []), *extra]
        bad = [n for n in names if not IDENTIFIER.match(n)]
        if len(parts) > 2 or bad:
            raise ValueError(f"{bad or self.table!r} are not plain SQL identifiers (letters, digits, '_')")
        if self.mode == "incremental" and not self.watermark_column:
            raise ValueError(f"table {self.table}: mode incremental needs a watermark_column")
        if self.columns is not None:
            missing = [c for c in [*self.primary_key, self.watermark_column] if c and c not in self.columns]
            if missing:
                raise ValueError(f"table {self.table}: columns must include {missing}")
        return self

    @property
    def schema_name(self) -> str:
        """The table's schema (``public`` when not given)."""
        return self.table.split(".")[0] if "." in self.table else "public"

    @property
    def table_name(self) -> str:
        """The table's name without its schema."""
        return self.table.rsplit(".", 1)[-1]

    @property
    def dataset_name(self) -> str:
        """The bronze dataset this table lands in."""
        return self.dataset or self.table_name


class PostgresConfig(SourceConfig):
    """Tables of a Postgres database, read through server-side cursors in chunks."""

    kind: Literal["postgres"] = "postgres"
    host: str = Field(description="Host name, or a folder holding the server's unix socket.")
    port: int = Field(5432, ge=1, le=65535)
    dbname: str
    user: str
    password_env: str | None = Field(None, description="Environment variable holding the password.")
    sslmode: Literal["disable", "allow", "prefer", "require", "verify-ca", "verify-full"] = "prefer"
    connect_timeout_s: int = Field(10, ge=1)
    chunk_rows: int = Field(10_000, ge=1, le=1_000_000)
    concurrency: int = Field(2, ge=1, le=16)
    tables: Annotated[list[PostgresTable], Field(min_length=1)]

    _password_env = field_validator("password_env")(secret_env)

    def lineage_inputs(self) -> list[DatasetRef]:
        """Each table: namespace ``postgres://host:port``, name ``dbname.schema.table`` (OpenLineage's naming)."""
        qualified = [t.table if "." in t.table else f"public.{t.table}" for t in self.tables]
        return [DatasetRef(f"postgres://{self.host}:{self.port}", f"{self.dbname}.{q}") for q in qualified]

    @model_validator(mode="after")
    def _unique_datasets(self) -> PostgresConfig:
        names = [t.dataset_name for t in self.tables]
        if len(set(names)) != len(names):
            raise ValueError(f"two tables land in the same dataset: {names}; set dataset: on one")
        return self
