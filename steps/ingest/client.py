"""The HTTP client of one source's ingest, built from the pipeline configuration.

The shared retry policy plus the source's own rate limits, daily quota and circuit breaker.
"""

from __future__ import annotations

from steps.breaker import CircuitBreaker
from steps.config import PipelineConfig
from steps.http import HttpClient
from steps.lake import Lake
from steps.ratelimit import DailyQuota, RateLimiter
from steps.sources.base import Source, quota_account


def build_client(source: Source, config: PipelineConfig, lake: Lake) -> HttpClient:
    """A client for ``source`` with everything its configuration asks for."""
    cfg = config.source(source.name)
    quota = None
    if cfg.daily_quota is not None:
        quota = DailyQuota(lake, source.name, quota_account(source, cfg.kind), cfg.daily_quota)
    return HttpClient(
        source.name,
        config.http,
        pool_size=max(8, source.concurrency * 2),
        limiter=RateLimiter(cfg.rate_limits),
        quota=quota,
        breaker=CircuitBreaker(source.name, cfg.breaker.failures),
    )
