"""Who holds a lake, and what every lock of a lake offers: shared by the folder lock and the S3 lease.

:mod:`workflows.local.lakelock` (the folder lock, the wait) and :mod:`workflows.local.lease` (the S3 lease) both
write an :class:`Owner` at :data:`LOCK_KEY` and implement :class:`LakeLock`.
"""

from __future__ import annotations

import json
import os
import socket
import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Protocol

LOCK_KEY = "_lock/run.json"  # relative to the lake root, for both kinds of lake


@dataclass(frozen=True)
class Owner:
    """Who holds a lake: what a waiting run prints."""

    run_id: str
    host: str = field(default_factory=socket.gethostname)
    pid: int = field(default_factory=os.getpid)
    started: str = field(default_factory=lambda: datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
    token: str = field(default_factory=lambda: uuid.uuid4().hex)  # tells our own lease from another's
    expires: str | None = None  # S3 leases only: when a holder that stopped renewing may be taken over

    def to_json(self) -> bytes:
        """The lock's content."""
        return json.dumps(asdict(self)).encode()

    @classmethod
    def from_json(cls, data: bytes) -> Owner | None:
        """The owner a lock file or lease holds; None when it is empty or unreadable (a holder still writing)."""
        try:
            fields = json.loads(data)
            return cls(**{k: v for k, v in fields.items() if k in cls.__dataclass_fields__})
        except (ValueError, TypeError):
            return None

    def describe(self) -> str:
        """``run X (pid P on host H, since T)``."""
        return f"run {self.run_id} (pid {self.pid} on {self.host}, since {self.started})"


class LakeLock(Protocol):
    """A lock on one lake."""

    def try_acquire(self) -> Owner | None:
        """Take the lock if it is free; None when taken, else the holder (a placeholder when unknown)."""
        ...

    def release(self) -> None:
        """Give the lock up (only ever called by its holder)."""
        ...
