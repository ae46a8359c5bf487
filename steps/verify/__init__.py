"""Verify stage: every enabled source reachable, the lake writable, the warehouse connectable.

Reads: the pipeline configuration; one small request per source. Writes: a probe object under ``_verify/``
(deleted again). Prints one line per problem and keeps every one, named by its check, in its stage result (the run
report and the alert show them). Exit codes: 0 all good, 2 a configuration problem, 75 something is unreachable
right now.
"""

# What the local runner's warm interpreter preloads for this stage (workflows/local/warm.py).
PRELOAD = ("requests", "orjson")
