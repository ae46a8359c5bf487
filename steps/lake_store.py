"""What the lake's stores have in common: the object description and the interface each store provides."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class ObjectInfo:
    """One object of the lake."""

    path: str  # relative to the lake root, ``/``-separated
    size: int
    mtime: datetime  # UTC


class OutputStream(Protocol):
    """A writable binary stream (a local file or an S3 upload); pyarrow accepts either as a sink."""

    @property
    def closed(self) -> bool:
        """Whether the stream is closed."""
        ...

    def write(self, data: bytes, /) -> int:
        """Append ``data``."""
        ...

    def tell(self) -> int:
        """Bytes written so far."""
        ...

    def flush(self) -> None:
        """Push buffered bytes on (a no-op where parts go out as they fill)."""
        ...

    def writable(self) -> bool:
        """Whether writes are accepted."""
        ...

    def close(self) -> None:
        """Finish the stream."""
        ...


class Store(Protocol):
    """Objects under one root, addressed by ``/``-separated keys relative to it."""

    def info(self, key: str) -> ObjectInfo | None:
        """The object at ``key``; None when there is none."""
        ...

    def read(self, key: str) -> bytes:
        """The bytes at ``key`` (FileNotFoundError when absent)."""
        ...

    def list_objects(self, prefix: str) -> list[ObjectInfo]:
        """Every object whose key starts with ``prefix`` (``""`` or ending in ``/``), in any order."""
        ...

    def open_atomic(self, key: str) -> OutputStream:
        """A stream whose bytes appear at ``key`` only when it closes; :meth:`discard` drops it instead."""
        ...

    def discard(self, stream: OutputStream) -> None:
        """Drop a stream of :meth:`open_atomic` after a failure: nothing appears."""
        ...

    def open_output(self, key: str) -> OutputStream:
        """A plain output stream at ``key``."""
        ...

    def move(self, src: str, dst: str) -> None:
        """Rename ``src`` to ``dst`` (FileNotFoundError when ``src`` is absent)."""
        ...

    def delete(self, key: str) -> None:
        """Delete ``key``; no error when it is absent."""
        ...

    def abort_uploads(self, prefix: str) -> int:
        """Abort incomplete multipart uploads below ``prefix`` (leftovers of a crash); returns how many."""
        ...
