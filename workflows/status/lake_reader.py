"""Read what ``tributary status`` shows from the lake: state files, run reports and daily quota counts.

Run ids do not sort by time (a local run is ``local-<UTC timestamp>``, an Argo run the Workflow's name, e.g.
``tributary-scheduled-1767225600`` or ``tributary-x7k2p``), so runs are ordered by when their report was written:
the modification time of ``reports/<run_id>/summary.json``, which the exit handler writes last, after every task.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC
from pathlib import Path

from steps.config import PipelineConfig
from steps.errors import ConfigError, StepError
from steps.lake import Lake, ObjectInfo
from steps.ratelimit import quota_path
from steps.state import read_state
from workflows.status.facts import LakeFacts, LastSuccess, QuotaCount, Run, SourceSpec, quota_count, run_from_summary

_SUMMARY = re.compile(r"^reports/([^/]+)/summary\.json$")
LAKE_FIX = (
    "pass --lake the folder or s3://bucket[/prefix] that tributary run writes (default $TRIBUTARY_LAKE, else ./lake)"
)


def open_lake(root: str, environ: Mapping[str, str]) -> Lake:
    """The lake at ``root``; S3 settings from ``TRIBUTARY_S3_ENDPOINT``/``TRIBUTARY_S3_REGION`` as the stages read them.

    A local folder must exist: status never creates one (a typo would otherwise read as an empty lake).
    """
    endpoint = environ.get("TRIBUTARY_S3_ENDPOINT") or None
    if endpoint is not None and not endpoint.startswith(("http://", "https://")):
        raise ConfigError(f"TRIBUTARY_S3_ENDPOINT {endpoint!r} has no scheme", "use http://host:port or https://host")
    if not root.strip():
        raise ConfigError("--lake is empty", LAKE_FIX)
    lake = Lake(root, s3_endpoint=endpoint, s3_region=environ.get("TRIBUTARY_S3_REGION") or None)
    if lake.is_local:
        folder = Path(lake.base)
        if not folder.exists():
            raise ConfigError(f"lake folder {folder} does not exist", LAKE_FIX)
        if not folder.is_dir():
            raise ConfigError(f"lake {folder} is not a folder", LAKE_FIX)
    return lake


def enabled_sources(config: PipelineConfig) -> tuple[SourceSpec, ...]:
    """The configuration's enabled sources with their SLA (``max_age_days``) and daily quota."""
    return tuple(
        SourceSpec(name, config.source(name).max_age_days, config.source(name).daily_quota)
        for name in config.enabled_sources()
    )


def read_lake(
    lake: Lake,
    config: PipelineConfig,
    *,
    enough: Callable[[Sequence[Run]], bool],
    max_runs: int,
) -> LakeFacts:
    """Every fact the status table needs; run reports newest first, until ``enough`` of them or ``max_runs``.

    Raises:
        ConfigError: the lake holds neither state nor reports (a wrong ``--lake``), or a state file is corrupt.
        TransientError: the object store did not answer.
    """
    states = lake.list_files("state")
    reports = [info for info in lake.list_infos("reports") if _SUMMARY.match(info.path)]
    if not states and not reports:
        raise ConfigError(f"no Tributary lake at {lake.root} (nothing under state/ or reports/)", LAKE_FIX)
    sources = enabled_sources(config)
    last = {s.name: _last_success(lake, s.name) for s in sources}
    return LakeFacts(
        lake=lake.root,
        sources=sources,
        last_success=last,
        runs=tuple(_runs(lake, reports, enough, max_runs)),
        quota={s.name: _live_quota(lake, config, s.name) for s in sources if s.daily_quota is not None},
    )


def _last_success(lake: Lake, source: str) -> LastSuccess | None:
    record = read_state(lake, source).last_success
    if record is None:
        return None
    finished = record.finished_at
    if finished.tzinfo is None:  # the ingest writes UTC with its offset; a hand-edited file may have dropped it
        finished = finished.replace(tzinfo=UTC)
    return LastSuccess(run_id=record.run_id, finished_at=finished, rows=dict(record.rows))


def _runs(lake: Lake, reports: list[ObjectInfo], enough: Callable[[Sequence[Run]], bool], max_runs: int) -> list[Run]:
    newest_first = sorted(reports, key=lambda info: (info.mtime, info.path), reverse=True)
    runs: list[Run] = []
    for info in newest_first[:max_runs]:
        run_id = _SUMMARY.match(info.path).group(1)  # type: ignore[union-attr]  # filtered by the same pattern
        try:
            doc = lake.read_json(info.path)
        except ValueError:  # a report that is not JSON says nothing; the next one may
            continue
        if doc is None:  # deleted since the listing
            continue
        runs.append(run_from_summary(doc, run_id, info.mtime))
        if enough(runs):
            break
    return runs


def _live_quota(lake: Lake, config: PipelineConfig, source: str) -> QuotaCount | None:
    """The daily count the ingest keeps in ``state/_quota/<account>.json``, when the account can be named.

    A keyed source's account is ``<provider>-<fingerprint of its key>``: without the key in this environment the
    file cannot be told from another key's, so the count is unknown here (the table then uses the last run's).
    """
    account = quota_account(config, source)
    if account is None:
        return None
    try:
        raw = lake.read_json(quota_path(account))
    except ValueError:  # a damaged count file: unknown here, as for a key not in this environment
        return None
    return quota_count(raw, "lake")


def quota_account(config: PipelineConfig, source: str) -> str | None:
    """The quota account of ``source`` as the ingest names it (``steps.ingest.client``); None without its key."""
    from steps.sources import build_source
    from steps.sources.base import quota_account as account_of

    built = build_source(source, config)
    try:
        return account_of(built, config.source(source).kind)
    except StepError:  # a keyed source whose key is not in this environment
        return None
