"""Ingest stage: fetch one source page by page into raw payloads and bronze Parquet.

Reads: the source's API (through the shared HTTP client) and the pipeline configuration.
Writes: ``raw/<source>/<stream>/<run_id>/`` (gzip pages + ``_provenance.jsonl``),
``bronze/<source>/<dataset>/ingest_date=…/<run_id>.parquet``, then ``bronze/<source>/_manifests/<run_id>.json``
(last; it commits the run) and finally ``state/<source>.json``.
Incremental sources resume from the watermarks in their state (minus their lookback); ``--backfill START:END``
re-ingests a range without moving a watermark backwards and without counting as the regular ingest.
Every request goes through the source's rate limiter, daily quota (``state/_quota/``) and circuit breaker; the
stage metrics carry ``breaker``, ``rate_limit``, ``quota`` and ``watermarks``.
Idempotent per run id: a rerun rewrites the same objects. Uncommitted leftovers of crashed runs are removed first.
Exit codes: 0 ok, 2 bad configuration, a missing secret or a response we refuse (bad indicator, malformed JSON),
75 source unavailable after retries, circuit breaker open, or daily quota used up.
"""

# What the local runner's warm interpreter preloads for this stage (workflows/local/warm.py), and the environment
# pyarrow reads when it loads: mimalloc (pyarrow's default pool) keeps freed pages reserved; the system allocator
# gives them back, which keeps the stage's peak RSS flat as data grows (measured at 0.2M → 2M rows: +14% instead
# of +48%). ``python -m steps.ingest`` sets it for itself before importing pyarrow.
PRELOAD = ("pyarrow", "pyarrow.parquet", "requests", "orjson")
PRELOAD_ENV = {"ARROW_DEFAULT_MEMORY_POOL": "system"}
