"""The two gates: what each validates, and what a failure does. The CLI (``__main__``) only picks one.

Bronze: every dataset of every source that committed an ingest in this run. A failing source's batch is rejected
(:mod:`steps.validate.quarantine`) and the source is held back: the gate succeeds, naming it in ``held_back``, so
the other sources are built, and the DAG's ``held-back`` task fails the run (:mod:`steps.validate.held_back`).
When every enabled source is rejected the gate fails itself (exit 2) and the DAG stops before dbt silver.
Gold: every gold model that has a suite (``suites/gold/<model>.yml``) and was built, through its check query, and
the sources' freshness; dbt's manifest names the models' relations and columns.
"""

from __future__ import annotations

import logging
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from steps import layout
from steps.config import PipelineConfig, load_config
from steps.errors import ConfigError, InputError
from steps.lineage.datasets import DatasetRef, table
from steps.settings import load_settings
from steps.stage import StageContext
from steps.state import read_state
from steps.validate import bronze, gold, held_back, publish, quarantine
from steps.validate.batchwide import BatchFile, Engine
from steps.validate.chunks import check_streamable
from steps.validate.lineage import checked_datasets
from steps.validate.manifest import DbtManifest
from steps.validate.params import bronze_parameters, gold_parameters, worldbank_source
from steps.validate.report import DatasetOutcome, Failure, condense, gate_line, plain
from steps.validate.runner import PARTIAL_UNEXPECTED_COUNT, ChunkedTarget, GxSession, SqlEngine, Target
from steps.validate.settings import BronzeGateSettings, TrinoSettings, ValidateSettings
from steps.validate.suites import Gate, Suite, available_suites, check_parameters, columns_of, load_suite, suite_path
from steps.warehouse import duckdb_path, lineage_namespace

log = logging.getLogger(__name__)

FRESHNESS = "freshness"  # the gold suite of the sources' freshness table; every other gold suite is a dbt model
FAILURES_IN_METRICS = 50


@dataclass
class GateRun:
    """What one gate validated and found, gathered for the metrics and the message."""

    gate: Gate
    outcomes: list[DatasetOutcome] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    docs: str | None = None
    docs_uri: str | None = None
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def failures(self) -> list[Failure]:
        """Every failed expectation, dataset by dataset."""
        return [f for o in self.outcomes for f in o.failures]

    def metrics(self, lake_uri: str, run_id: str) -> dict[str, Any]:
        """The stage metrics: counts, failures with samples, and where the evidence is."""
        evaluated = sum(o.evaluated for o in self.outcomes)
        passed = sum(o.passed for o in self.outcomes)
        return {
            "suite": self.gate,
            "outcome": "failed" if self.failures else "passed",
            "expectations": {"evaluated": evaluated, "passed": passed, "failed": evaluated - passed},
            "datasets": [o.as_metrics() for o in self.outcomes],
            "failures": [f.as_metrics() for f in self.failures[:FAILURES_IN_METRICS]],
            "failures_total": len(self.failures),
            "results": f"{publish.gx_dir(run_id, self.gate)}/results/",
            "docs": self.docs,
            "docs_uri": self.docs_uri,
            "lake": lake_uri,
            "notes": self.notes,
            "seconds": self.seconds,
        }


# -- bronze ----------------------------------------------------------------------------------------------------------


@dataclass
class _SourceBatch:
    source: str
    raw_manifest: dict[str, Any]
    batches: list[bronze.BronzeBatch]
    targets: list[ChunkedTarget]
    notes: list[str]


BRONZE_GATE_STATE = "state/_gate_bronze.json"


