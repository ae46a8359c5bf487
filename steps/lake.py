"""All lake I/O: one root, a local folder (:mod:`steps.lake_local`) or ``s3://bucket[/prefix]`` (:mod:`steps.lake_s3`).

Paths given to :class:`Lake` are relative to the root and always use ``/``. Writes are atomic: an object either
appears whole under its final name or not at all (locally a hidden temporary file, then a rename; on S3 a single
PUT or a multipart upload, which S3 publishes only when complete), so readers never see a partial file.

Nothing here imports pyarrow: the verify, freshness and summary images do not have it.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from steps.errors import ConfigError
from steps.lake_local import LocalStore
from steps.lake_store import ObjectInfo, OutputStream, Store
from steps.settings import StageSettings

__all__ = ["Lake", "ObjectInfo", "OutputStream"]


class Lake:
    """A lake root and the store it lives in."""

    def __init__(self, root: str, *, s3_endpoint: str | None = None, s3_region: str | None = None) -> None:
        """Open the lake at ``root``; S3 credentials come from the standard AWS environment variables.

        Opening makes no request: a missing bucket or folder shows at the first call.
        """
        self.root = root.rstrip("/")
        self.s3_endpoint = s3_endpoint
        self.s3_region = s3_region
        self._store: Store
        if self.root.startswith("s3://"):
            parts = urlsplit(self.root)
            if not parts.netloc:
                raise ConfigError(f"lake root {root!r} has no bucket", "use s3://bucket or s3://bucket/prefix")
            from steps.lake_s3 import S3Store  # here: a folder lake needs no HTTP client (requests, ~0.2 s)

            self.is_local = False
            self.base = f"{parts.netloc}{parts.path}".rstrip("/")
            self._store = S3Store(
                parts.netloc, parts.path, endpoint=s3_endpoint, region=s3_region, name=f"lake {self.root}"
            )
        elif "://" in self.root:
            raise ConfigError(f"lake root {root!r} has an unsupported scheme", "use a local folder or s3://bucket")
        else:
            self.is_local = True
            self.base = str(Path(self.root).resolve())
            self._store = LocalStore(Path(self.base), f"lake {self.root}")

    @classmethod
    def from_settings(cls, settings: StageSettings) -> Lake:
        """Open the lake named by the stage settings."""
        return cls(settings.lake, s3_endpoint=settings.s3_endpoint, s3_region=settings.s3_region)

    def path(self, rel: str) -> str:
        """Filesystem path (no scheme) of ``rel``."""
        return f"{self.base}/{rel.lstrip('/')}" if rel else self.base

    def uri(self, rel: str = "") -> str:
        """Full URI of ``rel`` (``s3://…`` or an absolute local path), for readers outside this module."""
        return self.path(rel) if self.is_local else f"s3://{self.path(rel)}"

    # -- reads -------------------------------------------------------------------------------------------------

    def exists(self, rel: str) -> bool:
        """Whether an object exists at ``rel``."""
        return self._store.info(_key(rel)) is not None

    def read_bytes(self, rel: str) -> bytes:
        """The bytes of the object at ``rel`` (FileNotFoundError when absent)."""
        return self._store.read(_key(rel))

    def local_file(self, rel: str, folder: Path) -> Path:
        """A local file holding the object at ``rel``, for readers that seek (Parquet, DuckDB).

        A local lake's own file; from S3 a copy downloaded into ``folder`` part by part, so that memory does not
        grow with the object (the caller removes ``folder``). FileNotFoundError when absent.
        """
        if not isinstance(self._store, LocalStore):
            from steps.lake_s3 import S3Store  # imported only for an S3 lake, as in __init__

            assert isinstance(self._store, S3Store)
            target = folder / _key(rel).replace("/", "__")
            try:
                with target.open("wb") as out:
                    self._store.download(_key(rel), out)
            except BaseException:
                target.unlink(missing_ok=True)  # no half (or empty) copy left behind
                raise
            return target
        path = Path(self.path(rel))
        if not path.is_file():
            raise FileNotFoundError(f"lake {self.root}: {rel}: no such object")
        return path

    def read_json(self, rel: str) -> Any:
        """Parse the JSON object at ``rel``; None when it does not exist."""
        try:
            return json.loads(self.read_bytes(rel))
        except FileNotFoundError:
            return None

    def list_infos(self, prefix: str) -> list[ObjectInfo]:
        """Every object under the folder ``prefix`` (recursive, sorted by path, hidden ones included)."""
        folder = _key(prefix).rstrip("/")
        return sorted(self._store.list_objects(f"{folder}/" if folder else ""), key=lambda info: info.path)

    def list_files(self, prefix: str) -> list[str]:
        """Relative paths of all objects under ``prefix`` (recursive, sorted); empty when it does not exist."""
        return [info.path for info in self.list_infos(prefix)]

    def size(self, rel: str) -> int:
        """Size in bytes of the object at ``rel`` (FileNotFoundError when absent)."""
        info = self._store.info(_key(rel))
        if info is None:
            raise FileNotFoundError(f"lake {self.root}: {rel}: no such object")
        return info.size

    # -- writes ------------------------------------------------------------------------------------------------

    def write_bytes(self, rel: str, data: bytes) -> None:
        """Write ``data`` to ``rel`` atomically."""
        with self.open_atomic(rel) as out:
            out.write(data)

    def write_json(self, rel: str, obj: Any) -> None:
        """Write ``obj`` as indented JSON to ``rel`` atomically."""
        self.write_bytes(rel, json.dumps(obj, indent=2, default=str, ensure_ascii=False).encode() + b"\n")

    @contextmanager
    def open_atomic(self, rel: str) -> Iterator[OutputStream]:
        """Open an output stream whose object appears at ``rel`` only when the block exits without error."""
        out = self._store.open_atomic(_key(rel))
        try:
            yield out
            out.close()
        except BaseException:
            with contextlib.suppress(Exception):  # the error that stopped the write is the one to report
                self._store.discard(out)
            raise

    def open_output(self, rel: str) -> OutputStream:
        """Open a plain output stream at ``rel`` (callers publish it with :meth:`move`).

        On S3 the stream is an upload that also has ``abort()``: call it instead of ``close()`` to drop the data.
        """
        return self._store.open_output(_key(rel))

    def move(self, src_rel: str, dst_rel: str) -> None:
        """Move one object inside the lake (a rename locally; copy + delete on S3, objects up to 5 GiB)."""
        self._store.move(_key(src_rel), _key(dst_rel))

    def delete(self, rel: str) -> None:
        """Delete the object at ``rel`` if it exists."""
        self._store.delete(_key(rel))

    def abort_uploads(self, prefix: str) -> int:
        """Abort incomplete multipart uploads below the folder ``prefix`` (S3; none locally); returns how many."""
        return self._store.abort_uploads(f"{_key(prefix).rstrip('/')}/")


def _key(rel: str) -> str:
    return rel.lstrip("/")
