"""Freshness under a backfill (``--backfill SOURCE:START:END``): only that source is ingested, for that range.

The other sources are not ingested (reason ``backfill of SOURCE``) and both layers are rebuilt, so the range
reaches silver and gold. Nothing here reads a clock or changes a watermark: a backfill never becomes the source's
last success, so the next regular run decides exactly as it would have without it. A malformed request, a source
not in the run, or one without a time dimension is refused (exit 2) before any decision is written.
"""

from __future__ import annotations

from collections.abc import Sequence

from steps.config import PipelineConfig
from steps.errors import ConfigError
from steps.freshness.core import Decision
from steps.names import BACKFILL_RANGE_OUTPUT, REBUILD_OUTPUT
from steps.sources.backfill import BackfillRequest, check_range
from steps.state import SourceState


def backfill_request(text: str, names: Sequence[str], config: PipelineConfig, *, force: bool) -> BackfillRequest | None:
    """The run's backfill (None for an empty ``text``: a regular run), checked against the run's sources."""
    if not text.strip():
        return None
    return check_request(BackfillRequest.parse(text), names, config, force=force)


def check_request(
    request: BackfillRequest, names: Sequence[str], config: PipelineConfig, *, force: bool = False
) -> BackfillRequest:
    """``request`` if it names a source of the run with a time dimension and a range in its form, else refused."""
    if force:
        raise ConfigError(
            f"force=true and backfill={request} were both given",
            "drop force: a backfill ingests only its source and rebuilds the layers anyway",
        )
    kind = config.source(request.source).kind  # an unknown source: a ConfigError naming the known ones
    if request.source not in names:
        raise ConfigError(
            f"backfill source {request.source!r} is not one of this run's sources ({', '.join(names)})",
            f"enable {request.source} in the pipeline configuration, or backfill one of those",
        )
    check_range(request.source, kind, request.range)
    return request


def backfill_decisions(
    request: BackfillRequest, names: Sequence[str], config: PipelineConfig, state: SourceState
) -> list[Decision]:
    """Ingest ``request.source`` (whose ``state`` gives the facts shown), skip every other source."""
    decisions = []
    for name in names:
        max_age = config.source(name).max_age_days
        if name != request.source:
            reason = f"backfill of {request.source}"
            decisions.append(Decision(source=name, ingest=False, reason=reason, max_age_days=max_age))
            continue
        last = state.last_success
        decisions.append(
            Decision(
                source=name,
                ingest=True,
                reason=f"backfill {request.range}",
                last_success_at=last.finished_at if last else None,
                last_success_run=last.run_id if last else None,
                max_age_days=max_age,
            )
        )
    return decisions


def run_outputs(request: BackfillRequest | None, *, force: bool) -> dict[str, str]:
    """The freshness task's run-wide outputs: the range every ingest task gets, and whether dbt rebuilds."""
    return {
        BACKFILL_RANGE_OUTPUT: str(request.range) if request is not None else "",
        REBUILD_OUTPUT: "true" if force or request is not None else "false",
    }
