"""One bucket of an S3 API over ``requests``: object calls, listings with continuation, multipart uploads.

Requests are signed with SigV4 (:mod:`steps.s3.signing`). Path-style addressing (``endpoint/bucket/key``) when an
endpoint is given, as MinIO and moto need; on AWS the bucket is the host (``bucket.s3.region.amazonaws.com``)
unless its name cannot be one. Connection errors, timeouts, 5xx and SlowDown are retried a few times with
backoff; every other failure is mapped once by :func:`steps.s3.errors.classify`.
"""

from __future__ import annotations

import hashlib
import random
import re
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import BinaryIO
from urllib.parse import urlsplit

import requests

from steps.s3 import responses
from steps.s3.errors import classify, is_retried, unreachable
from steps.s3.responses import Listed
from steps.s3.signing import EMPTY_SHA256, Credentials, canonical_query, sign, uri_encode

DEFAULT_REGION = "us-east-1"
CONNECT_TIMEOUT_S = 5.0
READ_TIMEOUT_S = 20.0  # S3 answers in well under a second; a silent endpoint must fail the stage in about a minute
ATTEMPTS = 3
BACKOFF_S = 0.2  # doubled per retry, with jitter: about 0.2 s then 0.4 s
MAX_COPY_BYTES = 5 * 1024**3  # CopyObject's limit; bigger objects need UploadPartCopy


@dataclass(frozen=True)
class Head:
    """Size and modification time of one object."""

    size: int
    mtime: datetime


