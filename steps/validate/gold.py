"""Reading gold for its gate: the check queries, the warehouse connections, and the freshness table.

The gold gate guards a boundary, not dbt's arithmetic: dbt owns the transformation invariants (year-over-year,
dedupe, SCD2 shape) with its unit and data tests. The gate checks what gold offers its readers: every requested
country and year present, keys sound, one current version per unit, every source fresh. Which relations and
columns it reads comes from dbt's manifest (:mod:`steps.validate.manifest`), never from names written here.

The suites validate *check queries*: a model's declared columns, plus, for an SCD2 model, when each version's
successor starts (a column every GX engine can compare). So the same suite runs on pandas (the DuckDB warehouse,
queried with DuckDB) and on Trino (the same query as a GX query asset over SQLAlchemy). The SQL sticks to what
DuckDB, Trino and SQLite share.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

from steps.config import PipelineConfig
from steps.duckdb_limits import VALIDATE_SHARE, apply, process_settings
from steps.errors import ConfigError, InputError, TransientError
from steps.lake import Lake
from steps.redact import redact_text
from steps.state import read_state
from steps.validate.manifest import DbtManifest, Model
from steps.validate.runner import SqlEngine
from steps.validate.settings import TrinoSettings

if TYPE_CHECKING:
    import pandas as pd

log = logging.getLogger(__name__)

# Every staging model carries its delivering ingest's time under this name (the staging convention).
INGESTED_AT = "ingested_at"
# The column a check query adds to an SCD2 model: when the unit's next version starts.
NEXT_VERSION_FROM = "next_version_from"
# The dbt generic test declaring a model's SCD2 columns (dbt/data-tests/generic/test_scd2_valid_history.sql).
SCD2_TEST = "scd2_valid_history"


_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def identifier(name: str, what: str) -> str:
    """``name`` if it is a plain SQL identifier; the check queries splice names in, so nothing else may pass."""
    if not _IDENTIFIER.match(name):
        raise ConfigError(f"{what} {name!r} is not a plain SQL identifier", "use letters, digits and underscores")
    return name


@dataclass(frozen=True)
class Schemas:
    """Where the layers live (``silver`` and ``gold`` unless the settings say otherwise)."""

    silver: str = "silver"
    gold: str = "gold"

    def __post_init__(self) -> None:
        """Refuse schema names that are not plain identifiers."""
        identifier(self.silver, "silver schema")
        identifier(self.gold, "gold schema")

    def relation(self, model: Model) -> str:
        """``<schema>.<alias>`` of a model, its dbt layer mapped to this warehouse's schema of that layer."""
        schema = {"silver": self.silver, "gold": self.gold}.get(model.schema, model.schema)
        return f"{identifier(schema, f'schema of dbt model {model.name}')}.{identifier(model.alias, 'dbt model')}"


# -- check queries (pure) ------------------------------------------------------------------------------------------


def model_sql(schemas: Schemas, model: Model) -> str:
    """The model's declared columns (its contract), as the gate validates a table."""
    return f"select\n    {_columns(model)}\nfrom {schemas.relation(model)}"


def versions_sql(schemas: Schemas, model: Model) -> str:
    """An SCD2 model's columns plus ``next_version_from``: when the unit's next version (by start) begins, if any.

    The unit key and validity columns are the arguments of the model's ``scd2_valid_history`` test in dbt.
    """
    scd2 = model.tests.get(SCD2_TEST)
    if not scd2:
        raise ConfigError(
            f"dbt model {model.name} has no {SCD2_TEST} test, so the gate cannot tell its versions apart",
            "declare the test on the model in its YAML (unique_key, valid_from, valid_to)",
        )
    key = identifier(str(scd2["unique_key"]), f"{SCD2_TEST} unique_key")
    start = identifier(str(scd2["valid_from"]), f"{SCD2_TEST} valid_from")
    end = identifier(str(scd2["valid_to"]), f"{SCD2_TEST} valid_to")
    return f"""select
    {_columns(model)},
    lead({start}) over (partition by {key} order by {start}, {end}) as {NEXT_VERSION_FROM}
from {schemas.relation(model)}"""  # noqa: S608 - checked identifiers


def check_sql(schemas: Schemas, model: Model) -> str:
    """The check query of a gold model: :func:`versions_sql` for an SCD2 model, else :func:`model_sql`."""
    return versions_sql(schemas, model) if SCD2_TEST in model.tests else model_sql(schemas, model)


def query_columns(model: Model) -> list[str]:
    """The columns :func:`check_sql` returns for ``model``."""
    return [*model.columns, *([NEXT_VERSION_FROM] if SCD2_TEST in model.tests else [])]


