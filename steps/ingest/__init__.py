"""Ingest stage: fetch one source page by page into raw payloads and bronze Parquet.

Reads: the source's API (through the shared HTTP client) and the pipeline configuration.
Writes: ``raw/<source>/<stream>/<run_id>/`` (gzip pages + ``_provenance.jsonl``),
``bronze/<source>/<dataset>/ingest_date=…/<run_id>.parquet``, then ``bronze/<source>/_manifests/<run_id>.json``
(last; it commits the run) and finally ``state/<source>.json``.
Idempotent per run id: a rerun rewrites the same objects. Uncommitted leftovers of crashed runs are removed first.
Exit codes: 0 ok, 2 bad configuration or a response we refuse (bad indicator, malformed JSON), 75 source
unavailable after retries.
"""
