"""Offline replay of the public APIs Tributary ingests (World Bank v2, Vietnam provinces, FRED, EIA, NOAA CDO).

A development tool, not part of any stage image (the images copy ``steps/`` only): ``tributary run --replay``
serves every enabled source that has a provider from it, ``python -m workflows.replay`` serves them on a local
port, tests start :class:`ReplayServer` in-process. See :mod:`workflows.replay.server` for the HTTP surface and the
admin endpoints, :mod:`workflows.replay.registry` for the providers, ``data/README.md`` for the data.
"""

from workflows.replay.faults import Fault
from workflows.replay.server import (
    POST_REFORM_SNAPSHOT,
    PRE_REFORM_SNAPSHOT,
    REFORM_DATE,
    ReplayServer,
    RequestRecord,
)

__all__ = [
    "POST_REFORM_SNAPSHOT",
    "PRE_REFORM_SNAPSHOT",
    "REFORM_DATE",
    "Fault",
    "ReplayServer",
    "RequestRecord",
]
