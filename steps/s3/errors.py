"""How a failed S3 call becomes one of our errors: missing object, bad configuration, or worth retrying later."""

from __future__ import annotations

from steps.errors import ConfigError, StepError, TransientError

CREDENTIAL_CODES = frozenset(
    {"AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidToken", "ExpiredToken"}
)
REGION_CODES = frozenset({"PermanentRedirect", "AuthorizationHeaderMalformed", "IllegalLocationConstraintException"})
MISSING_CODES = frozenset({"NoSuchKey", "NoSuchUpload"})
RETRIED_STATUSES = frozenset({500, 502, 503, 504})
CREDENTIALS_FIX = "check AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (the lake Secret) and the bucket policy"


class PreconditionFailedError(Exception):
    """A conditional write or delete found the object other than required (HTTP 412)."""


def is_retried(status: int, code: str) -> bool:
    """Whether a failed call may succeed if repeated now: server errors and throttling only."""
    return status in RETRIED_STATUSES or code == "SlowDown"


def classify(name: str, what: str, status: int, code: str, message: str) -> Exception:
    """The error to raise for a failed call.

    Args:
        name: what the store is, for the message (``lake s3://bucket/prefix``).
        what: the call, for the message (``GET key``); never holds a secret.
        status: HTTP status.
        code: S3's error code ("" when the response had no body, as HEAD responses do).
        message: S3's error message (S3 never echoes the secret key in it).
    """
    detail = f"{code or f'HTTP {status}'}{f': {message}' if message else ''}"[:200]
    if status == 412 or code == "PreconditionFailed":
        return PreconditionFailedError(f"{name}: {what}: precondition failed")
    if code in MISSING_CODES or (status == 404 and not code):
        return FileNotFoundError(f"{name}: {what}: no such object")
    if code == "NoSuchBucket":
        return ConfigError(f"{name}: the bucket does not exist", "create the bucket or correct TRIBUTARY_LAKE")
    if code in CREDENTIAL_CODES or (status == 403 and not code):
        return ConfigError(f"{name}: the object store refused our credentials ({detail})", CREDENTIALS_FIX)
    if code in REGION_CODES:
        return ConfigError(
            f"{name}: the bucket is in another region ({detail})", "set TRIBUTARY_S3_REGION to the bucket's region"
        )
    return TransientError(
        f"{name}: {what} failed ({detail})", "check the S3 endpoint, bucket and credentials, then retry"
    )


def unreachable(name: str, what: str, problem: str) -> StepError:
    """The error for a call that got no answer (connection refused, DNS, timeout) after its retries."""
    return TransientError(
        f"{name}: {what}: the object store did not answer ({problem[:160]})", "check the S3 endpoint, then retry"
    )
