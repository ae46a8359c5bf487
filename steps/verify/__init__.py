"""Verify stage: every enabled source reachable, the lake writable, the warehouse connectable.

Reads: the pipeline configuration; one small request per source. Writes: a probe object under ``_verify/``
(deleted again). Prints one line per problem. Exit codes: 0 all good, 2 a configuration problem, 75 something
is unreachable right now.
"""

# What the local runner's warm interpreter preloads for this stage (workflows/local/warm.py).
PRELOAD = ("requests", "orjson")
