"""POST the run's notification to a webhook; a broken webhook never fails the run, and its URL is never logged.

Retried (3 attempts, 1 s then 2 s apart) when another attempt can succeed: no connection, a timeout, HTTP 408,
429 (its ``Retry-After`` honoured up to 30 s) and 5xx. Any other 4xx is final at once: a wrong URL (404), a
revoked token (401/403/410) or a payload the receiver refuses (400) answers the same the next time. Each attempt
has its own timeout (connect and each read).
"""

from __future__ import annotations

import json
import logging
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from steps.redact import redact_free_text
from steps.retry_after import retry_after_seconds

log = logging.getLogger(__name__)

ATTEMPTS = 3
DEFAULT_TIMEOUT_S = 10.0
MAX_RETRY_AFTER_S = 30.0
RETRIED_STATUS = frozenset({408, 429})  # and every 5xx


@dataclass(frozen=True)
class Delivery:
    """How a notification went: accepted or not, after how many attempts, and the last problem (masked)."""

    ok: bool
    attempts: int
    problem: str | None = None


def notify(
    url: str,
    payload: dict[str, Any],
    *,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    sleep: Callable[[float], None] = time.sleep,
) -> Delivery:
    """POST ``payload`` as JSON to ``url``; the delivery's outcome, never an exception."""
    if not url.startswith(("http://", "https://")):
        return _gave_up(url, 0, "TRIBUTARY_WEBHOOK_URL is not an http(s) URL")
    body = json.dumps(payload, ensure_ascii=False).encode()
    request = urllib.request.Request(  # noqa: S310 - the URL is the operator's configured webhook, http(s) only
        url, data=body, method="POST", headers={"Content-Type": "application/json; charset=utf-8"}
    )
    problem = ""
    for attempt in range(1, ATTEMPTS + 1):
        wait = float(2 ** (attempt - 1))
        try:
            with urllib.request.urlopen(request, timeout=timeout_s):  # noqa: S310
                return Delivery(ok=True, attempts=attempt)
        except urllib.error.HTTPError as exc:  # urllib raises for every status >= 400
            problem = f"HTTP {exc.code}"
            if exc.code < 500 and exc.code not in RETRIED_STATUS:
                return _gave_up(url, attempt, f"{problem}, not retried: the webhook refused the request")
            after = retry_after_seconds(exc.headers.get("Retry-After"))
            if after is not None and after > MAX_RETRY_AFTER_S:
                return _gave_up(url, attempt, f"{problem}, Retry-After {after:.0f}s is beyond {MAX_RETRY_AFTER_S:.0f}s")
            wait = max(wait, after or 0.0)
        except (urllib.error.URLError, OSError) as exc:  # refused, reset, DNS, timeouts
            problem = str(getattr(exc, "reason", None) or exc) or type(exc).__name__
        if attempt < ATTEMPTS:
            sleep(wait)
    return _gave_up(url, ATTEMPTS, problem)


def _gave_up(url: str, attempts: int, problem: str) -> Delivery:
    # The URL itself is a secret (it embeds the token): masked wherever it could appear, and never logged.
    masked = redact_free_text(problem, [url])
    log.warning("webhook notification failed", extra={"attempts": attempts, "problem": masked})
    return Delivery(ok=False, attempts=attempts, problem=masked)
