"""``python -m steps.dbt --layer silver|gold --run-id ID [--force]``: build one warehouse layer."""

from __future__ import annotations

import argparse
import os
import sys
from datetime import UTC, datetime

from steps import layout
from steps.config import PipelineConfig, load_config
from steps.dbt.environment import activate_dbt_environment, prepare_dbt_environment
from steps.dbt.freshness import is_current, layer_inputs, project_fingerprint
from steps.dbt.runner import dbt_build
from steps.dbt.settings import DbtSettings
from steps.errors import ConfigError
from steps.lake import Lake
from steps.settings import load_settings
from steps.stage import StageContext, run_stage


def expose_bronze(lake: Lake, config: PipelineConfig) -> int:
    """Declare the bronze external tables and sync their partitions in Trino's hive catalog."""
    import trino

    from steps.dbt import bronze_tables

    host = os.environ.get("DBT_TRINO_HOST")
    if not host:
        raise ConfigError("DBT_TRINO_HOST is not set for target trino", "set DBT_TRINO_HOST and DBT_TRINO_PORT")
    password = os.environ.get("DBT_TRINO_PASSWORD")
    user = os.environ.get("DBT_TRINO_USER", "tributary")
    kwargs: dict[str, object] = {
        "host": host,
        "port": int(os.environ.get("DBT_TRINO_PORT", "8080")),
        "user": user,
        "catalog": bronze_tables.CATALOG,
    }
    if password:  # the same rule as dbt/profiles.yml: a password means LDAP over https
        kwargs.update(http_scheme="https", auth=trino.auth.BasicAuthentication(user, password))
    return bronze_tables.apply(
        bronze_tables.statements(lake, config),
        lambda: trino.dbapi.connect(**kwargs),  # type: ignore[no-untyped-call]
    )


def main(argv: list[str] | None = None) -> int:
    """Build one layer, or skip it when nothing it depends on changed."""
    parser = argparse.ArgumentParser(prog="python -m steps.dbt", description=__doc__)
    parser.add_argument("--layer", required=True, choices=["silver", "gold"])
    parser.add_argument("--run-id", required=True)
    parser.add_argument("--force", default="false", help="true to build even when nothing changed")
    args = parser.parse_args(argv)

    def body(ctx: StageContext) -> None:
        settings = load_settings(DbtSettings)
        config = load_config(ctx.settings.config)
        inputs = layer_inputs(
            ctx.lake, args.layer, config.enabled_sources(), project_fingerprint(settings.dbt_project_dir)
        )
        env = prepare_dbt_environment(ctx.lake, settings)
        warehouse_missing = settings.target == "local" and not os.path.exists(env["TRIBUTARY_DUCKDB_PATH"])
        if args.force.lower() != "true" and not warehouse_missing and is_current(ctx.lake, args.layer, inputs):
            ctx.status = "skipped"
            ctx.metrics["reason"] = "nothing new since the last build"
            return
        project = settings.project(ctx.lake.uri(), config.enabled_sources())
        activate_dbt_environment(env)
        if settings.target == "trino" and args.layer == "silver":
            ctx.metrics["bronze_statements"] = expose_bronze(ctx.lake, config)
        build = dbt_build(project, args.layer)
        ctx.metrics.update(layer=args.layer, counts=build.counts, rows=build.rows)
        ctx.lake.write_json(
            layout.layer_state(args.layer),
            {"layer": args.layer, "run_id": ctx.run_id, "built_at": datetime.now(UTC).isoformat(), "inputs": inputs},
        )

    return run_stage("dbt", f"dbt-{args.layer}", args.run_id, body)


if __name__ == "__main__":
    sys.exit(main())
