"""Tell a webhook how a run ended (the exit handler's notification); a broken webhook never fails the run."""

from __future__ import annotations

import json
import logging
import time
import urllib.error
import urllib.request
from typing import Any

from steps.redact import redact_text

log = logging.getLogger(__name__)

ATTEMPTS = 3


def notify(url: str, summary: dict[str, Any], *, timeout_s: float = 10, sleep: Any = time.sleep) -> bool:
    """POST ``{run_id, status, failed_tasks, report}`` as JSON; returns whether the webhook accepted it."""
    payload = json.dumps(
        {
            "run_id": summary["run_id"],
            "status": summary["status"],
            "failed_tasks": summary["failed_tasks"],
            "report": f"{summary['reports']}/summary.md",
        }
    ).encode()
    request = urllib.request.Request(  # noqa: S310 - the URL is the operator's configured webhook
        url, data=payload, method="POST", headers={"Content-Type": "application/json"}
    )
    for attempt in range(1, ATTEMPTS + 1):
        try:
            with urllib.request.urlopen(request, timeout=timeout_s) as resp:  # noqa: S310
                if 200 <= resp.status < 300:
                    return True
                problem = f"HTTP {resp.status}"
        except (urllib.error.URLError, OSError) as exc:
            problem = str(exc)
        if attempt < ATTEMPTS:
            sleep(2 ** (attempt - 1))
    # The URL itself is a secret (it often embeds a token): never log it.
    log.warning("webhook notification failed", extra={"attempts": ATTEMPTS, "problem": redact_text(problem)})
    return False
