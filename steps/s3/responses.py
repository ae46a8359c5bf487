"""S3's XML bodies: the error code of a failed call, listing pages, multipart ids; pure functions, no I/O.

The XML comes only from the object store the lake is configured with, the same trust as the data in it, so the
standard library parser is used (``defusedxml`` would be one more dependency in every stage image).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime


@dataclass(frozen=True)
class Listed:
    """One object of a listing page."""

    key: str
    size: int
    mtime: datetime


@dataclass(frozen=True)
class ListPage:
    """One page of ListObjectsV2, and the token of the next one (None on the last page)."""

    objects: list[Listed]
    next_token: str | None


def _parse(body: bytes) -> ET.Element | None:
    try:
        return ET.fromstring(body)  # noqa: S314 - trusted store, see the module docstring
    except ET.ParseError:
        return None


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]  # S3 answers in its namespace; tag names are what matter


def _child_text(element: ET.Element, name: str) -> str | None:
    for child in element:
        if _local(child.tag) == name:
            return child.text or ""
    return None


def error_of(body: bytes) -> tuple[str, str] | None:
    """``(Code, Message)`` when ``body`` is an S3 ``<Error>`` document, else None."""
    root = _parse(body) if body.lstrip().startswith(b"<") else None
    if root is None or _local(root.tag) != "Error":
        return None
    return _child_text(root, "Code") or "", _child_text(root, "Message") or ""


def parse_list_page(body: bytes) -> ListPage:
    """The objects of a ListObjectsV2 response and its continuation token."""
    root = _parse(body)
    if root is None:
        raise ValueError("the listing is not XML")
    objects = [
        Listed(
            key=_child_text(item, "Key") or "",
            size=int(_child_text(item, "Size") or 0),
            mtime=parse_time(_child_text(item, "LastModified") or ""),
        )
        for item in root
        if _local(item.tag) == "Contents"
    ]
    truncated = (_child_text(root, "IsTruncated") or "").lower() == "true"
    return ListPage(objects, (_child_text(root, "NextContinuationToken") or None) if truncated else None)


@dataclass(frozen=True)
class UploadsPage:
    """One page of ListMultipartUploads: ``(key, upload id)`` pairs and the markers of the next page."""

    uploads: list[tuple[str, str]]
    next_markers: tuple[str, str] | None  # (key-marker, upload-id-marker); None on the last page


def parse_uploads_page(body: bytes) -> UploadsPage:
    """The incomplete multipart uploads of a ListMultipartUploads response."""
    root = _parse(body)
    if root is None:
        raise ValueError("the upload listing is not XML")
    uploads = [
        (_child_text(item, "Key") or "", _child_text(item, "UploadId") or "")
        for item in root
        if _local(item.tag) == "Upload"
    ]
    truncated = (_child_text(root, "IsTruncated") or "").lower() == "true"
    markers = (_child_text(root, "NextKeyMarker") or "", _child_text(root, "NextUploadIdMarker") or "")
    return UploadsPage(uploads, markers if truncated else None)


def parse_upload_id(body: bytes) -> str:
    """The UploadId of a CreateMultipartUpload response."""
    root = _parse(body)
    upload_id = _child_text(root, "UploadId") if root is not None else None
    if not upload_id:
        raise ValueError("the response names no UploadId")
    return upload_id


def complete_body(etags: Sequence[str]) -> bytes:
    """The CompleteMultipartUpload document for parts 1..n with these ETags."""
    parts = "".join(
        f"<Part><PartNumber>{n}</PartNumber><ETag>{_escape(etag)}</ETag></Part>" for n, etag in enumerate(etags, 1)
    )
    return f'<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/">{parts}</CompleteMultipartUpload>'.encode()


def parse_time(text: str) -> datetime:
    """An S3 timestamp (ISO 8601 in a listing) as an aware UTC datetime."""
    stamp = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return stamp.astimezone(UTC) if stamp.tzinfo else stamp.replace(tzinfo=UTC)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
