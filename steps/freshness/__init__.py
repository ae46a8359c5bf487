"""Freshness stage: decide per source whether to ingest now or skip it as fresh.

Reads: ``state/<source>.json`` and the pipeline configuration (``max_age_days`` per source).
Writes: ``reports/<run_id>/freshness.json`` (every decision with its reason), one file per source in
``--outputs DIR`` holding ``true``/``false`` (Argo output parameters) plus the run-wide ``backfill-range`` and
``rebuild-layers`` outputs, and the decisions as JSON on stdout. With ``--backfill SOURCE:START:END`` only that
source is ingested, for that range (``steps/freshness/backfill.py``).
Idempotent: the same state, clock and flags give the same decisions. Exit codes: 0, 2 (bad configuration, a bad
backfill request).
"""

# What the local runner's warm interpreter preloads for this stage (workflows/local/warm.py): the stage runtime only.
PRELOAD: tuple[str, ...] = ()
