"""Summary stage: the run report, the run's notification, and the sources' freshness gauges.

Reads: ``reports/<run_id>/stages/*.json``, ``reports/<run_id>/freshness.json``, the run's manifests and the
previous manifests (schema drift), the configuration and every enabled source's state (freshness). Writes:
``reports/<run_id>/summary.json``, ``summary.md`` and ``metrics.prom``, and prints a readable table; as the exit
handler it POSTs the notification to ``TRIBUTARY_WEBHOOK_URL``. Idempotent: regenerating gives the same report,
but for the freshness snapshot's time. Exit codes: 0 (it reports failures, it does not fail because of them, nor
because of a webhook, a configuration or a textfile it cannot use), 2 bad arguments.
"""

# What the local runner's warm interpreter preloads for this stage (workflows/local/warm.py): the stage runtime only.
PRELOAD: tuple[str, ...] = ()