def bronze_gate(ctx: StageContext) -> None:
    """Validate every source's current bronze batch not validated yet; reject and hold back failing ones.

    Holding back means succeeding with ``held_back`` in the metrics; when every enabled source is rejected the gate
    raises InputError (exit 2) instead.

    The current batch is the one ``state/<source>.json`` names: usually this run's ingest, but also a batch of an
    earlier run whose gate never ran (its run failed in another source's ingest), which silver would otherwise
    read unvalidated.
    """
    config = load_config(ctx.settings.config)
    run = GateRun("bronze")
    validated: dict[str, str] = ctx.lake.read_json(BRONZE_GATE_STATE) or {}
    pending: list[tuple[str, dict[str, Any], bronze.ManifestView]] = []
    batch_run: dict[str, str] = {}
    rejected_before: dict[str, dict[str, Any]] = {}
    for source in config.enabled_sources():
        history = read_state(ctx.lake, source).history  # newest first; a backfill's batch counts too
        last = history[0] if history else None
        rid = last.run_id if last is not None and validated.get(source) != last.run_id else None
        found = bronze.run_manifest(ctx.lake, source, rid) if rid else None
        record = quarantine.read_rejection(ctx.lake, source, rid or ctx.run_id)
        if found is not None and record is not None and record.get("manifest") == found[1]:
            # An earlier attempt decided to reject exactly this batch and was interrupted: finish the job.
            rejected_before[source] = quarantine.finish_rejection(ctx.lake, record)
        elif found is not None and rid is not None:
            pending.append((source, found[1], found[0]))
            batch_run[source] = rid
        elif (record := quarantine.read_rejection(ctx.lake, source, ctx.run_id)) is not None:
            if record.get("gate", "bronze") == "bronze":
                rejected_before[source] = record
            else:  # the dbt stage set aside an unreadable batch of this run and went on: not this gate's failure
                run.notes.append(f"{source}: its batch was quarantined by {record['gate']} ({record['failures'][0]})")
    if not pending and not rejected_before:
        ctx.status = "skipped"
        ctx.metrics.update(
            suite="bronze",
            outcome="nothing new",
            reason="nothing new: every source's current bronze batch was validated before",
        )
        if run.notes:
            ctx.metrics["notes"] = run.notes
        return

    # S3 files are downloaded to the folder; DuckDB (bounded by the pod) computes the batch-wide expectations.
    with tempfile.TemporaryDirectory(prefix="tributary-bronze-") as folder, Engine() as engine:
        sources = [_prepare_source(ctx, config, engine, Path(folder), *p) for p in pending]
        for s in sources:
            run.notes.extend(s.notes)
        if sources:
            rows = {b.name: b.rows for s in sources for b in s.batches}
            _run_gx(ctx, run, [t for s in sources for t in s.targets], rows=rows)
    source_of = {t.suite.dataset: s.source for s in sources for t in s.targets}
    rejections: dict[str, Any] = {}
    for s in sources:
        lines = [f.short() for f in run.failures if source_of[f.dataset] == s.source]
        if lines:
            record = quarantine.reject(ctx.lake, s.source, batch_run[s.source], s.raw_manifest, lines, run.docs)
            rejections[s.source] = _rejection_metrics(record)
        else:
            validated[s.source] = batch_run[s.source]
    if sources:
        ctx.lake.write_json(BRONZE_GATE_STATE, validated)
    for source, record in rejected_before.items():
        rejections[source] = {**_rejection_metrics(record), "rejected_earlier": True}

    ctx.lineage.read(*checked_datasets(run.outcomes, lambda d: ctx.lake_dataset(_bronze_dir(source_of[d], d))))
    ctx.metrics.update(run.metrics(ctx.lake.uri(), ctx.run_id), sources=[s.source for s in sources])
    held = held_back.held_back(rejections, config.enabled_sources())
    if rejections:
        ctx.metrics.update(outcome="held back" if held else "failed", rejected=rejections, held_back=held)
    if sources:
        publish.write_outcome(ctx.lake, ctx.run_id, "bronze", ctx.metrics)
    if rejections and not held:  # every enabled source rejected: nothing to build, stop the DAG here
        raise _bronze_failure(ctx, run, rejections, rejected_before)
    if held:
        log.warning("held back", extra={"sources": held, "reason": "rejected by the bronze gate"})


