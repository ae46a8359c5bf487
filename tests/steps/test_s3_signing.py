"""SigV4 signing against the worked examples of the S3 API reference (header-based auth, single chunk).

Credentials, request and expected values are the documented ones ("Signature Calculations for the Authorization
Header: Transferring Payload in a Single Chunk"): examplebucket, 2013-05-24, us-east-1.
"""

import hashlib
from datetime import UTC, datetime

import pytest

from steps.s3.signing import (
    EMPTY_SHA256,
    Credentials,
    canonical_request,
    credential_scope,
    sign,
    string_to_sign,
    uri_encode,
)

KEYS = Credentials("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
WHEN = datetime(2013, 5, 24, tzinfo=UTC)
HOST = {"host": "examplebucket.s3.amazonaws.com"}


def _signature(headers: dict[str, str]) -> str:
    return headers["authorization"].rpartition("Signature=")[2]


def test_get_object_canonical_request_string_to_sign_and_header() -> None:
    headers = {**HOST, "range": "bytes=0-9", "x-amz-content-sha256": EMPTY_SHA256, "x-amz-date": "20130524T000000Z"}
    request, signed = canonical_request("GET", "/test.txt", {}, headers, EMPTY_SHA256)
    assert signed == "host;range;x-amz-content-sha256;x-amz-date"
    assert request == (
        "GET\n/test.txt\n\nhost:examplebucket.s3.amazonaws.com\nrange:bytes=0-9\n"
        f"x-amz-content-sha256:{EMPTY_SHA256}\nx-amz-date:20130524T000000Z\n\n"
        f"host;range;x-amz-content-sha256;x-amz-date\n{EMPTY_SHA256}"
    )
    assert string_to_sign(WHEN, credential_scope(WHEN, "us-east-1"), request).splitlines() == [
        "AWS4-HMAC-SHA256",
        "20130524T000000Z",
        "20130524/us-east-1/s3/aws4_request",
        "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972",
    ]
    out = sign("GET", "/test.txt", {}, {**HOST, "range": "bytes=0-9"}, EMPTY_SHA256, KEYS, "us-east-1", WHEN)
    assert out["authorization"] == (
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
        "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,"
        "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
    )
    assert out["x-amz-date"] == "20130524T000000Z" and out["x-amz-content-sha256"] == EMPTY_SHA256


def test_put_object_with_a_payload_and_a_key_that_needs_encoding() -> None:
    body = b"Welcome to Amazon S3."
    headers = {**HOST, "date": "Fri, 24 May 2013 00:00:00 GMT", "x-amz-storage-class": "REDUCED_REDUNDANCY"}
    path = uri_encode("/test$file.text", keep_slash=True)
    assert path == "/test%24file.text"
    out = sign("PUT", path, {}, headers, hashlib.sha256(body).hexdigest(), KEYS, "us-east-1", WHEN)
    assert "SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class," in out["authorization"]
    assert _signature(out) == "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd"


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"lifecycle": ""}, "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543"),
        ({"prefix": "J", "max-keys": "2"}, "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"),
    ],
    ids=["get-bucket-lifecycle", "list-objects"],
)
def test_bucket_requests_with_query_parameters(params: dict[str, str], expected: str) -> None:
    assert _signature(sign("GET", "/", params, HOST, EMPTY_SHA256, KEYS, "us-east-1", WHEN)) == expected


def test_session_token_is_signed_and_secrets_stay_out_of_repr() -> None:
    temporary = Credentials("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "token/1+2=")
    out = sign("GET", "/test.txt", {}, HOST, EMPTY_SHA256, temporary, "us-east-1", WHEN)
    assert out["x-amz-security-token"] == "token/1+2="
    assert "x-amz-security-token" in out["authorization"].partition("SignedHeaders=")[2].partition(",")[0]
    assert "EXAMPLEKEY" not in repr(temporary) and "token" not in repr(temporary)


def test_query_encoding_is_strict_rfc3986() -> None:
    from steps.s3.signing import canonical_query

    assert canonical_query({"prefix": "a b/c+d=é", "continuation-token": "x~y_z.-"}) == (
        "continuation-token=x~y_z.-&prefix=a%20b%2Fc%2Bd%3D%C3%A9"
    )
