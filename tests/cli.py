"""``tributary`` as a user runs it: a subprocess from the repository, without the shell's pipeline settings."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

# What a developer's shell may hold that would change a run: the pipeline's own settings and S3 credentials.
SHELL_SETTINGS = ("TRIBUTARY_", "AWS_")


def clean_env(extra: Mapping[str, str] | None = None, *, drop: tuple[str, ...] = SHELL_SETTINGS) -> dict[str, str]:
    """This process's environment without variables starting with ``drop``, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    return {**env, **(extra or {})}


def tributary(
    *args: str,
    env: Mapping[str, str] | None = None,
    cwd: Path = REPO,
    timeout: float = 600,
) -> subprocess.CompletedProcess[str]:
    """``tributary <args>``: exit code and captured output; ``env`` is added to :func:`clean_env`'s."""
    return subprocess.run(
        [sys.executable, "-m", "workflows.cli", *args],
        env=clean_env(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        cwd=cwd,
    )


def run_replay(
    lake: Path | str, *args: str, env: Mapping[str, str] | None = None, timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    """``tributary run --replay --lake LAKE <args>``."""
    return tributary("run", "--replay", "--lake", str(lake), *args, env=env, timeout=timeout)
