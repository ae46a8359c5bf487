"""The stage images, built once per test session with the engine this machine has (podman or docker).

The images are built by the code ``make images`` runs (:func:`workflows.argo.build.build_images`), tagged as the dev
WorkflowTemplate names them; the engine's layer cache makes a session after the first one quick. Without any
container engine these tests are skipped with one line saying so; with one, a failed build fails them.
"""

from __future__ import annotations

import io
import os
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from steps.names import STAGES
from tests.steps.sources.conftest import postgres  # noqa: F401 - the Postgres fixture, for the stage paths
from workflows.argo.build import Built, build_images
from workflows.argo.engine import EngineError, find_engine
from workflows.argo.images import image
from workflows.argo.settings import load_environment


@dataclass(frozen=True)
class Images:
    """The built images: engine, base, and one reference per stage."""

    engine: str
    base: Built
    stages: dict[str, Built]

    def reference(self, stage: str) -> str:
        """The image of ``stage``, as the dev spec names it."""
        return self.stages[stage].name

    def run(
        self,
        stage: str,
        command: Sequence[str],
        *,
        env: dict[str, str] | None = None,
        flags: Sequence[str] = (),
        timeout: float = 300,
    ) -> subprocess.CompletedProcess[str]:
        """``<engine> run --rm`` of the stage's image with ``command`` as its entrypoint and arguments."""
        env = env or {}
        argv = [self.engine, "run", "--rm", "--network", "host", "--no-healthcheck", *flags]
        for key in env:
            argv += ["--env", key]
        argv += ["--entrypoint", command[0], self.reference(stage), *command[1:]]
        return subprocess.run(
            argv, env={**os.environ, **env}, capture_output=True, text=True, timeout=timeout, check=False
        )


@pytest.fixture(scope="session")
def engine() -> str:
    """The container engine, or a skip naming what is missing."""
    try:
        return find_engine()
    except EngineError as exc:
        pytest.skip(f"container tests skipped: {exc}")


@pytest.fixture(scope="session")
def images(engine: str) -> Images:
    """Every stage image, built (or found current in the engine's cache) once per session."""
    progress = io.StringIO()
    built = build_images("dev", engine=engine, environ=dict(os.environ), progress=progress, report=progress.write)
    print(progress.getvalue())  # the sizes land in the test log (pytest -s shows them)
    names = {image(s, load_environment("dev").images): s for s in STAGES}
    return Images(engine=engine, base=built[0], stages={names[b.name]: b for b in built[1:]})


def free_port() -> int:
    """A TCP port nothing listens on (for an unreachable Trino)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def owned_tree(path: Path) -> list[tuple[str, int]]:
    """Every file under ``path`` with its owner uid (what a container wrote into a mounted lake)."""
    return sorted((str(p.relative_to(path)), p.lstat().st_uid) for p in path.rglob("*") if p.is_file())
