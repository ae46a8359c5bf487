"""Settings of the validate stage: the warehouse target (shared with dbt) and, for Trino, how to reach it."""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from steps.warehouse import WarehouseSettings


class ValidateSettings(WarehouseSettings):
    """``TRIBUTARY_TARGET``, ``TRIBUTARY_DUCKDB_PATH`` and the schemas the gold gate reads."""

    silver_schema: str = Field("silver", description="Schema of the silver layer (dbt's layer name).")
    gold_schema: str = Field("gold", description="Schema of the gold layer (dbt's layer name).")


class TrinoSettings(BaseSettings):
    """The same ``DBT_TRINO_*`` variables the dbt profile reads, so both stages reach the same Trino."""

    model_config = SettingsConfigDict(env_prefix="DBT_TRINO_", extra="ignore", env_ignore_empty=True)

    host: str = Field(description="Trino coordinator host name.")
    port: int = Field(8080, ge=1, le=65535, description="Trino HTTP(S) port.")
    user: str = Field("tributary", description="Trino user.")
    password: SecretStr | None = Field(None, description="LDAP password; when set the connection uses https.")
    catalog: str = Field("iceberg", description="Catalog holding the silver and gold schemas.")


class BronzeGateSettings(BaseSettings):
    """How the bronze gate reads a batch: ``TRIBUTARY_BRONZE_CHUNK_ROWS`` rows at a time."""

    model_config = SettingsConfigDict(env_prefix="TRIBUTARY_", extra="ignore", env_ignore_empty=True)

    bronze_chunk_rows: int = Field(
        200_000,
        ge=1,
        description="Rows the bronze gate validates at once: its memory grows with this, not with the batch.",
    )
