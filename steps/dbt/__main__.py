"""``python -m steps.dbt --layer silver|gold --run-id ID [--force]``: build one warehouse layer."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from steps import layout
from steps.config import PipelineConfig, load_config
from steps.dbt.changes import as_metrics, count_changes
from steps.dbt.committed import Delivery, bronze_files_env, bronze_index, deliveries
from steps.dbt.environment import activate_dbt_environment, prepare_dbt_environment
from steps.dbt.freshness import is_current, layer_inputs, project_fingerprint
from steps.dbt.integrity import quarantine_unreadable
from steps.dbt.lineage import layer_lineage
from steps.dbt.rebuild import drop_layers, missing_layer, replay, warehouse_tables
from steps.dbt.runner import BuildFailed, DbtProject, dbt_build, dbt_docs
from steps.dbt.settings import DbtSettings
from steps.errors import ConfigError, StepError
from steps.lake import Lake
from steps.settings import load_settings
from steps.stage import StageContext, run_stage
from steps.warehouse import lineage_namespace

log = logging.getLogger(__name__)


def expose_bronze(lake: Lake, config: PipelineConfig, index: dict[str, dict[str, list[str]]]) -> int:
    """Declare the bronze tables and their committed views in Trino's hive catalog (``index``: committed files)."""
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
        bronze_tables.statements(lake, config, index),
        lambda: trino.dbapi.connect(**kwargs),  # type: ignore[no-untyped-call]
    )


@dataclass(frozen=True)
class BuiltManifest:
    """The ``manifest.json`` a build left, read once: its bytes (published as they are) and its parsed document."""

    raw: bytes
    doc: dict[str, Any]


def read_manifest(project: DbtProject) -> BuiltManifest | None:
    """The manifest the last build left in dbt's target folder, or None when it left none."""
    path = project.manifest_path
    if not path.is_file():
        log.warning("dbt left no manifest", extra={"path": str(path)})
        return None
    raw = path.read_bytes()
    return BuiltManifest(raw, json.loads(raw))


def declare_lineage(ctx: StageContext, manifest: BuiltManifest, layer: str, settings: DbtSettings) -> None:
    """Declare what the layer's build read and wrote, from the manifest dbt left (also after a failed build)."""
    namespace = lineage_namespace(ctx.lake, settings)
    inputs, outputs = layer_lineage(manifest.doc, layer, ctx.lake.uri(), namespace)
    ctx.lineage.read(*inputs)
    ctx.lineage.wrote(*outputs)


def publish_docs(ctx: StageContext, project: DbtProject) -> None:
    """``dbt docs generate`` and its page, manifest and catalog under ``reports/<run_id>/dbt-docs/``."""
    t0 = time.monotonic()
    folder = f"{layout.report_dir(ctx.run_id)}/dbt-docs"
    try:
        for name, path in dbt_docs(project).items():
            ctx.lake.write_bytes(f"{folder}/{name}", path.read_bytes())
    except StepError as exc:  # the layer is built and recorded: documentation is not worth failing it
        log.warning("dbt docs not published", extra={"problem": exc.line()})
        sys.stderr.write(f"dbt gold: docs not published: {exc.line()}\n")
        ctx.metrics["docs"] = {"error": exc.line()}
        return
    ctx.metrics["docs"] = {"path": f"{folder}/index.html", "seconds": round(time.monotonic() - t0, 3)}