def country_codes_sql(schemas: Schemas, models: list[Model]) -> str | None:
    """ISO2 → ISO3 pairs the World Bank staging models hold (None: none has both columns)."""
    parts = [
        f"select country_iso2, country_iso3 from {schemas.relation(m)}"  # noqa: S608 - checked identifiers
        " where country_iso2 is not null and country_iso3 is not null"
        for m in models
        if {"country_iso2", "country_iso3"} <= set(m.columns)
    ]
    if not parts:
        return None
    union = "\nunion all\n".join(parts)
    return f"select distinct country_iso2, country_iso3 from (\n{union}\n) as codes"  # noqa: S608 - as above


def newest_ingest_sql(schemas: Schemas, models: list[Model]) -> str | None:
    """Per staging model, the newest ingest time it holds (None: no model has the ingest time column)."""
    parts = [
        f"select '{identifier(m.name, 'dbt model')}' as model_name, max({INGESTED_AT}) as newest"  # noqa: S608
        f" from {schemas.relation(m)}"
        for m in models
        if INGESTED_AT in m.columns
    ]
    return "\nunion all\n".join(parts) or None


def _columns(model: Model) -> str:
    if not model.columns:
        raise ConfigError(
            f"dbt model {model.name} declares no columns in its YAML, so the gate cannot tell what to read",
            "declare its columns (a contract) in the model's YAML",
        )
    return ",\n    ".join(identifier(c, f"column of dbt model {model.name}") for c in model.columns)


# -- freshness (pure) ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewestIngest:
    """The newest ingest of one source, and where that was read."""

    source: str
    newest: datetime | None
    max_age_days: float
    basis: str


def absent_sources(rows: list[NewestIngest], delivered: Collection[str]) -> list[str]:
    """Sources with no delivery at all: nothing in silver and no successful ingest on record (``delivered``).

    Such a source is absent from gold (never ingested, left out of a run with ``--sources``, or its first batch held
    back by the bronze gate), so gold cannot serve stale data of it; ``tributary status`` reports it as never
    ingested. A source with an ingest on record but nothing in silver is not absent: that is a gold problem.
    """
    return [r.source for r in rows if r.newest is None and r.source not in delivered]


def freshness_frame(rows: list[NewestIngest], now: datetime) -> pd.DataFrame:
    """One row per source: newest ingest, its age and the allowed age, in days."""
    import pandas as pd

    records: list[dict[str, Any]] = []
    for r in rows:
        age = None if r.newest is None else (now - r.newest).total_seconds() / 86400
        records.append(
            {
                "source": r.source,
                "newest_ingest_at": None if r.newest is None else r.newest.isoformat(),
                "age_days": None if age is None else round(age, 4),
                "max_age_days": float(r.max_age_days),
                "basis": r.basis,
            }
        )
    columns = ["source", "newest_ingest_at", "age_days", "max_age_days", "basis"]
    frame = pd.DataFrame.from_records(records, columns=columns)
    return frame.astype({"age_days": "Float64", "max_age_days": "Float64"})


def as_utc(value: Any) -> datetime | None:
    """A timestamp as read from any engine (datetime, pandas Timestamp, ISO text) as an aware UTC datetime."""
    import pandas as pd

    if value is None or (isinstance(value, float) and value != value):
        return None
    stamp = pd.Timestamp(value)
    if stamp is pd.NaT:
        return None
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    result: datetime = stamp.to_pydatetime()
    return result


# -- warehouses ----------------------------------------------------------------------------------------------------


class Warehouse(Protocol):
    """Where gold is: runs queries into frames, and says which GX engine validates it."""

    engine: Literal["pandas", "sql"]
    sql: SqlEngine | None

    def frame(self, query: str) -> pd.DataFrame:
        """Run ``query``; the result as a pandas frame."""
        ...

    def close(self) -> None:
        """Release the connection."""
        ...


class DuckDBWarehouse:
    """The local target's DuckDB file, opened read-only (GX validates frames with pandas)."""

    engine: Literal["pandas", "sql"] = "pandas"
    sql: SqlEngine | None = None

    def __init__(self, path: Path) -> None:
        """Open ``path`` read-only; a missing file means gold was never built."""
        import duckdb

        if not path.is_file():
            raise InputError(
                f"the DuckDB warehouse {path} does not exist",
                "build silver and gold first (python -m steps.dbt --layer silver|gold) or set TRIBUTARY_DUCKDB_PATH",
            )
        try:
            self._con = duckdb.connect(str(path), read_only=True)
        except duckdb.IOException as exc:
            # Another process (dbt) holds the write lock; it will finish.
            raise TransientError(
                f"the DuckDB warehouse {path} is busy: {_line(exc)}", "retry when dbt is done"
            ) from None
        # Timestamps with time zone come back in the session zone: make that UTC, like dbt's profile.
        self._con.execute("set TimeZone = 'UTC'")
        apply(self._con, process_settings(VALIDATE_SHARE))  # within the pod's memory and CPUs, spilling under /tmp
        self.path = path

    def frame(self, query: str) -> pd.DataFrame:
        """Run ``query`` with DuckDB."""
        import duckdb

        try:
            return self._con.sql(query).df()
        except (duckdb.CatalogException, duckdb.BinderException) as exc:
            raise InputError(
                f"the warehouse {self.path} lacks what the gold gate reads: {_line(exc)}",
                "build gold first (python -m steps.dbt --layer gold)",
            ) from None

    def close(self) -> None:
        """Close the connection."""
        self._con.close()


