"""Whether a local run will most likely ingest something, known before its freshness task says so.

The warm launcher starts the interpreters of the gates and the dbt stages (seconds of imports) only once work is
coming (:mod:`workflows.local.warm`). The freshness task is the one that decides; this is the same rule
(:func:`steps.freshness.core.decide`) applied ahead, to the states ``tributary run`` read in its checks, so those
imports start with the run instead of after verify and freshness. A wrong guess costs only time: guessed work that
freshness then skips leaves the interpreters unused (a run with nothing to do is decided from states that say so,
so it never pays for them), and work nobody guessed starts them when freshness ends, as before.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from steps.config import PipelineConfig
from steps.freshness.core import decide
from steps.freshness.trigger import ScheduledRun
from steps.state import SourceState


def work_expected(
    config: PipelineConfig,
    sources: tuple[str, ...],
    states: Mapping[str, SourceState],
    *,
    force: bool = False,
    backfill: bool = False,
    scheduled: ScheduledRun | None = None,
    now: datetime | None = None,
) -> bool:
    """Whether the freshness task of this run will send a source to ingest, judged from ``states``.

    A source missing from ``states`` was never ingested. A forced run or a backfill ingests.
    """
    if force or backfill:
        return True
    at = now or datetime.now(UTC)
    return any(
        decide(
            states.get(name) or SourceState(source=name), config.source(name).max_age_days, at, scheduled=scheduled
        ).ingest
        for name in sources
    )