class S3Client:
    """Calls on one bucket; thread-safe (one ``requests`` session per thread)."""

    def __init__(
        self,
        bucket: str,
        *,
        endpoint: str | None = None,
        region: str | None = None,
        credentials: Credentials | None = None,
        name: str = "s3",
    ) -> None:
        """Address ``bucket`` at ``endpoint`` (unset: AWS in ``region``); without credentials requests go unsigned.

        ``name`` starts every error message (``lake s3://bucket/prefix``).
        """
        self.bucket = bucket
        self.region = region or DEFAULT_REGION
        self.credentials = credentials
        self.name = name
        if endpoint:
            parts = urlsplit(endpoint)
            self._origin = f"{parts.scheme}://{parts.netloc}"
            self._host = parts.netloc
            self._bucket_path = f"{parts.path.rstrip('/')}/{uri_encode(bucket)}"
        elif _dns_compatible(bucket):
            self._host = f"{bucket}.s3.{self.region}.amazonaws.com"
            self._origin = f"https://{self._host}"
            self._bucket_path = ""
        else:
            self._host = f"s3.{self.region}.amazonaws.com"
            self._origin = f"https://{self._host}"
            self._bucket_path = f"/{uri_encode(bucket)}"
        self._local = threading.local()
        self._bucket_known = False

    # -- objects -----------------------------------------------------------------------------------------------

    def head(self, key: str) -> Head | None:
        """Size and time of ``key``; None when it does not exist (a missing bucket raises ConfigError)."""
        try:
            response = self._request("HEAD", key)
        except FileNotFoundError:
            # HEAD answers have no body: a 404 is either no object or no bucket, and only the latter is an error
            self._check_bucket()
            return None
        return Head(int(response.headers.get("Content-Length", 0)), _header_time(response.headers))

    def get(self, key: str) -> bytes:
        """The bytes of ``key`` (FileNotFoundError when absent)."""
        return self._request("GET", key).content

    def download(self, key: str, out: BinaryIO, part_bytes: int = 8 * 1024**2) -> int:
        """Write the object at ``key`` to ``out``; returns its size (FileNotFoundError when absent).

        Ranged GETs of ``part_bytes`` each, so memory is one part whatever the object's size.
        """
        head = self.head(key)
        if head is None:
            raise FileNotFoundError(f"{self.name}: {key}: no such object")
        for start in range(0, head.size, part_bytes):
            end = min(start + part_bytes, head.size) - 1
            out.write(self._request("GET", key, headers={"Range": f"bytes={start}-{end}"}).content)
        return head.size

    def put(self, key: str, body: bytes, *, if_none_match: bool = False, if_match: str | None = None) -> str:
        """Store ``body`` at ``key`` in one request (S3 makes it visible whole or not at all); returns its ETag.

        ``if_none_match`` writes only when no object exists at ``key``, ``if_match`` only when the object there has
        that ETag: either way a :class:`PreconditionFailedError` when the condition does not hold.
        """
        headers = {"If-None-Match": "*"} if if_none_match else {}
        if if_match is not None:
            headers["If-Match"] = if_match
        return self._request("PUT", key, body=body, headers=headers).headers.get("ETag", "")

    def get_tagged(self, key: str) -> tuple[bytes, str]:
        """The bytes of ``key`` and its ETag (FileNotFoundError when absent)."""
        response = self._request("GET", key)
        return response.content, response.headers.get("ETag", "")

    def delete(self, key: str, *, if_match: str | None = None) -> None:
        """Delete ``key`` (only if its ETag is ``if_match``, when given); deleting a missing key succeeds."""
        self._request("DELETE", key, headers={"If-Match": if_match} if if_match is not None else None)

    def copy(self, src: str, dst: str) -> None:
        """Server-side copy of ``src`` to ``dst`` (objects up to 5 GiB, CopyObject's limit)."""
        source = f"/{uri_encode(self.bucket)}/{uri_encode(src, keep_slash=True)}"
        response = self._request("PUT", dst, headers={"x-amz-copy-source": source})
        _raise_embedded_error(self, f"COPY {src}", response)

    def list_objects(self, prefix: str) -> Iterator[Listed]:
        """Every object whose key starts with ``prefix``, in key order, following continuation tokens."""
        params = {"list-type": "2", "prefix": prefix}
        while True:
            page = responses.parse_list_page(self._request("GET", "", params=params).content)
            yield from page.objects
            if page.next_token is None:
                return
            params = {**params, "continuation-token": page.next_token}

    # -- multipart uploads -------------------------------------------------------------------------------------

    def create_upload(self, key: str) -> str:
        """Start a multipart upload to ``key``; returns its id."""
        return responses.parse_upload_id(self._request("POST", key, params={"uploads": ""}).content)

    def upload_part(self, key: str, upload_id: str, number: int, body: bytes) -> str:
        """Upload part ``number`` (1-based); returns its ETag."""
        response = self._request("PUT", key, params={"partNumber": str(number), "uploadId": upload_id}, body=body)
        return response.headers.get("ETag", "")

    def complete_upload(self, key: str, upload_id: str, etags: list[str]) -> None:
        """Assemble the parts: only now does the object appear at ``key``."""
        response = self._request("POST", key, params={"uploadId": upload_id}, body=responses.complete_body(etags))
        _raise_embedded_error(self, f"COMPLETE {key}", response)

    def list_uploads(self, prefix: str) -> Iterator[tuple[str, str]]:
        """``(key, upload id)`` of every incomplete multipart upload below ``prefix`` (ListMultipartUploads)."""
        params = {"uploads": "", "prefix": prefix}
        while True:
            page = responses.parse_uploads_page(self._request("GET", "", params=params).content)
            yield from page.uploads
            if page.next_markers is None:
                return
            key_marker, id_marker = page.next_markers
            params = {**params, "key-marker": key_marker, "upload-id-marker": id_marker}

    def abort_upload(self, key: str, upload_id: str) -> None:
        """Drop a multipart upload and its stored parts."""
        try:
            self._request("DELETE", key, params={"uploadId": upload_id})
        except FileNotFoundError:
            pass  # already completed or aborted

    # -- transport ---------------------------------------------------------------------------------------------

    def _check_bucket(self) -> None:
        if not self._bucket_known:
            self._request("HEAD", "", missing_bucket=True)
            self._bucket_known = True

    def _session(self) -> requests.Session:
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
        return session

    def _request(
        self,
        method: str,
        key: str,
        *,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        body: bytes = b"",
        missing_bucket: bool = False,
    ) -> requests.Response:
        params = params or {}
        path = f"{self._bucket_path}/{uri_encode(key, keep_slash=True)}" if key else self._bucket_path or "/"
        query = canonical_query(params)
        url = f"{self._origin}{path}{'?' + query if query else ''}"
        what = f"{method} {key or self.bucket}"
        payload_hash = hashlib.sha256(body).hexdigest() if body else EMPTY_SHA256
        for attempt in range(1, ATTEMPTS + 1):
            send = {"host": self._host, **(headers or {})}
            if self.credentials is not None:
                send = sign(method, path, params, send, payload_hash, self.credentials, self.region, datetime.now(UTC))
            del send["host"]  # requests sets it from the URL, exactly as signed
            try:
                response = self._session().request(
                    method, url, data=body or None, headers=send, timeout=(CONNECT_TIMEOUT_S, READ_TIMEOUT_S)
                )
            except requests.RequestException as exc:
                if attempt == ATTEMPTS:
                    raise unreachable(self.name, what, f"{self._origin}: {_first_line(exc)}") from None
                _sleep(attempt)
                continue
            if response.status_code < 300:
                return response
            code, message = responses.error_of(response.content) or ("", "")
            if missing_bucket and response.status_code == 404 and not code:
                code = "NoSuchBucket"
            if is_retried(response.status_code, code) and attempt < ATTEMPTS:
                _sleep(attempt)
                continue
            raise classify(self.name, what, response.status_code, code, message)
        raise AssertionError("unreachable")  # the loop returns or raises


def _raise_embedded_error(client: S3Client, what: str, response: requests.Response) -> None:
    """CopyObject and CompleteMultipartUpload can answer 200 and still fail: the error is in the body."""
    error = responses.error_of(response.content)
    if error is not None:
        raise classify(client.name, what, 200, *error)


def _dns_compatible(bucket: str) -> bool:
    # dots break the wildcard TLS certificate of virtual-host addressing; upper case is not a valid host
    return "." not in bucket and bucket == bucket.lower()


def _header_time(headers: Mapping[str, str]) -> datetime:
    text = headers.get("Last-Modified")
    return parsedate_to_datetime(text).astimezone(UTC) if text else datetime.now(UTC)


def _first_line(exc: Exception) -> str:
    """The useful part of a requests error (its text nests urllib3's whole retry story)."""
    if isinstance(exc, requests.Timeout):
        return f"timed out: {type(exc).__name__}"
    found = re.search(r"\[Errno -?\d+\] [^'\")]+", str(exc))
    return found.group(0) if found else type(exc).__name__


def _sleep(attempt: int) -> None:
    time.sleep(BACKOFF_S * 2 ** (attempt - 1) * (0.5 + random.random()))  # noqa: S311 - jitter, not security
