"""Secrets of sources (API keys, tokens, database passwords), read from the environment only.

The configuration names the environment variable (``api_key_env: FRED_API_KEY``), never the value.

The variable's name must contain ``API_KEY``, ``TOKEN``, ``SECRET`` or ``PASSWORD`` (checked when the
configuration is loaded), which is what makes :mod:`steps.redact` mask the value in every log line, stage result,
URL and raw payload of the process.
"""

from __future__ import annotations

import hashlib
import os

from steps.errors import ConfigError

MIN_SECRET_LENGTH = 6  # steps.redact does not mask shorter values: refuse them rather than leak them


def secret_from_env(variable: str, source: str, what: str) -> str:
    """The value of ``variable``; a ConfigError (exit 2) naming the variable when it is unset or unusable."""
    raw = os.environ.get(variable, "")
    value = raw.strip()
    if value != raw and value:
        # A Secret mounted from a file often ends with a newline. What is sent is the stripped value, and
        # steps.redact masks the values it finds in the environment: keep the two identical.
        os.environ[variable] = value
    if not value:
        raise ConfigError(
            f"{source}: environment variable {variable} is not set (the {what})",
            f"set {variable} (from the source's Kubernetes Secret in the cluster, or export it locally)",
        )
    if len(value) < MIN_SECRET_LENGTH:
        raise ConfigError(
            f"{source}: environment variable {variable} holds a value shorter than {MIN_SECRET_LENGTH} characters",
            f"set {variable} to the full {what}",
        )
    return value


def fingerprint(secret: str) -> str:
    """A short, one-way name for a secret (quota accounting is per key), safe to store and log."""
    return hashlib.sha256(f"tributary:{secret}".encode()).hexdigest()[:12]
