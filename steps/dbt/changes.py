"""What a silver build changed, per source: rows delivered, and of the rows silver holds, how many are new or changed.

Every staging model keeps, per key, the hash of its business columns and the run that last changed it (``run_id``,
``first_seen_at``, ``last_changed_at``: dbt/macros/row_changes.sql). So after a build the rows that the deliveries
it merged made new or changed are exactly the rows whose ``run_id`` is one of those deliveries' runs: new when the
key was first seen with those values (``first_seen_at = last_changed_at``), changed otherwise. A re-delivery of
unchanged values leaves ``run_id`` as it was, and counts as neither.

The deliveries a build merged are the committed ones after those the previous silver build was built from (its
layer state names each source's last run). Pure but for :func:`count_changes`, which asks the warehouse: the
DuckDB file directly (the build's process still holds it open; a second dbt invocation would cost seconds), or,
on Trino, through ``dbt show`` with the build's own profile. The query is the same.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from steps.dbt.committed import Delivery
from steps.dbt.runner import DbtProject
from steps.validate.manifest import DbtManifest, Model

log = logging.getLogger(__name__)

HASH_COLUMN = "row_hash"  # a staging model with change detection declares it


@dataclass(frozen=True)
class SourceChanges:
    """One source's deliveries merged by a silver build and what they did to silver."""

    source: str
    runs: tuple[str, ...]  # the ingest runs merged, oldest first
    delivered: int  # bronze rows those runs delivered (their manifests)
    new: int = 0  # keys first seen with these runs
    changed: int = 0  # keys whose values (row_hash) these runs changed


def merged_deliveries(committed: list[Delivery], previous: Mapping[str, Any] | None) -> dict[str, list[Delivery]]:
    """Per source, the committed deliveries after the run the previous silver build was built from.

    ``previous`` is that build's layer state (``{"inputs": {"upstream": {source: run id}}}``); without one every
    delivery is new to silver. A source whose recorded run is no longer committed (quarantined since) counts only its
    newest delivery: what came before it cannot be told apart from what silver already holds.
    """
    upstream = ((previous or {}).get("inputs") or {}).get("upstream") or {}
    by_source: dict[str, list[Delivery]] = {}
    for delivery in committed:
        by_source.setdefault(delivery.source, []).append(delivery)
    merged: dict[str, list[Delivery]] = {}
    for source, runs in by_source.items():
        last = upstream.get(source) if isinstance(upstream, dict) else None
        ids = [d.run_id for d in runs]
        if last is None:
            new = runs
        elif last in ids:
            new = runs[ids.index(last) + 1 :]
        else:
            new = runs[-1:]
        if new:
            merged[source] = new
    return merged


def dbt_ref(model: Model) -> str:
    """A model as dbt resolves it on any target: ``{{ ref('name') }}`` (for ``dbt show``)."""
    return f"{{{{ ref({_literal(model.name)}) }}}}"


def duckdb_relation(model: Model) -> str:
    """A model's relation in the DuckDB warehouse: ``"schema"."alias"``."""
    return ".".join('"' + part.replace('"', '""') + '"' for part in (model.schema, model.alias))


def changes_sql(
    models: Mapping[str, list[Model]], runs: Mapping[str, list[str]], relation: Callable[[Model], str] = dbt_ref
) -> str | None:
    """Per source, the rows of its staging models that ``runs`` made new or changed (None: nothing to count).

    ``models`` are each source's staging models with change detection, named in the SQL by ``relation``.
    """
    parts = []
    for source, names in sorted(models.items()):
        if not runs.get(source):
            continue
        in_runs = ", ".join(_literal(r) for r in runs[source])
        parts += [  # every value spliced in is a quoted literal (_literal)
            f"select {_literal(source)} as source_name,"  # noqa: S608
            " sum(case when first_seen_at = last_changed_at then 1 else 0 end) as new_rows,"
            " sum(case when first_seen_at < last_changed_at then 1 else 0 end) as changed_rows"
            f" from {relation(model)} where run_id in ({in_runs})"
            for model in names
        ]
    if not parts:
        return None
    totals = "coalesce(sum(new_rows), 0) as new_rows, coalesce(sum(changed_rows), 0) as changed_rows"
    union = "\nunion all\n".join(parts)
    return f"select source_name, {totals} from (\n{union}\n) as counted group by source_name"  # noqa: S608


def tracked_models(manifest: DbtManifest) -> dict[str, list[Model]]:
    """Each source's staging models that carry change detection (declare ``row_hash``), by name."""
    models: dict[str, list[Model]] = {}
    for model in sorted(manifest.models.values(), key=lambda m: m.name):
        if HASH_COLUMN in model.columns:
            for source in model.sources:
                models.setdefault(source, []).append(model)
    return models


def summarize(merged: Mapping[str, list[Delivery]], counted: list[dict[str, Any]]) -> list[SourceChanges]:
    """The per-source changes: rows delivered from the manifests, new and changed from the warehouse's counts."""
    by_source = {str(row["source_name"]): row for row in counted}
    out = []
    for source, deliveries in sorted(merged.items()):
        row = by_source.get(source, {})
        out.append(
            SourceChanges(
                source=source,
                runs=tuple(d.run_id for d in deliveries),
                delivered=sum(f.rows for d in deliveries for f in d.files),
                new=int(row.get("new_rows") or 0),
                changed=int(row.get("changed_rows") or 0),
            )
        )
    return out


def count_changes(
    project: DbtProject,
    manifest: dict[str, Any] | None,
    committed: list[Delivery],
    previous: Mapping[str, Any] | None,
    warehouse: Path | None,
) -> list[SourceChanges]:
    """After a silver build: what the deliveries it merged changed, per source.

    ``manifest``: the parsed ``manifest.json`` the build left; ``warehouse``: the DuckDB file (None on Trino).
    """
    merged = merged_deliveries(committed, previous)
    if not merged or manifest is None:
        return summarize(merged, [])
    models = tracked_models(DbtManifest.from_json(manifest))
    runs = {source: [d.run_id for d in ds] for source, ds in merged.items()}
    if warehouse is not None:
        sql = changes_sql(models, runs, duckdb_relation)
        return summarize(merged, _duckdb_rows(warehouse, sql) if sql else [])
    sql = changes_sql(models, runs)
    return summarize(merged, _show(project, sql) if sql else [])


def as_metrics(changes: list[SourceChanges]) -> dict[str, dict[str, Any]]:
    """The stage result's ``changes``: per source, its runs and counts."""
    return {c.source: {k: v for k, v in asdict(c).items() if k != "source"} for c in changes}


def _duckdb_rows(path: Path, sql: str) -> list[dict[str, Any]]:
    import duckdb

    # Not read-only: dbt-duckdb keeps the database open in this process, and DuckDB shares an instance only
    # with a connection of the same configuration.
    with duckdb.connect(str(path)) as con:
        cursor = con.execute(sql)
        columns = [c[0] for c in cursor.description or []]
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def _show(project: DbtProject, sql: str) -> list[dict[str, Any]]:
    # --log-level none: dbt show would print its preview table into the stage's log even with --quiet.
    res = project.invoke("show", "--inline", sql, "--limit", "-1", "--log-level", "none")
    if not res.success:
        raise RuntimeError(f"dbt show of the change counts failed: {res.exception or 'see the dbt log'}")
    table = res.result.results[0].agate_table
    return [dict(zip(table.column_names, row, strict=True)) for row in table.rows]


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"
