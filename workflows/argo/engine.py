"""Which container engine builds and runs the stage images: podman or docker (``CONTAINER_ENGINE`` chooses).

``tributary images`` builds with it (:mod:`workflows.argo.build`) and the container launcher runs the images with it
(:mod:`workflows.local.container`).
"""

from __future__ import annotations

import os
import shutil

ENGINES = ("podman", "docker")


class EngineError(RuntimeError):
    """No usable container engine, or an image is missing; the message says what to do."""


def find_engine(preferred: str | None = None) -> str:
    """The container engine to use: ``preferred`` (or ``$CONTAINER_ENGINE``), else podman, else docker.

    Raises:
        EngineError: none is installed.
    """
    wanted = preferred or os.environ.get("CONTAINER_ENGINE") or ""
    candidates = (wanted,) if wanted else ENGINES
    for name in candidates:
        path = shutil.which(name)
        if path:
            return path
    raise EngineError(
        f"no container engine found ({'CONTAINER_ENGINE=' + wanted if wanted else 'tried podman, docker'}); "
        "install podman or docker, or run with --launcher process"
    )
