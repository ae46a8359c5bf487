"""AWS Signature Version 4 for S3 requests (header-based, single-chunk payload): pure functions, no I/O.

The steps follow the S3 API reference ("Signature Calculations for the Authorization Header"): a canonical request,
a string to sign over its hash, a signing key derived from the secret, the date, the region and the service, and
the Authorization header built from them.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import quote

ALGORITHM = "AWS4-HMAC-SHA256"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
_UNRESERVED = "-_.~"  # RFC 3986 characters SigV4 leaves as they are; everything else is percent-encoded


@dataclass(frozen=True)
class Credentials:
    """An access key pair, and the session token of temporary credentials."""

    access_key: str
    secret_key: str = field(repr=False)
    session_token: str | None = field(default=None, repr=False)


def uri_encode(text: str, *, keep_slash: bool = False) -> str:
    """Percent-encode ``text`` as SigV4 does (UTF-8, upper-case hex; ``/`` kept only in object paths)."""
    return quote(text, safe=_UNRESERVED + ("/" if keep_slash else ""))


def canonical_query(params: Mapping[str, str]) -> str:
    """The query string in canonical form: encoded names and values, sorted, ``name=`` for a bare subresource."""
    return "&".join(sorted(f"{uri_encode(k)}={uri_encode(v)}" for k, v in params.items()))


def canonical_request(
    method: str, path: str, params: Mapping[str, str], headers: Mapping[str, str], payload_hash: str
) -> tuple[str, str]:
    """The canonical request and its signed-headers list.

    Args:
        method: HTTP method.
        path: the already encoded absolute path (S3 encodes object keys once, not twice).
        params: query parameters.
        headers: the headers to sign, ``host`` and the ``x-amz-*`` ones included.
        payload_hash: hex SHA-256 of the body (or ``UNSIGNED-PAYLOAD``).
    """
    canonical = {name.lower(): " ".join(value.split()) for name, value in headers.items()}
    names = sorted(canonical)
    signed = ";".join(names)
    lines = [method, path, canonical_query(params), *(f"{n}:{canonical[n]}" for n in names), "", signed, payload_hash]
    return "\n".join(lines), signed


def credential_scope(when: datetime, region: str, service: str = "s3") -> str:
    """``date/region/service/aws4_request``."""
    return f"{when:%Y%m%d}/{region}/{service}/aws4_request"


def string_to_sign(when: datetime, scope: str, request: str) -> str:
    """What the signing key signs: algorithm, timestamp, scope and the hash of the canonical request."""
    return "\n".join((ALGORITHM, f"{when:%Y%m%dT%H%M%SZ}", scope, hashlib.sha256(request.encode()).hexdigest()))


def signing_key(secret_key: str, when: datetime, region: str, service: str = "s3") -> bytes:
    """The key derived from the secret for one day, region and service."""
    key = _hmac(f"AWS4{secret_key}".encode(), f"{when:%Y%m%d}")
    for part in (region, service, "aws4_request"):
        key = _hmac(key, part)
    return key


def sign(
    method: str,
    path: str,
    params: Mapping[str, str],
    headers: Mapping[str, str],
    payload_hash: str,
    credentials: Credentials,
    region: str,
    when: datetime,
) -> dict[str, str]:
    """Sign an S3 request made at ``when`` (UTC); returns ``headers`` plus the date, payload and auth headers.

    ``headers`` must hold ``host``; every header given is signed.
    """
    signed_headers = {
        **headers,
        "x-amz-date": f"{when:%Y%m%dT%H%M%SZ}",
        "x-amz-content-sha256": payload_hash,
    }
    if credentials.session_token:
        signed_headers["x-amz-security-token"] = credentials.session_token
    request, names = canonical_request(method, path, params, signed_headers, payload_hash)
    scope = credential_scope(when, region)
    signature = hmac.new(
        signing_key(credentials.secret_key, when, region), string_to_sign(when, scope, request).encode(), "sha256"
    ).hexdigest()
    signed_headers["authorization"] = (
        f"{ALGORITHM} Credential={credentials.access_key}/{scope},SignedHeaders={names},Signature={signature}"
    )
    return signed_headers


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()
