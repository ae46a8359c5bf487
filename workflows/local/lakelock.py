"""One run per lake: the lock ``tributary run`` holds on the lake for the whole run.

Two runs writing one lake at once corrupt each other (one's leftover cleanup deletes the other's files in
progress), whatever their work folders. So the lock belongs to the lake, at ``_lock/run.json`` inside it:

- a folder lake: that file held with ``fcntl.flock`` (the kernel releases it when the process ends, however it
  ends), and holding the owner's host, pid, run id and start time for whoever waits;
- an S3 lake: a lease object created with a conditional write (:mod:`workflows.local.lease`).

Who holds it and the interface both kinds share are in :mod:`workflows.local.owner`.

A second run waits up to ``--wait-lock`` seconds, saying who holds the lake, then ends with exit 75. In the
cluster Argo's mutex serialises runs instead; this lock is what a laptop (or a second laptop on one S3 lake) has.
"""

from __future__ import annotations

import fcntl
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO

from workflows.local.owner import LOCK_KEY, LakeLock, Owner

POLL_S = 0.5


class LakeBusyError(Exception):
    """Another run held the lake for the whole wait."""

    def __init__(self, lake: str, holder: Owner | None, waited_s: float) -> None:
        """Record who holds ``lake``."""
        self.lake, self.holder, self.waited_s = lake, holder, waited_s
        super().__init__(self.line())

    def line(self) -> str:
        """What, who, and the fix, in one line."""
        who = self.holder.describe() if self.holder else "another run (starting)"
        return (
            f"lake {self.lake} is in use by {who}; waited {self.waited_s:.0f}s. "
            "Fix: let that run finish (or stop it), or wait longer with --wait-lock SECONDS"
        )


class LockInterruptedError(Exception):
    """A signal arrived while waiting for the lake."""


class FolderLock:
    """The lock of a folder lake: ``<lake>/_lock/run.json`` held with ``flock``."""

    def __init__(self, lake: Path, owner: Owner) -> None:
        """Lock ``lake`` for ``owner``; nothing is touched until :meth:`try_acquire`."""
        self.path = lake / LOCK_KEY
        self.owner = owner
        self._handle: IO[bytes] | None = None

    def try_acquire(self) -> Owner | None:
        """Take the lock without waiting; the holder when another process has it."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.path, "a+b")  # noqa: SIM115 - kept open as long as the lock is held
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = Owner.from_json(handle.read())
            handle.close()
            return holder or Owner(run_id="?", host="?", pid=0, started="?")
        handle.truncate(0)
        handle.write(self.owner.to_json())
        handle.flush()
        self._handle = handle
        return None

    def release(self) -> None:
        """Empty the file (nobody holds the lake) and unlock it; the file stays, as other runs may have it open."""
        if self._handle is None:
            return
        self._handle.truncate(0)
        self._handle.flush()
        fcntl.flock(self._handle, fcntl.LOCK_UN)
        self._handle.close()
        self._handle = None


def lake_lock(lake: str, owner: Owner, *, say: Callable[[str], None]) -> LakeLock:
    """The lock of ``lake``: a folder lock, or an S3 lease (``say`` reports a lease lost to another run)."""
    if lake.startswith("s3://"):
        from workflows.local.lease import S3Lease

        return S3Lease.for_lake(lake, owner, say=say)
    return FolderLock(Path(lake), owner)


def acquire(
    lock: LakeLock,
    lake: str,
    *,
    wait_s: float,
    say: Callable[[str], None],
    interrupted: Callable[[], bool],
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> None:
    """Take ``lock``, waiting up to ``wait_s`` seconds (saying once who holds it).

    Raises:
        LakeBusyError: the lake was still held at the end of the wait.
        LockInterruptedError: ``interrupted()`` became true while waiting.
    """
    start = clock()
    told = False
    while True:
        holder = lock.try_acquire()
        if holder is None:
            return
        waited = clock() - start
        if waited >= wait_s:
            raise LakeBusyError(lake, holder, waited)
        if not told:
            say(f"lake {lake} is in use by {holder.describe()}; waiting up to {wait_s:.0f}s (--wait-lock)")
            told = True
        sleep(min(POLL_S, wait_s - waited))
        if interrupted():
            raise LockInterruptedError