def main(argv: list[str] | None = None) -> int:
    """Build one layer, or skip it when nothing it depends on changed; rebuild it when the warehouse lost it."""
    parser = argparse.ArgumentParser(prog="python -m steps.dbt", description=__doc__)
    parser.add_argument("--layer", required=True, choices=["silver", "gold"])
    parser.add_argument("--run-id", required=True)
    parser.add_argument("--force", default="false", help="true to build even when nothing changed")
    parser.add_argument(
        "--rebuild",
        default="false",
        help="true to rebuild the layer from the lake (gold: its history replayed, which rebuilds silver too)",
    )
    args = parser.parse_args(argv)

    def body(ctx: StageContext) -> None:
        settings = load_settings(DbtSettings)
        config = load_config(ctx.settings.config)
        sources = config.enabled_sources()
        env = prepare_dbt_environment(ctx.lake, settings)
        committed = deliveries(ctx.lake, sources)
        if args.layer == "silver":
            # Before the skip decision: a rejected batch rolls its source's state back, which changes the inputs.
            committed, rejected = quarantine_unreadable(ctx.lake, committed)
            if rejected:
                ctx.metrics["quarantined"] = rejected
        inputs = layer_inputs(ctx.lake, args.layer, sources, project_fingerprint(settings.dbt_project_dir))
        warehouse = Path(env["TRIBUTARY_DUCKDB_PATH"]) if settings.target == "local" else None
        previous = ctx.lake.read_json(layout.layer_state(args.layer))
        built_before = previous is not None
        rebuild = rebuild_reason(args.layer, args.rebuild.lower() == "true", warehouse if built_before else None)
        if args.force.lower() != "true" and rebuild is None and is_current(ctx.lake, args.layer, inputs):
            ctx.status = "skipped"
            ctx.metrics["reason"] = "nothing new since the last build"
            return
        project = settings.project(ctx.lake.uri(), sources)
        index = bronze_index(ctx.lake, committed)
        activate_dbt_environment({**env, **bronze_files_env(index)})
        if settings.target == "trino" and args.layer == "silver":
            ctx.metrics["bronze_statements"] = expose_bronze(ctx.lake, config, index)
        if rebuild is not None:
            log.warning("rebuilding", extra={"layer": args.layer, "reason": rebuild})
            sys.stderr.write(f"dbt {args.layer}: {rebuild}\n")
            ctx.metrics["reason"] = rebuild
        if rebuild is not None and warehouse is not None and (args.layer == "gold" or rebuild != REBUILD_ASKED):
            drop_layers(warehouse)
            ctx.metrics["replayed_ingests"], silver = replay(ctx.lake, project, committed)
            if args.layer == "silver":
                ctx.metrics.update(counts=silver.counts, rows=silver.rows)
        elif rebuild is not None and warehouse is not None:
            drop_layers(warehouse, ("silver",))
        try:
            if args.layer == "gold" or rebuild is None or rebuild == REBUILD_ASKED:
                try:
                    build = dbt_build(project, args.layer)
                except BuildFailed as failed:  # the report and the alert name every failing model and test
                    ctx.metrics.update(counts=failed.build.counts, failures=failed.build.failures)
                    raise
                ctx.metrics.update(counts=build.counts, rows=build.rows)
        finally:
            manifest = read_manifest(project)
            if manifest is not None:
                declare_lineage(ctx, manifest, args.layer, settings)
        ctx.metrics["layer"] = args.layer
        if manifest is not None:  # where the gold gate reads model and column names
            ctx.lake.write_bytes(layout.dbt_manifest(), manifest.raw)
        if args.layer == "silver":
            record_changes(ctx, project, manifest, committed, previous, warehouse)
        ctx.lake.write_json(
            layout.layer_state(args.layer),
            {"layer": args.layer, "run_id": ctx.run_id, "built_at": datetime.now(UTC).isoformat(), "inputs": inputs},
        )
        if args.layer == "gold" and settings.dbt_docs:
            publish_docs(ctx, project)

    return run_stage("dbt", f"dbt-{args.layer}", args.run_id, body)


def record_changes(
    ctx: StageContext,
    project: DbtProject,
    manifest: BuiltManifest | None,
    committed: list[Delivery],
    previous: dict[str, Any] | None,
    warehouse: Path | None,
) -> None:
    """Put what the build's deliveries changed in silver, per source, in the stage result (for the summary).

    A report, not a gate: when the count cannot be read the build still stands, and the result says why.
    """
    try:
        changes = count_changes(project, manifest.doc if manifest else None, committed, previous, warehouse)
    except Exception as exc:  # noqa: BLE001 (any failure of the report query must not fail a finished build)
        log.warning("change counts unavailable", extra={"error": str(exc)[:300]})
        ctx.metrics["changes_error"] = str(exc)[:300]
        return
    ctx.metrics["changes"] = as_metrics(changes)
    for change in changes:
        log.info("silver changes", extra={k: v for k, v in asdict(change).items() if k != "runs"})


REBUILD_ASKED = "rebuild asked: built from every committed bronze file"


def rebuild_reason(layer: str, asked: bool, warehouse: Path | None) -> str | None:
    """Why the layer is rebuilt from the lake rather than built incrementally, or None.

    Silver rebuilds on request or when the warehouse has no silver (a lost warehouse: gold's history is replayed
    with it). Gold rebuilds, replaying its history, on request or when the warehouse has no gold. The layer
    state under ``state/`` cannot tell: it survives a deleted warehouse. ``warehouse`` is None when there is
    nothing to inspect: a layer never built (a first build is no rebuild), or Trino's warehouse.
    """
    if asked:
        return REBUILD_ASKED if layer == "silver" else "rebuild asked: gold's history replayed from the lake"
    if warehouse is None:
        return None
    tables = warehouse_tables(warehouse)
    if not missing_layer(tables, layer):
        return None
    what = f"the warehouse {warehouse} is missing" if tables is None else f"the warehouse has no {layer} tables"
    return f"{what}: rebuilding silver and gold's history from the committed bronze"


if __name__ == "__main__":
    sys.exit(main())
