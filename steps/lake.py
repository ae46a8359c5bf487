"""All lake I/O: one root (a local folder or ``s3://bucket[/prefix]``) behind pyarrow's filesystems.

Paths given to :class:`Lake` are relative to the root and always use ``/``. Writes are atomic: an object either
appears whole under its final name or not at all (a temporary hidden name, then a move), so readers never see
a partial file.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pyarrow as pa
import pyarrow.fs as pafs

from steps.errors import ConfigError, TransientError
from steps.settings import StageSettings

_CREDENTIAL_ERRORS = ("ACCESS_DENIED", "InvalidAccessKeyId", "SignatureDoesNotMatch", "INVALID_ACCESS_KEY_ID")


class Lake:
    """A lake root and the filesystem it lives on."""

    def __init__(self, root: str, *, s3_endpoint: str | None = None, s3_region: str | None = None) -> None:
        """Open the lake at ``root``; S3 credentials come from the standard AWS environment variables."""
        self.root = root.rstrip("/")
        if self.root.startswith("s3://"):
            parts = urlsplit(self.root)
            if not parts.netloc:
                raise ConfigError(f"lake root {root!r} has no bucket", "use s3://bucket or s3://bucket/prefix")
            self.is_local = False
            self.base = f"{parts.netloc}{parts.path}".rstrip("/")
            self.fs: pafs.FileSystem = _s3_filesystem(s3_endpoint, s3_region)
        elif "://" in self.root:
            raise ConfigError(f"lake root {root!r} has an unsupported scheme", "use a local folder or s3://bucket")
        else:
            self.is_local = True
            self.base = str(Path(self.root).resolve())
            self.fs = pafs.LocalFileSystem()
        self.s3_endpoint = s3_endpoint
        self.s3_region = s3_region

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
        info = self._call(self.fs.get_file_info, self.path(rel))
        return bool(info.type == pafs.FileType.File)

    def read_bytes(self, rel: str) -> bytes:
        """The bytes of the object at ``rel`` (FileNotFoundError when absent)."""
        with self._call(self.fs.open_input_stream, self.path(rel)) as stream:
            return bytes(stream.read())

    def read_json(self, rel: str) -> Any:
        """Parse the JSON object at ``rel``; None when it does not exist."""
        try:
            return json.loads(self.read_bytes(rel))
        except FileNotFoundError:
            return None

    def list_files(self, prefix: str) -> list[str]:
        """Relative paths of all objects under ``prefix`` (recursive, sorted); empty when it does not exist."""
        selector = pafs.FileSelector(self.path(prefix), recursive=True, allow_not_found=True)
        infos = self._call(self.fs.get_file_info, selector)
        cut = len(self.base) + 1
        return sorted(i.path[cut:] for i in infos if i.type == pafs.FileType.File)

    def size(self, rel: str) -> int:
        """Size in bytes of the object at ``rel``."""
        return int(self._call(self.fs.get_file_info, self.path(rel)).size or 0)

    # -- writes ------------------------------------------------------------------------------------------------

    def write_bytes(self, rel: str, data: bytes) -> None:
        """Write ``data`` to ``rel`` atomically."""
        with self.open_atomic(rel) as out:
            out.write(data)

    def write_json(self, rel: str, obj: Any) -> None:
        """Write ``obj`` as indented JSON to ``rel`` atomically."""
        self.write_bytes(rel, json.dumps(obj, indent=2, default=str, ensure_ascii=False).encode() + b"\n")

    @contextmanager
    def open_atomic(self, rel: str) -> Iterator[pa.NativeFile]:
        """Open an output stream whose object appears at ``rel`` only when the block exits without error.

        The data goes to a hidden sibling (``.<name>.<uuid>.tmp``, which Hive, Trino and our globs ignore) and is
        moved into place at the end; on error the temporary object is removed.
        """
        final = self.path(rel)
        parent, _, name = final.rpartition("/")
        tmp = f"{parent}/.{name}.{uuid.uuid4().hex[:8]}.tmp"
        if self.is_local:
            self._call(os.makedirs, parent, exist_ok=True)
        out = self._call(self.fs.open_output_stream, tmp)
        try:
            yield out
            out.close()
            self._call(self.fs.move, tmp, final)
        except BaseException:
            if not out.closed:
                out.close()
            self._delete_quietly(tmp)
            raise

    def open_output(self, rel: str) -> pa.NativeFile:
        """Open a plain output stream at ``rel`` (callers publish it with :meth:`move`)."""
        if self.is_local:
            self._call(os.makedirs, os.path.dirname(self.path(rel)), exist_ok=True)
        return self._call(self.fs.open_output_stream, self.path(rel))

    def move(self, src_rel: str, dst_rel: str) -> None:
        """Move one object inside the lake (a rename locally; copy + delete on S3)."""
        if self.is_local:
            self._call(os.makedirs, os.path.dirname(self.path(dst_rel)), exist_ok=True)
        self._call(self.fs.move, self.path(src_rel), self.path(dst_rel))

    def delete(self, rel: str) -> None:
        """Delete the object at ``rel`` if it exists."""
        self._delete_quietly(self.path(rel))

    def _delete_quietly(self, full: str) -> None:
        try:
            self.fs.delete_file(full)
        except FileNotFoundError:
            pass

    def _call(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        """Call a filesystem function: a missing object stays FileNotFoundError, anything else becomes one line."""
        try:
            return fn(*args, **kwargs)
        except FileNotFoundError:
            raise
        except OSError as exc:
            if self.is_local:
                raise ConfigError(f"lake {self.root}: {exc}", "check the folder exists and is writable") from None
            text = str(exc)
            if "NO_SUCH_BUCKET" in text:
                raise ConfigError(
                    f"lake {self.root}: the bucket does not exist", "create the bucket or correct TRIBUTARY_LAKE"
                ) from None
            if any(code in text for code in _CREDENTIAL_ERRORS):
                raise ConfigError(
                    f"lake {self.root}: the object store refused our credentials ({text[:160]})",
                    "check AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (the lake Secret) and the bucket policy",
                ) from None
            raise TransientError(
                f"lake {self.root}: {exc}", "check the S3 endpoint, bucket and credentials, then retry"
            ) from None


def _s3_filesystem(endpoint: str | None, region: str | None) -> pafs.S3FileSystem:
    kwargs: dict[str, Any] = {"region": region or "us-east-1"}
    if endpoint:
        parts = urlsplit(endpoint)
        kwargs.update(endpoint_override=parts.netloc, scheme=parts.scheme, force_virtual_addressing=False)
    key, secret = os.environ.get("AWS_ACCESS_KEY_ID"), os.environ.get("AWS_SECRET_ACCESS_KEY")
    if key and secret:
        kwargs.update(access_key=key, secret_key=secret, session_token=os.environ.get("AWS_SESSION_TOKEN"))
    # Fail fast instead of retrying for minutes inside the SDK; our callers decide about retries.
    kwargs["retry_strategy"] = pafs.AwsStandardS3RetryStrategy(max_attempts=3)
    kwargs["connect_timeout"] = 5
    kwargs["request_timeout"] = 60
    return pafs.S3FileSystem(**kwargs)
