"""Offline replay of the public APIs Tributary ingests (World Bank v2, Vietnam provinces).

``python -m steps.replay`` serves them on a local port; tests start :class:`ReplayServer` in-process. See
:mod:`steps.replay.server` for the HTTP surface and the admin endpoints, ``data/README.md`` for the data.
"""

from steps.replay.faults import Fault
from steps.replay.server import (
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
