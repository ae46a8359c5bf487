"""Retention: remove what the policy (``retention:`` in the pipeline configuration) no longer keeps.

``python -m steps.prune`` (``tributary prune`` runs the same code under the lake's lock) reads the lake's listing,
the committed manifests, the quarantine records and the bronze files' content fingerprints; a pure planner
(:mod:`steps.prune.plan`) decides what goes and why; :mod:`steps.prune.execute` deletes it in an order every
reader tolerates at any interruption; :mod:`steps.prune.maintenance` then maintains the warehouse (Iceberg's
``optimize``/``expire_snapshots``/``remove_orphan_files`` on Trino, ``CHECKPOINT`` on DuckDB).

Reads: ``raw/``, ``bronze/`` (manifests and files), ``reports/``, ``quarantine/``, ``state/_dbt_manifest.json``.
Writes: deletions only, and ``state/_prune_content.json`` (fingerprints of bronze files, read once each).
Idempotent: a second run finds nothing more to remove. Exit codes: 0, 2 (bad policy or arguments), 75 (the
object store or the warehouse is unavailable), 130/143 (interrupted; run again to finish).
"""
