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


def secret_values(extra: Iterable[str] = ()) -> list[str]:
    """Secret values known to this process: secret-looking environment variables plus ``extra``."""
    values = {v for k, v in os.environ.items() if _SECRET_ENV.search(k) and len(v) >= _MIN_SECRET_LEN}
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
