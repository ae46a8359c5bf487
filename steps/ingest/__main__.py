"""``python -m steps.ingest --source NAME --run-id ID [--backfill START:END] [--outputs DIR]``: ingest one source.

``--backfill START:END`` re-ingests that range (dates; years for the World Bank; values of the watermark column for
Postgres) whatever the source's watermark says. It writes only this source's bronze and state, never moves its
watermark backwards and does not count as the regular ingest freshness measures; a source without a time dimension
refuses it (exit 2) before anything is written. An empty value means no backfill (the Argo template always passes
the argument). ``--outputs DIR`` writes ``DIR/rows`` (rows committed).
"""

from __future__ import annotations

import argparse
import importlib.abc
import os
import sys
from collections.abc import Sequence
from importlib.machinery import ModuleSpec
from pathlib import Path
from types import ModuleType

from steps.ingest import PRELOAD_ENV


class _NoPandas(importlib.abc.MetaPathFinder):
    """pyarrow probes for pandas on its first list→array conversion, and importing pandas costs ~2 s.

    Ingest never needs pandas (it is not even in the ingest image), so the probe fails at once in this process.
    """

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if fullname == "pandas" or fullname.startswith("pandas."):
            raise ImportError("pandas is not used by the ingest stage")
        return None


sys.meta_path.insert(0, _NoPandas())
# Read when pyarrow loads, so set before anything imports it (why: steps/ingest/__init__.py).
for _name, _value in PRELOAD_ENV.items():
    os.environ.setdefault(_name, _value)

from steps import layout
from steps.config import load_config
from steps.ingest.client import build_client
from steps.ingest.core import ingest_source
from steps.names import ingest_task
from steps.sources import build_source
from steps.sources.backfill import check_range
from steps.sources.base import Backfill
from steps.stage import StageContext, exit_without_teardown, run_stage
from steps.state import read_state

_WATERMARKS_IN_METRICS = 50


def main(argv: list[str] | None = None) -> int:
    """Parse arguments and run the ingest of one source."""
    parser = argparse.ArgumentParser(prog="python -m steps.ingest", description=__doc__)
    parser.add_argument("--source", required=True, help="source name from the pipeline configuration")
    parser.add_argument("--run-id", required=True, help="run id (the Argo workflow name)")
    parser.add_argument("--backfill", help="START:END range to re-ingest, e.g. 2020-01-01:2020-12-31")
    parser.add_argument("--outputs", type=Path, help="folder for the 'rows' output (Argo output parameter)")
    args = parser.parse_args(argv)

    def body(ctx: StageContext) -> None:
        ctx.metrics["source"] = args.source
        backfill = Backfill.parse(args.backfill) if args.backfill else None
        config = load_config(ctx.settings.config)
        ctx.lineage.read(*config.source(args.source).lineage_inputs())
        if backfill is not None:
            check_range(args.source, config.source(args.source).kind, backfill)
        source = build_source(args.source, config)
        client = build_client(source, config, ctx.lake)
        ctx.metrics.update(source=source.name)
        if backfill is not None:
            ctx.metrics["backfill"] = str(backfill)
        try:
            manifest = ingest_source(source, ctx.lake, client, ctx.run_id, backfill=backfill)
        finally:
            client.close()
            ctx.metrics.update(
                requests=client.stats.requests, retries=client.stats.retries, response_bytes=client.stats.bytes
            )
            if client.breaker is not None:
                ctx.metrics["breaker"] = client.breaker.snapshot()
            if client.limiter is not None and client.limiter.buckets:
                ctx.metrics["rate_limit"] = client.limiter.metrics()
            if client.quota is not None:
                ctx.metrics["quota"] = client.quota.metrics()
        rows = {name: f.rows for name, f in manifest.datasets.items()}
        ctx.lineage.wrote(
            ctx.lake_dataset(f"raw/{source.name}"),
            *(ctx.lake_dataset(layout.bronze_dataset_dir(source.name, name)) for name in manifest.datasets),
            ctx.lake_dataset(layout.state(source.name)),
        )
        ctx.metrics.update(
            rows=rows,
            pages=sum(s.pages for s in manifest.streams),
            bronze_bytes=sum(f.bytes for f in manifest.datasets.values()),
            raw_bytes=manifest.raw_bytes,
            manifest=f"bronze/{source.name}/_manifests/{ctx.run_id}.json",
        )
        marks = read_state(ctx.lake, source.name).checkpoint.watermarks
        if marks:
            shown = sorted(marks.items())[:_WATERMARKS_IN_METRICS]
            ctx.metrics["watermarks"] = {key: mark.value for key, mark in shown}
        if args.outputs:
            args.outputs.mkdir(parents=True, exist_ok=True)
            (args.outputs / "rows").write_text(str(sum(rows.values())))

    return run_stage("ingest", ingest_task(args.source), args.run_id, body)


if __name__ == "__main__":
    exit_without_teardown(main())
