"""The dbt-duckdb plugin that bounds the warehouse's DuckDB by the stage's container (:mod:`steps.duckdb_limits`).

``dbt/profiles.yml`` names it in the local target's ``plugins:``. A plugin rather than values in ``settings:``:
dbt keys its saved parse on the profile's settings, so limits that differ between the machine that parsed (the
dbt image's build) and the pod that builds would cost a full parse in every pod; the plugin's entry never changes.
"""

from __future__ import annotations

from typing import Any

from dbt.adapters.duckdb.plugins import BasePlugin

from steps.duckdb_limits import DBT_SHARE, apply, process_settings


class Plugin(BasePlugin):
    """Sets ``memory_limit``, ``threads`` and ``temp_directory`` when dbt-duckdb opens the warehouse."""

    def configure_connection(self, conn: Any) -> None:
        """Apply this process's DuckDB limits to the database dbt just opened."""
        apply(conn, process_settings(DBT_SHARE))
