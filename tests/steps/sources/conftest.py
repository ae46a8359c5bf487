"""A real Postgres for the source tests: a throwaway cluster started once per session.

``initdb`` into a temporary folder, ``pg_ctl start`` listening only on a unix socket in that folder (on a port
number no other cluster of this machine uses), password authentication for the ``tributary`` superuser, and
``pg_ctl stop`` at the end. Missing server binaries fail the fixture with a clear message: nothing is skipped.
When the tests run as root (containers), the cluster runs as the ``postgres`` (or ``nobody``) user, because
``initdb`` refuses root.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

PASSWORD = "pg-test-password-6f1c"


@dataclass(frozen=True)
class Postgres:
    """Where the test cluster listens."""

    host: str  # the unix socket folder
    port: int
    user: str
    password: str
    dbname: str

    def connect(self) -> object:
        import psycopg

        return psycopg.connect(
            host=self.host,
            port=self.port,
            user=self.user,
            password=self.password,
            dbname=self.dbname,
            autocommit=True,
        )


def _binary(name: str) -> str:
    found = shutil.which(name) or next(iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)), None)
    if found is None:
        pytest.fail(
            f"the Postgres server binary {name!r} is not installed (needed by the Postgres source tests); "
            "install the Debian package postgresql (initdb, pg_ctl) or put them on PATH"
        )
    return found


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _demoter(uid: int, gid: int) -> Callable[[], None]:
    def demote() -> None:
        os.setgid(gid)
        os.setuid(uid)

    return demote


def _as_user() -> tuple[Callable[[], None] | None, int | None, int | None]:
    if os.geteuid() != 0:
        return None, None, None
    for name in ("postgres", "nobody"):
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            continue
        return _demoter(entry.pw_uid, entry.pw_gid), entry.pw_uid, entry.pw_gid
    pytest.fail("running as root and no 'postgres' or 'nobody' user exists to run the test cluster as")
    raise AssertionError  # unreachable


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    """A running cluster for the whole session."""
    initdb, pg_ctl = _binary("initdb"), _binary("pg_ctl")
    demote, uid, gid = _as_user()
    base = Path(tempfile.mkdtemp(prefix="tributary-pg-"))
    data, sock, log = base / "data", base / "sock", base / "server.log"
    sock.mkdir()
    pwfile = base / "pwfile"
    pwfile.write_text(PASSWORD + "\n")
    if uid is not None and gid is not None:
        for path in (base, sock, pwfile):
            os.chown(path, uid, gid)
    env = {**os.environ, "LC_ALL": "C.UTF-8", "LANG": "C.UTF-8"}

    def run(*args: str) -> None:
        proc = subprocess.run(
            args, capture_output=True, text=True, preexec_fn=demote, env=env, check=False, timeout=120, cwd=base
        )
        if proc.returncode != 0:
            tail = log.read_text()[-2000:] if log.exists() else ""
            pytest.fail(f"{' '.join(args[:2])} failed ({proc.returncode}): {proc.stderr.strip()[-2000:]} {tail}")

    port = _free_port()
    run(
        initdb,
        "-D",
        str(data),
        "-U",
        "tributary",
        "--pwfile",
        str(pwfile),
        "--auth=scram-sha-256",
        "-E",
        "UTF8",
        "--no-sync",
    )
    options = f"-p {port} -k {sock} -c listen_addresses='' -c fsync=off -c full_page_writes=off"
    run(pg_ctl, "-D", str(data), "-o", options, "-l", str(log), "-w", "-t", "60", "start")
    try:
        yield Postgres(str(sock), port, "tributary", PASSWORD, "postgres")
    finally:
        subprocess.run(
            [pg_ctl, "-D", str(data), "-m", "fast", "-w", "stop"],
            capture_output=True,
            preexec_fn=demote,
            env=env,
            check=False,
            timeout=60,
        )
        shutil.rmtree(base, ignore_errors=True)