def _bronze_dir(source: str, suite_dataset: str) -> str:
    """The bronze folder a suite checked: ``worldbank.indicator_values`` → ``bronze/worldbank/indicator_values``."""
    return layout.bronze_dataset_dir(source, suite_dataset.removeprefix(f"{source}."))


def _bronze_failure(
    ctx: StageContext, run: GateRun, rejections: dict[str, Any], rejected_before: dict[str, dict[str, Any]]
) -> InputError:
    """The gate's one-line failure: this attempt's failures, then batches an earlier attempt already rejected."""
    line = gate_line("bronze", run.failures) if run.failures else "bronze gate failed"
    earlier = [f"{src} rejected earlier: {'; '.join(r.get('failures', [])[:3])}" for src, r in rejected_before.items()]
    if earlier:
        line += ("; " if run.failures else ": ") + "; ".join(earlier)
    docs = run.docs or next((r.get("docs") for r in rejected_before.values() if r.get("docs")), None)
    where = ", ".join(f"{r['quarantine']}/" for r in rejections.values())
    return InputError(
        line,
        f"the rejected batches are in {where} and their state is rolled back, so nothing reaches silver; "
        f"see {ctx.lake.uri(docs) if docs else 'the GX results'}, fix the source data or the suite "
        "(in its source package, steps/sources/<kind>/suites/), then re-run the pipeline",
    )


def _prepare_source(
    ctx: StageContext,
    config: PipelineConfig,
    engine: Engine,
    folder: Path,
    source: str,
    raw: dict[str, Any],
    view: bronze.ManifestView,
) -> _SourceBatch:
    suites = {d: load_suite("bronze", f"{source}.{d}") for d in view.datasets}
    for suite in suites.values():
        check_streamable(suite)
    batches = bronze.read_batches(ctx.lake, view, folder)
    params = bronze_parameters(
        config.source(source),
        view,
        row_counts={b.dataset: b.rows for b in batches},
        codes={d: bronze.codes(batches, d) for d in ("provinces", "districts")},
    )
    chunk_rows = load_settings(BronzeGateSettings).bronze_chunk_rows
    targets = [
        ChunkedTarget(
            suite=suites[b.dataset],
            params=check_parameters(suites[b.dataset], params.values[b.dataset]),
            chunks=b.chunks(chunk_rows),
            batch_wide=BatchFile(
                engine, b.file, b.rows, suites[b.dataset].index_columns, PARTIAL_UNEXPECTED_COUNT
            ).compute,
        )
        for b in batches
    ]
    return _SourceBatch(source, raw, batches, targets, params.notes)


def _rejection_metrics(record: dict[str, Any]) -> dict[str, Any]:
    return {
        "quarantine": quarantine.quarantine_dir(record["source"], record["run_id"]),
        "state_restored_to": record.get("state_restored_to"),
        "failures": record.get("failures", []),
    }


# -- gold ------------------------------------------------------------------------------------------------------------


GOLD_GATE_STATE = "state/_gate_gold.json"


def gold_unchanged(ctx: StageContext, config: PipelineConfig, now: datetime) -> str | None:
    """Why the gold gate has nothing new to check, or None when it must run.

    Nothing new means: gold was not rebuilt since the gate last passed, the warehouse file is byte for byte what the
    gate saw (so nothing was changed behind dbt's back; Trino warehouses are always checked), and every enabled
    source's last ingest is still within its ``max_age_days`` (the freshness expectation could not fail either).
    Great Expectations is then not even imported.
    """
    built = ctx.lake.read_json(layout.layer_state("gold")) or {}
    passed = ctx.lake.read_json(GOLD_GATE_STATE) or {}
    if not built or passed.get("gold_built_at") != built.get("built_at"):
        return None
    fingerprint = _warehouse_fingerprint(ctx)
    if fingerprint is None or passed.get("warehouse") != fingerprint:
        return None
    for name in config.enabled_sources():
        last = read_state(ctx.lake, name).last_success
        if last is None or now - last.finished_at >= timedelta(days=config.source(name).max_age_days):
            return None
    return f"nothing new: gold unchanged since the gate passed in run {passed.get('run_id')}, every source fresh"


