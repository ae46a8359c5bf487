"""The lock of an S3 lake: a lease object, ``_lock/run.json``, written only with conditional requests.

S3 has no locks, but it has conditional writes: ``If-None-Match: *`` creates the object only when none exists,
``If-Match: <etag>`` replaces it only when it is still the version read. So:

- taking the lease is creating the object (owner and expiry inside);
- a heartbeat thread renews it (a new expiry, written ``If-Match`` our last ETag) every third of its time to live;
- a lease past its expiry (its holder died without releasing) is taken over with ``If-Match`` the expired
  version's ETag, so that of two runs taking over at once exactly one wins;
- releasing deletes it ``If-Match`` our ETag, never another run's lease.

Expiry compares the holder's clock with ours: clocks more than the time to live apart would break the lease, which
is why it is minutes, not seconds.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from steps.lake_s3 import credentials_from_env
from steps.s3.client import S3Client
from steps.s3.errors import PreconditionFailedError
from workflows.local.owner import LOCK_KEY, Owner

TTL_S = 120.0  # a holder that stopped renewing is taken over this long after its last renewal
_TIME = "%Y-%m-%dT%H:%M:%SZ"


class S3Lease:
    """The lease of one S3 lake (the :class:`workflows.local.owner.LakeLock` of ``s3://`` lakes)."""

    def __init__(
        self,
        client: S3Client,
        key: str,
        owner: Owner,
        *,
        ttl_s: float = TTL_S,
        say: Callable[[str], None] = lambda _line: None,
    ) -> None:
        """Lease ``key`` in ``client``'s bucket for ``owner``, for ``ttl_s`` seconds at a time."""
        self.client, self.key, self.owner, self.ttl_s, self.say = client, key, owner, ttl_s, say
        self.etag: str | None = None
        self._stop = threading.Event()
        self._heartbeat: threading.Thread | None = None

    @classmethod
    def for_lake(cls, lake: str, owner: Owner, *, say: Callable[[str], None]) -> S3Lease:
        """The lease of the lake ``s3://bucket[/prefix]`` (endpoint and region as the stages read them)."""
        parts = urlsplit(lake)
        prefix = parts.path.strip("/")
        client = S3Client(
            parts.netloc,
            endpoint=os.environ.get("TRIBUTARY_S3_ENDPOINT") or None,
            region=os.environ.get("TRIBUTARY_S3_REGION") or None,
            credentials=credentials_from_env(),
            name=f"lake {lake}",
        )
        ttl = float(os.environ.get("TRIBUTARY_LEASE_TTL_S") or TTL_S)
        return cls(client, f"{prefix}/{LOCK_KEY}" if prefix else LOCK_KEY, owner, ttl_s=ttl, say=say)

    def try_acquire(self) -> Owner | None:
        """Create the lease, or take over an expired one; the holder when a live lease is another run's."""
        try:
            self.etag = self.client.put(self.key, self._body(), if_none_match=True)
        except PreconditionFailedError:
            try:
                data, etag = self.client.get_tagged(self.key)
            except FileNotFoundError:
                return self._placeholder()  # released meanwhile: the next try creates it
            holder = Owner.from_json(data)
            if holder is not None and holder.token == self.owner.token:
                self.etag = etag  # our own create, retried by the client after a lost answer
            elif holder is not None and _expired(holder):
                try:
                    self.etag = self.client.put(self.key, self._body(), if_match=etag)
                except PreconditionFailedError:
                    return self._placeholder()  # another run took it over first
                self.say(f"took over the lake from {holder.describe()}: its lease expired at {holder.expires}")
            else:
                return holder or self._placeholder()
        self._stop.clear()
        self._heartbeat = threading.Thread(target=self._renew, daemon=True, name="lake-lease")
        self._heartbeat.start()
        return None

    def release(self) -> None:
        """Stop renewing and delete the lease, if it is still ours."""
        self._stop.set()
        if self._heartbeat is not None:
            self._heartbeat.join()
            self._heartbeat = None
        if self.etag is None:
            return
        try:
            self.client.delete(self.key, if_match=self.etag)
        except PreconditionFailedError:
            pass  # taken over by another run: it is theirs now
        except Exception as exc:  # noqa: BLE001 - the lease expires on its own; say so rather than fail the run
            self.say(f"could not release the lake lease {self.key} ({exc}); it expires within {self.ttl_s:.0f}s")
        self.etag = None

    def _renew(self) -> None:
        """Push the expiry forward every third of the time to live until released."""
        while not self._stop.wait(self.ttl_s / 3):
            try:
                self.etag = self.client.put(self.key, self._body(), if_match=self.etag)
            except PreconditionFailedError:
                self.say(f"lost the lake lease {self.key} to another run (renewals failed past its expiry)")
                self.etag = None
                return
            except Exception as exc:  # noqa: BLE001 - a missed renewal is retried at the next beat
                self.say(f"could not renew the lake lease ({exc}); retrying")

    def _body(self) -> bytes:
        expires = datetime.now(UTC) + timedelta(seconds=self.ttl_s)
        return replace(self.owner, expires=expires.strftime(_TIME)).to_json()

    @staticmethod
    def _placeholder() -> Owner:
        return Owner(run_id="?", host="?", pid=0, started="?")


def _expired(holder: Owner) -> bool:
    if holder.expires is None:
        return False
    try:
        return datetime.strptime(holder.expires, _TIME).replace(tzinfo=UTC) < datetime.now(UTC)
    except ValueError:
        return True  # an expiry nobody can read would hold the lake forever
