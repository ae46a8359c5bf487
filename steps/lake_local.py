"""The lake in a local folder: plain files, atomic writes through a hidden temporary file and ``os.replace``."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from stat import S_ISREG

from steps.errors import ConfigError
from steps.lake_store import ObjectInfo, OutputStream

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class AtomicFile:
    """A file written under a hidden temporary name and renamed to its final name when it closes."""

    def __init__(self, final: Path) -> None:
        """Open ``.<name>.<uuid8>.tmp`` next to ``final`` (Hive, Trino and our globs ignore dot files)."""
        self.final = final
        self.temp = final.with_name(f".{final.name}.{uuid.uuid4().hex[:8]}.tmp")
        self._file = self.temp.open("wb")

    @property
    def closed(self) -> bool:
        """Whether the file was published or discarded."""
        return self._file.closed

    def write(self, data: bytes, /) -> int:
        """Append ``data``."""
        return self._file.write(data)

    def tell(self) -> int:
        """Bytes written so far."""
        return self._file.tell()

    def flush(self) -> None:
        """Flush Python's buffer to the temporary file."""
        self._file.flush()

    def writable(self) -> bool:
        """Whether writes are accepted."""
        return not self._file.closed

    def close(self) -> None:
        """Publish: the final name now holds the whole file (``os.replace`` is atomic on one filesystem)."""
        if not self._file.closed:
            self._file.close()
            os.replace(self.temp, self.final)

    def discard(self) -> None:
        """Drop the temporary file; the final name is untouched."""
        self._file.close()
        self.temp.unlink(missing_ok=True)


class LocalStore:
    """Objects as files below ``base``; any OS failure but a missing file is a one-line ConfigError."""

    def __init__(self, base: Path, name: str) -> None:
        """Serve the folder ``base``; ``name`` starts error messages (``lake /data/lake``)."""
        self.base = base
        self.name = name

    def info(self, key: str) -> ObjectInfo | None:
        """The file at ``key``; None when there is none (or it is a folder)."""
        with self._guard():
            try:
                stat = self._path(key).stat()
            except (FileNotFoundError, NotADirectoryError):
                return None
        if not S_ISREG(stat.st_mode):
            return None
        return ObjectInfo(key, stat.st_size, _utc(stat.st_mtime_ns))

    def read(self, key: str) -> bytes:
        """The bytes of the file at ``key`` (FileNotFoundError when absent)."""
        with self._guard():
            return self._path(key).read_bytes()

    def list_objects(self, prefix: str) -> list[ObjectInfo]:
        """Every file below the folder ``prefix``; hidden files included (callers decide what to skip)."""
        top = self._path(prefix)
        found = []
        with self._guard():
            for folder, _, names in os.walk(top):
                for name in names:
                    path = Path(folder, name)
                    try:
                        stat = path.stat()
                    except FileNotFoundError:
                        continue  # removed while we listed
                    if S_ISREG(stat.st_mode):
                        rel = path.relative_to(self.base).as_posix()
                        found.append(ObjectInfo(rel, stat.st_size, _utc(stat.st_mtime_ns)))
        return found

    def open_atomic(self, key: str) -> AtomicFile:
        """A file that appears at ``key`` whole when it closes."""
        final = self._path(key)
        with self._guard():
            final.parent.mkdir(parents=True, exist_ok=True)
            return AtomicFile(final)

    def discard(self, stream: OutputStream) -> None:
        """Remove the temporary file of a failed :meth:`open_atomic`."""
        if isinstance(stream, AtomicFile):
            stream.discard()

    def open_output(self, key: str) -> OutputStream:
        """A plain file at ``key``."""
        path = self._path(key)
        with self._guard():
            path.parent.mkdir(parents=True, exist_ok=True)
            return path.open("wb")

    def move(self, src: str, dst: str) -> None:
        """Rename ``src`` to ``dst``, replacing it."""
        target = self._path(dst)
        with self._guard():
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(self._path(src), target)

    def delete(self, key: str) -> None:
        """Remove the file at ``key`` if it exists."""
        with self._guard():
            self._path(key).unlink(missing_ok=True)

    def abort_uploads(self, prefix: str) -> int:
        """Nothing to abort: a crashed local write leaves a hidden temporary file, removed with its run's leftovers."""
        return 0

    def _path(self, key: str) -> Path:
        return self.base / key if key else self.base

    @contextmanager
    def _guard(self) -> Iterator[None]:
        try:
            yield
        except FileNotFoundError:
            raise
        except OSError as exc:
            raise ConfigError(f"{self.name}: {exc}", "check the folder exists and is writable") from None


def _utc(ns: int) -> datetime:
    # integer arithmetic: a float of nanoseconds since 1970 loses the microseconds the state compares
    return _EPOCH + timedelta(microseconds=ns // 1000)
