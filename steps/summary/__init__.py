"""Summary stage: the run report.

Reads: ``reports/<run_id>/stages/*.json``, ``reports/<run_id>/freshness.json``, the run's manifests and the
previous manifests (schema drift). Writes: ``reports/<run_id>/summary.json`` and ``summary.md``, and prints a
readable table. Idempotent: regenerating gives the same report. Exit codes: 0 (it reports failures, it does not
fail because of them), 2 bad arguments.
"""

# What the local runner's warm interpreter preloads for this stage (workflows/local/warm.py): the stage runtime only.
PRELOAD: tuple[str, ...] = ()