def _warehouse_fingerprint(ctx: StageContext) -> str | None:
    """Size and modification time of the local DuckDB warehouse; None for Trino or when it is missing."""
    settings = load_settings(ValidateSettings)
    if settings.target != "local":
        return None
    path = duckdb_path(ctx.lake, settings)
    if not path.exists():
        return None
    stat = path.stat()
    return f"{stat.st_size}:{stat.st_mtime_ns}"


def gold_gate(ctx: StageContext) -> None:
    """Validate the gold tables and the sources' freshness; raise InputError (exit 2) when any check fails."""
    config = load_config(ctx.settings.config)
    skip = gold_unchanged(ctx, config, datetime.now(UTC))
    if skip is not None:
        ctx.status = "skipped"
        ctx.metrics.update(outcome="nothing new", reason=skip)
        return
    settings = load_settings(ValidateSettings)
    schemas = gold.Schemas(silver=settings.silver_schema, gold=settings.gold_schema)
    run = GateRun("gold")
    warehouse = _open_warehouse(ctx, settings)
    try:
        # First the warehouse answers (unreachable is transient), then what dbt built decides what is checked.
        warehouse.frame("select 1 as reachable")
        manifest = DbtManifest.load(ctx.lake)
        checks = _gold_checks(run, manifest, schemas)
        newest = gold.newest_ingests(warehouse, ctx.lake, schemas, config, manifest)
        absent = _absent_sources(ctx, run, newest)
        newest = [r for r in newest if r.source not in absent]
        wb = worldbank_source(config)
        codes = gold.country_codes(warehouse, schemas, manifest.staging_models(wb) if wb else [])
        params = gold_parameters(config, codes, worldbank_present=wb not in absent)
        fresh = gold.freshness_frame(newest, datetime.now(UTC))
        targets = []
        for suite, query in checks:
            values = check_parameters(suite, params.values.get(suite.dataset, {}))
            if warehouse.engine == "sql":
                targets.append(Target(suite=suite, params=values, query=query))
            else:
                targets.append(Target(suite=suite, params=values, frame=warehouse.frame(query)))
        targets.append(Target(suite=load_suite("gold", FRESHNESS), params={}, frame=fresh))
        rows = {t.suite.dataset: len(t.frame) for t in targets if t.frame is not None}
        _run_gx(ctx, run, targets, rows=rows, sql=warehouse.sql)
    finally:
        warehouse.close()
    namespace = lineage_namespace(ctx.lake, settings)
    ctx.lineage.read(*checked_datasets(run.outcomes, lambda d: _gold_table(manifest, namespace, d)))
    ctx.metrics.update(run.metrics(ctx.lake.uri(), ctx.run_id), target=settings.target)
    ctx.metrics["freshness"] = [plain(r) for r in fresh.to_dict(orient="records")]
    publish.write_outcome(ctx.lake, ctx.run_id, "gold", ctx.metrics)
    if not run.failures:
        built = ctx.lake.read_json(layout.layer_state("gold")) or {}
        ctx.lake.write_json(
            GOLD_GATE_STATE,
            {
                "run_id": ctx.run_id,
                "gold_built_at": built.get("built_at"),
                "warehouse": _warehouse_fingerprint(ctx),
                "validated_at": datetime.now(UTC).isoformat(),
            },
        )
    if run.failures:
        raise InputError(
            gate_line("gold", run.failures),
            f"gold is not fit for use; see {run.docs_uri}, fix the dbt models or the silver data behind the failing "
            "rows (or the suite under steps/validate/suites/gold/), rebuild gold, then re-run the gate",
        )