class SqlWarehouse:
    """A SQLAlchemy warehouse (Trino); GX validates the check queries inside it."""

    engine: Literal["pandas", "sql"] = "sql"

    def __init__(self, sql: SqlEngine, label: str) -> None:
        """Create the engine (no connection yet); ``label`` names it in messages (``trino host:port``)."""
        import sqlalchemy

        self.sql: SqlEngine | None = sql
        self.label = label
        self._engine = sqlalchemy.create_engine(sql.url, **sql.engine_kwargs)

    def frame(self, query: str) -> pd.DataFrame:
        """Run ``query`` through SQLAlchemy."""
        import pandas as pd
        import sqlalchemy
        from sqlalchemy import exc as sa_exc

        try:
            # Not pandas.read_sql: it would wrap the driver's error and hide whether the warehouse was unreachable.
            with self._engine.connect() as con:
                result = con.execute(sqlalchemy.text(query))
                return pd.DataFrame(result.fetchall(), columns=list(result.keys()))
        except sa_exc.DBAPIError as exc:
            text = redact_text(_line(exc.orig or exc))
            missing = ("does not exist", "not found", "no such table", "cannot be resolved")
            if isinstance(exc, sa_exc.ProgrammingError) or any(m in text.lower() for m in missing):
                raise InputError(
                    f"{self.label} lacks what the gold gate reads: {text}",
                    "build gold first (python -m steps.dbt --layer gold)",
                ) from None
            raise TransientError(
                f"cannot query {self.label}: {text}", "check the warehouse is up, then retry"
            ) from None

    def close(self) -> None:
        """Dispose of the engine's connections."""
        self._engine.dispose()


def trino_engine(settings: TrinoSettings) -> SqlEngine:
    """The SQLAlchemy URL and connect arguments for Trino, matching dbt's profile.

    Like ``dbt/profiles.yml``: LDAP over https when a password is set, otherwise plain http without auth.
    """
    from sqlalchemy.engine import URL

    password = settings.password.get_secret_value() if settings.password else None
    url = URL.create(
        "trino",
        username=settings.user,
        password=password,
        host=settings.host,
        port=settings.port,
        database=settings.catalog,
    )
    scheme = "https" if password else "http"
    return SqlEngine(
        url=url.render_as_string(hide_password=False), engine_kwargs={"connect_args": {"http_scheme": scheme}}
    )


# -- reading -------------------------------------------------------------------------------------------------------


def country_codes(warehouse: Warehouse, schemas: Schemas, models: list[Model]) -> dict[str, str]:
    """ISO2 → ISO3 pairs the World Bank source's staging ``models`` hold (none without such a model)."""
    query = country_codes_sql(schemas, models)
    if query is None:
        return {}
    frame = warehouse.frame(query)
    return {str(r.country_iso2).upper(): str(r.country_iso3).upper() for r in frame.itertuples()}


def newest_ingests(
    warehouse: Warehouse, lake: Lake, schemas: Schemas, config: PipelineConfig, manifest: DbtManifest
) -> list[NewestIngest]:
    """The newest ingest of every enabled source: from its staging models in silver, else its state file.

    The basis names the staging model holding the newest ingest time (of equals, the first by name).
    """
    rows = []
    for name in config.enabled_sources():
        cfg = config.source(name)
        query = newest_ingest_sql(schemas, manifest.freshness_models(name))
        if query is not None:
            stamps = {str(r.model_name): as_utc(r.newest) for r in warehouse.frame(query).itertuples()}
            model, newest = newest_of(stamps)
            basis = f"max({schemas.relation(manifest.models[model])}.{INGESTED_AT})"
        else:
            last = read_state(lake, name).last_success
            newest = as_utc(last.finished_at) if last else None
            basis = f"state/{name}.json"
        rows.append(NewestIngest(name, newest, cfg.max_age_days, basis))
    return rows


def newest_of(stamps: dict[str, datetime | None]) -> tuple[str, datetime | None]:
    """The model holding the newest time, of equals the first by name (any model when none holds one)."""
    dated = {name: stamp for name, stamp in stamps.items() if stamp is not None}
    if not dated:
        return min(stamps), None
    newest = max(dated.values())
    return min(name for name, stamp in dated.items() if stamp == newest), newest


def _line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:300]
