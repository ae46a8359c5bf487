"""The lake in an S3 bucket (AWS, MinIO or any S3 API), under an optional key prefix.

Writes need no temporary object: S3 shows a PUT or a completed multipart upload whole or not at all, and an
aborted upload leaves nothing. A move is CopyObject then DeleteObject, so it is not atomic: a crash between the two
leaves both objects, which the callers' manifests already tolerate (only objects a manifest names count).
"""

from __future__ import annotations

import os
from typing import BinaryIO

from steps.errors import ConfigError
from steps.lake_store import ObjectInfo, OutputStream
from steps.s3.client import MAX_COPY_BYTES, S3Client
from steps.s3.signing import Credentials
from steps.s3.upload import UploadWriter


class S3Store:
    """Objects of one bucket below ``prefix``; failures are one-line StepErrors (:mod:`steps.s3.errors`)."""

    def __init__(self, bucket: str, prefix: str, *, endpoint: str | None, region: str | None, name: str) -> None:
        """Serve ``s3://bucket/prefix``; credentials come from the standard AWS environment variables."""
        self.prefix = f"{prefix.strip('/')}/" if prefix.strip("/") else ""
        self.client = S3Client(bucket, endpoint=endpoint, region=region, credentials=credentials_from_env(), name=name)

    def info(self, key: str) -> ObjectInfo | None:
        """The object at ``key``; None when there is none."""
        head = self.client.head(self._key(key))
        return None if head is None else ObjectInfo(key, head.size, head.mtime)

    def read(self, key: str) -> bytes:
        """The bytes at ``key`` (FileNotFoundError when absent)."""
        return self.client.get(self._key(key))

    def download(self, key: str, out: BinaryIO) -> int:
        """Write the object at ``key`` to ``out`` part by part; returns its size (FileNotFoundError when absent)."""
        return self.client.download(self._key(key), out)

    def list_objects(self, prefix: str) -> list[ObjectInfo]:
        """Every object whose key starts with ``prefix``."""
        cut = len(self.prefix)
        return [ObjectInfo(o.key[cut:], o.size, o.mtime) for o in self.client.list_objects(self._key(prefix))]

    def open_atomic(self, key: str) -> UploadWriter:
        """An upload straight to ``key``: it appears when the writer closes, never in part."""
        return UploadWriter(self.client, self._key(key))

    def discard(self, stream: OutputStream) -> None:
        """Abort the upload of a failed :meth:`open_atomic`."""
        if isinstance(stream, UploadWriter):
            stream.abort()

    def open_output(self, key: str) -> UploadWriter:
        """An upload to ``key``, published when it closes."""
        return UploadWriter(self.client, self._key(key))

    def move(self, src: str, dst: str) -> None:
        """Copy ``src`` to ``dst`` on the server, then delete ``src``.

        CopyObject takes objects up to 5 GiB; a bigger one would need a multipart copy (UploadPartCopy), which the
        lake does not do, so it fails here with a clear error instead of a server error after the upload.
        """
        head = self.client.head(self._key(src))
        if head is None:
            raise FileNotFoundError(f"{self.client.name}: cannot move {src}: no such object")
        if head.size > MAX_COPY_BYTES:
            raise ConfigError(
                f"{self.client.name}: cannot move {src}: {head.size} bytes is over CopyObject's 5 GiB limit",
                "keep lake objects under 5 GiB (for example smaller bronze files); bigger moves need UploadPartCopy",
            )
        self.client.copy(self._key(src), self._key(dst))
        self.client.delete(self._key(src))

    def delete(self, key: str) -> None:
        """Delete ``key``; no error when it is absent."""
        self.client.delete(self._key(key))

    def abort_uploads(self, prefix: str) -> int:
        """Abort every incomplete multipart upload below ``prefix``: S3 keeps (and bills) their parts until then."""
        found = list(self.client.list_uploads(self._key(prefix)))
        for key, upload_id in found:
            self.client.abort_upload(key, upload_id)
        return len(found)

    def _key(self, key: str) -> str:
        return f"{self.prefix}{key}"


def credentials_from_env() -> Credentials | None:
    """AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN; None (unsigned requests) when unset."""
    key, secret = os.environ.get("AWS_ACCESS_KEY_ID"), os.environ.get("AWS_SECRET_ACCESS_KEY")
    if not (key and secret):
        return None
    return Credentials(key, secret, os.environ.get("AWS_SESSION_TOKEN") or None)
