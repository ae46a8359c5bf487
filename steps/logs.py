"""Logging for stages: one line per event on stderr, key=value in a terminal or JSON in pods."""

from __future__ import annotations

import json
import logging
import os
import sys
from typing import Any

from steps.redact import redact_text

_HANDLER_NAME = "tributary"
_RESERVED = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}


class _KeyValueFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        fields = {k: v for k, v in record.__dict__.items() if k not in _RESERVED}
        extra = " ".join(f"{k}={v}" for k, v in fields.items())
        line = f"{self.formatTime(record, '%H:%M:%S')} {record.levelname:<7} {record.name}: {record.getMessage()}"
        return redact_text(f"{line} {extra}".rstrip())


class _JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
        }
        payload.update({k: v for k, v in record.__dict__.items() if k not in _RESERVED})
        return redact_text(json.dumps(payload, default=str, ensure_ascii=False))


def configure_logging(level: str | None = None) -> None:
    """Configure the root logger once per process (``TRIBUTARY_LOG_FORMAT=json|text``, ``TRIBUTARY_LOG_LEVEL``)."""
    fmt = os.environ.get("TRIBUTARY_LOG_FORMAT", "text")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_JsonFormatter() if fmt == "json" else _KeyValueFormatter())
    handler.set_name(_HANDLER_NAME)
    root = logging.getLogger()
    # Ours replaces any earlier one, and the plain console handlers libraries add on import (dbt does): each
    # event once, in our format. Other handlers (files, test capture) stay.
    root.handlers[:] = [h for h in root.handlers if h.get_name() != _HANDLER_NAME and not _plain_console(h)] + [handler]
    root.setLevel(level or os.environ.get("TRIBUTARY_LOG_LEVEL", "INFO"))
    for noisy in ("urllib3", "botocore", "s3transfer"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def _plain_console(handler: logging.Handler) -> bool:
    return type(handler) is logging.StreamHandler and handler.stream in (sys.stderr, sys.stdout)
