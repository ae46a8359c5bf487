"""Reading gold for its gate: the check queries, the warehouse connections, and the freshness table.

The gold suites validate *check queries* rather than bare tables: each query returns the table's rows plus
columns recomputed independently (a value's previous year, change and percent change from the table itself; the
value silver holds; the start of a unit's next version). A suite then only compares columns, which every GX engine
can do, so the same suite runs on pandas (the DuckDB warehouse, queried with DuckDB) and on Trino (the same query as
a GX query asset over SQLAlchemy). The SQL sticks to what DuckDB, Trino and SQLite share.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

from steps.config import PipelineConfig
from steps.errors import ConfigError, InputError, TransientError
from steps.lake import Lake
from steps.redact import redact_text
from steps.state import read_state
from steps.validate.runner import SqlEngine
from steps.validate.settings import TrinoSettings

if TYPE_CHECKING:
    import pandas as pd

log = logging.getLogger(__name__)

# Relative tolerance when comparing a stored YoY column with its recomputation: the same formula can round
# differently across engines or versions, a real disagreement is many orders of magnitude larger.
RELATIVE_TOLERANCE = 1e-9

# Where the newest ingest of each source kind shows in silver (what gold was built from).
NEWEST_INGEST: dict[str, tuple[str, str]] = {
    "worldbank": ("stg_worldbank__indicator_values", "ingested_at"),
    "vn_provinces": ("stg_vn_provinces__provinces", "ingested_at"),
}


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


# -- check queries (pure) ------------------------------------------------------------------------------------------


def macro_indicators_sql(schemas: Schemas, indicator_columns: Mapping[str, str]) -> str:
    """``dim_macro_indicators`` with, per indicator column ``x``, the columns its suite compares against.

    ``x__in_silver``: silver's value for the country, year and indicator (null when silver has none).
    ``x_prev_year__recomputed``: ``x`` of the same country's row for year - 1, from the table itself.
    ``x_yoy_change__recomputed`` / ``x_yoy_pct__recomputed``: recomputed from ``x`` and that previous value;
    when the stored value agrees within :data:`RELATIVE_TOLERANCE` the stored value is repeated, so that an exact
    equality check passes on rounding noise yet shows the recomputed value when they really differ.
    """
    for col in indicator_columns:
        identifier(col, "indicator column")
    pivots = ",\n".join(
        f"        max(case when indicator_id = {_quote(ind)} then indicator_value end) as {col}"
        for col, ind in indicator_columns.items()
    )
    checks = []
    for col in indicator_columns:
        change = f"(g.{col} - p.{col})"
        pct = f"(100 * (g.{col} - p.{col}) / nullif(p.{col}, 0))"
        checks += [
            f"s.{col} as {col}__in_silver",
            f"p.{col} as {col}_prev_year__recomputed",
            f"{_snap(f'g.{col}_yoy_change', change)} as {col}_yoy_change__recomputed",
            f"{_snap(f'g.{col}_yoy_pct', pct)} as {col}_yoy_pct__recomputed",
        ]
    check_list = ",\n    ".join(checks)
    # One SELECT without a WITH clause: GX's query assets accept only queries that start with SELECT.
    # Identifiers were checked above and the indicator ids are quoted literals: no user text reaches the SQL.
    return f"""select
    g.*,
    {check_list}
from {schemas.gold}.dim_macro_indicators as g
left join {schemas.gold}.dim_macro_indicators as p
    on p.country_iso3 = g.country_iso3 and p.year = g.year - 1
left join (
    select
        country_iso3,
        year,
{pivots}
    from {schemas.silver}.stg_worldbank__indicator_values
    group by country_iso3, year
) as s
    on s.country_iso3 = g.country_iso3 and s.year = g.year"""  # noqa: S608


def location_sql(schemas: Schemas) -> str:
    """``dim_location`` with ``next_version_from``: when the unit's next version (by start) begins, if any."""
    return f"""select
    location_version_id,
    location_id,
    location_level,
    is_current,
    effective_from,
    effective_to,
    lead(effective_from) over (
        partition by location_id order by effective_from, location_version_id
    ) as next_version_from
from {schemas.gold}.dim_location"""  # noqa: S608 - schema names are checked identifiers


def country_codes_sql(schemas: Schemas) -> str:
    """ISO2 → ISO3 pairs silver knows, to map requested countries onto gold's ``country_iso3``."""
    return (
        f"select distinct country_iso2, country_iso3 from {schemas.silver}.stg_worldbank__indicator_values"  # noqa: S608
        " where country_iso2 is not null and country_iso3 is not null"
    )


def newest_ingest_sql(schemas: Schemas, kind: str) -> str | None:
    """The query for the newest ingest time silver holds for a source kind (None: not in silver)."""
    if kind not in NEWEST_INGEST:
        return None
    table, column = NEWEST_INGEST[kind]
    return f"select max({column}) as newest from {schemas.silver}.{table}"  # noqa: S608 - fixed names


def _snap(stored: str, recomputed: str) -> str:
    agree = f"abs({stored} - {recomputed}) <= {RELATIVE_TOLERANCE} * (abs({recomputed}) + 1)"
    return f"case when {agree} then {stored} else {recomputed} end"


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


# -- freshness (pure) ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewestIngest:
    """The newest ingest of one source, and where that was read."""

    source: str
    newest: datetime | None
    max_age_days: float
    basis: str


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


def country_codes(warehouse: Warehouse, schemas: Schemas) -> dict[str, str]:
    """ISO2 → ISO3 pairs silver holds."""
    frame = warehouse.frame(country_codes_sql(schemas))
    return {str(r.country_iso2).upper(): str(r.country_iso3).upper() for r in frame.itertuples()}


def newest_ingests(warehouse: Warehouse, lake: Lake, schemas: Schemas, config: PipelineConfig) -> list[NewestIngest]:
    """The newest ingest of every enabled source: from silver where the source lands there, else its state file."""
    rows = []
    for name in config.enabled_sources():
        cfg = config.source(name)
        query = newest_ingest_sql(schemas, cfg.kind)
        if query is not None:
            table, column = NEWEST_INGEST[cfg.kind]
            newest = as_utc(warehouse.frame(query)["newest"].iloc[0])
            basis = f"max({schemas.silver}.{table}.{column})"
        else:
            last = read_state(lake, name).last_success
            newest = as_utc(last.finished_at) if last else None
            basis = f"state/{name}.json"
        rows.append(NewestIngest(name, newest, cfg.max_age_days, basis))
    return rows


def _line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:300]