def _absent_sources(ctx: StageContext, run: GateRun, newest: list[gold.NewestIngest]) -> set[str]:
    """Enabled sources with no delivery yet: left out of the freshness and coverage checks, each with a note.

    A run of a subset of the sources, or one whose bronze gate held back a source's first batch, must not fail the
    gold gate for data that was never there; the held-back task and ``tributary status`` report those sources.
    """
    delivered = {r.source for r in newest if read_state(ctx.lake, r.source).last_success is not None}
    absent = gold.absent_sources(newest, delivered)
    run.notes += [f"{name}: no delivery yet, so nothing in gold to check (freshness, coverage)" for name in absent]
    return set(absent)


def _gold_table(manifest: DbtManifest, namespace: str, dataset: str) -> DatasetRef | None:
    """The warehouse table a gold suite checked (None for the freshness suite, which checks no table)."""
    model = manifest.model(dataset)
    return table(namespace, model.database, model.schema, model.alias) if model is not None else None


def _open_warehouse(ctx: StageContext, settings: ValidateSettings) -> gold.Warehouse:
    if settings.target == "trino":
        trino = load_settings(TrinoSettings)
        return gold.SqlWarehouse(gold.trino_engine(trino), f"trino {trino.host}:{trino.port}")
    return gold.DuckDBWarehouse(duckdb_path(ctx.lake, settings))


def _gold_checks(run: GateRun, manifest: DbtManifest, schemas: gold.Schemas) -> list[tuple[Suite, str]]:
    """The suite and check query of every gold model with a suite that the last dbt build had enabled."""
    checks = []
    for name in available_suites("gold"):
        if name == FRESHNESS:
            continue
        suite = load_suite("gold", name)
        model = manifest.model(name)
        if model is None:
            run.notes.append(f"{name}: not built (a source it needs is not enabled), its suite skipped")
            continue
        _check_suite_columns(suite, gold.query_columns(model), manifest.origin)
        checks.append((suite, gold.check_sql(schemas, model)))
    return checks


def _check_suite_columns(suite: Suite, columns: list[str], origin: str) -> None:
    """A suite may only name columns its model declares (or its check query adds): else say which, and where."""
    unknown = sorted(columns_of(suite) - set(columns))
    if unknown:
        raise ConfigError(
            f"suite {suite.origin} checks columns {unknown} that dbt model {suite.dataset} does not declare "
            f"(it declares {', '.join(columns)}; read from {origin})",
            f"update {suite_path('gold', suite.dataset)} or the model's columns in its dbt YAML, then rebuild gold",
        )


# -- shared ----------------------------------------------------------------------------------------------------------


def _run_gx(
    ctx: StageContext,
    run: GateRun,
    targets: Sequence[Target | ChunkedTarget],
    rows: dict[str, int],
    sql: SqlEngine | None = None,
) -> None:
    """Validate every target in one GX session, publish results and Data Docs, and fill ``run``."""
    publish.clear(ctx.lake, ctx.run_id, run.gate)
    with tempfile.TemporaryDirectory(prefix=f"tributary-gx-{run.gate}-") as tmp:
        t0 = time.monotonic()
        session = GxSession(Path(tmp) / "docs", ctx.run_id, sql=sql)
        run.seconds["gx_start"] = round(time.monotonic() - t0, 3)
        t0 = time.monotonic()
        for target in targets:
            result = session.validate_chunked(target) if isinstance(target, ChunkedTarget) else session.validate(target)
            outcome = condense(target.suite.dataset, result, target.suite.index_columns)
            outcome.rows = rows.get(target.suite.dataset)
            outcome.result = publish.write_result(ctx.lake, ctx.run_id, run.gate, target.suite.dataset, result)
            run.outcomes.append(outcome)
            log.info(
                "validated",
                extra={
                    "dataset": outcome.dataset,
                    "success": outcome.success,
                    "failed": outcome.evaluated - outcome.passed,
                },
            )
        run.seconds["validate"] = round(time.monotonic() - t0, 3)
        t0 = time.monotonic()
        site = session.build_docs().parent
        run.docs = publish.upload_docs(ctx.lake, ctx.run_id, run.gate, site)
        run.docs_uri = ctx.lake.uri(run.docs)
        run.seconds["docs"] = round(time.monotonic() - t0, 3)
