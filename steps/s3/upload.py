"""A writable binary stream that becomes one S3 object: a single PUT, or a multipart upload of 8 MiB parts.

At most one part is buffered, so memory stays bounded however big the object grows. The object appears only when
:meth:`UploadWriter.close` succeeds (S3 publishes a PUT or a completed multipart upload whole); :meth:`abort`
drops everything sent so far. pyarrow accepts it as a sink (``pq.ParquetWriter(writer, …)`` wraps it in
``pa.PythonFile``).
"""

from __future__ import annotations

import contextlib

from steps.s3.client import S3Client

PART_SIZE = 8 * 1024**2  # S3 wants at least 5 MiB per part but the last; 10,000 parts then allow 80 GB


class UploadWriter:
    """Streams bytes to ``key``; publish with :meth:`close`, drop with :meth:`abort`.

    Not an ``io.IOBase``: that class closes (here: publishes) an object when it is garbage collected, and a writer
    dropped after a failure must never publish a partial object.
    """

    def __init__(self, client: S3Client, key: str, part_size: int | None = None) -> None:
        """Prepare an upload of ``key`` in parts of ``part_size`` (default :data:`PART_SIZE`, read now)."""
        self.client = client
        self.key = key
        self.part_size = part_size or PART_SIZE
        self._buffer = bytearray()
        self._written = 0
        self._upload_id: str | None = None
        self._etags: list[str] = []
        self._closed = False

    @property
    def closed(self) -> bool:
        """Whether the object was published or the upload aborted."""
        return self._closed

    def writable(self) -> bool:
        """Always true while open (file protocol)."""
        return not self._closed

    def readable(self) -> bool:
        """Never (file protocol)."""
        return False

    def seekable(self) -> bool:
        """Never: parts already sent cannot be rewritten (file protocol)."""
        return False

    def tell(self) -> int:
        """Bytes written so far."""
        return self._written

    def write(self, data: bytes | bytearray | memoryview) -> int:
        """Append ``data``; full parts are uploaded as they fill."""
        if self._closed:
            raise ValueError(f"write to a closed upload of {self.key}")
        view = memoryview(data).cast("B")
        self._buffer += view
        self._written += len(view)
        while len(self._buffer) >= self.part_size:
            self._send_part(bytes(self._buffer[: self.part_size]))
            del self._buffer[: self.part_size]
        return len(view)

    def flush(self) -> None:
        """Nothing to do: parts go out as they fill (file protocol)."""

    def close(self) -> None:
        """Publish the object: one PUT if no part was sent yet, else the last part and the completion."""
        if self._closed:
            return
        try:
            if self._upload_id is None:
                self.client.put(self.key, bytes(self._buffer))
            else:
                if self._buffer:
                    self._send_part(bytes(self._buffer))
                self.client.complete_upload(self.key, self._upload_id, self._etags)
        except BaseException:
            with contextlib.suppress(Exception):  # the failure that stopped the upload is the one to report
                self.abort()
            raise
        self._buffer = bytearray()
        self._closed = True

    def abort(self) -> None:
        """Drop the upload: nothing appears at the key, and parts already stored are deleted."""
        self._closed = True
        self._buffer = bytearray()
        upload_id, self._upload_id = self._upload_id, None
        if upload_id is not None:
            self.client.abort_upload(self.key, upload_id)

    def __enter__(self) -> UploadWriter:
        return self

    def __exit__(self, kind: object, value: object, traceback: object) -> None:
        if kind is None:
            self.close()
        else:
            self.abort()

    def _send_part(self, part: bytes) -> None:
        if self._upload_id is None:
            self._upload_id = self.client.create_upload(self.key)
        self._etags.append(self.client.upload_part(self.key, self._upload_id, len(self._etags) + 1, part))
