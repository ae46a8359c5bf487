"""Tributary stages: the code every pipeline container runs as ``python -m steps.<stage>``.

Stages: ``verify``, ``freshness``, ``ingest``, ``dbt``, ``validate`` and ``summary``. Shared pieces live beside
them: settings, pipeline configuration, lake I/O, the HTTP client, state, run reports, errors and logging.
"""
