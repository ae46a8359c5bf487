"""The lake on both stores through the same tests: a local folder and S3 (moto's real S3 API server).

The S3 store signs its own requests; one moto server here checks signatures and access keys as AWS does (moto
recomputes each signature with botocore), so a wrong secret is refused for real.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import pytest

from steps.errors import ConfigError, TransientError
from steps.lake import Lake
from steps.s3.upload import PART_SIZE
from tests.conftest import S3_KEYS


@pytest.fixture(params=["local", "s3"])
def lake(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Lake:
    """A fresh lake: a folder, or a prefix of a fresh bucket."""
    if request.param == "local":
        return Lake(str(tmp_path / "lake"))
    for name, value in S3_KEYS.items():
        monkeypatch.setenv(name, value)
    server = request.getfixturevalue("s3_server")
    bucket = request.getfixturevalue("s3_bucket")
    return Lake(f"s3://{bucket}/some/prefix", s3_endpoint=server)


def test_write_read_exists_size_and_json(lake: Lake) -> None:
    lake.write_bytes("raw/a/x=1 b/file.bin", b"\x00payload")
    lake.write_json("state/src.json", {"name": "Hà Nội", "n": 1})
    assert lake.exists("raw/a/x=1 b/file.bin") and not lake.exists("raw/a/nothing.bin") and not lake.exists("raw")
    assert lake.read_bytes("/raw/a/x=1 b/file.bin") == b"\x00payload"
    assert lake.size("raw/a/x=1 b/file.bin") == 8
    assert lake.read_json("state/src.json") == {"name": "Hà Nội", "n": 1}
    assert lake.read_json("state/other.json") is None
    lake.write_bytes("raw/a/x=1 b/file.bin", b"new")  # overwrite
    assert lake.read_bytes("raw/a/x=1 b/file.bin") == b"new"
    lake.write_bytes("empty", b"")
    assert lake.read_bytes("empty") == b"" and lake.size("empty") == 0


def test_list_is_recursive_sorted_below_a_folder_and_includes_hidden_objects(lake: Lake) -> None:
    for rel in ("b/2.txt", "b/sub/1.txt", "b/.a.inprogress", "bb/3.txt", "a.txt"):
        lake.write_bytes(rel, rel.encode())
    assert lake.list_files("b") == ["b/.a.inprogress", "b/2.txt", "b/sub/1.txt"]  # not bb/
    assert lake.list_files("b/") == lake.list_files("b")
    assert lake.list_files("") == ["a.txt", "b/.a.inprogress", "b/2.txt", "b/sub/1.txt", "bb/3.txt"]
    assert lake.list_files("missing") == []
    infos = lake.list_infos("b/sub")
    assert [(i.path, i.size) for i in infos] == [("b/sub/1.txt", 11)]
    assert infos[0].mtime.tzinfo == UTC and abs(datetime.now(UTC) - infos[0].mtime) < timedelta(minutes=5)


def test_failed_atomic_write_leaves_nothing(lake: Lake) -> None:
    lake.write_bytes("state/keep.json", b"old")
    for rel in ("state/new.json", "state/keep.json"):
        with pytest.raises(RuntimeError), lake.open_atomic(rel) as out:
            out.write(b"partial")
            raise RuntimeError("crash mid-write")
    assert lake.list_files("") == ["state/keep.json"]
    assert lake.read_bytes("state/keep.json") == b"old"


def test_atomic_write_is_invisible_until_it_closes(lake: Lake) -> None:
    with lake.open_atomic("reports/r1/summary.md") as out:
        out.write(b"# half")
        assert not lake.exists("reports/r1/summary.md")
        assert [p for p in lake.list_files("reports") if not p.rpartition("/")[2].startswith(".")] == []
        out.write(b" and the rest")
    assert lake.read_bytes("reports/r1/summary.md") == b"# half and the rest"
    assert lake.list_files("reports") == ["reports/r1/summary.md"]  # no temporary name left behind


def test_open_output_then_move_and_idempotent_delete(lake: Lake) -> None:
    out = lake.open_output("bronze/s/d/.f.parquet.inprogress")
    out.write(b"abc")
    assert out.tell() == 3
    out.close()
    lake.move("bronze/s/d/.f.parquet.inprogress", "bronze/s/d/ingest_date=2026-01-02/f.parquet")
    assert lake.list_files("bronze") == ["bronze/s/d/ingest_date=2026-01-02/f.parquet"]
    lake.delete("bronze/s/d/ingest_date=2026-01-02/f.parquet")
    lake.delete("bronze/s/d/ingest_date=2026-01-02/f.parquet")
    lake.delete("never/was.txt")
    assert lake.list_files("bronze") == []


def test_missing_objects_are_file_not_found(lake: Lake, tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        lake.read_bytes("nope.json")
    with pytest.raises(FileNotFoundError):
        lake.size("nope.json")
    with pytest.raises(FileNotFoundError):
        lake.move("nope.json", "there.json")
    copies = tmp_path / "copies"
    copies.mkdir()
    with pytest.raises(FileNotFoundError):
        lake.local_file("nope.json", copies)
    assert list(copies.iterdir()) == []  # no empty copy of the missing object left behind


def test_a_multipart_object_round_trips(lake: Lake, tmp_path: Path) -> None:
    data = os.urandom(2 * PART_SIZE + 12345)
    with lake.open_atomic("big/blob.bin") as out:
        for start in range(0, len(data), 3_000_001):  # writes that do not line up with parts
            out.write(data[start : start + 3_000_001])
        assert out.tell() == len(data)
    assert lake.size("big/blob.bin") == len(data)
    assert lake.read_bytes("big/blob.bin") == data
    # As a local file for readers that seek: the lake's own file, or from S3 downloaded in ranged parts.
    (tmp_path / "copies").mkdir()
    local = lake.local_file("big/blob.bin", tmp_path / "copies")
    assert local.read_bytes() == data
    assert local.parent == (Path(lake.path("big")) if lake.is_local else tmp_path / "copies")
    lake.move("big/blob.bin", "big/moved.bin")
    assert lake.list_files("big") == ["big/moved.bin"]


def test_parquet_writer_streams_into_the_lake(lake: Lake) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pa.schema([("id", pa.int64()), ("text", pa.string())])
    out = lake.open_output("t/.x.inprogress")
    writer = pq.ParquetWriter(out, schema, compression="zstd")
    for start in range(0, 2_000_000, 500_000):
        ids = pa.array(range(start, start + 500_000), pa.int64())
        writer.write_table(pa.table([ids, pa.compute.cast(ids, pa.string())], schema=schema))
    writer.close()
    out.close()
    lake.move("t/.x.inprogress", "t/x.parquet")
    table = pq.read_table(pa.BufferReader(lake.read_bytes("t/x.parquet")))
    assert table.num_rows == 2_000_000 and table.column("text")[1_999_999].as_py() == "1999999"


def test_concurrent_writers(lake: Lake) -> None:
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda n: lake.write_json(f"raw/s/{n:03}.json", {"n": n}), range(40)))
    assert len(lake.list_files("raw/s")) == 40 and lake.read_json("raw/s/039.json") == {"n": 39}


# -- S3 only -------------------------------------------------------------------------------------------------


@pytest.fixture
def s3_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in S3_KEYS.items():
        monkeypatch.setenv(name, value)


def _client(endpoint: str, key: str = S3_KEYS["AWS_ACCESS_KEY_ID"], secret: str = S3_KEYS["AWS_SECRET_ACCESS_KEY"]):
    return boto3.client(
        "s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id=key, aws_secret_access_key=secret
    )


@pytest.mark.usefixtures("s3_env")
def test_listing_over_a_thousand_objects_follows_continuation(s3_server: str, s3_bucket: str) -> None:
    s3 = _client(s3_server)
    keys = [f"lake/raw/many/{n:05}.json" for n in range(1234)]
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda k: s3.put_object(Bucket=s3_bucket, Key=k, Body=b"{}"), keys))
    s3.put_object(Bucket=s3_bucket, Key="lake/raw/other.json", Body=b"{}")
    lake = Lake(f"s3://{s3_bucket}/lake", s3_endpoint=s3_server)
    assert lake.list_files("raw/many") == [k.removeprefix("lake/") for k in keys]


@pytest.mark.usefixtures("s3_env")
def test_aborted_upload_leaves_no_object_and_no_pending_upload(s3_server: str, s3_bucket: str) -> None:
    lake = Lake(f"s3://{s3_bucket}", s3_endpoint=s3_server)
    with pytest.raises(RuntimeError), lake.open_atomic("big.bin") as out:
        out.write(os.urandom(PART_SIZE + 1))  # one part already sent
        raise RuntimeError("crash")
    s3 = _client(s3_server)
    assert "Contents" not in s3.list_objects_v2(Bucket=s3_bucket)
    assert not s3.list_multipart_uploads(Bucket=s3_bucket).get("Uploads")


@pytest.mark.usefixtures("s3_env")
def test_missing_bucket_is_one_config_line(s3_server: str) -> None:
    lake = Lake("s3://no-such-bucket/prefix", s3_endpoint=s3_server)
    for call in (lambda: lake.write_bytes("x", b"1"), lambda: lake.read_bytes("x"), lambda: lake.exists("x")):
        with pytest.raises(ConfigError) as info:
            call()
        assert str(info.value) == (
            "lake s3://no-such-bucket/prefix: the bucket does not exist. "
            "Fix: create the bucket or correct TRIBUTARY_LAKE"
        )
    with pytest.raises(ConfigError, match="the bucket does not exist"):
        lake.list_files("")


@pytest.mark.usefixtures("s3_env")
def test_unreachable_endpoint_is_transient_and_quick() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again when the block ends: nothing listens there
    lake = Lake("s3://bucket", s3_endpoint=f"http://127.0.0.1:{port}")
    started = time.monotonic()
    with pytest.raises(TransientError) as info:
        lake.read_bytes("x")
    assert time.monotonic() - started < 5
    assert "\n" not in str(info.value) and "Connection refused" in str(info.value)


# -- against a server that checks signatures -------------------------------------------------------------------


@pytest.fixture(scope="module")
def authenticating_s3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A moto server that authenticates every request after the setup ones (an IAM user, its key, a bucket)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    log = (tmp_path_factory.mktemp("moto") / "server.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        env={**os.environ, "INITIAL_NO_AUTH_ACTION_COUNT": "4"},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        iam = boto3.client("iam", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="a",
                           aws_secret_access_key="b")  # fmt: skip
        iam.create_user(UserName="lake")
        key = iam.create_access_key(UserName="lake")["AccessKey"]
        policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
        iam.put_user_policy(UserName="lake", PolicyName="all", PolicyDocument=json.dumps(policy))
        _client(endpoint).create_bucket(Bucket="guarded")
        AUTH_KEYS.update(AWS_ACCESS_KEY_ID=key["AccessKeyId"], AWS_SECRET_ACCESS_KEY=key["SecretAccessKey"])
        yield endpoint
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()


AUTH_KEYS: dict[str, str] = {}


def test_signed_requests_are_accepted_by_a_checking_server(
    authenticating_s3: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in AUTH_KEYS.items():
        monkeypatch.setenv(name, value)
    lake = Lake("s3://guarded/p", s3_endpoint=authenticating_s3)
    data = os.urandom(PART_SIZE + 99)
    lake.write_bytes("dir/ingest_date=2026-01-02/a b+c.bin", data)  # multipart, a key that needs encoding
    lake.write_json("dir/x.json", [1])
    assert lake.read_bytes("dir/ingest_date=2026-01-02/a b+c.bin") == data
    assert lake.list_files("dir") == ["dir/ingest_date=2026-01-02/a b+c.bin", "dir/x.json"]
    lake.move("dir/x.json", "dir/y.json")
    lake.delete("dir/y.json")
    assert lake.size("dir/ingest_date=2026-01-02/a b+c.bin") == len(data)


def test_a_wrong_secret_is_a_config_error_that_does_not_show_the_secret(
    authenticating_s3: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    wrong = "wrong-secret-do-not-print-0042"
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", AUTH_KEYS["AWS_ACCESS_KEY_ID"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", wrong)
    lake = Lake("s3://guarded", s3_endpoint=authenticating_s3)
    for call in (lambda: lake.write_bytes("x", b"1"), lambda: lake.read_bytes("x"), lambda: lake.exists("x")):
        with pytest.raises(ConfigError) as info:
            call()
        text = str(info.value)
        assert "refused our credentials" in text and "AWS_SECRET_ACCESS_KEY (the lake Secret)" in text
        assert wrong not in text and AUTH_KEYS["AWS_SECRET_ACCESS_KEY"] not in text and "\n" not in text


def test_an_unknown_access_key_is_a_config_error(authenticating_s3: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAUNKNOWNKEY000000")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "whatever-secret")
    with pytest.raises(ConfigError, match=r"refused our credentials \(InvalidAccessKeyId"):
        Lake("s3://guarded", s3_endpoint=authenticating_s3).list_files("")


def test_a_folder_lake_loads_no_http_client(tmp_path: Path) -> None:
    # every stage and `tributary run` open the lake: a folder needs none of the S3 client's requests (~0.2 s)
    probe = (
        "import sys\nfrom steps.lake import Lake\nlake = Lake(sys.argv[1])\nlake.write_json('a.json', {'x': 1})\n"
        "print(lake.read_json('a.json'), 'requests' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", probe, str(tmp_path)], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["{'x':", "1}", "False"]
