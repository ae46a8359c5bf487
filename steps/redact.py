"""Secret redaction: secret values from the environment never reach logs, URLs, raw payloads or reports."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

MASK = "***"

# Query parameters and environment variables whose values are secrets.
SECRET_PARAM_NAMES = frozenset({"api_key", "apikey", "token", "access_token", "key", "password", "secret"})
_SECRET_ENV = re.compile(r"(PASSWORD|SECRET|TOKEN|API_KEY|ACCESS_KEY)", re.IGNORECASE)
_MIN_SECRET_LEN = 6  # shorter values would mask ordinary words


def is_secret_name(name: str) -> bool:
    """Whether an environment variable named ``name`` holds a secret (its value is never shown)."""
    return bool(_SECRET_ENV.search(name))


def secret_values(extra: Iterable[str] = ()) -> list[str]:
    """Secret values known to this process: secret-looking environment variables plus ``extra``."""
    values = {v for k, v in os.environ.items() if is_secret_name(k) and len(v) >= _MIN_SECRET_LEN}
    values.update(v for v in extra if v and len(v) >= _MIN_SECRET_LEN)
    return sorted(values, key=len, reverse=True)


def redact_text(text: str, extra: Iterable[str] = ()) -> str:
    """Replace every known secret value in ``text`` with ``***``."""
    for value in secret_values(extra):
        if value in text:
            text = text.replace(value, MASK)
    return text


def redact_url(url: str, params: Iterable[tuple[str, str]] = ()) -> str:
    """Return ``url`` (with ``params`` appended) where secret query parameters are masked."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True) + list(params)
    masked = [(k, MASK if k.lower() in SECRET_PARAM_NAMES else v) for k, v in query]
    return redact_text(urlunsplit(parts._replace(query=urlencode(masked, safe=":;,"))))


_SECRET_PARAM_IN_TEXT = re.compile(
    r"(?P<head>[?&](?:" + "|".join(sorted(SECRET_PARAM_NAMES)) + r")=)(?P<value>[^&#\s'\"<>]+)", re.IGNORECASE
)
_USERINFO_PASSWORD = re.compile(r"(?P<head>[a-z][a-z0-9+.-]*://[^/:@\s'\"<>]+:)(?P<value>[^/@\s'\"<>]+)(?=@)")


def redact_free_text(text: str, extra: Iterable[str] = ()) -> str:
    """:func:`redact_text`, and secrets inside URLs written into ``text`` even when their values are unknown here.

    For text that leaves the pipeline (a notification): secret query parameters (``?api_key=…``) and passwords in
    ``scheme://user:password@host`` are masked wherever they appear, since this process may not hold the secret
    another process put in its message.
    """
    text = redact_text(text, extra)
    text = _SECRET_PARAM_IN_TEXT.sub(lambda m: m["head"] + MASK, text)
    return _USERINFO_PASSWORD.sub(lambda m: m["head"] + MASK, text)
