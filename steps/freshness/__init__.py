"""Freshness stage: decide per source whether to ingest now or skip it as fresh.

Reads: ``state/<source>.json`` and the pipeline configuration (``max_age_days`` per source); a scheduled run also
gets its schedule and fire time (``--schedule``, ``--timezone``, ``--scheduled-at``; the rule is in ``core.py``).
Writes: ``reports/<run_id>/freshness.json`` (every decision with its reason), one file per source in
``--outputs DIR`` holding ``true``/``false`` (Argo output parameters) plus the run-wide ``backfill-range`` and
``rebuild-layers`` outputs, and the decisions as JSON on stdout. The decisions document says whether the run was
scheduled and for which period (``schedule``, null when manual). With ``--backfill SOURCE:START:END`` only that
source is ingested, for that range (``steps/freshness/backfill.py``).
Idempotent: the same state, clock and flags give the same decisions. Exit codes: 0, 2 (bad configuration, a bad
backfill request).
"""

# What the local runner's warm interpreter preloads for this stage (workflows/local/warm.py): the schedule's cron
# library (steps.schedule), which the stage imports whatever the run.
PRELOAD: tuple[str, ...] = ("croniter",)
