"""The replay providers, one module per public API; each registers itself (:mod:`workflows.replay.registry`).

A provider module defines how its API answers and ends with a ``register(Registration(...))`` call naming the
provider, the source kind it serves and the path below the server that replaces the source's ``base_url``.
"""
